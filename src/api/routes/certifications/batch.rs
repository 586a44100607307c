//! `POST /v1/certifications/batch` and `oretrace import catalog --kind certifications`: many
//! certificates in one transaction; a row whose scheme and certificate number are already known
//! updates that certificate (recording history for changes of standing).

use std::collections::HashMap;

use actix_web::{HttpResponse, post, web};

use crate::api::error::{ApiError, FieldError};
use crate::api::http::batch::{BatchResult, BatchRows, RowOutcome};
use crate::api::http::caller::Caller;
use crate::api::routes::catalog::{batch_errors, today};
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::db::DbConn;
use crate::domain::ids::{CertificationId, FacilityId, PartyId};
use crate::domain::vocabulary::SubjectType;
use crate::store::audit::{self, Actor, EntityType};
use crate::store::certification::{self, Change};
use crate::store::{facility, party};

use super::input::{self, Parsed, SubjectInfo};

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
    request_body(content = Vec<super::CertificationInput>, description = "The certificates, at most 10,000"),
    responses((status = 200, description = "Every row applied", body = BatchResult)),
    security(("bearer" = ["catalog:write"]), ("oauth2" = ["catalog:write"]))
)]
#[post("/v1/certifications/batch")]
pub async fn batch_certifications(
    caller: Caller,
    rows: BatchRows,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let parsed = parse_rows(rows.0)?;
    let actor = Actor::from(&caller);
    let result = state
        .db
        .write(move |conn| apply(conn, &actor, parsed, &mut |_| {}))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Checks every row, reporting all errors at once.
pub fn parse_rows(rows: Vec<serde_json::Value>) -> Result<Vec<Parsed>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        match input::parse(&format!("/{i}"), row) {
            Ok(p) => parsed.push((i, p)),
            Err(e) => errors.extend(e),
        }
    }
    let mut first_row: HashMap<(String, String), usize> = HashMap::new();
    for (i, p) in &parsed {
        let i = *i;
        if let Some(number) = &p.certification.certificate_number {
            let key = (p.certification.scheme.clone(), number.clone());
            match first_row.get(&key) {
                Some(first) => errors.push(FieldError::at(
                    format!("/{i}/certificate_number"),
                    format!("{number} of {} is also the number of row {first}", key.0),
                )),
                None => {
                    first_row.insert(key, i);
                }
            }
        }
    }
    batch_errors(errors)?;
    Ok(parsed.into_iter().map(|(_, row)| row).collect())
}

/// Applies checked rows inside the caller's transaction: one query each for the schemes, the
/// subjects and the known certificate numbers, multi-row inserts for new certificates.
pub fn apply(
    conn: &mut DbConn,
    actor: &Actor,
    mut rows: Vec<Parsed>,
    progress: &mut dyn FnMut(usize),
) -> Result<BatchResult, ApiError> {
    batch_errors(input::resolve_subjects(conn, &mut rows, |i| {
        format!("/{i}")
    })?)?;
    let schemes = super::schemes_by_id(conn)?;
    let facility_ids: Vec<FacilityId> = rows
        .iter()
        .filter(|p| p.certification.subject.subject_type == SubjectType::Facility)
        .map(|p| FacilityId(p.certification.subject.id))
        .collect();
    let kinds = facility::kinds(conn, &facility_ids)?;
    let party_ids: Vec<PartyId> = rows
        .iter()
        .filter(|p| p.certification.subject.subject_type == SubjectType::Party)
        .map(|p| PartyId(p.certification.subject.id))
        .collect();
    let parties = party::existing(conn, &party_ids)?;
    let numbers: Vec<(String, String)> = rows
        .iter()
        .filter_map(|p| {
            p.certification
                .certificate_number
                .clone()
                .map(|n| (p.certification.scheme.clone(), n))
        })
        .collect();
    let owners = certification::number_owners(conn, &numbers)?;
    let known_ids: Vec<CertificationId> = owners.values().copied().collect();
    let existing: HashMap<CertificationId, certification::Certification> =
        certification::find_many(conn, &known_ids)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();

    let mut errors = Vec::new();
    let mut targets = Vec::with_capacity(rows.len());
    for (i, p) in rows.iter().enumerate() {
        let prefix = format!("/{i}");
        let c = &p.certification;
        let info = match c.subject.subject_type {
            SubjectType::Facility => input::facility_info(&kinds, c.subject.id),
            SubjectType::Party if parties.contains(&PartyId(c.subject.id)) => SubjectInfo::Party,
            SubjectType::Party => SubjectInfo::Missing,
        };
        errors.extend(input::check_against(&prefix, c, &schemes, info));
        let target = c
            .certificate_number
            .as_ref()
            .and_then(|n| owners.get(&(c.scheme.clone(), n.clone())))
            .and_then(|id| existing.get(id));
        match target {
            Some(current) => {
                let change = Change {
                    effective_on: p.effective_on.unwrap_or_else(today),
                    reason: p.reason.clone(),
                };
                errors.extend(input::check_change(&prefix, current, c, &change));
                targets.push(Some(change));
            }
            None => {
                if let Some(day) = p.effective_on
                    && day != c.valid_from
                {
                    errors.push(FieldError::at(
                        format!("{prefix}/effective_on"),
                        "a new certificate's first entry takes effect on valid_from",
                    ));
                }
                targets.push(None);
            }
        }
    }
    batch_errors(errors)?;

    let mut result = BatchResult::default();
    let mut creates = Vec::new();
    for (i, (p, change)) in rows.into_iter().zip(targets).enumerate() {
        let current = p
            .certification
            .certificate_number
            .as_ref()
            .and_then(|n| owners.get(&(p.certification.scheme.clone(), n.clone())))
            .and_then(|id| existing.get(id));
        match (current, change) {
            (Some(current), Some(change)) => {
                if p.certification.matches(current) {
                    result.push(i, current.id.0, RowOutcome::Unchanged);
                } else {
                    super::record_update(conn, actor, current, &p.certification, &change)?;
                    result.push(i, current.id.0, RowOutcome::Updated);
                }
                progress(1);
            }
            _ => {
                let id = CertificationId::generate();
                result.push(i, id.0, RowOutcome::Created);
                creates.push((id, p.certification, p.reason));
            }
        }
    }
    let mut changes = Vec::new();
    for chunk in creates.chunks(1000) {
        certification::insert_many(conn, actor, chunk)?;
        for (id, c, reason) in chunk {
            changes.push(audit::Change {
                action: "create",
                entity_type: EntityType::Certification,
                entity_id: id.to_string(),
                changes: serde_json::json!({
                    "subject": c.subject,
                    "scheme": c.scheme,
                    "level": c.level,
                    "status": c.status,
                    "valid_from": c.valid_from,
                    "valid_until": c.valid_until,
                    "certificate_number": c.certificate_number,
                    "assurance_body": c.assurance_body,
                    "evidence_url": c.evidence_url,
                    "evidence_sha256": c.evidence_sha256,
                    "minerals": c.sorted_minerals(),
                    "history_entry": {"effective_on": c.valid_from, "reason": reason},
                    "via": "batch",
                }),
            });
        }
        progress(chunk.len());
    }
    audit::record_many(conn, actor, &changes)?;
    Ok(result.finish())
}
