//! Batch loading: all or none, every bad row reported, known identifiers update.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Facility};
use crate::fixtures::{all_items, id, ids, lsm_mine, party};
use crate::helpers::{TestApp, assert_problem, pointers, send, send_raw};

/// Tin smelter number `i` in Indonesia, known by its RMI CID.
fn smelter_row(i: usize) -> Value {
    Facility::smelter(&format!("Batch Smelter {i}"))
        .minerals(&["tin"])
        .country("ID")
        .identifier("rmi_cid", &format!("CID{i:06}"))
        .location(-2.0, 106.0)
        .json()
}

async fn facilities_load_in_one_batch_and_upsert_by_identifier(app: TestApp) {
    let rows: Vec<Value> = (0..1200).map(smelter_row).collect();
    let (status, result) =
        send(app.post("/v1/facilities/batch", &app.operator, &json!(rows))).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["created"], 1200);
    assert_eq!(result["updated"], 0);
    let first_id = result["rows"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(result["rows"][17]["index"], 17);
    assert_eq!(result["rows"][17]["outcome"], "created");
    assert_eq!(ids(&app, "/v1/facilities").await.len(), 1200);
    let (_, found) =
        send(app.get("/v1/facilities?identifier=rmi_cid:CID000000", &app.operator)).await;
    assert_eq!(found["items"][0]["id"], first_id.as_str());

    let (_, audit) = send(app.get(
        &format!("/v1/audit-events?entity_type=facility&entity_id={first_id}"),
        &app.operator,
    ))
    .await;
    let created = &audit["items"][0]["changes"];
    assert_eq!(created["via"], "batch");
    assert_eq!(
        created["location"],
        json!({"lat": -2.0, "lon": 106.0}),
        "the whole record"
    );
    assert_eq!(created["identifiers"][0]["value"], "CID000000");

    // Again, with one row changed and one new identifier added: upserts, no duplicates.
    let mut again: Vec<Value> = (0..3).map(smelter_row).collect();
    again[1]["name"] = json!("Batch Smelter 1, renamed");
    again[2]["identifiers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"scheme": "os_id", "value": "OS-2"}));
    let (status, result) =
        send(app.post("/v1/facilities/batch", &app.operator, &json!(again))).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        (
            result["created"].as_u64(),
            result["updated"].as_u64(),
            result["unchanged"].as_u64()
        ),
        (Some(0), Some(2), Some(1))
    );
    let outcomes: Vec<&str> = result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["unchanged", "updated", "updated"]);
    assert_eq!(result["rows"][0]["id"], first_id.as_str());
    assert_eq!(ids(&app, "/v1/facilities").await.len(), 1200);
    let (_, two) = send(app.get("/v1/facilities?identifier=os_id:OS-2", &app.operator)).await;
    assert_eq!(
        two["items"][0]["identifiers"],
        json!([{"scheme": "rmi_cid", "value": "CID000002"}, {"scheme": "os_id", "value": "OS-2"}]),
        "identifiers are added, never removed"
    );
    let (_, renamed) = send(app.get("/v1/facilities?q=renamed", &app.operator)).await;
    assert_eq!(renamed["items"].as_array().unwrap().len(), 1);
}

async fn a_bad_row_late_in_the_batch_writes_nothing(app: TestApp) {
    let mut rows: Vec<Value> = (0..600).map(smelter_row).collect();
    rows[17]["country"] = json!("XX");
    rows[17]["minerals"] = json!(["tin", "kryptonite"]);
    rows[598]["operator_party_id"] = json!("0193c3a0-0000-7000-8000-000000000000");
    rows[599]["identifiers"] = json!([{"scheme": "rmi_cid", "value": "CID000003"}]);
    let problem = assert_problem(
        send_raw(app.post("/v1/facilities/batch", &app.operator, &json!(rows))).await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&problem),
        vec!["/17/minerals/1", "/17/country", "/599/identifiers/0"],
        "field errors first"
    );
    rows[17] = smelter_row(17);
    rows[599] = smelter_row(599);
    let problem = assert_problem(
        send_raw(app.post("/v1/facilities/batch", &app.operator, &json!(rows))).await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&problem),
        vec!["/598/operator_party_id"],
        "then references"
    );
    assert_eq!(ids(&app, "/v1/facilities").await.len(), 0, "all or none");
    let (_, audit) = send(app.get("/v1/audit-events?entity_type=facility", &app.operator)).await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 0);

    // A row that would write past a constraint is refused whole too: two rows naming one
    // existing facility through different identifiers.
    let mine = lsm_mine(&app, "Known mine").await;
    app.patch_facility(
        &id(&mine),
        &json!({"identifiers": [{"scheme": "irma_site", "value": "S-1"},
                                {"scheme": "mining_title", "value": "T-1"}]}),
    )
    .await;
    let mut a = smelter_row(1);
    a["kind"] = json!("mine");
    a["mining_scale"] = json!("lsm");
    a["identifiers"] = json!([{"scheme": "irma_site", "value": "S-1"}]);
    let mut b = a.clone();
    b["identifiers"] = json!([{"scheme": "mining_title", "value": "T-1"}]);
    let problem = assert_problem(
        send_raw(app.post(
            "/v1/facilities/batch",
            &app.operator,
            &json!([smelter_row(5), a, b]),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/2/identifiers"]);
    assert_eq!(ids(&app, "/v1/facilities").await.len(), 1);
}

async fn batch_bodies_are_checked(app: TestApp) {
    for (body, status) in [("{}", 422), ("[", 400), ("[1]", 422)] {
        let response = send_raw(
            app.request(reqwest::Method::POST, "/v1/parties/batch", &app.operator)
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert_problem(response, status).await;
    }
    let response = send_raw(
        app.request(reqwest::Method::POST, "/v1/parties/batch", &app.operator)
            .header("content-type", "text/csv")
            .body("name\nx"),
    )
    .await;
    assert_problem(response, 415).await;
    let too_many = format!("[{}{{}}]", "{},".repeat(10_000));
    let response = send_raw(
        app.request(reqwest::Method::POST, "/v1/parties/batch", &app.operator)
            .header("content-type", "application/json")
            .body(too_many),
    )
    .await;
    let problem = assert_problem(response, 413).await;
    assert!(problem["detail"].as_str().unwrap().contains("10000"));
    let (status, empty) = send(app.post("/v1/parties/batch", &app.operator, &json!([]))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["created"], 0);
}

async fn parties_upsert_by_identifier(app: TestApp) {
    let rows = json!([
        {"name": "Alpha Trading (fictional)", "roles": ["trader"], "country": "AE",
         "identifiers": [{"scheme": "lei", "value": "5493001KJTIIGC8Y1R12"}]},
        {"name": "Beta Metals (fictional)", "roles": ["supplier"],
         "identifiers": [{"scheme": "duns", "value": "150483782"}]},
        {"name": "Gamma Coop (fictional)", "roles": ["asm_organisation"], "country": "CD"}
    ]);
    let (status, first) = send(app.post("/v1/parties/batch", &app.operator, &rows)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["created"], 3);
    let mut rows = rows;
    rows[0]["roles"] = json!(["trader", "supplier"]);
    rows[2]["name"] = json!("Gamma Coop, new row without identifier");
    let (status, second) = send(app.post("/v1/parties/batch", &app.operator, &rows)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        (
            second["created"].as_u64(),
            second["updated"].as_u64(),
            second["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "rows without identifiers always create"
    );
    assert_eq!(second["rows"][0]["id"], first["rows"][0]["id"]);
    let alpha = &all_items(&app, "/v1/parties?identifier=lei:5493001KJTIIGC8Y1R12").await[0];
    assert_eq!(alpha["roles"], json!(["trader", "supplier"]));
    let bad = json!([
        {"name": "ok", "roles": ["trader"]},
        {"name": "dup", "roles": ["trader"], "identifiers": [{"scheme": "vat", "value": "V1"}]},
        {"name": "dup2", "roles": ["trader"], "identifiers": [{"scheme": "vat", "value": "V1"}]},
        {"name": "", "roles": ["trader"], "country": "ZZ"}
    ]);
    let problem = assert_problem(
        send_raw(app.post("/v1/parties/batch", &app.operator, &bad)).await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&problem),
        vec!["/3/name", "/3/country", "/2/identifiers/0"]
    );
    assert_eq!(ids(&app, "/v1/parties").await.len(), 4);
}

async fn certifications_upsert_by_scheme_and_number_with_history(app: TestApp) {
    let mine = lsm_mine(&app, "LSM").await;
    let coop = party(&app, "Coop", &["asm_organisation"]).await;
    let row = |number: &str, status: &str| {
        Certification::of_facility(&id(&mine), "irma")
            .level("irma_75")
            .status(status)
            .valid("2025-01-01", "2027-12-31")
            .number(number)
            .minerals(&["copper"])
            .json()
    };
    app.patch_facility(
        &id(&mine),
        &json!({"identifiers": [{"scheme": "irma_site", "value": "IRMA-SITE-9"}]}),
    )
    .await;
    let mut by_identifier = row("IRMA-B2", "in_assessment");
    by_identifier["subject"] = json!({"type": "facility", "identifier": "irma_site:IRMA-SITE-9"});
    let rows = json!([row("IRMA-B1", "active"), by_identifier]);
    let (status, first) = send(app.post("/v1/certifications/batch", &app.operator, &rows)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["created"], 2);
    let mut suspend = row("IRMA-B1", "suspended");
    suspend["effective_on"] = json!("2026-02-01");
    suspend["reason"] = json!("Suspended by the scheme");
    let (status, second) = send(app.post(
        "/v1/certifications/batch",
        &app.operator,
        &json!([suspend, row("IRMA-B2", "in_assessment")]),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        (second["updated"].as_u64(), second["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    let b1 = &all_items(&app, "/v1/certifications?scheme=irma&status=suspended").await[0];
    assert_eq!(b1["id"], first["rows"][0]["id"]);
    assert_eq!(b1["history"][1]["effective_on"], "2026-02-01");
    assert_eq!(b1["history"][1]["reason"], "Suspended by the scheme");
    // Errors that need the database are reported by row too.
    let mut wrong_subject = row("IRMA-B3", "active");
    wrong_subject["subject"] = json!({"type": "party", "id": id(&coop)});
    let mut too_early = row("IRMA-B1", "withdrawn");
    too_early["effective_on"] = json!("2026-01-01");
    let mut duplicate = row("IRMA-B4", "active");
    duplicate["certificate_number"] = json!("IRMA-B4");
    let problem = assert_problem(
        send_raw(app.post(
            "/v1/certifications/batch",
            &app.operator,
            &json!([duplicate.clone(), wrong_subject, too_early, duplicate]),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&problem),
        vec!["/3/certificate_number"],
        "duplicates within the batch first"
    );
    let mut wrong_subject = row("IRMA-B3", "active");
    wrong_subject["subject"] = json!({"type": "party", "id": id(&coop)});
    let mut too_early = row("IRMA-B1", "withdrawn");
    too_early["effective_on"] = json!("2026-01-01");
    let problem = assert_problem(
        send_raw(app.post(
            "/v1/certifications/batch",
            &app.operator,
            &json!([row("IRMA-B5", "active"), wrong_subject, too_early]),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/1/subject", "/2/effective_on"]);
    let mut unknown = row("IRMA-B6", "active");
    unknown["subject"] = json!({"type": "facility", "identifier": "irma_site:NOPE"});
    let problem = assert_problem(
        send_raw(app.post(
            "/v1/certifications/batch",
            &app.operator,
            &json!([row("IRMA-B7", "active"), unknown]),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/1/subject/identifier"]);
    assert_eq!(
        ids(&app, "/v1/certifications").await.len(),
        2,
        "all or none"
    );
}

both_backends!(
    facilities_load_in_one_batch_and_upsert_by_identifier,
    a_bad_row_late_in_the_batch_writes_nothing,
    batch_bodies_are_checked,
    parties_upsert_by_identifier,
    certifications_upsert_by_scheme_and_number_with_history,
);
