//! Certificates: validation against the scheme and subject, history, and the status on a date.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Facility};
use crate::fixtures::{asm_mine, irma, lsm_mine, party, smelter};
use crate::helpers::{Expect, HasId, TestApp, pointers, send};

async fn patch(app: &TestApp, cert: &Value, body: Value) -> (StatusCode, Value) {
    send(app.with_body(
        Method::PATCH,
        &format!("/v1/certifications/{}", cert.id()),
        &app.operator,
        "application/merge-patch+json",
        body.to_string(),
    ))
    .await
}

/// The effective status of each certificate of a facility on `day`, by certificate id.
async fn standing(app: &TestApp, facility: &Value, day: &str) -> Vec<(String, String, Value)> {
    let path = format!(
        "/v1/facilities/{}/certifications?as_of={day}",
        facility.id()
    );
    app.items(&app.operator, &path)
        .await
        .iter()
        .map(|s| {
            assert_eq!(s["as_of"], day);
            (
                s["certification"].id(),
                s["effective_status"].as_str().unwrap().to_owned(),
                s["level"].clone(),
            )
        })
        .collect()
}

async fn status_on(app: &TestApp, facility: &Value, day: &str) -> String {
    standing(app, facility, day).await[0].1.clone()
}

async fn the_status_on_a_date_follows_the_as_of_rules(app: TestApp) {
    let mine = lsm_mine(&app, "Mina Uno").await;
    let cert = irma(&app, &mine.id(), "IRMA-1").await;
    assert_eq!(cert["history"].as_array().unwrap().len(), 1);
    assert_eq!(cert["history"][0]["effective_on"], "2025-01-01");
    assert_eq!(
        cert["history"][0]["recorded_by"]["client_id"],
        app.operator.client_id.as_str()
    );
    for (day, expected) in [
        ("2024-12-31", "not_yet_valid"),
        ("2025-01-01", "active"),
        ("2026-12-31", "active"),
        ("2027-01-01", "expired"),
    ] {
        assert_eq!(status_on(&app, &mine, day).await, expected, "{day}");
    }
    // Suspended from 2026-03-15, inclusive.
    let (status, suspended) = patch(
        &app,
        &cert,
        json!({"status": "suspended", "effective_on": "2026-03-15",
               "reason": "Surveillance audit found a critical non-conformity"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    assert_eq!(suspended["status"], "suspended");
    let history = suspended["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["effective_on"], "2026-03-15");
    assert_eq!(history[1]["status"], "suspended");
    assert_eq!(history[1]["level"], "irma_50");
    assert_eq!(
        history[1]["reason"],
        "Surveillance audit found a critical non-conformity"
    );
    for (day, expected) in [
        ("2026-03-14", "active"),
        ("2026-03-15", "suspended"),
        ("2027-06-01", "suspended"),
    ] {
        assert_eq!(status_on(&app, &mine, day).await, expected, "{day}");
    }
    // The party route answers the same way for a party's certificate.
    let company = party(&app, "Jewellers Ltd", &["manufacturer"]).await;
    let rjc = Certification::of_party(&company.id(), "rjc_cop").valid("2024-06-01", "2027-05-31");
    let rjc = app.create_certification(rjc).await;
    let path = format!(
        "/v1/parties/{}/certifications?as_of=2027-06-01",
        company.id()
    );
    let page = app.items(&app.operator, &path).await;
    assert_eq!(page[0]["certification"]["id"], rjc["id"]);
    assert_eq!(page[0]["effective_status"], "expired");
    // The nested certificate says which day its own effective_status is for: today.
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(page[0]["certification"]["effective_on"], today.as_str());
    assert!(page[0]["level"].is_null());
    let missing = "/v1/facilities/0193c3a0-0000-7000-8000-000000000000/certifications";
    app.get(missing, &app.operator).expect_problem(404).await;
    let missing_party = "/v1/parties/0193c3a0-0000-7000-8000-000000000000/certifications";
    app.get(missing_party, &app.operator)
        .expect_problem(404)
        .await;
    // A facility or party that exists but holds none (of that scheme): an empty page.
    let bare = lsm_mine(&app, "Mina Sin Certificado").await;
    let none = format!("/v1/facilities/{}/certifications", bare.id());
    assert_eq!(app.items(&app.operator, &none).await, Vec::<Value>::new());
    let other_scheme = format!("/v1/parties/{}/certifications?scheme=irma", company.id());
    assert_eq!(
        app.items(&app.operator, &other_scheme).await,
        Vec::<Value>::new()
    );
    let bad = format!(
        "/v1/facilities/{}/certifications?as_of=31-12-2026",
        mine.id()
    );
    app.get(&bad, &app.operator).expect_problem(400).await;
}

async fn each_kind_of_change_is_history(app: TestApp) {
    let mine = lsm_mine(&app, "Mina Dos").await;
    let cert = irma(&app, &mine.id(), "IRMA-2").await;
    // Level up from 2025-07-01.
    let (status, c) = patch(
        &app,
        &cert,
        json!({"level": "irma_75", "effective_on": "2025-07-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["level"], "irma_75");
    // Renewed (validity extended) from 2026-12-01.
    let (status, c) = patch(
        &app,
        &cert,
        json!({"valid_until": "2029-12-31", "effective_on": "2026-12-01", "reason": "Renewed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    // Evidence changes are not history, but are audited.
    let (status, c) = patch(
        &app,
        &cert,
        json!({"evidence_url": "https://example.org/report.pdf",
               "evidence_sha256": "A".repeat(64), "effective_on": "2026-12-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["evidence_sha256"], "a".repeat(64));
    let history = c["history"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["effective_on"].as_str().unwrap(),
                h["level"].as_str().unwrap(),
                h["valid_until"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("2025-01-01", "irma_50", "2026-12-31"),
            ("2025-07-01", "irma_75", "2026-12-31"),
            ("2026-12-01", "irma_75", "2029-12-31"),
        ]
    );
    for (day, status, level) in [
        ("2025-06-30", "active", "irma_50"),
        ("2025-07-01", "active", "irma_75"),
        ("2027-06-01", "active", "irma_75"),
        ("2030-01-01", "expired", "irma_75"),
    ] {
        let s = &standing(&app, &mine, day).await[0];
        assert_eq!(
            (s.1.as_str(), s.2.as_str().unwrap()),
            (status, level),
            "{day}"
        );
    }
    // A change cannot be slipped in before a later one; a no-op records nothing.
    let (status, problem) = patch(
        &app,
        &cert,
        json!({"status": "withdrawn", "effective_on": "2026-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&problem), vec!["/effective_on"]);
    let (status, same) = patch(&app, &cert, json!({"level": "irma_75"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["history"].as_array().unwrap().len(), 3);
    // The scheme and subject are the certificate's identity.
    let other = lsm_mine(&app, "Mina Tres").await;
    let (status, problem) = patch(
        &app,
        &cert,
        json!({"scheme": "copper_mark", "level": null, "effective_on": "2030-01-01",
               "subject": {"type": "facility", "id": other.id()}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&problem), vec!["/scheme", "/subject"]);
    for (body, pointer) in [
        (
            json!({"effective_on": "soon", "status": "active"}),
            "/effective_on",
        ),
        (json!({"reason": 5}), "/reason"),
        (json!({"history": []}), "/history"),
        (json!({"effective_status": "active"}), "/effective_status"),
        (json!({"valid_until": "2024-01-01"}), "/valid_until"),
        (json!({"status": "dormant"}), "/status"),
        (
            json!({"certificate_number": null, "minerals": []}),
            "/minerals",
        ),
        (json!({"minerals": ["gold", "kryptonite"]}), "/minerals/1"),
    ] {
        let (status, problem) = patch(&app, &cert, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{body}");
    }
}

/// A complete, valid IRMA certificate of an LSM mine.
fn valid_for(subject: &str) -> Certification {
    Certification::of_facility(subject, "irma")
        .level("irma_50")
        .valid("2025-01-01", "2027-12-31")
        .number("IRMA-X")
        .with("assurance_body", "Fictional Assurance GmbH")
        .with("evidence_url", "https://example.org/irma-x.pdf")
        .with("evidence_sha256", "0".repeat(64))
        .minerals(&["copper", "gold"])
        .with("reason", "Initial assessment")
}

async fn every_bad_certification_field_is_named(app: TestApp) {
    let mine = lsm_mine(&app, "LSM").await;
    let asm = asm_mine(&app, "ASM").await;
    let tin = smelter(&app, "Tin", "CID000001").await;
    let depot = Facility::new("Depot", "warehouse")
        .minerals(&["tin"])
        .country("NL");
    let depot = app.create_facility(depot).await;
    let nobody = "0193c3a0-0000-7000-8000-000000000000";
    let m = mine.id();
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "subject",
            json!({"type": "mine", "id": m}),
            vec!["/subject"],
        ),
        (
            "subject",
            json!({"type": "facility", "id": nobody}),
            vec!["/subject/id"],
        ),
        (
            "subject",
            json!({"type": "party", "id": m}),
            vec!["/subject/id"],
        ),
        (
            "subject",
            json!({"type": "facility", "id": asm.id()}),
            vec!["/subject"],
        ),
        (
            "subject",
            json!({"type": "facility", "id": tin.id()}),
            vec!["/subject"],
        ),
        (
            "subject",
            json!({"type": "facility", "id": depot.id()}),
            vec!["/subject"],
        ),
        ("subject", json!({"type": "facility"}), vec!["/subject"]),
        (
            "subject",
            json!({"type": "facility", "id": m, "identifier": "irma_site:X"}),
            vec!["/subject"],
        ),
        (
            "subject",
            json!({"type": "facility", "identifier": "rmi_cid:CID999999"}),
            vec!["/subject/identifier"],
        ),
        (
            "subject",
            json!({"type": "facility", "identifier": "lei:5493001KJTIIGC8Y1R12"}),
            vec!["/subject/identifier"],
        ),
        (
            "subject",
            json!({"type": "party", "identifier": "lei:5493001KJTIIGC8Y1R13"}),
            vec!["/subject/identifier"],
        ),
        ("scheme", json!("iso9001"), vec!["/scheme"]),
        ("level", json!("irma_99"), vec!["/level"]),
        ("level", Value::Null, vec!["/level"]),
        ("status", json!("dormant"), vec!["/status"]),
        ("valid_from", json!("2025-02-30"), vec!["/valid_from"]),
        ("valid_until", json!("2025-01-01"), vec!["/valid_until"]),
        ("valid_until", json!("2024-12-31"), vec!["/valid_until"]),
        ("certificate_number", json!(""), vec!["/certificate_number"]),
        ("assurance_body", json!(" "), vec!["/assurance_body"]),
        (
            "evidence_url",
            json!("ftp://example.org/x"),
            vec!["/evidence_url"],
        ),
        ("evidence_url", json!("not a url"), vec!["/evidence_url"]),
        ("evidence_sha256", json!("abc"), vec!["/evidence_sha256"]),
        ("minerals", json!([]), vec!["/minerals"]),
        ("minerals", json!(["gold", "gold"]), vec!["/minerals/1"]),
        ("minerals", json!(["kryptonite"]), vec!["/minerals/0"]),
        ("reason", json!(""), vec!["/reason"]),
        ("effective_on", json!("2025-06-01"), vec!["/effective_on"]),
        ("extra", json!(1), vec!["/extra"]),
    ];
    for (field, value, expected) in cases {
        let body = valid_for(&m).with(field, value);
        let problem = app
            .post("/v1/certifications", &app.operator, &body)
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), expected, "{field}: {body}");
    }
    // The scheme decides about levels and minerals.
    let craft = valid_for(&asm.id())
        .with("scheme", "craft")
        .number("CRAFT-1");
    let problem = app
        .post("/v1/certifications", &app.operator, &craft)
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), vec!["/level"], "craft has no levels");
    let fairmined = valid_for(&asm.id())
        .with("scheme", "fairmined")
        .level("fairmined");
    let problem = app
        .post("/v1/certifications", &app.operator, &fairmined)
        .expect_problem(422)
        .await;
    assert_eq!(
        pointers(&problem),
        vec!["/minerals/0"],
        "fairmined covers no copper"
    );
    assert_eq!(app.ids("/v1/certifications").await.len(), 0);
    // Evidence digests need the evidence.
    let digest_only = valid_for(&m).without("evidence_url");
    let problem = app
        .post("/v1/certifications", &app.operator, &digest_only)
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), vec!["/evidence_sha256"]);
    // A subject may be named by one of its identifiers.
    let by_cid = Certification::of_facility_by_identifier("rmi_cid:CID000001", "rmi_rmap")
        .level("conformant")
        .minerals(&["tin"]);
    let by_cid = app.create_certification(by_cid).await;
    assert_eq!(
        by_cid["subject"],
        json!({"type": "facility", "id": tin.id()})
    );
    // Numbers are unique per scheme.
    app.create_certification(valid_for(&m)).await;
    let problem = app
        .post("/v1/certifications", &app.operator, &valid_for(&m))
        .expect_problem(409)
        .await;
    assert!(problem["detail"].as_str().unwrap().contains("IRMA-X"));
}

async fn certifications_are_filtered(app: TestApp) {
    let mine = lsm_mine(&app, "LSM").await;
    let asm = asm_mine(&app, "ASM").await;
    let company = party(&app, "Refiner Co", &["smelter_refiner"]).await;
    let lsm_cert = irma(&app, &mine.id(), "IRMA-F").await;
    let asm_cert = Certification::of_facility(&asm.id(), "fairmined")
        .level("fairmined_ecological")
        .valid("2025-03-01", "2099-02-28")
        .minerals(&["gold", "silver"]);
    let asm_cert = app.create_certification(asm_cert).await;
    let party_cert = Certification::of_party(&company.id(), "rjc_coc")
        .status("in_assessment")
        .valid_from("2026-01-01");
    let party_cert = app.create_certification(party_cert).await;
    let cases: Vec<(String, Vec<&Value>)> = vec![
        ("scheme=irma".into(), vec![&lsm_cert]),
        ("status=active".into(), vec![&lsm_cert, &asm_cert]),
        ("status=in_assessment".into(), vec![&party_cert]),
        ("subject_type=party".into(), vec![&party_cert]),
        ("subject_type=facility".into(), vec![&lsm_cert, &asm_cert]),
        (format!("subject_id={}", asm.id()), vec![&asm_cert]),
        (
            format!("subject_type=party&subject_id={}", asm.id()),
            vec![],
        ),
        ("mineral=silver".into(), vec![&asm_cert]),
        ("mineral=gold".into(), vec![&asm_cert, &party_cert]),
        ("expiring_before=2027-01-01".into(), vec![&lsm_cert]),
        ("expiring_before=2026-12-31".into(), vec![]),
        (
            "expiring_before=2100-01-01&scheme=fairmined".into(),
            vec![&asm_cert],
        ),
        ("effective_status=active".into(), vec![&asm_cert]),
        ("effective_status=expired".into(), vec![&lsm_cert]),
        ("effective_status=in_assessment".into(), vec![&party_cert]),
    ];
    // The IRMA certificate ended 2026-12-31: today (2026-11-28 or later) it may still be
    // active; compute what the rules say instead of assuming.
    let (_, fresh) = send(app.get(
        &format!("/v1/certifications/{}", lsm_cert.id()),
        &app.operator,
    ))
    .await;
    let irma_today = fresh["effective_status"].as_str().unwrap().to_owned();
    for (query, expected) in cases {
        let mut expected: Vec<String> = expected.into_iter().map(HasId::id).collect();
        if query.starts_with("effective_status=") && irma_today == "active" {
            if query == "effective_status=active" {
                expected.insert(0, lsm_cert.id());
            } else if query == "effective_status=expired" {
                expected.clear();
            }
        }
        let found = app.ids(&format!("/v1/certifications?{query}")).await;
        assert_eq!(found, expected, "{query}");
    }
    for bad in [
        "status=dormant",
        "effective_status=dormant",
        "subject_type=mine",
        "subject_id=nope",
        "mineral=kryptonite",
        "expiring_before=soon",
        "colour=red",
    ] {
        app.get(&format!("/v1/certifications?{bad}"), &app.operator)
            .expect_problem(400)
            .await;
    }
}

async fn purchasers_cannot_write_certifications(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let mine = lsm_mine(&app, "LSM").await;
    let cert = irma(&app, &mine.id(), "IRMA-P").await;
    let body = valid_for(&mine.id());
    let path = format!("/v1/certifications/{}", cert.id());
    for request in [
        app.post("/v1/certifications", &buyer, &body),
        app.post("/v1/certifications/batch", &buyer, &[&body]),
        app.patch(&path, &buyer, &json!({"status": "withdrawn"})),
    ] {
        request.expect_problem(403).await;
    }
    let (status, read) = send(app.get(&path, &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["status"], "active");
    assert_eq!(read["history"].as_array().unwrap().len(), 1);
}

/// Keyset pages stay exact with a filter evaluated in Rust while rows arrive between pages.
async fn certifications_page_without_skipping_or_repeating(app: TestApp) {
    let mine = lsm_mine(&app, "Paged").await;
    let mut expected = Vec::new();
    for i in 0..5 {
        expected.push(irma(&app, &mine.id(), &format!("IRMA-P{i}")).await.id());
        // Interleave certificates the filter drops: in assessment, not active.
        let assessed = Certification::of_facility(&mine.id(), "irma")
            .level("transparency")
            .status("in_assessment")
            .minerals(&["copper"]);
        app.create_certification(assessed).await;
    }
    let (_, probe) = send(app.get(
        &format!("/v1/certifications/{}", expected[0]),
        &app.operator,
    ))
    .await;
    let wanted = probe["effective_status"].as_str().unwrap().to_owned();
    let base = format!("/v1/certifications?effective_status={wanted}&scheme=irma&limit=2");
    let mut seen = Vec::new();
    let mut path = base.clone();
    let mut pages = 0;
    loop {
        let (status, page) = send(app.get(&path, &app.operator)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(HasId::id));
        pages += 1;
        if pages == 1 {
            expected.push(irma(&app, &mine.id(), "IRMA-LATE").await.id());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{base}&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every matching row once, in creation order");
    let (_, scoped) = send(app.get(
        &format!(
            "/v1/facilities/{}/certifications?scheme=fairmined",
            mine.id()
        ),
        &app.operator,
    ))
    .await;
    assert_eq!(scoped["items"], json!([]));
}

both_backends!(
    certifications_page_without_skipping_or_repeating,
    the_status_on_a_date_follows_the_as_of_rules,
    each_kind_of_change_is_history,
    every_bad_certification_field_is_named,
    certifications_are_filtered,
    purchasers_cannot_write_certifications,
);
