//! The shared catalog: facilities, parties, certificates and their schemes. Reference data that
//! operators keep (scope `catalog:write`) and every organisation reads.
//!
//! One module per use case: [`facilities`], [`parties`], [`certifications`] (with their history
//! and as-of standing) and [`schemes`]. What the three kinds of record share lives beside them:
//! [`kind`] states what each kind brings (its rows, how known records are found, how they are
//! written and audited), [`batch`] is the one pipeline of `POST /v1/…/batch` and
//! `oretrace import catalog`, [`record`] creates and merge-patches one record, and [`patch`]
//! holds the JSON merge patch (RFC 7396) both start from.

pub mod batch;
pub mod certifications;
pub mod facilities;
pub mod kind;
pub mod parties;
pub mod patch;
pub mod record;
pub mod schemes;

pub use kind::CatalogKind;

use crate::domain::validation::{Checked, FieldErrors};

/// Today, UTC: the default of `as_of`, `certified_on` and `effective_on`.
pub fn today() -> chrono::NaiveDate {
    crate::domain::time::now().date_naive()
}

/// Reports duplicates in a list: each value after its first occurrence, at `{pointer}/{i}`.
pub fn duplicates<T: PartialEq>(errors: &mut FieldErrors, pointer: &str, values: &[Option<T>]) {
    for (i, value) in values.iter().enumerate() {
        if let Some(v) = value
            && values[..i]
                .iter()
                .any(|earlier| earlier.as_ref() == Some(v))
        {
            errors.add(format!("{pointer}/{i}"), "is listed twice");
        }
    }
}

/// Checks a list of values: each one valid (else refused at `{pointer}/{i}`), none listed
/// twice, and at least one when `if_empty` says why one is needed.
pub fn checked_list<T: PartialEq>(
    errors: &mut FieldErrors,
    pointer: &str,
    values: Vec<Checked<T>>,
    if_empty: Option<&str>,
) -> Vec<T> {
    if let Some(why) = if_empty
        && values.is_empty()
    {
        errors.add(pointer, why);
    }
    let values: Vec<Option<T>> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| errors.take(format!("{pointer}/{i}"), v))
        .collect();
    duplicates(errors, pointer, &values);
    values.into_iter().flatten().collect()
}

/// Checks identifiers given as `{scheme, value}` at `/identifiers`: a known scheme, a value
/// valid for it (`check`, which normalises it), none listed twice.
pub fn checked_identifiers<S: Copy, I: PartialEq>(
    errors: &mut FieldErrors,
    given: Vec<(Checked<S>, String)>,
    check: fn(S, &str) -> Result<String, String>,
    make: fn(S, String) -> I,
) -> Vec<I> {
    let identifiers: Vec<Option<I>> = given
        .into_iter()
        .enumerate()
        .map(|(i, (scheme, value))| {
            let scheme = errors.take(format!("/identifiers/{i}/scheme"), scheme)?;
            let value = errors.check(format!("/identifiers/{i}/value"), check(scheme, &value))?;
            Some(make(scheme, value))
        })
        .collect();
    duplicates(errors, "/identifiers", &identifiers);
    identifiers.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_valid_values_and_name_every_bad_one() {
        let mut errors = FieldErrors::new();
        let values = vec![
            Checked::Valid(1),
            Checked::Invalid("not a number".to_owned()),
            Checked::Valid(1),
        ];
        assert_eq!(checked_list(&mut errors, "/n", values, None), [1, 1]);
        let pointers: Vec<Option<String>> =
            errors.into_vec().into_iter().map(|e| e.pointer).collect();
        assert_eq!(pointers, [Some("/n/1".to_owned()), Some("/n/2".to_owned())]);
        let mut errors = FieldErrors::new();
        checked_list::<u8>(&mut errors, "/n", Vec::new(), Some("must name one"));
        assert_eq!(errors.into_vec()[0].detail, "must name one");
    }
}
