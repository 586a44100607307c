//! The HTTP conventions every route shares: problem+json errors, request ids, idempotency,
//! rate limits, body limits and security headers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Expect, TestApp, assert_problem, pointers, send, send_raw};

async fn malformed_bodies_are_problems(app: TestApp) {
    let post = |content_type: &str, body: Vec<u8>| {
        app.with_body(
            Method::POST,
            "/v1/organisations",
            &app.operator,
            content_type,
            body,
        )
    };
    let json = |body: &str| post("application/json", body.as_bytes().to_vec());
    json("{\"name\":").expect_problem(400).await;
    json("\u{0}\u{1}").expect_problem(400).await;
    post("application/x-www-form-urlencoded", b"name=x".to_vec())
        .expect_problem(415)
        .await;
    post("text/plain", b"{\"name\":\"x\"}".to_vec())
        .expect_problem(415)
        .await;
    let no_type = app
        .request(Method::POST, "/v1/organisations", &app.operator)
        .body("{\"name\":\"x\"}");
    no_type.expect_problem(415).await;

    let invalid_utf8 = b"{\"name\":\"\xff\xfe\"}".to_vec();
    post("application/json", invalid_utf8)
        .expect_problem(400)
        .await;

    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let status = send_raw(json(&deep)).await.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");

    // Beyond i64 and f64: a bad value where a name is expected, or a number JSON cannot hold.
    let beyond_i64 = json(r#"{"name":"x","kind":123456789012345678901234567890}"#);
    assert_eq!(
        pointers(&beyond_i64.expect_problem(422).await),
        vec!["/kind"]
    );
    let beyond_f64 = json(r#"{"name":"x","kind":1e400}"#);
    assert_eq!(
        pointers(&beyond_f64.expect_problem(422).await),
        vec!["/kind"]
    );
    let megabyte_string = format!(r#"{{"name":"{}"}}"#, "é".repeat(100_000));
    let long = json(&megabyte_string).expect_problem(422).await;
    assert_eq!(pointers(&long), vec!["/name"]);
}

async fn oversize_bodies_are_413_before_anything_is_written(app: TestApp) {
    let big_name = "x".repeat(app.config.json_body_limit + 10);
    app.post(
        "/v1/organisations",
        &app.operator,
        &json!({"name": big_name}),
    )
    .expect_problem(413)
    .await;
    let ten_megabytes = vec![b' '; 10 * 1024 * 1024];
    app.with_body(
        Method::POST,
        "/v1/organisations",
        &app.operator,
        "application/json",
        ten_megabytes,
    )
    .expect_problem(413)
    .await;
    let (_, list) = send(app.get("/v1/organisations", &app.operator)).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "only the operator exists"
    );
}

async fn unknown_routes_and_wrong_methods_are_problems(app: TestApp) {
    app.http
        .get(app.url("/v1/no-such-thing"))
        .expect_problem(404)
        .await;
    let wrong = send_raw(app.http.delete(app.url("/v1/me"))).await;
    assert_eq!(wrong.headers()["allow"], "GET");
    assert_problem(wrong, 405).await;
    let wrong = send_raw(app.http.put(app.url("/v1/organisations"))).await;
    let allow = wrong.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_problem(wrong, 405).await;
    app.http
        .patch(app.url("/v1/organisations/abc/clients"))
        .expect_problem(405)
        .await;
}

async fn request_ids_are_echoed_or_generated(app: TestApp) {
    let response = send_raw(
        app.http
            .get(app.url("/v1/me"))
            .header("x-request-id", "erp-run-42"),
    )
    .await;
    assert_eq!(response.headers()["x-request-id"], "erp-run-42");
    let problem = assert_problem(response, 401).await;
    assert_eq!(problem["request_id"], "erp-run-42");
    assert_eq!(problem["instance"], "/v1/me");

    let response = send_raw(
        app.http
            .get(app.url("/health/live"))
            .header("x-request-id", "bad id with spaces"),
    )
    .await;
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 32, "a fresh id replaces an unusable one");
}

async fn idempotency_keys_replay_and_refuse_reuse(app: TestApp) {
    let create = |name: &str, key: &str| {
        app.post("/v1/organisations", &app.operator, &json!({"name": name}))
            .header("idempotency-key", key.to_owned())
    };
    let first = send_raw(create("Replayed Ltd", "key-1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_location = first.headers()["location"].clone();
    let first_body: serde_json::Value = first.json().await.unwrap();

    let again = send_raw(create("Replayed Ltd", "key-1")).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], first_location);
    let again_body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(
        again_body, first_body,
        "the same response, not a second organisation"
    );

    let problem = create("Someone Else", "key-1").expect_problem(409).await;
    assert_eq!(
        problem["type"],
        "urn:oretrace:problem:idempotency-key-reused"
    );

    // Validation failures are definitive and replayed too; they wrote nothing.
    create("", "key-2").expect_problem(422).await;
    let bad_again = send_raw(create("", "key-2")).await;
    assert_eq!(bad_again.headers()["idempotent-replayed"], "true");

    // Keys belong to an organisation: another organisation may use the same key.
    let (_, list) = send(app.get("/v1/organisations", &app.operator)).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.iter().filter(|n| **n == "Replayed Ltd").count(), 1);

    create("X", "has space").expect_problem(400).await;
}

async fn security_headers_are_set_and_cors_is_off(app: TestApp) {
    let response = send_raw(
        app.http
            .get(app.url("/health/live"))
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(headers.get("access-control-allow-origin").is_none());
    let docs = send_raw(app.http.get(app.url("/docs/"))).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let redirect = send_raw(app.http.get(app.url("/docs"))).await;
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    let spec = send_raw(app.http.get(app.url("/openapi.json"))).await;
    assert_eq!(spec.status(), StatusCode::OK);
    let spec: serde_json::Value = spec.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
}

async fn rate_limits_answer_429_per_organisation(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.rate_limit.per_second = 1;
        config.rate_limit.burst = 6;
    })
    .await
    else {
        return;
    };
    // The operator spends four of its own six on these.
    let a = app.purchaser("A").await;
    let b = app.purchaser("B").await;
    for _ in 0..6 {
        let response = send_raw(app.get("/v1/me", &a)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().contains_key("ratelimit-remaining"));
    }
    let limited = send_raw(app.get("/v1/me", &a)).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let problem = assert_problem(limited, 429).await;
    assert_eq!(problem["type"], "urn:oretrace:problem:rate-limited");
    // Probes, metrics, keys and the contract are never charged, even with A's token along.
    for path in [
        "/health/ready",
        "/metrics",
        "/.well-known/jwks.json",
        "/openapi.json",
    ] {
        let response = send_raw(app.get(path, &a)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let other = send_raw(app.get("/v1/me", &b)).await;
    assert_eq!(other.status(), StatusCode::OK, "B has its own budget");
}

mod rate_limits {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        rate_limits_answer_429_per_organisation(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        rate_limits_answer_429_per_organisation(Backend::Postgres).await;
    }
}

async fn head_and_options_are_answered_as_problems(app: TestApp) {
    app.http
        .request(Method::OPTIONS, app.url("/v1/me"))
        .expect_problem(405)
        .await;
}

both_backends!(
    malformed_bodies_are_problems,
    oversize_bodies_are_413_before_anything_is_written,
    unknown_routes_and_wrong_methods_are_problems,
    request_ids_are_echoed_or_generated,
    idempotency_keys_replay_and_refuse_reuse,
    security_headers_are_set_and_cors_is_off,
    head_and_options_are_answered_as_problems,
);
