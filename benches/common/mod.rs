//! What the benchmarks share: a throwaway database on either backend, the release service on
//! a random port with an operator and a purchaser and their tokens, a deterministic generator,
//! and median timing. Each benchmark uses part of it.
#![allow(dead_code)]

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use oretrace::api::startup::{Application, migrate_with_retry};
use oretrace::auth::scopes::{Scope, ScopeSet};
use oretrace::config::{Config, SigningConfig};
use oretrace::db::{Backend, ConnectionManager, DatabaseUrl, DbConn};
use oretrace::domain::ids::OrganisationId;
use oretrace::store::organisation::OrganisationKind;
use oretrace::store::{api_client, organisation};
use serde_json::Value;

/// The PostgreSQL server that holds the throwaway databases.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A small deterministic generator (xorshift), so that runs are comparable.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The running service and who calls it.
pub struct Bench {
    pub base: String,
    pub http: reqwest::Client,
    /// An operator with every scope (catalog writes).
    pub operator_token: String,
    pub buyer_token: String,
    pub buyer: OrganisationId,
    pub database_url: String,
}

impl Bench {
    /// A connection of its own to the bench's database, for what is timed or read beside the
    /// service (the references, the sweeps' state).
    pub fn conn(&self) -> DbConn {
        ConnectionManager::new(
            DatabaseUrl::parse(&self.database_url).unwrap(),
            Duration::from_secs(120),
        )
        .establish()
        .expect("connect")
    }

    /// POSTs `body`, asserting a 2xx; the answer.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let body: Value = http
        .post(format!("{base}/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// The name of a benchmark's throwaway PostgreSQL database.
pub fn database_name(prefix: &str) -> String {
    format!("{prefix}_{}", std::process::id())
}

/// Starts the service on a fresh database (`database` names the PostgreSQL one; SQLite uses a
/// file in `dir`), with rate limits off, an operator and a purchaser holding `buyer_scopes`.
pub async fn start(
    backend: Backend,
    dir: &std::path::Path,
    database: &str,
    buyer_scopes: &str,
) -> (Bench, actix_web::dev::ServerHandle) {
    // The service's own warnings (a failed background sweep, say) on stderr; RUST_LOG to see
    // more. Quiet by default so that the tables stay readable.
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .try_init();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("bench.db").display()),
        Backend::Postgres => {
            let admin = admin_url();
            let mut conn = PgConnection::establish(&admin).expect("PostgreSQL for the benchmark");
            conn.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .expect("drop an old bench database");
            conn.batch_execute(&format!("CREATE DATABASE {database}"))
                .expect("create bench database");
            format!(
                "{}/{database}",
                admin.rsplit_once('/').map(|(a, _)| a).unwrap_or(&admin)
            )
        }
    };
    let mut config = Config::defaults_for(DatabaseUrl::parse(&url).expect("url"));
    config.bind = "127.0.0.1:0".into();
    config.rate_limit.per_second = 0;
    config.rate_limit.token_per_minute = 0;
    config.tokens.signing = SigningConfig::Ed25519 {
        key_file: dir.join("key.pem"),
        generate: true,
    };
    // The webhook bench's receiver listens on 127.0.0.1; deliveries are looked for often.
    config.webhooks.allow_private = true;
    config.webhooks.poll = Duration::from_millis(20);
    migrate_with_retry(&config, Duration::from_secs(5)).expect("migrate");
    let manager =
        ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout);
    let mut conn = manager.establish().expect("connect");
    let operator =
        organisation::insert(&mut conn, "Bench operator", OrganisationKind::Operator).unwrap();
    let all: ScopeSet = Scope::ALL.into_iter().collect();
    let (op_client, op_secret) = api_client::insert(&mut conn, operator.id, "bench", &all).unwrap();
    let buyer =
        organisation::insert(&mut conn, "Bench buyer", OrganisationKind::Purchaser).unwrap();
    let scopes = ScopeSet::parse(buyer_scopes).unwrap();
    let (buyer_client, buyer_secret) =
        api_client::insert(&mut conn, buyer.id, "bench", &scopes).unwrap();
    drop(conn);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::build_with_listener(config, listener).expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = app.into_server().expect("server");
    let handle = server.handle();
    tokio::spawn(server);
    let http = reqwest::Client::new();
    let bench = Bench {
        operator_token: token(&http, &base, &op_client.client_id, &op_secret).await,
        buyer_token: token(&http, &base, &buyer_client.client_id, &buyer_secret).await,
        buyer: buyer.id,
        base,
        http,
        database_url: url,
    };
    (bench, handle)
}

/// Drops a benchmark's throwaway PostgreSQL database.
pub fn drop_database(database: &str) {
    if let Ok(mut conn) = PgConnection::establish(&admin_url()) {
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    }
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Waits until the service has no supply sweep left to do (`app::webhooks::sweep`: one at start
/// and one after every batch of purchases, each reading every purchase of the organisation), so
/// that no timed request runs beside one. Returns how long it waited.
pub async fn settle(bench: &Bench) -> Duration {
    let started = std::time::Instant::now();
    let mut conn = bench.conn();
    while started.elapsed() < Duration::from_secs(600)
        && oretrace::store::webhook::flag_state::pending(&mut conn).unwrap() > 0
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    started.elapsed()
}
