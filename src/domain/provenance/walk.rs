//! The graph walk behind a trace: breadth-first exploration of the ancestry, then weights pushed
//! from the traced lots to the leaves in topological order (Kahn's algorithm). Each lot and each
//! event is handled once however many paths reach it, so the work is linear in the lots and
//! consumption edges reached; nothing is recursive and nothing enumerates paths.
//!
//! Weights are integer numerators over one common scale `S` (the weight of a lot is `N / S`):
//!
//! - **exact**: `S = Q × Π D_e`, the traced total times the product of every followed event's
//!   total consumption `D_e`. An event's numerator is then always a multiple of its own `D_e`
//!   (every path to it passes through other events only, each once), so `N_e / D_e × c` is an
//!   exact integer: no rounding anywhere, and only additions and multiplications or divisions by
//!   one machine word, which cost time linear in the size of `S`.
//! - **fixed**: `S = 2^P`, and each share `N_e × c / D_e` is rounded down. Rounding only ever
//!   loses, so each leaf's numerator is at most its exact value; and the exact values add up to
//!   exactly `S`, so what all leaves lost together is `L = S − Σ N`, known exactly, and each
//!   leaf's exact numerator lies in `[N, N + L]`. The caller certifies its answers with these
//!   bounds (`L` is below the number of roundings, a few per edge, against `S ≥ 2^256`).

use std::collections::{BTreeMap, HashMap, VecDeque};

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::Zero;

use super::graph::{LotGraph, LotNode, LotQuantity, Origin, Transformation};
use super::outcome::{Source, UntracedReason};

pub(super) enum State {
    Leaf(Source),
    Expanded(usize),
}

pub(super) struct LotEntry<'a> {
    pub id: &'a str,
    pub node: Option<&'a LotNode>,
    pub level: u32,
    pub state: State,
    weight: BigUint,
    positive: bool,
    pending: usize,
    pub longest: u32,
}

pub(super) struct EventEntry<'a> {
    pub transformation: &'a Transformation,
    /// Inputs (lot index, amount consumed: milligrams, or quanta when an input is in troy
    /// ounces), each lot once, by lot id.
    pub inputs: Vec<(usize, u128)>,
    total: u128,
    /// The output lots reached.
    pub outputs: Vec<usize>,
    weight: BigUint,
    positive: bool,
    pending: usize,
    longest: u32,
    done: bool,
}

/// How weights are represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Exact,
    Fixed,
}

/// Leaf numerators over a common scale (their exact values add up to the scale).
pub(super) struct Weights<'a> {
    pub mode: Mode,
    pub scale: BigUint,
    /// Each leaf with a positive exact weight: (source, lot id) → numerator.
    pub leaves: BTreeMap<(u8, Source, &'a str), BigUint>,
}

#[derive(Default)]
pub(super) struct Walk<'a> {
    pub lots: Vec<LotEntry<'a>>,
    lot_index: HashMap<&'a str, usize>,
    pub events: Vec<EventEntry<'a>>,
    event_index: HashMap<&'a str, usize>,
}

impl<'a> Walk<'a> {
    /// Explores the ancestry of `roots` breadth first, following at most `max_depth`
    /// transformations from a root (the level of a lot is its fewest transformations from one).
    pub fn explore(graph: &'a LotGraph, roots: &'a [LotQuantity], max_depth: u32) -> Walk<'a> {
        let mut walk = Walk::default();
        let mut queue = VecDeque::new();
        for root in roots {
            walk.reach(graph, &root.lot_id, 0, &mut queue);
        }
        while let Some(index) = queue.pop_front() {
            let level = walk.lots[index].level;
            let state = match walk.lots[index].node {
                None => untraced(UntracedReason::NotLoaded),
                Some(node) if node.recycled => State::Leaf(Source::Recycled),
                Some(LotNode { origin: None, .. }) => untraced(UntracedReason::NoOrigin),
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
                }) => walk.expand(graph, t, level, max_depth, &mut queue),
            };
            if let State::Expanded(event) = state {
                walk.events[event].outputs.push(index);
                walk.events[event].pending += 1;
            }
            walk.lots[index].state = state;
        }
        walk
    }

    /// The lot's index, adding it (and queueing it) when new.
    fn reach(
        &mut self,
        graph: &'a LotGraph,
        id: &'a str,
        level: u32,
        queue: &mut VecDeque<usize>,
    ) -> usize {
        if let Some(index) = self.lot_index.get(id) {
            return *index;
        }
        let index = self.lots.len();
        self.lots.push(LotEntry {
            id,
            node: graph.lot(id),
            level,
            state: untraced(UntracedReason::NotLoaded),
            weight: BigUint::zero(),
            positive: false,
            pending: 0,
            longest: 0,
        });
        self.lot_index.insert(id, index);
        queue.push_back(index);
        index
    }

    fn expand(
        &mut self,
        graph: &'a LotGraph,
        t: &'a Transformation,
        level: u32,
        max_depth: u32,
        queue: &mut VecDeque<usize>,
    ) -> State {
        // An event already followed (through another of its outputs) is joined whatever the depth.
        if let Some(event) = self.event_index.get(t.event_id.as_str()) {
            return State::Expanded(*event);
        }
        if level >= max_depth {
            return untraced(UntracedReason::DepthLimit);
        }
        // A lot listed twice counts once with both quantities; non-positive quantities carry
        // nothing (the database refuses them).
        // Consumption is weighed in milligrams when every input is metric, in quanta of
        // 1.6 pg (exact for both unit families) when one is in troy ounces: only the ratios
        // between one event's inputs matter.
        let troy = t.inputs.iter().any(|i| i.quantity_uozt != 0);
        let mut consumed: Vec<(&'a str, u128)> = t
            .inputs
            .iter()
            .filter_map(|input| {
                let amount = if troy {
                    input.mass().quanta()
                } else {
                    i128::from(input.quantity_mg)
                };
                u128::try_from(amount)
                    .ok()
                    .filter(|amount| *amount > 0)
                    .map(|amount| (input.lot_id.as_str(), amount))
            })
            .collect();
        if consumed.is_empty() {
            return untraced(UntracedReason::NoInputs);
        }
        // By lot id, each lot once with what it gave in all.
        consumed.sort_unstable_by_key(|(id, _)| *id);
        consumed.dedup_by(|(id, amount), (kept, total)| {
            let same = id == kept;
            if same {
                *total += *amount;
            }
            same
        });
        let event = self.events.len();
        self.event_index.insert(t.event_id.as_str(), event);
        let total = consumed.iter().map(|(_, amount)| amount).sum();
        let inputs: Vec<(usize, u128)> = consumed
            .into_iter()
            .map(|(id, mg)| (self.reach(graph, id, level + 1, queue), mg))
            .collect();
        for (lot, _) in &inputs {
            self.lots[*lot].pending += 1;
        }
        self.events.push(EventEntry {
            transformation: t,
            inputs,
            total,
            outputs: Vec::new(),
            weight: BigUint::zero(),
            positive: false,
            pending: 0,
            longest: 0,
            done: false,
        });
        State::Expanded(event)
    }

    /// The index of a lot reached.
    pub fn index_of(&self, lot_id: &str) -> Option<usize> {
        self.lot_index.get(lot_id).copied()
    }

    /// The bits of the exact scale `Q × Π D_e` (an upper bound).
    pub fn exact_bits(&self, roots_total: u128) -> u64 {
        let bits = |v: u128| u64::from(u128::BITS - v.leading_zeros());
        self.events.iter().map(|e| bits(e.total)).sum::<u64>() + bits(roots_total)
    }

    /// The number of consumption edges followed.
    pub fn edges(&self) -> usize {
        self.events.iter().map(|e| e.inputs.len()).sum()
    }

    /// Pushes the weights of the roots (`(lot index, part)`, each root weighing
    /// `part / roots_total`) down to the leaves.
    pub fn propagate(
        &mut self,
        roots: &[(usize, u128)],
        roots_total: u128,
        mode: Mode,
    ) -> Weights<'a> {
        let mut pending_lots: Vec<usize> = self.lots.iter().map(|l| l.pending).collect();
        for lot in &mut self.lots {
            lot.weight = BigUint::zero();
            lot.positive = false;
            lot.longest = 0;
        }
        for event in &mut self.events {
            event.weight = BigUint::zero();
            event.positive = false;
            event.longest = 0;
            event.done = false;
        }
        let mut pending_events: Vec<usize> = self.events.iter().map(|e| e.pending).collect();

        let scale = match mode {
            Mode::Exact => {
                let mut product = BigUint::from(roots_total);
                for event in &self.events {
                    product *= event.total;
                }
                product
            }
            Mode::Fixed => {
                // Enough bits that what rounding can lose stays 2^-128 below a milligram.
                let edges = u64::try_from(self.edges() + roots.len()).unwrap_or(u64::MAX);
                let bits = 128 + 64 + 64 + u64::from(u64::BITS - edges.leading_zeros());
                BigUint::from(1u8) << bits
            }
        };
        for (lot, part) in roots {
            if *part == 0 {
                continue;
            }
            let weight = (&scale * *part).div_floor(&BigUint::from(roots_total));
            self.lots[*lot].weight += weight;
            self.lots[*lot].positive = true;
        }

        enum Node {
            Lot(usize),
            Event(usize),
        }
        let mut ready: VecDeque<Node> = (0..self.lots.len())
            .filter(|i| pending_lots[*i] == 0)
            .map(Node::Lot)
            .collect();
        while let Some(node) = ready.pop_front() {
            match node {
                Node::Lot(i) => {
                    let lot = &mut self.lots[i];
                    if let State::Expanded(e) = lot.state {
                        let weight = std::mem::take(&mut lot.weight);
                        let (positive, longest) = (lot.positive, lot.longest);
                        lot.positive = false;
                        let event = &mut self.events[e];
                        event.weight += weight;
                        event.positive |= positive;
                        event.longest = event.longest.max(longest);
                        pending_events[e] -= 1;
                        if pending_events[e] == 0 {
                            ready.push_back(Node::Event(e));
                        }
                    }
                }
                Node::Event(e) => {
                    let event = &mut self.events[e];
                    event.done = true;
                    let weight = std::mem::take(&mut event.weight);
                    let (total, positive, longest) =
                        (event.total, event.positive, event.longest + 1);
                    event.positive = false;
                    let exact_part = match mode {
                        // Exact division: the numerator is a multiple of this event's total.
                        Mode::Exact => Some(weight.div_floor(&BigUint::from(total))),
                        Mode::Fixed => None,
                    };
                    for (lot, mg) in &self.events[e].inputs {
                        let share = match &exact_part {
                            Some(part) => part * *mg,
                            None => (&weight * *mg).div_floor(&BigUint::from(total)),
                        };
                        let entry = &mut self.lots[*lot];
                        entry.weight += share;
                        entry.positive |= positive;
                        entry.longest = entry.longest.max(longest);
                        pending_lots[*lot] -= 1;
                        if pending_lots[*lot] == 0 {
                            ready.push_back(Node::Lot(*lot));
                        }
                    }
                }
            }
        }

        // What reached a leaf stays there. Weight stuck in a cycle (which never becomes ready)
        // is reported as untraced on the lot or event holding it.
        let mut leaves: BTreeMap<(u8, Source, &'a str), BigUint> = BTreeMap::new();
        let cycle = Source::Untraced {
            reason: UntracedReason::Cycle,
        };
        let mut add = |source: &Source, id: &'a str, weight: &BigUint| {
            *leaves
                .entry((source.rank(), source.clone(), id))
                .or_default() += weight;
        };
        for lot in self.lots.iter().filter(|l| l.positive) {
            match &lot.state {
                State::Leaf(source) => add(source, lot.id, &lot.weight),
                State::Expanded(_) => add(&cycle, lot.id, &lot.weight),
            }
        }
        for event in self.events.iter().filter(|e| e.positive && !e.done) {
            if let Some(first) = event.outputs.iter().map(|o| self.lots[*o].id).min() {
                add(&cycle, first, &event.weight);
            }
        }
        Weights {
            mode,
            scale,
            leaves,
        }
    }
}

fn untraced(reason: UntracedReason) -> State {
    State::Leaf(Source::Untraced { reason })
}
