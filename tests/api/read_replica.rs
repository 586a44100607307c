//! `ORETRACE_READ_DATABASE_URL` (issue 10, docs/OPERATIONS.md): heavy reads go to the replica
//! while its lag is known and within `ORETRACE_READ_MAX_LAG_MS`, and to the primary when it is
//! behind or unreachable, with no error either way; writes never go there. PostgreSQL only (a
//! replica of SQLite means nothing). `scripts/replica.sh` runs the same against a real hot
//! standby; here the "replica" is the primary itself (never in recovery: lag 0), or a port where
//! nothing listens.

use std::time::Duration;

use reqwest::StatusCode;

use crate::builders::PurchaseLine;
use crate::fixtures;
use crate::helpers::{Backend, TestApp, send, send_raw};
use oretrace::config::ReadReplicaConfig;

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = send_raw(app.http.get(app.url("/metrics")))
        .await
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

/// Waits (at most 10 s) until the replica's lag has been measured as `usable`.
async fn until_usable(app: &TestApp, usable: f64) {
    for _ in 0..100 {
        if metric(app, "oretrace_read_replica_usable").await == usable {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica never became usable = {usable}");
}

async fn spawn(replica_url: Option<&str>) -> Option<TestApp> {
    let replica_url = replica_url.map(str::to_owned);
    TestApp::spawn_with(Backend::Postgres, move |config| {
        let url = match replica_url {
            Some(url) => oretrace::db::DatabaseUrl::parse(&url).unwrap(),
            None => config.database_url.clone(),
        };
        config.read_replica = Some(ReadReplicaConfig {
            url,
            max_lag: Duration::from_secs(5),
        });
    })
    .await
}

/// Heavy reads go to a replica within its lag; what was just written is read back from the
/// primary (a purchase by id), and the answers are those of the primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_reads_go_to_a_replica_within_its_lag() {
    let Some(app) = spawn(None).await else {
        return;
    };
    until_usable(&app, 1.0).await;
    assert_eq!(metric(&app, "oretrace_read_replica_lag_ms").await, 0.0);
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let line = PurchaseLine::new("P-1", &supplier).kg(2).on("2026-03-01");
    let id = crate::helpers::HasId::id(&app.create_purchase(&buyer, &line).await);
    let before = metric(&app, "oretrace_read_replica_reads_total").await;
    let (status, mix) =
        send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(status, StatusCode::OK, "{mix}");
    assert_eq!(mix["overall"]["total_mg"], 2_000_000);
    let listed = app.items(&buyer, "/v1/purchases").await;
    assert_eq!(listed.len(), 1);
    // Another organisation reading through the replica sees none of it.
    let other = app.purchaser("Someone else").await;
    let (status, theirs) =
        send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &other)).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["overall"]["total_mg"], 0);
    assert!(app.items(&other, "/v1/purchases").await.is_empty());
    let after = metric(&app, "oretrace_read_replica_reads_total").await;
    assert_eq!(after - before, 4.0, "two mixes and two lists");
    let (status, _) = send(app.get(&format!("/v1/purchases/{id}"), &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        metric(&app, "oretrace_read_replica_reads_total").await,
        after,
        "a purchase by id is read from the primary"
    );
}

/// A replica that cannot be reached: its lag is unknown (-1), reads go to the primary and
/// answer as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_replica_falls_back_to_the_primary() {
    let Some(app) = spawn(Some(
        "postgres://postgres@127.0.0.1:9/nowhere?connect_timeout=1",
    ))
    .await
    else {
        return;
    };
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let line = PurchaseLine::new("P-1", &supplier).kg(2).on("2026-03-01");
    app.create_purchase(&buyer, &line).await;
    let (status, mix) =
        send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(status, StatusCode::OK, "{mix}");
    assert_eq!(mix["overall"]["total_mg"], 2_000_000);
    until_usable(&app, 0.0).await;
    assert_eq!(metric(&app, "oretrace_read_replica_lag_ms").await, -1.0);
    assert!(metric(&app, "oretrace_read_replica_fallbacks_total").await >= 1.0);
    assert_eq!(metric(&app, "oretrace_read_replica_reads_total").await, 0.0);
}
