//! Building blocks for request bodies that report every bad field at once.
//!
//! serde stops at the first error. Fields whose values are checked against a vocabulary (enums,
//! countries, dates) are declared as [`Checked<T>`]: they always deserialize, keeping either the
//! value or the reason it was refused, so that validation can name every bad field in one 422.
//! [`FieldErrors`] collects those reasons by JSON pointer.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};

use crate::error::{ApiError, FieldError};

/// A value of type `T`, or why the JSON given for it is not one.
#[derive(Clone, Debug, PartialEq)]
pub enum Checked<T> {
    Valid(T),
    Invalid(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(match serde_json::from_value::<T>(value) {
            Ok(v) => Checked::Valid(v),
            Err(e) => Checked::Invalid(clean_message(&e.to_string())),
        })
    }
}

fn clean_message(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    if message.contains("premature end of input")
        || message.contains("input contains invalid characters")
        || message.contains("input is out of range")
        || message.contains("input is not enough for unique date")
        || message.contains("trailing input")
    {
        return "must be a date, YYYY-MM-DD".to_owned();
    }
    message.to_owned()
}

/// The field errors of one request (or one batch row), in the order found.
#[derive(Debug, Default)]
pub struct FieldErrors {
    prefix: String,
    errors: Vec<FieldError>,
}

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    /// Errors whose pointers start with `prefix` (a batch row: `/17`).
    pub fn with_prefix(prefix: impl Into<String>) -> FieldErrors {
        FieldErrors {
            prefix: prefix.into(),
            errors: Vec::new(),
        }
    }

    pub fn add(&mut self, pointer: impl AsRef<str>, detail: impl Into<String>) {
        self.errors.push(FieldError::at(
            format!("{}{}", self.prefix, pointer.as_ref()),
            detail,
        ));
    }

    /// The value of a checked field, or `None` after recording why it is invalid.
    pub fn take<T>(&mut self, pointer: impl AsRef<str>, field: Checked<T>) -> Option<T> {
        match field {
            Checked::Valid(value) => Some(value),
            Checked::Invalid(reason) => {
                self.add(pointer, reason);
                None
            }
        }
    }

    /// `Ok(value)` kept, `Err(reason)` recorded at `pointer`.
    pub fn check<T>(&mut self, pointer: impl AsRef<str>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                self.add(pointer, reason);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Ok(())` when nothing was recorded, else the 422.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

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
