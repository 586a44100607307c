//! What the audit trail keeps of purchases: a line changed by a re-send (its external ref), a
//! batch (its counts, and the file it came from), a reversal (the deleted line whole).

use crate::app::batch::BatchReport;
use crate::db::DbConn;
use crate::domain::ids::PurchaseId;
use crate::store::StoreError;
use crate::store::audit::{self, Actor};
use crate::store::purchase::PurchaseRecord;

/// How a batch arrived.
#[derive(Clone, Copy, Debug)]
pub enum Via<'a> {
    /// `POST /v1/purchases/batch`.
    Api,
    /// `oretrace import purchases` with this file.
    File(&'a str),
}

pub(super) fn updated(
    conn: &mut DbConn,
    actor: &Actor,
    record: &PurchaseRecord,
) -> Result<(), StoreError> {
    audit::record(
        conn,
        actor,
        "update",
        "purchase",
        &record.id.to_string(),
        &serde_json::json!({"external_ref": record.external_ref}),
    )?;
    Ok(())
}

pub(super) fn batch(
    conn: &mut DbConn,
    actor: &Actor,
    report: &BatchReport<PurchaseId>,
    via: Via<'_>,
) -> Result<String, StoreError> {
    let mut changes = serde_json::json!({
        "rows": report.rows.len(), "created": report.created,
        "updated": report.updated, "unchanged": report.unchanged,
    });
    if let Via::File(file) = via {
        changes["via"] = "cli".into();
        changes["file"] = file.into();
    }
    let batch_id = uuid::Uuid::now_v7().to_string();
    audit::record(conn, actor, "batch", "purchase_batch", &batch_id, &changes)?;
    Ok(batch_id)
}

pub(super) fn deleted(
    conn: &mut DbConn,
    actor: &Actor,
    id: PurchaseId,
    line: &serde_json::Value,
) -> Result<(), StoreError> {
    audit::record(conn, actor, "delete", "purchase", &id.to_string(), line)?;
    Ok(())
}
