//! From exact (or certified-bound) weights to milligrams and 6-decimal shares, by largest
//! remainder.

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{CheckedSub, ToPrimitive, Zero};

use super::attribution::EXACT_FRACTION_BITS;
use super::outcome::{Attribution, ExactShare, HIGH_UNTRACED_SHARE, SourceTotal, TraceSummary};
use super::walk::{Mode, Weights};
use crate::domain::mass::{
    FG_PER_MG, FG_PER_QUANTUM, FG_PER_UOZT, Mass, MassUnit, femtograms_in_unit,
};
use crate::domain::shares::{SHARE_UNITS, format_units};

/// Largest remainder over exact numerators known within bounds: item `i` is `(N_i, E_i)` and its
/// exact numerator lies in `[N_i, N_i + E_i]` (`E_i = 0` when exact). Each part is the floor of
/// `total × N_i / scale`, and the units still missing go one each to the largest remainders
/// (ties: the earlier item). Also says whether the bounds prove that the exact numerators give
/// the same parts: every floor is the same anywhere in its interval, and every remainder chosen
/// is above every remainder left out.
fn apportion(total: u128, items: &[(BigUint, BigUint)], scale: &BigUint) -> (Vec<u128>, bool) {
    let total_big = BigUint::from(total);
    let exact = items.iter().all(|(_, error)| error.is_zero());
    let mut certified = true;
    let mut parts = Vec::with_capacity(items.len());
    // (remainder, remainder + total × error, index)
    let mut remainders: Vec<(BigUint, BigUint, usize)> = Vec::with_capacity(items.len());
    // Fixed-point weights have a power-of-two scale: dividing by it is a shift and a mask.
    let power_of_two = scale
        .trailing_zeros()
        .filter(|zeros| *zeros + 1 == scale.bits())
        .map(|zeros| (zeros, scale - 1u8));
    for (index, (numerator, error)) in items.iter().enumerate() {
        let product = &total_big * numerator;
        let (floor, remainder) = match &power_of_two {
            Some((shift, mask)) => (&product >> *shift, product & mask),
            None => product.div_rem(scale),
        };
        let highest = &remainder + &total_big * error;
        if highest >= *scale {
            certified = false;
        }
        parts.push(floor.to_u128().unwrap_or(total));
        remainders.push((remainder, highest, index));
    }
    let given: u128 = parts.iter().sum();
    let missing = total
        .checked_sub(given)
        .and_then(|m| usize::try_from(m).ok());
    let Some(missing) = missing.filter(|m| *m <= parts.len()) else {
        return (parts, false);
    };
    remainders.sort_by(|(ra, _, a), (rb, _, b)| rb.cmp(ra).then(a.cmp(b)));
    if !exact && missing > 0 && missing < remainders.len() {
        let lowest_in = remainders[..missing].iter().map(|(r, _, _)| r).min();
        let highest_out = remainders[missing..].iter().map(|(_, h, _)| h).max();
        if let (Some(lowest_in), Some(highest_out)) = (lowest_in, highest_out)
            && lowest_in <= highest_out
        {
            certified = false;
        }
    }
    for (_, _, index) in remainders.iter().take(missing) {
        parts[*index] += 1;
    }
    (parts, certified)
}

/// Femtograms in kilograms, as a trace writes its quantities until asked for another unit
/// ([`super::Trace::write_in`]).
fn in_kg(fg: i128) -> String {
    femtograms_in_unit(fg, MassUnit::Kg).text
}

/// `N / scale` in lowest terms, as decimal text.
fn lowest_terms(numerator: &BigUint, scale: &BigUint) -> (String, String) {
    let g = numerator.gcd(scale);
    if g.is_zero() {
        return ("0".to_owned(), "1".to_owned());
    }
    ((numerator / &g).to_string(), (scale / &g).to_string())
}

/// The unit a trace's exact quantities are apportioned in: the finest its traced quantities
/// need (milligrams when all are metric, micro troy ounces when all are troy ounces, quanta of
/// 1.6 pg for a mix), so that every part is a whole number of units and the parts add up to
/// the traced mass exactly.
#[derive(Clone, Copy, Debug)]
pub(super) struct ExactBase {
    /// Femtograms in one unit.
    fg_per_unit: i128,
    /// The traced mass in those units.
    total: u128,
}

impl ExactBase {
    /// The base for a traced mass.
    pub fn of(total: Mass) -> ExactBase {
        let fg_per_unit = if total.troy_uozt() == 0 {
            FG_PER_MG
        } else if total.metric_mg() == 0 {
            FG_PER_UOZT
        } else {
            FG_PER_QUANTUM
        };
        ExactBase {
            fg_per_unit,
            total: (total.femtograms() / fg_per_unit).unsigned_abs(),
        }
    }
}

/// The rounded figures, and whether the bounds proved them equal to the exact ones.
pub(super) struct Finished {
    pub attributions: Vec<Attribution>,
    pub summary: TraceSummary,
    pub untraced_high: bool,
    pub certified: bool,
}

pub(super) fn finish(weights: &Weights<'_>, quantity: u128, exact: ExactBase) -> Finished {
    let scale = &weights.scale;
    let show = weights.mode == Mode::Exact && scale.bits() <= EXACT_FRACTION_BITS;
    let share = |units: u128, numerator: &BigUint| {
        let (numerator, denominator) = if show {
            let (n, d) = lowest_terms(numerator, scale);
            (Some(n), Some(d))
        } else {
            (None, None)
        };
        ExactShare {
            value: format_units(i64::try_from(units).unwrap_or(i64::MAX)),
            numerator,
            denominator,
        }
    };
    // Rounding only loses and the exact numerators add up to the scale, so what was lost, all
    // leaves together, is known exactly; it bounds each leaf's error. A sole leaf (or a sole
    // kind of source) is exactly the whole; an absent kind is exactly nothing.
    let sum: BigUint = weights.leaves.values().sum();
    let Some(lost) = scale.checked_sub(&sum) else {
        return Finished::uncertified();
    };
    // Presence is structural (a leaf reached through positive consumption has a positive exact
    // weight even when its rounded numerator is 0), never read from the numerators.
    let bounded = |numerators: Vec<(&BigUint, bool)>| -> Vec<(BigUint, BigUint)> {
        let present = numerators.iter().filter(|(_, present)| *present).count();
        numerators
            .into_iter()
            .map(|(n, is_present)| {
                if !is_present {
                    (BigUint::zero(), BigUint::zero())
                } else if present == 1 {
                    (scale.clone(), BigUint::zero())
                } else {
                    (n.clone(), lost.clone())
                }
            })
            .collect()
    };

    let leaves = bounded(weights.leaves.values().map(|n| (n, true)).collect());
    let (mg, mg_ok) = apportion(quantity, &leaves, scale);
    let units_total = u128::from(SHARE_UNITS.unsigned_abs());
    let (units, units_ok) = apportion(units_total, &leaves, scale);
    // Metric traces are exact in milligrams already.
    let (exact_parts, exact_ok) = if exact.fg_per_unit == FG_PER_MG {
        (mg.clone(), mg_ok)
    } else {
        apportion(exact.total, &leaves, scale)
    };
    let femtograms = |part: u128| i128::try_from(part).unwrap_or(i128::MAX) * exact.fg_per_unit;
    let attributions: Vec<Attribution> = weights
        .leaves
        .keys()
        .zip(&leaves)
        .zip(mg.iter().zip(&units).zip(&exact_parts))
        .map(
            |(((_, source, id), (numerator, _)), ((mg, units), part))| Attribution {
                lot_id: (*id).to_owned(),
                source: source.clone(),
                quantity_mg: i64::try_from(*mg).unwrap_or(i64::MAX),
                quantity: in_kg(femtograms(*part)),
                femtograms: femtograms(*part),
                share: share(*units, numerator),
            },
        )
        .collect();

    let mut kinds = [BigUint::zero(), BigUint::zero(), BigUint::zero()];
    let mut kind_present = [false; 3];
    let mut kind_mg = [0i64; 3];
    let mut kind_fg = [0i128; 3];
    for ((rank, _, _), numerator) in &weights.leaves {
        kinds[usize::from(*rank)] += numerator;
        kind_present[usize::from(*rank)] = true;
    }
    for a in &attributions {
        kind_mg[usize::from(a.source.rank())] += a.quantity_mg;
        kind_fg[usize::from(a.source.rank())] += a.femtograms;
    }
    let kinds = bounded(kinds.iter().zip(kind_present).collect());
    let (kind_units, kinds_ok) = apportion(units_total, &kinds, scale);
    let total = |rank: usize| SourceTotal {
        quantity_mg: kind_mg[rank],
        quantity: in_kg(kind_fg[rank]),
        femtograms: kind_fg[rank],
        share: share(kind_units[rank], &kinds[rank].0),
    };

    // untraced >= p / q, exactly, or from the bounds when they settle it.
    let (p, q) = HIGH_UNTRACED_SHARE;
    let (untraced, untraced_error) = &kinds[2];
    let threshold = scale * p;
    let (untraced_high, high_ok) = if untraced * q >= threshold {
        (true, true)
    } else {
        (false, (untraced + untraced_error) * q < threshold)
    };

    Finished {
        attributions,
        summary: TraceSummary {
            mines: total(0),
            recycled: total(1),
            untraced: total(2),
        },
        untraced_high,
        certified: mg_ok && units_ok && exact_ok && kinds_ok && high_ok,
    }
}

impl Finished {
    fn uncertified() -> Finished {
        let none = || SourceTotal {
            quantity_mg: 0,
            quantity: in_kg(0),
            femtograms: 0,
            share: ExactShare {
                value: format_units(0),
                numerator: None,
                denominator: None,
            },
        };
        Finished {
            attributions: Vec::new(),
            summary: TraceSummary {
                mines: none(),
                recycled: none(),
                untraced: none(),
            },
            untraced_high: false,
            certified: false,
        }
    }
}
