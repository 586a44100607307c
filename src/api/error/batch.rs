//! A batch's refusals as one problem.

use super::{ApiError, FieldError};

/// At most this many refused values are listed in one problem.
pub const MAX_LISTED_ERRORS: usize = 1000;

/// Refusals become one 422 naming every refused value by pointer; the only place a row index is
/// written into a pointer. A batch's refusals (those with a row) share one shape, whatever the
/// kind of batch: the row index first in each pointer (`/17/country`), the row counted from 1 in
/// each detail (`row 18: …`, as a spreadsheet numbers it), at most [`MAX_LISTED_ERRORS`] listed,
/// and a summary that says nothing was written.
pub fn rejected(rejections: Vec<crate::store::Rejection>, detail: Option<String>) -> ApiError {
    let in_batch = rejections.iter().any(|r| r.row.is_some());
    let total = rejections.len();
    let errors: Vec<FieldError> = rejections
        .into_iter()
        .take(MAX_LISTED_ERRORS)
        .map(|r| {
            let detail = match r.row {
                Some(row) => format!("row {}: {}", row + 1, r.detail),
                None => r.detail.clone(),
            };
            match r.cell {
                Some(cell) => FieldError::in_cell(cell, detail),
                None => FieldError::at(r.pointer(), detail),
            }
        })
        .collect();
    let mut error = ApiError::validation(errors);
    if in_batch {
        error.detail = format!(
            "{total} error(s) in the batch; nothing was written{}",
            if total > MAX_LISTED_ERRORS {
                format!(" (the first {MAX_LISTED_ERRORS} are listed)")
            } else {
                String::new()
            }
        );
    }
    if let Some(detail) = detail {
        error.detail = detail;
    }
    error
}
