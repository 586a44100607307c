//! Proportional mass-balance attribution of a traced quantity to its sources.
//!
//! Every lot produced by a transformation is made of that transformation's inputs in proportion
//! to the quantities consumed (normalised by the event's total consumption, so independent of
//! yield). The weight of each lot in the traced material is pushed down the graph from the root
//! in topological order (Kahn's algorithm): an expanded lot hands its weight to its
//! transformation, which splits it over its inputs by `consumed / total consumed`. Each lot and
//! event is handled once, however many paths reach it, so the work is linear in the edges
//! reached and no path is ever enumerated. Leaves keep what reaches them: mines (through their
//! extraction), recycled lots, and untraced lots. The weights are exact fractions adding up to
//! exactly 1; milligrams and 6-decimal shares are then apportioned by largest remainder.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use chrono::NaiveDate;
use num_bigint::BigUint;
use num_traits::ToPrimitive;
use serde::Serialize;
use utoipa::ToSchema;

use super::fraction::Fraction;
use super::graph::{Extraction, LotGraph, LotNode, LotQuantity, Origin, TransferEdge, Transformation};
use crate::domain::shares::{SHARE_UNITS, format_units};

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
    fn rank(&self) -> u8 {
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
    /// The exact share's numerator, in lowest terms (a decimal integer of any length).
    #[schema(example = "3")]
    pub numerator: String,
    /// The exact share's denominator, in lowest terms (a decimal integer of any length).
    #[schema(example = "5")]
    pub denominator: String,
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
    #[serde(skip)]
    weight: Fraction,
}

impl Attribution {
    /// The exact share of the traced material.
    pub fn weight(&self) -> &Fraction {
        &self.weight
    }
}

/// Quantity and share of one kind of source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SourceTotal {
    /// Milligrams: the sum of the attributions of this kind.
    pub quantity_mg: i64,
    /// Share of the traced material (largest remainder over mines, recycled and untraced).
    pub share: ExactShare,
    #[serde(skip)]
    weight: Fraction,
}

impl SourceTotal {
    /// The exact share of the traced material.
    pub fn weight(&self) -> &Fraction {
        &self.weight
    }
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
        Lot = "lot",
        Facility = "facility",
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

enum State {
    Leaf(Source),
    Expanded(usize),
}

struct LotEntry<'a> {
    id: &'a str,
    node: Option<&'a LotNode>,
    level: u32,
    state: State,
    weight: Fraction,
    pending: usize,
    longest: u32,
    done: bool,
}

struct EventEntry<'a> {
    transformation: &'a Transformation,
    inputs: Vec<(usize, u128)>,
    total: u128,
    outputs: Vec<usize>,
    weight: Fraction,
    pending: usize,
    longest: u32,
    done: bool,
}

#[derive(Default)]
struct Walk<'a> {
    lots: Vec<LotEntry<'a>>,
    lot_index: HashMap<&'a str, usize>,
    events: Vec<EventEntry<'a>>,
    event_index: HashMap<&'a str, usize>,
}

impl<'a> Walk<'a> {
    /// The lot's index, adding it (and queueing it) when new.
    fn reach(&mut self, graph: &'a LotGraph, id: &'a str, level: u32, queue: &mut VecDeque<usize>) -> usize {
        if let Some(index) = self.lot_index.get(id) {
            return *index;
        }
        let index = self.lots.len();
        self.lots.push(LotEntry {
            id,
            node: graph.lot(id),
            level,
            state: State::Leaf(Source::Untraced {
                reason: UntracedReason::NotLoaded,
            }),
            weight: Fraction::zero(),
            pending: 0,
            longest: 0,
            done: false,
        });
        self.lot_index.insert(id, index);
        queue.push_back(index);
        index
    }

    /// Breadth-first over the ancestry: decides what each lot is, expanding transformations
    /// up to `max_depth`. Each lot and event is entered once.
    fn explore(&mut self, graph: &'a LotGraph, roots: &'a [LotQuantity], max_depth: u32) {
        let mut queue = VecDeque::new();
        for root in roots {
            self.reach(graph, &root.lot_id, 0, &mut queue);
        }
        while let Some(index) = queue.pop_front() {
            let level = self.lots[index].level;
            let state = match self.lots[index].node {
                None => State::Leaf(Source::Untraced {
                    reason: UntracedReason::NotLoaded,
                }),
                Some(node) if node.recycled => State::Leaf(Source::Recycled),
                Some(LotNode { origin: None, .. }) => State::Leaf(Source::Untraced {
                    reason: UntracedReason::NoOrigin,
                }),
                Some(LotNode {
                    origin: Some(Origin::Extraction(e)),
                    ..
                }) => State::Leaf(Source::Mine {
                    facility_id: e.facility_id.clone(),
                    event_id: e.event_id.clone(),
                    extracted_on: e.occurred_on,
                }),
                Some(LotNode {
                    origin: Some(Origin::Transformation(t)),
                    ..
                }) => self.expand(graph, t, level, max_depth, &mut queue),
            };
            if let State::Expanded(event) = state {
                self.events[event].outputs.push(index);
            }
            self.lots[index].state = state;
        }
    }

    fn expand(
        &mut self,
        graph: &'a LotGraph,
        t: &'a Transformation,
        level: u32,
        max_depth: u32,
        queue: &mut VecDeque<usize>,
    ) -> State {
        if let Some(event) = self.event_index.get(t.event_id.as_str()) {
            return State::Expanded(*event);
        }
        if level >= max_depth {
            return State::Leaf(Source::Untraced {
                reason: UntracedReason::DepthLimit,
            });
        }
        // The same lot listed twice counts once with both quantities; nothing counts for less
        // than a milligram.
        let mut consumed: BTreeMap<&'a str, u128> = BTreeMap::new();
        for input in &t.inputs {
            if let Ok(mg) = u128::try_from(input.quantity_mg)
                && mg > 0
            {
                *consumed.entry(input.lot_id.as_str()).or_default() += mg;
            }
        }
        if consumed.is_empty() {
            return State::Leaf(Source::Untraced {
                reason: UntracedReason::NoInputs,
            });
        }
        let event = self.events.len();
        self.event_index.insert(t.event_id.as_str(), event);
        let total = consumed.values().sum();
        let inputs = consumed
            .into_iter()
            .map(|(id, mg)| (self.reach(graph, id, level + 1, queue), mg))
            .collect();
        self.events.push(EventEntry {
            transformation: t,
            inputs,
            total,
            outputs: Vec::new(),
            weight: Fraction::zero(),
            pending: 0,
            longest: 0,
            done: false,
        });
        State::Expanded(event)
    }

    /// Pushes the weights from the roots to the leaves in topological order.
    fn propagate(&mut self) {
        for event in &mut self.events {
            event.pending = event.outputs.len();
        }
        for e in 0..self.events.len() {
            for (lot, _) in &self.events[e].inputs {
                self.lots[*lot].pending += 1;
            }
        }
        enum Node {
            Lot(usize),
            Event(usize),
        }
        let mut ready: VecDeque<Node> = (0..self.lots.len())
            .filter(|i| self.lots[*i].pending == 0)
            .map(Node::Lot)
            .collect();
        while let Some(node) = ready.pop_front() {
            match node {
                Node::Lot(i) => {
                    let lot = &mut self.lots[i];
                    lot.done = true;
                    lot.weight.reduce();
                    if let State::Expanded(e) = lot.state {
                        let weight = std::mem::replace(&mut lot.weight, Fraction::zero());
                        let longest = lot.longest;
                        let event = &mut self.events[e];
                        event.weight.add_assign(&weight);
                        event.longest = event.longest.max(longest);
                        event.pending -= 1;
                        if event.pending == 0 {
                            ready.push_back(Node::Event(e));
                        }
                    }
                }
                Node::Event(e) => {
                    let event = &mut self.events[e];
                    event.done = true;
                    event.weight.reduce();
                    let weight = std::mem::replace(&mut event.weight, Fraction::zero());
                    let (total, longest) = (event.total, event.longest + 1);
                    for (lot, mg) in &self.events[e].inputs {
                        let entry = &mut self.lots[*lot];
                        entry.weight.add_assign(&weight.times_ratio(*mg, total));
                        entry.longest = entry.longest.max(longest);
                        entry.pending -= 1;
                        if entry.pending == 0 {
                            ready.push_back(Node::Lot(*lot));
                        }
                    }
                }
            }
        }
    }

    /// The exact weight of every leaf. Weight stuck in a cycle (never released because the
    /// cycle never becomes ready) is reported as untraced on the lot holding it.
    fn leaves(&self) -> BTreeMap<(u8, Source, &'a str), Fraction> {
        let mut leaves: BTreeMap<(u8, Source, &'a str), Fraction> = BTreeMap::new();
        let cycle = Source::Untraced {
            reason: UntracedReason::Cycle,
        };
        let mut add = |source: &Source, id: &'a str, weight: &Fraction| {
            if !weight.is_zero() {
                leaves
                    .entry((source.rank(), source.clone(), id))
                    .or_insert_with(Fraction::zero)
                    .add_assign(weight);
            }
        };
        for lot in &self.lots {
            match &lot.state {
                State::Leaf(source) => add(source, lot.id, &lot.weight),
                State::Expanded(_) => add(&cycle, lot.id, &lot.weight),
            }
        }
        for event in self.events.iter().filter(|e| !e.done) {
            if let Some(first) = event.outputs.iter().map(|o| self.lots[*o].id).min() {
                add(&cycle, first, &event.weight);
            }
        }
        for weight in leaves.values_mut() {
            weight.reduce();
        }
        leaves
    }

    fn graph(&self, graph: &LotGraph) -> (ProvenanceGraph, Vec<TransferEdge>) {
        let node = |kind, id: &str| GraphNode {
            kind,
            id: id.to_owned(),
        };
        let mut nodes: BTreeSet<GraphNode> = BTreeSet::new();
        let mut edges: BTreeSet<GraphEdge> = BTreeSet::new();
        let mut transfers: Vec<TransferEdge> = Vec::new();
        for lot in &self.lots {
            nodes.insert(node(NodeKind::Lot, lot.id));
            if let (State::Leaf(Source::Mine { .. }), Some(LotNode { origin: Some(Origin::Extraction(e)), .. })) =
                (&lot.state, lot.node)
            {
                nodes.insert(node(NodeKind::Facility, &e.facility_id));
                edges.insert(GraphEdge {
                    kind: EdgeKind::ExtractedAt,
                    from: node(NodeKind::Lot, lot.id),
                    to: node(NodeKind::Facility, &e.facility_id),
                    event_id: e.event_id.clone(),
                    occurred_on: e.occurred_on,
                    lot_id: None,
                    quantity_mg: None,
                });
            }
            for t in graph.transfers_of(lot.id) {
                nodes.insert(node(NodeKind::Party, &t.from_party));
                nodes.insert(node(NodeKind::Party, &t.to_party));
                edges.insert(GraphEdge {
                    kind: EdgeKind::Transferred,
                    from: node(NodeKind::Party, &t.from_party),
                    to: node(NodeKind::Party, &t.to_party),
                    event_id: t.event_id.clone(),
                    occurred_on: t.occurred_on,
                    lot_id: Some(t.lot_id.clone()),
                    quantity_mg: Some(t.quantity_mg),
                });
                transfers.push(t.clone());
            }
        }
        for event in &self.events {
            let t = event.transformation;
            nodes.insert(node(NodeKind::Facility, &t.facility_id));
            for output in &event.outputs {
                let output = self.lots[*output].id;
                edges.insert(GraphEdge {
                    kind: EdgeKind::TransformedAt,
                    from: node(NodeKind::Lot, output),
                    to: node(NodeKind::Facility, &t.facility_id),
                    event_id: t.event_id.clone(),
                    occurred_on: t.occurred_on,
                    lot_id: None,
                    quantity_mg: None,
                });
                for (input, mg) in &event.inputs {
                    edges.insert(GraphEdge {
                        kind: EdgeKind::ConsumedInto,
                        from: node(NodeKind::Lot, self.lots[*input].id),
                        to: node(NodeKind::Lot, output),
                        event_id: t.event_id.clone(),
                        occurred_on: t.occurred_on,
                        lot_id: None,
                        quantity_mg: i64::try_from(*mg).ok(),
                    });
                }
            }
        }
        transfers.sort_by(|a, b| {
            (a.occurred_on, &a.event_id, &a.lot_id, &a.from_party)
                .cmp(&(b.occurred_on, &b.event_id, &b.lot_id, &b.from_party))
        });
        (
            ProvenanceGraph {
                nodes: nodes.into_iter().collect(),
                edges: edges.into_iter().collect(),
            },
            transfers,
        )
    }
}

/// Splits `total` over exact `weights` that add up to 1, by largest remainder: each gets the
/// floor of `total × weight`, and the units still missing go one each to the largest
/// remainders (ties: the earlier weight). The parts add up to `total` and are never negative.
fn apportion(total: u128, weights: &[&Fraction]) -> Vec<u128> {
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(BigUint, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let (floor, remainder) = weight.times_floor(total);
        parts.push(floor.to_u128().unwrap_or(total));
        remainders.push((remainder, index));
    }
    let given: u128 = parts.iter().sum();
    let missing = usize::try_from(total.saturating_sub(given)).unwrap_or(usize::MAX);
    remainders.sort_by(|(ra, a), (rb, b)| {
        Fraction::compare(rb, weights[*b].denominator(), ra, weights[*a].denominator()).then(a.cmp(b))
    });
    for (_, index) in remainders.iter().take(missing) {
        parts[*index] += 1;
    }
    parts
}

fn exact_shares(weights: &[&Fraction]) -> Vec<ExactShare> {
    let units = apportion(SHARE_UNITS.unsigned_abs().into(), weights);
    weights
        .iter()
        .zip(units)
        .map(|(weight, units)| ExactShare {
            value: format_units(i64::try_from(units).unwrap_or(i64::MAX)),
            numerator: weight.numerator().to_string(),
            denominator: weight.denominator().to_string(),
        })
        .collect()
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
    run(graph, &roots, max_depth, |_| Fraction::one())
}

/// Traces several lots at once (all purchases from a supplier), each weighing its quantity.
///
/// Guarantees: the attributed milligrams add up exactly to the traced quantity and are never
/// negative; the attribution shares (and the summary shares) add up to exactly `1.000000`, and
/// their exact fractions to exactly 1; a lot reached by several paths is one leaf carrying the
/// sum of its path weights; the answer depends only on the graph and the roots, not on the order
/// of hash maps; the work is linear in the lots and consumption edges reached (no recursion, no
/// path enumeration), and it ends on any input, cycles included.
pub fn trace_many(
    graph: &LotGraph,
    roots: &[LotQuantity],
    max_depth: u32,
) -> Result<Trace, TraceError> {
    if roots.iter().any(|r| r.quantity_mg < 0) {
        return Err(TraceError::NegativeQuantity);
    }
    let total: u128 = roots.iter().map(|r| u128::from(r.quantity_mg.unsigned_abs())).sum();
    if total == 0 {
        return Err(TraceError::NothingToTrace);
    }
    run(graph, roots, max_depth, |mg| {
        Fraction::new(mg, total).unwrap_or_else(Fraction::zero)
    })
}

fn run(
    graph: &LotGraph,
    roots: &[LotQuantity],
    max_depth: u32,
    root_weight: impl Fn(u128) -> Fraction,
) -> Result<Trace, TraceError> {
    let quantity: i128 = roots.iter().map(|r| i128::from(r.quantity_mg)).sum();
    let quantity_mg = i64::try_from(quantity).map_err(|_| TraceError::TooLarge)?;

    let mut walk = Walk::default();
    walk.explore(graph, roots, max_depth);
    for root in roots {
        if let Some(index) = walk.lot_index.get(root.lot_id.as_str()) {
            let weight = root_weight(root.quantity_mg.unsigned_abs().into());
            walk.lots[*index].weight.add_assign(&weight);
        }
    }
    walk.propagate();

    let leaves = walk.leaves();
    let weights: Vec<&Fraction> = leaves.values().collect();
    let quantities = apportion(quantity_mg.unsigned_abs().into(), &weights);
    let shares = exact_shares(&weights);
    let attributions: Vec<Attribution> = leaves
        .iter()
        .zip(quantities)
        .zip(shares)
        .map(|((((_, source, id), weight), mg), share)| Attribution {
            lot_id: (*id).to_owned(),
            source: source.clone(),
            quantity_mg: i64::try_from(mg).unwrap_or(i64::MAX),
            share,
            weight: weight.clone(),
        })
        .collect();

    let mut kinds = [Fraction::zero(), Fraction::zero(), Fraction::zero()];
    let mut kind_mg = [0i64; 3];
    for a in &attributions {
        let rank = usize::from(a.source.rank());
        kinds[rank].add_assign(&a.weight);
        kind_mg[rank] += a.quantity_mg;
    }
    for weight in &mut kinds {
        weight.reduce();
    }
    let kind_shares = exact_shares(&kinds.iter().collect::<Vec<_>>());
    let total = |rank: usize| SourceTotal {
        quantity_mg: kind_mg[rank],
        share: kind_shares[rank].clone(),
        weight: kinds[rank].clone(),
    };
    let summary = TraceSummary {
        mines: total(0),
        recycled: total(1),
        untraced: total(2),
    };

    let (drawing, transfers) = walk.graph(graph);
    let mut extractions: BTreeMap<(NaiveDate, &str), Extraction> = BTreeMap::new();
    let mut lots = Vec::with_capacity(walk.lots.len());
    for lot in &walk.lots {
        if let (State::Leaf(Source::Mine { .. }), Some(LotNode { origin: Some(Origin::Extraction(e)), .. })) =
            (&lot.state, lot.node)
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
    let mut transformations: Vec<Transformation> =
        walk.events.iter().map(|e| e.transformation.clone()).collect();
    transformations.sort_by(|a, b| (a.occurred_on, &a.event_id).cmp(&(b.occurred_on, &b.event_id)));

    Ok(Trace {
        roots: roots.to_vec(),
        quantity_mg,
        attributions,
        summary,
        depth: walk.lots.iter().map(|l| l.longest).max().unwrap_or(0),
        graph: drawing,
        lots,
        extractions: extractions.into_values().collect(),
        transformations,
        transfers,
    })
}
