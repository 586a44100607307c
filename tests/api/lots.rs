//! Lots: recorded, read and listed by their organisation only.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::fixtures;
use crate::helpers::{TestApp, assert_problem, pointers, send, send_raw};

async fn lots_are_created_read_and_listed(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let holder = fixtures::supplier(&app, "Refinery SA").await;
    let (status, created) = send(app.post(
        "/v1/lots",
        &org,
        &json!({"external_ref": "BAR-1", "mineral": "gold", "form": "metal",
                "quantity": {"value": 1.25, "unit": "kg"}, "holder_party_id": holder}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = fixtures::id(&created);
    assert_eq!(created["quantity"]["mg"], 1_250_000);
    assert_eq!(created["quantity"]["kg"], "1.25");
    assert_eq!(created["recycled"], false);
    assert_eq!(created["origin_event_id"], serde_json::Value::Null);
    let (status, read) = send(app.get(&format!("/v1/lots/{id}"), &org)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);
    let (_, scrap) = send(app.post(
        "/v1/lots",
        &org,
        &json!({"external_ref": "SCRAP-1", "mineral": "gold", "form": "scrap",
                "quantity": {"value": 3, "unit": "troy_oz"}, "recycled": true}),
    ))
    .await;
    assert_eq!(scrap["recycled"], true);
    let (_, page) = send(app.get("/v1/lots?recycled=true", &org)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = send(app.get("/v1/lots?form=metal&mineral=gold", &org)).await;
    assert_eq!(page["items"][0]["id"], id.as_str());
    let (_, page) = send(app.get(&format!("/v1/lots?holder_party_id={holder}"), &org)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = send(app.get("/v1/lots?external_ref=SCRAP-1", &org)).await;
    assert_eq!(page["items"][0]["external_ref"], "SCRAP-1");
    let (_, page) = send(app.get("/v1/lots?limit=1", &org)).await;
    let cursor = page["next_cursor"].as_str().expect("next page");
    let (_, next) = send(app.get(&format!("/v1/lots?limit=1&cursor={cursor}"), &org)).await;
    assert_eq!(next["items"][0]["external_ref"], "SCRAP-1");
    assert_eq!(next["next_cursor"], serde_json::Value::Null);
}

async fn bad_lots_are_refused(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let body = json!({"external_ref": "BAR-1", "mineral": "gold", "form": "metal",
                      "quantity": {"value": 1, "unit": "kg"}});
    let (status, _) = send(app.post("/v1/lots", &org, &body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let problem = assert_problem(send_raw(app.post("/v1/lots", &org, &body)).await, 422).await;
    assert_eq!(pointers(&problem), ["/external_ref"]);
    for (bad, pointer) in [
        (
            json!({"external_ref": "X", "mineral": "gold", "form": "metal",
                "quantity": {"value": 0, "unit": "kg"}}),
            "/quantity/value",
        ),
        (
            json!({"external_ref": "X", "mineral": "gold", "form": "metal",
                "quantity": {"value": -1, "unit": "kg"}}),
            "/quantity/value",
        ),
        (
            json!({"external_ref": "X", "mineral": "gold", "form": "liquid",
                "quantity": {"value": 1, "unit": "kg"}}),
            "/form",
        ),
        (
            json!({"external_ref": "", "mineral": "gold", "form": "metal",
                "quantity": {"value": 1, "unit": "kg"}}),
            "/external_ref",
        ),
        (
            json!({"external_ref": "X", "mineral": "gold", "form": "metal",
                "quantity": {"value": 1, "unit": "kg"},
                "holder_party_id": uuid::Uuid::now_v7().to_string()}),
            "/holder_party_id",
        ),
        (
            json!({"external_ref": "X", "mineral": "gold", "form": "metal",
                "quantity": {"value": 1, "unit": "kg"}, "colour": "gold"}),
            "/colour",
        ),
    ] {
        let problem = assert_problem(send_raw(app.post("/v1/lots", &org, &bad)).await, 422).await;
        assert_eq!(pointers(&problem), [pointer], "{bad} -> {problem}");
    }
    let (_, page) = send(app.get("/v1/lots", &org)).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "nothing else written"
    );
    // A catalog-only client cannot write lots.
    let reader = app
        .organisation("Reader", "purchaser", &["provenance:read"])
        .await;
    assert_problem(send_raw(app.post("/v1/lots", &reader, &body)).await, 403).await;
}

async fn another_organisations_lot_is_404(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let other = app.purchaser("Rival").await;
    let id = crate::provenance::lot(&app, &org, "ORE-1", 10.0).await;
    assert_problem(
        send_raw(app.get(&format!("/v1/lots/{id}"), &other)).await,
        404,
    )
    .await;
    assert_problem(
        send_raw(app.get(&format!("/v1/lots/{}", uuid::Uuid::now_v7()), &org)).await,
        404,
    )
    .await;
    // The same external_ref is free in another organisation.
    crate::provenance::lot(&app, &other, "ORE-1", 10.0).await;
    let (_, page) = send(app.get("/v1/lots", &other)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

both_backends!(
    lots_are_created_read_and_listed,
    bad_lots_are_refused,
    another_organisations_lot_is_404,
);
