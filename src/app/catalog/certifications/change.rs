//! Recording one certificate and changing it: a change of status, level or validity is a
//! history entry effective on a day (default today), never before the latest recorded one.

use chrono::NaiveDate;

use super::{Certifications, checks, number_of, subject};
use crate::app::AppError;
use crate::app::catalog::patch::{editable, patched};
use crate::app::catalog::record::{self, ensure_free};
use crate::app::catalog::{CatalogKind, today};
use crate::db::DbConn;
use crate::domain::ids::CertificationId;
use crate::domain::text;
use crate::domain::time::IsoDate;
use crate::domain::validation::{Checked, FieldErrors};
use crate::store::audit::{self, Actor};
use crate::store::certification::{self, Certification, Change, NewCertification};

/// When and why a change asked for by a patch takes effect.
#[derive(Clone, Debug, Default)]
pub struct ChangeRequest {
    pub effective_on: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// Takes `effective_on` and `reason` out of a patch: they describe the change, not the
/// certificate.
pub fn change_of(patch: &mut serde_json::Value) -> Result<ChangeRequest, AppError> {
    let mut errors = FieldErrors::new();
    let Some(members) = patch.as_object_mut() else {
        return Ok(ChangeRequest::default());
    };
    let effective_on = match members.remove("effective_on") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let checked: Checked<IsoDate> =
                serde_json::from_value(value).map_err(AppError::internal)?;
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
    Ok(ChangeRequest {
        effective_on,
        reason,
    })
}

/// Changes a certificate with a JSON merge patch (without `effective_on` and `reason`, see
/// [`change_of`]). A patch that changes nothing records nothing.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: CertificationId,
    patch: &serde_json::Value,
    request: ChangeRequest,
) -> Result<Certification, AppError> {
    let read_only = Certifications::READ_ONLY;
    let current = record::find::<Certifications>(conn, id)?;
    let merged = patched(editable(&current, read_only)?, patch, read_only)?;
    let new = record::resolved::<Certifications>(conn, super::parse(merged)?)?.certification;
    if new.matches(&current) {
        return Ok(current);
    }
    let change = Change {
        effective_on: request.effective_on.unwrap_or_else(today),
        reason: request.reason,
    };
    let schemes = crate::app::catalog::schemes::by_id(conn)?;
    let subjects = subject::Subjects::load(conn, std::iter::once(&new.subject))?;
    let mut errors = checks::check_change(&current, &new, &change);
    errors.extend(checks::check_against(
        &new,
        &schemes,
        subjects.info(&new.subject),
    ));
    record::refused(errors)?;
    record_update(conn, actor, &current, &new, &change)
}

/// Applies a checked change and audits it; returns the certificate as it now is.
pub fn record_update(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Certification,
    new: &NewCertification,
    change: &Change,
) -> Result<Certification, AppError> {
    let (updated, audited) = apply_update(conn, actor, current, new, change)?;
    crate::app::webhooks::sweep::request_all(conn)?;
    audit::record_many(conn, actor, &[audited])?;
    Ok(updated)
}

/// Applies a checked change (409 when the number is another certificate's); returns the
/// certificate as it now is, and the change to audit.
pub(super) fn apply_update(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Certification,
    new: &NewCertification,
    change: &Change,
) -> Result<(Certification, audit::Change), AppError> {
    ensure_free::<Certifications>(conn, Some(current.id), number_of(new).into_iter().collect())?;
    let entry = certification::update(conn, actor, current, new, change)?;
    let updated = record::find::<Certifications>(conn, current.id)?;
    let hidden = ["history", "effective_status"];
    let mut changes = audit::diff(
        &editable(current, &hidden)?,
        &editable(&updated, &hidden)?,
        &["updated_at"],
    );
    if entry && let Some(object) = changes.as_object_mut() {
        object.insert(
            "history_entry".to_owned(),
            serde_json::json!({"effective_on": change.effective_on, "reason": change.reason}),
        );
    }
    let audited = audit::Change {
        action: "update",
        entity_type: Certifications::ENTITY,
        entity_id: current.id.to_string(),
        changes,
    };
    Ok((updated, audited))
}
