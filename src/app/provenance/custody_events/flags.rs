//! What is accepted but flagged when an event is written: outputs heavier than inputs beyond
//! the yield tolerance, a lot consumed in total beyond its quantity, a party handing over more
//! of a lot than it holds.

use std::collections::HashMap;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{CustodyEventId, LotId, OrganisationId};
use crate::domain::lot::EventLine;
use crate::domain::mass::Mass;
use crate::domain::provenance::{
    LotQuantity, YieldTolerance, consumed_beyond_quantity, transferred_beyond_quantity,
    yield_excess,
};
use crate::domain::red_flags::{Evidence, EvidenceKind, RedFlag};
use crate::domain::vocabulary::{CustodyEventType, RedFlagKind, Severity};
use crate::store::custody_event::{EventLot, EventLots};
use crate::store::lot::LotRecord;
use crate::store::lot_graph;

fn evidence(kind: EvidenceKind, id: impl ToString) -> Evidence {
    Evidence {
        kind,
        id: id.to_string(),
    }
}

fn mass_balance(message: String, evidence: Vec<Evidence>) -> RedFlag {
    RedFlag {
        kind: RedFlagKind::MassBalanceExceeded,
        severity: Severity::Medium,
        message,
        evidence,
    }
}

fn quantities(lots: &[EventLot]) -> Vec<LotQuantity> {
    lots.iter()
        .map(|l| LotQuantity {
            lot_id: l.lot_id.to_string(),
            quantity_mg: l.quantity_mg,
            quantity_uozt: l.quantity_uozt,
        })
        .collect()
}

/// The flags of the event just written (`lots`: its quantities; `found`: the lots it names).
pub fn suspicious(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event_id: CustodyEventId,
    line: &EventLine,
    found: &HashMap<LotId, LotRecord>,
    lots: &EventLots,
    tolerance: YieldTolerance,
) -> Result<Vec<RedFlag>, AppError> {
    let org = organisation.to_string();
    let mut flags = Vec::new();
    let event = evidence(EvidenceKind::Event, event_id);
    if line.event_type == CustodyEventType::Transformation
        && let Some(excess) = yield_excess(
            &quantities(&lots.inputs),
            &quantities(&lots.outputs),
            tolerance,
        )
    {
        flags.push(mass_balance(
            format!(
                "the outputs ({}) outweigh the inputs ({}) beyond the yield tolerance ({} ppm)",
                excess.output, excess.input, excess.tolerance_ppm
            ),
            vec![event.clone()],
        ));
    }
    if !lots.inputs.is_empty() {
        let ids: Vec<String> = lots.inputs.iter().map(|l| l.lot_id.to_string()).collect();
        let mut queries = 0;
        let totals: HashMap<String, Mass> = lot_graph::consumed(conn, &org, &ids, &mut queries)?
            .into_iter()
            .collect();
        for (input, id) in lots.inputs.iter().zip(&ids) {
            let Some(lot) = found.get(&input.lot_id) else {
                continue;
            };
            let total = totals.get(id).copied().unwrap_or_default();
            if let Some(total) = consumed_beyond_quantity(lot.mass(), &[total]) {
                flags.push(mass_balance(
                    format!(
                        "lot {} has been consumed {total} in total, beyond its {}",
                        lot.external_ref,
                        lot.mass()
                    ),
                    vec![evidence(EvidenceKind::Lot, id), event.clone()],
                ));
            }
        }
    }
    if line.event_type == CustodyEventType::Transfer {
        let ids: Vec<String> = lots
            .transferred
            .iter()
            .map(|l| l.lot_id.to_string())
            .collect();
        let loaded = lot_graph::load(conn, &org, &ids, 0)?;
        let from = line.from_party.map(|p| p.to_string());
        for (transferred, id) in lots.transferred.iter().zip(&ids) {
            let Some(lot) = found.get(&transferred.lot_id) else {
                continue;
            };
            let transfers = loaded.graph.transfers_of(id);
            for overdraw in transferred_beyond_quantity(lot.mass(), transfers) {
                if from.as_ref() != Some(&overdraw.from_party) {
                    continue;
                }
                let mut proof = vec![
                    evidence(EvidenceKind::Lot, id),
                    evidence(EvidenceKind::Party, &overdraw.from_party),
                ];
                proof.extend(
                    overdraw
                        .event_ids
                        .iter()
                        .map(|e| evidence(EvidenceKind::Event, e)),
                );
                flags.push(mass_balance(
                    format!(
                        "party {} has handed over {} of lot {} in total, beyond its {}",
                        overdraw.from_party,
                        overdraw.transferred,
                        lot.external_ref,
                        lot.mass()
                    ),
                    proof,
                ));
            }
        }
    }
    Ok(flags)
}
