//! `oretrace import declarations --org ID DIR`: every workbook of a folder (`.xlsx`, `.xlsm`,
//! `.xls`) imported as a supplier declaration, with a progress bar. Each file is its own
//! transaction (one supplier's bad workbook does not hold back the others) and goes through the
//! same checks as `POST /v1/declarations`. The supplier is `--supplier` for every file, or else
//! the catalog party whose name is the workbook's company name (`Declaration!D8`, case aside).

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::app::AppError;
use crate::app::declarations::import::{self, Recorded};
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PartyId};
use crate::store::audit::Actor;
use crate::store::party;

/// What happened to one file.
#[derive(Serialize)]
pub struct FileResult {
    pub file: String,
    /// `created`, `unchanged` or `refused`.
    pub result: &'static str,
    pub declaration_id: Option<String>,
    /// `complete`, `incomplete` or `superseded`, for a stored declaration.
    pub status: Option<&'static str>,
    /// Why it was refused: each error, with its cell when it has one.
    pub errors: Vec<String>,
}

/// What a folder import did.
#[derive(Serialize)]
pub struct FolderResult {
    pub files: usize,
    pub created: usize,
    pub unchanged: usize,
    pub refused: usize,
    pub results: Vec<FileResult>,
}

/// The workbooks of a folder, by name.
pub fn workbooks(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["xlsx", "xlsm", "xls"].contains(&e.to_ascii_lowercase().as_str())
                })
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("~$"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn errors_of(error: AppError) -> Vec<String> {
    match error {
        AppError::Rejected { rejections, .. } => rejections
            .into_iter()
            .map(|r| match r.cell {
                Some(cell) => format!("{cell}: {}", r.detail),
                None => format!("{}: {}", r.field, r.detail),
            })
            .collect(),
        AppError::BadParameter { name, detail } => vec![format!("{name}: {detail}")],
        other => vec![other.to_string()],
    }
}

fn supplier_of(
    conn: &mut DbConn,
    given: Option<PartyId>,
    company: &str,
) -> Result<PartyId, AppError> {
    if let Some(supplier) = given {
        return Ok(supplier);
    }
    match party::ids_by_name_any_case(conn, company)?.as_slice() {
        [one] => Ok(*one),
        [] => Err(AppError::BadParameter {
            name: "supplier".to_owned(),
            detail: format!(
                "no catalog party is named \"{company}\" (Declaration!D8): pass --supplier"
            ),
        }),
        several => Err(AppError::BadParameter {
            name: "supplier".to_owned(),
            detail: format!(
                "{} catalog parties are named \"{company}\": pass --supplier",
                several.len()
            ),
        }),
    }
}

/// Imports every workbook of `dir` for `org`.
pub fn import_folder(
    conn: &mut DbConn,
    org: OrganisationId,
    supplier: Option<PartyId>,
    dir: &Path,
) -> Result<FolderResult, String> {
    let files = workbooks(dir)?;
    let progress = ProgressBar::new(files.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} workbooks ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    progress.set_message("importing");
    let actor = Actor::cli(org);
    let mut result = FolderResult {
        files: files.len(),
        created: 0,
        unchanged: 0,
        refused: 0,
        results: Vec::new(),
    };
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let outcome = std::fs::read(&path)
            .map_err(|e| AppError::internal(format!("{}: {e}", path.display())))
            .and_then(|bytes| import::check(&bytes))
            .and_then(|checked| {
                crate::db::write_transaction(conn, |conn| {
                    let company = checked.reading.declaration.company.name.clone();
                    let supplier = supplier_of(conn, supplier, &company)?;
                    import::record(conn, &actor, supplier, Some(name.clone()), checked)
                })
            });
        let file = match outcome {
            Ok(recorded) => {
                let (label, d) = match recorded {
                    Recorded::Created(d) => {
                        result.created += 1;
                        ("created", d)
                    }
                    Recorded::Unchanged(d) => {
                        result.unchanged += 1;
                        ("unchanged", d)
                    }
                };
                FileResult {
                    file: name,
                    result: label,
                    declaration_id: Some(d.id.to_string()),
                    status: Some(d.status().as_str()),
                    errors: Vec::new(),
                }
            }
            Err(error) => {
                result.refused += 1;
                FileResult {
                    file: name,
                    result: "refused",
                    declaration_id: None,
                    status: None,
                    errors: errors_of(error),
                }
            }
        };
        result.results.push(file);
        progress.inc(1);
    }
    progress.finish_with_message("imported");
    Ok(result)
}
