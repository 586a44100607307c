//! The HTTP edge: start-up, routes, the shared HTTP conventions, the error type and the
//! OpenAPI document. Nothing outside this module names `routes`; handlers call `app`.

pub mod charts;
pub mod error;
pub mod http;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod state;
