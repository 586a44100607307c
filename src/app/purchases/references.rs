//! What a line names must exist: its supplier in the catalog, its lot among the organisation's,
//! each declared facility in the catalog as a mine (of known scale) or a recycler. And the
//! origin rows a line resolves to, from what its facilities are.

use crate::domain::purchase::{
    FacilityOrigin, OriginTarget, PurchaseLine, PurchaseOrigin, origin_class_of,
};
use crate::store::purchase::references::References;

/// What is wrong with the records a line names, as (field inside the line, why); empty when
/// everything it names exists.
pub(super) fn problems(line: &PurchaseLine, refs: &References) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if !refs.suppliers.contains(&line.supplier) {
        problems.push((
            "/supplier_party_id".to_owned(),
            "no party with this id in the catalog".to_owned(),
        ));
    }
    if let Some(lot) = line.lot
        && !refs.lots.contains(&lot)
    {
        problems.push(("/lot_id".to_owned(), "no lot with this id".to_owned()));
    }
    for (i, origin) in line.origins.iter().enumerate() {
        let OriginTarget::Facility(id) = &origin.target else {
            continue;
        };
        let field = format!("/declared_origin/{i}/facility_id");
        match refs.facilities.get(id) {
            None => problems.push((field, "no facility with this id in the catalog".to_owned())),
            Some(facility) if origin_class_of(facility.kind, facility.mining_scale).is_none() => {
                problems.push((
                    field,
                    format!(
                        "an origin facility must be a mine or a recycler, not a {}",
                        facility.kind
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    problems
}

/// The line's origin rows, each declared facility giving its class and country.
pub(super) fn origin_rows(line: &PurchaseLine, refs: &References) -> Vec<PurchaseOrigin> {
    line.origin_rows(|id| {
        let facility = refs.facilities.get(&id)?;
        Some(FacilityOrigin {
            class: origin_class_of(facility.kind, facility.mining_scale)?,
            country: Some(facility.country),
        })
    })
}
