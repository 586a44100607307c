//! `oretrace import catalog`: loads facilities, parties or certifications from a JSON array or
//! a CSV file straight into `DATABASE_URL`, with the same checks and upserts as the batch
//! routes, in one transaction, with a progress bar.
//!
//! CSV files have a header row naming the columns below (any order; unknown columns are
//! refused). An empty cell is an absent value. Lists are separated by `;`, identifiers are
//! `scheme:value`, booleans are `true`/`false`.
//!
//! - facilities: `name, kind, mining_scale, minerals, country, subdivision, lat, lon,
//!   operator_party_id, identifiers, cahra, cahra_basis, asm_presence, coexistence_status,
//!   coexistence_signed_on, coexistence_asm_party_ids, coexistence_reference_url, status`
//! - parties: `name, roles, country, identifiers`
//! - certifications: `subject_type, subject_id` or `subject_identifier` (`scheme:value`),
//!   `scheme, level, status, valid_from,
//!   valid_until, certificate_number, assurance_body, evidence_url, evidence_sha256, minerals,
//!   reason, effective_on`

use std::path::Path;
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::error::ApiError;
use crate::http::batch::BatchResult;
use crate::models::audit::Actor;
use crate::models::organisation::{self, OrganisationKind};

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CatalogKind {
    Facilities,
    Parties,
    Certifications,
}

pub const FACILITY_COLUMNS: &[&str] = &[
    "name",
    "kind",
    "mining_scale",
    "minerals",
    "country",
    "subdivision",
    "lat",
    "lon",
    "operator_party_id",
    "identifiers",
    "cahra",
    "cahra_basis",
    "asm_presence",
    "coexistence_status",
    "coexistence_signed_on",
    "coexistence_asm_party_ids",
    "coexistence_reference_url",
    "status",
];
pub const PARTY_COLUMNS: &[&str] = &["name", "roles", "country", "identifiers"];
pub const CERTIFICATION_COLUMNS: &[&str] = &[
    "subject_type",
    "subject_id",
    "subject_identifier",
    "scheme",
    "level",
    "status",
    "valid_from",
    "valid_until",
    "certificate_number",
    "assurance_body",
    "evidence_url",
    "evidence_sha256",
    "minerals",
    "reason",
    "effective_on",
];

impl CatalogKind {
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            CatalogKind::Facilities => FACILITY_COLUMNS,
            CatalogKind::Parties => PARTY_COLUMNS,
            CatalogKind::Certifications => CERTIFICATION_COLUMNS,
        }
    }
}

/// Reads the rows of a JSON array or CSV file (by extension, else by its first character).
pub fn read_rows(kind: CatalogKind, path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_csv = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("csv") => true,
        Some(ext) if ext.eq_ignore_ascii_case("json") => false,
        _ => !text.trim_start().starts_with('['),
    };
    if is_csv {
        csv_rows(kind, &text)
    } else {
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(rows)) => Ok(rows),
            Ok(_) => Err(format!("{}: expected a JSON array of rows", path.display())),
            Err(e) => Err(format!("{}: not valid JSON: {e}", path.display())),
        }
    }
}

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
            for name in [
                "scheme",
                "level",
                "status",
                "valid_from",
                "valid_until",
                "certificate_number",
                "assurance_body",
                "evidence_url",
                "evidence_sha256",
                "reason",
                "effective_on",
            ] {
                let value = take(name).map(Value::String);
                put(&mut row, name, value);
            }
            row.insert(
                "minerals".into(),
                take("minerals").map_or(Value::Array(vec![]), |c| list(&c)),
            );
        }
    }
    Value::Object(row)
}

/// The operator organisation the import is recorded for: `--org`, else the only operator.
pub fn importing_organisation(
    conn: &mut DbConn,
    org: Option<OrganisationId>,
) -> Result<OrganisationId, String> {
    if let Some(id) = org {
        let found = organisation::find(conn, id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("--org: no organisation {id}"))?;
        if found.kind != OrganisationKind::Operator {
            return Err(format!(
                "--org: {} is a purchaser; only operators keep the catalog",
                found.name
            ));
        }
        return Ok(id);
    }
    let operators = organisation::operators(conn).map_err(|e| e.to_string())?;
    match operators.as_slice() {
        [one] => Ok(one.id),
        [] => Err(
            "no operator organisation yet: create one with `oretrace orgs create --kind operator`"
                .into(),
        ),
        _ => Err("several operator organisations: name the one importing with --org".into()),
    }
}

/// Describes a refused file: every error, by row, with its CSV line.
pub fn describe(error: &ApiError, csv: bool) -> String {
    if error.errors.is_empty() {
        return error.detail.clone();
    }
    let mut lines = vec![error.detail.clone()];
    for e in error.errors.iter().take(200) {
        let pointer = e.pointer.clone().unwrap_or_default();
        let row = pointer
            .split('/')
            .nth(1)
            .and_then(|r| r.parse::<usize>().ok());
        let place = match (row, csv) {
            (Some(row), true) => format!("row {row} (line {})", row + 2),
            (Some(row), false) => format!("row {row}"),
            _ => "file".to_owned(),
        };
        lines.push(format!("  {place}: {pointer}: {}", e.detail));
    }
    if error.errors.len() > 200 {
        lines.push(format!("  … and {} more", error.errors.len() - 200));
    }
    lines.join("\n")
}

/// Checks and applies `rows` in one transaction, reporting progress on the terminal.
pub fn run(
    conn: &mut DbConn,
    kind: CatalogKind,
    actor: &Actor,
    rows: Vec<Value>,
    csv: bool,
) -> Result<BatchResult, String> {
    let started = Instant::now();
    let total = rows.len() as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:12} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("checking");
    let outcome = crate::db::write_transaction(conn, |conn| {
        let mut tick = |n: usize| bar.inc(n as u64);
        match kind {
            CatalogKind::Facilities => {
                let parsed = crate::routes::facilities::batch::parse_rows(rows)?;
                bar.set_message("writing");
                crate::routes::facilities::batch::apply(conn, actor, parsed, &mut tick)
            }
            CatalogKind::Parties => {
                let parsed = crate::routes::parties::batch::parse_rows(rows)?;
                bar.set_message("writing");
                crate::routes::parties::batch::apply(conn, actor, parsed, &mut tick)
            }
            CatalogKind::Certifications => {
                let parsed = crate::routes::certifications::batch::parse_rows(rows)?;
                bar.set_message("writing");
                crate::routes::certifications::batch::apply(conn, actor, parsed, &mut tick)
            }
        }
    });
    match outcome {
        Ok(result) => {
            bar.finish_with_message("done");
            log::info!(
                "imported {total} {kind:?} rows in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(result)
        }
        Err(error) => {
            bar.abandon_with_message("refused");
            Err(format!("nothing was imported: {}", describe(&error, csv)))
        }
    }
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
    }
}
