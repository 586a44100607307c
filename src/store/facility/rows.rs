//! Row types of the facility tables, and how rows become facilities.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::*;
use crate::db::DbConn;
use crate::db::schema::{facilities, facility_identifiers, facility_minerals};
use crate::domain::facility::Location;
use crate::domain::ids::FacilityId;
use crate::domain::text;
use crate::domain::time;
use crate::domain::vocabulary::Mineral;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, bool_from_db, bool_to_db, parse_stored};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = facilities)]
pub(super) struct FacilityRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) search_name: String,
    pub(super) kind: String,
    pub(super) mining_scale: Option<String>,
    pub(super) country: String,
    pub(super) subdivision: Option<String>,
    pub(super) latitude: Option<f64>,
    pub(super) longitude: Option<f64>,
    pub(super) operator_party_id: Option<String>,
    pub(super) cahra: i16,
    pub(super) cahra_basis: Option<String>,
    pub(super) asm_presence: Option<i16>,
    pub(super) coexistence_agreement: Option<String>,
    pub(super) status: String,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = facility_minerals)]
pub(super) struct MineralRow {
    pub(super) facility_id: String,
    pub(super) mineral: String,
}

#[derive(Insertable)]
#[diesel(table_name = facility_identifiers)]
pub(super) struct IdentifierRow {
    pub(super) scheme: String,
    pub(super) value: String,
    pub(super) facility_id: String,
}

/// Filters of a facility list that the database evaluates; all given filters must match.
pub(super) fn row_of(
    id: FacilityId,
    f: &NewFacility,
    created: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<FacilityRow, StoreError> {
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
            .map_err(StoreError::corrupt)?,
        status: f.status.as_str().to_owned(),
        created_at: created,
        updated_at: now,
    })
}

pub(super) fn children_of(
    id: FacilityId,
    f: &NewFacility,
) -> (Vec<MineralRow>, Vec<IdentifierRow>) {
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

pub(super) fn insert_children(
    conn: &mut DbConn,
    minerals: &[MineralRow],
    identifiers: &[IdentifierRow],
) -> Result<(), StoreError> {
    for chunk in minerals.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(facility_minerals::table).values(chunk).execute(conn))?;
    }
    for chunk in identifiers.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(facility_identifiers::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// Fails with 409 when one of `identifiers` belongs to another facility than `own`.
pub(super) fn assemble(
    conn: &mut DbConn,
    rows: Vec<FacilityRow>,
) -> Result<Vec<Facility>, StoreError> {
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
                    .map_err(|e| StoreError::corrupt(format!("bad coexistence agreement: {e}")))?,
                status: parse_stored("facility status", &row.status)?,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            })
        })
        .collect()
}
