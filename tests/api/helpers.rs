//! The test harness: the real application on a random port, over a fresh database per test
//! (an SQLite file in a temporary directory, or a new PostgreSQL database), driven with reqwest.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`.
//! When it is unreachable its tests are skipped with a notice, unless
//! `ORETRACE_REQUIRE_POSTGRES=1`, which makes that a failure.

use std::future::Future;
use std::sync::{Mutex, OnceLock};

use actix_web::dev::ServerHandle;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use oretrace::api::startup::{Application, migrate_with_retry};
use oretrace::auth::scopes::{Scope, ScopeSet};
use oretrace::config::{Config, SigningConfig};
use oretrace::db::{ConnectionManager, DatabaseUrl};
use oretrace::store::organisation::OrganisationKind;
use oretrace::store::{api_client, organisation};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde_json::Value;

pub use oretrace::db::Backend;

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// Runs each named `async fn(Backend)` (which starts its own application, such as a seeded
/// demo) once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! each_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL, on applications
/// started by `spawn` (an `async fn(Backend) -> Option<TestApp>` of the calling module, named
/// relative to it: `both_backends_with!(super::spawn; test_a, test_b)`).
#[macro_export]
macro_rules! both_backends_with {
    ($spawn:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $spawn($crate::helpers::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $spawn($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// An organisation with one API client and a token for it.
#[derive(Clone, Debug)]
pub struct Client {
    pub org_id: String,
    pub client_id: String,
    pub secret: String,
    pub token: String,
}

/// A fresh database of either backend; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `postgres://host/db?x` with another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_and_path = &base[scheme_end..];
    let root = match host_and_path.find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

fn require_postgres() -> bool {
    std::env::var("ORETRACE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

static PG_LOCK: Mutex<()> = Mutex::new(());
static PG_NOTICE: OnceLock<()> = OnceLock::new();

impl TestDb {
    pub fn create(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("oretrace.db");
                Some(TestDb {
                    backend,
                    url: format!("sqlite://{}", path.display()),
                    dir,
                    pg_name: None,
                })
            }
            Backend::Postgres => {
                let admin = admin_url();
                let mut conn = match PgConnection::establish(&admin) {
                    Ok(conn) => conn,
                    Err(e) if require_postgres() => {
                        panic!(
                            "PostgreSQL is required (ORETRACE_REQUIRE_POSTGRES=1) but {admin} is unreachable: {e}"
                        )
                    }
                    Err(e) => {
                        PG_NOTICE.get_or_init(|| {
                            eprintln!("NOTICE: PostgreSQL at {admin} is unreachable ({e}); skipping its tests. Set ORETRACE_REQUIRE_POSTGRES=1 to fail instead.");
                        });
                        return None;
                    }
                };
                let name = format!("oretrace_test_{}", uuid::Uuid::new_v4().simple());
                {
                    let _guard = PG_LOCK.lock().unwrap_or_else(|e| e.into_inner());
                    conn.batch_execute(&format!("CREATE DATABASE {name}"))
                        .expect("create test database");
                }
                Some(TestDb {
                    backend,
                    url: with_database(&admin, &name),
                    dir,
                    pg_name: Some(name),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = PgConnection::establish(&admin_url())
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The configuration tests start from: the database, a key in the test's directory, one
/// worker, and rate limits off (the rate-limit tests turn them on).
pub fn test_config(db: &TestDb) -> Config {
    let mut config = Config::defaults_for(DatabaseUrl::parse(&db.url).expect("database url"));
    config.bind = "127.0.0.1:0".into();
    config.workers = Some(1);
    config.tokens.signing = SigningConfig::Ed25519 {
        key_file: db.dir.path().join("signing-key.pem"),
        generate: true,
    };
    config.rate_limit.per_second = 0;
    config.rate_limit.token_per_minute = 0;
    config.rate_limit.token_per_source_per_minute = 0;
    config.rate_limit.token_unknown_clients_per_minute = 0;
    config.pool.max_size = 4;
    config.shutdown_timeout = std::time::Duration::from_secs(2);
    config
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub backend: Backend,
    pub config: Config,
    /// The operator's organisation with every scope (admin, catalog:write…).
    pub operator: Client,
    handle: ServerHandle,
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

impl TestApp {
    /// Runs `f` on a connection of its own to the test database, on the blocking pool: what a
    /// test reads or corrupts behind the API's back.
    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut oretrace::db::DbConn) -> T + Send + 'static,
    ) -> T {
        let manager = ConnectionManager::new(
            self.config.database_url.clone(),
            self.config.pool.statement_timeout,
        );
        tokio::task::spawn_blocking(move || f(&mut manager.establish().expect("connect")))
            .await
            .expect("the blocking task")
    }

    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Spawns with a configuration adjusted by `adjust`.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let db = TestDb::create(backend)?;
        let mut config = test_config(&db);
        adjust(&mut config);
        Some(TestApp::start(db, config).await)
    }

    /// Starts the application on `db` with `config` and bootstraps an operator client.
    pub async fn start(db: TestDb, config: Config) -> TestApp {
        let operator_credentials = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || bootstrap_operator(&config))
                .await
                .expect("bootstrap")
        };
        let listener = std::net::TcpListener::bind(&config.bind).expect("bind");
        let mut config = config;
        if config.public_base_url.ends_with(":0") {
            // The credentials' issuer is the address the test reaches the service at.
            let port = listener.local_addr().expect("local address").port();
            config.public_base_url = format!("http://127.0.0.1:{port}");
        }
        let app = Application::build_with_listener(config.clone(), listener).expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let server = app.into_server().expect("server");
        let handle = server.handle();
        tokio::spawn(server);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        let mut app = TestApp {
            base,
            http,
            backend: db.backend,
            config,
            operator: Client {
                org_id: operator_credentials.0,
                client_id: operator_credentials.1,
                secret: operator_credentials.2,
                token: String::new(),
            },
            handle,
            db,
        };
        app.operator.token = app
            .token(&app.operator.client_id, &app.operator.secret)
            .await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with `client`'s token.
    pub fn request(&self, method: Method, path: &str, client: &Client) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&client.token)
    }

    pub fn get(&self, path: &str, client: &Client) -> RequestBuilder {
        self.request(Method::GET, path, client)
    }

    /// A POST of `body` as JSON.
    pub fn post(&self, path: &str, client: &Client, body: &impl Serialize) -> RequestBuilder {
        self.request(Method::POST, path, client).json(body)
    }

    /// A PATCH of `body` as JSON.
    pub fn patch(&self, path: &str, client: &Client, body: &impl Serialize) -> RequestBuilder {
        self.request(Method::PATCH, path, client).json(body)
    }

    /// A PUT of `body` as JSON.
    pub fn put(&self, path: &str, client: &Client, body: &impl Serialize) -> RequestBuilder {
        self.request(Method::PUT, path, client).json(body)
    }

    /// A DELETE.
    pub fn delete(&self, path: &str, client: &Client) -> RequestBuilder {
        self.request(Method::DELETE, path, client)
    }

    /// A request with a body of any bytes under any content type (CSV, NDJSON, hostile input).
    pub fn with_body(
        &self,
        method: Method,
        path: &str,
        client: &Client,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> RequestBuilder {
        self.request(method, path, client)
            .header("content-type", content_type)
            .body(body)
    }

    /// A token for a client, via the real token endpoint.
    pub async fn token(&self, client_id: &str, secret: &str) -> String {
        let response = self
            .http
            .post(self.url("/v1/auth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: Value = response.json().await.expect("token json");
        assert_eq!(status, StatusCode::OK, "token: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

/// Creates the operator organisation and an all-scopes client directly in the database.
fn bootstrap_operator(config: &Config) -> (String, String, String) {
    migrate_with_retry(config, std::time::Duration::from_secs(5)).expect("migrations");
    let mut conn =
        ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout)
            .establish()
            .expect("connect");
    let org = organisation::insert(&mut conn, "Test Operator", OrganisationKind::Operator)
        .expect("operator org");
    let all: ScopeSet = Scope::ALL.into_iter().collect();
    let (client, secret) =
        api_client::insert(&mut conn, org.id, "test operator", &all).expect("operator client");
    (org.id.to_string(), client.client_id, secret)
}

/// Sends and returns the status and the JSON body (`Value::Null` when empty or not JSON).
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Sends and returns the whole response.
pub async fn send_raw(request: RequestBuilder) -> Response {
    request.send().await.expect("request")
}

/// Asserts an RFC 9457 problem of `status` and returns its body.
pub async fn assert_problem(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value =
        serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(actual, status, "status; body: {body}");
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type:?}; body: {body}"
    );
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:oretrace:problem:")),
        "type: {body}"
    );
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert_eq!(body["request_id"].as_str(), request_id.as_deref(), "{body}");
    body
}

/// The pointers named by a validation problem.
pub fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Sending a request and checking its answer in one step.
pub trait Expect {
    /// Sends, asserts `status` and returns the JSON body (`Value::Null` when empty or not JSON).
    fn expect_status(self, status: StatusCode) -> impl Future<Output = Value>;
    /// Sends and asserts an RFC 9457 problem of `status` (see [`assert_problem`]); the problem.
    fn expect_problem(self, status: u16) -> impl Future<Output = Value>;
    /// Sends and asserts an RFC 9457 problem of one of `statuses`; the problem.
    fn expect_problem_among(self, statuses: &[u16]) -> impl Future<Output = Value>;
}

impl Expect for RequestBuilder {
    async fn expect_status(self, status: StatusCode) -> Value {
        let (actual, body) = send(self).await;
        assert_eq!(actual, status, "{body}");
        body
    }

    async fn expect_problem(self, status: u16) -> Value {
        assert_problem(send_raw(self).await, status).await
    }

    async fn expect_problem_among(self, statuses: &[u16]) -> Value {
        let response = send_raw(self).await;
        let status = response.status().as_u16();
        assert!(
            statuses.contains(&status),
            "{status}, expected {statuses:?}"
        );
        assert_problem(response, status).await
    }
}

/// The `id` member of a resource the API answered with.
pub trait HasId {
    /// The resource's id.
    fn id(&self) -> String;
}

impl HasId for Value {
    fn id(&self) -> String {
        self["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {self}"))
            .to_owned()
    }
}
