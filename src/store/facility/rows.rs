//! The typed rows of the facility tables, and how rows become facilities.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::*;
use crate::db::DbConn;
use crate::db::schema::{facilities, facility_identifiers, facility_minerals};
use crate::domain::facility::Location;
use crate::domain::ids::FacilityId;
use crate::domain::text;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::{
    CHUNK, bool_from_db, bool_to_db, by_owner, chunked, insert_chunks, take_sorted,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = facilities)]
pub(super) struct FacilityRow {
    pub(super) id: FacilityId,
    #[diesel(embed)]
    pub(super) content: FacilityChangeset,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

/// What a replacement writes: every column but the id and the creation time.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = facilities, treat_none_as_null = true)]
pub(super) struct FacilityChangeset {
    name: String,
    search_name: String,
    kind: FacilityKind,
    mining_scale: Option<MiningScale>,
    country: CountryCode,
    subdivision: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    operator_party_id: Option<PartyId>,
    cahra: i16,
    cahra_basis: Option<String>,
    asm_presence: Option<i16>,
    /// JSON.
    coexistence_agreement: Option<String>,
    status: FacilityStatus,
}

#[derive(Insertable)]
#[diesel(table_name = facility_minerals)]
struct MineralRow {
    facility_id: FacilityId,
    mineral: Mineral,
}

#[derive(Insertable)]
#[diesel(table_name = facility_identifiers)]
struct IdentifierRow {
    scheme: FacilityIdentifierScheme,
    value: String,
    facility_id: FacilityId,
}

pub(super) fn changeset(f: &NewFacility) -> Result<FacilityChangeset, StoreError> {
    Ok(FacilityChangeset {
        name: f.name.clone(),
        search_name: text::search_key(&f.name),
        kind: f.kind,
        mining_scale: f.mining_scale,
        country: f.country,
        subdivision: f.subdivision.clone(),
        latitude: f.location.map(|l| l.lat),
        longitude: f.location.map(|l| l.lon),
        operator_party_id: f.operator_party_id,
        cahra: bool_to_db(f.cahra),
        cahra_basis: f.cahra_basis.clone(),
        asm_presence: f.asm_presence.map(bool_to_db),
        coexistence_agreement: f
            .coexistence_agreement
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(StoreError::corrupt)?,
        status: f.status,
    })
}

/// Inserts the minerals and identifiers of `facilities` (multi-row inserts per chunk).
pub(super) fn insert_children(
    conn: &mut DbConn,
    facilities: &[(FacilityId, NewFacility)],
) -> Result<(), StoreError> {
    let minerals: Vec<MineralRow> = facilities
        .iter()
        .flat_map(|(id, f)| {
            f.minerals.iter().map(|&mineral| MineralRow {
                facility_id: *id,
                mineral,
            })
        })
        .collect();
    let identifiers: Vec<IdentifierRow> = facilities
        .iter()
        .flat_map(|(id, f)| {
            f.identifiers.iter().map(|i| IdentifierRow {
                scheme: i.scheme,
                value: i.value.clone(),
                facility_id: *id,
            })
        })
        .collect();
    insert_chunks!(conn, facility_minerals::table, minerals, CHUNK);
    insert_chunks!(conn, facility_identifiers::table, identifiers, CHUNK);
    Ok(())
}

/// Deletes the minerals and identifiers of `ids`.
pub(super) fn delete_children(conn: &mut DbConn, ids: &[FacilityId]) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        diesel::delete(
            facility_minerals::table.filter(facility_minerals::facility_id.eq_any(chunk)),
        )
        .execute(conn)?;
        diesel::delete(
            facility_identifiers::table.filter(facility_identifiers::facility_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Loads the minerals and identifiers of `rows` (one query each per chunk) and builds the
/// facilities.
pub(super) fn assemble(
    conn: &mut DbConn,
    rows: Vec<FacilityRow>,
) -> Result<Vec<Facility>, StoreError> {
    let ids: Vec<FacilityId> = rows.iter().map(|r| r.id).collect();
    let mut minerals = by_owner(chunked(&ids, |chunk| {
        Ok(facility_minerals::table
            .filter(facility_minerals::facility_id.eq_any(chunk))
            .select((facility_minerals::facility_id, facility_minerals::mineral))
            .load::<(FacilityId, Mineral)>(conn)?)
    })?);
    let mut identifiers = by_owner(chunked(&ids, |chunk| {
        let rows = facility_identifiers::table
            .filter(facility_identifiers::facility_id.eq_any(chunk))
            .select((
                facility_identifiers::facility_id,
                facility_identifiers::scheme,
                facility_identifiers::value,
            ))
            .load::<(FacilityId, FacilityIdentifierScheme, String)>(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, scheme, value)| (id, FacilityIdentifier { scheme, value }))
            .collect())
    })?);
    rows.into_iter()
        .map(|row| {
            let own_minerals = take_sorted(&mut minerals, &row.id);
            let own_identifiers = take_sorted(&mut identifiers, &row.id);
            let c = row.content;
            let location = match (c.latitude, c.longitude) {
                (Some(lat), Some(lon)) => Some(Location { lat, lon }),
                _ => None,
            };
            Ok(Facility {
                id: row.id,
                name: c.name,
                kind: c.kind,
                mining_scale: c.mining_scale,
                minerals: own_minerals,
                country: c.country,
                subdivision: c.subdivision,
                location,
                operator_party_id: c.operator_party_id,
                identifiers: own_identifiers,
                cahra: bool_from_db(c.cahra),
                cahra_basis: c.cahra_basis,
                asm_presence: c.asm_presence.map(bool_from_db),
                coexistence_agreement: c
                    .coexistence_agreement
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::corrupt(format!("bad coexistence agreement: {e}")))?,
                status: c.status,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            })
        })
        .collect()
}
