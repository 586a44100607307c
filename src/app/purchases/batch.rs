//! Recording a batch of purchase lines, all or none, in the caller's transaction: every row is
//! checked first (an `external_ref` given twice, what each line names), each refusal in its row
//! ([`Rejection::in_row`]); then new lines are inserted set-wise, changed ones replaced,
//! unchanged ones left, and the rollup adjusted once for the whole batch.

use super::audit::{self, Via};
use super::{references, rollup};
use crate::app::AppError;
use crate::app::batch::{BatchReport, Outcome};
use crate::app::webhooks;
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PurchaseId};
use crate::domain::purchase::{PurchaseLine, PurchaseOrigin};
use crate::domain::time;
use crate::domain::webhook::EventType;
use crate::store::audit::Actor;
use crate::store::mix_rollup::Deltas;
use crate::store::purchase::references as stored_references;
use crate::store::purchase::write::{self, PurchaseWrite, content_hash};
use crate::store::{Rejection, StoreError, organisation as organisations};
use std::collections::HashMap;

/// New lines are inserted this many at a time, and progress told after each.
const FLUSH: usize = 2_000;

/// Records a batch for the actor's organisation and audits it (its counts, how it came).
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    lines: &[(usize, PurchaseLine)],
    via: Via<'_>,
    progress: &dyn Fn(usize),
) -> Result<BatchReport<PurchaseId>, AppError> {
    let report = apply(conn, actor.organisation_id, lines, progress)?;
    let batch_id = audit::batch(conn, actor, &report, via)?;
    announce_completed(conn, actor, &report, via, &batch_id)?;
    Ok(report)
}

/// The most changed purchase ids a `purchases.batch_completed` event lists.
const ANNOUNCED_IDS: usize = 1_000;

/// `purchases.batch_completed`: the batch's counts, its audit entry (`entity_id` of the
/// `purchase_batch` audit event), and the purchases it created or changed (the first 1,000).
fn announce_completed(
    conn: &mut DbConn,
    actor: &Actor,
    report: &BatchReport<PurchaseId>,
    via: Via<'_>,
    batch_id: &str,
) -> Result<(), AppError> {
    let changed: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.outcome != Outcome::Unchanged)
        .map(|r| r.id.to_string())
        .collect();
    let mut data = serde_json::json!({
        "batch_id": batch_id,
        "rows": report.rows.len(),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "via": match via { Via::Api => "api", Via::File(_) => "cli" },
        "changed_purchase_ids": changed.iter().take(ANNOUNCED_IDS).collect::<Vec<_>>(),
        "changed_purchase_ids_truncated": changed.len() > ANNOUNCED_IDS,
    });
    if let Some(client) = &actor.client_id {
        data["client_id"] = client.clone().into();
    }
    webhooks::announce(
        conn,
        actor.organisation_id,
        EventType::PurchasesBatchCompleted,
        data,
    )?;
    Ok(())
}

/// `oretrace import purchases`: a file's lines for an organisation named on the command line,
/// which must exist.
pub fn import_file(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: &[(usize, PurchaseLine)],
    file: &str,
    progress: &dyn Fn(usize),
) -> Result<BatchReport<PurchaseId>, AppError> {
    organisations::find(conn, organisation)?
        .ok_or_else(|| AppError::not_found(format!("no organisation {organisation}")))?;
    record(
        conn,
        &Actor::cli(organisation),
        lines,
        Via::File(file),
        progress,
    )
}

/// Every refused row of a batch: an `external_ref` given twice, a record named that does not
/// exist.
fn rejections(
    lines: &[(usize, PurchaseLine)],
    refs: &stored_references::References,
) -> Vec<Rejection> {
    let mut rejections = Vec::new();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (index, line) in lines {
        if let Some(first) = first_seen.insert(&line.external_ref, *index) {
            rejections.push(Rejection::in_row(
                *index,
                "/external_ref",
                format!(
                    "appears twice in this batch (rows {} and {})",
                    first + 1,
                    index + 1
                ),
            ));
        }
    }
    for (index, line) in lines {
        rejections.extend(
            references::problems(line, refs)
                .into_iter()
                .map(|(field, detail)| Rejection::in_row(*index, field, detail)),
        );
    }
    rejections
}

/// Writes a batch of validated lines (row index, line) for `organisation`, without an audit
/// record (the demo seeds through it). `progress` is told how many rows are done.
pub fn apply(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: &[(usize, PurchaseLine)],
    progress: &dyn Fn(usize),
) -> Result<BatchReport<PurchaseId>, AppError> {
    let refs = stored_references::load(conn, organisation, lines.iter().map(|(_, l)| l))?;
    let rejections = rejections(lines, &refs);
    StoreError::check(rejections)?;
    webhooks::sweep::request(conn, organisation)?;
    let external_refs: Vec<&str> = lines.iter().map(|(_, l)| l.external_ref.as_str()).collect();
    let existing = write::existing_by_ref(conn, organisation, &external_refs)?;
    let resolved: Vec<(Vec<PurchaseOrigin>, String)> = lines
        .iter()
        .map(|(_, line)| {
            let origins = references::origin_rows(line, &refs);
            let hash = content_hash(line, &origins);
            (origins, hash)
        })
        .collect();
    // Lines that change a stored purchase: what they said before leaves the rollup first.
    let changed: Vec<PurchaseId> = lines
        .iter()
        .zip(&resolved)
        .filter_map(|((_, line), (_, hash))| {
            let stored = existing.get(&line.external_ref)?;
            (stored.content_hash != *hash).then_some(stored.id)
        })
        .collect();
    let mut deltas = Deltas::default();
    rollup::subtract_stored(conn, organisation, &changed, &mut deltas)?;
    let now = time::now();
    let mut report = BatchReport::default();
    let mut new_lines: Vec<PurchaseWrite<'_>> = Vec::new();
    let mut changed_lines: Vec<PurchaseWrite<'_>> = Vec::new();
    for (done, ((index, line), (origins, hash))) in lines.iter().zip(&resolved).enumerate() {
        let written = |id: PurchaseId| PurchaseWrite {
            id,
            line,
            origins,
            content_hash: hash,
        };
        let (id, outcome) = match existing.get(&line.external_ref) {
            Some(stored) if stored.content_hash == *hash => (stored.id, Outcome::Unchanged),
            Some(stored) => {
                rollup::add(&mut deltas, line, origins);
                changed_lines.push(written(stored.id));
                (stored.id, Outcome::Updated)
            }
            None => {
                let id = PurchaseId::generate();
                rollup::add(&mut deltas, line, origins);
                new_lines.push(written(id));
                (id, Outcome::Created)
            }
        };
        report.push(*index, id, outcome);
        if new_lines.len() >= FLUSH {
            write::insert(conn, organisation, &new_lines, now)?;
            new_lines.clear();
            progress(done + 1);
        }
    }
    write::insert(conn, organisation, &new_lines, now)?;
    write::update_many(conn, organisation, &changed_lines, now)?;
    deltas.apply(conn, organisation)?;
    progress(lines.len());
    Ok(report.finish())
}
