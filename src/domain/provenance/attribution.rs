//! Proportional mass-balance attribution of a traced quantity to its sources.
//!
//! Every lot produced by a transformation is made of that transformation's inputs in proportion
//! to the quantities consumed (normalised by the event's total consumption, so independent of
//! yield). The weight of each lot in the traced material is pushed from the traced lot towards
//! the leaves in topological order ([`super::walk`]): an expanded lot hands its weight to its
//! transformation, which splits it over its inputs by `consumed / total consumed`. Each lot's
//! weight is computed once however many paths reach it (a diamond's shared ancestor gets the sum
//! of its path weights), so the work is linear in the edges reached. Leaves keep what reaches
//! them: mines (through their extraction), recycled lots, and untraced lots.
//!
//! The exact weights are fractions adding up to exactly 1. Milligrams, 6-decimal shares and the
//! exact quantities (in the finest unit the traced quantities need: milligrams, micro troy
//! ounces, or quanta of 1.6 pg for a mix of both) are apportioned from them by largest
//! remainder. Exact fractions of a long, well-mixed ancestry
//! have tens of thousands of digits, so the answer is obtained one of two ways, always equal to
//! the exact apportionment: exact integer arithmetic when the common denominator is small, or
//! fixed-point arithmetic with a proven error bound when every rounding decision can be
//! certified from the bounds (otherwise exact arithmetic again). docs/DOMAIN-ARITHMETIC.md says
//! more.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::drawing::drawing;
pub use super::drawing::{EdgeKind, GraphEdge, GraphNode, NodeKind, ProvenanceGraph};
use super::graph::{Extraction, LotGraph, LotNode, LotQuantity, Origin, Transformation};
pub use super::outcome::{
    Arithmetic, Attribution, ExactShare, HIGH_UNTRACED_SHARE, Source, SourceTotal, Trace,
    TraceError, TraceSummary, UntracedReason, VisitedLot,
};
use super::rounding::{ExactBase, finish};
use super::walk::{Mode, State, Walk};
use crate::domain::mass::{Mass, MassUnit};

/// Exact fractions are shown when their common denominator has at most this many bits (about
/// 1 233 decimal digits); beyond, only their roundings are (still exact roundings).
pub const EXACT_FRACTION_BITS: u64 = 4096;

/// Traces `quantity_mg` of one lot (a purchase's quantity, or the lot's own) back to its
/// sources, following at most `max_depth` transformations. See [`trace_many`].
pub fn trace(
    graph: &LotGraph,
    root_lot: &str,
    quantity_mg: i64,
    max_depth: u32,
) -> Result<Trace, TraceError> {
    trace_quantity(graph, LotQuantity::metric(root_lot, quantity_mg), max_depth)
}

/// Traces the quantity of one lot (a purchase's quantity, in either unit family) back to its
/// sources, following at most `max_depth` transformations. See [`trace_many`].
pub fn trace_quantity(
    graph: &LotGraph,
    root: LotQuantity,
    max_depth: u32,
) -> Result<Trace, TraceError> {
    if root.quantity_mg < 0 || root.quantity_uozt < 0 {
        return Err(TraceError::NegativeQuantity);
    }
    run(graph, &[root], true, max_depth, None)
}

/// Traces several lots at once (all purchases from a supplier), each weighing its quantity.
///
/// Guarantees: the attributed milligrams add up exactly to the traced quantity and are never
/// negative; the attribution shares (and the summary shares) add up to exactly `1.000000`; a
/// lot reached by several paths is one leaf carrying the sum of its path weights; every figure
/// is the largest-remainder rounding of the exact fractions, whichever [`Arithmetic`] obtained
/// it; the answer depends only on the graph and the roots; the work is linear in the lots and
/// consumption edges reached (no recursion, no path enumeration), and it ends on any input,
/// cycles included.
pub fn trace_many(
    graph: &LotGraph,
    roots: &[LotQuantity],
    max_depth: u32,
) -> Result<Trace, TraceError> {
    if roots
        .iter()
        .any(|r| r.quantity_mg < 0 || r.quantity_uozt < 0)
    {
        return Err(TraceError::NegativeQuantity);
    }
    if roots.iter().all(|r| r.mass().is_zero()) {
        return Err(TraceError::NothingToTrace);
    }
    run(graph, roots, false, max_depth, None)
}

/// The trace, computed in `mode` when given (tests), else exactly when the common denominator
/// is small and with certified bounds otherwise.
pub(super) fn run(
    graph: &LotGraph,
    roots: &[LotQuantity],
    whole_root: bool,
    max_depth: u32,
    mode: Option<Mode>,
) -> Result<Trace, TraceError> {
    let total: Mass = roots.iter().map(LotQuantity::mass).sum();
    let quantity_mg = i64::try_from(total.nearest_mg()).map_err(|_| TraceError::TooLarge)?;
    let quantity = quantity_mg.unsigned_abs().into();
    let exact = ExactBase::of(total);

    let mut walk = Walk::explore(graph, roots, max_depth);
    // One lot traced weighs 1 whatever its quantity (even 0); several weigh their quantities
    // (in milligrams when all are metric, in quanta of 1.6 pg when a troy ounce is among them:
    // a weight is only ever compared with the other roots' weights).
    let metric = roots.iter().all(|r| r.quantity_uozt == 0);
    let weight = |r: &LotQuantity| -> u128 {
        let amount = if metric {
            i128::from(r.quantity_mg)
        } else {
            r.mass().quanta()
        };
        amount.unsigned_abs()
    };
    let (parts, parts_total): (Vec<(usize, u128)>, u128) = if whole_root {
        (walk_roots(&walk, roots, |_| 1), 1)
    } else {
        let total = roots.iter().map(weight).sum();
        (walk_roots(&walk, roots, weight), total)
    };
    let mode = mode.unwrap_or(if walk.exact_bits(parts_total) <= EXACT_FRACTION_BITS {
        Mode::Exact
    } else {
        Mode::Fixed
    });
    let mut weights = walk.propagate(&parts, parts_total, mode);
    let mut finished = finish(&weights, quantity, exact);
    if !finished.certified {
        weights = walk.propagate(&parts, parts_total, Mode::Exact);
        finished = finish(&weights, quantity, exact);
        // Exact weights add up to the scale and carry no error: nothing is left to certify.
        debug_assert!(finished.certified, "exact arithmetic settles everything");
    }
    let arithmetic = match weights.mode {
        Mode::Exact => Arithmetic::Exact,
        Mode::Fixed => Arithmetic::CertifiedBounds,
    };

    let (drawing, transfers) = drawing(&walk, graph);
    let mut extractions: BTreeMap<(NaiveDate, &str), Extraction> = BTreeMap::new();
    let mut lots = Vec::with_capacity(walk.lots.len());
    for lot in &walk.lots {
        if let (
            State::Leaf(Source::Mine { .. }),
            Some(LotNode {
                origin: Some(Origin::Extraction(e)),
                ..
            }),
        ) = (&lot.state, lot.node)
        {
            extractions.insert((e.occurred_on, &e.event_id), e.clone());
        }
        lots.push(VisitedLot {
            lot_id: lot.id.to_owned(),
            quantity_mg: lot.node.map(|n| n.quantity_mg),
            quantity_uozt: lot.node.map_or(0, |n| n.quantity_uozt),
            recycled: lot.node.is_some_and(|n| n.recycled),
            level: lot.level,
        });
    }
    lots.sort_by(|a, b| a.lot_id.cmp(&b.lot_id));
    let mut transformations: Vec<Transformation> = walk
        .events
        .iter()
        .map(|e| e.transformation.clone())
        .collect();
    transformations.sort_by(|a, b| (a.occurred_on, &a.event_id).cmp(&(b.occurred_on, &b.event_id)));

    Ok(Trace {
        roots: roots.to_vec(),
        quantity_mg,
        unit: MassUnit::Kg,
        quantity: total.in_unit(MassUnit::Kg).text,
        femtograms: total.femtograms(),
        attributions: finished.attributions,
        summary: finished.summary,
        depth: walk.lots.iter().map(|l| l.longest).max().unwrap_or(0),
        graph: drawing,
        lots,
        extractions: extractions.into_values().collect(),
        transformations,
        transfers,
        arithmetic,
        untraced_high: finished.untraced_high,
    })
}

fn walk_roots(
    walk: &Walk<'_>,
    roots: &[LotQuantity],
    part: impl Fn(&LotQuantity) -> u128,
) -> Vec<(usize, u128)> {
    roots
        .iter()
        .filter_map(|r| walk.index_of(&r.lot_id).map(|i| (i, part(r))))
        .collect()
}
