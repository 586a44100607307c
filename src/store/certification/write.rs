//! Creating and changing certificates, with their history entries.

use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{certification_history, certification_minerals, certifications};
use crate::domain::ids::CertificationId;
use crate::store::StoreError;
use crate::store::audit::Actor;
use crate::store::catalog::{CHUNK, now_db};

/// Fails with 409 when `number` is already used by another certificate of the scheme.
pub fn check_number_free(
    conn: &mut DbConn,
    own: Option<CertificationId>,
    scheme: &str,
    number: Option<&str>,
) -> Result<(), StoreError> {
    let Some(number) = number else {
        return Ok(());
    };
    let key = (scheme.to_owned(), number.to_owned());
    if let Some(owner) = number_owners(conn, std::slice::from_ref(&key))?.get(&key)
        && Some(*owner) != own
    {
        return Err(StoreError::Conflict(format!(
            "the certificate number {number} of scheme {scheme} is already used by certification {owner}"
        )));
    }
    Ok(())
}

/// Creates certificates with the given ids, each with its first history entry, effective on
/// its `valid_from` (one multi-row insert per table and chunk).
pub fn insert_many(
    conn: &mut DbConn,
    actor: &Actor,
    new: &[(CertificationId, NewCertification, Option<String>)],
) -> Result<(), StoreError> {
    let now = now_db();
    let rows: Vec<CertificationRow> = new.iter().map(|(id, c, _)| row_of(*id, c, now)).collect();
    for chunk in rows.chunks(500) {
        crate::db_run!(conn => diesel::insert_into(certifications::table).values(chunk).execute(conn))?;
    }
    let history: Vec<HistoryRow> = new
        .iter()
        .map(|(id, c, reason)| {
            let first = Change {
                effective_on: c.valid_from,
                reason: reason.clone(),
            };
            history_row(*id, c, &first, actor, now)
        })
        .collect();
    for chunk in history.chunks(500) {
        crate::db_run!(conn => diesel::insert_into(certification_history::table).values(chunk).execute(conn))?;
    }
    let minerals: Vec<MineralRow> = new
        .iter()
        .flat_map(|(id, c, _)| mineral_rows(*id, c))
        .collect();
    for chunk in minerals.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(certification_minerals::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// Creates a certificate; 409 when its number is taken within the scheme.
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    c: &NewCertification,
    reason: Option<String>,
) -> Result<Certification, StoreError> {
    check_number_free(conn, None, &c.scheme, c.certificate_number.as_deref())?;
    let id = CertificationId::generate();
    insert_many(conn, actor, &[(id, c.clone(), reason)])?;
    find(conn, id)?.ok_or_else(|| StoreError::corrupt("certification vanished after insert"))
}

/// Replaces a certificate's content. When its status, level or validity change, records a
/// history entry effective on `change.effective_on`. The caller has checked that the date is
/// not before the latest entry's. Returns whether an entry was recorded.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Certification,
    c: &NewCertification,
    change: &Change,
) -> Result<bool, StoreError> {
    check_number_free(
        conn,
        Some(current.id),
        &c.scheme,
        c.certificate_number.as_deref(),
    )?;
    let key = current.id.to_string();
    let now = now_db();
    diesel::update(certifications::table.find(&key))
        .set((
            certifications::level.eq(&c.level),
            certifications::status.eq(c.status.as_str()),
            certifications::valid_from.eq(c.valid_from),
            certifications::valid_until.eq(c.valid_until),
            certifications::certificate_number.eq(&c.certificate_number),
            certifications::assurance_body.eq(&c.assurance_body),
            certifications::evidence_url.eq(&c.evidence_url),
            certifications::evidence_sha256.eq(&c.evidence_sha256),
            certifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    if c.sorted_minerals() != current.minerals {
        diesel::delete(
            certification_minerals::table.filter(certification_minerals::certification_id.eq(&key)),
        )
        .execute(conn)?;
        let rows = mineral_rows(current.id, c);
        crate::db_run!(conn => diesel::insert_into(certification_minerals::table).values(&rows).execute(conn))?;
    }
    let record = c.changes_standing(current);
    if record {
        let row = history_row(current.id, c, change, actor, now);
        diesel::insert_into(certification_history::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(record)
}
