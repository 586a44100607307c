//! The sourcing policy of an organisation: which certifications count as responsible for ASM
//! mines, LSM mines and smelters/refiners, and the targets its sourcing mix is held to.
//!
//! Whether a certificate is accepted on a date is decided with the catalog's as-of rules
//! ([`standing_on`], [`level_at_least`]): the certificate must be `active` on that date, under a
//! scheme the policy lists for that class, at or above the listed minimum level, and (when the
//! caller names a mineral) cover that mineral.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::certification::{Snapshot, Standing, level_at_least, standing_on};
use super::quantity::{Decimal, MassUnit};
use super::shares::{SHARE_DECIMALS, SHARE_UNITS};
use super::vocabulary::{Mineral, SchemeSubject};

/// An organisation's sourcing policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcingPolicy {
    /// Which certifications count as responsible, per class of subject.
    pub accepted: AcceptedCertifications,
    /// Targets the sourcing mix is measured against.
    pub targets: Vec<Target>,
    /// The unit the sourcing mix writes its exact quantities in when a request names none
    /// (`g`, `kg`, `t` or `troy_oz`; default `kg`).
    #[serde(default = "default_reporting_unit")]
    pub reporting_unit: MassUnit,
}

fn default_reporting_unit() -> MassUnit {
    MassUnit::Kg
}

/// Accepted certifications per class of subject. A subject is certified on a date when any one
/// of its certificates meets any one requirement of its class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedCertifications {
    /// Schemes accepted for artisanal and small-scale mines (schemes certifying `asm_mine`).
    pub asm: Vec<Requirement>,
    /// Schemes accepted for large-scale mines (schemes certifying `lsm_mine`).
    pub lsm: Vec<Requirement>,
    /// Schemes accepted for smelters and refiners (schemes certifying `smelter_refiner`).
    pub smelter_refiner: Vec<Requirement>,
}

/// One accepted scheme, optionally from a minimum level upwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The scheme id, as listed by `GET /v1/schemes` (for example `irma`).
    #[schema(example = "irma")]
    pub scheme: String,
    /// The lowest level of the scheme that counts (for example `irma_50`); absent: any level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "irma_50")]
    pub min_level: Option<String>,
}

crate::text_enum! {
    /// What a target measures: a share of the total volume in its scope.
    pub enum TargetMetric {
        /// Volume from ASM mines certified under an accepted ASM scheme.
        CertifiedAsm = "certified_asm",
        /// Volume from ASM mines, certified or not.
        Asm = "asm",
        /// Volume from LSM mines, certified or not.
        Lsm = "lsm",
        /// Volume from LSM mines certified under an accepted LSM scheme.
        CertifiedLsm = "certified_lsm",
        /// Recycled volume.
        Recycled = "recycled",
        /// Volume of unknown origin.
        Unknown = "unknown",
        /// All certified volume, whatever its class.
        Certified = "certified",
    }
}

crate::text_enum! {
    /// How a target's actual share is compared with its share.
    pub enum Comparison {
        /// Met when the actual share is greater than or equal to the target share.
        AtLeast = "at_least",
        /// Met when the actual share is less than or equal to the target share.
        AtMost = "at_most",
    }
}

/// A target for the sourcing mix, such as "gold: at least 5% of volume from certified ASM".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The mineral whose volume is measured; absent: all minerals together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mineral: Option<Mineral>,
    /// What is measured, as a share of the total volume in scope.
    pub metric: TargetMetric,
    /// Whether the actual share must be at least or at most the target share.
    pub comparison: Comparison,
    /// The target share, from 0 to 1, with at most 6 decimals (0.05 is 5%).
    #[schema(minimum = 0, maximum = 1, example = 0.05)]
    pub share: f64,
}

impl Target {
    /// The target share exactly, in millionths, or why it is not a valid share.
    pub fn share_units(&self) -> Result<i64, String> {
        let invalid = || "must be a number from 0 to 1 with at most 6 decimals".to_owned();
        let decimal = Decimal::from_f64(self.share).ok_or_else(invalid)?;
        if decimal.scale > SHARE_DECIMALS {
            return Err(format!("is too precise: at most {SHARE_DECIMALS} decimals"));
        }
        let units = decimal
            .digits
            .checked_mul(10i128.pow(SHARE_DECIMALS - decimal.scale))
            .ok_or_else(invalid)?;
        if !(0..=i128::from(SHARE_UNITS)).contains(&units) {
            return Err("must be from 0 to 1".to_owned());
        }
        i64::try_from(units).map_err(|_| invalid())
    }
}

/// The classes of subject a policy accepts certificates for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyClass {
    /// Artisanal and small-scale mines.
    Asm,
    /// Large-scale mines.
    Lsm,
    /// Smelters and refiners.
    SmelterRefiner,
}

impl PolicyClass {
    /// Every class, in the order the policy lists them.
    pub const ALL: [PolicyClass; 3] = [
        PolicyClass::Asm,
        PolicyClass::Lsm,
        PolicyClass::SmelterRefiner,
    ];

    /// The policy's field name for this class (`asm`, `lsm`, `smelter_refiner`).
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyClass::Asm => "asm",
            PolicyClass::Lsm => "lsm",
            PolicyClass::SmelterRefiner => "smelter_refiner",
        }
    }

    /// The scheme subject a scheme must certify to be listed for this class.
    pub fn subject(self) -> SchemeSubject {
        match self {
            PolicyClass::Asm => SchemeSubject::AsmMine,
            PolicyClass::Lsm => SchemeSubject::LsmMine,
            PolicyClass::SmelterRefiner => SchemeSubject::SmelterRefiner,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            PolicyClass::Asm => "ASM mines",
            PolicyClass::Lsm => "LSM mines",
            PolicyClass::SmelterRefiner => "smelters and refiners",
        }
    }
}

/// What the caller knows of a scheme, for validation: its id, its levels (lowest first) and the
/// subjects it certifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeInfo {
    /// The scheme id.
    pub id: String,
    /// Its levels, lowest first (empty when the scheme has none).
    pub levels: Vec<String>,
    /// What it certifies.
    pub subjects: Vec<SchemeSubject>,
}

/// One certificate of a subject, with everything needed to judge it on any date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateFacts {
    /// The certificate id (named as evidence).
    pub id: String,
    /// Its scheme id.
    pub scheme: String,
    /// The levels of its scheme, lowest first.
    pub levels_of_scheme: Vec<String>,
    /// The minerals in its scope; empty means any mineral.
    pub minerals: Vec<Mineral>,
    /// Every recorded state with the day it took effect (the catalog's history).
    pub history: Vec<Snapshot>,
}

/// Why a subject counts as certified on a date: the certificate and the requirement it met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// The certificate that made it so.
    pub certificate_id: String,
    /// Its scheme.
    pub scheme: String,
    /// The requirement it met (scheme and minimum level).
    pub requirement: Requirement,
    /// The certificate's standing on the date (status `active`, the level in force).
    pub standing: Standing,
}

impl Default for SourcingPolicy {
    /// The documented default policy (docs/DOMAIN-ARITHMETIC.md):
    ///
    /// - ASM mines: `fairmined`, `craft`, `fairtrade_gold` (any level);
    /// - LSM mines: `irma` at `irma_50` or above, `copper_mark`, `asi_performance`;
    /// - smelters/refiners: `rmi_rmap` at `conformant`, `lbma_rgg`, `rjc_coc`, `asi_coc`;
    /// - targets: gold at least 5% certified ASM; all minerals at most 10% unknown origin.
    fn default() -> SourcingPolicy {
        let any = |scheme: &str| Requirement {
            scheme: scheme.to_owned(),
            min_level: None,
        };
        let from = |scheme: &str, level: &str| Requirement {
            scheme: scheme.to_owned(),
            min_level: Some(level.to_owned()),
        };
        SourcingPolicy {
            accepted: AcceptedCertifications {
                asm: vec![any("fairmined"), any("craft"), any("fairtrade_gold")],
                lsm: vec![
                    from("irma", "irma_50"),
                    any("copper_mark"),
                    any("asi_performance"),
                ],
                smelter_refiner: vec![
                    from("rmi_rmap", "conformant"),
                    any("lbma_rgg"),
                    any("rjc_coc"),
                    any("asi_coc"),
                ],
            },
            targets: vec![
                Target {
                    mineral: Some(Mineral::Gold),
                    metric: TargetMetric::CertifiedAsm,
                    comparison: Comparison::AtLeast,
                    share: 0.05,
                },
                Target {
                    mineral: None,
                    metric: TargetMetric::Unknown,
                    comparison: Comparison::AtMost,
                    share: 0.10,
                },
            ],
            reporting_unit: MassUnit::Kg,
        }
    }
}

impl SourcingPolicy {
    /// The requirements listed for a class.
    pub fn requirements(&self, class: PolicyClass) -> &[Requirement] {
        match class {
            PolicyClass::Asm => &self.accepted.asm,
            PolicyClass::Lsm => &self.accepted.lsm,
            PolicyClass::SmelterRefiner => &self.accepted.smelter_refiner,
        }
    }

    /// Whether a subject with these certificates counts as certified for `class` on `date`, and
    /// for which certificate. With `mineral`, only certificates whose scope is empty (any
    /// mineral) or names that mineral count.
    ///
    /// A certificate is accepted when its standing on `date` ([`standing_on`]) is `active`, its
    /// scheme is listed for the class, and the level in force meets the listed minimum
    /// ([`level_at_least`]). When several are accepted, the evidence is the one meeting the
    /// earliest-listed requirement, then the smallest certificate id: the answer does not depend
    /// on the order of `certificates`.
    pub fn accepts(
        &self,
        class: PolicyClass,
        certificates: &[CertificateFacts],
        date: NaiveDate,
        mineral: Option<Mineral>,
    ) -> Option<Acceptance> {
        let mut best: Option<(usize, &str, Acceptance)> = None;
        for certificate in certificates {
            if let Some(mineral) = mineral
                && !certificate.minerals.is_empty()
                && !certificate.minerals.contains(&mineral)
            {
                continue;
            }
            let Some((rank, requirement)) = self
                .requirements(class)
                .iter()
                .enumerate()
                .find(|(_, r)| r.scheme == certificate.scheme)
            else {
                continue;
            };
            let standing = standing_on(&certificate.history, date);
            if !standing.is_active()
                || !level_at_least(
                    &certificate.levels_of_scheme,
                    standing.level.as_deref(),
                    requirement.min_level.as_deref(),
                )
            {
                continue;
            }
            let better = match &best {
                None => true,
                Some((best_rank, best_id, _)) => {
                    (rank, certificate.id.as_str()) < (*best_rank, *best_id)
                }
            };
            if better {
                best = Some((
                    rank,
                    certificate.id.as_str(),
                    Acceptance {
                        certificate_id: certificate.id.clone(),
                        scheme: certificate.scheme.clone(),
                        requirement: requirement.clone(),
                        standing,
                    },
                ));
            }
        }
        best.map(|(_, _, acceptance)| acceptance)
    }
}

mod validation;

#[cfg(test)]
pub(crate) mod test_certificates;
#[cfg(test)]
mod tests;
