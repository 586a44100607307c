//! CSV files as JSON rows shaped like the API's bodies: lists split on `;`, identifiers
//! `scheme:value`, numbers and booleans typed, empty cells absent.

use serde_json::{Map, Value, json};

use super::CatalogKind;

fn list(cell: &str) -> Value {
    Value::Array(
        cell.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_owned()))
            .collect(),
    )
}

fn identifiers(cell: &str) -> Value {
    Value::Array(
        cell.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.split_once(':') {
                Some((scheme, value)) => json!({"scheme": scheme.trim(), "value": value.trim()}),
                None => json!({"scheme": s, "value": ""}),
            })
            .collect(),
    )
}

/// A cell that should hold a number or boolean: the parsed value, or the text itself so that
/// the row's checks name it.
fn typed(cell: &str) -> Value {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" => Value::Bool(true),
        "false" | "no" => Value::Bool(false),
        _ => serde_json::from_str::<serde_json::Number>(cell)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(cell.to_owned())),
    }
}

/// Parses a CSV file into JSON rows shaped like the API's bodies.
pub fn csv_rows(kind: CatalogKind, text: &str) -> Result<Vec<Value>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    for header in &headers {
        if !kind.columns().contains(&header.as_str()) {
            return Err(format!(
                "unknown CSV column `{header}`; the columns are: {}",
                kind.columns().join(", ")
            ));
        }
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("CSV row {i} (line {}): {e}", i + 2))?;
        let cells: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(h, cell)| (h.clone(), Value::String(cell.to_owned())))
            .collect();
        rows.push(shape(kind, cells));
    }
    Ok(rows)
}

fn shape(kind: CatalogKind, mut cells: Map<String, Value>) -> Value {
    let mut take = |name: &str| -> Option<String> {
        cells
            .remove(name)
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    let mut row = Map::new();
    let put = |row: &mut Map<String, Value>, name: &str, value: Option<Value>| {
        if let Some(value) = value {
            row.insert(name.to_owned(), value);
        }
    };
    match kind {
        CatalogKind::Parties => {
            put(&mut row, "name", take("name").map(Value::String));
            row.insert(
                "roles".into(),
                take("roles").map_or(Value::Array(vec![]), |c| list(&c)),
            );
            put(&mut row, "country", take("country").map(Value::String));
            put(
                &mut row,
                "identifiers",
                take("identifiers").map(|c| identifiers(&c)),
            );
        }
        CatalogKind::Facilities => {
            for name in ["name", "kind", "mining_scale", "country", "subdivision"] {
                let value = take(name).map(Value::String);
                put(&mut row, name, value);
            }
            row.insert(
                "minerals".into(),
                take("minerals").map_or(Value::Array(vec![]), |c| list(&c)),
            );
            match (take("lat"), take("lon")) {
                (None, None) => {}
                (lat, lon) => {
                    let mut location = Map::new();
                    put(&mut location, "lat", lat.map(|c| typed(&c)));
                    put(&mut location, "lon", lon.map(|c| typed(&c)));
                    row.insert("location".into(), Value::Object(location));
                }
            }
            for name in ["operator_party_id", "cahra_basis", "status"] {
                let value = take(name).map(Value::String);
                put(&mut row, name, value);
            }
            put(
                &mut row,
                "identifiers",
                take("identifiers").map(|c| identifiers(&c)),
            );
            put(&mut row, "cahra", take("cahra").map(|c| typed(&c)));
            put(
                &mut row,
                "asm_presence",
                take("asm_presence").map(|c| typed(&c)),
            );
            let status = take("coexistence_status");
            let signed_on = take("coexistence_signed_on");
            let parties = take("coexistence_asm_party_ids");
            let url = take("coexistence_reference_url");
            if status.is_some() || signed_on.is_some() || parties.is_some() || url.is_some() {
                let mut agreement = Map::new();
                put(&mut agreement, "status", status.map(Value::String));
                put(&mut agreement, "signed_on", signed_on.map(Value::String));
                put(&mut agreement, "asm_party_ids", parties.map(|c| list(&c)));
                put(&mut agreement, "reference_url", url.map(Value::String));
                row.insert("coexistence_agreement".into(), Value::Object(agreement));
            }
        }
        CatalogKind::Certifications => {
            let subject_type = take("subject_type");
            let subject_id = take("subject_id");
            let subject_identifier = take("subject_identifier");
            if subject_type.is_some() || subject_id.is_some() || subject_identifier.is_some() {
                let mut subject = Map::new();
                put(&mut subject, "type", subject_type.map(Value::String));
                put(&mut subject, "id", subject_id.map(Value::String));
                put(
                    &mut subject,
                    "identifier",
                    subject_identifier.map(Value::String),
                );
                row.insert("subject".into(), Value::Object(subject));
            }
            row.insert(
                "minerals".into(),
                take("minerals").map_or(Value::Array(vec![]), |c| list(&c)),
            );
            // Every other column is a text member of the same name.
            row.extend(std::mem::take(&mut cells));
        }
    }
    Value::Object(row)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_take_the_shape_of_api_bodies() {
        let text = "name,kind,mining_scale,minerals,country,lat,lon,identifiers,cahra,cahra_basis\n\
                    Mina A,mine,asm,gold;silver,PE,-13.1,-70.2,mining_title:T-1,true,EU list\n\
                    Smelter B,smelter,,tin,ID,,,rmi_cid:CID000001;os_id:X,,\n";
        let rows = csv_rows(CatalogKind::Facilities, text).unwrap();
        assert_eq!(
            rows[0],
            json!({"name": "Mina A", "kind": "mine", "mining_scale": "asm",
                   "minerals": ["gold", "silver"], "country": "PE",
                   "location": {"lat": -13.1, "lon": -70.2},
                   "identifiers": [{"scheme": "mining_title", "value": "T-1"}],
                   "cahra": true, "cahra_basis": "EU list"})
        );
        assert_eq!(
            rows[1]["identifiers"],
            json!([{"scheme": "rmi_cid", "value": "CID000001"}, {"scheme": "os_id", "value": "X"}])
        );
        assert!(rows[1].get("location").is_none());
        assert!(csv_rows(CatalogKind::Parties, "name,colour\nx,red\n").is_err());
    }

    #[test]
    fn certification_rows_nest_their_subject() {
        let text = "subject_type,subject_id,scheme,status,valid_from,minerals\n\
                    facility,0193c3a0-0000-7000-8000-000000000000,craft,active,2026-01-01,gold\n";
        let rows = csv_rows(CatalogKind::Certifications, text).unwrap();
        assert_eq!(
            rows[0]["subject"],
            json!({"type": "facility", "id": "0193c3a0-0000-7000-8000-000000000000"})
        );
        assert_eq!(rows[0]["minerals"], json!(["gold"]));
        assert_eq!(rows[0]["scheme"], "craft");
        assert_eq!(rows[0]["valid_from"], "2026-01-01");
    }
}

/// Whatever text arrives, reading a catalog CSV answers rows or a refusal, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{CatalogKind, csv_rows};
    use crate::domain::test_strategies::csv_cell;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn catalog_csv_never_panics(text in any::<String>(), cells in proptest::collection::vec(csv_cell(), 0..20)) {
            for kind in [CatalogKind::Facilities, CatalogKind::Parties, CatalogKind::Certifications] {
                let _ = csv_rows(kind, &text);
                let header = kind.columns().join(",");
                let _ = csv_rows(kind, &format!("{header}\n{}\n", cells.join(",")));
            }
        }
    }
}
