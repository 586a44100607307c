//! The mix's arithmetic: sums per origin class in exact integers, figures with their shares,
//! groups sorted by key, and each target judged on exact fractions.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::{
    Basis, BasisBreakdown, CLASSES, ClassFigures, GroupBy, GroupDimension, GroupKeyPart, MixError,
    MixFigures, MixGroup, MixLine, MixReport, TargetResult,
};
use crate::domain::country::CountryCode;
use crate::domain::ids::PartyId;
use crate::domain::mass::Mass;
use crate::domain::policy::{Comparison, Target, TargetMetric};
use crate::domain::quantity::MassUnit;
use crate::domain::shares::{MgShare, SHARE_UNITS, format_units, mass_share_units};
use crate::domain::vocabulary::{Mineral, OriginClass};

/// Sums per class, exact in both unit families (`domain::mass`).
#[derive(Clone, Debug, Default)]
struct Sums {
    /// Per class (asm, lsm, recycled, unknown): quantity, certified, traced, declared, unknown.
    classes: [[Mass; 5]; 4],
}

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
        let q = line.mass();
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

    fn total(&self) -> Mass {
        self.classes.iter().map(|c| c[0]).sum()
    }

    fn certified(&self) -> Mass {
        self.classes.iter().map(|c| c[1]).sum()
    }

    fn metric(&self, metric: TargetMetric) -> Mass {
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

    fn figures(&self, unit: MassUnit) -> Result<MixFigures, MixError> {
        let total = self.total();
        let certified = self.certified();
        let quantities: Vec<Mass> = self.classes.iter().map(|c| c[0]).collect();
        let units = mass_share_units(&quantities);
        let text = |m: Mass| m.in_unit(unit).text;
        // The milligram figures are 64-bit: a total beyond 9.2 million tonnes is refused
        // rather than shown wrong.
        let mg = |m: Mass| i64::try_from(m.nearest_mg()).map_err(|_| MixError::TooLarge);
        let mut classes = Vec::with_capacity(4);
        for (index, class) in CLASSES.iter().enumerate() {
            let sums = &self.classes[index];
            classes.push(ClassFigures {
                origin_class: *class,
                quantity_mg: mg(quantities[index])?,
                quantity: text(quantities[index]),
                share: MgShare::of_masses(units[index], quantities[index], total),
                certified_mg: mg(sums[1])?,
                certified: text(sums[1]),
                certified_share: MgShare::half_even_of(sums[1], total),
                basis: BasisBreakdown {
                    traced_mg: mg(sums[2])?,
                    declared_mg: mg(sums[3])?,
                    unknown_mg: mg(sums[4])?,
                    traced: text(sums[2]),
                    declared: text(sums[3]),
                    unknown: text(sums[4]),
                },
            });
        }
        Ok(MixFigures {
            total_mg: mg(total)?,
            total: text(total),
            certified_mg: mg(certified)?,
            certified: text(certified),
            certified_share: MgShare::half_even_of(certified, total),
            classes,
        })
    }
}

/// A group key's value of one dimension, sorting the way groups are listed: minerals in
/// vocabulary order, countries alphabetically with the unknown country last, suppliers by id
/// (a UUID's bytes sort as its text does), months chronologically. Copied, never allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Mineral(Mineral),
    Country(bool, Option<CountryCode>),
    Supplier(Option<PartyId>),
    Month(i32, u32),
}

/// A group's key: one part per `group_by` dimension (at most two, `GroupBy::new`), in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey([Option<KeyPart>; 2]);

impl GroupKey {
    fn of(dimensions: &[GroupDimension], line: &MixLine) -> GroupKey {
        let part = |index: usize| dimensions.get(index).map(|d| KeyPart::of(*d, line));
        GroupKey([part(0), part(1)])
    }
}

impl KeyPart {
    fn of(dimension: GroupDimension, line: &MixLine) -> KeyPart {
        match dimension {
            GroupDimension::Mineral => KeyPart::Mineral(line.mineral),
            GroupDimension::Country => KeyPart::Country(line.country.is_none(), line.country),
            GroupDimension::Supplier => KeyPart::Supplier(line.supplier),
            GroupDimension::Month => {
                KeyPart::Month(line.purchased_on.year(), line.purchased_on.month())
            }
        }
    }

    fn view(&self, dimension: GroupDimension) -> GroupKeyPart {
        let value = match self {
            KeyPart::Mineral(m) => Some(m.as_str().to_owned()),
            KeyPart::Country(_, c) => c.map(|c| c.as_str().to_owned()),
            KeyPart::Supplier(s) => s.map(|s| s.to_string()),
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
    unit: MassUnit,
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
    let dimensions = group_by.dimensions();
    let mut groups: BTreeMap<GroupKey, Sums> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        if line.quantity_mg < 0 || line.quantity_uozt < 0 {
            return Err(MixError::NegativeQuantity { line: index });
        }
        overall.add(line);
        by_mineral.entry(line.mineral).or_default().add(line);
        if !dimensions.is_empty() {
            groups
                .entry(GroupKey::of(dimensions, line))
                .or_default()
                .add(line);
        }
    }

    let groups = groups
        .into_iter()
        .map(|(key, sums)| {
            Ok(MixGroup {
                key: key
                    .0
                    .iter()
                    .flatten()
                    .zip(dimensions)
                    .map(|(part, dimension)| part.view(*dimension))
                    .collect(),
                figures: sums.figures(unit)?,
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
            // actual / total against units / 10^6, cross-multiplied in exact quanta (1.6 pg):
            // no rounding involved.
            let lhs = actual.quanta() * i128::from(SHARE_UNITS);
            let rhs = i128::from(units) * total.quanta();
            let met = total.is_zero()
                || match target.comparison {
                    Comparison::AtLeast => lhs >= rhs,
                    Comparison::AtMost => lhs <= rhs,
                };
            Ok(TargetResult {
                mineral: target.mineral,
                metric: target.metric,
                comparison: target.comparison,
                share: format_units(units),
                actual: MgShare::half_even_of(actual, total),
                met,
            })
        })
        .collect::<Result<Vec<TargetResult>, MixError>>()?;

    Ok(MixReport {
        overall: overall.figures(unit)?,
        groups,
        targets,
    })
}
