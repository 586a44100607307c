//! What an event is checked against before it is written: first that everything it names
//! exists and fits (the organisation's lots, the facility and its kind, the parties, a new
//! external_ref), then that it fits the history of its lots (a lot is produced once, used only
//! once it exists and never produced after it was used, and never made from itself).

use std::collections::{BTreeSet, HashMap};

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{LotId, OrganisationId, PartyId};
use crate::domain::lot::{EventLine, LotAmount, facility_refusal};
use crate::domain::provenance::{consumed_before_exists, would_create_cycle};
use crate::domain::vocabulary::CustodyEventType;
use crate::store::custody_event;
use crate::store::lot::{self, LotRecord};
use crate::store::lot_graph::{self, MAX_DEPTH};
use crate::store::{Rejection, facility, party};

fn refused(rejections: Vec<Rejection>) -> Result<(), AppError> {
    if rejections.is_empty() {
        Ok(())
    } else {
        Err(AppError::Rejected {
            rejections,
            detail: None,
        })
    }
}

fn strings(entries: &[&LotAmount]) -> Vec<String> {
    entries.iter().map(|a| a.lot.to_string()).collect()
}

/// Checks that the event's lots are the organisation's, that its facility exists and is of a
/// kind where such an event happens, that its parties are in the catalog and that its
/// external_ref is new; answers the lots it names.
pub fn references(
    conn: &mut DbConn,
    organisation: OrganisationId,
    line: &EventLine,
) -> Result<HashMap<LotId, LotRecord>, AppError> {
    let base = &line.base;
    let mut refusals = Vec::new();
    let all: Vec<&LotAmount> = line
        .lots
        .iter()
        .chain(&line.inputs)
        .chain(&line.outputs)
        .collect();
    let ids: Vec<LotId> = all.iter().map(|a| a.lot).collect();
    let found = lot::find_many(conn, organisation, &ids)?;
    for entry in &all {
        if !found.contains_key(&entry.lot) {
            refusals.push(Rejection::at(
                format!("{}/lot_id", entry.pointer),
                "no lot with this id",
            ));
        }
    }
    if let Some(id) = line.facility {
        let pointer = format!("{base}/facility_id");
        match facility::kinds(conn, &[id])?.get(&id) {
            None => refusals.push(Rejection::at(pointer, "no facility with this id")),
            Some((kind, _)) => {
                if let Some(refusal) = facility_refusal(line.event_type, *kind) {
                    refusals.push(Rejection::at(pointer, refusal));
                }
            }
        }
    }
    let named: Vec<PartyId> = line.from_party.into_iter().chain(line.to_party).collect();
    let known = party::existing(conn, &named)?;
    for (party, field) in [
        (line.from_party, "from_party_id"),
        (line.to_party, "to_party_id"),
    ] {
        if let Some(party) = party
            && !known.contains(&party)
        {
            refusals.push(Rejection::at(
                format!("{base}/{field}"),
                "no party with this id in the catalog",
            ));
        }
    }
    if let Some(external_ref) = &line.external_ref
        && custody_event::external_ref_taken(conn, organisation, external_ref)?
    {
        refusals.push(Rejection::at(
            format!("{base}/external_ref"),
            "the organisation already has an event with this external_ref",
        ));
    }
    refused(refusals)?;
    Ok(found)
}

/// Checks the event against the history of its lots (all of which are the organisation's, in
/// `found`): an output not produced already, nor consumed or handed over before the event;
/// every lot used existing by the event's day; no output an ancestor of an input.
pub fn history(
    conn: &mut DbConn,
    organisation: OrganisationId,
    line: &EventLine,
    found: &HashMap<LotId, LotRecord>,
) -> Result<(), AppError> {
    let mut refusals = Vec::new();
    for output in &line.outputs {
        if let Some(event) = found.get(&output.lot).and_then(|l| l.origin_event_id) {
            refusals.push(Rejection::at(
                format!("{}/lot_id", output.pointer),
                format!("this lot was already produced by event {event}"),
            ));
        }
    }
    let used: Vec<&LotAmount> = line.inputs.iter().chain(&line.lots).collect();
    if !used.is_empty() {
        let used_ids = strings(&used);
        // The whole ancestry is needed to find cycles; a transfer only needs the lots' origins.
        let depth = match line.event_type {
            CustodyEventType::Transformation => MAX_DEPTH,
            _ => 0,
        };
        let loaded = lot_graph::load(conn, &organisation.to_string(), &used_ids, depth)?;
        let early: BTreeSet<String> =
            consumed_before_exists(&loaded.graph, &used_ids, line.occurred_on)
                .into_iter()
                .collect();
        for (entry, id) in used.iter().zip(&used_ids) {
            if early.contains(id) {
                refusals.push(Rejection::at(
                    format!("{}/lot_id", entry.pointer),
                    format!(
                        "this lot came to exist after {}: it cannot be used before it exists",
                        line.occurred_on
                    ),
                ));
            }
        }
        if line.event_type == CustodyEventType::Transformation {
            let inputs = strings(&line.inputs.iter().collect::<Vec<_>>());
            let outputs = strings(&line.outputs.iter().collect::<Vec<_>>());
            if would_create_cycle(&loaded.graph, &inputs, &outputs) {
                refusals.push(Rejection::at(
                    format!("{}/outputs", line.base),
                    "an output is an ancestor of an input: the lot would be made from itself \
                     (cycle)",
                ));
            }
        }
    }
    let produced: Vec<LotId> = line.outputs.iter().map(|o| o.lot).collect();
    let used_earlier = custody_event::used_before(conn, organisation, &produced, line.occurred_on)?;
    for output in &line.outputs {
        if used_earlier.contains(&output.lot) {
            refusals.push(Rejection::at(
                format!("{}/lot_id", output.pointer),
                format!(
                    "this lot was already consumed or handed over before {}: it cannot be \
                     produced after it was used",
                    line.occurred_on
                ),
            ));
        }
    }
    refused(refusals)
}
