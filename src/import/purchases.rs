//! Reading a file of purchase lines for `oretrace import purchases`: its format from its
//! extension, its rows parsed and validated by the same code as the batch route
//! (`app::purchases::batch_body`; docs/PURCHASES.md lists the CSV columns).

use std::path::Path;

use crate::app::batch::limits::PURCHASE_ROWS;
use crate::app::purchases::batch_body::{self, BodyError, Format};
use crate::domain::purchase::PurchaseLine;
use crate::store::Rejection;

/// The batch format a file's extension names.
pub fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "json" => Some(Format::JsonArray),
        "ndjson" | "jsonl" => Some(Format::Ndjson),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

/// Describes refused values for the terminal: how many, then each with its pointer and, in a
/// batch, its row counted from 1 (as a spreadsheet numbers it).
pub fn describe(rejections: &[Rejection]) -> String {
    let mut text = format!("{} error(s); nothing was written", rejections.len());
    for r in rejections {
        let row = r
            .row
            .map(|row| format!("row {}: ", row + 1))
            .unwrap_or_default();
        text.push_str(&format!("\n  {}: {row}{}", r.pointer(), r.detail));
    }
    text
}

fn refused(error: BodyError) -> String {
    match error {
        BodyError::Malformed(detail) => detail,
        BodyError::TooManyRows(count) => format!(
            "the file has {count} rows or more; at most {PURCHASE_ROWS} rows per import: split it"
        ),
        BodyError::Refused(rejections) => describe(&rejections),
    }
}

/// The file's lines with their row index, or why the file is refused.
pub fn read(file: &Path) -> Result<Vec<(usize, PurchaseLine)>, String> {
    let format = format_of(file).ok_or_else(|| {
        format!(
            "{}: use a .csv, .ndjson, .jsonl or .json file",
            file.display()
        )
    })?;
    let body = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    batch_body::lines(format, &body).map_err(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions_and_refusals_name_rows_from_one() {
        assert_eq!(format_of(Path::new("a.JSONL")), Some(Format::Ndjson));
        assert_eq!(format_of(Path::new("a.txt")), None);
        let text = refused(BodyError::Refused(vec![Rejection::in_row(
            2, "/mineral", "unknown",
        )]));
        assert!(text.ends_with("/2/mineral: row 3: unknown"), "{text}");
    }
}
