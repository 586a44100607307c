//! The rules on origin mines: `cahra_origin`, `asm_presence_without_coexistence_agreement`,
//! `uncertified_asm_origin`, and `certification_lapsed` between extraction and purchase.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::lapse::lapse;
use super::{Evidence, EvidenceKind, FacilityFacts, RedFlag, RedFlagContext, flag};
use crate::domain::policy::PolicyClass;
use crate::domain::provenance::{Source, Trace};
use crate::domain::vocabulary::{CoexistenceStatus, MiningScale, RedFlagKind, Severity};

/// One origin mine of the trace: its extractions and the lots they produced.
struct OriginMine<'t> {
    extractions: BTreeMap<(NaiveDate, &'t str), Vec<&'t str>>,
}

pub(super) fn origin_flags(
    trace: &Trace,
    context: &RedFlagContext<'_>,
    facilities: &BTreeMap<&str, &FacilityFacts>,
    flags: &mut Vec<RedFlag>,
) {
    let mut mines: BTreeMap<&str, OriginMine<'_>> = BTreeMap::new();
    for a in &trace.attributions {
        if let Source::Mine {
            facility_id,
            event_id,
            extracted_on,
        } = &a.source
        {
            mines
                .entry(facility_id)
                .or_insert_with(|| OriginMine {
                    extractions: BTreeMap::new(),
                })
                .extractions
                .entry((*extracted_on, event_id))
                .or_default()
                .push(&a.lot_id);
        }
    }
    for (facility_id, mine) in &mines {
        let Some(facts) = facilities.get(facility_id) else {
            continue;
        };
        let facility = Evidence::new(EvidenceKind::Facility, facility_id);
        let all_events = || {
            let mut evidence = vec![facility.clone()];
            for ((_, event), lots) in &mine.extractions {
                evidence.push(Evidence::new(EvidenceKind::Event, event));
                evidence.extend(lots.iter().map(|l| Evidence::new(EvidenceKind::Lot, l)));
            }
            evidence
        };
        if facts.cahra {
            let basis = facts
                .cahra_basis
                .as_deref()
                .map(|b| format!(" (basis: {b})"))
                .unwrap_or_default();
            flags.push(flag(
                RedFlagKind::CahraOrigin,
                Severity::High,
                format!(
                    "origin mine {facility_id} in {} lies in a conflict-affected or high-risk area{basis}",
                    facts.country
                ),
                all_events(),
            ));
        }
        if facts.mining_scale == Some(MiningScale::Lsm)
            && facts.asm_presence == Some(true)
            && facts.coexistence != Some(CoexistenceStatus::Signed)
        {
            let state = facts.coexistence.map_or("none recorded", |c| c.as_str());
            flags.push(flag(
                RedFlagKind::AsmPresenceWithoutCoexistenceAgreement,
                Severity::Medium,
                format!(
                    "large-scale origin mine {facility_id} has artisanal miners on or near it and no signed coexistence agreement ({state})"
                ),
                all_events(),
            ));
        }
        let class = match facts.mining_scale {
            Some(MiningScale::Asm) => PolicyClass::Asm,
            Some(MiningScale::Lsm) => PolicyClass::Lsm,
            None => continue,
        };
        for ((extracted_on, event), lots) in &mine.extractions {
            let mut evidence = vec![facility.clone(), Evidence::new(EvidenceKind::Event, event)];
            evidence.extend(lots.iter().map(|l| Evidence::new(EvidenceKind::Lot, l)));
            let at_extraction =
                context
                    .policy
                    .accepts(class, &facts.certificates, *extracted_on, context.mineral);
            if class == PolicyClass::Asm && at_extraction.is_none() {
                flags.push(flag(
                    RedFlagKind::UncertifiedAsmOrigin,
                    Severity::High,
                    format!(
                        "artisanal origin mine {facility_id} held no certificate the policy accepts for ASM on its extraction date {extracted_on} (event {event})"
                    ),
                    evidence.clone(),
                ));
            }
            lapse(
                context,
                facts,
                class,
                ("extraction", *extracted_on, at_extraction),
                evidence,
                flags,
            );
        }
    }
}
