//! `/v1/certifications`: certificates of facilities and parties, with their history and their
//! effective status on any date.

pub mod as_of;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::batch::{BatchResult, BatchRows};
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::catalog_handlers as handlers;
use crate::api::state::AppState;
use crate::app::catalog::certifications::{self, Certifications};
use crate::auth::Scope;
use crate::domain::certification::EffectiveStatus;
use crate::domain::ids::CertificationId;
use crate::domain::vocabulary::{CertificationStatus, Mineral, SubjectType};
use crate::store::audit::Actor;
use crate::store::certification::{Certification, CertificationFilter};

pub use crate::app::catalog::certifications::input::CertificationInput;
pub use crate::app::catalog::certifications::subject::SubjectInput;

crate::page_type!(CertificationList, Certification);

/// Filters and paging of `GET /v1/certifications`; all given filters must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CertificationListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
    /// Only certificates of this scheme (such as `irma`).
    pub scheme: Option<String>,
    /// Only certificates whose latest recorded status is this.
    pub status: Option<CertificationStatus>,
    /// Only certificates whose effective status today (UTC) is this, under the as-of rules
    /// (an `active` certificate past its last valid day is `expired`).
    pub effective_status: Option<EffectiveStatus>,
    /// Only certificates of facilities, or only of parties.
    pub subject_type: Option<SubjectType>,
    /// Only certificates of this facility or party.
    #[param(value_type = Option<String>, format = Uuid)]
    pub subject_id: Option<uuid::Uuid>,
    /// Only certificates with this mineral in scope.
    pub mineral: Option<Mineral>,
    /// Only certificates whose last valid day (`valid_until`) is before this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub expiring_before: Option<NaiveDate>,
}

/// A merge patch of a certificate (RFC 7396) with, optionally, when and why its change takes
/// effect. The scheme and the subject cannot change.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "documents the PATCH body; the patch is applied as JSON"
)]
pub struct CertificationPatch {
    /// The recorded status; a change is a history entry.
    #[schema(nullable = false)]
    status: Option<CertificationStatus>,
    /// The level; a change is a history entry.
    level: Option<String>,
    /// The first valid day; a change is a history entry.
    #[schema(nullable = false)]
    valid_from: Option<NaiveDate>,
    /// The last valid day, or null for open-ended; a change is a history entry.
    valid_until: Option<NaiveDate>,
    /// The certificate number; null to clear.
    certificate_number: Option<String>,
    /// The assurance body; null to clear.
    assurance_body: Option<String>,
    /// The evidence URL; null to clear.
    evidence_url: Option<String>,
    /// The evidence digest; null to clear.
    evidence_sha256: Option<String>,
    /// The minerals in scope (replaces the list).
    #[schema(nullable = false)]
    minerals: Option<Vec<Mineral>>,
    /// The day a change of status, level or validity takes effect (default today, UTC); not
    /// before the latest recorded change. Ignored when none of them changes.
    #[schema(nullable = false)]
    effective_on: Option<NaiveDate>,
    /// Why it changed, kept in the history entry.
    reason: Option<String>,
}

/// Lists certificates, oldest first (scope `catalog:read`).
#[utoipa::path(
    tag = "certifications",
    operation_id = "list_certifications",
    params(CertificationListQuery),
    responses((status = 200, description = "A page of certificates", body = CertificationList)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/certifications")]
pub async fn list_certifications(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<CertificationListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let q = query.0;
    let page = PageRequest::new(q.limit, q.cursor.as_deref())?;
    let filter = CertificationFilter {
        scheme: q.scheme,
        status: q.status,
        subject_type: q.subject_type,
        subject_id: q.subject_id,
        mineral: q.mineral,
        expiring_before: q.expiring_before,
    };
    let effective = q.effective_status;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| certifications::list(conn, &filter, effective, &request))
        .await?;
    let viewer = caller.organisation_id;
    let page = Page::from_rows(rows, &page, |c| c.id.to_string()).map(|c| c.seen_by(viewer));
    Ok(pagination::respond(&req, &page))
}

/// Records a certificate (scope `catalog:write`). Its first history entry takes effect on
/// `valid_from`.
#[utoipa::path(
    tag = "certifications",
    operation_id = "create_certification",
    request_body = CertificationInput,
    responses(
        (status = 201, description = "Created", body = Certification,
         headers(("Location" = String, description = "The new certificate"))),
        (status = 409, description = "The certificate number is already used in this scheme",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/certifications")]
pub async fn create_certification(
    caller: Caller,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::create::<Certifications>(caller, body.0, state).await
}

/// Reads a certificate with its history and its effective status today (scope
/// `catalog:read`).
#[utoipa::path(
    tag = "certifications",
    operation_id = "get_certification",
    params(("id" = CertificationId, Path, description = "Certification id")),
    responses((status = 200, description = "The certificate", body = Certification)),
    security(("bearer" = ["catalog:read"]), ("oauth2" = ["catalog:read"]))
)]
#[get("/v1/certifications/{id}")]
pub async fn get_certification(
    caller: Caller,
    id: web::Path<CertificationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::get::<Certifications>(caller, id.into_inner(), state).await
}

/// Changes a certificate with a JSON merge patch (RFC 7396; scope `catalog:write`).
///
/// A change of `status`, `level`, `valid_from` or `valid_until` is recorded as a history entry
/// effective on `effective_on` (default today, UTC; not before the latest recorded change),
/// with the optional `reason` and the caller as recorder. Other members change without a
/// history entry (the audit trail keeps them). A patch that changes nothing records nothing.
#[utoipa::path(
    tag = "certifications",
    operation_id = "update_certification",
    params(("id" = CertificationId, Path, description = "Certification id")),
    request_body(content = CertificationPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed certificate", body = Certification),
        (status = 409, description = "The certificate number is already used in this scheme",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[patch("/v1/certifications/{id}")]
pub async fn update_certification(
    caller: Caller,
    id: web::Path<CertificationId>,
    body: ApiJson<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let id = id.into_inner();
    let mut patch = body.0;
    let change = certifications::change_of(&mut patch)?;
    let actor = Actor::from(&caller);
    let updated = state
        .db
        .write(move |conn| certifications::update(conn, &actor, id, &patch, change))
        .await?;
    Ok(HttpResponse::Ok().json(updated.seen_by(caller.organisation_id)))
}

/// Creates or updates many certificates at once, all or none (scope `catalog:write`).
///
/// The body is a JSON array of certificates (as `POST /v1/certifications`), at most 10,000
/// rows. A row whose `scheme` and `certificate_number` are already known updates that
/// certificate, as a PATCH with every member would: a change of status, level or validity is
/// recorded as a history entry effective on the row's `effective_on` (default today, UTC).
/// Rows without a certificate number always create. Any invalid row fails the whole batch with
/// 422, listing every error with the row index first in its pointer (`/17/valid_until`);
/// nothing is written.
#[utoipa::path(
    tag = "certifications",
    operation_id = "batch_certifications",
    request_body(content = Vec<CertificationInput>, description = "The certificates, at most 10,000"),
    responses((status = 200, description = "Every row applied", body = BatchResult)),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/certifications/batch")]
pub async fn batch_certifications(
    caller: Caller,
    rows: BatchRows,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handlers::batch::<Certifications>(caller, rows, state).await
}
