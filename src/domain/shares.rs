//! Exact shares of integer quantities and how they are rounded for display.
//!
//! Two roundings exist, and docs/DOMAIN-ARITHMETIC.md says where each applies:
//!
//! - **Largest remainder** ([`largest_remainder`]) when parts must add up exactly to a whole: the
//!   origin-class shares of a sourcing mix, the milligrams of a purchase split over its declared
//!   shares, the attributed milligrams and shares of a trace. Each part gets the floor of its
//!   exact value; the units still missing go, one each, to the parts with the largest remainders;
//!   equal remainders go to the earlier part in the list's fixed order.
//! - **Half to even** ([`round_half_even`]) for a share shown on its own, which need not add up
//!   with anything (certified shares, a target's actual value).
//!
//! Comparisons (targets, thresholds) never use the rounded text: they use the exact fractions.

use std::cmp::Ordering;

use serde::Serialize;
use utoipa::ToSchema;

use super::mass::Mass;

/// Shares are shown with this many decimals.
pub const SHARE_DECIMALS: u32 = 6;

/// One share written as an integer number of millionths (`1_000_000` is `"1.000000"`).
pub const SHARE_UNITS: i64 = 1_000_000;

/// Parts per billion: how declared origin shares are stored (`1_000_000_000` is the whole).
pub const PPB: i64 = 1_000_000_000;

/// A share of a total: the exact fraction of stored quantities and its 6-decimal text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MgShare {
    /// The share with exactly 6 decimals, such as `"0.400000"` (docs/DOMAIN-ARITHMETIC.md says
    /// which rounding gave it).
    #[schema(example = "0.400000")]
    pub value: String,
    /// The numerator in milligrams: exact for metric quantities, the nearest milligram when
    /// troy ounces are part of it (`numerator_fg` is exact).
    pub numerator_mg: i64,
    /// The denominator in milligrams (0 when there is nothing); as `numerator_mg`.
    pub denominator_mg: i64,
    /// The exact numerator in femtograms (10^-15 g), as a decimal integer string: a sum of
    /// milligrams and micro troy ounces is whole femtograms, and outgrows a JSON-safe integer.
    #[schema(example = "400000000000000000")]
    pub numerator_fg: String,
    /// The exact denominator in femtograms, as a decimal integer string ("0" when nothing).
    #[schema(example = "1000000000000000000")]
    pub denominator_fg: String,
}

impl MgShare {
    /// `numerator / denominator` of metric milligrams, shown with the given number of millionths.
    pub fn new(units: i64, numerator_mg: i64, denominator_mg: i64) -> MgShare {
        MgShare::of_masses(
            units,
            Mass::from_mg(numerator_mg),
            Mass::from_mg(denominator_mg),
        )
    }

    /// `numerator / denominator` of exact masses, shown with the given number of millionths.
    pub fn of_masses(units: i64, numerator: Mass, denominator: Mass) -> MgShare {
        MgShare {
            value: format_units(units),
            numerator_mg: numerator.nearest_mg_i64(),
            denominator_mg: denominator.nearest_mg_i64(),
            numerator_fg: numerator.femtograms().to_string(),
            denominator_fg: denominator.femtograms().to_string(),
        }
    }

    /// `numerator / denominator` of metric milligrams, rounded half to even on its own.
    pub fn half_even(numerator_mg: i64, denominator_mg: i64) -> MgShare {
        MgShare::half_even_of(Mass::from_mg(numerator_mg), Mass::from_mg(denominator_mg))
    }

    /// `numerator / denominator` of exact masses, rounded half to even on its own.
    pub fn half_even_of(numerator: Mass, denominator: Mass) -> MgShare {
        let units = round_half_even(numerator.quanta(), denominator.quanta());
        MgShare::of_masses(units, numerator, denominator)
    }
}

/// Writes a number of millionths as a decimal with exactly 6 decimals: `400000` → `"0.400000"`.
pub fn format_units(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let units = units.unsigned_abs();
    let scale = SHARE_UNITS.unsigned_abs();
    format!("{sign}{}.{:06}", units / scale, units % scale)
}

/// `numerator / denominator` in millionths, rounded half to even; 0 when the denominator is not
/// positive. Requires `0 <= numerator` (shares are never negative).
pub fn round_half_even(numerator: i128, denominator: i128) -> i64 {
    if denominator <= 0 || numerator <= 0 {
        return 0;
    }
    let scaled = numerator * i128::from(SHARE_UNITS);
    let quotient = scaled / denominator;
    let remainder = scaled % denominator;
    let up = match (2 * remainder).cmp(&denominator) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => quotient % 2 == 1,
    };
    let units = if up { quotient + 1 } else { quotient };
    i64::try_from(units).unwrap_or(i64::MAX)
}

/// Splits `total` into parts proportional to `weights` by the largest-remainder method.
///
/// Guarantees, whenever `total >= 0`, every weight is `>= 0` and at least one is positive: the
/// parts are non-negative, add up exactly to `total`, a zero weight gets zero, each part differs
/// from its exact value `total × weight / Σ weights` by less than one unit, and the result
/// depends only on the inputs (ties go to the earlier weight). Otherwise every part is zero.
pub fn largest_remainder(total: i64, weights: &[i64]) -> Vec<i64> {
    let weights: Vec<i128> = weights.iter().map(|w| i128::from(*w)).collect();
    // Every part is at most `total`, which came from an i64.
    largest_remainder_wide(i128::from(total), &weights)
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect()
}

/// [`largest_remainder`] in 128 bits; `total × Σ weights` must fit an `i128`.
fn largest_remainder_wide(total: i128, weights: &[i128]) -> Vec<i128> {
    let sum: i128 = weights.iter().sum();
    if total < 0 || sum <= 0 || weights.iter().any(|w| *w < 0) {
        return vec![0; weights.len()];
    }
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let scaled = total * weight;
        parts.push(scaled / sum);
        remainders.push((scaled % sum, index));
    }
    let missing = total - parts.iter().sum::<i128>();
    // Largest remainder first; among equal remainders, the earlier part.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders
        .iter()
        .take(usize::try_from(missing).unwrap_or(0))
    {
        parts[*index] += 1;
    }
    parts
}

/// The shares of `quantities` in their sum, in millionths that add up exactly to `1_000_000`
/// (largest remainder, ties to the earlier quantity); all zero when the sum is zero.
pub fn share_units(quantities: &[i64]) -> Vec<i64> {
    largest_remainder(SHARE_UNITS, quantities)
}

/// [`share_units`] of exact masses, counted in quanta of 1.6 pg (10^6 × 6.25 × 10^35 at most:
/// no overflow).
pub fn mass_share_units(masses: &[Mass]) -> Vec<i64> {
    let weights: Vec<i128> = masses.iter().map(Mass::quanta).collect();
    largest_remainder_wide(i128::from(SHARE_UNITS), &weights)
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units_are_written_with_six_decimals() {
        assert_eq!(format_units(0), "0.000000");
        assert_eq!(format_units(400_000), "0.400000");
        assert_eq!(format_units(1_000_000), "1.000000");
        assert_eq!(format_units(1), "0.000001");
        assert_eq!(format_units(-5), "-0.000005");
    }

    #[test]
    fn half_even_rounds_ties_to_the_even_millionth() {
        // 1/3 = 0.333333|33…
        assert_eq!(round_half_even(1, 3), 333_333);
        // 2/3 = 0.666666|66…
        assert_eq!(round_half_even(2, 3), 666_667);
        // 0.0000005 exactly: tie, 0 is even.
        assert_eq!(round_half_even(1, 2_000_000), 0);
        // 0.0000015 exactly: tie, 2 is even.
        assert_eq!(round_half_even(3, 2_000_000), 2);
        // 0.0000025: tie, 2 is even.
        assert_eq!(round_half_even(5, 2_000_000), 2);
        assert_eq!(round_half_even(7, 0), 0);
        assert_eq!(round_half_even(7, 7), 1_000_000);
    }

    #[test]
    fn thirds_give_the_missing_millionth_to_the_first() {
        assert_eq!(share_units(&[1, 1, 1]), vec![333_334, 333_333, 333_333]);
        assert_eq!(
            share_units(&[0, 1, 1, 1]),
            vec![0, 333_334, 333_333, 333_333]
        );
        assert_eq!(share_units(&[2, 1]), vec![666_667, 333_333]);
        assert_eq!(share_units(&[0, 0]), vec![0, 0]);
        assert_eq!(largest_remainder(10, &[1, -1]), vec![0, 0]);
        assert_eq!(largest_remainder(-10, &[1, 1]), vec![0, 0]);
        assert_eq!(
            largest_remainder(i64::MAX, &[i64::MAX, i64::MAX])
                .iter()
                .map(|p| i128::from(*p))
                .sum::<i128>(),
            i128::from(i64::MAX)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn largest_remainder_adds_up_and_stays_within_one_unit(
            total in 0i64..=1_000_000_000_000_000,
            weights in proptest::collection::vec(0i64..=1_000_000_000_000, 1..12),
        ) {
            let parts = largest_remainder(total, &weights);
            let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            prop_assert_eq!(parts.len(), weights.len());
            if sum == 0 {
                prop_assert!(parts.iter().all(|p| *p == 0));
            } else {
                prop_assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(total));
                for (part, weight) in parts.iter().zip(&weights) {
                    prop_assert!(*part >= 0);
                    let exact_floor = i128::from(total) * i128::from(*weight) / sum;
                    prop_assert!(i128::from(*part) == exact_floor || i128::from(*part) == exact_floor + 1);
                    if *weight == 0 { prop_assert_eq!(*part, 0); }
                }
            }
        }
    }
}
