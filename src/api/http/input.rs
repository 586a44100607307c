//! Request bodies at the edge: one JSON value into a type with every bad member named. The
//! building blocks that report every bad field at once ([`Checked`], [`FieldErrors`]) and the
//! JSON value reader are the domain's (`domain::validation`); JSON merge patches are the
//! catalog's (`app::catalog::patch`).

use serde::de::DeserializeOwned;

use crate::domain::validation::FieldError;
pub use crate::domain::validation::{Checked, FieldErrors};

/// Deserializes one JSON value into `T`, naming a bad member by pointer under `prefix`.
pub fn from_value<T: DeserializeOwned>(
    prefix: &str,
    value: serde_json::Value,
) -> Result<T, FieldError> {
    crate::domain::validation::from_value(value).map_err(|field| {
        FieldError::at(
            format!("{prefix}{}", field.pointer.unwrap_or_default()),
            field.detail,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Body {
        day: Checked<chrono::NaiveDate>,
        kind: Checked<crate::domain::vocabulary::FacilityKind>,
    }

    #[test]
    fn checked_fields_keep_every_reason() {
        let body: Body =
            serde_json::from_value(json!({"day": "2026-13-01", "kind": "cave"})).unwrap();
        let mut errors = FieldErrors::with_prefix("/3");
        assert!(errors.take("/day", body.day).is_none());
        assert!(errors.take("/kind", body.kind).is_none());
        let errors = errors.into_vec();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].pointer.as_deref(), Some("/3/day"));
        assert_eq!(errors[0].detail, "must be a date, YYYY-MM-DD");
        assert!(
            errors[1].detail.contains("unknown variant"),
            "{:?}",
            errors[1]
        );
    }
}
