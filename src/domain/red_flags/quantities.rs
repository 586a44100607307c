//! The rules on quantities: `mass_balance_exceeded` (yield, consumption and transfers beyond
//! what a lot holds) and `untraced_volume`.

use std::collections::BTreeMap;

use super::{Evidence, EvidenceKind, RedFlag, RedFlagContext, flag};
use crate::domain::mass::Mass;
use crate::domain::provenance::{
    HIGH_UNTRACED_SHARE, Source, Trace, TransferEdge, consumed_beyond_quantity,
    transferred_beyond_quantity, yield_excess,
};
use crate::domain::vocabulary::{RedFlagKind, Severity};

pub(super) fn mass_balance_flags(
    trace: &Trace,
    context: &RedFlagContext<'_>,
    flags: &mut Vec<RedFlag>,
) {
    for t in &trace.transformations {
        if let Some(excess) = yield_excess(&t.inputs, &t.outputs, context.yield_tolerance) {
            flags.push(flag(
                RedFlagKind::MassBalanceExceeded,
                Severity::Medium,
                format!(
                    "event {} produced {} from {} of inputs, beyond the yield tolerance of {} ppm",
                    t.event_id, excess.output, excess.input, excess.tolerance_ppm
                ),
                vec![
                    Evidence::new(EvidenceKind::Event, &t.event_id),
                    Evidence::new(EvidenceKind::Facility, &t.facility_id),
                ],
            ));
        }
    }

    let reported: BTreeMap<&str, Mass> = context
        .consumed
        .iter()
        .map(|(lot, mg)| (lot.as_str(), *mg))
        .collect();
    let mut consumers: BTreeMap<&str, (Vec<Mass>, Vec<&str>)> = BTreeMap::new();
    for t in &trace.transformations {
        for input in &t.inputs {
            let entry = consumers.entry(&input.lot_id).or_default();
            entry.0.push(input.mass());
            entry.1.push(&t.event_id);
        }
    }
    let mut transfers: BTreeMap<&str, Vec<TransferEdge>> = BTreeMap::new();
    for t in &trace.transfers {
        transfers.entry(&t.lot_id).or_default().push(t.clone());
    }
    for lot in &trace.lots {
        let Some(quantity) = lot
            .quantity_mg
            .map(|mg| Mass::stored(mg, lot.quantity_uozt))
        else {
            continue;
        };
        let (in_trace, events) = consumers
            .get(lot.lot_id.as_str())
            .map_or((&[][..], &[][..]), |(masses, events)| {
                (masses.as_slice(), events.as_slice())
            });
        let reported_total = reported.get(lot.lot_id.as_str()).copied();
        let consumed = match &reported_total {
            Some(total) => std::slice::from_ref(total),
            None => in_trace,
        };
        if let Some(total) = consumed_beyond_quantity(quantity, consumed) {
            let mut evidence = vec![Evidence::new(EvidenceKind::Lot, &lot.lot_id)];
            evidence.extend(events.iter().map(|e| Evidence::new(EvidenceKind::Event, e)));
            flags.push(flag(
                RedFlagKind::MassBalanceExceeded,
                Severity::Medium,
                format!(
                    "lot {} holds {quantity} but {total} of it were consumed",
                    lot.lot_id
                ),
                evidence,
            ));
        }
        let lot_transfers = transfers
            .get(lot.lot_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for overdraw in transferred_beyond_quantity(quantity, lot_transfers) {
            let mut evidence = vec![
                Evidence::new(EvidenceKind::Lot, &lot.lot_id),
                Evidence::new(EvidenceKind::Party, &overdraw.from_party),
            ];
            evidence.extend(
                overdraw
                    .event_ids
                    .iter()
                    .map(|e| Evidence::new(EvidenceKind::Event, e)),
            );
            flags.push(flag(
                RedFlagKind::MassBalanceExceeded,
                Severity::Medium,
                format!(
                    "party {} handed over {} of lot {}, which holds {quantity}",
                    overdraw.from_party, overdraw.transferred, lot.lot_id
                ),
                evidence,
            ));
        }
    }
}

pub(super) fn untraced_flag(trace: &Trace, flags: &mut Vec<RedFlag>) {
    if !trace.has_untraced() {
        return;
    }
    let (p, q) = HIGH_UNTRACED_SHARE;
    let severity = if trace.untraced_is_high() {
        Severity::High
    } else {
        Severity::Medium
    };
    let untraced = &trace.summary.untraced;
    let evidence = trace
        .attributions
        .iter()
        .filter(|a| matches!(a.source, Source::Untraced { .. }))
        .map(|a| Evidence::new(EvidenceKind::Lot, &a.lot_id))
        .collect();
    flags.push(flag(
        RedFlagKind::UntracedVolume,
        severity,
        format!(
            "{} mg (share {}) of the traced material could not be traced to a mine or recycled source{}",
            untraced.quantity_mg,
            untraced.share.value,
            if severity == Severity::High {
                format!(", at least {p}/{q}")
            } else {
                String::new()
            }
        ),
        evidence,
    ));
}
