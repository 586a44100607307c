//! Which quantities of the mix were certified: each origin quantity decided under the policy on
//! its purchase date, with what it rests on.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{Basis, MixLine};
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, PartyId};
use crate::domain::mass::Mass;
use crate::domain::policy::{CertificateFacts, PolicyClass, SourcingPolicy};
use crate::domain::vocabulary::{Mineral, OriginClass};

/// A quantity of purchases from one origin, before certification is decided: a cell of the
/// rollup, a declared row of a purchase with a lot, or a part attributed by tracing that lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixOrigin {
    pub purchased_on: NaiveDate,
    pub mineral: Mineral,
    /// The supplier; absent when the mix was read summed over suppliers (its answer does not
    /// show them).
    pub supplier: Option<PartyId>,
    /// The origin facility, when one was declared or reached by tracing.
    pub facility: Option<FacilityId>,
    pub origin_class: OriginClass,
    pub country: Option<CountryCode>,
    /// What the origin class rests on.
    pub basis: Basis,
    /// Milligrams of metric quantities (exact).
    pub quantity_mg: i64,
    /// Micro troy ounces of troy-ounce quantities (exact).
    pub quantity_uozt: i64,
}

impl MixOrigin {
    /// The exact quantity, both unit families together.
    pub fn mass(&self) -> Mass {
        Mass::from_mg(self.quantity_mg) + Mass::from_uozt(self.quantity_uozt)
    }
}

/// Decides for each origin quantity whether it was certified on its purchase date: an ASM or
/// LSM quantity whose facility held, that day, a certificate the policy accepts for its class
/// and mineral. Recycled and unknown quantities, and quantities without a facility, are not
/// certified. `certificates` holds each facility's certificates (none: not certified).
pub fn classify(
    origins: Vec<MixOrigin>,
    policy: &SourcingPolicy,
    certificates: &HashMap<FacilityId, Vec<CertificateFacts>>,
) -> Vec<MixLine> {
    // Many quantities share a facility, day and mineral: each is decided once.
    let mut decided: HashMap<(FacilityId, NaiveDate, Mineral), bool> = HashMap::new();
    origins
        .into_iter()
        .map(|origin| {
            let class = match origin.origin_class {
                OriginClass::Asm => Some(PolicyClass::Asm),
                OriginClass::Lsm => Some(PolicyClass::Lsm),
                OriginClass::Recycled | OriginClass::Unknown => None,
            };
            let certified = match (class, origin.facility) {
                (Some(class), Some(facility)) => *decided
                    .entry((facility, origin.purchased_on, origin.mineral))
                    .or_insert_with(|| {
                        let facts = certificates.get(&facility).map_or(&[][..], Vec::as_slice);
                        policy
                            .accepts(class, facts, origin.purchased_on, Some(origin.mineral))
                            .is_some()
                    }),
                _ => false,
            };
            MixLine {
                purchased_on: origin.purchased_on,
                mineral: origin.mineral,
                supplier: origin.supplier,
                country: origin.country,
                origin_class: origin.origin_class,
                basis: origin.basis,
                certified,
                quantity_mg: origin.quantity_mg,
                quantity_uozt: origin.quantity_uozt,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::test_certificates::certificate;

    fn origin(class: OriginClass, facility: Option<FacilityId>) -> MixOrigin {
        MixOrigin {
            purchased_on: "2026-03-10".parse().unwrap(),
            mineral: Mineral::Gold,
            supplier: Some(PartyId::generate()),
            facility,
            origin_class: class,
            country: None,
            basis: Basis::Declared,
            quantity_mg: 5,
            quantity_uozt: 0,
        }
    }

    #[test]
    fn only_asm_and_lsm_quantities_of_a_certified_facility_count() {
        let mine = FacilityId::generate();
        let other = FacilityId::generate();
        let certificates = HashMap::from([(
            mine,
            vec![
                certificate("c-1", "fairmined")
                    .valid("2026-01-01", "2026-12-31")
                    .facts(),
            ],
        )]);
        let lines = classify(
            vec![
                origin(OriginClass::Asm, Some(mine)),
                origin(OriginClass::Asm, Some(other)),
                origin(OriginClass::Asm, None),
                origin(OriginClass::Recycled, Some(mine)),
            ],
            &SourcingPolicy::default(),
            &certificates,
        );
        let certified: Vec<bool> = lines.iter().map(|l| l.certified).collect();
        assert_eq!(certified, [true, false, false, false]);
        assert!(lines.iter().all(|l| l.basis == Basis::Declared));
    }
}
