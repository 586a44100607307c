//! Builders for catalog fixtures, through the API as the operator.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, send};

/// POSTs `body` to `path` as the operator and returns the created resource.
pub async fn create(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, created) = send(app.post(path, &app.operator, &body)).await;
    assert_eq!(status, StatusCode::CREATED, "POST {path} {body}: {created}");
    created
}

pub async fn party(app: &TestApp, name: &str, roles: &[&str]) -> Value {
    create(
        app,
        "/v1/parties",
        json!({"name": name, "roles": roles, "country": "PE"}),
    )
    .await
}

pub fn id(resource: &Value) -> String {
    resource["id"].as_str().expect("id").to_owned()
}

pub async fn asm_mine(app: &TestApp, name: &str) -> Value {
    create(
        app,
        "/v1/facilities",
        json!({"name": name, "kind": "mine", "mining_scale": "asm", "minerals": ["gold"],
               "country": "PE", "location": {"lat": -13.0, "lon": -70.5}}),
    )
    .await
}

pub async fn lsm_mine(app: &TestApp, name: &str) -> Value {
    create(
        app,
        "/v1/facilities",
        json!({"name": name, "kind": "mine", "mining_scale": "lsm", "minerals": ["copper", "gold"],
               "country": "CL", "location": {"lat": -24.2, "lon": -69.1}}),
    )
    .await
}

pub async fn smelter(app: &TestApp, name: &str, cid: &str) -> Value {
    create(
        app,
        "/v1/facilities",
        json!({"name": name, "kind": "smelter", "minerals": ["tin"], "country": "MY",
               "identifiers": [{"scheme": "rmi_cid", "value": cid}],
               "location": {"lat": 4.6, "lon": 101.1}}),
    )
    .await
}

/// An IRMA certificate of an LSM mine, valid for 2025 and 2026.
pub async fn irma(app: &TestApp, mine_id: &str, number: &str) -> Value {
    create(
        app,
        "/v1/certifications",
        json!({"subject": {"type": "facility", "id": mine_id}, "scheme": "irma",
               "level": "irma_50", "status": "active", "valid_from": "2025-01-01",
               "valid_until": "2026-12-31", "certificate_number": number,
               "minerals": ["copper"]}),
    )
    .await
}

/// Every item of a list, following `next_cursor`.
pub async fn all_items(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{separator}limit=500");
    loop {
        let (status, page) = send(app.get(&url, &app.operator)).await;
        assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{path}{separator}limit=500&cursor={cursor}"),
            None => return items,
        }
    }
}

/// The ids of every item of a list.
pub async fn ids(app: &TestApp, path: &str) -> Vec<String> {
    all_items(app, path).await.iter().map(id).collect()
}

/// A supplier party; its id.
pub async fn supplier(app: &TestApp, name: &str) -> String {
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
        "valid_from": valid_from, "valid_until": valid_until, "minerals": ["gold"],
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
