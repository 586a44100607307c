//! Quantities of material: a value and a unit (g, kg, t, troy_oz), stored exactly as an integer:
//! whole milligrams for metric units, whole micro troy ounces for troy ounces ([`Mass`] adds
//! them exactly), so that sums never drift.
//!
//! Values are read as decimals, never through binary floating point arithmetic: a JSON number is
//! taken by its shortest decimal representation (what the sender wrote, for any value with at
//! most 15 significant digits) and converted with integer arithmetic. Metric units must come to a
//! whole number of milligrams (at most 3 decimals for g, 6 for kg, 9 for t), troy ounces to a
//! whole number of micro ounces (at most 6 decimals), or they are refused. A troy ounce is
//! exactly 31 103.4768 mg: its nearest milligram is kept beside it for answers that show
//! milligrams, never for arithmetic.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mass::Mass;
pub use super::mass::MassUnit;

/// The largest quantity of one line or lot: one million tonnes (10^15 mg), so that sums over
/// millions of lines stay far inside 64-bit integers.
pub const MAX_MG: i64 = 1_000_000_000_000_000;

/// A quantity as entered: `{"value": 12.5, "unit": "kg"}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuantityInput {
    /// A positive amount, with at most 3 decimals for g, 6 for kg, 9 for t (whole milligrams),
    /// 6 for troy_oz (whole micro troy ounces).
    #[schema(exclusive_minimum = 0, maximum = 1e15)]
    pub value: f64,
    pub unit: MassUnit,
}

/// A validated quantity: what was entered and the exact integers stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    /// Metric units: the exact milligrams. Troy ounces: the nearest milligram (for answers
    /// that show milligrams; the exact mass is `uozt`).
    pub mg: i64,
    /// Troy ounces: the exact micro troy ounces; 0 for metric units.
    pub uozt: i64,
    pub unit: MassUnit,
    /// The entered value in its unit, as an exact decimal.
    pub value: Decimal,
}

/// Why a quantity is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum QuantityError {
    NotPositive,
    NotFinite,
    TooPrecise { unit: MassUnit, max_decimals: u32 },
    TooLarge,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::NotPositive => f.write_str("must be greater than zero"),
            QuantityError::NotFinite => f.write_str("must be a finite number"),
            QuantityError::TooPrecise { unit, max_decimals } => write!(
                f,
                "is more precise than {}: at most {max_decimals} decimals in {unit}",
                if *unit == MassUnit::TroyOz {
                    "a micro troy ounce"
                } else {
                    "a milligram"
                }
            ),
            QuantityError::TooLarge => f.write_str("is larger than one million tonnes"),
        }
    }
}

/// An exact decimal `digits × 10^-scale` (what a value was written as).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    pub digits: i128,
    pub scale: u32,
}

impl Decimal {
    /// The shortest decimal that reads back as `value` (Rust prints floats that way).
    pub fn from_f64(value: f64) -> Option<Decimal> {
        if !value.is_finite() {
            return None;
        }
        Decimal::parse(&format!("{value:?}"))
    }

    /// Parses `-12.50`, `3`, `1e-3`, `2.5E6`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let all_digits = format!("{whole}{fraction}");
        let significant = all_digits.trim_start_matches('0');
        if significant.len() > 30 {
            return None;
        }
        let mut digits: i128 = if significant.is_empty() {
            0
        } else {
            significant.parse().ok()?
        };
        let mut scale = fraction.len() as i64 - i64::from(exponent);
        while scale < 0 {
            digits = digits.checked_mul(10)?;
            scale += 1;
        }
        // Drop trailing zeros so that 1.50 and 1.5 are the same decimal.
        while scale > 0 && digits % 10 == 0 && digits != 0 {
            digits /= 10;
            scale -= 1;
        }
        if digits == 0 {
            scale = 0;
        }
        if scale > 40 {
            return None;
        }
        Some(Decimal {
            digits: if negative { -digits } else { digits },
            scale: scale as u32,
        })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.digits < 0;
        let digits = self.digits.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let text = if scale == 0 {
            digits
        } else if digits.len() > scale {
            format!(
                "{}.{}",
                &digits[..digits.len() - scale],
                &digits[digits.len() - scale..]
            )
        } else {
            format!("0.{}{}", "0".repeat(scale - digits.len()), digits)
        };
        if negative {
            write!(f, "-{text}")
        } else {
            f.write_str(&text)
        }
    }
}

impl MassUnit {
    /// Milligrams per unit as a fraction `numerator / denominator`.
    fn milligrams(self) -> (i128, i128) {
        match self {
            MassUnit::G => (1_000, 1),
            MassUnit::Kg => (1_000_000, 1),
            MassUnit::T => (1_000_000_000, 1),
            // 31.1034768 g = 311 034 768 / 10 000 mg
            MassUnit::TroyOz => (311_034_768, 10_000),
        }
    }

    fn max_decimals(self) -> u32 {
        match self {
            MassUnit::G => 3,
            MassUnit::Kg => 6,
            MassUnit::T => 9,
            MassUnit::TroyOz => 6,
        }
    }
}

impl Quantity {
    /// Validates `value unit` and converts it to milligrams exactly.
    pub fn new(value: Decimal, unit: MassUnit) -> Result<Quantity, QuantityError> {
        if value.digits <= 0 {
            return Err(QuantityError::NotPositive);
        }
        let (numerator, denominator) = unit.milligrams();
        let scale = 10i128
            .checked_pow(value.scale)
            .ok_or(QuantityError::TooLarge)?;
        let product = value
            .digits
            .checked_mul(numerator)
            .ok_or(QuantityError::TooLarge)?;
        let divisor = scale
            .checked_mul(denominator)
            .ok_or(QuantityError::TooLarge)?;
        let mut uozt = 0;
        let mg = if unit == MassUnit::TroyOz {
            // Whole micro ounces, or refused.
            let micro = value
                .digits
                .checked_mul(1_000_000)
                .ok_or(QuantityError::TooLarge)?;
            if micro % scale != 0 {
                return Err(QuantityError::TooPrecise {
                    unit,
                    max_decimals: unit.max_decimals(),
                });
            }
            uozt = micro / scale;
            // The nearest milligram, half away from zero (values are positive here). Checked: a
            // huge CSV value in troy ounces overflowed here (found by the property tests).
            let doubled = product
                .checked_mul(2)
                .and_then(|p| p.checked_add(divisor))
                .ok_or(QuantityError::TooLarge)?;
            doubled / divisor.checked_mul(2).ok_or(QuantityError::TooLarge)?
        } else {
            if product % divisor != 0 {
                return Err(QuantityError::TooPrecise {
                    unit,
                    max_decimals: unit.max_decimals(),
                });
            }
            product / divisor
        };
        if mg > i128::from(MAX_MG) {
            return Err(QuantityError::TooLarge);
        }
        if mg == 0 {
            return Err(QuantityError::NotPositive);
        }
        Ok(Quantity {
            mg: mg as i64,
            uozt: i64::try_from(uozt).map_err(|_| QuantityError::TooLarge)?,
            unit,
            value,
        })
    }

    /// Validates a quantity as entered in JSON.
    pub fn from_input(input: &QuantityInput) -> Result<Quantity, QuantityError> {
        if !input.value.is_finite() {
            return Err(QuantityError::NotFinite);
        }
        if input.value > 1e18 {
            return Err(QuantityError::TooLarge);
        }
        if input.value <= 0.0 {
            return Err(QuantityError::NotPositive);
        }
        // A finite positive value that has no exact decimal form here is far below a
        // milligram (such as 5e-324): too precise, not "not a number".
        let value = Decimal::from_f64(input.value).ok_or(QuantityError::TooPrecise {
            unit: input.unit,
            max_decimals: input.unit.max_decimals(),
        })?;
        Quantity::new(value, input.unit)
    }

    /// Validates a quantity written as text (CSV).
    pub fn from_text(value: &str, unit: MassUnit) -> Result<Quantity, QuantityError> {
        let value = Decimal::parse(value).ok_or(QuantityError::NotFinite)?;
        Quantity::new(value, unit)
    }

    /// The exact mass.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.mg, self.uozt)
    }

    /// The stored milligrams as kilograms, exactly (`1234567` mg is `"1.234567"`).
    pub fn kg_text(mg: i64) -> String {
        Mass::from_mg(mg).in_unit(MassUnit::Kg).text
    }
}

/// A stored quantity as answers show it.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct QuantityView {
    /// The value as entered.
    pub value: f64,
    pub unit: MassUnit,
    /// The quantity in milligrams: exact for g, kg and t; the nearest milligram for troy
    /// ounces (which are kept exactly in micro ounces).
    pub mg: i64,
    /// `mg` in kilograms, as an exact decimal string.
    pub kg: String,
    /// The exact quantity in the unit the request asked for with `unit=`; absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted: Option<Converted>,
}

/// A quantity written in another unit.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct Converted {
    pub unit: MassUnit,
    /// The quantity as a decimal string: exact in g, kg and t; in troy_oz exact for whole micro
    /// ounces, otherwise rounded half to even at 12 decimals.
    #[schema(example = "31103.5079034768")]
    pub value: String,
    /// Whether `value` is the quantity exactly.
    pub exact: bool,
}

impl Converted {
    /// `mass` written in `unit`.
    pub fn of(mass: Mass, unit: MassUnit) -> Converted {
        let written = mass.in_unit(unit);
        Converted {
            unit,
            value: written.text,
            exact: written.exact,
        }
    }
}

impl QuantityView {
    /// From the stored milligrams and the entered value (text) and unit.
    pub fn new(mg: i64, value_text: &str, unit: MassUnit) -> QuantityView {
        QuantityView {
            value: value_text.parse().unwrap_or(0.0),
            unit,
            mg,
            kg: Quantity::kg_text(mg),
            converted: None,
        }
    }

    /// With the exact mass (worked out only when a unit was asked for) written in `unit`.
    pub fn converted(
        mut self,
        mass: impl FnOnce() -> Mass,
        unit: Option<MassUnit>,
    ) -> QuantityView {
        self.converted = unit.map(|unit| Converted::of(mass(), unit));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(value: f64, unit: MassUnit) -> Result<i64, QuantityError> {
        Quantity::from_input(&QuantityInput { value, unit }).map(|q| q.mg)
    }

    #[test]
    fn metric_units_convert_exactly() {
        assert_eq!(q(1.0, MassUnit::G), Ok(1_000));
        assert_eq!(q(0.001, MassUnit::G), Ok(1));
        assert_eq!(q(12.5, MassUnit::Kg), Ok(12_500_000));
        assert_eq!(q(0.1, MassUnit::Kg), Ok(100_000), "no binary float drift");
        assert_eq!(q(0.3, MassUnit::T), Ok(300_000_000));
        assert_eq!(q(1.000001, MassUnit::Kg), Ok(1_000_001));
        assert_eq!(q(1e6, MassUnit::T), Ok(MAX_MG));
    }

    #[test]
    fn huge_troy_ounces_are_too_large_not_an_overflow() {
        assert_eq!(
            Quantity::from_text("9223372036854775807e10", MassUnit::TroyOz),
            Err(QuantityError::TooLarge)
        );
    }

    #[test]
    fn troy_ounces_show_the_nearest_milligram() {
        assert_eq!(q(1.0, MassUnit::TroyOz), Ok(31_103));
        assert_eq!(q(2.0, MassUnit::TroyOz), Ok(62_207)); // 62 206.9536
        assert_eq!(q(1000.0, MassUnit::TroyOz), Ok(31_103_477)); // 31 103 476.8
        assert_eq!(q(0.5, MassUnit::TroyOz), Ok(15_552)); // 15 551.7384
    }

    #[test]
    fn troy_ounces_are_kept_exactly_in_micro_ounces() {
        let ounces = |text: &str| Quantity::from_text(text, MassUnit::TroyOz);
        assert_eq!(ounces("1").unwrap().uozt, 1_000_000);
        assert_eq!(ounces("1000.001").unwrap().uozt, 1_000_001_000);
        // 0.528 mg: kept exactly, shown as 1 mg.
        assert_eq!(
            (
                ounces("0.000017").unwrap().uozt,
                ounces("0.000017").unwrap().mg
            ),
            (17, 1)
        );
        // Less than half a milligram (0.031 mg) is refused, as for every unit.
        assert_eq!(ounces("0.000001"), Err(QuantityError::NotPositive));
        assert_eq!(
            ounces("1.0000001"),
            Err(QuantityError::TooPrecise {
                unit: MassUnit::TroyOz,
                max_decimals: 6
            })
        );
        assert_eq!(
            ounces("1.0000001").unwrap_err().to_string(),
            "is more precise than a micro troy ounce: at most 6 decimals in troy_oz"
        );
        assert_eq!(ounces("1").unwrap().mass(), Mass::from_uozt(1_000_000));
        let kg = Quantity::from_text("1.5", MassUnit::Kg).unwrap();
        assert_eq!((kg.uozt, kg.mass()), (0, Mass::from_mg(1_500_000)));
    }

    #[test]
    fn bad_quantities_are_refused() {
        assert_eq!(q(0.0, MassUnit::Kg), Err(QuantityError::NotPositive));
        assert_eq!(q(-1.0, MassUnit::Kg), Err(QuantityError::NotPositive));
        assert_eq!(q(f64::NAN, MassUnit::Kg), Err(QuantityError::NotFinite));
        assert_eq!(
            q(f64::INFINITY, MassUnit::Kg),
            Err(QuantityError::NotFinite)
        );
        assert!(matches!(
            q(0.0001, MassUnit::G),
            Err(QuantityError::TooPrecise { .. })
        ));
        assert_eq!(q(1.1e6, MassUnit::T), Err(QuantityError::TooLarge));
        assert!(matches!(
            q(5e-324, MassUnit::G),
            Err(QuantityError::TooPrecise { .. })
        ));
        assert_eq!(q(-5e-324, MassUnit::G), Err(QuantityError::NotPositive));
        assert_eq!(q(1e300, MassUnit::T), Err(QuantityError::TooLarge));
        assert!(matches!(
            q(1e-10, MassUnit::TroyOz),
            Err(QuantityError::TooPrecise { .. })
        ));
    }

    #[test]
    fn decimals_parse_and_print_exactly() {
        let d = Decimal::parse("12.50").unwrap();
        assert_eq!(
            d,
            Decimal {
                digits: 125,
                scale: 1
            }
        );
        assert_eq!(d.to_string(), "12.5");
        assert_eq!(Decimal::parse("1e-3").unwrap().to_string(), "0.001");
        assert_eq!(Decimal::parse("2.5E6").unwrap().to_string(), "2500000");
        assert_eq!(Decimal::parse("-0.05").unwrap().to_string(), "-0.05");
        for bad in ["", ".", "1.2.3", "abc", "1e", "--1", "1e99999"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Quantity::kg_text(1_234_567), "1.234567");
        assert_eq!(Quantity::kg_text(5_000_000), "5");
        assert_eq!(Quantity::kg_text(1), "0.000001");
    }

    #[test]
    fn shortest_representation_is_what_was_written() {
        for text in ["0.1", "0.3", "123.456", "1234567.891", "0.000001"] {
            let value: f64 = text.parse().unwrap();
            assert_eq!(Decimal::from_f64(value).unwrap().to_string(), text);
        }
    }
}

/// Whatever text or number arrives, a quantity parses or is refused, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{Decimal, MassUnit, Quantity};
    use crate::domain::test_strategies::tricky_text;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn quantities_never_panic(text in tricky_text(), value in any::<f64>()) {
            let _ = Decimal::parse(&text);
            let _ = Decimal::from_f64(value);
            for unit in MassUnit::ALL {
                let _ = Quantity::from_text(&text, *unit);
                if let Some(decimal) = Decimal::from_f64(value) {
                    let _ = Quantity::new(decimal, *unit);
                }
            }
            let _ = MassUnit::parse(&text);
        }

        #[test]
        fn huge_and_tiny_quantities_are_refused_or_exact(mantissa in any::<i64>(), exponent in -40i32..40) {
            let text = format!("{mantissa}e{exponent}");
            for unit in MassUnit::ALL {
                if let Ok(quantity) = Quantity::from_text(&text, *unit) {
                    prop_assert!(quantity.mg > 0);
                }
            }
        }
    }
}
