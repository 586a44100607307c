//! Declared shares as exact parts per billion, and a purchase's quantity split over them.

use crate::domain::quantity::Decimal;
use crate::domain::shares::{PPB, largest_remainder};

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
mod tests {
    use proptest::prelude::*;

    use super::*;

    const KG: i64 = 1_000_000;

    #[test]
    fn allocation_splits_exactly() {
        let third = 333_333_333;
        let splits: [(i64, &[i64], &[i64], &str); 5] = [
            (100, &[third, third, third + 1], &[33, 33, 34], ""),
            (100, &[third + 1, third, third], &[34, 33, 33], ""),
            (10 * KG, &[600_000_000, 400_000_000], &[6 * KG, 4 * KG], ""),
            (
                1,
                &[500_000_000, 500_000_000],
                &[1, 0],
                "tie: the earlier share",
            ),
            (0, &[PPB], &[0], ""),
        ];
        for (total, shares, parts, why) in splits {
            assert_eq!(allocate(total, shares), Ok(parts.to_vec()), "{why}");
        }
        let refused: [(i64, &[i64], &str); 5] = [
            (100, &[500_000_000], "add up to 0.5"),
            (100, &[600_000_000, 600_000_000], "add up to 1.2"),
            (100, &[], ""),
            (100, &[0, PPB], ""),
            (-1, &[PPB], ""),
        ];
        for (total, shares, words) in refused {
            let refusal = allocate(total, shares).unwrap_err();
            assert!(refusal.contains(words), "{refusal}");
        }
    }

    #[test]
    fn shares_are_read_as_written() {
        for (share, ppb) in [
            (0.1, 100_000_000),
            (0.333333333, 333_333_333),
            (1.0, PPB),
            (1e-9, 1),
        ] {
            assert_eq!(parse_share(share), Ok(ppb), "{share}");
        }
        for refused in [0.0, -0.5, 1.5, f64::NAN] {
            assert!(parse_share(refused).is_err(), "{refused}");
        }
        assert!(
            parse_share(0.3333333333)
                .unwrap_err()
                .contains("at most 9 decimals")
        );
        assert_eq!(parse_share_text("0.25"), Ok(250_000_000));
        assert_eq!(parse_share_text("1.000"), Ok(PPB));
        assert!(parse_share_text("abc").is_err());
        // 0.1 + 0.2 + 0.7 are exactly one in parts per billion, whatever binary floats say.
        let parts: Vec<i64> = [0.1, 0.2, 0.7]
            .into_iter()
            .map(|s| parse_share(s).unwrap())
            .collect();
        assert_eq!(parts.iter().sum::<i64>(), PPB);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn allocation_always_adds_up_and_is_never_negative(
            total in 0i64..=crate::domain::quantity::MAX_MG,
            cuts in proptest::collection::btree_set(1i64..PPB, 0..8),
        ) {
            // Random shares adding up to 10^9: the gaps between sorted cut points.
            let mut points: Vec<i64> = vec![0];
            points.extend(cuts);
            points.push(PPB);
            let shares: Vec<i64> = points.windows(2).map(|w| w[1] - w[0]).collect();
            let parts = allocate(total, &shares).unwrap();
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            for (part, share) in parts.iter().zip(&shares) {
                prop_assert!(*part >= 0);
                let exact = i128::from(total) * i128::from(*share);
                let low = exact / i128::from(PPB);
                prop_assert!(i128::from(*part) == low || i128::from(*part) == low + 1);
            }
            prop_assert_eq!(allocate(total, &shares).unwrap(), parts);
        }
    }
}

/// Whatever text or number arrives, a share parses or is refused, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{parse_share, parse_share_text};
    use crate::domain::test_strategies::tricky_text;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn shares_never_panic(text in tricky_text(), value in any::<f64>()) {
            let _ = parse_share(value);
            let _ = parse_share_text(&text);
        }
    }
}
