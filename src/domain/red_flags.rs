//! Red flags: the OECD Due Diligence Guidance's Annex II risks made concrete, from a trace and
//! the facts the caller supplies about the facilities on the way.
//!
//! Every rule is a pure function of its inputs; each flag names its evidence (events, lots,
//! facilities, parties, certificates) and a severity; flags come in a fixed order. A facility
//! the caller supplies no facts for raises no facility-based flag (it cannot be judged), so the
//! caller must supply facts for every facility of the trace. docs/DOMAIN-ARITHMETIC.md lists the
//! rules for auditors.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::country::CountryCode;
use super::policy::{Acceptance, CertificateFacts, PolicyClass, SourcingPolicy};
use super::provenance::{
    HIGH_UNTRACED_SHARE, Source, Trace, TransferEdge, YieldTolerance, consumed_beyond_quantity,
    transferred_beyond_quantity, yield_excess,
};
use super::vocabulary::{
    CoexistenceStatus, FacilityKind, Mineral, MiningScale, RedFlagKind, Severity,
};

crate::text_enum! {
    /// What a piece of evidence is.
    pub enum EvidenceKind {
        /// A mine, smelter, refiner or other facility.
        Facility = "facility",
        /// A custody event (extraction, transformation or transfer).
        Event = "event",
        /// A lot of material.
        Lot = "lot",
        /// A company.
        Party = "party",
        /// A certificate.
        Certificate = "certificate",
    }
}

/// A record a red flag rests on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct Evidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// Its id.
    pub id: String,
}

impl Evidence {
    fn new(kind: EvidenceKind, id: &str) -> Evidence {
        Evidence {
            kind,
            id: id.to_owned(),
        }
    }
}

/// A risk the chain raises.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RedFlag {
    /// Which risk.
    pub kind: RedFlagKind,
    /// How urgent.
    pub severity: Severity,
    /// What was found, in words.
    pub message: String,
    /// The records it rests on: the main one first.
    pub evidence: Vec<Evidence>,
}

/// What the caller knows of a facility on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityFacts {
    /// The facility's id.
    pub facility_id: String,
    /// What it does.
    pub kind: FacilityKind,
    /// Its mining scale (mines only).
    pub mining_scale: Option<MiningScale>,
    /// Its country.
    pub country: CountryCode,
    /// Whether it lies in a conflict-affected or high-risk area.
    pub cahra: bool,
    /// The source of the CAHRA designation, when recorded.
    pub cahra_basis: Option<String>,
    /// Whether artisanal miners work on or near it (`None`: unknown).
    pub asm_presence: Option<bool>,
    /// The state of its coexistence agreement with artisanal miners (`None`: none recorded).
    pub coexistence: Option<CoexistenceStatus>,
    /// Its certificates, with their histories.
    pub certificates: Vec<CertificateFacts>,
}

/// Everything besides the trace that the rules read.
#[derive(Clone, Copy, Debug)]
pub struct RedFlagContext<'a> {
    /// The organisation's sourcing policy.
    pub policy: &'a SourcingPolicy,
    /// Facts about every facility of the trace.
    pub facilities: &'a [FacilityFacts],
    /// The traced mineral, when known: certificates must cover it.
    pub mineral: Option<Mineral>,
    /// The purchase date, when a purchase is traced (certification lapses are judged against it).
    pub purchased_on: Option<NaiveDate>,
    /// How much heavier than its inputs a transformation's outputs may be.
    pub yield_tolerance: YieldTolerance,
    /// For lots of the trace: milligrams consumed from them by every recorded event (including
    /// events outside the trace). A lot not listed is judged on the trace's own transformations.
    pub consumed: &'a [(String, i64)],
}

fn flag(
    kind: RedFlagKind,
    severity: Severity,
    message: String,
    evidence: Vec<Evidence>,
) -> RedFlag {
    RedFlag {
        kind,
        severity,
        message,
        evidence,
    }
}

/// The red flags a trace raises, most severe first, then by kind (in vocabulary order), then by
/// evidence: the same inputs always give the same list, whatever their order.
///
/// Rules (each names its evidence):
/// - `cahra_origin` (high): an origin mine in a conflict-affected or high-risk area.
/// - `uncertified_asm_origin` (high): an extraction at an ASM mine with no certificate the
///   policy accepts for ASM on the extraction date.
/// - `certification_lapsed` (medium): an origin mine (on its extraction date) or a smelter or
///   refiner (on its transformation date) accepted on that date but not on the purchase date, or
///   the other way round. Only when a purchase date is given.
/// - `smelter_not_conformant` (high): a transformation at a smelter or refiner with no
///   certificate the policy accepts for smelters/refiners on the transformation date.
/// - `mass_balance_exceeded` (medium): a transformation whose outputs outweigh its inputs beyond
///   the yield tolerance; a lot consumed in total beyond its quantity; a party handing over, in
///   total, more of a lot than it holds.
/// - `untraced_volume`: any untraced material; high when its exact share is at least 1/10,
///   medium otherwise.
/// - `asm_presence_without_coexistence_agreement` (medium): an LSM origin mine with artisanal
///   miners on or near it and no signed coexistence agreement.
pub fn red_flags(trace: &Trace, context: &RedFlagContext<'_>) -> Vec<RedFlag> {
    let facilities: BTreeMap<&str, &FacilityFacts> = context
        .facilities
        .iter()
        .map(|f| (f.facility_id.as_str(), f))
        .collect();
    let mut flags = Vec::new();
    origin_flags(trace, context, &facilities, &mut flags);
    smelter_flags(trace, context, &facilities, &mut flags);
    mass_balance_flags(trace, context, &mut flags);
    untraced_flag(trace, &mut flags);
    flags.sort_by(|a, b| {
        (Reverse(a.severity), a.kind, &a.evidence).cmp(&(Reverse(b.severity), b.kind, &b.evidence))
    });
    flags.dedup();
    flags
}

/// One origin mine of the trace: its extractions and the lots they produced.
struct OriginMine<'t> {
    extractions: BTreeMap<(NaiveDate, &'t str), Vec<&'t str>>,
}

fn origin_flags(
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

/// `certification_lapsed` when the subject was accepted on one of the event date and the
/// purchase date but not on the other.
fn lapse(
    context: &RedFlagContext<'_>,
    facts: &FacilityFacts,
    class: PolicyClass,
    (what, on, at_event): (&str, NaiveDate, Option<Acceptance>),
    mut evidence: Vec<Evidence>,
    flags: &mut Vec<RedFlag>,
) {
    let Some(purchased_on) = context.purchased_on else {
        return;
    };
    let at_purchase =
        context
            .policy
            .accepts(class, &facts.certificates, purchased_on, context.mineral);
    let id = &facts.facility_id;
    let message = match (&at_event, &at_purchase) {
        (Some(accepted), None) => format!(
            "{id} was accepted on its {what} date {on} (certificate {}) but not on the purchase date {purchased_on}",
            accepted.certificate_id
        ),
        (None, Some(accepted)) => format!(
            "{id} was not accepted on its {what} date {on}, only later on the purchase date {purchased_on} (certificate {})",
            accepted.certificate_id
        ),
        _ => return,
    };
    if let Some(accepted) = at_event.as_ref().or(at_purchase.as_ref()) {
        evidence.push(Evidence::new(
            EvidenceKind::Certificate,
            &accepted.certificate_id,
        ));
    }
    flags.push(flag(
        RedFlagKind::CertificationLapsed,
        Severity::Medium,
        message,
        evidence,
    ));
}

fn smelter_flags(
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

fn mass_balance_flags(trace: &Trace, context: &RedFlagContext<'_>, flags: &mut Vec<RedFlag>) {
    for t in &trace.transformations {
        if let Some(excess) = yield_excess(&t.inputs, &t.outputs, context.yield_tolerance) {
            flags.push(flag(
                RedFlagKind::MassBalanceExceeded,
                Severity::Medium,
                format!(
                    "event {} produced {} mg from {} mg of inputs, beyond the yield tolerance of {} ppm",
                    t.event_id, excess.output_mg, excess.input_mg, excess.tolerance_ppm
                ),
                vec![
                    Evidence::new(EvidenceKind::Event, &t.event_id),
                    Evidence::new(EvidenceKind::Facility, &t.facility_id),
                ],
            ));
        }
    }

    let reported: BTreeMap<&str, i64> = context
        .consumed
        .iter()
        .map(|(lot, mg)| (lot.as_str(), *mg))
        .collect();
    let mut consumers: BTreeMap<&str, (Vec<i64>, Vec<&str>)> = BTreeMap::new();
    for t in &trace.transformations {
        for input in &t.inputs {
            let entry = consumers.entry(&input.lot_id).or_default();
            entry.0.push(input.quantity_mg);
            entry.1.push(&t.event_id);
        }
    }
    let mut transfers: BTreeMap<&str, Vec<TransferEdge>> = BTreeMap::new();
    for t in &trace.transfers {
        transfers.entry(&t.lot_id).or_default().push(t.clone());
    }
    for lot in &trace.lots {
        let Some(quantity) = lot.quantity_mg else {
            continue;
        };
        let (in_trace, events) = consumers
            .get(lot.lot_id.as_str())
            .cloned()
            .unwrap_or_default();
        let consumed = match reported.get(lot.lot_id.as_str()) {
            Some(total) => vec![*total],
            None => in_trace,
        };
        if let Some(total) = consumed_beyond_quantity(quantity, &consumed) {
            let mut evidence = vec![Evidence::new(EvidenceKind::Lot, &lot.lot_id)];
            evidence.extend(events.iter().map(|e| Evidence::new(EvidenceKind::Event, e)));
            flags.push(flag(
                RedFlagKind::MassBalanceExceeded,
                Severity::Medium,
                format!(
                    "lot {} holds {quantity} mg but {total} mg of it were consumed",
                    lot.lot_id
                ),
                evidence,
            ));
        }
        let lot_transfers = transfers
            .get(lot.lot_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for overdraw in transferred_beyond_quantity(quantity, lot_transfers) {
            let mut evidence = vec![
                Evidence::new(EvidenceKind::Lot, &lot.lot_id),
                Evidence::new(EvidenceKind::Party, &overdraw.from_party),
            ];
            evidence.extend(
                overdraw
                    .event_ids
                    .iter()
                    .map(|e| Evidence::new(EvidenceKind::Event, e)),
            );
            flags.push(flag(
                RedFlagKind::MassBalanceExceeded,
                Severity::Medium,
                format!(
                    "party {} handed over {} mg of lot {}, which holds {quantity} mg",
                    overdraw.from_party, overdraw.transferred_mg, lot.lot_id
                ),
                evidence,
            ));
        }
    }
}

fn untraced_flag(trace: &Trace, flags: &mut Vec<RedFlag>) {
    if !trace.has_untraced() {
        return;
    }
    let (p, q) = HIGH_UNTRACED_SHARE;
    let severity = if trace.untraced_is_high() {
        Severity::High
    } else {
        Severity::Medium
    };
    let untraced = &trace.summary.untraced;
    let evidence = trace
        .attributions
        .iter()
        .filter(|a| matches!(a.source, Source::Untraced { .. }))
        .map(|a| Evidence::new(EvidenceKind::Lot, &a.lot_id))
        .collect();
    flags.push(flag(
        RedFlagKind::UntracedVolume,
        severity,
        format!(
            "{} mg (share {}) of the traced material could not be traced to a mine or recycled source{}",
            untraced.quantity_mg,
            untraced.share.value,
            if severity == Severity::High {
                format!(", at least {p}/{q}")
            } else {
                String::new()
            }
        ),
        evidence,
    ));
}

#[cfg(test)]
mod tests;
