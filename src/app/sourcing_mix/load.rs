//! What the mix reads: the period's origin quantities and the certificates of their facilities.
//!
//! Whole months come from the monthly rollup and the days at the period's edges from the daily
//! one (`domain::mix::plan`). A facility whose certificates may change standing within a month
//! is read by day for that month (`domain::mix::steady_through`), so that every quantity is
//! still judged on its purchase date; a monthly cell is dated the first day of its month.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::MixRequest;
use super::traced;
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::mix::{self as rules, Basis, MixOrigin};
use crate::domain::policy::CertificateFacts;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::certificate_facts::{self, Subject};
use crate::store::mix::{self, OriginAggregate};

/// Each facility's certificates (a facility without any is not listed).
pub(super) type Certificates = HashMap<FacilityId, Vec<CertificateFacts>>;

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

/// The period's origin quantities and the certificates of their facilities: the rollups'
/// cells, except that the purchases naming a lot (kept apart in the rollups) count as what
/// tracing their lots says.
pub(super) fn origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    request: &MixRequest,
) -> Result<(Vec<MixOrigin>, Certificates), AppError> {
    let (from, to, mineral) = (request.from, request.to, request.mineral);
    let plan = rules::plan(from, to);
    let mut cells = Vec::new();
    for (first, last) in &plan.days {
        cells.extend(mix::aggregate(conn, organisation, *first, *last, mineral)?);
    }
    let mut certificates = Certificates::new();
    if let Some((first, last)) = plan.months {
        let months = mix::aggregate_months(conn, organisation, first, last, mineral)?;
        cells.extend(steady_months(
            conn,
            organisation,
            mineral,
            months,
            &mut certificates,
        )?);
    }
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
    let facilities: BTreeSet<FacilityId> = origins.iter().filter_map(|o| o.facility).collect();
    load_certificates(conn, &facilities, &mut certificates)?;
    Ok((origins, certificates))
}

/// The monthly cells, except that the months in which a judged facility's certificates may
/// change standing are read again by day for that facility (all its cells of that month).
fn steady_months(
    conn: &mut DbConn,
    organisation: OrganisationId,
    mineral: Option<Mineral>,
    months: Vec<OriginAggregate>,
    certificates: &mut Certificates,
) -> Result<Vec<OriginAggregate>, AppError> {
    // Only ASM and LSM quantities of a facility are judged (`domain::mix::classify`).
    let judged: BTreeSet<FacilityId> = months
        .iter()
        .filter(|c| matches!(c.origin_class, OriginClass::Asm | OriginClass::Lsm))
        .filter_map(|c| c.facility_id)
        .collect();
    load_certificates(conn, &judged, certificates)?;
    let changes: HashMap<FacilityId, BTreeSet<NaiveDate>> = judged
        .iter()
        .filter_map(|f| certificates.get(f).map(|c| (*f, rules::change_days(c))))
        .collect();
    let mut by_day: BTreeMap<NaiveDate, BTreeSet<FacilityId>> = BTreeMap::new();
    for cell in &months {
        let Some(changes) = cell.facility_id.and_then(|f| changes.get(&f)) else {
            continue;
        };
        let month = cell.purchased_on;
        if !rules::steady_through(changes, month, rules::month_end(month)) {
            by_day.entry(month).or_default().extend(cell.facility_id);
        }
    }
    let mut cells: Vec<OriginAggregate> = months
        .into_iter()
        .filter(|c| {
            c.facility_id
                .is_none_or(|f| !by_day.get(&c.purchased_on).is_some_and(|s| s.contains(&f)))
        })
        .collect();
    for (month, facilities) in by_day {
        let facilities: Vec<FacilityId> = facilities.into_iter().collect();
        cells.extend(mix::aggregate_days(
            conn,
            organisation,
            month,
            rules::month_end(month),
            mineral,
            Some(&facilities),
        )?);
    }
    Ok(cells)
}

/// Loads the certificates of the facilities not loaded yet.
fn load_certificates(
    conn: &mut DbConn,
    facilities: &BTreeSet<FacilityId>,
    certificates: &mut Certificates,
) -> Result<(), AppError> {
    let missing: Vec<FacilityId> = facilities
        .iter()
        .filter(|f| !certificates.contains_key(f))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // The certificate facts are keyed by the catalog's text ids.
    let keys: Vec<String> = missing.iter().map(FacilityId::to_string).collect();
    let mut by_key = certificate_facts::for_subjects(conn, Subject::Facility, &keys)?;
    for (id, key) in missing.into_iter().zip(keys) {
        certificates.insert(id, by_key.remove(&key).unwrap_or_default());
    }
    Ok(())
}
