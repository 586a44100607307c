//! The audit trail: every catalog write, readable by operators, never another organisation's
//! own events.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::fixtures::{irma, lsm_mine, party};
use crate::helpers::{Expect, HasId, TestApp, send};

async fn catalog_writes_are_audited(app: TestApp) {
    let mine = lsm_mine(&app, "Audited mine").await;
    app.patch_facility(&mine.id(), &json!({"name": "Audited mine, renamed"}))
        .await;
    let cert = irma(&app, &mine.id(), "IRMA-A").await;
    app.patch_certification(
        &cert.id(),
        &json!({"status": "suspended", "effective_on": "2026-01-01", "reason": "audit"}),
    )
    .await;
    party(&app, "Audited party", &["trader"]).await;

    let events = app
        .all_items(&format!(
            "/v1/audit-events?entity_type=facility&entity_id={}",
            mine.id()
        ))
        .await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events[0]["client_id"], app.operator.client_id.as_str());
    assert_eq!(events[0]["organisation_id"], app.operator.org_id.as_str());
    assert_eq!(events[1]["action"], "update");
    assert_eq!(
        events[1]["changes"],
        json!({"name": {"from": "Audited mine", "to": "Audited mine, renamed"}})
    );
    let cert_events = app
        .all_items(&format!(
            "/v1/audit-events?entity_type=certification&entity_id={}",
            cert.id()
        ))
        .await;
    assert_eq!(cert_events.len(), 2);
    assert_eq!(
        cert_events[1]["changes"]["status"],
        json!({"from": "active", "to": "suspended"})
    );
    assert_eq!(
        cert_events[1]["changes"]["history_entry"],
        json!({"effective_on": "2026-01-01", "reason": "audit"})
    );
    assert_eq!(
        app.all_items("/v1/audit-events?entity_type=party")
            .await
            .len(),
        1
    );
    for bad in ["entity_type=mine", "entity_id=", "limit=0"] {
        app.get(&format!("/v1/audit-events?{bad}"), &app.operator)
            .expect_problem(400)
            .await;
    }
}

async fn the_trail_never_shows_another_organisations_own_events(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    // A purchaser reads only its own organisation's trail, never the shared catalog's.
    app.get("/v1/audit-events?entity_type=facility", &buyer)
        .expect_problem(403)
        .await;
    let catalog_only = app
        .organisation("Reader", "purchaser", &["catalog:read"])
        .await;
    app.get("/v1/audit-events", &catalog_only)
        .expect_problem(403)
        .await;
    // A second operator keeps the catalog with only catalog:write.
    let curator = app
        .organisation("Curator", "operator", &["catalog:read", "catalog:write"])
        .await;
    let mine = lsm_mine(&app, "Shared mine").await;
    // The first operator's own events (registering organisations and clients) stay its own.
    let mine_for_curator = app.all_items("/v1/audit-events").await;
    assert!(
        mine_for_curator
            .iter()
            .any(|e| e["entity_type"] == "organisation")
    );
    let (status, seen) = send(app.get("/v1/audit-events?limit=500", &curator)).await;
    assert_eq!(status, StatusCode::OK);
    let seen = seen["items"].as_array().unwrap();
    assert!(
        seen.iter().any(|e| e["entity_id"] == mine.id().as_str()),
        "catalog is shared"
    );
    assert!(
        seen.iter()
            .all(|e| e["entity_type"] != "organisation" && e["entity_type"] != "api_client"),
        "another organisation's own events never show: {seen:?}"
    );
    let (_, filtered) = send(app.get("/v1/audit-events?entity_type=organisation", &curator)).await;
    assert_eq!(filtered["items"], json!([]));
    let (status, buyer_seen) = send(app.get("/v1/audit-events?limit=500", &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        buyer_seen["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["entity_type"] != "facility" && e["entity_type"] != "organisation"),
        "a purchaser sees neither the catalog nor another organisation's events: {buyer_seen:?}"
    );
    let admin_only = app.organisation("Admins", "operator", &["admin"]).await;
    let (status, _) = send(app.get("/v1/audit-events", &admin_only)).await;
    assert_eq!(status, StatusCode::OK);
}

both_backends!(
    catalog_writes_are_audited,
    the_trail_never_shows_another_organisations_own_events,
);
