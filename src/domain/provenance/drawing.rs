//! The provenance graph to draw: lots, facilities and parties, and the edges between them.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::graph::{LotGraph, LotNode, Origin, TransferEdge};
use super::outcome::Source;
use super::walk::{State, Walk};

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

/// A node as [`GraphNode`] orders it, borrowed from the graph.
type NodeRef<'a> = (NodeKind, &'a str);

/// An edge as [`GraphEdge`] orders it (its fields in the same order), borrowed from the graph:
/// the drawing is sorted and deduplicated before any id is copied into the answer.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EdgeRef<'a> {
    kind: EdgeKind,
    from: NodeRef<'a>,
    to: NodeRef<'a>,
    event_id: &'a str,
    occurred_on: NaiveDate,
    lot_id: Option<&'a str>,
    quantity_mg: Option<i64>,
}

fn owned_node((kind, id): NodeRef<'_>) -> GraphNode {
    GraphNode {
        kind,
        id: id.to_owned(),
    }
}

impl EdgeRef<'_> {
    fn owned(self) -> GraphEdge {
        GraphEdge {
            kind: self.kind,
            from: owned_node(self.from),
            to: owned_node(self.to),
            event_id: self.event_id.to_owned(),
            occurred_on: self.occurred_on,
            lot_id: self.lot_id.map(str::to_owned),
            quantity_mg: self.quantity_mg,
        }
    }
}

/// Sorted, each once: what a `BTreeSet` would hold, without building one.
fn sorted_once<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort_unstable();
    items.dedup();
    items
}

/// Every lot reached; each mine reached with its extraction; each transformation followed with
/// its facility and the consumption of its inputs into the outputs reached; each transfer of a
/// lot reached. Both lists sorted, each edge once. Also returns those transfers, by date.
pub(super) fn drawing(walk: &Walk<'_>, graph: &LotGraph) -> (ProvenanceGraph, Vec<TransferEdge>) {
    let mut nodes: Vec<NodeRef<'_>> = Vec::with_capacity(walk.lots.len() + walk.events.len());
    let mut edges: Vec<EdgeRef<'_>> = Vec::with_capacity(walk.lots.len() + 2 * walk.edges());
    let mut transfers: Vec<TransferEdge> = Vec::new();
    for lot in &walk.lots {
        nodes.push((NodeKind::Lot, lot.id));
        if let (
            State::Leaf(Source::Mine { .. }),
            Some(LotNode {
                origin: Some(Origin::Extraction(e)),
                ..
            }),
        ) = (&lot.state, lot.node)
        {
            nodes.push((NodeKind::Facility, &e.facility_id));
            edges.push(EdgeRef {
                kind: EdgeKind::ExtractedAt,
                from: (NodeKind::Lot, lot.id),
                to: (NodeKind::Facility, &e.facility_id),
                event_id: &e.event_id,
                occurred_on: e.occurred_on,
                lot_id: None,
                quantity_mg: None,
            });
        }
        for t in graph.transfers_of(lot.id) {
            nodes.push((NodeKind::Party, &t.from_party));
            nodes.push((NodeKind::Party, &t.to_party));
            edges.push(EdgeRef {
                kind: EdgeKind::Transferred,
                from: (NodeKind::Party, &t.from_party),
                to: (NodeKind::Party, &t.to_party),
                event_id: &t.event_id,
                occurred_on: t.occurred_on,
                lot_id: Some(&t.lot_id),
                quantity_mg: Some(t.quantity_mg),
            });
            transfers.push(t.clone());
        }
    }
    for event in &walk.events {
        let t = event.transformation;
        nodes.push((NodeKind::Facility, &t.facility_id));
        for output in &event.outputs {
            let output = walk.lots[*output].id;
            edges.push(EdgeRef {
                kind: EdgeKind::TransformedAt,
                from: (NodeKind::Lot, output),
                to: (NodeKind::Facility, &t.facility_id),
                event_id: &t.event_id,
                occurred_on: t.occurred_on,
                lot_id: None,
                quantity_mg: None,
            });
            for (input, mg) in &event.inputs {
                edges.push(EdgeRef {
                    kind: EdgeKind::ConsumedInto,
                    from: (NodeKind::Lot, walk.lots[*input].id),
                    to: (NodeKind::Lot, output),
                    event_id: &t.event_id,
                    occurred_on: t.occurred_on,
                    lot_id: None,
                    quantity_mg: i64::try_from(*mg).ok(),
                });
            }
        }
    }
    transfers.sort_by(|a, b| {
        (a.occurred_on, &a.event_id, &a.lot_id, &a.from_party).cmp(&(
            b.occurred_on,
            &b.event_id,
            &b.lot_id,
            &b.from_party,
        ))
    });
    (
        ProvenanceGraph {
            nodes: sorted_once(nodes).into_iter().map(owned_node).collect(),
            edges: sorted_once(edges).into_iter().map(EdgeRef::owned).collect(),
        },
        transfers,
    )
}
