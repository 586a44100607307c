//! CSV batches: the columns, each row turned into a purchase line, and the `declared_origin`
//! cell's syntax (see the module above).

use super::{BodyError, ParsedRow, check_count};
use crate::app::purchases::input::{DeclaredShareInput, PurchaseInput};
use crate::domain::country::CountryCode;
use crate::domain::quantity::{MassUnit, QuantityInput};
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::Rejection;

pub const REQUIRED_COLUMNS: [&str; 6] = [
    "external_ref",
    "supplier_party_id",
    "mineral",
    "quantity_value",
    "quantity_unit",
    "purchased_on",
];
pub const OPTIONAL_COLUMNS: [&str; 2] = ["lot_id", "declared_origin"];

/// The CSV column that holds a member of a line: `/quantity/value` is `/quantity_value`, and
/// anything inside the declared origin is the `declared_origin` cell.
pub(super) fn column_of(member: &str) -> String {
    if member.starts_with("/declared_origin/") {
        return "/declared_origin".to_owned();
    }
    member
        .replace("/quantity/value", "/quantity_value")
        .replace("/quantity/unit", "/quantity_unit")
}

/// A CSV document: a header row, then one line per row.
pub(super) fn parse(body: &[u8]) -> Result<Vec<ParsedRow>, BodyError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| BodyError::Malformed(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut problems = Vec::new();
    for required in REQUIRED_COLUMNS {
        if !names.iter().any(|n| n == required) {
            problems.push(Rejection::at(
                format!("/columns/{required}"),
                format!("the required column `{required}` is missing"),
            ));
        }
    }
    for (i, name) in names.iter().enumerate() {
        if !REQUIRED_COLUMNS.contains(&name.as_str()) && !OPTIONAL_COLUMNS.contains(&name.as_str())
        {
            problems.push(Rejection::at(
                format!("/columns/{i}"),
                format!("unknown column `{name}`"),
            ));
        }
        if names[..i].contains(name) {
            problems.push(Rejection::at(
                format!("/columns/{i}"),
                format!("the column `{name}` appears twice"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(BodyError::Refused(problems));
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
            Err(e) => Err(vec![Rejection::in_row(
                index,
                "",
                format!("row {} cannot be read: {e}", index + 1),
            )]),
        };
        rows.push((index, row));
    }
    Ok(rows)
}

fn csv_row(index: usize, get: &dyn Fn(&str) -> String) -> Result<PurchaseInput, Vec<Rejection>> {
    let mut errors = Vec::new();
    let mut field = |name: &str, result: Result<(), String>| {
        if let Err(detail) = result {
            errors.push(Rejection::in_row(index, format!("/{name}"), detail));
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

/// Reads the CSV `declared_origin` cell: `facility:<id>=0.6;recycled=0.3;asm:PE=0.1`.
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
    use crate::app::purchases::batch_body::{Format, parse as parse_body};

    const SUPPLIER: &str = "0193c3a0-0000-7000-8000-000000000001";

    #[test]
    fn csv_rows_parse_with_origins() {
        let body = format!(
            "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin\n\
             A-1,{SUPPLIER},gold,12.5,kg,2026-03-14,asm:PE=0.6;recycled=0.4\n\
             A-2,{SUPPLIER},tin,3,t,2026-03-15,\n"
        );
        let rows = parse_body(Format::Csv, body.as_bytes()).unwrap();
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
        let rows = parse_body(Format::Csv, body.as_bytes()).unwrap();
        assert!(rows[0].1.is_ok());
        let errors = rows[1].1.as_ref().unwrap_err();
        let pointers: Vec<String> = errors.iter().map(Rejection::pointer).collect();
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
        let BodyError::Refused(errors) = parse_body(Format::Csv, missing.as_bytes()).unwrap_err()
        else {
            panic!("expected 422");
        };
        assert!(
            errors
                .iter()
                .any(|e| e.row.is_none() && e.field == "/columns/quantity_value")
        );
        let unknown = format!("{},colour\n", REQUIRED_COLUMNS.join(","));
        assert!(matches!(
            parse_body(Format::Csv, unknown.as_bytes()),
            Err(BodyError::Refused(_))
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
