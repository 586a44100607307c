//! The HTTP conventions every route shares, implemented once: request ids, access logs,
//! problem+json errors, body and parameter extraction, pagination, idempotency, rate limits and
//! security headers.

pub mod access_log;
pub mod batch;
pub mod caller;
pub mod client_address;
pub mod extract;
pub mod idempotency;
pub mod input;
pub mod known_organisations;
pub mod negotiate;
pub mod pagination;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod route_table;
pub mod security_headers;
pub mod unit_query;
