//! Certification lookup at 32 connections (issue 10): `GET /v1/facilities/{id}/certifications`
//! through the whole service (JWT, rate-limit and idempotency layers, pagination, the as-of
//! standing of each certificate) beside a minimal actix-web + diesel handler in the same process
//! that runs the same SQL (`store::certification::list`: the certificates, their minerals, their
//! history) with no authentication and answers the rows as JSON. Both serve the same facilities
//! from the same database, one after the other, for `BENCH_SECONDS` each (default 10); the bench
//! prints requests per second and their ratio (the target is ≥ 0.7).
//!
//!   cargo bench --bench lookup                 # PostgreSQL, then SQLite
//!   BENCH_BACKEND=postgres BENCH_SECONDS=20 cargo bench --bench lookup

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;

use common::Bench;
use oretrace::db::{Backend, DatabaseUrl, Db, PoolSettings};
use oretrace::domain::vocabulary::SubjectType;
use oretrace::store::certification::{self, CertificationFilter};

const FACILITIES: usize = 200;
const CONNECTIONS: usize = 32;

/// Facilities with two certificates each (IRMA for gold, the Copper Mark for copper), through
/// the API.
async fn catalog(bench: &Bench) -> Vec<String> {
    let mut ids = Vec::with_capacity(FACILITIES);
    for n in 0..FACILITIES {
        let facility = bench
            .post(
                &bench.operator_token,
                "/v1/facilities",
                &json!({"name": format!("Mine {n}"), "kind": "mine", "mining_scale": "lsm",
                        "minerals": ["gold", "copper"], "country": "PE"}),
            )
            .await;
        let id = facility["id"].as_str().unwrap().to_owned();
        for (scheme, level, mineral) in [
            ("irma", Some("irma_50"), "gold"),
            ("copper_mark", None, "copper"),
        ] {
            bench
                .post(
                    &bench.operator_token,
                    "/v1/certifications",
                    &json!({
                        "subject": {"type": "facility", "id": id}, "scheme": scheme, "level": level,
                        "status": "active", "valid_from": "2024-01-01", "valid_until": "2027-12-31",
                        "minerals": [mineral],
                    }),
                )
                .await;
        }
        ids.push(id);
    }
    ids
}

/// The reference: the same store call, no authentication, no middleware, rows as JSON.
async fn reference(db: web::Data<Db>, id: web::Path<uuid::Uuid>) -> HttpResponse {
    let filter = CertificationFilter {
        subject_type: Some(SubjectType::Facility),
        subject_id: Some(id.into_inner()),
        ..CertificationFilter::default()
    };
    match db
        .read(move |conn| {
            certification::list(conn, &filter, None, 51)
                .map_err(|e| oretrace::db::Unavailable(e.to_string()))
        })
        .await
    {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(e) => HttpResponse::ServiceUnavailable().body(e.0),
    }
}

/// Requests per second over `seconds` with `CONNECTIONS` connections, each asking for a
/// facility in turn; panics on any answer other than 200.
async fn load(
    http: &reqwest::Client,
    url_of: impl Fn(&str) -> String,
    token: Option<&str>,
    ids: &[String],
    seconds: u64,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let urls: Vec<String> = ids.iter().map(|id| url_of(id)).collect();
        let (http, done, stop) = (http.clone(), done.clone(), stop.clone());
        let token = token.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            let mut n = c;
            while !stop.load(Ordering::Relaxed) {
                let mut request = http.get(&urls[n % urls.len()]);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
                response.bytes().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
                n += CONNECTIONS;
            }
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let count = done.load(Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    count as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let backends = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => vec![Backend::Postgres],
        Ok("sqlite") => vec![Backend::Sqlite],
        _ => vec![Backend::Postgres, Backend::Sqlite],
    };
    let mut report = String::from(
        "\n| backend | connections | GET /v1/facilities/{id}/certifications (JWT) | minimal handler, same SQL (reference) | ratio |\n|---|---|---|---|---|\n",
    );
    for backend in backends {
        let dir = tempfile::tempdir().unwrap();
        let database = common::database_name("oretrace_bench_lookup");
        let (bench, handle) = common::start(backend, dir.path(), &database, "catalog:read").await;
        eprintln!("[{backend}] catalog…");
        let ids = catalog(&bench).await;

        let db = Db::new(
            &DatabaseUrl::parse(&bench.database_url).unwrap(),
            &PoolSettings {
                max_size: 10,
                checkout_timeout: Duration::from_secs(2),
                statement_timeout: Duration::from_secs(30),
            },
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(db);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/ref/{id}", web::get().to(reference))
        })
        .listen(listener)
        .unwrap()
        .run();
        let reference_handle = server.handle();
        tokio::spawn(server);

        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let base = bench.base.clone();
        let token = bench.buyer_token.clone();
        // A short warm-up of both, then the measured runs.
        load(
            &http,
            |id| format!("{base}/v1/facilities/{id}/certifications"),
            Some(&token),
            &ids,
            1,
        )
        .await;
        load(
            &http,
            |id| format!("http://127.0.0.1:{port}/ref/{id}"),
            None,
            &ids,
            1,
        )
        .await;
        eprintln!("[{backend}] timing, {seconds} s each…");
        let oretrace = load(
            &http,
            |id| format!("{base}/v1/facilities/{id}/certifications"),
            Some(&token),
            &ids,
            seconds,
        )
        .await;
        let minimal = load(
            &http,
            |id| format!("http://127.0.0.1:{port}/ref/{id}"),
            None,
            &ids,
            seconds,
        )
        .await;
        report.push_str(&format!(
            "| {backend} | {CONNECTIONS} | {oretrace:.0} req/s | {minimal:.0} req/s | {:.2}× |\n",
            oretrace / minimal
        ));
        reference_handle.stop(false).await;
        drop(handle.stop(false));
        if backend == Backend::Postgres {
            common::drop_database(&database);
        }
    }
    println!("{report}");
}
