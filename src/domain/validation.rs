//! Validation: what is wrong with an input, named by JSON pointer, and the building blocks that
//! report every bad field at once instead of stopping at the first.
//!
//! serde stops at the first error. Fields whose values are checked against a vocabulary (enums,
//! countries, dates) are declared as [`Checked<T>`]: they always deserialize, keeping either the
//! value or the reason it was refused, so that validation can name every bad field in one
//! answer. [`FieldErrors`] collects those reasons by JSON pointer; [`Invalid`] is the verdict.

use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use utoipa::ToSchema;

/// One invalid field or parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the invalid member of the request body, such as
    /// `/quantity/value`; for batch requests the row index comes first (`/2/country`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The name of the invalid path or query parameter (or header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The cell of an uploaded workbook, as `Sheet!A1` (`Declaration!D8`, `Smelter List!F12`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// What is wrong and what is expected.
    pub detail: String,
}

impl FieldError {
    pub fn at(pointer: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: Some(pointer.into()),
            parameter: None,
            cell: None,
            detail: detail.into(),
        }
    }

    /// A cell of an uploaded workbook (`Declaration!D8`).
    pub fn in_cell(cell: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: None,
            parameter: None,
            cell: Some(cell.into()),
            detail: detail.into(),
        }
    }

    pub fn parameter(name: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: None,
            parameter: Some(name.into()),
            cell: None,
            detail: detail.into(),
        }
    }
}

/// An input refused: every invalid field, in the order found. The HTTP edge answers 422.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// One invalid field.
    pub fn at(pointer: impl Into<String>, detail: impl Into<String>) -> Invalid {
        Invalid(vec![FieldError::at(pointer, detail)])
    }
}

impl From<FieldError> for Invalid {
    fn from(error: FieldError) -> Invalid {
        Invalid(vec![error])
    }
}

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

    /// `Ok(())` when nothing was recorded, else every error found.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }
}

/// Deserializes one JSON value (a request body, a batch row, a row of an imported file) into
/// `T`, naming the bad member by a JSON pointer relative to the value.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let pointer = pointer_of(error.path());
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                FieldError::at(refine_pointer(pointer, &message), message)
            }
            _ => FieldError::at("", "has an invalid value"),
        }
    })
}

/// A serde path (`items[2].quantity.value`) as a JSON pointer (`/items/2/quantity/value`).
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&escape_pointer(key));
            }
            Segment::Enum { variant } => {
                pointer.push('/');
                pointer.push_str(&escape_pointer(variant));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// serde reports a missing or unknown field at the enclosing object; point at the field.
pub fn refine_pointer(pointer: String, message: &str) -> String {
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.find('`')
        {
            let field = format!("/{}", escape_pointer(&rest[..end]));
            return if pointer.ends_with(&field) {
                pointer
            } else {
                format!("{pointer}{field}")
            };
        }
    }
    pointer
}

/// A serde message without its ` at line … column …` suffix.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}
