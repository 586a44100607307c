//! `oretrace import purchases`: the same parsing, validation and all-or-none write as the
//! batch route, from a file, with a progress bar on the terminal.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::app::AppError;
use crate::app::purchases::batch;
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::purchase::PurchaseLine;

/// What an import did.
#[derive(Serialize)]
pub struct ImportResult {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} rows ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// `oretrace import purchases --org ID FILE`: writes the file's `lines` (read by
/// [`super::purchases::read`]) for the organisation, all or none, in one transaction on `conn`.
pub fn import(
    conn: &mut DbConn,
    org: OrganisationId,
    file: &Path,
    lines: &[(usize, PurchaseLine)],
) -> Result<ImportResult, String> {
    let rows = lines.len();
    let progress = bar(rows as u64, "importing");
    let name = file.display().to_string();
    let report = crate::db::write_transaction(conn, |conn| {
        batch::import_file(conn, org, lines, &name, &|done| {
            progress.set_position(done as u64)
        })
    })
    .map_err(|error| match error {
        AppError::Rejected { rejections, .. } => super::purchases::describe(&rejections),
        other => other.to_string(),
    })?;
    progress.finish_with_message("imported");
    Ok(ImportResult {
        rows,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
    })
}
