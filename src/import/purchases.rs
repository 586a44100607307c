//! Parsing a batch of purchase lines from outside input: a JSON array, NDJSON or CSV.
//!
//! Every row is parsed on its own, so that one bad row yields errors naming that row and field
//! (`/17/quantity_value`) while the others are still checked. Nothing here touches the database.
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

use serde_json::Value;

use crate::api::error::FieldError;
use crate::api::http::extract::pointer_of;
use crate::domain::country::CountryCode;
use crate::domain::purchase::{DeclaredShareInput, PurchaseInput};
use crate::domain::quantity::{MassUnit, QuantityInput};
use crate::domain::vocabulary::{Mineral, OriginClass};

/// The largest batch accepted in one request or file.
pub const MAX_ROWS: usize = 100_000;

pub const REQUIRED_COLUMNS: [&str; 6] = [
    "external_ref",
    "supplier_party_id",
    "mineral",
    "quantity_value",
    "quantity_unit",
    "purchased_on",
];
pub const OPTIONAL_COLUMNS: [&str; 2] = ["lot_id", "declared_origin"];

/// The formats a batch may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonArray,
    Ndjson,
    Csv,
}

impl Format {
    /// From a media type (`application/json`, `application/x-ndjson`, `text/csv`…).
    pub fn from_media_type(media_type: &str) -> Option<Format> {
        match media_type {
            "application/json" => Some(Format::JsonArray),
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines" => Some(Format::Ndjson),
            "text/csv" | "application/csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// From a file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::JsonArray),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// One parsed row: its 0-based index and the line or its errors.
pub type ParsedRow = (usize, Result<PurchaseInput, Vec<FieldError>>);

/// Why a whole batch is refused before its rows are looked at.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchError {
    /// The document itself is not well-formed (400).
    Malformed(String),
    /// A header or structural problem (422), with the errors.
    Invalid(Vec<FieldError>),
    /// More rows than [`MAX_ROWS`] (413).
    TooManyRows(usize),
}

/// Parses a whole batch.
pub fn parse(format: Format, body: &[u8]) -> Result<Vec<ParsedRow>, BatchError> {
    let rows = match format {
        Format::JsonArray => parse_json_array(body)?,
        Format::Ndjson => parse_ndjson(body)?,
        Format::Csv => parse_csv(body)?,
    };
    if rows.is_empty() {
        return Err(BatchError::Invalid(vec![FieldError::at(
            "",
            "the batch has no rows",
        )]));
    }
    Ok(rows)
}

fn row_pointer(index: usize, field: &str) -> String {
    if field.is_empty() {
        format!("/{index}")
    } else {
        format!("/{index}/{field}")
    }
}

/// Deserialises one JSON value as a purchase, naming the bad member under `/index`.
fn row_from_value(index: usize, value: Value) -> Result<PurchaseInput, Vec<FieldError>> {
    serde_path_to_error::deserialize::<_, PurchaseInput>(value).map_err(|error| {
        let mut pointer = format!("/{index}{}", pointer_of(error.path()));
        let message = error.inner().to_string();
        for prefix in ["missing field `", "unknown field `"] {
            if let Some(rest) = message.strip_prefix(prefix)
                && let Some(end) = rest.find('`')
            {
                let field = format!("/{}", &rest[..end]);
                if !pointer.ends_with(&field) {
                    pointer.push_str(&field);
                }
            }
        }
        vec![FieldError::at(pointer, message)]
    })
}

fn check_count(count: usize) -> Result<(), BatchError> {
    if count > MAX_ROWS {
        Err(BatchError::TooManyRows(count))
    } else {
        Ok(())
    }
}

fn parse_json_array(body: &[u8]) -> Result<Vec<ParsedRow>, BatchError> {
    let values: Vec<Value> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(values)) => values,
        Ok(_) => {
            return Err(BatchError::Invalid(vec![FieldError::at(
                "",
                "a JSON batch is an array of purchase lines",
            )]));
        }
        Err(e) => {
            return Err(BatchError::Malformed(format!(
                "the body is not valid JSON: {e}"
            )));
        }
    };
    check_count(values.len())?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| (index, row_from_value(index, value)))
        .collect())
}

fn parse_ndjson(body: &[u8]) -> Result<Vec<ParsedRow>, BatchError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| BatchError::Malformed("the body is not valid UTF-8".into()))?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    check_count(lines.len())?;
    Ok(lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let row = match serde_json::from_str::<Value>(line) {
                Ok(value) => row_from_value(index, value),
                Err(e) => Err(vec![FieldError::at(
                    row_pointer(index, ""),
                    format!("line {} is not valid JSON: {e}", index + 1),
                )]),
            };
            (index, row)
        })
        .collect())
}

fn parse_csv(body: &[u8]) -> Result<Vec<ParsedRow>, BatchError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| BatchError::Malformed(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut problems = Vec::new();
    for required in REQUIRED_COLUMNS {
        if !names.iter().any(|n| n == required) {
            problems.push(FieldError::at(
                format!("/columns/{required}"),
                format!("the required column `{required}` is missing"),
            ));
        }
    }
    for (i, name) in names.iter().enumerate() {
        if !REQUIRED_COLUMNS.contains(&name.as_str()) && !OPTIONAL_COLUMNS.contains(&name.as_str())
        {
            problems.push(FieldError::at(
                format!("/columns/{i}"),
                format!("unknown column `{name}`"),
            ));
        }
        if names[..i].contains(name) {
            problems.push(FieldError::at(
                format!("/columns/{i}"),
                format!("the column `{name}` appears twice"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(BatchError::Invalid(problems));
    }
    let column = |name: &str| names.iter().position(|n| n == name);
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        check_count(index + 1)?;
        let row = match record {
            Ok(record) => {
                let get = |name: &str| {
                    column(name)
                        .and_then(|i| record.get(i))
                        .unwrap_or("")
                        .to_owned()
                };
                csv_row(index, &get)
            }
            Err(e) => Err(vec![FieldError::at(
                row_pointer(index, ""),
                format!("row {} cannot be read: {e}", index + 1),
            )]),
        };
        rows.push((index, row));
    }
    Ok(rows)
}

fn csv_row(index: usize, get: &dyn Fn(&str) -> String) -> Result<PurchaseInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut field = |name: &str, result: Result<(), String>| {
        if let Err(detail) = result {
            errors.push(FieldError::at(row_pointer(index, name), detail));
        }
    };
    let supplier = get("supplier_party_id")
        .as_str()
        .parse()
        .map_err(|_| "must be a party id (UUID)".to_owned());
    field(
        "supplier_party_id",
        supplier.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let mineral = get("mineral").as_str().parse::<Mineral>();
    field(
        "mineral",
        mineral.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let value = get("quantity_value")
        .as_str()
        .parse::<f64>()
        .map_err(|_| "must be a number such as 12.5".to_owned());
    field(
        "quantity_value",
        value.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let unit = get("quantity_unit").as_str().parse::<MassUnit>();
    field(
        "quantity_unit",
        unit.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let date = crate::domain::time::parse_date(get("purchased_on").as_str());
    field(
        "purchased_on",
        date.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let lot = match get("lot_id").as_str() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| "must be a lot id (UUID)".to_owned()),
    };
    field("lot_id", lot.as_ref().map(|_| ()).map_err(Clone::clone));
    let origin = match get("declared_origin").as_str() {
        "" => Ok(None),
        text => parse_declared_origin(text).map(Some),
    };
    field(
        "declared_origin",
        origin.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    match (supplier, mineral, value, unit, date, lot, origin) {
        (Ok(supplier), Ok(mineral), Ok(value), Ok(unit), Ok(date), Ok(lot), Ok(origin)) => {
            Ok(PurchaseInput {
                external_ref: get("external_ref"),
                supplier_party_id: supplier,
                mineral,
                quantity: QuantityInput { value, unit },
                purchased_on: date,
                lot_id: lot,
                declared_origin: origin,
            })
        }
        _ => Err(errors),
    }
}

/// `facility:<id>=0.6;recycled=0.3;asm:PE=0.1`
pub fn parse_declared_origin(text: &str) -> Result<Vec<DeclaredShareInput>, String> {
    text.split(';')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (target, share) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: write TARGET=SHARE"))?;
            let share: f64 = share
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: the share must be a number"))?;
            let target = target.trim();
            if let Some(id) = target.strip_prefix("facility:") {
                let id = id
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{part}`: not a facility id"))?;
                return Ok(DeclaredShareInput {
                    facility_id: Some(id),
                    origin_class: None,
                    country: None,
                    share,
                });
            }
            let (class, country) = match target.split_once(':') {
                Some((class, country)) => (class, Some(country.trim())),
                None => (target, None),
            };
            let class = class
                .trim()
                .parse::<OriginClass>()
                .map_err(|e| format!("`{part}`: the origin class {e}"))?;
            let country = country
                .map(|c| c.parse::<CountryCode>())
                .transpose()
                .map_err(|e| format!("`{part}`: the country {e}"))?;
            Ok(DeclaredShareInput {
                facility_id: None,
                origin_class: Some(class),
                country,
                share,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPLIER: &str = "0193c3a0-0000-7000-8000-000000000001";

    #[test]
    fn csv_rows_parse_with_origins() {
        let body = format!(
            "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin\n\
             A-1,{SUPPLIER},gold,12.5,kg,2026-03-14,asm:PE=0.6;recycled=0.4\n\
             A-2,{SUPPLIER},tin,3,t,2026-03-15,\n"
        );
        let rows = parse(Format::Csv, body.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        let first = rows[0].1.as_ref().unwrap();
        assert_eq!(first.external_ref, "A-1");
        assert_eq!(first.declared_origin.as_ref().unwrap().len(), 2);
        assert!(rows[1].1.as_ref().unwrap().declared_origin.is_none());
    }

    #[test]
    fn csv_errors_name_row_and_column() {
        let body = format!(
            "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on\n\
             A-1,{SUPPLIER},gold,12.5,kg,2026-03-14\n\
             A-2,not-an-id,unobtainium,abc,lb,2026-02-30\n"
        );
        let rows = parse(Format::Csv, body.as_bytes()).unwrap();
        assert!(rows[0].1.is_ok());
        let errors = rows[1].1.as_ref().unwrap_err();
        let pointers: Vec<&str> = errors.iter().filter_map(|e| e.pointer.as_deref()).collect();
        assert_eq!(
            pointers,
            vec![
                "/1/supplier_party_id",
                "/1/mineral",
                "/1/quantity_value",
                "/1/quantity_unit",
                "/1/purchased_on"
            ]
        );
    }

    #[test]
    fn csv_headers_are_checked() {
        let missing = "external_ref,mineral\nA,gold\n";
        let BatchError::Invalid(errors) = parse(Format::Csv, missing.as_bytes()).unwrap_err()
        else {
            panic!("expected 422");
        };
        assert!(
            errors
                .iter()
                .any(|e| e.pointer.as_deref() == Some("/columns/quantity_value"))
        );
        let unknown = format!("{},colour\n", REQUIRED_COLUMNS.join(","));
        assert!(matches!(
            parse(Format::Csv, unknown.as_bytes()),
            Err(BatchError::Invalid(_))
        ));
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
        assert!(
            errors[0].pointer.as_deref().unwrap().starts_with("/1/"),
            "{errors:?}"
        );
        let ndjson = format!("{good}\n\n{{oops\n");
        let rows = parse(Format::Ndjson, ndjson.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1].1.as_ref().unwrap_err()[0].pointer.as_deref(),
            Some("/1")
        );
        assert!(matches!(
            parse(Format::JsonArray, b"{}"),
            Err(BatchError::Invalid(_))
        ));
        assert!(matches!(
            parse(Format::JsonArray, b"[1,"),
            Err(BatchError::Malformed(_))
        ));
        assert!(matches!(
            parse(Format::JsonArray, b"[]"),
            Err(BatchError::Invalid(_))
        ));
    }

    #[test]
    fn declared_origin_syntax() {
        let shares = parse_declared_origin(
            "facility:0193c3a0-0000-7000-8000-000000000002=0.5; lsm:CD = 0.25 ;unknown=0.25",
        )
        .unwrap();
        assert_eq!(shares.len(), 3);
        assert!(shares[0].facility_id.is_some());
        assert_eq!(shares[1].country.unwrap().as_str(), "CD");
        for bad in ["asm", "asm=x", "gold=1", "asm:ZZ=1", "facility:nope=1"] {
            assert!(parse_declared_origin(bad).is_err(), "{bad}");
        }
    }
}
