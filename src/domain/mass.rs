//! Exact masses across unit families.
//!
//! A metric quantity is a whole number of milligrams; a troy-ounce quantity is a whole number of
//! micro troy ounces (six decimals of an ounce: the bullion market weighs to three). Neither
//! family is a whole multiple of the other (a troy ounce is exactly 31.1034768 g), so a [`Mass`]
//! keeps one integer per family and adds each family on its own: a sum of any number of lines is
//! exact. When families must meet (a total, a share, a comparison) both are expressed in
//! femtograms (10^-15 g), of which a milligram (10^12 fg) and a micro troy ounce
//! (31 103 476 800 fg) are both whole multiples (the largest such unit is 1.6 pg,
//! [`FG_PER_QUANTUM`]). One million tonnes is 10^27 fg; an `i128` holds 1.7 × 10^38, so the sum
//! of a hundred billion maximal lines still fits. docs/DATA-MODEL.md.

use std::iter::Sum;
use std::ops::{Add, AddAssign};

crate::text_enum! {
    /// Unit of a quantity.
    pub enum MassUnit {
        /// Gram.
        G = "g",
        /// Kilogram.
        Kg = "kg",
        /// Metric tonne.
        T = "t",
        /// Troy ounce (31.1034768 g).
        TroyOz = "troy_oz",
    }
}

/// Femtograms in a milligram.
pub const FG_PER_MG: i128 = 1_000_000_000_000;

/// Femtograms in a micro troy ounce (31.1034768 µg).
pub const FG_PER_UOZT: i128 = 31_103_476_800;

/// Femtograms in the largest mass both a milligram and a micro troy ounce are whole multiples
/// of (1.6 pg): shares and comparisons count in these, so that a share of a hundred billion
/// maximal lines still fits an `i128` once multiplied by a million.
pub const FG_PER_QUANTUM: i128 = 1_600;

/// Micro troy ounces in a troy ounce.
pub const UOZT_PER_OZT: i128 = 1_000_000;

/// An exact mass: whole milligrams of metric quantities plus whole micro troy ounces of
/// troy-ounce quantities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mass {
    mg: i128,
    uozt: i128,
}

impl Mass {
    /// A metric mass of `mg` milligrams.
    pub fn from_mg(mg: i64) -> Mass {
        Mass {
            mg: i128::from(mg),
            uozt: 0,
        }
    }

    /// A troy mass of `uozt` micro troy ounces.
    pub fn from_uozt(uozt: i64) -> Mass {
        Mass {
            mg: 0,
            uozt: i128::from(uozt),
        }
    }

    /// A stored quantity: a troy-ounce quantity keeps its exact micro ounces in `uozt` (and the
    /// nearest milligram in `mg`, for display); a metric one has `uozt` = 0.
    pub fn stored(mg: i64, uozt: i64) -> Mass {
        let (mg, uozt) = families(mg, uozt);
        Mass::from_mg(mg) + Mass::from_uozt(uozt)
    }

    /// The metric family's milligrams.
    pub fn metric_mg(&self) -> i128 {
        self.mg
    }

    /// The troy family's micro ounces.
    pub fn troy_uozt(&self) -> i128 {
        self.uozt
    }

    /// The whole mass in femtograms, exactly.
    pub fn femtograms(&self) -> i128 {
        self.mg * FG_PER_MG + self.uozt * FG_PER_UOZT
    }

    /// The whole mass in quanta of 1.6 pg ([`FG_PER_QUANTUM`]), exactly.
    pub fn quanta(&self) -> i128 {
        self.mg * (FG_PER_MG / FG_PER_QUANTUM) + self.uozt * (FG_PER_UOZT / FG_PER_QUANTUM)
    }

    /// The nearest whole milligram (half away from zero).
    pub fn nearest_mg(&self) -> i128 {
        let fg = self.femtograms();
        let half = FG_PER_MG / 2;
        if fg >= 0 {
            (fg + half) / FG_PER_MG
        } else {
            (fg - half) / FG_PER_MG
        }
    }

    /// [`Mass::nearest_mg`] as an `i64`, saturated (a sum beyond 9.2 million tonnes).
    pub fn nearest_mg_i64(&self) -> i64 {
        let mg = self.nearest_mg();
        i64::try_from(mg).unwrap_or(if mg < 0 { i64::MIN } else { i64::MAX })
    }

    /// Whether this is no mass at all.
    pub fn is_zero(&self) -> bool {
        self.mg == 0 && self.uozt == 0
    }

    /// The mass written in `unit` as a decimal: exact when it has at most
    /// [`max_decimals`] decimals in that unit (always for g, kg and t; for troy ounces whenever
    /// the mass is whole micro ounces), otherwise rounded half to even at that many decimals.
    pub fn in_unit(&self, unit: MassUnit) -> UnitValue {
        femtograms_in_unit(self.femtograms(), unit)
    }
}

impl std::fmt::Display for Mass {
    /// In the unit it was given in, exactly: `1000.001 troy_oz` for a troy mass, `31103477 mg`
    /// for a metric one, grams for a mix of both (exact too: every femtogram is written).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mg == 0 && self.uozt != 0 {
            write!(f, "{} troy_oz", self.in_unit(MassUnit::TroyOz).text)
        } else if self.uozt == 0 {
            write!(f, "{} mg", self.mg)
        } else {
            write!(f, "{} g", self.in_unit(MassUnit::G).text)
        }
    }
}

/// A stored row's `(quantity_mg, quantity_uozt)` as what each unit family adds: a troy-ounce
/// row counts its micro ounces only (its milligrams are the nearest, for display), a metric row
/// its milligrams. Every sum of stored rows goes through here.
pub fn families(mg: i64, uozt: i64) -> (i64, i64) {
    if uozt != 0 { (0, uozt) } else { (mg, 0) }
}

/// A mass written in a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitValue {
    /// The decimal text, with no trailing zeros (`"2100"`, `"65317.30128"`).
    pub text: String,
    /// Whether the text is the mass exactly (otherwise rounded half to even).
    pub exact: bool,
}

/// `fg` femtograms written in `unit`, as [`Mass::in_unit`] writes a mass.
pub fn femtograms_in_unit(fg: i128, unit: MassUnit) -> UnitValue {
    let (text, exact) = decimal(fg, fg_per_unit(unit), max_decimals(unit));
    UnitValue { text, exact }
}

/// Femtograms in one `unit`.
pub fn fg_per_unit(unit: MassUnit) -> i128 {
    match unit {
        MassUnit::G => 1_000 * FG_PER_MG,
        MassUnit::Kg => 1_000_000 * FG_PER_MG,
        MassUnit::T => 1_000_000_000 * FG_PER_MG,
        MassUnit::TroyOz => UOZT_PER_OZT * FG_PER_UOZT,
    }
}

/// The decimals a mass is written with in `unit`: every femtogram in metric units; twelve
/// decimals of a troy ounce (31 ng), where a metric mass rarely comes out whole.
pub fn max_decimals(unit: MassUnit) -> u32 {
    match unit {
        MassUnit::G => 15,
        MassUnit::Kg => 18,
        MassUnit::T => 21,
        MassUnit::TroyOz => 12,
    }
}

impl Add for Mass {
    type Output = Mass;
    fn add(self, other: Mass) -> Mass {
        Mass {
            mg: self.mg + other.mg,
            uozt: self.uozt + other.uozt,
        }
    }
}

impl AddAssign for Mass {
    fn add_assign(&mut self, other: Mass) {
        self.mg += other.mg;
        self.uozt += other.uozt;
    }
}

impl Sum for Mass {
    fn sum<I: Iterator<Item = Mass>>(iter: I) -> Mass {
        iter.fold(Mass::default(), Add::add)
    }
}

/// `numerator / denominator` as a decimal with at most `decimals` decimals and no trailing
/// zeros, and whether it is exact (otherwise rounded half to even). `denominator` is positive.
pub fn decimal(numerator: i128, denominator: i128, decimals: u32) -> (String, bool) {
    debug_assert!(denominator > 0);
    match power_of_ten(denominator) {
        Some(places) if places <= decimals => {
            decimal_of_power_of_ten(numerator, denominator, places)
        }
        _ => decimal_by_digits(numerator, denominator, decimals),
    }
}

/// `k` when `n` is `10^k`.
fn power_of_ten(n: i128) -> Option<u32> {
    let places = n.checked_ilog10()?;
    (10_i128.checked_pow(places) == Some(n)).then_some(places)
}

/// [`decimal`] of a denominator of `10^places` (every metric unit in femtograms): the
/// remainder's digits are the decimals, so the text is exact and costs one division, not two
/// per digit. A mix by supplier and month writes some 30,000 of these.
fn decimal_of_power_of_ten(numerator: i128, denominator: i128, places: u32) -> (String, bool) {
    use std::fmt::Write as _;
    let n = numerator.unsigned_abs();
    let d = denominator.unsigned_abs();
    let (whole, fraction) = (n / d, n % d);
    let mut text = String::with_capacity(48);
    if numerator < 0 && n != 0 {
        text.push('-');
    }
    // Writing to a `String` cannot fail.
    let _ = write!(text, "{whole}");
    if fraction != 0 {
        let _ = write!(text, ".{fraction:0width$}", width = places as usize);
        let trimmed = text.trim_end_matches('0').len();
        text.truncate(trimmed);
    }
    (text, true)
}

/// [`decimal`] digit by digit, rounding the last one half to even.
fn decimal_by_digits(numerator: i128, denominator: i128, decimals: u32) -> (String, bool) {
    let negative = numerator < 0;
    let n = numerator.unsigned_abs();
    let d = denominator.unsigned_abs();
    let whole = n / d;
    let mut remainder = n % d;
    let mut digits = Vec::with_capacity(decimals as usize);
    for _ in 0..decimals {
        if remainder == 0 {
            break;
        }
        // remainder < d ≤ 1.7e38 / 10 for every denominator used here (at most 10^24).
        remainder *= 10;
        digits.push((remainder / d) as u8);
        remainder %= d;
    }
    let exact = remainder == 0;
    let mut whole = whole;
    if !exact {
        // Half to even on the last written digit (or on the whole when there are none).
        let twice = remainder * 2;
        let last_odd = digits.last().map_or(whole % 2 == 1, |d| d % 2 == 1);
        let up = twice > d || (twice == d && last_odd);
        if up {
            let mut carry = true;
            for digit in digits.iter_mut().rev() {
                if *digit == 9 {
                    *digit = 0;
                } else {
                    *digit += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                whole += 1;
            }
        }
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let mut text = String::new();
    if negative && (whole != 0 || !digits.is_empty()) {
        text.push('-');
    }
    text.push_str(&whole.to_string());
    if !digits.is_empty() {
        text.push('.');
        text.extend(digits.iter().map(|d| char::from(b'0' + d)));
    }
    (text, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_troy_ounce_is_exactly_its_grams() {
        let ounce = Mass::from_uozt(1_000_000);
        assert_eq!(ounce.femtograms(), 31_103_476_800_000_000);
        assert_eq!(ounce.in_unit(MassUnit::G).text, "31.1034768");
        assert!(ounce.in_unit(MassUnit::G).exact);
        assert_eq!(ounce.in_unit(MassUnit::TroyOz).text, "1");
        assert_eq!(ounce.nearest_mg(), 31_103);
    }

    #[test]
    fn two_thousand_one_hundred_ounces_sum_without_losing_a_gram() {
        let total: Mass = (0..2_100).map(|_| Mass::from_uozt(1_000_000)).sum();
        assert_eq!(total.in_unit(MassUnit::TroyOz).text, "2100");
        assert_eq!(total.in_unit(MassUnit::G).text, "65317.30128");
        // The rounded milligrams of each line would have lost 0.4768 mg each: 1.00128 g.
        assert_eq!(total.nearest_mg(), 65_317_301);
        assert_eq!(2_100 * 31_103, 65_316_300);
    }

    #[test]
    fn families_meet_exactly_in_femtograms() {
        let mixed = Mass::from_mg(1) + Mass::from_uozt(1);
        assert_eq!(mixed.femtograms(), FG_PER_MG + FG_PER_UOZT);
        assert_eq!(mixed.in_unit(MassUnit::G).text, "0.0010311034768");
        let ounces = mixed.in_unit(MassUnit::TroyOz);
        assert!(
            !ounces.exact,
            "a milligram is no whole number of micro ounces"
        );
        // 1.0311034768 mg / 31103.4768 mg = 0.0000331510...
        assert_eq!(ounces.text, "0.000033150747");
    }

    #[test]
    fn both_families_are_whole_quanta() {
        assert_eq!(FG_PER_MG % FG_PER_QUANTUM, 0);
        assert_eq!(FG_PER_UOZT % FG_PER_QUANTUM, 0);
        let m = Mass::from_mg(7) + Mass::from_uozt(11);
        assert_eq!(m.quanta() * FG_PER_QUANTUM, m.femtograms());
    }

    #[test]
    fn metric_units_are_always_exact() {
        let m = Mass::from_mg(1_234_567) + Mass::from_uozt(3);
        for unit in [MassUnit::G, MassUnit::Kg, MassUnit::T] {
            assert!(m.in_unit(unit).exact, "{unit}");
        }
        assert_eq!(
            Mass::from_mg(1_234_567).in_unit(MassUnit::Kg).text,
            "1.234567"
        );
        assert_eq!(Mass::from_mg(5_000_000_000).in_unit(MassUnit::T).text, "5");
        assert_eq!(Mass::default().in_unit(MassUnit::TroyOz).text, "0");
    }

    #[test]
    fn decimals_round_half_to_even_when_inexact() {
        assert_eq!(decimal(1, 3, 2), ("0.33".to_owned(), false));
        assert_eq!(decimal(2, 3, 2), ("0.67".to_owned(), false));
        assert_eq!(decimal(125, 1000, 2), ("0.12".to_owned(), false));
        assert_eq!(decimal(135, 1000, 2), ("0.14".to_owned(), false));
        assert_eq!(decimal(999, 1000, 2), ("1".to_owned(), false));
        assert_eq!(decimal(5, 10, 0), ("0".to_owned(), false));
        assert_eq!(decimal(15, 10, 0), ("2".to_owned(), false));
        assert_eq!(decimal(-1, 4, 2), ("-0.25".to_owned(), true));
        assert_eq!(decimal(10, 4, 5), ("2.5".to_owned(), true));
    }

    proptest::proptest! {
        /// A power-of-ten denominator's shortcut writes what the digit-by-digit division
        /// writes.
        #[test]
        fn a_power_of_ten_is_written_as_by_digits(
            numerator in proptest::prelude::any::<i64>(),
            scale in 0u32..6,
            places in 0u32..22,
            extra in 0u32..4,
        ) {
            let numerator = i128::from(numerator) * 10_i128.pow(scale) * 1_000;
            let denominator = 10_i128.pow(places);
            proptest::prop_assert_eq!(
                decimal(numerator, denominator, places + extra),
                decimal_by_digits(numerator, denominator, places + extra)
            );
        }
    }

    #[test]
    fn a_mass_is_written_in_the_unit_it_was_given_in() {
        assert_eq!(
            Mass::from_uozt(1_000_001_000).to_string(),
            "1000.001 troy_oz"
        );
        assert_eq!(Mass::from_mg(31_103_477).to_string(), "31103477 mg");
        assert_eq!(
            (Mass::from_mg(1) + Mass::from_uozt(1_000_000)).to_string(),
            "31.1044768 g"
        );
        assert_eq!(Mass::default().to_string(), "0 mg");
    }

    #[test]
    fn the_largest_sums_fit() {
        // A million lines of a million tonnes each.
        let line = Mass::from_mg(1_000_000_000_000_000);
        let total: Mass = std::iter::repeat_n(line, 1_000_000).sum();
        assert_eq!(total.in_unit(MassUnit::T).text, "1000000000000");
    }
}
