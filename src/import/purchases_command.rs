//! `oretrace import purchases`: the same parsing, validation and all-or-none write as the
//! batch routes, from a file, with a progress bar on the terminal.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::purchases::Format;
use crate::api::error::ApiError;
use crate::api::startup::migrate_with_retry;
use crate::config::Config;
use crate::db::ConnectionManager;
use crate::domain::ids::OrganisationId;
use crate::store::audit::{self, Actor};
use crate::store::{organisation, purchase};

/// What an import did.
#[derive(Serialize)]
pub struct ImportResult {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Describes a refused import: the problem's detail and each named field.
fn describe(error: &ApiError) -> String {
    let mut text = error.detail.clone();
    for field in &error.errors {
        let place = field
            .pointer
            .as_deref()
            .or(field.parameter.as_deref())
            .unwrap_or("");
        text.push_str(&format!("\n  {place}: {}", field.detail));
    }
    text
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

/// `oretrace import purchases --org ID FILE`.
pub fn import(config: &Config, org: OrganisationId, file: &Path) -> Result<ImportResult, String> {
    let format = Format::from_path(file).ok_or_else(|| {
        format!(
            "{}: use a .csv, .ndjson, .jsonl or .json file",
            file.display()
        )
    })?;
    let body = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let lines =
        crate::api::routes::purchases::parse_batch(format, &body).map_err(|e| describe(&e))?;
    let rows = lines.len();
    migrate_with_retry(config, std::time::Duration::from_secs(5))?;
    let mut conn =
        ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout)
            .establish()
            .map_err(|e| format!("cannot connect to {}: {e}", config.database_url))?;
    let progress = bar(rows as u64, "importing");
    let counts = crate::db::write_transaction(&mut conn, |conn| {
        organisation::find(conn, org)?
            .ok_or_else(|| ApiError::not_found(format!("no organisation {org}")))?;
        let counts =
            purchase::apply_batch(conn, org, &lines, &|done| progress.set_position(done as u64))?;
        audit::record(
            conn,
            &Actor::cli(org),
            "batch",
            "purchase_batch",
            &uuid::Uuid::now_v7().to_string(),
            &serde_json::json!({"rows": rows, "created": counts.created, "updated": counts.updated,
                                "unchanged": counts.unchanged, "via": "cli", "file": file.display().to_string()}),
        )?;
        Ok::<_, ApiError>(counts)
    })
    .map_err(|e| describe(&e))?;
    progress.finish_with_message("imported");
    Ok(ImportResult {
        rows,
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
    })
}
