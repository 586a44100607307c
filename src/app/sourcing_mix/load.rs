//! What the mix reads: the period's origin quantities and the certificates of their facilities.

use std::collections::{BTreeSet, HashMap};

use super::MixRequest;
use super::traced;
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::mix::{Basis, MixOrigin};
use crate::domain::policy::CertificateFacts;
use crate::store::certificate_facts::{self, Subject};
use crate::store::mix::{self, OriginAggregate};

/// A rollup cell or a recorded origin row, as the mix counts it: declared, or unknown.
pub(super) fn as_origin(row: OriginAggregate) -> MixOrigin {
    MixOrigin {
        purchased_on: row.purchased_on,
        mineral: row.mineral,
        supplier: row.supplier_party_id,
        facility: row.facility_id,
        origin_class: row.origin_class,
        country: row.country,
        basis: if row.declared {
            Basis::Declared
        } else {
            Basis::Unknown
        },
        quantity_mg: row.quantity_mg,
        quantity_uozt: row.quantity_uozt,
    }
}

/// The period's origin quantities: the rollup's cells, except that the purchases naming a lot
/// (kept apart in the rollup) count as what tracing their lots says.
pub(super) fn origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    request: &MixRequest,
) -> Result<Vec<MixOrigin>, AppError> {
    let (from, to, mineral) = (request.from, request.to, request.mineral);
    let cells = mix::aggregate(conn, organisation, from, to, mineral)?;
    let any_lot = cells.iter().any(|c| c.has_lot);
    let mut origins: Vec<MixOrigin> = cells
        .into_iter()
        .filter(|c| !c.has_lot)
        .map(as_origin)
        .collect();
    if any_lot {
        let purchases = mix::lot_purchases(conn, organisation, from, to, mineral)?;
        origins.extend(traced::origins(conn, organisation, purchases)?);
    }
    Ok(origins)
}

/// The certificates of every facility the quantities name.
pub(super) fn certificates(
    conn: &mut DbConn,
    origins: &[MixOrigin],
) -> Result<HashMap<FacilityId, Vec<CertificateFacts>>, AppError> {
    let ids: BTreeSet<FacilityId> = origins.iter().filter_map(|o| o.facility).collect();
    // The certificate facts are keyed by the catalog's text ids.
    let keys: Vec<String> = ids.iter().map(FacilityId::to_string).collect();
    let mut by_key = certificate_facts::for_subjects(conn, Subject::Facility, &keys)?;
    Ok(ids
        .into_iter()
        .zip(keys)
        .filter_map(|(id, key)| by_key.remove(&key).map(|facts| (id, facts)))
        .collect())
}
