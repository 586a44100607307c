//! Every setting as `--help` shows it: an environment variable or the flag of the same name.

use std::path::PathBuf;

use clap::Args;

/// Every setting, read from the environment variable named in brackets (or the flag).
#[derive(Args, Clone, Debug, Default)]
pub struct Settings {
    /// Database: `postgres://user@host/db` or `sqlite://path`. Unset: the embedded SQLite file
    /// `./oretrace.db`, seeded with demo data when empty.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// A streaming replica of the PostgreSQL database (`postgres://…`) that serves the heavy
    /// read-only requests (mix, traces, red flags, lists); writes, tokens and idempotency stay
    /// on `DATABASE_URL`. Unset: everything reads the primary.
    #[arg(
        long,
        env = "ORETRACE_READ_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub read_database_url: Option<String>,

    /// The replica serves reads while its replay lag is at most this many milliseconds;
    /// beyond, or when it is unreachable, reads go to the primary.
    #[arg(
        long,
        env = "ORETRACE_READ_MAX_LAG_MS",
        global = true,
        default_value_t = 5000
    )]
    pub read_max_lag_ms: u64,

    /// Address and port the API listens on.
    #[arg(
        long,
        env = "ORETRACE_BIND",
        global = true,
        default_value = "127.0.0.1:8080"
    )]
    pub bind: String,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "ORETRACE_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Maximum database connections per replica.
    #[arg(
        long,
        env = "ORETRACE_DB_POOL_SIZE",
        global = true,
        default_value_t = 10
    )]
    pub db_pool_size: u32,

    /// How long a request waits for a database connection before it is answered 503.
    #[arg(
        long,
        env = "ORETRACE_DB_CHECKOUT_TIMEOUT_MS",
        global = true,
        default_value_t = 2000
    )]
    pub db_checkout_timeout_ms: u64,

    /// PostgreSQL `statement_timeout` for every connection.
    #[arg(
        long,
        env = "ORETRACE_DB_STATEMENT_TIMEOUT_MS",
        global = true,
        default_value_t = 30000
    )]
    pub db_statement_timeout_ms: u64,

    /// `iss` of the tokens this service issues (and expects back).
    #[arg(
        long,
        env = "ORETRACE_TOKEN_ISSUER",
        global = true,
        default_value = "urn:oretrace"
    )]
    pub token_issuer: String,

    /// The service's public address (`https://oretrace.example.com`): the issuer and the
    /// base of the ids of the verifiable credentials it signs (docs/CREDENTIALS.md). Unset:
    /// `http://` and `ORETRACE_BIND` (a wildcard address read as `localhost`).
    #[arg(long, env = "ORETRACE_PUBLIC_BASE_URL", global = true)]
    pub public_base_url: Option<String>,

    /// `aud` of the tokens this service issues and accepts.
    #[arg(
        long,
        env = "ORETRACE_TOKEN_AUDIENCE",
        global = true,
        default_value = "oretrace-api"
    )]
    pub token_audience: String,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(
        long,
        env = "ORETRACE_TOKEN_TTL_SECONDS",
        global = true,
        default_value_t = 3600
    )]
    pub token_ttl_seconds: u64,

    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[arg(
        long,
        env = "ORETRACE_TOKEN_LEEWAY_SECONDS",
        global = true,
        default_value_t = 30
    )]
    pub token_leeway_seconds: u64,

    /// Ed25519 private key (PKCS#8 PEM) that signs tokens. Unset: `oretrace-signing-key.pem`
    /// beside the SQLite file (or in the working directory), generated on first start.
    #[arg(long, env = "ORETRACE_SIGNING_KEY_FILE", global = true)]
    pub signing_key_file: Option<PathBuf>,

    /// Sign with HS256 and this shared secret (at least 32 bytes) instead of Ed25519.
    #[arg(
        long,
        env = "ORETRACE_JWT_HS256_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_hs256_secret: Option<String>,

    /// Comma-separated Ed25519 keys (PEM, public or private) still accepted and published in
    /// the JWKS: the previous signing keys during a rotation.
    #[arg(
        long,
        env = "ORETRACE_VERIFY_KEY_FILES",
        global = true,
        value_delimiter = ','
    )]
    pub verify_key_files: Vec<PathBuf>,

    /// JSON file of trusted external token issuers (organisations' own identity providers).
    #[arg(long, env = "ORETRACE_TRUSTED_ISSUERS_FILE", global = true)]
    pub trusted_issuers_file: Option<PathBuf>,

    /// Largest ordinary JSON request body, in bytes.
    #[arg(long, env = "ORETRACE_JSON_BODY_LIMIT", global = true, default_value_t = 256 * 1024)]
    pub json_body_limit: usize,

    /// Largest batch import body (JSON, NDJSON or CSV), in bytes.
    #[arg(long, env = "ORETRACE_BATCH_BODY_LIMIT", global = true, default_value_t = 64 * 1024 * 1024)]
    pub batch_body_limit: usize,

    /// Sustained requests per second per organisation and replica (0 turns rate limiting off).
    #[arg(
        long,
        env = "ORETRACE_RATE_LIMIT_PER_SECOND",
        global = true,
        default_value_t = 50
    )]
    pub rate_limit_per_second: u32,

    /// Requests an organisation may send at once above the sustained rate.
    #[arg(
        long,
        env = "ORETRACE_RATE_LIMIT_BURST",
        global = true,
        default_value_t = 100
    )]
    pub rate_limit_burst: u32,

    /// Token requests per minute per client id and source address, per replica (0 turns it
    /// off). Failed attempts from one address never spend the budget of the same client at
    /// another address.
    #[arg(
        long,
        env = "ORETRACE_TOKEN_RATE_LIMIT_PER_MINUTE",
        global = true,
        default_value_t = 60
    )]
    pub token_rate_limit_per_minute: u32,

    /// Token requests per minute per source address, whatever client id they name, per replica
    /// (0 turns it off).
    #[arg(
        long,
        env = "ORETRACE_TOKEN_RATE_LIMIT_PER_SOURCE_PER_MINUTE",
        global = true,
        default_value_t = 300
    )]
    pub token_rate_limit_per_source_per_minute: u32,

    /// Token requests per minute naming client ids that do not exist, all sources together,
    /// per replica (0 turns it off).
    #[arg(
        long,
        env = "ORETRACE_TOKEN_RATE_LIMIT_UNKNOWN_CLIENTS_PER_MINUTE",
        global = true,
        default_value_t = 120
    )]
    pub token_rate_limit_unknown_clients_per_minute: u32,

    /// Client-secret checks (argon2id, about 19 MiB each) that may run at once per replica.
    #[arg(
        long,
        env = "ORETRACE_SECRET_CHECKS_IN_FLIGHT",
        global = true,
        default_value_t = 2
    )]
    pub secret_checks_in_flight: usize,

    /// Client-secret checks that may wait for a slot; beyond, the token endpoint answers 503.
    #[arg(
        long,
        env = "ORETRACE_SECRET_CHECK_QUEUE",
        global = true,
        default_value_t = 32
    )]
    pub secret_check_queue: usize,

    /// Comma-separated addresses or networks of reverse proxies whose `X-Forwarded-For` names
    /// the client's address (for limits per source). Unset: the TCP peer is the source.
    #[arg(
        long,
        env = "ORETRACE_TRUSTED_PROXIES",
        global = true,
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,

    /// Comma-separated origins allowed by CORS (`*` for any). Unset: CORS is off.
    #[arg(
        long,
        env = "ORETRACE_CORS_ORIGINS",
        global = true,
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// How long a stored `Idempotency-Key` response is replayed, in hours.
    #[arg(
        long,
        env = "ORETRACE_IDEMPOTENCY_TTL_HOURS",
        global = true,
        default_value_t = 24
    )]
    pub idempotency_ttl_hours: u64,

    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(
        long,
        env = "ORETRACE_SHUTDOWN_TIMEOUT_SECONDS",
        global = true,
        default_value_t = 30
    )]
    pub shutdown_timeout_seconds: u64,

    /// How much heavier than its inputs a transformation's outputs may be before it is flagged
    /// (`mass_balance_exceeded`), as a decimal fraction: `0.02` is 2%.
    #[arg(
        long,
        env = "ORETRACE_YIELD_TOLERANCE",
        global = true,
        default_value = "0.02"
    )]
    pub yield_tolerance: String,

    /// Deliver webhooks to targets on loopback, private, link-local and other internal
    /// addresses (refused by default, at registration and at every delivery). For tests and
    /// closed networks only.
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_ALLOW_PRIVATE",
        global = true,
        default_value_t = false
    )]
    pub webhook_allow_private: bool,

    /// How long one webhook delivery may take (connect, send, answer), in milliseconds.
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_TIMEOUT_MS",
        global = true,
        default_value_t = 10_000
    )]
    pub webhook_timeout_ms: u64,

    /// The first retry of a failed delivery waits about this long (doubling after each failure,
    /// at most an hour, with jitter), in milliseconds.
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_RETRY_BASE_MS",
        global = true,
        default_value_t = 5_000
    )]
    pub webhook_retry_base_ms: u64,

    /// How long a delivery is retried before it is given up and its subscription marked
    /// failing, in seconds.
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_RETRY_WINDOW_SECONDS",
        global = true,
        default_value_t = 86_400
    )]
    pub webhook_retry_window_seconds: u64,

    /// How often each replica looks for due deliveries, in milliseconds (a write on the same
    /// replica wakes it at once).
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_POLL_MS",
        global = true,
        default_value_t = 1_000
    )]
    pub webhook_poll_ms: u64,

    /// Deliveries one replica sends at once (0 turns delivery off on this replica).
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_CONCURRENCY",
        global = true,
        default_value_t = 8
    )]
    pub webhook_concurrency: usize,

    /// How long a rotated-out webhook secret still signs deliveries beside the new one, in hours.
    #[arg(
        long,
        env = "ORETRACE_WEBHOOK_SECRET_GRACE_HOURS",
        global = true,
        default_value_t = 24
    )]
    pub webhook_secret_grace_hours: u64,

    /// How long events stay in the feed (`GET /v1/events`), in days; at least 30.
    #[arg(
        long,
        env = "ORETRACE_EVENT_RETENTION_DAYS",
        global = true,
        default_value_t = 35
    )]
    pub event_retention_days: u64,
}
