//! Parties: companies and organisations of the shared catalog.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::Party;
use crate::fixtures::party;
use crate::helpers::{Expect, HasId, TestApp, pointers, send, send_raw};

const LEI: &str = "5493001KJTIIGC8Y1R12";

/// A trader known by its LEI and its DUNS number, its name padded with spaces.
fn valid() -> Party {
    Party::new(
        "  Andes Gold Traders SAC (fictional) ",
        &["trader", "supplier"],
    )
    .country("PE")
    .identifier("lei", LEI)
    .identifier("duns", "15-048-3782")
}

async fn parties_are_created_read_and_patched(app: TestApp) {
    let response = send_raw(app.post("/v1/parties", &app.operator, &valid())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/v1/parties/{}", created.id()));
    assert_eq!(created["name"], "Andes Gold Traders SAC (fictional)");
    assert_eq!(created["roles"], json!(["trader", "supplier"]));
    assert_eq!(
        created["identifiers"],
        json!([{"scheme": "lei", "value": LEI}, {"scheme": "duns", "value": "150483782"}])
    );

    let buyer = app.purchaser("Buyer").await;
    let (status, read) = send(app.get(&location, &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created, "purchasers read the shared catalog");

    let (status, patched) = send(app.with_body(
        Method::PATCH,
        &location,
        &app.operator,
        "application/merge-patch+json",
        json!({"country": null, "roles": ["smelter_refiner"]}).to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert!(patched["country"].is_null(), "null clears");
    assert_eq!(patched["roles"], json!(["smelter_refiner"]));
    assert_eq!(patched["name"], created["name"], "absent is unchanged");
    assert_eq!(patched["identifiers"], created["identifiers"]);

    for (patch, pointer) in [
        (json!({"name": null}), "/name"),
        (json!({"id": "x"}), "/id"),
        (json!({"roles": []}), "/roles"),
        (json!({"colour": "red"}), "/colour"),
        (json!([1]), ""),
    ] {
        let problem = app
            .patch(&location, &app.operator, &patch)
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{patch}");
    }
    app.patch(
        "/v1/parties/0193c3a0-0000-7000-8000-000000000000",
        &app.operator,
        &json!({"name": "x"}),
    )
    .expect_problem(404)
    .await;
    app.get("/v1/parties/nope", &buyer)
        .expect_problem(400)
        .await;
}

async fn every_bad_party_field_is_named(app: TestApp) {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!(""), "/name"),
        ("name", json!("x".repeat(201)), "/name"),
        ("roles", json!([]), "/roles"),
        ("roles", json!(["king"]), "/roles/0"),
        ("roles", json!(["trader", "trader"]), "/roles/1"),
        ("country", json!("ZZ"), "/country"),
        ("country", json!("pe"), "/country"),
        (
            "identifiers",
            json!([{"scheme": "lei", "value": "5493001KJTIIGC8Y1R13"}]),
            "/identifiers/0/value",
        ),
        (
            "identifiers",
            json!([{"scheme": "duns", "value": "1234"}]),
            "/identifiers/0/value",
        ),
        (
            "identifiers",
            json!([{"scheme": "tax", "value": "1"}]),
            "/identifiers/0/scheme",
        ),
        (
            "identifiers",
            json!([{"scheme": "vat", "value": "PE1"}, {"scheme": "vat", "value": "PE1"}]),
            "/identifiers/1",
        ),
        (
            "identifiers",
            json!([{"scheme": "vat", "value": "PE1", "x": 1}]),
            "/identifiers/0/x",
        ),
        ("extra", json!(1), "/extra"),
    ];
    for (field, value, pointer) in cases {
        let body = valid().with(field, value);
        let problem = app
            .post("/v1/parties", &app.operator, &body)
            .expect_problem(422)
            .await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{body}");
    }
    // Every bad field at once.
    let all_bad = Party::new(" ", &["king"])
        .country("ZZ")
        .identifier("lei", "x");
    let problem = app
        .post("/v1/parties", &app.operator, &all_bad)
        .expect_problem(422)
        .await;
    assert_eq!(
        pointers(&problem),
        vec!["/name", "/roles/0", "/country", "/identifiers/0/value"]
    );
    assert_eq!(app.ids("/v1/parties").await.len(), 0, "nothing written");
}

async fn party_identifiers_are_unique(app: TestApp) {
    let first = app.create_party(valid()).await;
    let again = valid().with(
        "identifiers",
        json!([{"scheme": "lei", "value": LEI.to_lowercase()}]),
    );
    let problem = app
        .post("/v1/parties", &app.operator, &again)
        .expect_problem(409)
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&first.id()),
        "names the holder: {problem}"
    );
    let other = party(&app, "Other", &["trader"]).await;
    app.patch(
        &format!("/v1/parties/{}", other.id()),
        &app.operator,
        &json!({"identifiers": [{"scheme": "lei", "value": LEI}]}),
    )
    .expect_problem(409)
    .await;
}

async fn parties_are_filtered(app: TestApp) {
    let trader = app.create_party(valid()).await;
    let coop = Party::new("Cooperativa Ñuñoa", &["asm_organisation"]).country("BO");
    let coop = app.create_party(coop).await;
    let refiner =
        Party::new("Refinería del Sur", &["smelter_refiner", "trader"]).identifier("vat", "CL-99");
    let refiner = app.create_party(refiner).await;
    let cases = [
        ("role=trader", vec![&trader, &refiner]),
        ("role=asm_organisation", vec![&coop]),
        ("country=BO", vec![&coop]),
        ("country=PE&role=trader", vec![&trader]),
        (&format!("identifier=lei:{LEI}") as &str, vec![&trader]),
        ("identifier=duns:150483782", vec![&trader]),
        ("identifier=vat:CL-99", vec![&refiner]),
        ("identifier=vat:nobody", vec![]),
        ("q=%C3%91U%C3%91OA", vec![&coop]),
        ("q=gold", vec![&trader]),
        ("q=%25", vec![]),
        ("q=r", vec![&trader, &coop, &refiner]),
    ];
    for (query, expected) in cases {
        let found = app.ids(&format!("/v1/parties?{query}")).await;
        let expected: Vec<String> = expected.into_iter().map(HasId::id).collect();
        assert_eq!(found, expected, "{query}");
    }
    for bad in [
        "role=king",
        "country=ZZ",
        "identifier=lei",
        "identifier=tax:1",
        "identifier=lei:123",
        "q=",
        "colour=red",
    ] {
        app.get(&format!("/v1/parties?{bad}"), &app.operator)
            .expect_problem(400)
            .await;
    }
}

async fn purchasers_cannot_write_parties(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let existing = party(&app, "Known", &["trader"]).await;
    for request in [
        app.post("/v1/parties", &buyer, &valid()),
        app.post("/v1/parties/batch", &buyer, &[valid()]),
        app.patch(
            &format!("/v1/parties/{}", existing.id()),
            &buyer,
            &json!({"name": "Mine now"}),
        ),
    ] {
        let problem = request.expect_problem(403).await;
        assert_eq!(problem["type"], "urn:oretrace:problem:insufficient-scope");
    }
    assert_eq!(app.ids("/v1/parties").await.len(), 1);
}

both_backends!(
    parties_are_created_read_and_patched,
    every_bad_party_field_is_named,
    party_identifiers_are_unique,
    parties_are_filtered,
    purchasers_cannot_write_parties,
);
