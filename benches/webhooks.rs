//! Webhook deliveries under load (issue 11): `BENCH_EVENTS` events (default 250) announced to
//! one organisation with `BENCH_SUBSCRIPTIONS` subscriptions (default 8), so events × subscriptions
//! signed deliveries, each claimed from the database, posted to a receiver on this machine and
//! recorded (an attempt row, the delivery's status). Beside it, the reference: the least work
//! that gives the receiver the same requests, one task per subscription posting the same bodies
//! in order with the same HTTP client, no database and no signature. The bench prints
//! deliveries per second of both and their ratio.
//!
//!   cargo bench --bench webhooks                     # PostgreSQL, then SQLite
//!   BENCH_BACKEND=sqlite BENCH_EVENTS=500 cargo bench --bench webhooks

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;

use oretrace::app::webhooks::announce;
use oretrace::db::{Backend, ConnectionManager, DatabaseUrl, DbConn, write_transaction};
use oretrace::domain::webhook::EventType;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A receiver that counts what it gets and answers 204.
async fn receiver() -> (String, Arc<AtomicU64>, actix_web::dev::ServerHandle) {
    let count = Arc::new(AtomicU64::new(0));
    let counted = web::Data::from(count.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(counted.clone())
            .default_service(web::to(
                |_body: web::Bytes, n: web::Data<AtomicU64>| async move {
                    n.fetch_add(1, Ordering::Relaxed);
                    HttpResponse::NoContent().finish()
                },
            ))
    })
    .workers(2)
    .bind("127.0.0.1:0")
    .expect("bind the receiver");
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (url, count, handle)
}

async fn wait_for(count: &AtomicU64, n: u64, limit: Duration) -> Duration {
    let started = Instant::now();
    while count.load(Ordering::Relaxed) < n {
        assert!(
            started.elapsed() < limit,
            "only {} of {n} deliveries arrived within {limit:?}",
            count.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

/// A body of the size an Oretrace delivery has.
fn body(i: usize) -> String {
    json!({"id": format!("0193a0c4-0000-7000-8000-{i:012}"), "type": "purchases.batch_completed",
           "timestamp": "2026-12-06T20:00:00Z", "organisation_id": "0193a0c4-0000-7000-8000-000000000000",
           "seq": i, "data": {"batch_id": "0193a0c4-0000-7000-8000-000000000001", "rows": 1,
           "created": 1, "updated": 0, "unchanged": 0, "via": "api",
           "changed_purchase_ids": ["0193a0c4-0000-7000-8000-000000000002"],
           "changed_purchase_ids_truncated": false}})
    .to_string()
}

async fn run(backend: Backend) {
    let events = env_usize("BENCH_EVENTS", 250);
    let subscriptions = env_usize("BENCH_SUBSCRIPTIONS", 8);
    let deliveries = (events * subscriptions) as u64;
    let dir = tempfile::tempdir().unwrap();
    let database = common::database_name("oretrace_bench_webhooks");
    let (bench, handle) = common::start(
        backend,
        dir.path(),
        &database,
        "purchases:read purchases:write webhooks:manage events:read",
    )
    .await;
    let (url, count, receiver_handle) = receiver().await;
    for i in 0..subscriptions {
        bench
            .post(
                &bench.buyer_token,
                "/v1/webhooks",
                &json!({"url": format!("{url}/hook/{i}"),
                        "event_types": ["purchases.batch_completed"]}),
            )
            .await;
    }

    // The reference: the same requests, in order per subscription, nothing else.
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..subscriptions {
        let (http, url) = (http.clone(), format!("{url}/hook/{s}"));
        tasks.push(tokio::spawn(async move {
            for i in 0..events {
                let sent = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body(i))
                    .send()
                    .await
                    .expect("reference post");
                assert!(sent.status().is_success());
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let reference = started.elapsed();
    assert_eq!(count.load(Ordering::Relaxed), deliveries);
    count.store(0, Ordering::Relaxed);

    // Oretrace: the events announced in one transaction (as many writes would), delivered by
    // the service's worker.
    let url = DatabaseUrl::parse(&bench.database_url).unwrap();
    let organisation = bench.buyer;
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        let mut conn: DbConn = ConnectionManager::new(url, Duration::from_secs(60))
            .establish()
            .expect("connect");
        write_transaction(&mut conn, |conn| {
            for i in 0..events {
                announce(
                    conn,
                    organisation,
                    EventType::PurchasesBatchCompleted,
                    serde_json::from_str(&body(i)).unwrap(),
                )
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("announce");
    })
    .await
    .unwrap();
    let announced = started.elapsed();
    let delivered = wait_for(&count, deliveries, Duration::from_secs(600)).await + announced;

    let rate = |d: Duration| deliveries as f64 / d.as_secs_f64();
    println!(
        "{backend:?}: {deliveries} deliveries ({events} events x {subscriptions} subscriptions), \
         receiver on this machine"
    );
    println!(
        "  reference (same posts, in order per subscription, no database): {:>8.0} /s",
        rate(reference)
    );
    println!(
        "  Oretrace (outbox, claim, sign, post, record):                   {:>8.0} /s  ({:.2}x the reference; announcing took {})",
        rate(delivered),
        rate(delivered) / rate(reference),
        common::ms(announced)
    );
    receiver_handle.stop(false).await;
    handle.stop(false).await;
    if backend == Backend::Postgres {
        common::drop_database(&database);
    }
}

#[tokio::main]
async fn main() {
    let backends = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => vec![Backend::Postgres],
        Ok("sqlite") => vec![Backend::Sqlite],
        _ => vec![Backend::Postgres, Backend::Sqlite],
    };
    for backend in backends {
        run(backend).await;
    }
}
