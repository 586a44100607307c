//! Creating and changing certificates, with their history entries.

use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{certification_history, certification_minerals, certifications};
use crate::domain::ids::CertificationId;
use crate::store::StoreError;
use crate::store::audit::Actor;
use crate::store::catalog::{CHUNK, insert_chunks, now_db};

/// Creates certificates with the given ids, each with its first history entry, effective on
/// its `valid_from` (one multi-row insert per table and chunk).
pub fn insert_many(
    conn: &mut DbConn,
    actor: &Actor,
    new: &[(CertificationId, NewCertification, Option<String>)],
) -> Result<(), StoreError> {
    let now = now_db();
    let rows: Vec<CertificationRow> = new.iter().map(|(id, c, _)| row_of(*id, c, now)).collect();
    insert_chunks!(conn, certifications::table, rows, 500);
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
    insert_chunks!(conn, certification_history::table, history, 500);
    let minerals: Vec<MineralRow> = new
        .iter()
        .flat_map(|(id, c, _)| mineral_rows(*id, c))
        .collect();
    insert_chunks!(conn, certification_minerals::table, minerals, CHUNK);
    Ok(())
}

/// Replaces a certificate's content. When its status, level or validity change, records a
/// history entry effective on `change.effective_on`. The caller has checked that the date is
/// not before the latest entry's, and that the number is free. Returns whether an entry was
/// recorded.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Certification,
    c: &NewCertification,
    change: &Change,
) -> Result<bool, StoreError> {
    let now = now_db();
    diesel::update(certifications::table.find(current.id))
        .set((
            certifications::level.eq(&c.level),
            certifications::status.eq(c.status),
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
            certification_minerals::table
                .filter(certification_minerals::certification_id.eq(current.id)),
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
