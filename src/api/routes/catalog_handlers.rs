//! The handler bodies the catalog's resources share (facilities, parties, certifications): read
//! one, create one, merge-patch one, write a batch, for any `app::catalog::CatalogKind`. Each
//! resource's module declares its routes, with their documentation, and calls these.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::api::error::ApiError;
use crate::api::http::batch::{BatchResult, BatchRows};
use crate::api::http::caller::Caller;
use crate::api::state::AppState;
use crate::app::catalog::kind::RecordId;
use crate::app::catalog::{CatalogKind, batch, record};
use crate::auth::Scope;
use crate::store::audit::Actor;

/// 200 with the record `id` (scope `catalog:read`).
pub async fn get<K: CatalogKind>(
    caller: Caller,
    id: K::Id,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let found = state
        .db
        .read(move |conn| record::find::<K>(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(K::seen_by(found, caller.organisation_id)))
}

/// 201 with the record a body creates, and its `Location` (scope `catalog:write`).
pub async fn create<K: CatalogKind>(
    caller: Caller,
    body: serde_json::Value,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let row = K::parse_new(body)?;
    let actor = Actor::from(&caller);
    let created = state
        .db
        .write(move |conn| record::create::<K>(conn, &actor, K::Id::generate(), row, K::as_created))
        .await?;
    let location = format!("/v1/{}/{}", K::NAMES.1, K::id(&created));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(K::seen_by(created, caller.organisation_id)))
}

/// 200 with the record `id` changed by a JSON merge patch (scope `catalog:write`).
pub async fn update<K: CatalogKind>(
    caller: Caller,
    id: K::Id,
    patch: serde_json::Value,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let actor = Actor::from(&caller);
    let updated = state
        .db
        .write(move |conn| record::update::<K>(conn, &actor, id, &patch))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// 200 with what a batch did with each row, all rows or none (scope `catalog:write`).
pub async fn batch<K: CatalogKind>(
    caller: Caller,
    rows: BatchRows,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let parsed = batch::parse_rows::<K>(rows.0)?;
    let actor = Actor::from(&caller);
    let report = state
        .db
        .write(move |conn| batch::apply::<K>(conn, &actor, parsed, &mut |_| {}))
        .await?;
    Ok(HttpResponse::Ok().json(BatchResult::from(report)))
}

/// The `q` filter of a list: 1 to 200 characters, trimmed.
pub fn search_text(q: Option<&str>) -> Result<Option<String>, ApiError> {
    match q {
        Some(q) if q.trim().is_empty() || q.chars().count() > 200 => Err(
            ApiError::invalid_parameter("q", "must be 1 to 200 characters"),
        ),
        q => Ok(q.map(|q| q.trim().to_owned())),
    }
}
