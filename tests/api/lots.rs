//! Lots: recorded, read and listed by their organisation only.

use reqwest::StatusCode;

use crate::both_backends;
use crate::builders::Lot;
use crate::fixtures::{self, lot};
use crate::helpers::{Expect, HasId, TestApp, pointers};

async fn lots_are_created_read_and_listed(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let holder = fixtures::supplier(&app, "Refinery SA").await;
    let bar = Lot::new("BAR-1").form("metal").kg(1.25).holder(&holder);
    let created = app.create_lot(&org, &bar).await;
    let id = created.id();
    assert_eq!(created["quantity"]["mg"], 1_250_000);
    assert_eq!(created["quantity"]["kg"], "1.25");
    assert_eq!(created["recycled"], false);
    assert_eq!(created["origin_event_id"], serde_json::Value::Null);
    let read = app
        .get(&format!("/v1/lots/{id}"), &org)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(read, created);
    let scrap = Lot::new("SCRAP-1")
        .form("scrap")
        .quantity(3, "troy_oz")
        .with("recycled", true);
    let scrap = app.create_lot(&org, &scrap).await;
    assert_eq!(scrap["recycled"], true);
    let page = app.items(&org, "/v1/lots?recycled=true").await;
    assert_eq!(page.len(), 1);
    let page = app.items(&org, "/v1/lots?form=metal&mineral=gold").await;
    assert_eq!(page[0]["id"], id.as_str());
    let page = app
        .items(&org, &format!("/v1/lots?holder_party_id={holder}"))
        .await;
    assert_eq!(page.len(), 1);
    let page = app.items(&org, "/v1/lots?external_ref=SCRAP-1").await;
    assert_eq!(page[0]["external_ref"], "SCRAP-1");
    let page = app
        .get("/v1/lots?limit=1", &org)
        .expect_status(StatusCode::OK)
        .await;
    let cursor = page["next_cursor"].as_str().expect("next page");
    let next = app
        .get(&format!("/v1/lots?limit=1&cursor={cursor}"), &org)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(next["items"][0]["external_ref"], "SCRAP-1");
    assert_eq!(next["next_cursor"], serde_json::Value::Null);
}

async fn bad_lots_are_refused(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let body = Lot::new("BAR-1").form("metal");
    app.create_lot(&org, &body).await;
    let problem = app.post("/v1/lots", &org, &body).expect_problem(422).await;
    assert_eq!(pointers(&problem), ["/external_ref"]);
    let metal = Lot::new("X").form("metal");
    for (bad, pointer) in [
        (metal.clone().kg(0), "/quantity/value"),
        (metal.clone().kg(-1), "/quantity/value"),
        (Lot::new("X").form("liquid"), "/form"),
        (Lot::new("").form("metal"), "/external_ref"),
        (
            metal.clone().holder(&uuid::Uuid::now_v7().to_string()),
            "/holder_party_id",
        ),
        (metal.clone().with("colour", "gold"), "/colour"),
    ] {
        let problem = app.post("/v1/lots", &org, &bad).expect_problem(422).await;
        assert_eq!(pointers(&problem), [pointer], "{bad} -> {problem}");
    }
    assert_eq!(
        app.items(&org, "/v1/lots").await.len(),
        1,
        "nothing else written"
    );
    // A catalog-only client cannot write lots.
    let reader = app
        .organisation("Reader", "purchaser", &["provenance:read"])
        .await;
    app.post("/v1/lots", &reader, &body)
        .expect_problem(403)
        .await;
}

async fn another_organisations_lot_is_404(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let other = app.purchaser("Rival").await;
    let id = lot(&app, &org, "ORE-1", 10.0).await;
    app.get(&format!("/v1/lots/{id}"), &other)
        .expect_problem(404)
        .await;
    app.get(&format!("/v1/lots/{}", uuid::Uuid::now_v7()), &org)
        .expect_problem(404)
        .await;
    // The same external_ref is free in another organisation.
    lot(&app, &other, "ORE-1", 10.0).await;
    assert_eq!(app.items(&other, "/v1/lots").await.len(), 1);
}

both_backends!(
    lots_are_created_read_and_listed,
    bad_lots_are_refused,
    another_organisations_lot_is_404,
);
