//! Builds the application: used by `oretrace serve` and by the integration tests alike.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use utoipa_actix_web::AppExt;

use crate::api::error::ApiError;
use crate::api::http::caller::authenticate;
use crate::api::http::known_organisations::KnownOrganisations;
use crate::api::http::rate_limit::RateLimiter;
use crate::api::http::route_table::RouteTable;
use crate::api::http::{
    access_log, idempotency, problem, rate_limit, request_id, security_headers,
};
use crate::api::state::AppState;
use crate::app::webhooks::sweep;
use crate::app::webhooks::worker::{WebhookMetrics, Worker};
use crate::auth::secret_checks::SecretChecks;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::{
    ConnectionManager, Db, ReadReplica, is_missing_database, is_transient_connect_error,
    run_migrations,
};

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
    state: Data<AppState>,
}

impl Application {
    /// Binds the listener, migrates the database and loads keys. Fails with a message an
    /// operator can act on; a bad `ORETRACE_BIND` (or a port in use) before anything is
    /// migrated.
    pub fn build(config: Config) -> Result<Application, String> {
        let listener = bind(&config)?;
        migrate_with_retry(&config, Duration::from_secs(30))?;
        Application::build_with_listener(config, listener)
    }

    /// Like [`Application::build`] on a listener the caller bound (tests use port 0), on a
    /// database the caller migrated.
    pub fn build_with_listener(
        config: Config,
        listener: TcpListener,
    ) -> Result<Application, String> {
        let port = listener
            .local_addr()
            .map_err(|e| format!("listener: {e}"))?
            .port();
        let state = Data::new(build_state(config)?);
        check_issuer_organisations(&state)?;
        let server = serve(state.clone(), listener)?;
        Ok(Application {
            server,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Data<AppState> {
        self.state.clone()
    }

    /// Runs until SIGTERM/SIGINT; in-flight requests get `ORETRACE_SHUTDOWN_TIMEOUT_SECONDS`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let housekeeping = actix_web::rt::spawn(housekeeping(self.state.clone()));
        let replica = watch_replica(&self.state);
        let webhooks = deliver_webhooks(&self.state)
            .map_err(|e| std::io::Error::other(format!("webhooks: {e}")))?;
        let result = self.server.await;
        housekeeping.abort();
        for task in replica.into_iter().chain(webhooks.into_iter().flatten()) {
            task.abort();
        }
        result
    }

    /// The server alone (tests run it on their runtime); the replica's lag is watched and
    /// webhooks are delivered there.
    pub fn into_server(self) -> Result<Server, String> {
        watch_replica(&self.state);
        deliver_webhooks(&self.state)?;
        Ok(self.server)
    }
}

/// Starts this replica's webhook delivery worker and its supply sweeper, unless
/// `ORETRACE_WEBHOOK_CONCURRENCY` is 0.
fn deliver_webhooks(
    state: &Data<AppState>,
) -> Result<Option<[tokio::task::JoinHandle<()>; 2]>, String> {
    if state.config.webhooks.concurrency == 0 {
        return Ok(None);
    }
    let worker = Worker::new(
        state.db.clone(),
        state.config.webhooks.clone(),
        state.webhook_metrics.clone(),
        state.webhook_wake.clone(),
    )?;
    let sweeper = sweep::run(
        state.db.clone(),
        state.config.yield_tolerance,
        state.config.webhooks.poll,
        state.webhook_wake.clone(),
    );
    Ok(Some([
        tokio::spawn(Arc::new(worker).run()),
        tokio::spawn(sweeper),
    ]))
}

/// Measures the read replica's lag every second, when one is configured.
fn watch_replica(state: &Data<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    let replica = state.db.replica()?.clone();
    Some(tokio::spawn(replica.watch()))
}

/// The listener on `ORETRACE_BIND`.
pub fn bind(config: &Config) -> Result<TcpListener, String> {
    TcpListener::bind(&config.bind).map_err(|e| format!("ORETRACE_BIND {}: {e}", config.bind))
}

/// Runs the migrations, retrying while the server refuses connections or is starting (a
/// PostgreSQL container that is still starting) for up to `patience`. A database that does not
/// exist, a wrong password or an unknown host fail at once, the first with the command that
/// fixes it.
pub fn migrate_with_retry(config: &Config, patience: Duration) -> Result<Vec<String>, String> {
    let manager =
        ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout);
    let started = std::time::Instant::now();
    let mut retries = 0u32;
    loop {
        match run_migrations(&manager) {
            Ok(applied) => {
                for name in &applied {
                    log::info!("applied migration {name}");
                }
                return Ok(applied);
            }
            Err(e) if is_missing_database(&e) => {
                return Err(format!(
                    "{e}\nThe database does not exist yet: create it with `oretrace db create` \
                     (same DATABASE_URL) or `createdb`, then start again."
                ));
            }
            Err(e)
                if e.starts_with("cannot connect")
                    && is_transient_connect_error(&e)
                    && started.elapsed() < patience =>
            {
                if retries.is_multiple_of(5) {
                    log::warn!(
                        "{e}; the server may still be starting: retrying for up to {} s \
                         (check the host and port of DATABASE_URL if it does not come up)",
                        patience.as_secs()
                    );
                }
                retries += 1;
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => return Err(format!("migrations on {}: {e}", config.database_url)),
        }
    }
}

/// Every organisation a trusted external issuer is bound to must exist: a token for one that
/// does not would be refused anyway (401), so a wrong id in the issuers file is a configuration
/// error, said at start-up rather than discovered by a user.
fn check_issuer_organisations(state: &AppState) -> Result<(), String> {
    let bindings = state.tokens.external_bindings();
    if bindings.is_empty() {
        return Ok(());
    }
    let mut conn = state
        .db
        .conn()
        .map_err(|e| format!("cannot check the trusted issuers' organisations: {e}"))?;
    let mut missing = Vec::new();
    for (issuer, organisation) in bindings {
        let found = crate::store::organisation::find(&mut conn, organisation)
            .map_err(|e| format!("cannot check the trusted issuers' organisations: {e}"))?;
        if found.is_none() {
            missing.push(format!("{issuer} -> {organisation}"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "ORETRACE_TRUSTED_ISSUERS_FILE binds issuers to organisations that do not exist \
             ({}): create them (`oretrace orgs create`) or correct the file",
            missing.join(", ")
        ))
    }
}

/// Checks of unknown client ids that may wait for the one thread of their lane (fewer when
/// `ORETRACE_SECRET_CHECK_QUEUE` is smaller).
const UNKNOWN_CLIENT_QUEUE: usize = 8;

pub fn build_state(config: Config) -> Result<AppState, String> {
    let tokens = TokenService::new(&config.tokens)?;
    let metrics = prometheus::Registry::new();
    let mut db = Db::new(&config.database_url, &config.pool);
    if let Some(replica) = &config.read_replica {
        db = db.with_replica(ReadReplica::new(replica, &config.pool, &metrics)?);
    }
    let routes = RouteTable::from_openapi(&crate::api::openapi::document());
    Ok(AppState {
        db,
        tokens,
        rate_limiter: RateLimiter::per_second(
            config.rate_limit.per_second,
            config.rate_limit.burst,
        ),
        token_limiter: RateLimiter::per_minute(config.rate_limit.token_per_minute),
        token_source_limiter: RateLimiter::per_minute(
            config.rate_limit.token_per_source_per_minute,
        ),
        token_unknown_limiter: RateLimiter::per_minute(
            config.rate_limit.token_unknown_clients_per_minute,
        ),
        unknown_client_checks: SecretChecks::new(
            1,
            config
                .rate_limit
                .secret_check_queue
                .min(UNKNOWN_CLIENT_QUEUE),
        ),
        secret_checks: SecretChecks::new(
            config.rate_limit.secret_checks_in_flight,
            config.rate_limit.secret_check_queue,
        ),
        known_organisations: KnownOrganisations::default(),
        routes,
        webhook_metrics: Arc::new(WebhookMetrics::register(&metrics)?),
        webhook_wake: Arc::new(tokio::sync::Notify::new()),
        metrics,
        config,
    })
}

fn serve(state: Data<AppState>, listener: TcpListener) -> Result<Server, String> {
    let prometheus = PrometheusMetricsBuilder::new("oretrace")
        .registry(state.metrics.clone())
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| format!("metrics: {e}"))?;
    let doc = Arc::new(crate::api::openapi::document());
    let workers = state.config.workers;
    let shutdown = state.config.shutdown_timeout.as_secs();
    let cors_origins = state.config.cors_origins.clone();
    let mut server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(|error, _| {
                ApiError::invalid_parameter("path", error.to_string()).into()
            }))
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::invalid_parameter("query", error.to_string()).into()
            }))
            .app_data(
                web::JsonConfig::default()
                    .error_handler(|error, _| ApiError::malformed(error.to_string()).into()),
            )
            .into_utoipa_app()
            .configure(crate::api::routes::configure)
            .split_for_parts();
        app.service(crate::api::routes::docs::swagger_ui((*doc).clone()))
            .configure(crate::api::routes::docs::configure_redirect)
            .configure(crate::api::routes::console::configure)
            .default_service(web::to(problem::fallback))
            // Innermost first: each `wrap` goes around everything registered before it.
            .wrap(from_fn(idempotency::idempotent))
            .wrap(from_fn(rate_limit::limit_by_organisation))
            .wrap(from_fn(authenticate))
            .wrap(from_fn(problem::render))
            .wrap(Condition::new(
                !cors_origins.is_empty(),
                cors(&cors_origins),
            ))
            .wrap(from_fn(security_headers::add))
            .wrap(prometheus.clone())
            .wrap(from_fn(access_log::log_request))
            .wrap(from_fn(request_id::assign))
    })
    .shutdown_timeout(shutdown)
    .listen(listener)
    .map_err(|e| format!("cannot serve: {e}"))?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// CORS is off (same-origin only) unless `ORETRACE_CORS_ORIGINS` names origins.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "idempotency-key",
            "x-request-id",
        ])
        .expose_headers([
            "link",
            "location",
            "retry-after",
            "x-request-id",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "idempotent-replayed",
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Periodic chores: expired idempotency records, idle rate-limit keys. Its writes wait
/// patiently for SQLite's write lock (`Db::write_patiently`), as every background task's do.
async fn housekeeping(state: Data<AppState>) {
    let mut interval = actix_web::rt::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        state.rate_limiter.shrink();
        state.token_limiter.shrink();
        state.token_source_limiter.shrink();
        state.token_unknown_limiter.shrink();
        let ttl = chrono::Duration::from_std(state.config.idempotency_ttl)
            .unwrap_or(chrono::Duration::hours(24));
        match state
            .db
            .write_patiently(move |conn| crate::store::idempotency::purge_expired(conn, ttl))
            .await
        {
            Ok(0) => {}
            Ok(n) => log::info!("purged {n} expired idempotency records"),
            Err(e) => log::warn!("idempotency purge: {e}"),
        }
        if let Err(e) = state
            .db
            .write_patiently(crate::store::mix_rollup::purge_empty)
            .await
        {
            log::warn!("sourcing-mix rollup purge: {e}");
        }
        let before = crate::domain::time::now()
            - chrono::Duration::from_std(state.config.webhooks.event_retention)
                .unwrap_or(chrono::Duration::days(35));
        match state
            .db
            .write_patiently(move |conn| crate::store::webhook::event::prune(conn, before))
            .await
        {
            Ok(0) => {}
            Ok(n) => log::info!("pruned {n} events past their retention"),
            Err(e) => log::warn!("event retention: {e}"),
        }
    }
}
