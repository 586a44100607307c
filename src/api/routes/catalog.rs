//! What the catalog's routes share: merge-patch handling, list plumbing and row checks.

use serde::Serialize;

use crate::api::error::{ApiError, FieldError};
use crate::api::http::input::{FieldErrors, merge_patch};

/// The editable representation of a resource: its JSON view without read-only members.
pub fn editable(view: &impl Serialize, read_only: &[&str]) -> Result<serde_json::Value, ApiError> {
    let mut value = serde_json::to_value(view).map_err(ApiError::internal)?;
    if let Some(object) = value.as_object_mut() {
        for name in read_only {
            object.remove(*name);
        }
    }
    Ok(value)
}

/// Applies a JSON merge patch (RFC 7396) to the editable form of a resource. Read-only members
/// named in the patch are refused at their pointer.
pub fn patched(
    current: serde_json::Value,
    patch: &serde_json::Value,
    read_only: &[&str],
) -> Result<serde_json::Value, ApiError> {
    let Some(members) = patch.as_object() else {
        return Err(ApiError::invalid_field(
            "",
            "a merge patch (RFC 7396) is a JSON object of the members to change",
        ));
    };
    let mut errors = FieldErrors::new();
    for name in read_only {
        if members.contains_key(*name) {
            errors.add(format!("/{name}"), "is read-only");
        }
    }
    errors.into_result()?;
    let mut merged = current;
    merge_patch(&mut merged, patch);
    Ok(merged)
}

/// Reports duplicates in a list: each value after its first occurrence, at `/{pointer}/{i}`.
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

/// Splits `scheme:value` (the `identifier` filter).
pub fn split_identifier(parameter: &str, text: &str) -> Result<(String, String), ApiError> {
    text.split_once(':')
        .map(|(s, v)| (s.to_owned(), v.to_owned()))
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                parameter,
                "must be scheme:value, such as rmi_cid:CID001234",
            )
        })
}

/// A 422 for a batch: every row's errors together.
pub fn batch_errors(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        let rows: std::collections::BTreeSet<&str> = errors
            .iter()
            .filter_map(|e| e.pointer.as_deref())
            .filter_map(|p| p.split('/').nth(1))
            .collect();
        let detail = format!(
            "{} row(s) are invalid; nothing was written; see `errors` (pointers start with the \
             row index)",
            rows.len()
        );
        let mut error = ApiError::validation(errors);
        error.detail = detail;
        Err(error)
    }
}

/// Today, UTC: the default of `as_of` and `effective_on`.
pub fn today() -> chrono::NaiveDate {
    crate::domain::time::now().date_naive()
}

/// The audit record of a row a batch created: the record, marked as coming from a batch.
pub fn batch_view(mut record: serde_json::Value) -> serde_json::Value {
    if let Some(object) = record.as_object_mut() {
        object.insert("via".to_owned(), serde_json::Value::from("batch"));
    }
    record
}
