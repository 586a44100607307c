//! Recording custody events: each event of a request is checked against what is recorded
//! (including the events before it in the same request) and written, in order, inside the
//! caller's transaction; any refusal refuses the whole request, every bad field named, and
//! nothing is written. Suspicious events are written and flagged.

mod checks;
mod flags;

use std::collections::HashMap;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{CustodyEventId, LotId, OrganisationId};
use crate::domain::lot::{EventLine, LotAmount};
use crate::domain::provenance::YieldTolerance;
use crate::domain::red_flags::RedFlag;
use crate::domain::vocabulary::CustodyEventType;
use crate::store::audit::{self, Actor};
use crate::store::custody_event::{self, EventFilter, EventLot, EventLots, EventRecord};
use crate::store::lot::{self, LotRecord};
use crate::store::page::PageRequest;
use crate::store::{Rejection, StoreError};

/// An event written, with what looks suspicious about it (accepted, flagged).
#[derive(Clone, Debug)]
pub struct Written {
    pub event: EventRecord,
    pub flags: Vec<RedFlag>,
}

/// The refusal of a request's events: every refused value, and a summary saying that nothing
/// was written.
pub fn refused(rejections: Vec<Rejection>) -> AppError {
    let count = rejections.len();
    AppError::rejected_with(
        rejections,
        format!("{count} error(s) in the events; nothing was written"),
    )
}

/// Records events, in order, all or none, and their audit records.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    lines: &[EventLine],
    tolerance: YieldTolerance,
) -> Result<Vec<Written>, AppError> {
    let written = record_without_audit(conn, actor.organisation_id, lines, tolerance)?;
    let changes: Vec<audit::Change> = written
        .iter()
        .map(|w| audit::Change {
            action: "create",
            entity_type: audit::EntityType::CustodyEvent,
            entity_id: w.event.id.to_string(),
            changes: serde_json::json!({
                "type": w.event.event_type,
                "occurred_on": w.event.occurred_on,
                "flags": w.flags.len(),
            }),
        })
        .collect();
    audit::record_many(conn, actor, &changes)?;
    Ok(written)
}

/// [`record`] without audit records (the demo seeds its chains so).
pub fn record_without_audit(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: &[EventLine],
    tolerance: YieldTolerance,
) -> Result<Vec<Written>, AppError> {
    // The checks read the lots and their graph, then insert: two transactions of the same
    // organisation running them side by side under READ COMMITTED could each pass ("not
    // produced yet", "no cycle") and both write. One at a time per organisation, locked before
    // anything is read; the unique index on a lot's producer backs the first check up in the
    // schema itself.
    crate::db::lock_for_organisation(conn, "custody_events", &organisation.to_string())?;
    crate::app::webhooks::sweep::request(conn, organisation)?;
    let mut refusals: Vec<Rejection> = Vec::new();
    let mut written = Vec::with_capacity(lines.len());
    let mut refs_in_batch: HashMap<&str, &str> = HashMap::new();
    for line in lines {
        if let Some(r) = &line.external_ref
            && let Some(first) = refs_in_batch.insert(r, &line.base)
        {
            refusals.push(Rejection::at(
                format!("{}/external_ref", line.base),
                format!("the same external_ref as {first}"),
            ));
            continue;
        }
        match record_one(conn, organisation, line, tolerance) {
            Ok(w) => written.push(w),
            Err(AppError::Rejected { mut rejections, .. }) => refusals.append(&mut rejections),
            Err(other) => return Err(other),
        }
    }
    if refusals.is_empty() {
        Ok(written)
    } else {
        Err(refused(refusals))
    }
}

/// Checks one event against what is recorded and writes it; its refusals are
/// [`AppError::Rejected`].
fn record_one(
    conn: &mut DbConn,
    organisation: OrganisationId,
    line: &EventLine,
    tolerance: YieldTolerance,
) -> Result<Written, AppError> {
    let found = checks::references(conn, organisation, line)?;
    checks::history(conn, organisation, line, &found)?;
    let lots = EventLots {
        transferred: amounts(&line.lots, &found),
        inputs: amounts(&line.inputs, &found),
        outputs: amounts(&line.outputs, &found),
    };
    let id = line.id.unwrap_or_else(CustodyEventId::generate);
    custody_event::insert(conn, organisation, id, line, &lots)?;
    let produced: Vec<LotId> = line.outputs.iter().map(|o| o.lot).collect();
    lot::set_origin(conn, organisation, &produced, id)?;
    let received = match line.event_type {
        CustodyEventType::Transfer => Some(&lots.transferred),
        CustodyEventType::Extraction => Some(&lots.outputs),
        CustodyEventType::Transformation => None,
    };
    if let (Some(received), Some(to)) = (received, line.to_party) {
        let ids: Vec<LotId> = received.iter().map(|l| l.lot_id).collect();
        lot::set_holder(conn, organisation, &ids, to)?;
    }
    let flags = flags::suspicious(conn, organisation, id, line, &found, &lots, tolerance)?;
    let event = custody_event::find(conn, organisation, id)?
        .ok_or_else(|| StoreError::corrupt("an event just written cannot be read"))?;
    Ok(Written { event, flags })
}

/// The quantity of each entry: as given, or the lot's whole quantity.
fn amounts(entries: &[LotAmount], found: &HashMap<LotId, LotRecord>) -> Vec<EventLot> {
    entries
        .iter()
        .map(|entry| {
            let (quantity_mg, quantity_uozt) = entry
                .quantity
                .map(|q| (q.mg, q.uozt))
                .or_else(|| {
                    found
                        .get(&entry.lot)
                        .map(|l| (l.quantity_mg, l.quantity_uozt))
                })
                .unwrap_or((0, 0));
            EventLot {
                lot_id: entry.lot,
                quantity_mg,
                quantity_uozt,
            }
        })
        .collect()
}

/// A page of the organisation's events, in the order they were recorded.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &EventFilter,
    page: &PageRequest,
) -> Result<Vec<EventRecord>, AppError> {
    Ok(custody_event::list(conn, organisation, filter, page)?)
}
