//! Facilities: mines, smelters and refiners of the shared catalog.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Facility};
use crate::fixtures::{asm_mine, irma, lsm_mine, party, smelter};
use crate::helpers::{Expect, HasId, TestApp, pointers, send, send_raw};

fn full_lsm_mine(coop: &str, operator: &str) -> Value {
    json!({
        "name": "Mina Cerro Verde Norte (fictional)",
        "kind": "mine",
        "mining_scale": "lsm",
        "minerals": ["gold", "copper"],
        "country": "PE",
        "subdivision": "PE-ARE",
        "location": {"lat": -16.5, "lon": -71.6},
        "operator_party_id": operator,
        "identifiers": [{"scheme": "irma_site", "value": "IRMA-PE-0001"},
                        {"scheme": "mining_title", "value": "010203-PE"}],
        "cahra": true,
        "cahra_basis": "EU CAHRA indicative list, 2026 edition",
        "asm_presence": true,
        "coexistence_agreement": {"status": "signed", "signed_on": "2024-05-02",
                                  "asm_party_ids": [coop],
                                  "reference_url": "https://example.org/agreement.pdf"},
        "status": "operating"
    })
}

async fn facilities_are_created_read_and_patched(app: TestApp) {
    let coop = party(&app, "Cooperativa Sol (fictional)", &["asm_organisation"]).await;
    let operator = party(&app, "Minera Norte SA (fictional)", &["mine_operator"]).await;
    let body = full_lsm_mine(&coop.id(), &operator.id());
    let response = send_raw(app.post("/v1/facilities", &app.operator, &body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let mine: Value = response.json().await.unwrap();
    assert_eq!(
        mine["minerals"],
        json!(["gold", "copper"]),
        "vocabulary order"
    );
    assert_eq!(
        mine["coexistence_agreement"]["asm_party_ids"],
        json!([coop.id()])
    );
    assert_eq!(mine["cahra"], true);
    let buyer = app.purchaser("Buyer").await;
    let (status, read) = send(app.get(&location, &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, mine);

    // Nested objects merge; null clears.
    let (status, patched) = send(app.patch(
        &location,
        &app.operator,
        &json!({
            "coexistence_agreement": {"status": "suspended"},
            "location": {"lat": -16.4},
            "subdivision": null,
        }),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["coexistence_agreement"]["status"], "suspended");
    assert_eq!(patched["coexistence_agreement"]["signed_on"], "2024-05-02");
    assert_eq!(patched["location"], json!({"lat": -16.4, "lon": -71.6}));
    assert!(patched["subdivision"].is_null());

    // Turning the mine into a smelter needs its mine-only members cleared too.
    let problem = app
        .patch(&location, &app.operator, &json!({"kind": "smelter"}))
        .expect_problem(422)
        .await;
    assert_eq!(
        pointers(&problem),
        vec!["/mining_scale", "/asm_presence", "/coexistence_agreement"]
    );
    let (status, smelter) = send(app.patch(
        &location,
        &app.operator,
        &json!({
            "kind": "smelter", "mining_scale": null, "asm_presence": null,
            "coexistence_agreement": null
        }),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{smelter}");
    assert!(smelter["mining_scale"].is_null());

    // A patch that changes nothing changes nothing.
    let (_, same) = send(app.patch(&location, &app.operator, &json!({"kind": "smelter"}))).await;
    assert_eq!(same["updated_at"], smelter["updated_at"]);
}

async fn every_bad_facility_field_is_named(app: TestApp) {
    let coop = party(&app, "Coop", &["asm_organisation"]).await;
    let operator = party(&app, "Operator", &["mine_operator"]).await;
    let valid = full_lsm_mine(&coop.id(), &operator.id());
    let nobody = "0193c3a0-0000-7000-8000-000000000000";
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("name", json!(" "), vec!["/name"]),
        ("kind", json!("cave"), vec!["/kind"]),
        ("mining_scale", json!("medium"), vec!["/mining_scale"]),
        ("mining_scale", Value::Null, vec!["/mining_scale"]),
        ("minerals", json!([]), vec!["/minerals"]),
        (
            "minerals",
            json!(["gold", "unobtainium"]),
            vec!["/minerals/1"],
        ),
        ("minerals", json!(["gold", "gold"]), vec!["/minerals/1"]),
        ("country", json!("XX"), vec!["/country"]),
        ("subdivision", json!("CD-SK"), vec!["/subdivision"]),
        ("subdivision", json!(""), vec!["/subdivision"]),
        (
            "location",
            json!({"lat": 91, "lon": -181}),
            vec!["/location/lat", "/location/lon"],
        ),
        ("location", json!({"lat": 1}), vec!["/location/lon"]),
        (
            "operator_party_id",
            json!(nobody),
            vec!["/operator_party_id"],
        ),
        (
            "operator_party_id",
            json!("not-an-id"),
            vec!["/operator_party_id"],
        ),
        (
            "identifiers",
            json!([{"scheme": "rmi_cid", "value": "CID12"}]),
            vec!["/identifiers/0/value"],
        ),
        (
            "identifiers",
            json!([{"scheme": "duns", "value": "123456789"}]),
            vec!["/identifiers/0/scheme"],
        ),
        (
            "identifiers",
            json!([{"scheme": "os_id", "value": "A"}, {"scheme": "os_id", "value": "A"}]),
            vec!["/identifiers/1"],
        ),
        ("cahra_basis", Value::Null, vec!["/cahra_basis"]),
        ("cahra", json!("yes"), vec!["/cahra"]),
        ("asm_presence", json!(2), vec!["/asm_presence"]),
        (
            "coexistence_agreement",
            json!({"status": "friendly"}),
            vec!["/coexistence_agreement/status"],
        ),
        (
            "coexistence_agreement",
            json!({"status": "negotiating", "signed_on": "2024-01-01"}),
            vec!["/coexistence_agreement/signed_on"],
        ),
        (
            "coexistence_agreement",
            json!({"status": "signed", "signed_on": "2999-01-01"}),
            vec!["/coexistence_agreement/signed_on"],
        ),
        (
            "coexistence_agreement",
            json!({"status": "signed", "signed_on": "01/02/2024"}),
            vec!["/coexistence_agreement/signed_on"],
        ),
        (
            "coexistence_agreement",
            json!({"status": "signed", "asm_party_ids": [nobody]}),
            vec!["/coexistence_agreement/asm_party_ids/0"],
        ),
        (
            "coexistence_agreement",
            json!({"status": "signed", "reference_url": "javascript:alert(1)"}),
            vec!["/coexistence_agreement/reference_url"],
        ),
        ("status", json!("abandoned"), vec!["/status"]),
        ("colour", json!("red"), vec!["/colour"]),
    ];
    for (field, value, expected) in cases {
        let mut body = valid.clone();
        body[field] = value;
        let problem = app
            .post("/v1/facilities", &app.operator, &body)
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), expected, "{field}: {body}");
    }
    // Rules that depend on the kind.
    let smelter_with_scale = json!({"name": "S", "kind": "smelter", "mining_scale": "lsm",
        "minerals": ["tin"], "country": "ID", "asm_presence": true, "cahra": false,
        "cahra_basis": "none"});
    let problem = app
        .post("/v1/facilities", &app.operator, &smelter_with_scale)
        .expect_problem(422)
        .await;
    assert_eq!(
        pointers(&problem),
        vec!["/mining_scale", "/cahra_basis", "/asm_presence"]
    );
    let asm_with_agreement = json!({"name": "A", "kind": "mine", "mining_scale": "asm",
        "minerals": ["gold"], "country": "GH", "coexistence_agreement": {"status": "none"}});
    let problem = app
        .post("/v1/facilities", &app.operator, &asm_with_agreement)
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), vec!["/coexistence_agreement"]);
    assert_eq!(app.ids("/v1/facilities").await.len(), 0, "nothing written");
}

async fn facility_identifiers_are_unique(app: TestApp) {
    let first = smelter(&app, "Smelter A", "CID000123").await;
    let tin_smelter = |name: &str| Facility::smelter(name).minerals(&["tin"]).country("ID");
    let same_cid = tin_smelter("Smelter B").identifier("rmi_cid", "CID000123");
    let problem = app
        .post("/v1/facilities", &app.operator, &same_cid)
        .expect_problem(409)
        .await;
    assert!(problem["detail"].as_str().unwrap().contains(&first.id()));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("rmi_cid:CID000123")
    );
    // The same value under another scheme is another identifier.
    app.create_facility(tin_smelter("Smelter C").identifier("other", "CID000123"))
        .await;
}

async fn facilities_are_filtered(app: TestApp) {
    let asm = asm_mine(&app, "Minera Artesanal Ñusta").await;
    let lsm = lsm_mine(&app, "Escondida Sur (fictional)").await;
    let tin = smelter(&app, "Malaysia Tin Smelter (fictional)", "CID000321").await;
    let closed = Facility::refiner("Old Fiji Refinery")
        .country("FJ")
        .location(-17.7, 178.0)
        .status("closed");
    let closed = app.create_facility(closed).await;
    let nowhere = Facility::new("Depot 100%_off", "warehouse")
        .minerals(&["tin"])
        .country("NL");
    let nowhere = app.create_facility(nowhere).await;
    let cases: Vec<(&str, Vec<&Value>)> = vec![
        ("kind=mine", vec![&asm, &lsm]),
        ("mining_scale=asm", vec![&asm]),
        ("mineral=gold", vec![&asm, &lsm, &closed]),
        ("mineral=tin&kind=warehouse", vec![&nowhere]),
        ("country=CL", vec![&lsm]),
        ("status=closed", vec![&closed]),
        ("identifier=rmi_cid:CID000321", vec![&tin]),
        ("identifier=rmi_cid:CID999999", vec![]),
        ("q=%C3%B1USTA", vec![&asm]),
        ("q=SMELTER", vec![&tin]),
        ("q=100%25_", vec![&nowhere]),
        ("q=_", vec![&nowhere]),
        ("bbox=-80,-30,-60,0", vec![&asm, &lsm]),
        ("bbox=-71,-14,-70,-12", vec![&asm]),
        ("bbox=100,0,102,5", vec![&tin]),
        ("bbox=170,-30,-170,0", vec![&closed]),
        ("bbox=-80,-30,-60,0&mining_scale=lsm", vec![&lsm]),
    ];
    for (query, expected) in cases {
        let found = app.ids(&format!("/v1/facilities?{query}")).await;
        let expected: Vec<String> = expected.into_iter().map(HasId::id).collect();
        assert_eq!(found, expected, "{query}");
    }
    for bad in [
        "kind=cave",
        "mining_scale=mid",
        "mineral=unobtainium",
        "country=XX",
        "identifier=rmi_cid:123",
        "identifier=foo:bar",
        "identifier=nocolon",
        "bbox=1,2,3",
        "bbox=0,10,1,5",
        "bbox=-190,0,0,1",
        "certified_on=2026-01-01",
        "certified_scheme=nope",
        "certified_scheme=irma&certified_on=yesterday",
        "q=",
    ] {
        app.get(&format!("/v1/facilities?{bad}"), &app.operator)
            .expect_problem(400)
            .await;
    }
}

/// `certified_scheme` + `certified_on` are evaluated with the as-of rules, and pages stay full
/// and exact when candidates are filtered out in Rust.
async fn facilities_are_filtered_by_certification_on_a_date(app: TestApp) {
    let mut mines = Vec::new();
    for i in 0..7 {
        mines.push(lsm_mine(&app, &format!("LSM {i}")).await);
    }
    // Mines 1, 3 and 5 are certified for 2025-2026; mine 3 is suspended from 2026-03-15;
    // mine 6 is certified only from 2026-06-01.
    let mut certs = Vec::new();
    for i in [1, 3, 5] {
        certs.push(irma(&app, &mines[i].id(), &format!("IRMA-{i}")).await);
    }
    let from_june = Certification::of_facility(&mines[6].id(), "irma")
        .level("irma_75")
        .valid_from("2026-06-01")
        .minerals(&["copper"]);
    app.create_certification(from_june).await;
    app.patch_certification(
        &certs[1].id(),
        &json!({"status": "suspended", "effective_on": "2026-03-15"}),
    )
    .await;
    let expect =
        |indices: &[usize]| -> Vec<String> { indices.iter().map(|i| mines[*i].id()).collect() };
    let cases = [
        ("2024-12-31", expect(&[])),
        ("2025-01-01", expect(&[1, 3, 5])),
        ("2026-03-14", expect(&[1, 3, 5])),
        ("2026-03-15", expect(&[1, 5])),
        ("2026-06-01", expect(&[1, 5, 6])),
        ("2026-12-31", expect(&[1, 5, 6])),
        ("2027-01-01", expect(&[6])),
    ];
    for (day, expected) in cases {
        let path = format!("/v1/facilities?certified_scheme=irma&certified_on={day}");
        assert_eq!(app.ids(&path).await, expected, "{day}");
        // Page by one: every page is full and none skips or repeats.
        let mut seen = Vec::new();
        let mut url = format!("{path}&limit=1");
        loop {
            let page = app
                .get(&url, &app.operator)
                .expect_status(StatusCode::OK)
                .await;
            let items = page["items"].as_array().unwrap();
            seen.extend(items.iter().map(HasId::id));
            match page["next_cursor"].as_str() {
                Some(cursor) => {
                    assert_eq!(items.len(), 1, "a page with a next cursor is full");
                    url = format!("{path}&limit=1&cursor={cursor}");
                }
                None => break,
            }
        }
        assert_eq!(seen, expected, "paged {day}");
    }
    let fairmined = app.ids("/v1/facilities?certified_scheme=fairmined").await;
    assert!(fairmined.is_empty());
}

async fn facilities_page_without_skipping_or_repeating(app: TestApp) {
    for i in 0..5 {
        asm_mine(&app, &format!("Mine {i}")).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/facilities?kind=mine&limit=2".to_owned();
    let mut pages = 0;
    loop {
        let response = send_raw(app.get(&path, &app.operator)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Value = response.json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(HasId::id));
        pages += 1;
        if pages == 1 {
            asm_mine(&app, "Late arrival").await;
            smelter(&app, "Not a mine", "CID000777").await;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert!(
                    link.unwrap().contains("kind=mine"),
                    "the Link keeps the filters"
                );
                path = format!("/v1/facilities?kind=mine&limit=2&cursor={cursor}");
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 6);
    assert_eq!(unique, seen, "in creation order, none repeated");
}

async fn purchasers_cannot_write_facilities(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let mine = asm_mine(&app, "Known").await;
    let body = Facility::smelter("X").minerals(&["tin"]).country("ID");
    for request in [
        app.post("/v1/facilities", &buyer, &body),
        app.post("/v1/facilities/batch", &buyer, &[&body]),
        app.patch(
            &format!("/v1/facilities/{}", mine.id()),
            &buyer,
            &json!({"name": "Mine now"}),
        ),
    ] {
        request.expect_problem(403).await;
    }
    assert_eq!(app.ids("/v1/facilities").await, vec![mine.id()]);
}

async fn a_certified_mine_keeps_a_kind_its_certificates_apply_to(app: TestApp) {
    let certified = |kind: &str| {
        Facility::new("Certified LSM", kind)
            .minerals(&["copper"])
            .country("CL")
            .identifier("irma_site", "IRMA-K-1")
    };
    let mine = app
        .create_facility(certified("mine").with("mining_scale", "lsm"))
        .await;
    let cert = irma(&app, &mine.id(), "IRMA-K").await;
    let path = format!("/v1/facilities/{}", mine.id());
    let problem = app
        .patch(&path, &app.operator, &json!({"mining_scale": "asm"}))
        .expect_problem(409)
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&cert.id()),
        "{problem}"
    );
    let problem = app
        .post(
            "/v1/facilities/batch",
            &app.operator,
            &[certified("smelter")],
        )
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), vec!["/0/kind"]);
    let (_, still) = send(app.get(&path, &app.operator)).await;
    assert_eq!(still["mining_scale"], "lsm");
    // Other changes go through.
    app.patch_facility(&mine.id(), &json!({"status": "closed"}))
        .await;
}

both_backends!(
    a_certified_mine_keeps_a_kind_its_certificates_apply_to,
    facilities_are_created_read_and_patched,
    every_bad_facility_field_is_named,
    facility_identifiers_are_unique,
    facilities_are_filtered,
    facilities_are_filtered_by_certification_on_a_date,
    facilities_page_without_skipping_or_repeating,
    purchasers_cannot_write_facilities,
);
