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
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::country::CountryCode;
use super::ids::{OrganisationId, PurchaseId, RedFlagId};
use super::policy::{CertificateFacts, SourcingPolicy};
use super::provenance::{Trace, YieldTolerance};
use super::vocabulary::{
    CoexistenceStatus, FacilityKind, Mineral, MiningScale, RedFlagKind, Severity,
};

pub mod case;
mod lapse;
mod origins;
mod quantities;
mod smelters;

use origins::origin_flags;
use quantities::{mass_balance_flags, untraced_flag};
use smelters::smelter_flags;

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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
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
    pub consumed: &'a [(String, crate::domain::mass::Mass)],
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

/// What makes a flag the same flag when computed again: its purchase, its kind and the records
/// it rests on (not its wording or severity, which may change while the cause stays). A hex
/// string of 32 characters.
pub fn fingerprint(purchase: PurchaseId, flag: &RedFlag) -> String {
    let mut evidence: Vec<String> = flag
        .evidence
        .iter()
        .map(|e| format!("{}:{}", e.kind, e.id))
        .collect();
    evidence.sort();
    let text = format!("{purchase}|{}|{}", flag.kind, evidence.join(","));
    let digest = Sha256::digest(text.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The namespace of red-flag ids (a fixed random UUID: changing it would change every id).
const FLAG_ID_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6f7f_2a4e_93c1_4b8d_a0e5_1c2d_3b4a_5e6f);

/// A flag's public id: the UUIDv5 of its organisation, purchase and [`fingerprint`], so that the
/// same cause computed again (today, tomorrow, after the cause went and came back) is the same
/// id, and no two organisations ever share one.
pub fn flag_id(organisation: OrganisationId, purchase: PurchaseId, fingerprint: &str) -> RedFlagId {
    let name = format!("{organisation}/{purchase}/{fingerprint}");
    RedFlagId(uuid::Uuid::new_v5(&FLAG_ID_NAMESPACE, name.as_bytes()))
}

#[cfg(test)]
mod tests;
