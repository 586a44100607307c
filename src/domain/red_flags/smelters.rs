//! The rules on smelters and refiners: `smelter_not_conformant`, and `certification_lapsed`
//! between transformation and purchase.

use std::collections::BTreeMap;

use super::lapse::lapse;
use super::{Evidence, EvidenceKind, FacilityFacts, RedFlag, RedFlagContext, flag};
use crate::domain::policy::PolicyClass;
use crate::domain::provenance::Trace;
use crate::domain::vocabulary::{FacilityKind, RedFlagKind, Severity};

pub(super) fn smelter_flags(
    trace: &Trace,
    context: &RedFlagContext<'_>,
    facilities: &BTreeMap<&str, &FacilityFacts>,
    flags: &mut Vec<RedFlag>,
) {
    for t in &trace.transformations {
        let Some(facts) = facilities.get(t.facility_id.as_str()) else {
            continue;
        };
        if !matches!(facts.kind, FacilityKind::Smelter | FacilityKind::Refiner) {
            continue;
        }
        let mut evidence = vec![
            Evidence::new(EvidenceKind::Facility, &t.facility_id),
            Evidence::new(EvidenceKind::Event, &t.event_id),
        ];
        evidence.extend(
            t.outputs
                .iter()
                .map(|o| Evidence::new(EvidenceKind::Lot, &o.lot_id)),
        );
        let accepted = context.policy.accepts(
            PolicyClass::SmelterRefiner,
            &facts.certificates,
            t.occurred_on,
            context.mineral,
        );
        if accepted.is_none() {
            flags.push(flag(
                RedFlagKind::SmelterNotConformant,
                Severity::High,
                format!(
                    "{} {} held no certificate the policy accepts for smelters and refiners on {} (event {})",
                    facts.kind, t.facility_id, t.occurred_on, t.event_id
                ),
                evidence.clone(),
            ));
        }
        lapse(
            context,
            facts,
            PolicyClass::SmelterRefiner,
            ("transformation", t.occurred_on, accepted),
            evidence,
            flags,
        );
    }
}
