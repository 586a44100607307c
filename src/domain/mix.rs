//! The sourcing-mix arithmetic: of what was bought, how much came from ASM, LSM, recycled and
//! unknown sources, how much of each was certified, on what basis, per group, and whether the
//! policy's targets are met.
//!
//! Every figure is a sum of stored integer milligrams; every share is an exact fraction of them,
//! shown with 6 decimals (largest remainder for the class shares, which add up to exactly
//! `1.000000`; half to even for the rest). Targets compare the exact fractions, never the text.
//! docs/DOMAIN-ARITHMETIC.md states the rules for auditors.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::country::CountryCode;
use super::ids::PartyId;
use super::policy::{Comparison, TargetMetric};
use super::shares::MgShare;
use super::vocabulary::{Mineral, OriginClass};

mod calendar;
mod classify;
mod compute;
mod declared_shares;
mod traced;

pub use calendar::{
    PeriodPlan, change_days, month_end, month_start, plan, steady_through, within_months,
};
pub use classify::{MixOrigin, classify};
pub use compute::compute;
pub use declared_shares::{allocate, parse_share, parse_share_text};
pub use traced::{MineFacts, counts_as_traced, traced_origins};

/// The origin classes, in the order every figures block lists them.
const CLASSES: [OriginClass; 4] = [
    OriginClass::Asm,
    OriginClass::Lsm,
    OriginClass::Recycled,
    OriginClass::Unknown,
];

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
    /// The supplier party; absent when the mix was read summed over suppliers (an answer not
    /// grouped by supplier).
    pub supplier: Option<PartyId>,
    /// The country of origin, when known.
    pub country: Option<CountryCode>,
    /// The origin class of this quantity.
    pub origin_class: OriginClass,
    /// What the origin class rests on.
    pub basis: Basis,
    /// Whether the origin held a certificate the policy accepts on the purchase date.
    pub certified: bool,
    /// The exact milligrams of metric quantities (never negative).
    pub quantity_mg: i64,
    /// The exact micro troy ounces of troy-ounce quantities (never negative).
    pub quantity_uozt: i64,
}

impl MixLine {
    /// The exact quantity, both unit families together.
    pub fn mass(&self) -> super::mass::Mass {
        super::mass::Mass::from_mg(self.quantity_mg)
            + super::mass::Mass::from_uozt(self.quantity_uozt)
    }
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

/// The period of a mix: `from` and `to` as given; a missing bound is the start or end of the
/// year of the other bound (of `today`'s year when neither is given), so a lone `to` or `from`
/// is always a valid period. Refused when `from` is after `to`.
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let year = from.or(to).unwrap_or(today).year();
    let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default());
    let to = to.unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
    if from > to {
        return Err("must not be after `to`".to_owned());
    }
    Ok((from, to))
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
    /// Total quantity in milligrams (the nearest milligram when troy ounces are part of it).
    pub total_mg: i64,
    /// Total quantity in the answer's `unit`, exactly (docs/DATA-MODEL.md: exact in g, kg
    /// and t; in troy_oz exact for whole micro ounces, otherwise 12 decimals, half to even).
    #[schema(example = "65317.30128")]
    pub total: String,
    /// Certified quantity of all classes together, in milligrams (nearest, as `total_mg`).
    pub certified_mg: i64,
    /// Certified quantity of all classes together in the answer's `unit`, as `total`.
    pub certified: String,
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
    /// Its quantity in milligrams (the nearest milligram when troy ounces are part of it).
    pub quantity_mg: i64,
    /// Its quantity in the answer's `unit`, as `total`.
    pub quantity: String,
    /// Its share of the total (largest remainder across the four classes).
    pub share: MgShare,
    /// The part of it certified under the policy on the purchase date, in milligrams.
    pub certified_mg: i64,
    /// The certified part in the answer's `unit`, as `total`.
    pub certified: String,
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
    /// Attributed by tracing, in the answer's `unit`.
    pub traced: String,
    /// Declared by suppliers, in the answer's `unit`.
    pub declared: String,
    /// With nothing known, in the answer's `unit`.
    pub unknown: String,
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

#[cfg(test)]
mod tests;

/// Whatever text arrives, `group_by` parses or is refused, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::GroupBy;
    use crate::domain::test_strategies::tricky_text;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn group_by_values_never_panic(value in tricky_text()) {
            let _ = GroupBy::parse(&value);
        }
    }
}
