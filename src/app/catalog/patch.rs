//! JSON merge patches (RFC 7396) of catalog records: the patch is merged into the record's
//! editable form, and the result is checked whole, as a creation would be.

use serde::Serialize;

use crate::app::AppError;
use crate::domain::validation::FieldErrors;

/// The editable representation of a record: its JSON view without the `hidden` members.
pub fn editable(view: &impl Serialize, hidden: &[&str]) -> Result<serde_json::Value, AppError> {
    let mut value = serde_json::to_value(view).map_err(AppError::internal)?;
    if let Some(object) = value.as_object_mut() {
        for name in hidden {
            object.remove(*name);
        }
    }
    Ok(value)
}

/// Applies a JSON merge patch to the editable form of a record. Read-only members named in the
/// patch are refused at their pointer.
pub fn patched(
    current: serde_json::Value,
    patch: &serde_json::Value,
    read_only: &[&str],
) -> Result<serde_json::Value, AppError> {
    let Some(members) = patch.as_object() else {
        return Err(AppError::rejected(
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
    use serde_json::json;

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

    #[test]
    fn read_only_members_are_refused() {
        let refused = patched(json!({"id": 1}), &json!({"id": 2}), &["id"]);
        assert!(matches!(refused, Err(AppError::Rejected { .. })));
        assert!(patched(json!({}), &json!([1]), &[]).is_err());
    }
}
