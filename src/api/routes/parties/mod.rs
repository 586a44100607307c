//! `/v1/parties`: companies and organisations of the shared catalog.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::batch::{BatchResult, BatchRows};
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::catalog_handlers::{self as handlers, search_text};
use crate::api::state::AppState;
use crate::app::catalog::parties::{self, Parties};
use crate::auth::Scope;
use crate::domain::country::CountryCode;
use crate::domain::identifiers;
use crate::domain::ids::PartyId;
use crate::domain::vocabulary::PartyRole;
use crate::store::party::{Party, PartyFilter, PartyIdentifier};

pub use crate::app::catalog::parties::input::{PartyIdentifierInput, PartyInput};

crate::page_type!(PartyList, Party);

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

fn parse_identifier(text: &str) -> Result<PartyIdentifier, ApiError> {
    identifiers::read_party_identifier(text)
        .map(|(scheme, value)| PartyIdentifier { scheme, value })
        .map_err(|why| {
            ApiError::invalid_parameter("identifier", why.message("the scheme must be one of"))
        })
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
    let search = search_text(q.q.as_deref())?;
    let filter = PartyFilter {
        role: q.role,
        country: q.country,
        identifier: q.identifier.as_deref().map(parse_identifier).transpose()?,
        q: search,
    };
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| parties::list(conn, &filter, &request))
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
    handlers::create::<Parties>(caller, body.0, state).await
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
    handlers::get::<Parties>(caller, id.into_inner(), state).await
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
    handlers::update::<Parties>(caller, id.into_inner(), body.0, state).await
}

/// Creates or updates many parties at once, all or none (scope `catalog:write`).
///
/// The body is a JSON array of parties (as `POST /v1/parties`), at most 10,000 rows. A row with
/// an identifier that is already known updates that party: its name, roles and country are
/// replaced, its identifiers are added to the known ones (none is removed). Any invalid row
/// fails the whole batch with 422, listing every error with the row index first in its pointer
/// (`/17/country`); nothing is written.
#[utoipa::path(
    tag = "parties",
    operation_id = "batch_parties",
    request_body(content = Vec<PartyInput>, description = "The parties, at most 10,000"),
    responses((status = 200, description = "Every row applied", body = BatchResult)),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/parties/batch")]
pub async fn batch_parties(
    caller: Caller,
    rows: BatchRows,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::batch::<Parties>(caller, rows, state).await
}
