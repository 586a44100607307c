//! `/v1/facilities`: mines, smelters, refiners and other facilities of the shared catalog.

pub mod batch;
pub mod filters;
pub mod input;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::catalog::{editable, patched};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::db::DbConn;
use crate::domain::country::CountryCode;
use crate::domain::facility::Location;
use crate::domain::ids::FacilityId;
use crate::domain::vocabulary::{FacilityKind, FacilityStatus, Mineral, MiningScale};
use crate::store::audit::{self, Actor};
use crate::store::facility::{self, Facility, FacilityIdentifier, NewFacility};
use crate::store::{certification, party, scheme};

pub use input::FacilityInput;

crate::page_type!(FacilityList, Facility);

/// Members of a facility that a merge patch cannot change.
pub const READ_ONLY: [&str; 3] = ["id", "created_at", "updated_at"];

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
    coexistence_agreement: Option<input::CoexistenceAgreementInput>,
    /// `operating` or `closed`.
    #[schema(nullable = false)]
    status: Option<FacilityStatus>,
}

pub(crate) fn not_found(id: FacilityId) -> ApiError {
    ApiError::not_found(format!("no facility {id}"))
}

/// 422 unless every party the facility names exists.
fn check_parties(conn: &mut DbConn, f: &NewFacility) -> Result<(), ApiError> {
    let known = party::existing(conn, &f.party_ids())?;
    let missing = input::missing_parties("", f, &known);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(missing))
    }
}

/// Why the certificates of `current` would no longer apply if it became `new` (another kind or
/// scale), one message per certificate; empty when the kind and scale stay or all still apply.
pub(crate) fn certificates_left_behind(
    conn: &mut DbConn,
    current: &Facility,
    new: &NewFacility,
) -> Result<Vec<String>, ApiError> {
    if current.kind == new.kind && current.mining_scale == new.mining_scale {
        return Ok(Vec::new());
    }
    let subject = crate::domain::facility::scheme_subject(new.kind, new.mining_scale);
    let schemes = crate::api::routes::certifications::schemes_by_id(conn)?;
    let filter = crate::store::certification::CertificationFilter {
        subject_type: Some(crate::domain::vocabulary::SubjectType::Facility),
        subject_id: Some(current.id.0),
        ..Default::default()
    };
    let held = certification::list(conn, &filter, None, i64::from(u16::MAX))?;
    Ok(held
        .iter()
        .filter(|c| {
            !subject.is_some_and(|s| {
                schemes
                    .get(&c.scheme)
                    .is_some_and(|scheme| scheme.applies_to(s))
            })
        })
        .map(|c| {
            format!(
                "certification {} ({}) would no longer apply to a {}{}",
                c.id,
                c.scheme,
                new.mining_scale
                    .map(|s| format!("{s} "))
                    .unwrap_or_default(),
                new.kind
            )
        })
        .collect())
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
        .read(move |conn| -> Result<_, ApiError> {
            let database = filters.database;
            match filters.certified {
                None => Ok(facility::list(
                    conn,
                    &database,
                    request.after.as_deref(),
                    request.fetch_limit(),
                )?),
                Some((scheme_id, date)) => {
                    if scheme::find(conn, &scheme_id)?.is_none() {
                        return Err(ApiError::invalid_parameter(
                            "certified_scheme",
                            format!("no scheme {scheme_id}; see GET /v1/schemes"),
                        ));
                    }
                    let fetch_conn = std::cell::RefCell::new(conn);
                    pagination::fill(
                        &request,
                        |after, limit| {
                            facility::list(&mut fetch_conn.borrow_mut(), &database, after, limit)
                        },
                        |f| f.id.to_string(),
                        |batch| {
                            let ids: Vec<FacilityId> = batch.iter().map(|f| f.id).collect();
                            let active = certification::facilities_active_on(
                                &mut fetch_conn.borrow_mut(),
                                &scheme_id,
                                &ids,
                                date,
                            )?;
                            Ok(batch
                                .into_iter()
                                .filter(|f| active.contains(&f.id))
                                .collect())
                        },
                    )
                    .map_err(ApiError::from)
                }
            }
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
    caller.require(Scope::CatalogWrite)?;
    let new = input::parse("", body.0).map_err(ApiError::validation)?;
    let actor = Actor::from(&caller);
    let created = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            check_parties(conn, &new)?;
            let created = facility::insert(conn, &new)?;
            audit::record(
                conn,
                &actor,
                "create",
                "facility",
                &created.id.to_string(),
                &editable(&created, &["created_at", "updated_at"])?,
            )?;
            Ok(created)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/facilities/{}", created.id)))
        .json(created))
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
    caller.require(Scope::CatalogRead)?;
    let id = id.into_inner();
    let found = state.db.read(move |conn| facility::find(conn, id)).await?;
    found
        .map(|f| HttpResponse::Ok().json(f))
        .ok_or_else(|| not_found(id))
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
    caller.require(Scope::CatalogWrite)?;
    let id = id.into_inner();
    let patch = body.0;
    let actor = Actor::from(&caller);
    let updated = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let current = facility::find(conn, id)?.ok_or_else(|| not_found(id))?;
            let merged = patched(editable(&current, &READ_ONLY)?, &patch, &READ_ONLY)?;
            let new = input::parse("", merged).map_err(ApiError::validation)?;
            if new.matches(&current) {
                return Ok(current);
            }
            check_parties(conn, &new)?;
            let left_behind = certificates_left_behind(conn, &current, &new)?;
            if !left_behind.is_empty() {
                return Err(ApiError::conflict(format!(
                    "the facility's kind or mining scale cannot change while it holds certificates \
                     its new kind cannot hold: {}",
                    left_behind.join("; ")
                )));
            }
            let updated = facility::update(conn, id, &new)?;
            audit::record(
                conn,
                &actor,
                "update",
                "facility",
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
