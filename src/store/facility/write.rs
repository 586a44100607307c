//! Creating and replacing facilities.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{facilities, facility_identifiers, facility_minerals};
use crate::domain::ids::FacilityId;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, now_db};

pub fn check_identifiers_free(
    conn: &mut DbConn,
    own: Option<FacilityId>,
    identifiers: &[FacilityIdentifier],
) -> Result<(), StoreError> {
    let owners = owners_of(conn, identifiers)?;
    for identifier in identifiers {
        if let Some(owner) = owners.get(identifier)
            && Some(*owner) != own
        {
            return Err(StoreError::Conflict(format!(
                "the identifier {identifier} is already used by facility {owner}"
            )));
        }
    }
    Ok(())
}

/// Creates facilities with the given ids (one multi-row insert per table and chunk).
pub fn insert_many(conn: &mut DbConn, new: &[(FacilityId, NewFacility)]) -> Result<(), StoreError> {
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
pub fn insert(conn: &mut DbConn, f: &NewFacility) -> Result<Facility, StoreError> {
    check_identifiers_free(conn, None, &f.identifiers)?;
    let id = FacilityId::generate();
    insert_many(conn, &[(id, f.clone())])?;
    find(conn, id)?.ok_or_else(|| StoreError::corrupt("facility vanished after insert"))
}

/// Replaces a facility's content; 409 when one of its identifiers belongs to another.
pub fn update(conn: &mut DbConn, id: FacilityId, f: &NewFacility) -> Result<Facility, StoreError> {
    check_identifiers_free(conn, Some(id), &f.identifiers)?;
    replace(conn, id, f)?;
    find(conn, id)?.ok_or_else(|| StoreError::corrupt("facility vanished after update"))
}

/// Replaces a facility's row and children, without checks.
pub fn replace(conn: &mut DbConn, id: FacilityId, f: &NewFacility) -> Result<(), StoreError> {
    replace_many(conn, &[(id, f.clone())]).map(|_| ())
}

/// Replaces many facilities' rows and children, without checks: one UPDATE per facility, then
/// one DELETE and one multi-row INSERT per child table and chunk. Returns the `updated_at`
/// written.
pub fn replace_many(
    conn: &mut DbConn,
    rows: &[(FacilityId, NewFacility)],
) -> Result<DateTime<Utc>, StoreError> {
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
