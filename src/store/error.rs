//! What a store function answers when it cannot do what it was asked: the database's own error,
//! a stored value that cannot be read back, or a refusal of the input with the row and field it
//! concerns. The HTTP edge turns each into a problem once (`api::error`); nothing below it
//! speaks HTTP.

use std::fmt;

use crate::domain::validation::{FieldError, Invalid};

/// One refused value: in which row of a batch (none for a single record), at which field (a
/// JSON pointer inside the row, such as `/supplier_party_id`), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub row: Option<usize>,
    pub field: String,
    pub detail: String,
    /// The cell of an uploaded workbook it concerns (`Declaration!D8`), instead of a field.
    pub cell: Option<String>,
}

impl Rejection {
    /// A field of a single record.
    pub fn at(field: impl Into<String>, detail: impl Into<String>) -> Rejection {
        Rejection {
            row: None,
            field: field.into(),
            detail: detail.into(),
            cell: None,
        }
    }

    /// A field of row `row` of a batch.
    pub fn in_row(row: usize, field: impl Into<String>, detail: impl Into<String>) -> Rejection {
        Rejection {
            row: Some(row),
            field: field.into(),
            detail: detail.into(),
            cell: None,
        }
    }

    /// A cell of an uploaded workbook (`Declaration!D8`).
    pub fn in_cell(cell: impl Into<String>, detail: impl Into<String>) -> Rejection {
        Rejection {
            row: None,
            field: String::new(),
            detail: detail.into(),
            cell: Some(cell.into()),
        }
    }

    /// A field error whose pointer starts with a row index (`/17/country`): that row and the
    /// rest of the pointer.
    pub fn from_row_pointer(error: FieldError) -> Rejection {
        let pointer = error.pointer.unwrap_or_default();
        let parsed = pointer.strip_prefix('/').and_then(|rest| {
            let (index, field) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            index
                .parse::<usize>()
                .ok()
                .map(|row| (row, field.to_owned()))
        });
        match parsed {
            Some((row, field)) => Rejection::in_row(row, field, error.detail),
            None => Rejection::at(pointer, error.detail),
        }
    }

    /// The same refusal, placed in row `row`.
    pub fn of_row(mut self, row: usize) -> Rejection {
        self.row = Some(row);
        self
    }

    /// The JSON pointer into the request: the row index first for a batch (`/17/country`).
    pub fn pointer(&self) -> String {
        match self.row {
            Some(row) => format!("/{row}{}", self.field),
            None => self.field.clone(),
        }
    }
}

impl From<FieldError> for Rejection {
    fn from(error: FieldError) -> Rejection {
        Rejection {
            row: None,
            field: error.pointer.or(error.parameter).unwrap_or_default(),
            detail: error.detail,
            cell: error.cell,
        }
    }
}

/// Why the store did not answer.
#[derive(Debug)]
pub enum StoreError {
    /// The database refused or failed the statement.
    Database(diesel::result::Error),
    /// No connection could be had in time (pool checkout), or the server is shutting down.
    Unavailable(String),
    /// A stored value does not read back as its type: a corrupt row.
    Corrupt(String),
    /// The input is refused: every refused value, with its row and field, and optionally a
    /// summary of the whole refusal.
    Rejected {
        rejections: Vec<Rejection>,
        detail: Option<String>,
    },
    /// A value names a record that conflicts with one recorded (a unique identifier taken).
    Conflict(String),
    /// A parameter of the request (not of its body) cannot be answered for: `name` and why.
    BadParameter { name: String, detail: String },
}

impl StoreError {
    /// A refusal of one field of a single record.
    pub fn rejected(field: impl Into<String>, detail: impl Into<String>) -> StoreError {
        StoreError::refused(vec![Rejection::at(field, detail)])
    }

    /// A stored value or a write that should not fail did: a fault (500), with what it was.
    pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }

    /// Refusals without a summary.
    pub fn refused(rejections: Vec<Rejection>) -> StoreError {
        StoreError::Rejected {
            rejections,
            detail: None,
        }
    }

    /// Refusals, or `Ok` when there are none.
    pub fn check(rejections: Vec<Rejection>) -> Result<(), StoreError> {
        if rejections.is_empty() {
            Ok(())
        } else {
            Err(StoreError::refused(rejections))
        }
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> StoreError {
        StoreError::Database(error)
    }
}

impl From<crate::db::Unavailable> for StoreError {
    fn from(error: crate::db::Unavailable) -> StoreError {
        StoreError::Unavailable(error.0)
    }
}

impl From<Invalid> for StoreError {
    fn from(invalid: Invalid) -> StoreError {
        StoreError::refused(invalid.0.into_iter().map(Rejection::from).collect())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Database(e) => write!(f, "database: {e}"),
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            StoreError::Corrupt(e) => write!(f, "corrupt stored value: {e}"),
            StoreError::Rejected { rejections, .. } => {
                write!(f, "{} value(s) refused", rejections.len())
            }
            StoreError::Conflict(d) => write!(f, "{d}"),
            StoreError::BadParameter { name, detail } => write!(f, "{name}: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<Vec<FieldError>> for StoreError {
    fn from(errors: Vec<FieldError>) -> StoreError {
        StoreError::refused(errors.into_iter().map(Rejection::from).collect())
    }
}

/// Parses stored text (an id, an enum) or reports the corrupt row.
pub fn parse_stored<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad stored {what} {text:?}")))
}
