//! Creating and replacing parties. The checks (identifiers free) are the use cases'
//! (`app::catalog`); these write what they were given.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::parties;
use crate::domain::ids::PartyId;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, insert_chunks, now_db};

/// Creates parties with the given ids (one multi-row insert per table and chunk).
pub fn insert_many(conn: &mut DbConn, new: &[(PartyId, NewParty)]) -> Result<(), StoreError> {
    let now = now_db();
    let rows: Vec<PartyRow> = new
        .iter()
        .map(|(id, p)| PartyRow {
            id: *id,
            content: changeset(p),
            created_at: now,
            updated_at: now,
        })
        .collect();
    insert_chunks!(conn, parties::table, rows, CHUNK);
    insert_children(conn, new)
}

/// Replaces many parties' rows and children: one UPDATE per party, then one DELETE and one
/// multi-row INSERT per child table and chunk. Returns the `updated_at` written.
pub fn replace_many(
    conn: &mut DbConn,
    rows: &[(PartyId, NewParty)],
) -> Result<DateTime<Utc>, StoreError> {
    let now = time::now();
    for (id, party) in rows {
        diesel::update(parties::table.find(id))
            .set((changeset(party), parties::updated_at.eq(time::to_db(now))))
            .execute(conn)?;
    }
    let ids: Vec<PartyId> = rows.iter().map(|(id, _)| *id).collect();
    delete_children(conn, &ids)?;
    insert_children(conn, rows)?;
    Ok(now)
}
