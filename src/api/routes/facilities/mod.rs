//! `/v1/facilities`: mines, smelters, refiners and other facilities of the shared catalog.

pub mod filters;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::http::batch::{BatchResult, BatchRows};
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::catalog_handlers as handlers;
use crate::api::state::AppState;
use crate::app::catalog::facilities::{self, Facilities};
use crate::auth::Scope;
use crate::domain::country::CountryCode;
use crate::domain::facility::Location;
use crate::domain::ids::FacilityId;
use crate::domain::vocabulary::{FacilityKind, FacilityStatus, Mineral, MiningScale};
use crate::store::facility::{Facility, FacilityIdentifier};

pub use crate::app::catalog::facilities::input::{
    CoexistenceAgreementInput, FacilityIdentifierInput, FacilityInput,
};

crate::page_type!(FacilityList, Facility);

/// A merge patch of a facility (RFC 7396): members present replace the current values, `null`
/// clears a clearable member, nested objects (`location`, `coexistence_agreement`) merge, lists
/// are replaced whole. The result must be a valid facility: turning a mine into a smelter, for
/// instance, needs `"mining_scale": null` too.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "documents the PATCH body; the patch is applied as JSON"
)]
pub struct FacilityPatch {
    /// Name, 1 to 200 characters.
    #[schema(nullable = false)]
    name: Option<String>,
    /// What it does.
    #[schema(nullable = false)]
    kind: Option<FacilityKind>,
    /// Mines only: `asm` or `lsm`; null for other kinds.
    mining_scale: Option<MiningScale>,
    /// The minerals (replaces the list).
    #[schema(nullable = false)]
    minerals: Option<Vec<Mineral>>,
    /// Country (ISO 3166-1 alpha-2).
    #[schema(nullable = false)]
    country: Option<CountryCode>,
    /// ISO 3166-2 code or region name; null to clear.
    subdivision: Option<String>,
    /// Location; null to clear.
    location: Option<Location>,
    /// Operator party; null to clear.
    #[schema(value_type = Option<String>, format = Uuid)]
    operator_party_id: Option<String>,
    /// Identifiers (replaces the list).
    #[schema(nullable = false)]
    identifiers: Option<Vec<FacilityIdentifier>>,
    /// Conflict-affected or high-risk area.
    #[schema(nullable = false)]
    cahra: Option<bool>,
    /// Basis of the CAHRA designation; null to clear.
    cahra_basis: Option<String>,
    /// LSM mines only; null for unknown.
    asm_presence: Option<bool>,
    /// LSM mines only; null to clear.
    coexistence_agreement: Option<CoexistenceAgreementInput>,
    /// `operating` or `closed`.
    #[schema(nullable = false)]
    status: Option<FacilityStatus>,
}

/// Lists facilities, oldest first (scope `catalog:read`).
///
/// `certified_scheme` (with `certified_on`, default today) keeps the facilities that hold a
/// certificate of that scheme whose effective status is `active` on that day, under the same
/// as-of rules as `GET /v1/facilities/{id}/certifications`.
#[utoipa::path(
    tag = "facilities",
    operation_id = "list_facilities",
    params(filters::FacilityListQuery),
    responses((status = 200, description = "A page of facilities", body = FacilityList)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/facilities")]
pub async fn list_facilities(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<filters::FacilityListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let filters = filters::parse(&query.0)?;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| {
            facilities::list(
                conn,
                &filters.database,
                filters.certified.as_ref(),
                &request,
            )
        })
        .await?;
    let page = Page::from_rows(rows, &page, |f| f.id.to_string());
    Ok(pagination::respond(&req, &page))
}

/// Registers a facility (scope `catalog:write`).
#[utoipa::path(
    tag = "facilities",
    operation_id = "create_facility",
    request_body = FacilityInput,
    responses(
        (status = 201, description = "Created", body = Facility,
         headers(("Location" = String, description = "The new facility"))),
        (status = 409, description = "An identifier is already used by another facility",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/facilities")]
pub async fn create_facility(
    caller: Caller,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::create::<Facilities>(caller, body.0, state).await
}

/// Reads a facility (scope `catalog:read`).
#[utoipa::path(
    tag = "facilities",
    operation_id = "get_facility",
    params(("id" = FacilityId, Path, description = "Facility id")),
    responses((status = 200, description = "The facility", body = Facility)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/facilities/{id}")]
pub async fn get_facility(
    caller: Caller,
    id: web::Path<FacilityId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::get::<Facilities>(caller, id.into_inner(), state).await
}

/// Changes a facility with a JSON merge patch (RFC 7396; scope `catalog:write`). The patched
/// facility is checked as a whole, as on creation.
#[utoipa::path(
    tag = "facilities",
    operation_id = "update_facility",
    params(("id" = FacilityId, Path, description = "Facility id")),
    request_body(content = FacilityPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed facility", body = Facility),
        (status = 409, description = "An identifier is already used by another facility, or a \
         new kind or scale would leave certificates it cannot hold",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[patch("/v1/facilities/{id}")]
pub async fn update_facility(
    caller: Caller,
    id: web::Path<FacilityId>,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::update::<Facilities>(caller, id.into_inner(), body.0, state).await
}

/// Creates or updates many facilities at once, all or none (scope `catalog:write`).
///
/// The body is a JSON array of facilities (as `POST /v1/facilities`), at most 10,000 rows. A
/// row with an identifier that is already known (such as `rmi_cid:CID001234`) updates that
/// facility: every field is replaced by the row's, except identifiers, which are added to the
/// known ones (none is removed). Any invalid row fails the whole batch with 422, listing every
/// error with the row index first in its pointer (`/17/country`); nothing is written.
#[utoipa::path(
    tag = "facilities",
    operation_id = "batch_facilities",
    request_body(content = Vec<FacilityInput>, description = "The facilities, at most 10,000"),
    responses((status = 200, description = "Every row applied", body = BatchResult)),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/facilities/batch")]
pub async fn batch_facilities(
    caller: Caller,
    rows: BatchRows,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::batch::<Facilities>(caller, rows, state).await
}
