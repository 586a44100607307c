//! Tests of the attribution: traces worked out by hand ([`traces`]) and the arithmetic checked
//! against an independent exact computation over random graphs ([`arithmetic`]).

mod arithmetic;
mod fraction;
mod traces;

use super::{Attribution, Trace};

/// Each attribution as (lot, milligrams, share).
fn summary(trace: &Trace) -> Vec<(String, i64, String)> {
    trace
        .attributions
        .iter()
        .map(|a| (a.lot_id.clone(), a.quantity_mg, a.share.value.clone()))
        .collect()
}

/// The expected [`summary`].
fn rows(list: &[(&str, i64, &str)]) -> Vec<(String, i64, String)> {
    list.iter()
        .map(|(lot, mg, share)| ((*lot).to_owned(), *mg, (*share).to_owned()))
        .collect()
}

/// An attribution's exact share as (numerator, denominator).
fn exact(a: &Attribution) -> (Option<&str>, Option<&str>) {
    (a.share.numerator.as_deref(), a.share.denominator.as_deref())
}
