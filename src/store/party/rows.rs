//! Row types of the party tables, and how rows become parties.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::*;
use crate::db::DbConn;
use crate::db::schema::{parties, party_identifiers, party_roles};
use crate::domain::ids::PartyId;
use crate::domain::text;
use crate::domain::time;
use crate::domain::vocabulary::PartyRole;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, parse_stored};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = parties)]
pub(super) struct PartyRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) search_name: String,
    pub(super) country: Option<String>,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = party_roles)]
pub(super) struct RoleRow {
    pub(super) party_id: String,
    pub(super) role: String,
}

#[derive(Insertable)]
#[diesel(table_name = party_identifiers)]
pub(super) struct IdentifierRow {
    pub(super) scheme: String,
    pub(super) value: String,
    pub(super) party_id: String,
}

pub(super) fn row_of(
    id: PartyId,
    party: &NewParty,
    created: NaiveDateTime,
    now: NaiveDateTime,
) -> PartyRow {
    PartyRow {
        id: id.to_string(),
        name: party.name.clone(),
        search_name: text::search_key(&party.name),
        country: party.country.map(|c| c.to_string()),
        created_at: created,
        updated_at: now,
    }
}

pub(super) fn children_of(id: PartyId, party: &NewParty) -> (Vec<RoleRow>, Vec<IdentifierRow>) {
    let roles = party
        .roles
        .iter()
        .map(|r| RoleRow {
            party_id: id.to_string(),
            role: r.as_str().to_owned(),
        })
        .collect();
    let identifiers = party
        .identifiers
        .iter()
        .map(|i| IdentifierRow {
            scheme: i.scheme.as_str().to_owned(),
            value: i.value.clone(),
            party_id: id.to_string(),
        })
        .collect();
    (roles, identifiers)
}

pub(super) fn insert_children(
    conn: &mut DbConn,
    roles: &[RoleRow],
    identifiers: &[IdentifierRow],
) -> Result<(), StoreError> {
    for chunk in roles.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(party_roles::table).values(chunk).execute(conn))?;
    }
    for chunk in identifiers.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(party_identifiers::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// Loads the roles and identifiers of `rows` (one query each) and builds the parties.
pub(super) fn assemble(conn: &mut DbConn, rows: Vec<PartyRow>) -> Result<Vec<Party>, StoreError> {
    let keys: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut roles: HashMap<String, Vec<PartyRole>> = HashMap::new();
    let mut identifiers: HashMap<String, Vec<PartyIdentifier>> = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let role_rows: Vec<(String, String)> = party_roles::table
            .filter(party_roles::party_id.eq_any(chunk))
            .select((party_roles::party_id, party_roles::role))
            .load(conn)?;
        for (party_id, role) in role_rows {
            roles
                .entry(party_id)
                .or_default()
                .push(parse_stored("party role", &role)?);
        }
        let identifier_rows: Vec<(String, String, String)> = party_identifiers::table
            .filter(party_identifiers::party_id.eq_any(chunk))
            .select((
                party_identifiers::party_id,
                party_identifiers::scheme,
                party_identifiers::value,
            ))
            .load(conn)?;
        for (party_id, scheme, value) in identifier_rows {
            identifiers
                .entry(party_id)
                .or_default()
                .push(PartyIdentifier {
                    scheme: parse_stored("party identifier scheme", &scheme)?,
                    value,
                });
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut party_roles = roles.remove(&row.id).unwrap_or_default();
            party_roles.sort();
            let mut party_identifiers = identifiers.remove(&row.id).unwrap_or_default();
            party_identifiers.sort();
            Ok(Party {
                id: parse_stored("party id", &row.id)?,
                name: row.name,
                roles: party_roles,
                country: row
                    .country
                    .as_deref()
                    .map(|c| parse_stored("country", c))
                    .transpose()?,
                identifiers: party_identifiers,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            })
        })
        .collect()
}
