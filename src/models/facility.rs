//! Facilities: mines, concentrators, smelters, refiners… with their minerals and identifiers.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::{CHUNK, bool_from_db, bool_to_db, contains_pattern, now_db, parse_stored};
use crate::db::DbConn;
use crate::db::schema::{certifications, facilities, facility_identifiers, facility_minerals};
use crate::domain::country::CountryCode;
use crate::domain::facility::{BoundingBox, Location};
use crate::domain::ids::{FacilityId, PartyId};
use crate::domain::text;
use crate::domain::time;
use crate::domain::vocabulary::{
    CoexistenceStatus, FacilityIdentifierScheme, FacilityKind, FacilityStatus, Mineral, MiningScale,
};
use crate::error::ApiError;

/// An identifier of a facility in an external register.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct FacilityIdentifier {
    /// The register: `rmi_cid`, `irma_site`, `os_id`, `mining_title` or `other`.
    pub scheme: FacilityIdentifierScheme,
    /// The identifier in that register (an RMI id is `CID` and six digits).
    #[schema(example = "CID001234")]
    pub value: String,
}

impl std::fmt::Display for FacilityIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.scheme, self.value)
    }
}

/// The agreement between a large-scale mine and the artisanal miners on or near its concession
/// (the IRMA–ARM commitment to ASM–LSM coexistence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoexistenceAgreement {
    /// `none`, `negotiating`, `signed`, `suspended` or `terminated`.
    pub status: CoexistenceStatus,
    /// The day it was signed.
    pub signed_on: Option<NaiveDate>,
    /// The ASM organisations (parties) it was agreed with.
    pub asm_party_ids: Vec<PartyId>,
    /// Where the agreement or a public summary can be read (http or https).
    pub reference_url: Option<String>,
}

/// A facility: a place that extracts, processes, stores or uses minerals.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Facility {
    pub id: FacilityId,
    /// Name.
    pub name: String,
    /// What it does: mine, concentrator, smelter, refiner, recycler, warehouse, manufacturer.
    pub kind: FacilityKind,
    /// For mines: `asm` (artisanal and small-scale) or `lsm` (large-scale); null otherwise.
    pub mining_scale: Option<MiningScale>,
    /// The minerals it produces or handles, in vocabulary order.
    pub minerals: Vec<Mineral>,
    /// Country (ISO 3166-1 alpha-2).
    pub country: CountryCode,
    /// ISO 3166-2 subdivision code or region name.
    pub subdivision: Option<String>,
    /// Where it is (WGS 84).
    pub location: Option<Location>,
    /// The party that operates it.
    pub operator_party_id: Option<PartyId>,
    /// Its identifiers in external registers.
    pub identifiers: Vec<FacilityIdentifier>,
    /// Whether it lies in a conflict-affected or high-risk area (OECD Due Diligence Guidance).
    pub cahra: bool,
    /// Why the area counts as conflict-affected or high-risk (the list or assessment relied on).
    pub cahra_basis: Option<String>,
    /// LSM mines only: whether artisanal miners work on or near the concession; null when
    /// unknown.
    pub asm_presence: Option<bool>,
    /// LSM mines only: the coexistence agreement with those artisanal miners, if any.
    pub coexistence_agreement: Option<CoexistenceAgreement>,
    /// `operating` or `closed`.
    pub status: FacilityStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated facility, to create or to replace one with.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFacility {
    pub name: String,
    pub kind: FacilityKind,
    pub mining_scale: Option<MiningScale>,
    pub minerals: Vec<Mineral>,
    pub country: CountryCode,
    pub subdivision: Option<String>,
    pub location: Option<Location>,
    pub operator_party_id: Option<PartyId>,
    pub identifiers: Vec<FacilityIdentifier>,
    pub cahra: bool,
    pub cahra_basis: Option<String>,
    pub asm_presence: Option<bool>,
    pub coexistence_agreement: Option<CoexistenceAgreement>,
    pub status: FacilityStatus,
}

impl NewFacility {
    /// Sorts the lists so that two equal facilities compare equal.
    pub fn normalised(mut self) -> NewFacility {
        self.minerals.sort();
        self.minerals.dedup();
        self.identifiers.sort();
        self.identifiers.dedup();
        self
    }

    /// Whether `facility` already holds exactly this content.
    pub fn matches(&self, f: &Facility) -> bool {
        let this = self.clone().normalised();
        this.name == f.name
            && this.kind == f.kind
            && this.mining_scale == f.mining_scale
            && this.minerals == f.minerals
            && this.country == f.country
            && this.subdivision == f.subdivision
            && this.location == f.location
            && this.operator_party_id == f.operator_party_id
            && this.identifiers == f.identifiers
            && this.cahra == f.cahra
            && this.cahra_basis == f.cahra_basis
            && this.asm_presence == f.asm_presence
            && this.coexistence_agreement == f.coexistence_agreement
            && this.status == f.status
    }

    /// The facility this content makes, as the API shows it.
    pub fn into_view(
        self,
        id: FacilityId,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Facility {
        let f = self.normalised();
        Facility {
            id,
            name: f.name,
            kind: f.kind,
            mining_scale: f.mining_scale,
            minerals: f.minerals,
            country: f.country,
            subdivision: f.subdivision,
            location: f.location,
            operator_party_id: f.operator_party_id,
            identifiers: f.identifiers,
            cahra: f.cahra,
            cahra_basis: f.cahra_basis,
            asm_presence: f.asm_presence,
            coexistence_agreement: f.coexistence_agreement,
            status: f.status,
            created_at,
            updated_at,
        }
    }

    /// Every party id it refers to.
    pub fn party_ids(&self) -> Vec<PartyId> {
        let mut ids: Vec<PartyId> = self.operator_party_id.into_iter().collect();
        if let Some(agreement) = &self.coexistence_agreement {
            ids.extend(agreement.asm_party_ids.iter().copied());
        }
        ids
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = facilities)]
struct FacilityRow {
    id: String,
    name: String,
    search_name: String,
    kind: String,
    mining_scale: Option<String>,
    country: String,
    subdivision: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    operator_party_id: Option<String>,
    cahra: i16,
    cahra_basis: Option<String>,
    asm_presence: Option<i16>,
    coexistence_agreement: Option<String>,
    status: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = facility_minerals)]
struct MineralRow {
    facility_id: String,
    mineral: String,
}

#[derive(Insertable)]
#[diesel(table_name = facility_identifiers)]
struct IdentifierRow {
    scheme: String,
    value: String,
    facility_id: String,
}

/// Filters of a facility list that the database evaluates; all given filters must match.
#[derive(Clone, Debug, Default)]
pub struct FacilityFilter {
    pub kind: Option<FacilityKind>,
    pub mining_scale: Option<MiningScale>,
    pub mineral: Option<Mineral>,
    pub country: Option<CountryCode>,
    pub status: Option<FacilityStatus>,
    pub identifier: Option<FacilityIdentifier>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    pub bbox: Option<BoundingBox>,
    /// Only facilities that hold at least one certificate of this scheme (whatever its status:
    /// the status on a date is then decided in Rust by the as-of rules).
    pub has_scheme: Option<String>,
}

fn row_of(
    id: FacilityId,
    f: &NewFacility,
    created: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<FacilityRow, ApiError> {
    Ok(FacilityRow {
        id: id.to_string(),
        name: f.name.clone(),
        search_name: text::search_key(&f.name),
        kind: f.kind.as_str().to_owned(),
        mining_scale: f.mining_scale.map(|s| s.as_str().to_owned()),
        country: f.country.to_string(),
        subdivision: f.subdivision.clone(),
        latitude: f.location.map(|l| l.lat),
        longitude: f.location.map(|l| l.lon),
        operator_party_id: f.operator_party_id.map(|p| p.to_string()),
        cahra: bool_to_db(f.cahra),
        cahra_basis: f.cahra_basis.clone(),
        asm_presence: f.asm_presence.map(bool_to_db),
        coexistence_agreement: f
            .coexistence_agreement
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(ApiError::internal)?,
        status: f.status.as_str().to_owned(),
        created_at: created,
        updated_at: now,
    })
}

fn children_of(id: FacilityId, f: &NewFacility) -> (Vec<MineralRow>, Vec<IdentifierRow>) {
    let minerals = f
        .minerals
        .iter()
        .map(|m| MineralRow {
            facility_id: id.to_string(),
            mineral: m.as_str().to_owned(),
        })
        .collect();
    let identifiers = f
        .identifiers
        .iter()
        .map(|i| IdentifierRow {
            scheme: i.scheme.as_str().to_owned(),
            value: i.value.clone(),
            facility_id: id.to_string(),
        })
        .collect();
    (minerals, identifiers)
}

fn insert_children(
    conn: &mut DbConn,
    minerals: &[MineralRow],
    identifiers: &[IdentifierRow],
) -> Result<(), ApiError> {
    for chunk in minerals.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(facility_minerals::table).values(chunk).execute(conn))?;
    }
    for chunk in identifiers.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(facility_identifiers::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// Fails with 409 when one of `identifiers` belongs to another facility than `own`.
pub fn check_identifiers_free(
    conn: &mut DbConn,
    own: Option<FacilityId>,
    identifiers: &[FacilityIdentifier],
) -> Result<(), ApiError> {
    let owners = owners_of(conn, identifiers)?;
    for identifier in identifiers {
        if let Some(owner) = owners.get(identifier)
            && Some(*owner) != own
        {
            return Err(ApiError::conflict(format!(
                "the identifier {identifier} is already used by facility {owner}"
            )));
        }
    }
    Ok(())
}

/// Creates facilities with the given ids (one multi-row insert per table and chunk).
pub fn insert_many(conn: &mut DbConn, new: &[(FacilityId, NewFacility)]) -> Result<(), ApiError> {
    let now = now_db();
    let rows = new
        .iter()
        .map(|(id, f)| row_of(*id, f, now, now))
        .collect::<Result<Vec<_>, _>>()?;
    // 17 columns a row: 500 rows stay far below every bind-parameter limit.
    for chunk in rows.chunks(500) {
        crate::db_run!(conn => diesel::insert_into(facilities::table).values(chunk).execute(conn))?;
    }
    let mut minerals = Vec::new();
    let mut identifiers = Vec::new();
    for (id, f) in new {
        let (m, i) = children_of(*id, f);
        minerals.extend(m);
        identifiers.extend(i);
    }
    insert_children(conn, &minerals, &identifiers)
}

/// Creates a facility; 409 when one of its identifiers is taken.
pub fn insert(conn: &mut DbConn, f: &NewFacility) -> Result<Facility, ApiError> {
    check_identifiers_free(conn, None, &f.identifiers)?;
    let id = FacilityId::generate();
    insert_many(conn, &[(id, f.clone())])?;
    find(conn, id)?.ok_or_else(|| ApiError::internal("facility vanished after insert"))
}

/// Replaces a facility's content; 409 when one of its identifiers belongs to another.
pub fn update(conn: &mut DbConn, id: FacilityId, f: &NewFacility) -> Result<Facility, ApiError> {
    check_identifiers_free(conn, Some(id), &f.identifiers)?;
    replace(conn, id, f)?;
    find(conn, id)?.ok_or_else(|| ApiError::internal("facility vanished after update"))
}

/// Replaces a facility's row and children, without checks.
pub fn replace(conn: &mut DbConn, id: FacilityId, f: &NewFacility) -> Result<(), ApiError> {
    replace_many(conn, &[(id, f.clone())]).map(|_| ())
}

/// Replaces many facilities' rows and children, without checks: one UPDATE per facility, then
/// one DELETE and one multi-row INSERT per child table and chunk. Returns the `updated_at`
/// written.
pub fn replace_many(
    conn: &mut DbConn,
    rows: &[(FacilityId, NewFacility)],
) -> Result<DateTime<Utc>, ApiError> {
    let now = time::now();
    for (id, f) in rows {
        let row = row_of(*id, f, time::to_db(now), time::to_db(now))?;
        diesel::update(facilities::table.find(row.id))
            .set((
                facilities::name.eq(row.name),
                facilities::search_name.eq(row.search_name),
                facilities::kind.eq(row.kind),
                facilities::mining_scale.eq(row.mining_scale),
                facilities::country.eq(row.country),
                facilities::subdivision.eq(row.subdivision),
                facilities::latitude.eq(row.latitude),
                facilities::longitude.eq(row.longitude),
                facilities::operator_party_id.eq(row.operator_party_id),
                facilities::cahra.eq(row.cahra),
                facilities::cahra_basis.eq(row.cahra_basis),
                facilities::asm_presence.eq(row.asm_presence),
                facilities::coexistence_agreement.eq(row.coexistence_agreement),
                facilities::status.eq(row.status),
                facilities::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
    }
    let keys: Vec<String> = rows.iter().map(|(id, _)| id.to_string()).collect();
    for chunk in keys.chunks(CHUNK) {
        diesel::delete(
            facility_minerals::table.filter(facility_minerals::facility_id.eq_any(chunk)),
        )
        .execute(conn)?;
        diesel::delete(
            facility_identifiers::table.filter(facility_identifiers::facility_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    let mut minerals = Vec::new();
    let mut identifiers = Vec::new();
    for (id, f) in rows {
        let (m, i) = children_of(*id, f);
        minerals.extend(m);
        identifiers.extend(i);
    }
    insert_children(conn, &minerals, &identifiers)?;
    Ok(now)
}

pub fn find(conn: &mut DbConn, id: FacilityId) -> Result<Option<Facility>, ApiError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The facilities with these ids (those that exist), in id order.
pub fn find_many(conn: &mut DbConn, ids: &[FacilityId]) -> Result<Vec<Facility>, ApiError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        rows.extend(
            facilities::table
                .filter(facilities::id.eq_any(&keys))
                .select(FacilityRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    assemble(conn, rows)
}

/// The kind and mining scale of each of `ids` that exists (to check what may certify it).
pub fn kinds(
    conn: &mut DbConn,
    ids: &[FacilityId],
) -> Result<HashMap<FacilityId, (FacilityKind, Option<MiningScale>)>, ApiError> {
    let unique: Vec<String> = ids
        .iter()
        .map(ToString::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashMap::new();
    for chunk in unique.chunks(CHUNK) {
        let rows: Vec<(String, String, Option<String>)> = facilities::table
            .filter(facilities::id.eq_any(chunk))
            .select((facilities::id, facilities::kind, facilities::mining_scale))
            .load(conn)?;
        for (id, kind, scale) in rows {
            found.insert(
                parse_stored("facility id", &id)?,
                (
                    parse_stored("facility kind", &kind)?,
                    scale
                        .as_deref()
                        .map(|s| parse_stored("mining scale", s))
                        .transpose()?,
                ),
            );
        }
    }
    Ok(found)
}

/// The facilities that own any of `identifiers` (one query per chunk of values).
pub fn owners_of(
    conn: &mut DbConn,
    identifiers: &[FacilityIdentifier],
) -> Result<HashMap<FacilityIdentifier, FacilityId>, ApiError> {
    let wanted: HashSet<&FacilityIdentifier> = identifiers.iter().collect();
    let values: Vec<String> = identifiers
        .iter()
        .map(|i| i.value.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut owners = HashMap::new();
    for chunk in values.chunks(CHUNK) {
        let rows: Vec<(String, String, String)> = facility_identifiers::table
            .filter(facility_identifiers::value.eq_any(chunk))
            .select((
                facility_identifiers::scheme,
                facility_identifiers::value,
                facility_identifiers::facility_id,
            ))
            .load(conn)?;
        for (scheme, value, facility_id) in rows {
            let identifier = FacilityIdentifier {
                scheme: parse_stored("facility identifier scheme", &scheme)?,
                value,
            };
            if wanted.contains(&identifier) {
                owners.insert(identifier, parse_stored("facility id", &facility_id)?);
            }
        }
    }
    Ok(owners)
}

/// Up to `limit` facilities after `after` (by id) matching `filter`, in id order.
pub fn list(
    conn: &mut DbConn,
    filter: &FacilityFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Facility>, ApiError> {
    let mut query = facilities::table
        .select(FacilityRow::as_select())
        .order(facilities::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(facilities::id.gt(after.to_owned()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(facilities::kind.eq(kind.as_str()));
    }
    if let Some(scale) = filter.mining_scale {
        query = query.filter(facilities::mining_scale.eq(scale.as_str()));
    }
    if let Some(country) = filter.country {
        query = query.filter(facilities::country.eq(country.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(facilities::status.eq(status.as_str()));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(
            facilities::id.eq_any(
                facility_minerals::table
                    .filter(facility_minerals::mineral.eq(mineral.as_str()))
                    .select(facility_minerals::facility_id),
            ),
        );
    }
    if let Some(identifier) = &filter.identifier {
        query = query.filter(
            facilities::id.eq_any(
                facility_identifiers::table
                    .filter(facility_identifiers::scheme.eq(identifier.scheme.as_str()))
                    .filter(facility_identifiers::value.eq(identifier.value.clone()))
                    .select(facility_identifiers::facility_id),
            ),
        );
    }
    if let Some(scheme) = &filter.has_scheme {
        query = query.filter(
            facilities::id.eq_any(
                certifications::table
                    .filter(certifications::scheme_id.eq(scheme.clone()))
                    .filter(certifications::facility_id.is_not_null())
                    .select(certifications::facility_id.assume_not_null()),
            ),
        );
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            facilities::search_name
                .like(contains_pattern(&text::search_key(q)))
                .escape('\\'),
        );
    }
    if let Some(b) = filter.bbox {
        query = query
            .filter(facilities::latitude.ge(b.min_lat))
            .filter(facilities::latitude.le(b.max_lat));
        query = if b.wraps() {
            query.filter(
                facilities::longitude
                    .ge(b.min_lon)
                    .or(facilities::longitude.le(b.max_lon)),
            )
        } else {
            query
                .filter(facilities::longitude.ge(b.min_lon))
                .filter(facilities::longitude.le(b.max_lon))
        };
    }
    let rows = query.load(conn)?;
    assemble(conn, rows)
}

/// Loads the minerals and identifiers of `rows` (one query each) and builds the facilities.
fn assemble(conn: &mut DbConn, rows: Vec<FacilityRow>) -> Result<Vec<Facility>, ApiError> {
    let keys: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut minerals: HashMap<String, Vec<Mineral>> = HashMap::new();
    let mut identifiers: HashMap<String, Vec<FacilityIdentifier>> = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let mineral_rows: Vec<(String, String)> = facility_minerals::table
            .filter(facility_minerals::facility_id.eq_any(chunk))
            .select((facility_minerals::facility_id, facility_minerals::mineral))
            .load(conn)?;
        for (facility_id, mineral) in mineral_rows {
            minerals
                .entry(facility_id)
                .or_default()
                .push(parse_stored("mineral", &mineral)?);
        }
        let identifier_rows: Vec<(String, String, String)> = facility_identifiers::table
            .filter(facility_identifiers::facility_id.eq_any(chunk))
            .select((
                facility_identifiers::facility_id,
                facility_identifiers::scheme,
                facility_identifiers::value,
            ))
            .load(conn)?;
        for (facility_id, scheme, value) in identifier_rows {
            identifiers
                .entry(facility_id)
                .or_default()
                .push(FacilityIdentifier {
                    scheme: parse_stored("facility identifier scheme", &scheme)?,
                    value,
                });
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut own_minerals = minerals.remove(&row.id).unwrap_or_default();
            own_minerals.sort();
            let mut own_identifiers = identifiers.remove(&row.id).unwrap_or_default();
            own_identifiers.sort();
            let location = match (row.latitude, row.longitude) {
                (Some(lat), Some(lon)) => Some(Location { lat, lon }),
                _ => None,
            };
            Ok(Facility {
                id: parse_stored("facility id", &row.id)?,
                name: row.name,
                kind: parse_stored("facility kind", &row.kind)?,
                mining_scale: row
                    .mining_scale
                    .as_deref()
                    .map(|s| parse_stored("mining scale", s))
                    .transpose()?,
                minerals: own_minerals,
                country: parse_stored("country", &row.country)?,
                subdivision: row.subdivision,
                location,
                operator_party_id: row
                    .operator_party_id
                    .as_deref()
                    .map(|p| parse_stored("party id", p))
                    .transpose()?,
                identifiers: own_identifiers,
                cahra: bool_from_db(row.cahra),
                cahra_basis: row.cahra_basis,
                asm_presence: row.asm_presence.map(bool_from_db),
                coexistence_agreement: row
                    .coexistence_agreement
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| ApiError::internal(format!("bad coexistence agreement: {e}")))?,
                status: parse_stored("facility status", &row.status)?,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            })
        })
        .collect()
}

/// The id of the facility with exactly this name (the oldest, if several share it).
pub fn id_by_name(conn: &mut DbConn, name: &str) -> Result<Option<FacilityId>, ApiError> {
    facilities::table
        .filter(facilities::search_name.eq(text::search_key(name)))
        .filter(facilities::name.eq(name))
        .select(facilities::id)
        .order(facilities::id.asc())
        .first::<String>(conn)
        .optional()?
        .map(|id| parse_stored("facility id", &id))
        .transpose()
}
