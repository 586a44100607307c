//! What a use case answers when it cannot: the input is refused, the thing does not exist (or is
//! not the caller's), it conflicts with what is recorded, the caller may not do it, the request
//! is too large, or the store failed. The HTTP edge maps each to its status once
//! (`api::error`); the command line prints it.

use std::fmt;

use crate::domain::validation::Invalid;
use crate::store::{Rejection, StoreError};

#[derive(Debug)]
pub enum AppError {
    /// The input is refused (422 at the HTTP edge): every refused value, and optionally a
    /// summary to use as the problem's `detail`.
    Rejected {
        rejections: Vec<Rejection>,
        detail: Option<String>,
    },
    /// No such thing, or not one the caller may see (404).
    NotFound(String),
    /// It conflicts with what is recorded (409).
    Conflict(String),
    /// The caller may not do this (403).
    Forbidden(String),
    /// More rows than the operation takes (413).
    TooLarge(String),
    /// A parameter of the request (path or query, not the body) is refused (400).
    BadParameter { name: String, detail: String },
    /// The store failed (a database error, a corrupt row, no connection).
    Store(StoreError),
    /// A fault on our side (500): never shown, logged.
    Internal(String),
}

impl AppError {
    /// One refused field of a single record.
    pub fn rejected(field: impl Into<String>, detail: impl Into<String>) -> AppError {
        AppError::Rejected {
            rejections: vec![Rejection::at(field, detail)],
            detail: None,
        }
    }

    /// Refusals with a summary for the whole request.
    pub fn rejected_with(rejections: Vec<Rejection>, detail: impl Into<String>) -> AppError {
        AppError::Rejected {
            rejections,
            detail: Some(detail.into()),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> AppError {
        AppError::NotFound(detail.into())
    }

    pub fn internal(detail: impl fmt::Display) -> AppError {
        AppError::Internal(detail.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::Rejected { rejections, detail } => {
                AppError::Rejected { rejections, detail }
            }
            StoreError::Conflict(detail) => AppError::Conflict(detail),
            StoreError::BadParameter { name, detail } => AppError::BadParameter { name, detail },
            other => AppError::Store(other),
        }
    }
}

impl crate::db::UniqueRace for AppError {
    fn is_unique_race(&self) -> bool {
        matches!(self, AppError::Store(StoreError::Database(error)) if error.is_unique_race())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> AppError {
        AppError::Store(StoreError::Database(error))
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> AppError {
        AppError::from(StoreError::from(invalid))
    }
}

impl From<crate::db::Unavailable> for AppError {
    fn from(error: crate::db::Unavailable) -> AppError {
        AppError::Store(StoreError::from(error))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Rejected { rejections, detail } => {
                if let Some(detail) = detail {
                    write!(f, "{detail}")?;
                } else {
                    write!(f, "{} value(s) refused", rejections.len())?;
                }
                for r in rejections {
                    write!(f, "\n  {}: {}", r.pointer(), r.detail)?;
                }
                Ok(())
            }
            AppError::NotFound(d)
            | AppError::Conflict(d)
            | AppError::Forbidden(d)
            | AppError::TooLarge(d)
            | AppError::Internal(d) => write!(f, "{d}"),
            AppError::BadParameter { name, detail } => write!(f, "{name}: {detail}"),
            AppError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AppError {}
