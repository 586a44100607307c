//! What every handler can reach: the database, the token service, the configuration and the
//! per-replica rate limiters. Nothing here holds data a second replica would need.

use crate::api::http::known_organisations::KnownOrganisations;
use crate::api::http::rate_limit::RateLimiter;
use crate::api::http::route_table::RouteTable;
use crate::auth::secret_checks::SecretChecks;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::Db;

pub struct AppState {
    pub db: Db,
    pub tokens: TokenService,
    pub config: Config,
    /// Requests per organisation.
    pub rate_limiter: RateLimiter,
    /// Token requests per client id and source address.
    pub token_limiter: RateLimiter,
    /// Token requests per source address.
    pub token_source_limiter: RateLimiter,
    /// Token requests naming unknown client ids, all together.
    pub token_unknown_limiter: RateLimiter,
    /// The bound on client-secret checks running at once.
    /// Client-secret checks of client ids that exist.
    pub secret_checks: SecretChecks,
    /// Checks of client ids that do not exist (against a dummy hash), in a lane of their own
    /// (one thread, a short queue): a flood of made-up ids never delays a real client's token.
    pub unknown_client_checks: SecretChecks,
    /// Organisations known to exist (tokens naming any other are refused). Only ever grows:
    /// organisations are never deleted.
    pub known_organisations: KnownOrganisations,
    /// Paths and methods, for 404 versus 405.
    pub routes: RouteTable,
    pub metrics: prometheus::Registry,
    /// Wakes this replica's webhook worker after a write that announced events.
    pub webhook_wake: std::sync::Arc<tokio::sync::Notify>,
    pub webhook_metrics: std::sync::Arc<crate::app::webhooks::worker::WebhookMetrics>,
}

impl AppState {
    /// Tells this replica's webhook worker that deliveries may be due now.
    pub fn wake_webhooks(&self) {
        self.webhook_wake.notify_one();
    }
}
