//! Parties: companies, ASM organisations, traders, smelter companies… with their roles and
//! identifiers.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::{CHUNK, contains_pattern, now_db, parse_stored};
use crate::db::DbConn;
use crate::db::schema::{parties, party_identifiers, party_roles};
use crate::domain::country::CountryCode;
use crate::domain::ids::PartyId;
use crate::domain::text;
use crate::domain::time;
use crate::domain::vocabulary::{PartyIdentifierScheme, PartyRole};
use crate::error::ApiError;
use crate::http::pagination::PageRequest;

/// An identifier of a party in an external register.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct PartyIdentifier {
    /// The register: `lei`, `duns`, `vat`, `national_registry` or `other`.
    pub scheme: PartyIdentifierScheme,
    /// The identifier in that register (an LEI is checked by its ISO 17442 check digits, a
    /// D-U-N-S number must have nine digits).
    #[schema(example = "5493001KJTIIGC8Y1R12")]
    pub value: String,
}

impl std::fmt::Display for PartyIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.scheme, self.value)
    }
}

/// A party: a company or organisation that plays roles in mineral supply chains.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Party {
    pub id: PartyId,
    /// Name.
    pub name: String,
    /// The roles it plays, in vocabulary order.
    pub roles: Vec<PartyRole>,
    /// Country of registration (ISO 3166-1 alpha-2), when known.
    pub country: Option<CountryCode>,
    /// Its identifiers in external registers.
    pub identifiers: Vec<PartyIdentifier>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated party, to create or to replace one with.
#[derive(Clone, Debug, PartialEq)]
pub struct NewParty {
    pub name: String,
    pub roles: Vec<PartyRole>,
    pub country: Option<CountryCode>,
    pub identifiers: Vec<PartyIdentifier>,
}

impl NewParty {
    /// Sorts the lists so that two equal parties compare equal.
    pub fn normalised(mut self) -> NewParty {
        self.roles.sort();
        self.roles.dedup();
        self.identifiers.sort();
        self.identifiers.dedup();
        self
    }

    /// The party this content makes, as the API shows it.
    pub fn into_view(
        self,
        id: PartyId,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Party {
        let p = self.normalised();
        Party {
            id,
            name: p.name,
            roles: p.roles,
            country: p.country,
            identifiers: p.identifiers,
            created_at,
            updated_at,
        }
    }

    /// Whether `party` already holds exactly this content.
    pub fn matches(&self, party: &Party) -> bool {
        let this = self.clone().normalised();
        this.name == party.name
            && this.roles == party.roles
            && this.country == party.country
            && this.identifiers == party.identifiers
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = parties)]
struct PartyRow {
    id: String,
    name: String,
    search_name: String,
    country: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = party_roles)]
struct RoleRow {
    party_id: String,
    role: String,
}

#[derive(Insertable)]
#[diesel(table_name = party_identifiers)]
struct IdentifierRow {
    scheme: String,
    value: String,
    party_id: String,
}

/// Filters of a party list; all given filters must match.
#[derive(Clone, Debug, Default)]
pub struct PartyFilter {
    pub role: Option<PartyRole>,
    pub country: Option<CountryCode>,
    pub identifier: Option<PartyIdentifier>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

fn row_of(id: PartyId, party: &NewParty, created: NaiveDateTime, now: NaiveDateTime) -> PartyRow {
    PartyRow {
        id: id.to_string(),
        name: party.name.clone(),
        search_name: text::search_key(&party.name),
        country: party.country.map(|c| c.to_string()),
        created_at: created,
        updated_at: now,
    }
}

fn children_of(id: PartyId, party: &NewParty) -> (Vec<RoleRow>, Vec<IdentifierRow>) {
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

fn insert_children(
    conn: &mut DbConn,
    roles: &[RoleRow],
    identifiers: &[IdentifierRow],
) -> Result<(), ApiError> {
    for chunk in roles.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(party_roles::table).values(chunk).execute(conn))?;
    }
    for chunk in identifiers.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(party_identifiers::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// Fails with 409 when one of `identifiers` belongs to another party than `own`.
pub fn check_identifiers_free(
    conn: &mut DbConn,
    own: Option<PartyId>,
    identifiers: &[PartyIdentifier],
) -> Result<(), ApiError> {
    let owners = owners_of(conn, identifiers)?;
    for identifier in identifiers {
        if let Some(owner) = owners.get(identifier)
            && Some(*owner) != own
        {
            return Err(ApiError::conflict(format!(
                "the identifier {identifier} is already used by party {owner}"
            )));
        }
    }
    Ok(())
}

/// Creates parties with the given ids (one multi-row insert per table and chunk).
pub fn insert_many(conn: &mut DbConn, new: &[(PartyId, NewParty)]) -> Result<(), ApiError> {
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
pub fn insert(conn: &mut DbConn, party: &NewParty) -> Result<Party, ApiError> {
    check_identifiers_free(conn, None, &party.identifiers)?;
    let id = PartyId::generate();
    insert_many(conn, &[(id, party.clone())])?;
    find(conn, id)?.ok_or_else(|| ApiError::internal("party vanished after insert"))
}

/// Replaces a party's content; 409 when one of its identifiers belongs to another party.
pub fn update(conn: &mut DbConn, id: PartyId, party: &NewParty) -> Result<Party, ApiError> {
    check_identifiers_free(conn, Some(id), &party.identifiers)?;
    replace(conn, id, party)?;
    find(conn, id)?.ok_or_else(|| ApiError::internal("party vanished after update"))
}

/// Replaces a party's row and children, without checks.
pub fn replace(conn: &mut DbConn, id: PartyId, party: &NewParty) -> Result<(), ApiError> {
    replace_many(conn, &[(id, party.clone())]).map(|_| ())
}

/// Replaces many parties' rows and children, without checks: one UPDATE per party, then one
/// DELETE and one multi-row INSERT per child table and chunk. Returns the `updated_at` written.
pub fn replace_many(
    conn: &mut DbConn,
    rows: &[(PartyId, NewParty)],
) -> Result<DateTime<Utc>, ApiError> {
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

pub fn find(conn: &mut DbConn, id: PartyId) -> Result<Option<Party>, ApiError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The parties with these ids (those that exist), in id order.
pub fn find_many(conn: &mut DbConn, ids: &[PartyId]) -> Result<Vec<Party>, ApiError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        rows.extend(
            parties::table
                .filter(parties::id.eq_any(&keys))
                .select(PartyRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    assemble(conn, rows)
}

/// Which of `ids` exist.
pub fn existing(conn: &mut DbConn, ids: &[PartyId]) -> Result<HashSet<PartyId>, ApiError> {
    let mut found = HashSet::new();
    let unique: Vec<String> = ids
        .iter()
        .map(ToString::to_string)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in unique.chunks(CHUNK) {
        let keys: Vec<String> = parties::table
            .filter(parties::id.eq_any(chunk))
            .select(parties::id)
            .load(conn)?;
        for key in keys {
            found.insert(parse_stored("party id", &key)?);
        }
    }
    Ok(found)
}

/// The parties that own any of `identifiers` (one query per chunk of values).
pub fn owners_of(
    conn: &mut DbConn,
    identifiers: &[PartyIdentifier],
) -> Result<HashMap<PartyIdentifier, PartyId>, ApiError> {
    let wanted: HashSet<&PartyIdentifier> = identifiers.iter().collect();
    let values: Vec<String> = identifiers
        .iter()
        .map(|i| i.value.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut owners = HashMap::new();
    for chunk in values.chunks(CHUNK) {
        let rows: Vec<(String, String, String)> = party_identifiers::table
            .filter(party_identifiers::value.eq_any(chunk))
            .select((
                party_identifiers::scheme,
                party_identifiers::value,
                party_identifiers::party_id,
            ))
            .load(conn)?;
        for (scheme, value, party_id) in rows {
            let identifier = PartyIdentifier {
                scheme: parse_stored("party identifier scheme", &scheme)?,
                value,
            };
            if wanted.contains(&identifier) {
                owners.insert(identifier, parse_stored("party id", &party_id)?);
            }
        }
    }
    Ok(owners)
}

/// A page of parties matching `filter`, in id order.
pub fn list(
    conn: &mut DbConn,
    filter: &PartyFilter,
    page: &PageRequest,
) -> Result<Vec<Party>, ApiError> {
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
                    .filter(party_roles::role.eq(role.as_str()))
                    .select(party_roles::party_id),
            ),
        );
    }
    if let Some(country) = filter.country {
        query = query.filter(parties::country.eq(country.to_string()));
    }
    if let Some(identifier) = &filter.identifier {
        query = query.filter(
            parties::id.eq_any(
                party_identifiers::table
                    .filter(party_identifiers::scheme.eq(identifier.scheme.as_str()))
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

/// Loads the roles and identifiers of `rows` (one query each) and builds the parties.
fn assemble(conn: &mut DbConn, rows: Vec<PartyRow>) -> Result<Vec<Party>, ApiError> {
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

/// The id of the party with exactly this name (the oldest, if several share it).
pub fn id_by_name(conn: &mut DbConn, name: &str) -> Result<Option<PartyId>, ApiError> {
    parties::table
        .filter(parties::search_name.eq(text::search_key(name)))
        .filter(parties::name.eq(name))
        .select(parties::id)
        .order(parties::id.asc())
        .first::<String>(conn)
        .optional()?
        .map(|id| parse_stored("party id", &id))
        .transpose()
}
