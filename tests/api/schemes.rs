//! Certification schemes are seeded data: listed, read, paged.

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{Expect, TestApp, send};

async fn schemes_are_listed_with_ordered_levels(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let (status, page) = send(app.get("/v1/schemes?limit=500", &buyer)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for expected in [
        "irma",
        "fairmined",
        "craft",
        "fairtrade_gold",
        "rmi_rmap",
        "lbma_rgg",
        "rjc_cop",
        "rjc_coc",
        "copper_mark",
        "asi_performance",
        "asi_coc",
    ] {
        assert!(ids.contains(&expected), "{expected} in {ids:?}");
    }
    let (status, irma) = send(app.get("/v1/schemes/irma", &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        irma["levels"],
        serde_json::json!(["transparency", "irma_50", "irma_75", "irma_100"])
    );
    assert_eq!(irma["subjects"], serde_json::json!(["lsm_mine"]));
    for field in ["name", "owner", "url", "description"] {
        assert!(
            irma[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    let (_, rmap) = send(app.get("/v1/schemes/rmi_rmap", &buyer)).await;
    assert_eq!(rmap["levels"], serde_json::json!(["active", "conformant"]));
    let (_, craft) = send(app.get("/v1/schemes/craft", &buyer)).await;
    assert_eq!(craft["levels"], serde_json::json!([]));
    let (_, fairmined) = send(app.get("/v1/schemes/fairmined", &buyer)).await;
    assert_eq!(
        fairmined["minerals"],
        serde_json::json!(["gold", "silver", "platinum"])
    );
    app.get("/v1/schemes/nope", &buyer)
        .expect_problem(404)
        .await;
}

async fn schemes_page_by_id(app: TestApp) {
    let mut seen = Vec::new();
    let mut path = "/v1/schemes?limit=4".to_owned();
    loop {
        let (status, page) = send(app.get(&path, &app.operator)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for s in page["items"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/schemes?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in id order, no repeats");
    assert_eq!(seen.len(), 11);
    app.get("/v1/schemes?cursor=garbage", &app.operator)
        .expect_problem(400)
        .await;
    let no_scope = app
        .organisation("Reader-less", "purchaser", &["purchases:read"])
        .await;
    app.get("/v1/schemes", &no_scope).expect_problem(403).await;
}

both_backends!(schemes_are_listed_with_ordered_levels, schemes_page_by_id);
