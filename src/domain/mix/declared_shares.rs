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
