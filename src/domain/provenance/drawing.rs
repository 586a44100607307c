//! The provenance graph to draw: lots, facilities and parties, and the edges between them.

use std::collections::BTreeSet;

use super::attribution::{EdgeKind, GraphEdge, GraphNode, NodeKind, ProvenanceGraph, Source};
use super::graph::{LotGraph, LotNode, Origin, TransferEdge};
use super::walk::{State, Walk};

/// Every lot reached; each mine reached with its extraction; each transformation followed with
/// its facility and the consumption of its inputs into the outputs reached; each transfer of a
/// lot reached. Both lists sorted, each edge once. Also returns those transfers, by date.
pub(super) fn drawing(walk: &Walk<'_>, graph: &LotGraph) -> (ProvenanceGraph, Vec<TransferEdge>) {
    let node = |kind, id: &str| GraphNode {
        kind,
        id: id.to_owned(),
    };
    let mut nodes: BTreeSet<GraphNode> = BTreeSet::new();
    let mut edges: BTreeSet<GraphEdge> = BTreeSet::new();
    let mut transfers: Vec<TransferEdge> = Vec::new();
    for lot in &walk.lots {
        nodes.insert(node(NodeKind::Lot, lot.id));
        if let (
            State::Leaf(Source::Mine { .. }),
            Some(LotNode {
                origin: Some(Origin::Extraction(e)),
                ..
            }),
        ) = (&lot.state, lot.node)
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
    for event in &walk.events {
        let t = event.transformation;
        nodes.insert(node(NodeKind::Facility, &t.facility_id));
        for output in &event.outputs {
            let output = walk.lots[*output].id;
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
                    from: node(NodeKind::Lot, walk.lots[*input].id),
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
        (a.occurred_on, &a.event_id, &a.lot_id, &a.from_party).cmp(&(
            b.occurred_on,
            &b.event_id,
            &b.lot_id,
            &b.from_party,
        ))
    });
    (
        ProvenanceGraph {
            nodes: nodes.into_iter().collect(),
            edges: edges.into_iter().collect(),
        },
        transfers,
    )
}
