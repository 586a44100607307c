//! Configuration from the environment (and the same names as command-line flags).
//!
//! [`Settings`] (`settings.rs`) is what `--help` shows; [`Config`] is what the service runs with.
//! Every variable is listed in README.md and `.env.example`.

mod proxies;
mod settings;

pub use proxies::TrustedProxies;
pub use settings::Settings;

use std::path::PathBuf;
use std::time::Duration;

use crate::db::{Backend, DatabaseUrl, PoolSettings};
use crate::domain::provenance::YieldTolerance;

/// How tokens are signed.
#[derive(Clone, Debug)]
pub enum SigningConfig {
    /// Ed25519 (EdDSA) private key file; `generate` creates it when missing.
    Ed25519 { key_file: PathBuf, generate: bool },
    /// HS256 with a shared secret.
    Hs256 { secret: String },
}

#[derive(Clone, Debug)]
pub struct TokenConfig {
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
    pub leeway_seconds: u64,
    pub signing: SigningConfig,
    pub verify_key_files: Vec<PathBuf>,
    pub trusted_issuers_file: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct RateLimitConfig {
    pub per_second: u32,
    pub burst: u32,
    /// Token requests per client id and source address.
    pub token_per_minute: u32,
    /// Token requests per source address.
    pub token_per_source_per_minute: u32,
    /// Token requests naming unknown client ids, all together.
    pub token_unknown_clients_per_minute: u32,
    /// Client-secret checks at once, and waiting.
    pub secret_checks_in_flight: usize,
    pub secret_check_queue: usize,
    pub trusted_proxies: TrustedProxies,
}

/// What the service runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    /// The streaming replica that serves heavy reads (`ORETRACE_READ_DATABASE_URL`).
    pub read_replica: Option<ReadReplicaConfig>,
    /// True when `DATABASE_URL` was unset and the embedded SQLite default is used.
    pub embedded_default: bool,
    pub pool: PoolSettings,
    pub bind: String,
    pub workers: Option<usize>,
    pub tokens: TokenConfig,
    pub json_body_limit: usize,
    pub batch_body_limit: usize,
    pub rate_limit: RateLimitConfig,
    pub cors_origins: Vec<String>,
    pub idempotency_ttl: Duration,
    pub shutdown_timeout: Duration,
    /// The yield tolerance of transformations (`ORETRACE_YIELD_TOLERANCE`).
    pub yield_tolerance: YieldTolerance,
    pub webhooks: WebhookConfig,
    /// The issuer of the verifiable credentials and the base of their ids, without a trailing
    /// slash (`ORETRACE_PUBLIC_BASE_URL`).
    pub public_base_url: String,
}

/// How webhooks are delivered (`ORETRACE_WEBHOOK_*`) and how long events are kept.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// Targets on internal addresses are allowed (tests, closed networks).
    pub allow_private: bool,
    pub timeout: Duration,
    pub retry_base: Duration,
    pub retry_window: Duration,
    pub poll: Duration,
    /// Deliveries sent at once by one replica; 0: this replica delivers nothing.
    pub concurrency: usize,
    pub secret_grace: Duration,
    pub event_retention: Duration,
}

/// A read replica and how far behind the primary it may serve.
#[derive(Clone, Debug)]
pub struct ReadReplicaConfig {
    pub url: DatabaseUrl,
    pub max_lag: Duration,
}

/// Outputs up to 2% heavier than inputs pass unflagged unless `ORETRACE_YIELD_TOLERANCE` says
/// otherwise.
pub const DEFAULT_YIELD_TOLERANCE: &str = "0.02";

/// `ORETRACE_PUBLIC_BASE_URL` checked (an absolute http or https URL without query or
/// fragment), or the address of `ORETRACE_BIND`.
fn public_base_url(settings: &Settings) -> Result<String, String> {
    let Some(raw) = settings
        .public_base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        let bind = settings.bind.trim();
        let bind = bind
            .strip_prefix("0.0.0.0:")
            .or_else(|| bind.strip_prefix("[::]:"))
            .map_or_else(|| bind.to_owned(), |port| format!("localhost:{port}"));
        return Ok(format!("http://{bind}"));
    };
    let url = url::Url::parse(raw)
        .map_err(|e| format!("ORETRACE_PUBLIC_BASE_URL {raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(format!(
            "ORETRACE_PUBLIC_BASE_URL {raw:?} must be an http or https URL with a host and \
             without credentials, query or fragment"
        ));
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

pub const DEFAULT_KEY_FILE: &str = "oretrace-signing-key.pem";

impl Config {
    pub fn from_settings(settings: &Settings) -> Result<Config, String> {
        let (database_url, embedded_default) = match settings.database_url.as_deref() {
            Some(raw) if !raw.trim().is_empty() => (DatabaseUrl::parse(raw)?, false),
            _ => (DatabaseUrl::embedded_default(), true),
        };
        let signing = match &settings.jwt_hs256_secret {
            Some(secret) if !secret.is_empty() => {
                if secret.len() < 32 {
                    return Err("ORETRACE_JWT_HS256_SECRET must be at least 32 bytes".into());
                }
                SigningConfig::Hs256 {
                    secret: secret.clone(),
                }
            }
            _ => match &settings.signing_key_file {
                Some(path) => SigningConfig::Ed25519 {
                    key_file: path.clone(),
                    generate: false,
                },
                None => SigningConfig::Ed25519 {
                    key_file: default_key_file(&database_url),
                    generate: true,
                },
            },
        };
        if settings.db_pool_size == 0 {
            return Err("ORETRACE_DB_POOL_SIZE must be at least 1".into());
        }
        if settings.token_ttl_seconds == 0 {
            return Err("ORETRACE_TOKEN_TTL_SECONDS must be at least 1".into());
        }
        if settings.json_body_limit < 1024 || settings.batch_body_limit < settings.json_body_limit {
            return Err(
                "ORETRACE_JSON_BODY_LIMIT must be at least 1024 and at most ORETRACE_BATCH_BODY_LIMIT"
                    .into(),
            );
        }
        let tolerance = match settings.yield_tolerance.trim() {
            "" => DEFAULT_YIELD_TOLERANCE,
            text => text,
        };
        let yield_tolerance = YieldTolerance::from_decimal(tolerance)
            .map_err(|e| format!("ORETRACE_YIELD_TOLERANCE: {e}"))?;
        let read_replica = match settings.read_database_url.as_deref() {
            Some(raw) if !raw.trim().is_empty() => {
                let url = DatabaseUrl::parse(raw)
                    .map_err(|e| format!("ORETRACE_READ_DATABASE_URL: {e}"))?;
                if url.backend != Backend::Postgres || database_url.backend != Backend::Postgres {
                    return Err(
                        "ORETRACE_READ_DATABASE_URL takes a PostgreSQL streaming replica \
                                of a PostgreSQL DATABASE_URL"
                            .into(),
                    );
                }
                Some(ReadReplicaConfig {
                    url,
                    max_lag: Duration::from_millis(settings.read_max_lag_ms),
                })
            }
            _ => None,
        };
        Ok(Config {
            database_url,
            read_replica,
            embedded_default,
            pool: PoolSettings {
                max_size: settings.db_pool_size,
                checkout_timeout: Duration::from_millis(settings.db_checkout_timeout_ms.max(100)),
                statement_timeout: Duration::from_millis(settings.db_statement_timeout_ms),
            },
            bind: settings.bind.clone(),
            workers: settings.workers.filter(|w| *w > 0),
            tokens: TokenConfig {
                issuer: settings.token_issuer.clone(),
                audience: settings.token_audience.clone(),
                ttl: Duration::from_secs(settings.token_ttl_seconds),
                leeway_seconds: settings.token_leeway_seconds,
                signing,
                verify_key_files: settings.verify_key_files.clone(),
                trusted_issuers_file: settings.trusted_issuers_file.clone(),
            },
            json_body_limit: settings.json_body_limit,
            batch_body_limit: settings.batch_body_limit,
            rate_limit: RateLimitConfig {
                per_second: settings.rate_limit_per_second,
                burst: settings.rate_limit_burst.max(1),
                token_per_minute: settings.token_rate_limit_per_minute,
                token_per_source_per_minute: settings.token_rate_limit_per_source_per_minute,
                token_unknown_clients_per_minute: settings
                    .token_rate_limit_unknown_clients_per_minute,
                secret_checks_in_flight: settings.secret_checks_in_flight.max(1),
                secret_check_queue: settings.secret_check_queue,
                trusted_proxies: TrustedProxies::parse(&settings.trusted_proxies)?,
            },
            cors_origins: settings
                .cors_origins
                .iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            idempotency_ttl: Duration::from_secs(settings.idempotency_ttl_hours.max(1) * 3600),
            shutdown_timeout: Duration::from_secs(settings.shutdown_timeout_seconds),
            yield_tolerance,
            webhooks: webhook_config(settings)?,
            public_base_url: public_base_url(settings)?,
        })
    }

    /// The defaults for a database, as if no other variable were set (tests start from this).
    pub fn defaults_for(database_url: DatabaseUrl) -> Config {
        let settings = Config::defaults_settings();
        let mut config = match Config::from_settings(&settings) {
            Ok(config) => config,
            Err(e) => unreachable!("the built-in defaults are valid: {e}"),
        };
        config.tokens.signing = SigningConfig::Ed25519 {
            key_file: default_key_file(&database_url),
            generate: true,
        };
        config.embedded_default = false;
        config.database_url = database_url;
        config
    }

    /// Every setting at its documented default, as if no variable were set.
    pub fn defaults_settings() -> Settings {
        Settings {
            database_url: None,
            read_database_url: None,
            read_max_lag_ms: 5000,
            bind: "127.0.0.1:0".into(),
            db_pool_size: 10,
            db_checkout_timeout_ms: 2000,
            db_statement_timeout_ms: 30000,
            token_issuer: "urn:oretrace".into(),
            public_base_url: None,
            token_audience: "oretrace-api".into(),
            token_ttl_seconds: 3600,
            token_leeway_seconds: 30,
            json_body_limit: 256 * 1024,
            batch_body_limit: 64 * 1024 * 1024,
            rate_limit_per_second: 50,
            rate_limit_burst: 100,
            token_rate_limit_per_minute: 60,
            token_rate_limit_per_source_per_minute: 300,
            token_rate_limit_unknown_clients_per_minute: 120,
            secret_checks_in_flight: 2,
            secret_check_queue: 32,
            idempotency_ttl_hours: 24,
            shutdown_timeout_seconds: 30,
            yield_tolerance: "0.02".into(),
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 5_000,
            webhook_retry_window_seconds: 86_400,
            webhook_poll_ms: 1_000,
            webhook_concurrency: 8,
            webhook_secret_grace_hours: 24,
            event_retention_days: 35,
            ..Settings::default()
        }
    }
}

/// Beside the SQLite file, or in the working directory for PostgreSQL.
fn default_key_file(url: &DatabaseUrl) -> PathBuf {
    match url.backend {
        Backend::Sqlite => {
            let db = PathBuf::from(&url.target);
            match db.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.join(DEFAULT_KEY_FILE),
                _ => PathBuf::from(DEFAULT_KEY_FILE),
            }
        }
        Backend::Postgres => PathBuf::from(DEFAULT_KEY_FILE),
    }
}

fn webhook_config(settings: &Settings) -> Result<WebhookConfig, String> {
    if settings.event_retention_days < 30 {
        return Err("ORETRACE_EVENT_RETENTION_DAYS must be at least 30".into());
    }
    if settings.webhook_timeout_ms == 0 || settings.webhook_timeout_ms > 60_000 {
        return Err("ORETRACE_WEBHOOK_TIMEOUT_MS must be between 1 and 60000".into());
    }
    Ok(WebhookConfig {
        allow_private: settings.webhook_allow_private,
        timeout: Duration::from_millis(settings.webhook_timeout_ms),
        retry_base: Duration::from_millis(settings.webhook_retry_base_ms.max(1)),
        retry_window: Duration::from_secs(settings.webhook_retry_window_seconds),
        poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
        concurrency: settings.webhook_concurrency,
        secret_grace: Duration::from_secs(settings.webhook_secret_grace_hours * 3600),
        event_retention: Duration::from_secs(settings.event_retention_days * 86_400),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_replica_is_a_postgresql_replica_of_postgresql() {
        let settings = |primary: &str, replica: &str| Settings {
            database_url: Some(primary.into()),
            read_database_url: Some(replica.into()),
            ..Config::defaults_settings()
        };
        let pg = "postgres://postgres@127.0.0.1/oretrace";
        let standby = "postgres://postgres@127.0.0.1:5433/oretrace";
        let config = Config::from_settings(&settings(pg, standby)).unwrap();
        let replica = config.read_replica.unwrap();
        assert_eq!(replica.max_lag, Duration::from_millis(5000));
        for (primary, replica) in [("sqlite://o.db", standby), (pg, "sqlite://o.db")] {
            let error = Config::from_settings(&settings(primary, replica)).unwrap_err();
            assert!(error.contains("ORETRACE_READ_DATABASE_URL"), "{error}");
        }
    }

    #[test]
    fn the_key_lives_beside_the_sqlite_file() {
        let url = DatabaseUrl::parse("sqlite:///var/lib/oretrace/o.db").unwrap();
        assert_eq!(
            default_key_file(&url),
            PathBuf::from("/var/lib/oretrace/oretrace-signing-key.pem")
        );
        assert_eq!(
            default_key_file(&DatabaseUrl::embedded_default()),
            PathBuf::from(DEFAULT_KEY_FILE)
        );
    }

    #[test]
    fn short_hs256_secrets_are_refused() {
        let settings = Settings {
            jwt_hs256_secret: Some("short".into()),
            db_pool_size: 1,
            token_ttl_seconds: 1,
            json_body_limit: 2048,
            batch_body_limit: 4096,
            ..Settings::default()
        };
        assert!(Config::from_settings(&settings).is_err());
    }

    #[test]
    fn the_public_base_url_is_checked_or_follows_the_bind_address() {
        let with = |url: Option<&str>, bind: &str| Settings {
            public_base_url: url.map(str::to_owned),
            bind: bind.into(),
            ..Config::defaults_settings()
        };
        let base = |url, bind| Config::from_settings(&with(url, bind)).map(|c| c.public_base_url);
        assert_eq!(base(None, "0.0.0.0:8080").unwrap(), "http://localhost:8080");
        assert_eq!(
            base(None, "127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            base(Some("https://oretrace.example.com/"), "0.0.0.0:8080").unwrap(),
            "https://oretrace.example.com"
        );
        for bad in [
            "ftp://x.example",
            "https://u:p@x.example",
            "https://x.example/?a=1",
            "x",
        ] {
            assert!(base(Some(bad), "0.0.0.0:8080").is_err(), "{bad}");
        }
    }
}
