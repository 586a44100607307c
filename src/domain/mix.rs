//! The sourcing-mix arithmetic: of what was bought, how much came from ASM, LSM, recycled and
//! unknown sources, how much of each was certified, on what basis, per group, and whether the
//! policy's targets are met.
//!
//! Every figure is a sum of stored integer milligrams; every share is an exact fraction of them,
//! shown with 6 decimals (largest remainder for the class shares, which add up to exactly
//! `1.000000`; half to even for the rest). Targets compare the exact fractions, never the text.
//! docs/DOMAIN-ARITHMETIC.md states the rules for auditors.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::country::CountryCode;
use super::policy::{Comparison, Target, TargetMetric};
use super::quantity::Decimal;
use super::shares::{MgShare, PPB, SHARE_UNITS, format_units, largest_remainder, share_units};
use super::vocabulary::{Mineral, OriginClass};

crate::text_enum! {
    /// What a quantity's origin class rests on.
    pub enum Basis {
        /// Attributed by tracing the purchase's lot through custody events to mines of origin.
        Traced = "traced",
        /// Declared by the supplier on the purchase line.
        Declared = "declared",
        /// Nothing is known.
        Unknown = "unknown",
    }
}

crate::text_enum! {
    /// A dimension the sourcing mix can be grouped by.
    pub enum GroupDimension {
        /// The purchased mineral.
        Mineral = "mineral",
        /// The country of origin (absent when unknown).
        Country = "country",
        /// The supplier party.
        Supplier = "supplier",
        /// The calendar month of the purchase date, `YYYY-MM`.
        Month = "month",
    }
}

/// One aggregated line of the mix: the caller's SQL `GROUP BY` over purchase origins, with
/// `certified` already decided under the policy on the purchase date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixLine {
    /// The purchase date.
    pub purchased_on: NaiveDate,
    /// The purchased mineral.
    pub mineral: Mineral,
    /// The supplier party's id.
    pub supplier_id: String,
    /// The country of origin, when known.
    pub country: Option<CountryCode>,
    /// The origin class of this quantity.
    pub origin_class: OriginClass,
    /// What the origin class rests on.
    pub basis: Basis,
    /// Whether the origin held a certificate the policy accepts on the purchase date.
    pub certified: bool,
    /// The exact quantity in milligrams (never negative).
    pub quantity_mg: i64,
}

/// One or two distinct dimensions to group the mix by (none: no groups).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupBy(Vec<GroupDimension>);

impl GroupBy {
    /// Accepts zero, one or two distinct dimensions, in the order given.
    pub fn new(dimensions: &[GroupDimension]) -> Result<GroupBy, String> {
        if dimensions.len() > 2 {
            return Err("takes at most two of mineral, country, supplier, month".to_owned());
        }
        if let [a, b] = dimensions
            && a == b
        {
            return Err(format!("names {a} twice"));
        }
        Ok(GroupBy(dimensions.to_vec()))
    }

    /// Reads a comma-separated list such as `mineral,month` (empty: no groups).
    pub fn parse(text: &str) -> Result<GroupBy, String> {
        let mut dimensions = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            dimensions.push(
                GroupDimension::parse(name).ok_or_else(|| {
                    format!("{name} must be one of {}", GroupDimension::expected())
                })?,
            );
        }
        GroupBy::new(&dimensions)
    }

    /// The dimensions, in the order given.
    pub fn dimensions(&self) -> &[GroupDimension] {
        &self.0
    }
}

/// The sourcing mix of a set of lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MixReport {
    /// The figures over all lines.
    pub overall: MixFigures,
    /// The same figures per group, sorted by key (empty without `group_by`).
    pub groups: Vec<MixGroup>,
    /// Each target with its actual share and whether it is met, in the policy's order.
    pub targets: Vec<TargetResult>,
}

/// The figures of a mix (overall or of one group).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MixFigures {
    /// Total quantity in milligrams.
    pub total_mg: i64,
    /// Certified quantity of all classes together, in milligrams.
    pub certified_mg: i64,
    /// Certified quantity as a share of the total (rounded half to even).
    pub certified_share: MgShare,
    /// One entry per origin class, always in the order asm, lsm, recycled, unknown; their
    /// shares add up to exactly `1.000000` when the total is positive (largest remainder).
    pub classes: Vec<ClassFigures>,
}

/// The figures of one origin class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClassFigures {
    /// The origin class.
    pub origin_class: OriginClass,
    /// Its quantity in milligrams.
    pub quantity_mg: i64,
    /// Its share of the total (largest remainder across the four classes).
    pub share: MgShare,
    /// The part of it certified under the policy on the purchase date, in milligrams.
    pub certified_mg: i64,
    /// The certified part as a share of the total (rounded half to even on its own).
    pub certified_share: MgShare,
    /// What the quantity rests on; the three parts add up to `quantity_mg`.
    pub basis: BasisBreakdown,
}

/// A quantity split by basis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct BasisBreakdown {
    /// Milligrams attributed by tracing.
    pub traced_mg: i64,
    /// Milligrams declared by suppliers.
    pub declared_mg: i64,
    /// Milligrams with nothing known.
    pub unknown_mg: i64,
}

/// The figures of one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MixGroup {
    /// The group's value of each `group_by` dimension, in the order asked.
    pub key: Vec<GroupKeyPart>,
    /// The group's figures.
    pub figures: MixFigures,
}

/// A group's value of one dimension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct GroupKeyPart {
    /// The dimension.
    pub dimension: GroupDimension,
    /// Its value: a mineral, an ISO country code, a supplier id or `YYYY-MM`; null for an
    /// unknown country.
    pub value: Option<String>,
}

/// A target's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TargetResult {
    /// The mineral in scope; absent: all minerals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mineral: Option<Mineral>,
    /// What is measured.
    pub metric: TargetMetric,
    /// How the actual share is compared with the target share.
    pub comparison: Comparison,
    /// The target share with 6 decimals.
    pub share: String,
    /// The actual share of the volume in scope (exact fraction; text rounded half to even).
    pub actual: MgShare,
    /// Whether the exact actual share meets the target; with no volume in scope a target is
    /// met (nothing bought breaks it).
    pub met: bool,
}

/// Why a mix cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// A line has a negative quantity.
    #[error("line {line} has a negative quantity")]
    NegativeQuantity {
        /// Its index in the input.
        line: usize,
    },
    /// A total exceeds 2^63 - 1 milligrams (about 9.2 million tonnes).
    #[error("the total exceeds 9.2 million tonnes")]
    TooLarge,
    /// A target's share is not an exact decimal from 0 to 1 with at most 6 decimals.
    #[error("target {index}: share {detail}")]
    InvalidTarget {
        /// Its index in the input.
        index: usize,
        /// What is wrong.
        detail: String,
    },
}

/// Sums per class, in i128 so that no number of i64 lines can overflow them.
#[derive(Clone, Debug, Default)]
struct Sums {
    /// Per class (asm, lsm, recycled, unknown): quantity, certified, traced, declared, unknown.
    classes: [[i128; 5]; 4],
}

const CLASSES: [OriginClass; 4] = [
    OriginClass::Asm,
    OriginClass::Lsm,
    OriginClass::Recycled,
    OriginClass::Unknown,
];

fn class_index(class: OriginClass) -> usize {
    match class {
        OriginClass::Asm => 0,
        OriginClass::Lsm => 1,
        OriginClass::Recycled => 2,
        OriginClass::Unknown => 3,
    }
}

impl Sums {
    fn add(&mut self, line: &MixLine) {
        let q = i128::from(line.quantity_mg);
        let class = &mut self.classes[class_index(line.origin_class)];
        class[0] += q;
        if line.certified {
            class[1] += q;
        }
        class[match line.basis {
            Basis::Traced => 2,
            Basis::Declared => 3,
            Basis::Unknown => 4,
        }] += q;
    }

    fn total(&self) -> i128 {
        self.classes.iter().map(|c| c[0]).sum()
    }

    fn certified(&self) -> i128 {
        self.classes.iter().map(|c| c[1]).sum()
    }

    fn metric(&self, metric: TargetMetric) -> i128 {
        let [asm, lsm, recycled, unknown] = &self.classes;
        match metric {
            TargetMetric::CertifiedAsm => asm[1],
            TargetMetric::Asm => asm[0],
            TargetMetric::Lsm => lsm[0],
            TargetMetric::CertifiedLsm => lsm[1],
            TargetMetric::Recycled => recycled[0],
            TargetMetric::Unknown => unknown[0],
            TargetMetric::Certified => self.certified(),
        }
    }

    fn figures(&self) -> Result<MixFigures, MixError> {
        let mg = |v: i128| i64::try_from(v).map_err(|_| MixError::TooLarge);
        let total = mg(self.total())?;
        let certified = mg(self.certified())?;
        let quantities = self
            .classes
            .iter()
            .map(|c| mg(c[0]))
            .collect::<Result<Vec<i64>, MixError>>()?;
        let units = share_units(&quantities);
        let mut classes = Vec::with_capacity(4);
        for (index, class) in CLASSES.iter().enumerate() {
            let sums = &self.classes[index];
            let certified_mg = mg(sums[1])?;
            classes.push(ClassFigures {
                origin_class: *class,
                quantity_mg: quantities[index],
                share: MgShare::new(units[index], quantities[index], total),
                certified_mg,
                certified_share: MgShare::half_even(certified_mg, total),
                basis: BasisBreakdown {
                    traced_mg: mg(sums[2])?,
                    declared_mg: mg(sums[3])?,
                    unknown_mg: mg(sums[4])?,
                },
            });
        }
        Ok(MixFigures {
            total_mg: total,
            certified_mg: certified,
            certified_share: MgShare::half_even(certified, total),
            classes,
        })
    }
}

/// A group key that sorts the way groups are listed: minerals in vocabulary order, countries
/// alphabetically with the unknown country last, suppliers by id, months chronologically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Mineral(Mineral),
    Country(bool, Option<CountryCode>),
    Supplier(String),
    Month(i32, u32),
}

impl KeyPart {
    fn of(dimension: GroupDimension, line: &MixLine) -> KeyPart {
        match dimension {
            GroupDimension::Mineral => KeyPart::Mineral(line.mineral),
            GroupDimension::Country => KeyPart::Country(line.country.is_none(), line.country),
            GroupDimension::Supplier => KeyPart::Supplier(line.supplier_id.clone()),
            GroupDimension::Month => {
                KeyPart::Month(line.purchased_on.year(), line.purchased_on.month())
            }
        }
    }

    fn view(&self, dimension: GroupDimension) -> GroupKeyPart {
        let value = match self {
            KeyPart::Mineral(m) => Some(m.as_str().to_owned()),
            KeyPart::Country(_, c) => c.map(|c| c.as_str().to_owned()),
            KeyPart::Supplier(s) => Some(s.clone()),
            KeyPart::Month(y, m) => Some(format!("{y:04}-{m:02}")),
        };
        GroupKeyPart { dimension, value }
    }
}

/// Computes the sourcing mix of `lines`, grouped by `group_by`, with each target's outcome.
///
/// Guarantees: the overall total is the sum of the lines' quantities; the class quantities add
/// up to the total, and the groups' totals add up to it too; each class's certified part is at
/// most its quantity and its basis parts add up to it; the class shares of every figures block
/// add up to exactly `1.000000` when its total is positive and are all `0.000000` otherwise.
/// A target with a mineral applies to that mineral's lines only; its outcome compares exact
/// fractions. The answer depends only on the multiset of lines, not on their order.
pub fn compute(
    lines: &[MixLine],
    group_by: &GroupBy,
    targets: &[Target],
) -> Result<MixReport, MixError> {
    let target_units = targets
        .iter()
        .enumerate()
        .map(|(index, t)| {
            t.share_units()
                .map_err(|detail| MixError::InvalidTarget { index, detail })
        })
        .collect::<Result<Vec<i64>, MixError>>()?;

    let mut overall = Sums::default();
    let mut by_mineral: BTreeMap<Mineral, Sums> = BTreeMap::new();
    let mut groups: BTreeMap<Vec<KeyPart>, Sums> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        if line.quantity_mg < 0 {
            return Err(MixError::NegativeQuantity { line: index });
        }
        overall.add(line);
        by_mineral.entry(line.mineral).or_default().add(line);
        if !group_by.dimensions().is_empty() {
            let key = group_by
                .dimensions()
                .iter()
                .map(|d| KeyPart::of(*d, line))
                .collect();
            groups.entry(key).or_default().add(line);
        }
    }

    let groups = groups
        .into_iter()
        .map(|(key, sums)| {
            Ok(MixGroup {
                key: key
                    .iter()
                    .zip(group_by.dimensions())
                    .map(|(part, dimension)| part.view(*dimension))
                    .collect(),
                figures: sums.figures()?,
            })
        })
        .collect::<Result<Vec<MixGroup>, MixError>>()?;

    let empty = Sums::default();
    let targets = targets
        .iter()
        .zip(target_units)
        .map(|(target, units)| {
            let scope = match target.mineral {
                Some(mineral) => by_mineral.get(&mineral).unwrap_or(&empty),
                None => &overall,
            };
            let total = scope.total();
            let actual = scope.metric(target.metric);
            // actual / total against units / 10^6, cross-multiplied: no rounding involved.
            let lhs = actual * i128::from(SHARE_UNITS);
            let rhs = i128::from(units) * total;
            let met = total == 0
                || match target.comparison {
                    Comparison::AtLeast => lhs >= rhs,
                    Comparison::AtMost => lhs <= rhs,
                };
            let mg = |v: i128| i64::try_from(v).map_err(|_| MixError::TooLarge);
            Ok(TargetResult {
                mineral: target.mineral,
                metric: target.metric,
                comparison: target.comparison,
                share: format_units(units),
                actual: MgShare::half_even(mg(actual)?, mg(total)?),
                met,
            })
        })
        .collect::<Result<Vec<TargetResult>, MixError>>()?;

    Ok(MixReport {
        overall: overall.figures()?,
        groups,
        targets,
    })
}

/// Splits a purchase's `total_mg` over its declared shares (parts per billion) so that the parts
/// add up exactly to the total: each part is the floor of `total × share / 10^9`, and the
/// milligrams still missing go one each to the largest remainders (ties: the earlier share).
///
/// Refused: a negative total, no shares, a share outside 1..=10^9 ppb, or shares not adding up
/// to exactly 10^9. Every part is non-negative and within 1 mg of its exact value.
pub fn allocate(total_mg: i64, shares_ppb: &[i64]) -> Result<Vec<i64>, String> {
    if total_mg < 0 {
        return Err("the quantity must not be negative".to_owned());
    }
    if shares_ppb.is_empty() {
        return Err("at least one share is needed".to_owned());
    }
    if let Some(index) = shares_ppb.iter().position(|s| !(1..=PPB).contains(s)) {
        return Err(format!(
            "share {index} must be greater than 0 and at most 1"
        ));
    }
    let sum: i128 = shares_ppb.iter().map(|s| i128::from(*s)).sum();
    if sum != i128::from(PPB) {
        return Err(format!("the shares add up to {}, not 1", ppb_text(sum)));
    }
    Ok(largest_remainder(total_mg, shares_ppb))
}

/// Reads a declared share as an exact number of parts per billion: the number's shortest decimal
/// representation (what the sender wrote), with at most 9 decimals, greater than 0 and at most 1.
pub fn parse_share(share: f64) -> Result<i64, String> {
    let decimal = Decimal::from_f64(share).ok_or_else(|| "must be a finite number".to_owned())?;
    share_ppb(decimal)
}

/// Like [`parse_share`], for a share written as text (CSV).
pub fn parse_share_text(share: &str) -> Result<i64, String> {
    let decimal = Decimal::parse(share).ok_or_else(|| "must be a decimal number".to_owned())?;
    share_ppb(decimal)
}

fn share_ppb(decimal: Decimal) -> Result<i64, String> {
    if decimal.scale > 9 {
        return Err("is too precise: at most 9 decimals".to_owned());
    }
    let ppb = decimal
        .digits
        .checked_mul(10i128.pow(9 - decimal.scale))
        .filter(|ppb| (1..=i128::from(PPB)).contains(ppb))
        .ok_or_else(|| "must be greater than 0 and at most 1".to_owned())?;
    i64::try_from(ppb).map_err(|_| "must be greater than 0 and at most 1".to_owned())
}

/// Parts per billion as a decimal without trailing zeros: `1_100_000_000` → `1.1`.
fn ppb_text(ppb: i128) -> String {
    let whole = ppb / i128::from(PPB);
    let fraction = format!("{:09}", (ppb % i128::from(PPB)).abs());
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests;
