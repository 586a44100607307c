//! Certificates of facilities and parties, with their history: created, changed (a change of
//! status, level or validity is a history entry effective on a day) or loaded in batches (a
//! row naming a known scheme and certificate number updates that certificate), listed, and
//! read as they stood on any day.

pub mod change;
pub mod checks;
pub mod input;
pub mod subject;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use change::{ChangeRequest, change_of, record_update, update};
pub use input::{CertificationInput, Parsed, parse};

use super::kind::{CatalogKind, Load, Lookup};
use super::patch::editable;
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::certification::EffectiveStatus;
use crate::domain::ids::{CertificationId, FacilityId, OrganisationId, PartyId};
use crate::domain::validation::{FieldError, Invalid};
use crate::domain::vocabulary::SubjectType;
use crate::store::StoreError;
use crate::store::audit::{self, Actor, EntityType};
use crate::store::certification::{
    self, CertificateNumber, Certification, CertificationFilter, CertificationSubject, Change,
};
use crate::store::page::{PageRequest, fill};
use crate::store::scheme::Scheme;
use crate::store::{facility, party};
use subject::Subjects;

/// Certificates, as a kind of catalog record.
pub struct Certifications;

impl CatalogKind for Certifications {
    type Row = Parsed;
    type Record = Certification;
    type Id = CertificationId;
    type Key = CertificateNumber;
    /// Every scheme by id, and what the rows' subjects are.
    type Context = (HashMap<String, Scheme>, Subjects);

    const ENTITY: EntityType = EntityType::Certification;
    const NAMES: (&'static str, &'static str) = ("certification", "certifications");
    const KEYS_FIELD: &'static str = "/certificate_number";
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "effective_status",
        "history",
        "created_at",
        "updated_at",
    ];
    const PARSE: fn(serde_json::Value) -> Result<Parsed, Invalid> = parse;
    const OWNERS: Lookup<CertificateNumber, CertificationId> = certification::number_owners;
    const FIND_MANY: Load<CertificationId, Certification> = certification::find_many;

    fn parse_new(value: serde_json::Value) -> Result<Parsed, AppError> {
        let row = parse(value)?;
        match checks::first_entry(&row) {
            Some(error) => Err(Invalid::from(error).into()),
            None => Ok(row),
        }
    }

    fn as_created(record: &Certification) -> Result<serde_json::Value, AppError> {
        editable(record, &["effective_status", "created_at", "updated_at"])
    }

    fn seen_by(record: Certification, viewer: OrganisationId) -> Certification {
        record.seen_by(viewer)
    }

    fn keys(row: &Parsed) -> Vec<(String, CertificateNumber)> {
        number_of(&row.certification)
            .map(|key| (Self::KEYS_FIELD.to_owned(), key))
            .into_iter()
            .collect()
    }

    fn also_in_row(key: &CertificateNumber, first: usize) -> String {
        format!("{key} is also the number of row {first}")
    }

    fn taken(key: &CertificateNumber, owner: CertificationId) -> String {
        format!(
            "the certificate number {} of scheme {} is already used by certification {owner}",
            key.number, key.scheme
        )
    }

    fn id(record: &Certification) -> CertificationId {
        record.id
    }

    fn resolve(
        conn: &mut DbConn,
        rows: &mut [Parsed],
    ) -> Result<Vec<(usize, FieldError)>, AppError> {
        Ok(subject::resolve(conn, rows)?)
    }

    fn context(conn: &mut DbConn, rows: &[Parsed]) -> Result<Self::Context, AppError> {
        let schemes = super::schemes::by_id(conn)?;
        let subjects = Subjects::load(conn, rows.iter().map(|r| &r.certification.subject))?;
        Ok((schemes, subjects))
    }

    fn check(
        (schemes, subjects): &Self::Context,
        row: &Parsed,
        current: Option<&Certification>,
    ) -> Vec<FieldError> {
        let c = &row.certification;
        let mut errors = checks::check_against(c, schemes, subjects.info(&c.subject));
        match current {
            Some(current) => errors.extend(checks::check_change(current, c, &change_of_row(row))),
            None => errors.extend(checks::first_entry(row)),
        }
        errors
    }

    fn matches(row: &Parsed, current: &Certification) -> bool {
        row.certification.matches(current)
    }

    fn insert_many(
        conn: &mut DbConn,
        actor: &Actor,
        rows: &[(CertificationId, Parsed)],
    ) -> Result<(), StoreError> {
        let new: Vec<_> = rows
            .iter()
            .map(|(id, row)| (*id, row.certification.clone(), row.reason.clone()))
            .collect();
        certification::insert_many(conn, actor, &new)
    }

    fn created(
        _: CertificationId,
        row: &Parsed,
        _: DateTime<Utc>,
    ) -> Result<serde_json::Value, AppError> {
        let c = &row.certification;
        Ok(json!({
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
            "history_entry": {"effective_on": c.valid_from, "reason": row.reason},
            "via": "batch",
        }))
    }

    fn replace_many(
        conn: &mut DbConn,
        actor: &Actor,
        rows: &[(CertificationId, Parsed)],
        current: &HashMap<CertificationId, Certification>,
    ) -> Result<Vec<audit::Change>, AppError> {
        let mut changes = Vec::with_capacity(rows.len());
        for (id, row) in rows {
            if let Some(before) = current.get(id) {
                let change = change_of_row(row);
                let (_, audited) =
                    change::apply_update(conn, actor, before, &row.certification, &change)?;
                changes.push(audited);
            }
        }
        Ok(changes)
    }
}

/// The scheme and number that name a certificate, when it has a number.
pub(super) fn number_of(c: &certification::NewCertification) -> Option<CertificateNumber> {
    c.certificate_number
        .clone()
        .map(|number| CertificateNumber {
            scheme: c.scheme.clone(),
            number,
        })
}

/// When and why a batch row's change of standing takes effect (default today).
fn change_of_row(row: &Parsed) -> Change {
    Change {
        effective_on: row.effective_on.unwrap_or_else(super::today),
        reason: row.reason.clone(),
    }
}

/// A page of certificates matching `filter` and, when given, whose effective status today is
/// `effective` (the page filled past the certificates it drops).
pub fn list(
    conn: &mut DbConn,
    filter: &CertificationFilter,
    effective: Option<EffectiveStatus>,
    page: &PageRequest,
) -> Result<Vec<Certification>, AppError> {
    let after = page.after.as_deref();
    let Some(wanted) = effective else {
        return Ok(certification::list(
            conn,
            filter,
            after,
            page.fetch_limit(),
        )?);
    };
    Ok(fill(
        page,
        |after, limit| certification::list(conn, filter, after, limit),
        |c| c.id.to_string(),
        |batch| {
            Ok::<_, StoreError>(
                batch
                    .into_iter()
                    .filter(|c| c.effective_status == wanted)
                    .collect(),
            )
        },
    )?)
}

/// A page of the certificates of one facility or party (of `scheme`, when given); 404 when
/// the subject does not exist. The page is read first and the subject looked up only when it
/// is empty, so that the common answer costs the list's queries alone (docs/PERFORMANCE.md,
/// "Certification lookup").
pub fn of_subject(
    conn: &mut DbConn,
    subject: CertificationSubject,
    scheme: Option<String>,
    page: &PageRequest,
) -> Result<Vec<Certification>, AppError> {
    let filter = CertificationFilter {
        scheme,
        subject_type: Some(subject.subject_type),
        subject_id: Some(subject.id),
        ..CertificationFilter::default()
    };
    let found = certification::list(conn, &filter, page.after.as_deref(), page.fetch_limit())?;
    if !found.is_empty() {
        return Ok(found);
    }
    let exists = match subject.subject_type {
        SubjectType::Facility => !facility::kinds(conn, &[FacilityId(subject.id)])?.is_empty(),
        SubjectType::Party => !party::existing(conn, &[PartyId(subject.id)])?.is_empty(),
    };
    if !exists {
        return Err(AppError::not_found(format!(
            "no {} {}",
            subject.subject_type, subject.id
        )));
    }
    Ok(found)
}
