//! Catalog fixtures created through the real API (as the operator), for the purchase, mix and
//! provenance tests.

use serde_json::{Value, json};

use crate::helpers::{TestApp, send};

/// A supplier party.
pub async fn party(app: &TestApp, name: &str) -> String {
    let (status, body) = send(app.post(
        "/v1/parties",
        &app.operator,
        &json!({"name": name, "roles": ["supplier", "trader"], "country": "CH"}),
    ))
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// A mine of `scale` (asm or lsm) in `country`.
pub async fn mine(app: &TestApp, name: &str, scale: &str, country: &str) -> String {
    facility(
        app,
        json!({"name": name, "kind": "mine", "mining_scale": scale, "minerals": ["gold", "tin"],
               "country": country, "status": "operating"}),
    )
    .await
}

/// A facility from a full body.
pub async fn facility(app: &TestApp, body: Value) -> String {
    let (status, created) = send(app.post("/v1/facilities", &app.operator, &body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// A certificate of a facility.
pub async fn certify(
    app: &TestApp,
    facility_id: &str,
    scheme: &str,
    level: Option<&str>,
    valid_from: &str,
    valid_until: &str,
) -> String {
    let mut body = json!({
        "subject": {"type": "facility", "id": facility_id},
        "scheme": scheme, "status": "active",
        "valid_from": valid_from, "valid_until": valid_until,
    });
    if let Some(level) = level {
        body["level"] = json!(level);
    }
    let (status, created) = send(app.post("/v1/certifications", &app.operator, &body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Records a status change of a certificate effective on a date.
pub async fn change_status(
    app: &TestApp,
    certification_id: &str,
    status: &str,
    effective_on: &str,
) {
    let (code, body) = send(
        app.request(
            reqwest::Method::PATCH,
            &format!("/v1/certifications/{certification_id}"),
            &app.operator,
        )
        .json(&json!({"status": status, "effective_on": effective_on, "reason": "test"})),
    )
    .await;
    assert_eq!(code, 200, "{body}");
}
