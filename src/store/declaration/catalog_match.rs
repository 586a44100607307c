//! What matching a declaration's smelters needs from the catalog: the facilities that hold
//! RMI identifiers (CIDs), and the facilities of some kinds in some countries (to match by name
//! and country, and to find the mines a declaration names).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{facilities, facility_identifiers};
use crate::domain::country::CountryCode;
use crate::domain::ids::FacilityId;
use crate::domain::vocabulary::{FacilityIdentifierScheme, FacilityKind};
use crate::store::StoreError;
use crate::store::catalog::chunked;

/// A catalog facility as the matching sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogFacility {
    pub id: FacilityId,
    pub name: String,
    pub kind: FacilityKind,
    pub country: CountryCode,
    pub cahra: bool,
}

type FacilityRow = (FacilityId, String, FacilityKind, CountryCode, i16);

fn facility((id, name, kind, country, cahra): FacilityRow) -> CatalogFacility {
    CatalogFacility {
        id,
        name,
        kind,
        country,
        cahra: cahra != 0,
    }
}

/// The facility holding each of these RMI CIDs (`CID001234`), by CID.
pub fn by_cid(
    conn: &mut DbConn,
    cids: &[String],
) -> Result<HashMap<String, CatalogFacility>, StoreError> {
    let rows: Vec<(String, FacilityRow)> = chunked(cids, |chunk| {
        Ok(facility_identifiers::table
            .inner_join(facilities::table)
            .filter(facility_identifiers::scheme.eq(FacilityIdentifierScheme::RmiCid))
            .filter(facility_identifiers::value.eq_any(chunk))
            .select((
                facility_identifiers::value,
                (
                    facilities::id,
                    facilities::name,
                    facilities::kind,
                    facilities::country,
                    facilities::cahra,
                ),
            ))
            .load(conn)?)
    })?;
    Ok(rows
        .into_iter()
        .map(|(cid, row)| (cid, facility(row)))
        .collect())
}

/// The facilities of `kinds` in `countries`.
pub fn in_countries(
    conn: &mut DbConn,
    countries: &[CountryCode],
    kinds: &[FacilityKind],
) -> Result<Vec<CatalogFacility>, StoreError> {
    let rows: Vec<FacilityRow> = chunked(countries, |chunk| {
        Ok(facilities::table
            .filter(facilities::country.eq_any(chunk))
            .filter(facilities::kind.eq_any(kinds))
            .select((
                facilities::id,
                facilities::name,
                facilities::kind,
                facilities::country,
                facilities::cahra,
            ))
            .order(facilities::id)
            .load(conn)?)
    })?;
    Ok(rows.into_iter().map(facility).collect())
}

/// The RMI CIDs of these facilities, by facility.
pub fn cids_of(
    conn: &mut DbConn,
    ids: &[FacilityId],
) -> Result<HashMap<FacilityId, String>, StoreError> {
    let rows: Vec<(FacilityId, String)> = chunked(ids, |chunk| {
        Ok(facility_identifiers::table
            .filter(facility_identifiers::scheme.eq(FacilityIdentifierScheme::RmiCid))
            .filter(facility_identifiers::facility_id.eq_any(chunk))
            .select((
                facility_identifiers::facility_id,
                facility_identifiers::value,
            ))
            .load(conn)?)
    })?;
    Ok(rows.into_iter().collect())
}
