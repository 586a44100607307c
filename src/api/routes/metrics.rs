//! Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use prometheus::{Encoder, TextEncoder};

use crate::api::error::ApiError;
use crate::api::state::AppState;

/// Prometheus text exposition: request counts and latencies by route template and status.
/// Labels never carry organisation ids or other tenant data.
#[utoipa::path(
    tag = "health",
    operation_id = "metrics",
    responses((status = 200, description = "Prometheus metrics", body = String,
               content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut buffer = Vec::new();
    TextEncoder::new()
        .encode(&state.metrics.gather(), &mut buffer)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(buffer))
}
