//! Parties: companies and organisations of the shared catalog.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::fixtures::{create, id, ids, party};
use crate::helpers::{TestApp, assert_problem, pointers, send, send_raw};

const LEI: &str = "5493001KJTIIGC8Y1R12";

fn valid() -> Value {
    json!({
        "name": "  Andes Gold Traders SAC (fictional) ",
        "roles": ["trader", "supplier"],
        "country": "PE",
        "identifiers": [{"scheme": "lei", "value": LEI}, {"scheme": "duns", "value": "15-048-3782"}]
    })
}

async fn parties_are_created_read_and_patched(app: TestApp) {
    let response = send_raw(app.post("/v1/parties", &app.operator, &valid())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/v1/parties/{}", id(&created)));
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

    let (status, patched) = send(
        app.request(Method::PATCH, &location, &app.operator)
            .header("content-type", "application/merge-patch+json")
            .body(json!({"country": null, "roles": ["smelter_refiner"]}).to_string()),
    )
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
        let response = send_raw(
            app.request(Method::PATCH, &location, &app.operator)
                .json(&patch),
        )
        .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{patch}");
    }
    let missing = send_raw(
        app.request(
            Method::PATCH,
            "/v1/parties/0193c3a0-0000-7000-8000-000000000000",
            &app.operator,
        )
        .json(&json!({"name": "x"})),
    )
    .await;
    assert_problem(missing, 404).await;
    assert_problem(send_raw(app.get("/v1/parties/nope", &buyer)).await, 400).await;
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
        let mut body = valid();
        body[field] = value;
        let problem = assert_problem(
            send_raw(app.post("/v1/parties", &app.operator, &body)).await,
            422,
        )
        .await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{body}");
    }
    // Every bad field at once.
    let problem = assert_problem(
        send_raw(app.post(
            "/v1/parties",
            &app.operator,
            &json!({"name": " ", "roles": ["king"], "country": "ZZ",
                    "identifiers": [{"scheme": "lei", "value": "x"}]}),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&problem),
        vec!["/name", "/roles/0", "/country", "/identifiers/0/value"]
    );
    assert_eq!(ids(&app, "/v1/parties").await.len(), 0, "nothing written");
}

async fn party_identifiers_are_unique(app: TestApp) {
    let first = create(&app, "/v1/parties", valid()).await;
    let mut again = valid();
    again["identifiers"] = json!([{"scheme": "lei", "value": LEI.to_lowercase()}]);
    let problem = assert_problem(
        send_raw(app.post("/v1/parties", &app.operator, &again)).await,
        409,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&id(&first)),
        "names the holder: {problem}"
    );
    let other = party(&app, "Other", &["trader"]).await;
    let response = send_raw(
        app.request(
            Method::PATCH,
            &format!("/v1/parties/{}", id(&other)),
            &app.operator,
        )
        .json(&json!({"identifiers": [{"scheme": "lei", "value": LEI}]})),
    )
    .await;
    assert_problem(response, 409).await;
}

async fn parties_are_filtered(app: TestApp) {
    let trader = create(&app, "/v1/parties", valid()).await;
    let coop = create(
        &app,
        "/v1/parties",
        json!({"name": "Cooperativa Ñuñoa", "roles": ["asm_organisation"], "country": "BO"}),
    )
    .await;
    let refiner = create(
        &app,
        "/v1/parties",
        json!({"name": "Refinería del Sur", "roles": ["smelter_refiner", "trader"],
               "identifiers": [{"scheme": "vat", "value": "CL-99"}]}),
    )
    .await;
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
        let found = ids(&app, &format!("/v1/parties?{query}")).await;
        let expected: Vec<String> = expected.into_iter().map(id).collect();
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
        assert_problem(
            send_raw(app.get(&format!("/v1/parties?{bad}"), &app.operator)).await,
            400,
        )
        .await;
    }
}

async fn purchasers_cannot_write_parties(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let existing = party(&app, "Known", &["trader"]).await;
    for response in [
        send_raw(app.post("/v1/parties", &buyer, &valid())).await,
        send_raw(app.post("/v1/parties/batch", &buyer, &json!([valid()]))).await,
        send_raw(
            app.request(
                Method::PATCH,
                &format!("/v1/parties/{}", id(&existing)),
                &buyer,
            )
            .json(&json!({"name": "Mine now"})),
        )
        .await,
    ] {
        let problem = assert_problem(response, 403).await;
        assert_eq!(problem["type"], "urn:oretrace:problem:insufficient-scope");
    }
    assert_eq!(ids(&app, "/v1/parties").await.len(), 1);
}

both_backends!(
    parties_are_created_read_and_patched,
    every_bad_party_field_is_named,
    party_identifiers_are_unique,
    parties_are_filtered,
    purchasers_cannot_write_parties,
);
