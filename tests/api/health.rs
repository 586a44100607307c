//! Probes, metrics, and the behaviour while the database is away.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, TestDb, assert_problem, send, send_raw, test_config};
use crate::proxy::Proxy;

async fn probes_and_metrics_answer(app: TestApp) {
    let (status, live) = send(app.http.get(app.url("/health/live"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["status"], "ok");
    let (status, ready) = send(app.http.get(app.url("/health/ready"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["database"], app.backend.to_string());
    let metrics = send_raw(app.http.get(app.url("/metrics"))).await;
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("oretrace_http_requests_total"), "{text}");
    assert!(
        !text.contains(&app.operator.org_id),
        "no tenant ids in metric labels"
    );
}

both_backends!(probes_and_metrics_answer);

/// The database goes away under the service: requests get 503 with Retry-After (not 500, and
/// not a hang), readiness says so, and both recover by themselves when it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_gives_503_and_recovers() {
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    // Route the application's connections through a proxy we can cut.
    let (host_port, rest) = {
        let after_scheme = db.url.split_once("://").unwrap().1;
        let (authority, rest) = after_scheme.split_once('/').unwrap();
        let host_port = authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .to_owned();
        let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
        ((host_port, user), rest.to_owned())
    };
    let ((upstream, user), rest) = (host_port, rest);
    let upstream = if upstream.contains(':') {
        upstream
    } else {
        format!("{upstream}:5432")
    };
    let proxy = Proxy::start(upstream).await;
    let mut config = test_config(&db);
    config.database_url = oretrace::db::DatabaseUrl::parse(&format!(
        "postgres://{}127.0.0.1:{}/{}",
        user.unwrap_or_default(),
        proxy.port,
        rest
    ))
    .unwrap();
    config.pool.checkout_timeout = Duration::from_millis(500);
    let app = TestApp::start(db, config).await;

    let (status, _) = send(app.get("/v1/me", &app.operator)).await;
    assert_eq!(status, StatusCode::OK);

    proxy.cut();
    for path in ["/v1/me", "/v1/organisations"] {
        let started = Instant::now();
        let response = send_raw(app.get(path, &app.operator)).await;
        assert!(started.elapsed() < Duration::from_secs(5), "no hang");
        assert!(response.headers().contains_key("retry-after"));
        assert_problem(response, 503).await;
    }
    let ready = send_raw(app.http.get(app.url("/health/ready"))).await;
    assert!(ready.headers().contains_key("retry-after"));
    assert_problem(ready, 503).await;
    let (status, _) = send(app.http.get(app.url("/health/live"))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "liveness does not depend on the database"
    );

    proxy.restore();
    let back = Instant::now();
    loop {
        let (status, _) = send(app.http.get(app.url("/health/ready"))).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "recovered by itself"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, me) = send(app.get("/v1/me", &app.operator)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
}
