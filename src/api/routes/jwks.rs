//! The public signing keys (RFC 7517 JWK Set).

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::state::AppState;

/// A JSON Web Key Set (RFC 7517). Empty when tokens are signed with HS256.
#[derive(Serialize, ToSchema)]
pub struct JwkSetDocument {
    /// Public keys, each with `kid`, `kty`, `crv`, `x`, `alg` and `use`.
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<serde_json::Value>,
}

/// The public keys that verify this service's access tokens, by `kid`. During a key rotation
/// the previous keys are listed too.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_jwks",
    responses((status = 200, description = "The JWK Set", body = JwkSetDocument))
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(state.tokens.keys().jwks())
}
