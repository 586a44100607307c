//! `/v1/certifications`: certificates of facilities and parties, with their history and their
//! effective status on any date.

pub mod as_of;
pub mod batch;
pub mod input;
pub mod subject;

use std::collections::HashMap;

use crate::domain::time::IsoDate;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, FieldError};
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::input::{Checked, FieldErrors};
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::catalog::{editable, patched, today};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::db::DbConn;
use crate::domain::certification::EffectiveStatus;
use crate::domain::ids::{CertificationId, FacilityId, PartyId};
use crate::domain::text;
use crate::domain::vocabulary::{CertificationStatus, Mineral, SubjectType};
use crate::store::audit::{self, Actor};
use crate::store::certification::{
    self, Certification, CertificationFilter, CertificationSubject, Change, NewCertification,
};
use crate::store::scheme::{self, Scheme};
use crate::store::{facility, party};

pub use input::CertificationInput;

crate::page_type!(CertificationList, Certification);

/// Members of a certificate that a merge patch cannot change.
pub const READ_ONLY: [&str; 5] = [
    "id",
    "effective_status",
    "history",
    "created_at",
    "updated_at",
];

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

pub(crate) fn not_found(id: CertificationId) -> ApiError {
    ApiError::not_found(format!("no certification {id}"))
}

/// Every scheme by id.
pub(crate) fn schemes_by_id(conn: &mut DbConn) -> Result<HashMap<String, Scheme>, ApiError> {
    Ok(scheme::all(conn)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect())
}

/// What the subject of `c` is, from the database.
fn subject_info(
    conn: &mut DbConn,
    subject: &CertificationSubject,
) -> Result<input::SubjectInfo, ApiError> {
    Ok(match subject.subject_type {
        SubjectType::Facility => {
            let kinds = facility::kinds(conn, &[FacilityId(subject.id)])?;
            input::facility_info(&kinds, subject.id)
        }
        SubjectType::Party => {
            if party::existing(conn, &[PartyId(subject.id)])?.is_empty() {
                input::SubjectInfo::Missing
            } else {
                input::SubjectInfo::Party
            }
        }
    })
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
        .read(move |conn| match effective {
            None => certification::list(
                conn,
                &filter,
                request.after.as_deref(),
                request.fetch_limit(),
            ),
            Some(wanted) => pagination::fill(
                &request,
                |after, limit| certification::list(conn, &filter, after, limit),
                |c| c.id.to_string(),
                |batch| {
                    Ok(batch
                        .into_iter()
                        .filter(|c| c.effective_status == wanted)
                        .collect())
                },
            ),
        })
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
    caller.require(Scope::CatalogWrite)?;
    let parsed = input::parse("", body.0).map_err(ApiError::validation)?;
    if let Some(day) = parsed.effective_on
        && day != parsed.certification.valid_from
    {
        return Err(ApiError::invalid_field(
            "/effective_on",
            "a new certificate's first entry takes effect on valid_from",
        ));
    }
    let actor = Actor::from(&caller);
    let created = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let mut rows = [parsed];
            let unknown = input::resolve_subjects(conn, &mut rows, |_| String::new())?;
            if !unknown.is_empty() {
                return Err(ApiError::validation(unknown));
            }
            let [parsed] = rows;
            let c = parsed.certification;
            let schemes = schemes_by_id(conn)?;
            let info = subject_info(conn, &c.subject)?;
            let errors = input::check_against("", &c, &schemes, info);
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            let created = certification::insert(conn, &actor, &c, parsed.reason)?;
            audit::record(
                conn,
                &actor,
                "create",
                "certification",
                &created.id.to_string(),
                &editable(&created, &["effective_status", "created_at", "updated_at"])?,
            )?;
            Ok(created)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/certifications/{}", created.id),
        ))
        .json(created.seen_by(caller.organisation_id)))
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
    caller.require(Scope::CatalogRead)?;
    let id = id.into_inner();
    let found = state
        .db
        .read(move |conn| certification::find(conn, id))
        .await?;
    found
        .map(|c| HttpResponse::Ok().json(c.seen_by(caller.organisation_id)))
        .ok_or_else(|| not_found(id))
}

/// Takes `effective_on` and `reason` out of a patch: they describe the change, not the
/// certificate.
fn change_of(
    patch: &mut serde_json::Value,
) -> Result<(Option<NaiveDate>, Option<String>), ApiError> {
    let mut errors = FieldErrors::new();
    let Some(members) = patch.as_object_mut() else {
        return Ok((None, None));
    };
    let effective_on = match members.remove("effective_on") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let checked: Checked<IsoDate> =
                serde_json::from_value(value).map_err(ApiError::internal)?;
            errors.take("/effective_on", checked).map(|d| d.0)
        }
    };
    let reason = match members.remove("reason") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) => errors.check("/reason", text::explanation(&text)),
        Some(_) => {
            errors.add("/reason", "must be a string");
            None
        }
    };
    errors.into_result()?;
    Ok((effective_on, reason))
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
    let (effective_on, reason) = change_of(&mut patch)?;
    let actor = Actor::from(&caller);
    let updated = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let current = certification::find(conn, id)?.ok_or_else(|| not_found(id))?;
            let merged = patched(editable(&current, &READ_ONLY)?, &patch, &READ_ONLY)?;
            let mut rows = [input::parse("", merged).map_err(ApiError::validation)?];
            let unknown = input::resolve_subjects(conn, &mut rows, |_| String::new())?;
            if !unknown.is_empty() {
                return Err(ApiError::validation(unknown));
            }
            let [parsed] = rows;
            let new: NewCertification = parsed.certification;
            if new.matches(&current) {
                return Ok(current);
            }
            let change = Change {
                effective_on: effective_on.unwrap_or_else(today),
                reason,
            };
            let schemes = schemes_by_id(conn)?;
            let info = subject_info(conn, &new.subject)?;
            let mut errors: Vec<FieldError> = input::check_change("", &current, &new, &change);
            errors.extend(input::check_against("", &new, &schemes, info));
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            record_update(conn, &actor, &current, &new, &change)
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated.seen_by(caller.organisation_id)))
}

/// Applies a checked change and audits it; returns the certificate as it now is.
pub(crate) fn record_update(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Certification,
    new: &NewCertification,
    change: &Change,
) -> Result<Certification, ApiError> {
    let entry = certification::update(conn, actor, current, new, change)?;
    let updated = certification::find(conn, current.id)?
        .ok_or_else(|| ApiError::internal("certification vanished after update"))?;
    let mut changes = audit::diff(
        &editable(current, &["history", "effective_status"])?,
        &editable(&updated, &["history", "effective_status"])?,
        &["updated_at"],
    );
    if entry && let Some(object) = changes.as_object_mut() {
        object.insert(
            "history_entry".to_owned(),
            serde_json::json!({"effective_on": change.effective_on, "reason": change.reason}),
        );
    }
    audit::record(
        conn,
        actor,
        "update",
        "certification",
        &current.id.to_string(),
        &changes,
    )?;
    Ok(updated)
}
