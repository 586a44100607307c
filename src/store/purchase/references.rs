//! What a set of purchase lines names: suppliers in the catalog, origin facilities (with what
//! they are) and the organisation's lots, loaded in a few set-based queries.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::prelude::*;

use super::CHUNK;
use crate::db::DbConn;
use crate::db::schema::{facilities, lots, parties};
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, OrganisationId, PartyId};
use crate::domain::purchase::{OriginTarget, PurchaseLine};
use crate::domain::vocabulary::{FacilityKind, MiningScale};
use crate::store::StoreError;

/// A catalog facility named as an origin: what it is and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacilityRef {
    pub kind: FacilityKind,
    pub mining_scale: Option<MiningScale>,
    pub country: CountryCode,
}

/// The records a set of lines names that exist (suppliers and facilities in the catalog, lots
/// of the organisation).
#[derive(Debug, Default)]
pub struct References {
    pub suppliers: HashSet<PartyId>,
    pub facilities: HashMap<FacilityId, FacilityRef>,
    pub lots: HashSet<LotId>,
}

/// Loads what `lines` name: one query per kind and chunk.
pub fn load<'a>(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: impl IntoIterator<Item = &'a PurchaseLine>,
) -> Result<References, StoreError> {
    let mut supplier_ids = BTreeSet::new();
    let mut facility_ids = BTreeSet::new();
    let mut lot_ids = BTreeSet::new();
    for line in lines {
        supplier_ids.insert(line.supplier);
        lot_ids.extend(line.lot);
        facility_ids.extend(line.origins.iter().filter_map(|o| match o.target {
            OriginTarget::Facility(id) => Some(id),
            OriginTarget::Class { .. } => None,
        }));
    }
    let (supplier_ids, facility_ids, lot_ids): (Vec<PartyId>, Vec<FacilityId>, Vec<LotId>) = (
        supplier_ids.into_iter().collect(),
        facility_ids.into_iter().collect(),
        lot_ids.into_iter().collect(),
    );

    let mut refs = References::default();
    for chunk in supplier_ids.chunks(CHUNK) {
        let found: Vec<PartyId> = parties::table
            .filter(parties::id.eq_any(chunk))
            .select(parties::id)
            .load(conn)?;
        refs.suppliers.extend(found);
    }
    for chunk in facility_ids.chunks(CHUNK) {
        let found: Vec<(FacilityId, FacilityKind, Option<MiningScale>, CountryCode)> =
            facilities::table
                .filter(facilities::id.eq_any(chunk))
                .select((
                    facilities::id,
                    facilities::kind,
                    facilities::mining_scale,
                    facilities::country,
                ))
                .load(conn)?;
        for (id, kind, mining_scale, country) in found {
            let facility = FacilityRef {
                kind,
                mining_scale,
                country,
            };
            refs.facilities.insert(id, facility);
        }
    }
    for chunk in lot_ids.chunks(CHUNK) {
        let found: Vec<LotId> = lots::table
            .filter(lots::organisation_id.eq(organisation))
            .filter(lots::id.eq_any(chunk))
            .select(lots::id)
            .load(conn)?;
        refs.lots.extend(found);
    }
    Ok(refs)
}
