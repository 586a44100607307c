//! `oretrace import catalog`: loads facilities, parties or certifications from a JSON array or
//! a CSV file straight into `DATABASE_URL`, through the same pipeline as the batch routes
//! (`app::catalog::batch`), in one transaction, with a progress bar.
//!
//! CSV files (`import/csv_file.rs`) have a header row naming the columns below (any order; unknown columns are
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

pub use super::csv_file::csv_rows;

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::app::AppError;
use crate::app::batch::{BatchReport, Outcome};
use crate::app::catalog::CatalogKind as Kind;
use crate::app::catalog::batch::{apply, parse_rows};
use crate::app::catalog::certifications::Certifications;
use crate::app::catalog::facilities::Facilities;
use crate::app::catalog::parties::Parties;
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::store::audit::Actor;
use crate::store::organisation::{self, OrganisationKind};

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
pub fn describe(error: &AppError, csv: bool) -> String {
    let AppError::Rejected { rejections, .. } = error else {
        return error.to_string();
    };
    let mut lines = vec![format!(
        "{} error(s) in the file; nothing was written",
        rejections.len()
    )];
    for r in rejections.iter().take(200) {
        let place = match (r.row, csv) {
            (Some(row), true) => format!("row {row} (line {})", row + 2),
            (Some(row), false) => format!("row {row}"),
            _ => "file".to_owned(),
        };
        lines.push(format!("  {place}: {}: {}", r.pointer(), r.detail));
    }
    if rejections.len() > 200 {
        lines.push(format!("  … and {} more", rejections.len() - 200));
    }
    lines.join("\n")
}

/// What an import did, as the command prints it: counts, and each row's record and outcome.
pub fn report_json(report: &BatchReport<uuid::Uuid>) -> Value {
    let rows: Vec<Value> = report
        .rows
        .iter()
        .map(|row| {
            let outcome = match row.outcome {
                Outcome::Created => "created",
                Outcome::Updated => "updated",
                Outcome::Unchanged => "unchanged",
            };
            json!({"index": row.index, "id": row.id, "outcome": outcome})
        })
        .collect();
    json!({
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rows": rows,
    })
}

/// Parses and applies the rows of one kind, telling the bar when writing starts.
fn load<K: Kind>(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<Value>,
    bar: &indicatif::ProgressBar,
) -> Result<BatchReport<uuid::Uuid>, AppError> {
    let parsed = parse_rows::<K>(rows)?;
    bar.set_message("writing");
    apply::<K>(conn, actor, parsed, &mut |n| bar.inc(n as u64))
}

/// Checks and applies `rows` in one transaction, reporting progress on the terminal.
pub fn run(
    conn: &mut DbConn,
    kind: CatalogKind,
    actor: &Actor,
    rows: Vec<Value>,
    csv: bool,
) -> Result<BatchReport<uuid::Uuid>, String> {
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
    let outcome = crate::db::write_transaction(conn, |conn| match kind {
        CatalogKind::Facilities => load::<Facilities>(conn, actor, rows, &bar),
        CatalogKind::Parties => load::<Parties>(conn, actor, rows, &bar),
        CatalogKind::Certifications => load::<Certifications>(conn, actor, rows, &bar),
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
