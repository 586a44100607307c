//! Creating and replacing facilities. The checks (identifiers free, parties known) are the use
//! cases' (`app::catalog`); these write what they were given.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::facilities;
use crate::domain::ids::FacilityId;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::{insert_chunks, now_db};

/// Creates facilities with the given ids (one multi-row insert per table and chunk).
pub fn insert_many(conn: &mut DbConn, new: &[(FacilityId, NewFacility)]) -> Result<(), StoreError> {
    let now = now_db();
    let rows = new
        .iter()
        .map(|(id, f)| {
            Ok(FacilityRow {
                id: *id,
                content: changeset(f)?,
                created_at: now,
                updated_at: now,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // 17 columns a row: 500 rows stay far below every bind-parameter limit.
    insert_chunks!(conn, facilities::table, rows, 500);
    insert_children(conn, new)
}

/// Replaces many facilities' rows and children: one UPDATE per facility, then one DELETE and
/// one multi-row INSERT per child table and chunk. Returns the `updated_at` written.
pub fn replace_many(
    conn: &mut DbConn,
    rows: &[(FacilityId, NewFacility)],
) -> Result<DateTime<Utc>, StoreError> {
    let now = time::now();
    for (id, f) in rows {
        diesel::update(facilities::table.find(id))
            .set((changeset(f)?, facilities::updated_at.eq(time::to_db(now))))
            .execute(conn)?;
    }
    let ids: Vec<FacilityId> = rows.iter().map(|(id, _)| *id).collect();
    delete_children(conn, &ids)?;
    insert_children(conn, rows)?;
    Ok(now)
}
