//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::state::AppState;

/// Probe answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready` (able to serve).
    pub status: String,
    /// The database backend, on readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// Liveness: the process is up and serving HTTP. Never touches the database.
#[utoipa::path(
    tag = "health",
    operation_id = "health_live",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: None,
    })
}

/// Readiness: the database answers. 503 with `Retry-After` while it does not; the service
/// recovers by itself when the database returns.
#[utoipa::path(
    tag = "health",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable",
         body = crate::api::error::Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait before retrying")))
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    crate::db::ping(&state.db)
        .await
        .map_err(|_| ApiError::unavailable("the database is unreachable"))?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready".into(),
        database: Some(state.db.backend().to_string()),
    }))
}
