//! Creating and replacing parties.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{parties, party_identifiers, party_roles};
use crate::domain::ids::PartyId;
use crate::domain::text;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, now_db};

/// Fails with 409 when one of `identifiers` belongs to another party than `own`.
pub fn check_identifiers_free(
    conn: &mut DbConn,
    own: Option<PartyId>,
    identifiers: &[PartyIdentifier],
) -> Result<(), StoreError> {
    let owners = owners_of(conn, identifiers)?;
    for identifier in identifiers {
        if let Some(owner) = owners.get(identifier)
            && Some(*owner) != own
        {
            return Err(StoreError::Conflict(format!(
                "the identifier {identifier} is already used by party {owner}"
            )));
        }
    }
    Ok(())
}

/// Creates parties with the given ids (one multi-row insert per table and chunk).
pub fn insert_many(conn: &mut DbConn, new: &[(PartyId, NewParty)]) -> Result<(), StoreError> {
    let now = now_db();
    let rows: Vec<PartyRow> = new.iter().map(|(id, p)| row_of(*id, p, now, now)).collect();
    for chunk in rows.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(parties::table).values(chunk).execute(conn))?;
    }
    let mut roles = Vec::new();
    let mut identifiers = Vec::new();
    for (id, party) in new {
        let (r, i) = children_of(*id, party);
        roles.extend(r);
        identifiers.extend(i);
    }
    insert_children(conn, &roles, &identifiers)
}

/// Creates a party; 409 when one of its identifiers is taken.
pub fn insert(conn: &mut DbConn, party: &NewParty) -> Result<Party, StoreError> {
    check_identifiers_free(conn, None, &party.identifiers)?;
    let id = PartyId::generate();
    insert_many(conn, &[(id, party.clone())])?;
    find(conn, id)?.ok_or_else(|| StoreError::corrupt("party vanished after insert"))
}

/// Replaces a party's content; 409 when one of its identifiers belongs to another party.
pub fn update(conn: &mut DbConn, id: PartyId, party: &NewParty) -> Result<Party, StoreError> {
    check_identifiers_free(conn, Some(id), &party.identifiers)?;
    replace(conn, id, party)?;
    find(conn, id)?.ok_or_else(|| StoreError::corrupt("party vanished after update"))
}

/// Replaces a party's row and children, without checks.
pub fn replace(conn: &mut DbConn, id: PartyId, party: &NewParty) -> Result<(), StoreError> {
    replace_many(conn, &[(id, party.clone())]).map(|_| ())
}

/// Replaces many parties' rows and children, without checks: one UPDATE per party, then one
/// DELETE and one multi-row INSERT per child table and chunk. Returns the `updated_at` written.
pub fn replace_many(
    conn: &mut DbConn,
    rows: &[(PartyId, NewParty)],
) -> Result<DateTime<Utc>, StoreError> {
    let now = time::now();
    for (id, party) in rows {
        diesel::update(parties::table.find(id.to_string()))
            .set((
                parties::name.eq(&party.name),
                parties::search_name.eq(text::search_key(&party.name)),
                parties::country.eq(party.country.map(|c| c.to_string())),
                parties::updated_at.eq(time::to_db(now)),
            ))
            .execute(conn)?;
    }
    let keys: Vec<String> = rows.iter().map(|(id, _)| id.to_string()).collect();
    for chunk in keys.chunks(CHUNK) {
        diesel::delete(party_roles::table.filter(party_roles::party_id.eq_any(chunk)))
            .execute(conn)?;
        diesel::delete(party_identifiers::table.filter(party_identifiers::party_id.eq_any(chunk)))
            .execute(conn)?;
    }
    let mut roles = Vec::new();
    let mut identifiers = Vec::new();
    for (id, party) in rows {
        let (r, i) = children_of(*id, party);
        roles.extend(r);
        identifiers.extend(i);
    }
    insert_children(conn, &roles, &identifiers)?;
    Ok(now)
}
