//! Reading parties: by id, by identifier, by name, and filtered lists.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{parties, party_identifiers, party_roles};
use crate::domain::ids::PartyId;
use crate::domain::text;
use crate::domain::vocabulary::PartyIdentifierScheme;
use crate::store::StoreError;
use crate::store::catalog::{chunked, contains_pattern, distinct, owners};
use crate::store::page::PageRequest;

pub fn find(conn: &mut DbConn, id: PartyId) -> Result<Option<Party>, StoreError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The parties with these ids (those that exist), in id order.
pub fn find_many(conn: &mut DbConn, ids: &[PartyId]) -> Result<Vec<Party>, StoreError> {
    let mut rows = chunked(ids, |chunk| {
        Ok(parties::table
            .filter(parties::id.eq_any(chunk))
            .select(PartyRow::as_select())
            .load(conn)?)
    })?;
    rows.sort_by_key(|row| row.id);
    assemble(conn, rows)
}

/// Which of `ids` exist.
pub fn existing(conn: &mut DbConn, ids: &[PartyId]) -> Result<HashSet<PartyId>, StoreError> {
    let found = chunked(&distinct(ids.iter().copied()), |chunk| {
        Ok(parties::table
            .filter(parties::id.eq_any(chunk))
            .select(parties::id)
            .load::<PartyId>(conn)?)
    })?;
    Ok(found.into_iter().collect())
}

/// The parties that own any of `identifiers` (one query per chunk of values).
pub fn owners_of(
    conn: &mut DbConn,
    identifiers: &[PartyIdentifier],
) -> Result<HashMap<PartyIdentifier, PartyId>, StoreError> {
    owners(
        identifiers,
        |i| i.value.clone(),
        |values| {
            let rows = party_identifiers::table
                .filter(party_identifiers::value.eq_any(values))
                .select((
                    party_identifiers::scheme,
                    party_identifiers::value,
                    party_identifiers::party_id,
                ))
                .load::<(PartyIdentifierScheme, String, PartyId)>(conn)?;
            Ok(rows
                .into_iter()
                .map(|(scheme, value, id)| (PartyIdentifier { scheme, value }, id))
                .collect())
        },
    )
}

/// A page of parties matching `filter`, in id order.
pub fn list(
    conn: &mut DbConn,
    filter: &PartyFilter,
    page: &PageRequest,
) -> Result<Vec<Party>, StoreError> {
    let mut query = parties::table
        .select(PartyRow::as_select())
        .order(parties::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(parties::id.gt(after.clone()));
    }
    if let Some(role) = filter.role {
        query = query.filter(
            parties::id.eq_any(
                party_roles::table
                    .filter(party_roles::role.eq(role))
                    .select(party_roles::party_id),
            ),
        );
    }
    if let Some(country) = filter.country {
        query = query.filter(parties::country.eq(country));
    }
    if let Some(identifier) = &filter.identifier {
        query = query.filter(
            parties::id.eq_any(
                party_identifiers::table
                    .filter(party_identifiers::scheme.eq(identifier.scheme))
                    .filter(party_identifiers::value.eq(identifier.value.clone()))
                    .select(party_identifiers::party_id),
            ),
        );
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            parties::search_name
                .like(contains_pattern(&text::search_key(q)))
                .escape('\\'),
        );
    }
    let rows = query.load(conn)?;
    assemble(conn, rows)
}

/// The id of the party with exactly this name (the oldest, if several share it).
pub fn id_by_name(conn: &mut DbConn, name: &str) -> Result<Option<PartyId>, StoreError> {
    parties::table
        .filter(parties::search_name.eq(text::search_key(name)))
        .filter(parties::name.eq(name))
        .select(parties::id)
        .order(parties::id.asc())
        .first::<PartyId>(conn)
        .optional()
        .map_err(StoreError::from)
}

/// The parties whose name is `name` once case is set aside (a declaration names its company as
/// its supplier typed it).
pub fn ids_by_name_any_case(conn: &mut DbConn, name: &str) -> Result<Vec<PartyId>, StoreError> {
    parties::table
        .filter(parties::search_name.eq(text::search_key(name.trim())))
        .select(parties::id)
        .order(parties::id.asc())
        .load::<PartyId>(conn)
        .map_err(StoreError::from)
}
