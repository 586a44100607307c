//! The OAuth 2.0 client-credentials grant and `/v1/me`.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Expect, TestApp, assert_problem, send, send_raw};

async fn token_is_issued_and_identifies_the_caller(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let response = send_raw(app.http.post(app.url("/v1/auth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", buyer.client_id.as_str()),
        ("client_secret", buyer.secret.as_str()),
    ]))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(
        body["scope"],
        "catalog:read purchases:read purchases:write provenance:read provenance:write"
    );
    let token = body["access_token"].as_str().unwrap();
    let (status, me) = send(app.http.get(app.url("/v1/me")).bearer_auth(token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["organisation"]["id"], buyer.org_id.as_str());
    assert_eq!(me["organisation"]["kind"], "purchaser");
    assert_eq!(me["client_id"], buyer.client_id.as_str());
    assert_eq!(me["scopes"].as_array().unwrap().len(), 5);
}

async fn http_basic_client_authentication_works(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let (status, body) = send(
        app.http
            .post(app.url("/v1/auth/token"))
            .basic_auth(&buyer.client_id, Some(&buyer.secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "catalog:read"),
            ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "catalog:read", "a subset can be requested");
}

async fn token_errors_follow_rfc6749(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let token_url = app.url("/v1/auth/token");
    let form = |pairs: &[(&str, &str)]| {
        app.http.post(&token_url).form(
            &pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    };

    let wrong_secret = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &buyer.client_id),
        ("client_secret", "ots_wrong"),
    ])
    .expect_problem(401)
    .await;
    assert_eq!(wrong_secret["error"], "invalid_client");

    let unknown_client = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "otc_nobody"),
        ("client_secret", "x"),
    ])
    .expect_problem(401)
    .await;
    assert_eq!(
        unknown_client["detail"], wrong_secret["detail"],
        "no client enumeration"
    );

    let grant = form(&[
        ("grant_type", "password"),
        ("client_id", &buyer.client_id),
        ("client_secret", &buyer.secret),
    ])
    .expect_problem(400)
    .await;
    assert_eq!(grant["error"], "unsupported_grant_type");

    let missing = form(&[("client_id", "x")]).expect_problem(400).await;
    assert_eq!(missing["error"], "invalid_request");

    let scope = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &buyer.client_id),
        ("client_secret", &buyer.secret),
        ("scope", "admin"),
    ])
    .expect_problem(400)
    .await;
    assert_eq!(scope["error"], "invalid_scope");

    app.http
        .post(&token_url)
        .json(&json!({"grant_type": "client_credentials"}))
        .expect_problem(415)
        .await;
}

async fn revoked_clients_get_no_token(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let (status, revoked) = send(app.request(
        reqwest::Method::DELETE,
        &format!(
            "/v1/organisations/{}/clients/{}",
            buyer.org_id, buyer.client_id
        ),
        &app.operator,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let problem = app
        .http
        .post(app.url("/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", buyer.client_id.as_str()),
            ("client_secret", buyer.secret.as_str()),
        ])
        .expect_problem(401)
        .await;
    assert_eq!(problem["error"], "invalid_client");
}

async fn missing_scope_is_403_and_missing_token_is_401(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let forbidden =
        send_raw(app.post("/v1/organisations", &buyer, &json!({"name": "Sneaky"}))).await;
    let problem = assert_problem(forbidden, 403).await;
    assert_eq!(problem["type"], "urn:oretrace:problem:insufficient-scope");

    let anonymous = send_raw(app.http.get(app.url("/v1/me"))).await;
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_problem(anonymous, 401).await;

    app.http
        .get(app.url("/v1/me"))
        .basic_auth("user", Some("pass"))
        .expect_problem(401)
        .await;
}

both_backends!(
    token_is_issued_and_identifies_the_caller,
    http_basic_client_authentication_works,
    token_errors_follow_rfc6749,
    revoked_clients_get_no_token,
    missing_scope_is_403_and_missing_token_is_401,
);
