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
//! The exact weights are fractions adding up to exactly 1. Milligrams and 6-decimal shares are
//! apportioned from them by largest remainder. Exact fractions of a long, well-mixed ancestry
//! have tens of thousands of digits, so the answer is obtained one of two ways, always equal to
//! the exact apportionment: exact integer arithmetic when the common denominator is small, or
//! fixed-point arithmetic with a proven error bound when every rounding decision can be
//! certified from the bounds (otherwise exact arithmetic again). docs/DOMAIN-ARITHMETIC.md says
//! more.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::drawing::drawing;
use super::graph::{
    Extraction, LotGraph, LotNode, LotQuantity, Origin, TransferEdge, Transformation,
};
use super::rounding::finish;
use super::walk::{Mode, State, Walk};

/// Exact fractions are shown when their common denominator has at most this many bits (about
/// 1 233 decimal digits); beyond, only their roundings are (still exact roundings).
pub const EXACT_FRACTION_BITS: u64 = 4096;

/// An untraced share at or above this fraction (`1/10`) is a high-severity red flag; the trace
/// decides it exactly ([`Trace::untraced_is_high`]).
pub const HIGH_UNTRACED_SHARE: (u32, u32) = (1, 10);

crate::text_enum! {
    /// Why part of the traced material could not be followed to a mine or recycled material.
    pub enum UntracedReason {
        /// The lot has no recorded extraction or transformation.
        NoOrigin = "no_origin",
        /// The lot was not loaded (not visible to the caller).
        NotLoaded = "not_loaded",
        /// The lot lies beyond the maximum depth of the trace.
        DepthLimit = "depth_limit",
        /// The transformation that produced the lot consumed nothing.
        NoInputs = "no_inputs",
        /// The lot's ancestry loops back on itself (refused on write; reported, never followed).
        Cycle = "cycle",
    }
}

/// Where a part of the traced material comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A mine, through the extraction that produced the lot.
    Mine {
        /// The mine.
        facility_id: String,
        /// The extraction event.
        event_id: String,
        /// The day of extraction.
        extracted_on: NaiveDate,
    },
    /// Recycled material, traced no further.
    Recycled,
    /// Material that could not be traced further.
    Untraced {
        /// Why.
        reason: UntracedReason,
    },
}

impl Source {
    /// Mines first, then recycled, then untraced.
    pub(super) fn rank(&self) -> u8 {
        match self {
            Source::Mine { .. } => 0,
            Source::Recycled => 1,
            Source::Untraced { .. } => 2,
        }
    }
}

/// An exact share and its 6-decimal presentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExactShare {
    /// The share with exactly 6 decimals, apportioned by largest remainder so that the shares of
    /// one list add up to exactly `1.000000`.
    #[schema(example = "0.600000")]
    pub value: String,
    /// The exact share's numerator in lowest terms, as a decimal integer; absent when the
    /// trace's common denominator exceeds 4096 bits (the rounding above is still exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "3")]
    pub numerator: Option<String>,
    /// The exact share's denominator in lowest terms, as a decimal integer; absent with the
    /// numerator.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "5")]
    pub denominator: Option<String>,
}

/// The part of the traced quantity attributed to one leaf lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attribution {
    /// The leaf lot (extracted, recycled or untraced).
    pub lot_id: String,
    /// Where it comes from.
    pub source: Source,
    /// Milligrams attributed (largest remainder: the attributions add up to the traced quantity).
    pub quantity_mg: i64,
    /// Share of the traced material.
    pub share: ExactShare,
}

/// Quantity and share of one kind of source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SourceTotal {
    /// Milligrams: the sum of the attributions of this kind.
    pub quantity_mg: i64,
    /// Share of the traced material (largest remainder over mines, recycled and untraced).
    pub share: ExactShare,
}

/// The traced quantity split into mined, recycled and untraced material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TraceSummary {
    /// Material traced to mines.
    pub mines: SourceTotal,
    /// Recycled material.
    pub recycled: SourceTotal,
    /// Material that could not be traced.
    pub untraced: SourceTotal,
}

crate::text_enum! {
    /// What a node of the provenance graph is.
    pub enum NodeKind {
        /// A lot of material.
        Lot = "lot",
        /// A mine or processing facility.
        Facility = "facility",
        /// A company handing lots over.
        Party = "party",
    }
}

crate::text_enum! {
    /// What an edge of the provenance graph says.
    pub enum EdgeKind {
        /// An input lot was consumed into an output lot.
        ConsumedInto = "consumed_into",
        /// A lot was extracted at a mine.
        ExtractedAt = "extracted_at",
        /// A lot was produced at a facility.
        TransformedAt = "transformed_at",
        /// A party handed a lot to another.
        Transferred = "transferred",
    }
}

/// A node of the provenance graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct GraphNode {
    /// What it is.
    pub kind: NodeKind,
    /// Its id (lot, facility or party id).
    pub id: String,
}

/// An edge of the provenance graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct GraphEdge {
    /// What it says.
    pub kind: EdgeKind,
    /// Where it starts.
    pub from: GraphNode,
    /// Where it ends.
    pub to: GraphNode,
    /// The custody event behind it.
    pub event_id: String,
    /// The day of that event.
    pub occurred_on: NaiveDate,
    /// The lot transferred (transfers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    /// The milligrams consumed or transferred (consumed_into and transferred only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_mg: Option<i64>,
}

/// The lots, facilities and parties on the way, ready to draw; both lists sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProvenanceGraph {
    /// Every lot reached, and the facilities and parties of the events reached.
    pub nodes: Vec<GraphNode>,
    /// Consumption, extraction, transformation and transfer edges.
    pub edges: Vec<GraphEdge>,
}

/// A lot reached by a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct VisitedLot {
    /// The lot.
    pub lot_id: String,
    /// Its quantity, when loaded.
    pub quantity_mg: Option<i64>,
    /// Whether it is recycled material.
    pub recycled: bool,
    /// The fewest transformations between a traced lot and this one.
    pub level: u32,
}

crate::text_enum! {
    /// How the exact apportionment was obtained (the figures are the same either way).
    pub enum Arithmetic {
        /// Exact integer arithmetic over the common denominator of every weight.
        Exact = "exact",
        /// Fixed-point arithmetic whose proven error bound settles every rounding decision.
        CertifiedBounds = "certified_bounds",
    }
}

/// The outcome of a trace: the attribution, the graph, and every lot and event reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Trace {
    /// The traced lots and the milligrams traced from each.
    pub roots: Vec<LotQuantity>,
    /// The traced quantity in milligrams.
    pub quantity_mg: i64,
    /// One entry per leaf lot with a positive share: mines (by facility, extraction event and
    /// lot), then recycled lots (by lot), then untraced lots (by reason and lot).
    pub attributions: Vec<Attribution>,
    /// Mined, recycled and untraced totals.
    pub summary: TraceSummary,
    /// Transformations on the longest chain reached (0 when a traced lot is itself a leaf).
    pub depth: u32,
    /// The graph to draw.
    pub graph: ProvenanceGraph,
    /// Every lot reached, by id.
    pub lots: Vec<VisitedLot>,
    /// The extractions of the mines reached, by date and event id.
    pub extractions: Vec<Extraction>,
    /// The transformations followed, by date and event id.
    pub transformations: Vec<Transformation>,
    /// The transfers of the lots reached, by date, event and lot.
    pub transfers: Vec<TransferEdge>,
    /// How the exact apportionment was obtained.
    pub arithmetic: Arithmetic,
    #[serde(skip)]
    untraced_high: bool,
}

impl Trace {
    /// Whether the exact untraced share is at least [`HIGH_UNTRACED_SHARE`] (decided exactly,
    /// never from the rounded text).
    pub fn untraced_is_high(&self) -> bool {
        self.untraced_high
    }

    /// Whether any of the material is untraced (an exact share above zero).
    pub fn has_untraced(&self) -> bool {
        self.attributions
            .iter()
            .any(|a| matches!(a.source, Source::Untraced { .. }))
    }
}

/// Why a trace cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// A traced quantity is negative.
    #[error("the traced quantity must not be negative")]
    NegativeQuantity,
    /// There is nothing to trace (no lot, or a total of zero over several lots).
    #[error("there is nothing to trace")]
    NothingToTrace,
    /// The traced quantities add up to more than 2^63 - 1 milligrams.
    #[error("the traced quantity exceeds 9.2 million tonnes")]
    TooLarge,
}

/// Traces `quantity_mg` of one lot (a purchase's quantity, or the lot's own) back to its
/// sources, following at most `max_depth` transformations. See [`trace_many`].
pub fn trace(
    graph: &LotGraph,
    root_lot: &str,
    quantity_mg: i64,
    max_depth: u32,
) -> Result<Trace, TraceError> {
    if quantity_mg < 0 {
        return Err(TraceError::NegativeQuantity);
    }
    let roots = [LotQuantity {
        lot_id: root_lot.to_owned(),
        quantity_mg,
    }];
    run(graph, &roots, true, max_depth, None)
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
    if roots.iter().any(|r| r.quantity_mg < 0) {
        return Err(TraceError::NegativeQuantity);
    }
    if roots.iter().all(|r| r.quantity_mg == 0) {
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
    let quantity: i128 = roots.iter().map(|r| i128::from(r.quantity_mg)).sum();
    let quantity_mg = i64::try_from(quantity).map_err(|_| TraceError::TooLarge)?;
    let quantity = quantity_mg.unsigned_abs().into();

    let mut walk = Walk::explore(graph, roots, max_depth);
    // One lot traced weighs 1 whatever its quantity (even 0); several weigh their quantities.
    let (parts, parts_total): (Vec<(usize, u128)>, u128) = if whole_root {
        (walk_roots(&walk, roots, |_| 1), 1)
    } else {
        (
            walk_roots(&walk, roots, |r| r.quantity_mg.unsigned_abs().into()),
            quantity,
        )
    };
    let mode = mode.unwrap_or(if walk.exact_bits(parts_total) <= EXACT_FRACTION_BITS {
        Mode::Exact
    } else {
        Mode::Fixed
    });
    let mut weights = walk.propagate(&parts, parts_total, mode);
    let mut finished = finish(&weights, quantity);
    if !finished.certified {
        weights = walk.propagate(&parts, parts_total, Mode::Exact);
        finished = finish(&weights, quantity);
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
