//! Deleting a purchase (an ERP reversal): its origin rows leave the rollup, and the audit trail
//! keeps the deleted line whole.

use super::{audit, read, rollup};
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::PurchaseId;
use crate::store::audit::Actor;
use crate::store::mix_rollup::Deltas;
use crate::store::purchase::{PurchaseRecord, write};

/// Deletes the actor's organisation's purchase `id` (another organisation's is not found).
/// `as_recorded` gives what the audit trail keeps of the deleted line: its representation.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: PurchaseId,
    as_recorded: impl FnOnce(PurchaseRecord) -> Result<serde_json::Value, serde_json::Error>,
) -> Result<(), AppError> {
    let organisation = actor.organisation_id;
    let record = read::get(conn, organisation, id)?;
    crate::app::webhooks::sweep::request(conn, organisation)?;
    let mut deltas = Deltas::default();
    rollup::subtract_stored(conn, organisation, &[id], &mut deltas)?;
    deltas.apply(conn, organisation)?;
    write::delete(conn, organisation, id)?;
    let line = as_recorded(record).map_err(AppError::internal)?;
    audit::deleted(conn, actor, id, &line)?;
    Ok(())
}
