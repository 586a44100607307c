//! A batch of purchase lines from outside input — a JSON array, NDJSON or CSV — parsed and
//! validated row by row, so that one bad row yields refusals naming that row and field
//! (`/17/quantity_value`) while the others are still checked. Nothing here touches the
//! database; the HTTP route and `oretrace import purchases` both read their bodies through it.
//!
//! ## CSV columns
//!
//! A header row names the columns, in any order. Required: `external_ref`, `supplier_party_id`,
//! `mineral`, `quantity_value`, `quantity_unit` (g, kg, t, troy_oz), `purchased_on`
//! (YYYY-MM-DD). Optional: `lot_id`, `declared_origin`. Unknown columns are refused, so that a
//! misspelt column is not silently ignored.
//!
//! `declared_origin` lists shares separated by `;`, each `TARGET=SHARE`, where TARGET is
//! `facility:<facility id>`, or an origin class (`asm`, `lsm`, `recycled`, `unknown`) optionally
//! followed by `:<country>`: `facility:0193…=0.6;recycled=0.3;asm:PE=0.1`. Empty: unknown origin.

use super::input::PurchaseInput;
use crate::app::batch::limits::PURCHASE_ROWS;
use crate::domain::purchase::PurchaseLine;
use crate::store::Rejection;

mod csv;
mod json;

pub use csv::{OPTIONAL_COLUMNS, REQUIRED_COLUMNS, parse_declared_origin};

/// The formats a batch may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonArray,
    Ndjson,
    Csv,
}

/// One parsed row: its 0-based index and the line, or its refusals (each in that row).
pub type ParsedRow = (usize, Result<PurchaseInput, Vec<Rejection>>);

/// Why a batch is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// The document itself is not well-formed.
    Malformed(String),
    /// Values are refused: rows' fields, or the document's structure (its columns, no rows).
    Refused(Vec<Rejection>),
    /// More rows than [`PURCHASE_ROWS`]: at least this many.
    TooManyRows(usize),
}

/// Parses a whole batch into rows.
pub fn parse(format: Format, body: &[u8]) -> Result<Vec<ParsedRow>, BodyError> {
    let rows = match format {
        Format::JsonArray => json::parse_array(body)?,
        Format::Ndjson => json::parse_lines(body)?,
        Format::Csv => csv::parse(body)?,
    };
    if rows.is_empty() {
        return Err(BodyError::Refused(vec![Rejection::at(
            "",
            "the batch has no rows",
        )]));
    }
    Ok(rows)
}

/// Parses and validates a whole batch: its lines with their row index, or every refused row
/// and field.
pub fn lines(format: Format, body: &[u8]) -> Result<Vec<(usize, PurchaseLine)>, BodyError> {
    let rows = parse(format, body)?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut rejections = Vec::new();
    for (index, row) in rows {
        let input = match row {
            Ok(input) => input,
            Err(refused) => {
                rejections.extend(refused);
                continue;
            }
        };
        match input.line() {
            Ok(line) => lines.push((index, line)),
            Err(invalid) => rejections.extend(invalid.0.into_iter().map(|error| {
                let field = error.pointer.unwrap_or_default();
                let field = match format {
                    Format::Csv => csv::column_of(&field),
                    Format::JsonArray | Format::Ndjson => field,
                };
                Rejection::in_row(index, field, error.detail)
            })),
        }
    }
    if rejections.is_empty() {
        Ok(lines)
    } else {
        Err(BodyError::Refused(rejections))
    }
}

fn check_count(count: usize) -> Result<(), BodyError> {
    if count > PURCHASE_ROWS {
        Err(BodyError::TooManyRows(count))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPLIER: &str = "0193c3a0-0000-7000-8000-000000000001";

    fn pointers(rejections: &[Rejection]) -> Vec<String> {
        rejections.iter().map(Rejection::pointer).collect()
    }

    #[test]
    fn json_and_ndjson_rows_carry_their_index() {
        let good = format!(
            r#"{{"external_ref":"A","supplier_party_id":"{SUPPLIER}","mineral":"gold","quantity":{{"value":1,"unit":"kg"}},"purchased_on":"2026-01-01"}}"#
        );
        let bad = r#"{"external_ref":"B","mineral":"gold"}"#;
        let array = format!("[{good},{bad}]");
        let rows = parse(Format::JsonArray, array.as_bytes()).unwrap();
        assert!(rows[0].1.is_ok());
        let errors = rows[1].1.as_ref().unwrap_err();
        assert!(errors[0].pointer().starts_with("/1/"), "{errors:?}");
        assert_eq!(errors[0].row, Some(1));
        let ndjson = format!("{good}\n\n{{oops\n");
        let rows = parse(Format::Ndjson, ndjson.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(pointers(rows[1].1.as_ref().unwrap_err()), ["/1"]);
        assert!(matches!(
            parse(Format::JsonArray, b"{}"),
            Err(BodyError::Refused(_))
        ));
        assert!(matches!(
            parse(Format::JsonArray, b"[1,"),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            parse(Format::JsonArray, b"[]"),
            Err(BodyError::Refused(_))
        ));
    }

    #[test]
    fn lines_name_every_bad_row_and_field_csv_by_column() {
        let body = format!(
            "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin\n\
             A-1,{SUPPLIER},gold,12.5,kg,2026-03-14,asm=0.5\n\
             A-2,{SUPPLIER},gold,-1,kg,2026-03-14,\n\
             A-3,{SUPPLIER},gold,1,kg,2026-03-14,\n"
        );
        let Err(BodyError::Refused(refused)) = lines(Format::Csv, body.as_bytes()) else {
            panic!("expected refusals");
        };
        assert_eq!(
            pointers(&refused),
            ["/0/declared_origin", "/1/quantity_value"]
        );
        let json = format!(
            r#"[{{"external_ref":"A","supplier_party_id":"{SUPPLIER}","mineral":"gold","quantity":{{"value":-1,"unit":"kg"}},"purchased_on":"2026-01-01"}}]"#
        );
        let Err(BodyError::Refused(refused)) = lines(Format::JsonArray, json.as_bytes()) else {
            panic!("expected refusals");
        };
        assert_eq!(pointers(&refused), ["/0/quantity/value"]);
    }
}

/// Whatever bytes arrive, parsing a batch answers rows or a refusal, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{Format, parse, parse_declared_origin};
    use crate::domain::test_strategies::{csv_cell, json_value, tricky_text};

    const CSV_HEADER: &str = "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn batch_bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for format in [Format::JsonArray, Format::Ndjson, Format::Csv] {
                let _ = parse(format, &bytes);
            }
        }

        #[test]
        fn csv_batches_with_a_header_never_panic(
            rows in proptest::collection::vec(proptest::collection::vec(csv_cell(), 0..9), 0..12),
        ) {
            let mut body = String::from(CSV_HEADER);
            body.push('\n');
            for row in &rows {
                body.push_str(&row.join(","));
                body.push('\n');
            }
            let _ = parse(Format::Csv, body.as_bytes());
        }

        #[test]
        fn json_and_ndjson_rows_never_panic(
            values in proptest::collection::vec(json_value(), 0..8),
        ) {
            let array = serde_json::Value::Array(values.clone()).to_string();
            let _ = parse(Format::JsonArray, array.as_bytes());
            let lines: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let _ = parse(Format::Ndjson, lines.join("\n").as_bytes());
        }

        #[test]
        fn declared_origins_never_panic(text in tricky_text()) {
            let _ = parse_declared_origin(&text);
        }
    }
}
