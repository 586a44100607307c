//! Importing a supplier's workbook: read and checked outside any transaction (it is CPU work),
//! then recorded in one transaction: the same workbook again changes nothing, a newer one
//! supersedes the current declaration of that supplier and template (which is kept), an older
//! one is kept as already superseded.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::declaration::{self, Finding, Reading};
use crate::domain::ids::{DeclarationId, PartyId};
use crate::domain::time;
use crate::store::Rejection;
use crate::store::audit::{self, Actor};
use crate::store::declaration::{self as stored, StoredDeclaration};
use crate::store::party;

use super::workbook::{self, Unreadable};

/// The largest workbook taken (the filled RMI templates weigh 1 to 3 MB).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// A workbook, read and checked.
#[derive(Clone, Debug)]
pub struct Checked {
    pub reading: Reading,
    pub sha256: String,
    pub size_bytes: i64,
}

/// What recording a declaration did.
#[derive(Clone, Debug)]
pub enum Recorded {
    /// A new declaration (current, or already superseded by a newer one received before).
    Created(StoredDeclaration),
    /// The same workbook was received before for this supplier: that declaration.
    Unchanged(StoredDeclaration),
}

fn refused(findings: Vec<Finding>) -> AppError {
    let count = findings.len();
    AppError::rejected_with(
        findings
            .into_iter()
            .map(|f| Rejection::in_cell(f.cell, f.detail))
            .collect(),
        format!("the workbook is not a valid declaration ({count} error(s)); nothing was stored"),
    )
}

/// Reads and checks a workbook's bytes: 422 for a file that is no workbook or an invalid
/// declaration (each error at its cell), 413 for one too large to read.
pub fn check(bytes: &[u8]) -> Result<Checked, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::TooLarge(format!(
            "a workbook may weigh at most {MAX_BYTES} bytes"
        )));
    }
    let book = workbook::open(bytes).map_err(|e| match e {
        Unreadable::NotAWorkbook(detail) => AppError::rejected_with(
            vec![Rejection::in_cell("Declaration!D2", detail.clone())],
            detail,
        ),
        Unreadable::TooLarge(detail) => AppError::TooLarge(detail),
    })?;
    let reading = declaration::read(&book).map_err(refused)?;
    Ok(Checked {
        reading,
        sha256: hex(&Sha256::digest(bytes)),
        size_bytes: bytes.len() as i64,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records a checked workbook as a declaration of `supplier` (a party of the catalog; 422 at
/// `supplier_party_id` otherwise), audited. Takes the organisation's declarations lock first so
/// that two imports of one supplier never both stay current.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    supplier: PartyId,
    file_name: Option<String>,
    checked: Checked,
) -> Result<Recorded, AppError> {
    let organisation = actor.organisation_id;
    crate::db::lock_for_organisation(conn, "declarations", &organisation.to_string())?;
    if party::existing(conn, &[supplier])?.is_empty() {
        return Err(AppError::BadParameter {
            name: "supplier_party_id".to_owned(),
            detail: format!("no party {supplier} in the catalog"),
        });
    }
    let template = checked.reading.declaration.template;
    if let Some(same) =
        stored::find_by_content(conn, organisation, supplier, template, &checked.sha256)?
    {
        return Ok(Recorded::Unchanged(same));
    }
    let now = time::now();
    let mut created = StoredDeclaration {
        id: DeclarationId::generate(),
        organisation_id: organisation,
        supplier_party_id: supplier,
        content_sha256: checked.sha256,
        file_name,
        size_bytes: checked.size_bytes,
        declaration: checked.reading.declaration,
        findings: checked.reading.findings,
        superseded_by: None,
        superseded_at: None,
        received_at: now,
    };
    let current = stored::current_of(conn, organisation, supplier, template)?;
    let mut superseded = None;
    match &current {
        Some(current) if !created.is_newer_than(current) => {
            created.superseded_by = Some(current.id);
            created.superseded_at = Some(now);
        }
        Some(current) => superseded = Some(current.id),
        None => {}
    }
    stored::insert(conn, &created)?;
    if let Some(older) = superseded {
        stored::supersede(conn, organisation, older, created.id, now)?;
    }
    audit::record(
        conn,
        actor,
        "declaration.imported",
        "declaration",
        &created.id.to_string(),
        &json!({
            "supplier_party_id": supplier,
            "template": created.declaration.template,
            "version": created.declaration.version,
            "company_name": created.declaration.company.name,
            "effective_date": created.declaration.company.effective_date,
            "content_sha256": created.content_sha256,
            "file_name": created.file_name,
            "findings": created.findings.len(),
            "smelters": created.declaration.smelters.len(),
            "supersedes": superseded,
            "superseded_by": created.superseded_by,
        }),
    )?;
    Ok(Recorded::Created(created))
}
