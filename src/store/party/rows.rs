//! The typed rows of the party tables, and how rows become parties.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::*;
use crate::db::DbConn;
use crate::db::schema::{parties, party_identifiers, party_roles};
use crate::domain::ids::PartyId;
use crate::domain::text;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, by_owner, chunked, insert_chunks, take_sorted};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = parties)]
pub(super) struct PartyRow {
    pub(super) id: PartyId,
    #[diesel(embed)]
    pub(super) content: PartyChangeset,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

/// What a replacement writes: every column but the id and the creation time.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = parties, treat_none_as_null = true)]
pub(super) struct PartyChangeset {
    name: String,
    search_name: String,
    country: Option<CountryCode>,
}

#[derive(Insertable)]
#[diesel(table_name = party_roles)]
struct RoleRow {
    party_id: PartyId,
    role: PartyRole,
}

#[derive(Insertable)]
#[diesel(table_name = party_identifiers)]
struct IdentifierRow {
    scheme: PartyIdentifierScheme,
    value: String,
    party_id: PartyId,
}

pub(super) fn changeset(party: &NewParty) -> Result<PartyChangeset, StoreError> {
    Ok(PartyChangeset {
        name: party.name.clone(),
        search_name: text::search_key(&party.name),
        country: party.country,
    })
}

/// Inserts the roles and identifiers of `parties` (multi-row inserts per chunk).
pub(super) fn insert_children(
    conn: &mut DbConn,
    parties: &[(PartyId, NewParty)],
) -> Result<(), StoreError> {
    let roles: Vec<RoleRow> = parties
        .iter()
        .flat_map(|(id, p)| {
            p.roles.iter().map(|&role| RoleRow {
                party_id: *id,
                role,
            })
        })
        .collect();
    let identifiers: Vec<IdentifierRow> = parties
        .iter()
        .flat_map(|(id, p)| {
            p.identifiers.iter().map(|i| IdentifierRow {
                scheme: i.scheme,
                value: i.value.clone(),
                party_id: *id,
            })
        })
        .collect();
    insert_chunks!(conn, party_roles::table, roles, CHUNK);
    insert_chunks!(conn, party_identifiers::table, identifiers, CHUNK);
    Ok(())
}

/// Deletes the roles and identifiers of `ids`.
pub(super) fn delete_children(conn: &mut DbConn, ids: &[PartyId]) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        diesel::delete(party_roles::table.filter(party_roles::party_id.eq_any(chunk)))
            .execute(conn)?;
        diesel::delete(party_identifiers::table.filter(party_identifiers::party_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(())
}

/// Loads the roles and identifiers of `rows` (one query each per chunk) and builds the parties.
pub(super) fn assemble(conn: &mut DbConn, rows: Vec<PartyRow>) -> Result<Vec<Party>, StoreError> {
    let ids: Vec<PartyId> = rows.iter().map(|r| r.id).collect();
    let mut roles = by_owner(chunked(&ids, |chunk| {
        Ok(party_roles::table
            .filter(party_roles::party_id.eq_any(chunk))
            .select((party_roles::party_id, party_roles::role))
            .load::<(PartyId, PartyRole)>(conn)?)
    })?);
    let mut identifiers = by_owner(chunked(&ids, |chunk| {
        let rows = party_identifiers::table
            .filter(party_identifiers::party_id.eq_any(chunk))
            .select((
                party_identifiers::party_id,
                party_identifiers::scheme,
                party_identifiers::value,
            ))
            .load::<(PartyId, PartyIdentifierScheme, String)>(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, scheme, value)| (id, PartyIdentifier { scheme, value }))
            .collect())
    })?);
    Ok(rows
        .into_iter()
        .map(|row| {
            let own_roles = take_sorted(&mut roles, &row.id);
            let own_identifiers = take_sorted(&mut identifiers, &row.id);
            Party {
                id: row.id,
                name: row.content.name,
                roles: own_roles,
                country: row.content.country,
                identifiers: own_identifiers,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            }
        })
        .collect())
}
