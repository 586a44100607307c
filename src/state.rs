//! What every handler can reach: the database, the token service, the configuration and the
//! per-replica rate limiters. Nothing here holds data a second replica would need.

use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::Db;
use crate::http::problem::RouteTable;
use crate::http::rate_limit::RateLimiter;

pub struct AppState {
    pub db: Db,
    pub tokens: TokenService,
    pub config: Config,
    /// Requests per organisation.
    pub rate_limiter: RateLimiter,
    /// Token requests per client id.
    pub token_limiter: RateLimiter,
    /// Paths and methods, for 404 versus 405.
    pub routes: RouteTable,
    pub metrics: prometheus::Registry,
}
