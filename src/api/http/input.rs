//! Request bodies at the edge: one JSON value into a type with every bad member named, and JSON
//! merge patches. The building blocks that report every bad field at once ([`Checked`],
//! [`FieldErrors`]) are the domain's (`domain::validation`).

use serde::de::DeserializeOwned;

use crate::domain::validation::FieldError;
pub use crate::domain::validation::{Checked, FieldErrors};

/// Deserializes one JSON value into `T`, naming a bad member by pointer under `prefix`.
pub fn from_value<T: DeserializeOwned>(
    prefix: &str,
    value: serde_json::Value,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let pointer = super::extract::pointer_of(error.path());
        match super::extract::json_error(pointer, error.inner())
            .errors
            .into_iter()
            .next()
        {
            Some(field) => FieldError::at(
                format!("{prefix}{}", field.pointer.unwrap_or_default()),
                field.detail,
            ),
            None => FieldError::at(prefix.to_owned(), "has an invalid value"),
        }
    })
}

/// Applies an RFC 7396 JSON merge patch to `target`: members of the patch replace those of the
/// target, `null` removes them, nested objects merge, anything else (arrays included) replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(members) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(object) = target {
                for (name, value) in members {
                    if value.is_null() {
                        object.remove(name);
                    } else {
                        merge_patch(object.entry(name.clone()).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
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

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]});
        merge_patch(
            &mut target,
            &json!({"a": "z", "c": {"f": null}, "list": [3], "new": 1}),
        );
        assert_eq!(
            target,
            json!({"a": "z", "c": {"d": "e"}, "list": [3], "new": 1})
        );
    }
}
