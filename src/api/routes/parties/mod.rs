//! `/v1/parties`: companies and organisations of the shared catalog.

pub mod batch;
pub mod input;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::catalog::{editable, patched, split_identifier};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::domain::country::CountryCode;
use crate::domain::identifiers;
use crate::domain::ids::PartyId;
use crate::domain::vocabulary::{PartyIdentifierScheme, PartyRole};
use crate::store::audit::{self, Actor};
use crate::store::party::{self, Party, PartyFilter, PartyIdentifier};

pub use input::PartyInput;

crate::page_type!(PartyList, Party);

/// Members of a party that a merge patch cannot change.
pub const READ_ONLY: [&str; 3] = ["id", "created_at", "updated_at"];

/// Filters and paging of `GET /v1/parties`; all given filters must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartyListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
    /// Only parties playing this role.
    pub role: Option<PartyRole>,
    /// Only parties registered in this country (ISO 3166-1 alpha-2).
    #[param(value_type = Option<CountryCode>)]
    pub country: Option<CountryCode>,
    /// Only the party with this identifier, as `scheme:value` (such as
    /// `lei:5493001KJTIIGC8Y1R12`).
    pub identifier: Option<String>,
    /// Only parties whose name contains this text, ignoring case.
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}

/// A merge patch of a party (RFC 7396): members present replace the current values, `null`
/// clears a clearable member (`country`), lists (`roles`, `identifiers`) are replaced whole.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "documents the PATCH body; the patch is applied as JSON"
)]
pub struct PartyPatch {
    /// Name, 1 to 200 characters.
    #[schema(nullable = false)]
    name: Option<String>,
    /// The roles it plays (replaces the list).
    #[schema(nullable = false)]
    roles: Option<Vec<PartyRole>>,
    /// Country of registration, or null to clear.
    country: Option<CountryCode>,
    /// Identifiers (replaces the list).
    #[schema(nullable = false)]
    identifiers: Option<Vec<PartyIdentifier>>,
}

pub(crate) fn parse_identifier(text: &str) -> Result<PartyIdentifier, ApiError> {
    let (scheme, value) = split_identifier("identifier", text)?;
    let scheme = PartyIdentifierScheme::parse(&scheme).ok_or_else(|| {
        ApiError::invalid_parameter(
            "identifier",
            format!(
                "the scheme must be one of {}",
                PartyIdentifierScheme::expected()
            ),
        )
    })?;
    let value = identifiers::party_identifier(scheme, &value)
        .map_err(|e| ApiError::invalid_parameter("identifier", e))?;
    Ok(PartyIdentifier { scheme, value })
}

pub(crate) fn not_found(id: PartyId) -> ApiError {
    ApiError::not_found(format!("no party {id}"))
}

/// Lists parties, oldest first (scope `catalog:read`).
#[utoipa::path(
    tag = "parties",
    operation_id = "list_parties",
    params(PartyListQuery),
    responses((status = 200, description = "A page of parties", body = PartyList)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/parties")]
pub async fn list_parties(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<PartyListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let q = query.0;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    if q.q
        .as_deref()
        .is_some_and(|q| q.trim().is_empty() || q.chars().count() > 200)
    {
        return Err(ApiError::invalid_parameter(
            "q",
            "must be 1 to 200 characters",
        ));
    }
    let filter = PartyFilter {
        role: q.role,
        country: q.country,
        identifier: q.identifier.as_deref().map(parse_identifier).transpose()?,
        q: q.q.map(|q| q.trim().to_owned()),
    };
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| party::list(conn, &filter, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |p| p.id.to_string());
    Ok(pagination::respond(&req, &page))
}

/// Registers a party (scope `catalog:write`).
#[utoipa::path(
    tag = "parties",
    operation_id = "create_party",
    request_body = PartyInput,
    responses(
        (status = 201, description = "Created", body = Party,
         headers(("Location" = String, description = "The new party"))),
        (status = 409, description = "An identifier is already used by another party",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/parties")]
pub async fn create_party(
    caller: Caller,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let new = input::parse("", body.0).map_err(ApiError::validation)?;
    let actor = Actor::from(&caller);
    let created = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let created = party::insert(conn, &new)?;
            audit::record(
                conn,
                &actor,
                "create",
                "party",
                &created.id.to_string(),
                &editable(&created, &["created_at", "updated_at"])?,
            )?;
            Ok(created)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/parties/{}", created.id)))
        .json(created))
}

/// Reads a party (scope `catalog:read`).
#[utoipa::path(
    tag = "parties",
    operation_id = "get_party",
    params(("id" = PartyId, Path, description = "Party id")),
    responses((status = 200, description = "The party", body = Party)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/parties/{id}")]
pub async fn get_party(
    caller: Caller,
    id: web::Path<PartyId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let id = id.into_inner();
    let found = state.db.read(move |conn| party::find(conn, id)).await?;
    found
        .map(|p| HttpResponse::Ok().json(p))
        .ok_or_else(|| not_found(id))
}

/// Changes a party with a JSON merge patch (RFC 7396; scope `catalog:write`): members present
/// replace the current values, `null` clears `country`, lists are replaced whole. The result is
/// checked as a whole, as on creation.
#[utoipa::path(
    tag = "parties",
    operation_id = "update_party",
    params(("id" = PartyId, Path, description = "Party id")),
    request_body(content = PartyPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed party", body = Party),
        (status = 409, description = "An identifier is already used by another party",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[patch("/v1/parties/{id}")]
pub async fn update_party(
    caller: Caller,
    id: web::Path<PartyId>,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let id = id.into_inner();
    let patch = body.0;
    let actor = Actor::from(&caller);
    let updated = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let current = party::find(conn, id)?.ok_or_else(|| not_found(id))?;
            let merged = patched(editable(&current, &READ_ONLY)?, &patch, &READ_ONLY)?;
            let new = input::parse("", merged).map_err(ApiError::validation)?;
            if new.matches(&current) {
                return Ok(current);
            }
            let updated = party::update(conn, id, &new)?;
            audit::record(
                conn,
                &actor,
                "update",
                "party",
                &id.to_string(),
                &audit::diff(
                    &serde_json::to_value(&current).map_err(ApiError::internal)?,
                    &serde_json::to_value(&updated).map_err(ApiError::internal)?,
                    &["updated_at"],
                ),
            )?;
            Ok(updated)
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}
