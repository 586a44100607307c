//! `GET /v1/me`: who the token belongs to.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::state::AppState;
use crate::app::organisations;
use crate::auth::Scope;
use crate::store::organisation::Organisation;

/// The caller: its organisation, client and scopes.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The organisation the token acts for.
    pub organisation: Organisation,
    /// The API client (`sub` of the token).
    pub client_id: String,
    /// The scopes the token carries.
    pub scopes: Vec<Scope>,
    /// The token's issuer.
    pub issuer: String,
    /// When the token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// The caller's organisation, client id and scopes. Any valid token may call it.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses((status = 200, description = "The caller", body = Me)),
    security(("bearer" = []), ("oauth2" = []))
)]
#[get("/v1/me")]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = caller.organisation_id;
    let organisation = state
        .db
        .read(move |conn| organisations::find(conn, id))
        .await?
        .ok_or_else(|| {
            ApiError::unauthenticated("the token's organisation no longer exists", true)
        })?;
    Ok(HttpResponse::Ok().json(Me {
        organisation,
        client_id: caller.client_id,
        scopes: caller.scopes.to_vec(),
        issuer: caller.issuer,
        token_expires_at: DateTime::from_timestamp(caller.expires_at, 0),
    }))
}
