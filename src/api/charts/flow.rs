//! The provenance of a lot or purchase as a layered flow graph (a Sankey diagram), from the
//! sources on the left (mines, recycled material, what could not be traced) through the lots
//! produced on the way to the traced subject on the right.
//!
//! Widths are proportional to quantity: a source's band is its exact attributed quantity (the
//! trace's `attributions`), a root lot's band into the subject is its traced quantity, and the
//! band from an input lot into the lot produced from it carries the output's quantity split in
//! proportion to what each input contributed (`consumed_into` quantities), which is the
//! proportional mass balance the attribution itself follows. Nodes a red flag names as evidence
//! (a lot or facility) are outlined thick and dashed and marked "⚑" in their label, and the
//! flags are listed in the description. Readable in greyscale: sources differ in lightness and
//! outline, every node is labelled in text, every band has a `<title>`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use svg::Document;
use svg::node::element::{Description, Group, Path, Rectangle, Text, Title};

use super::{fmt_percent, share_of};
use crate::api::routes::provenance::Provenance;
use crate::domain::provenance::Source;
use crate::domain::provenance::{EdgeKind, NodeKind};
use crate::domain::vocabulary::MiningScale;

const TOP: f64 = 56.0;
const BOTTOM: f64 = 24.0;
const NODE_W: f64 = 14.0;
const GAP: f64 = 26.0;
const PLOT_H: f64 = 420.0;
/// Room for the sources' labels on the left, and for the last column's on the right.
const LEFT_LABELS: f64 = 300.0;
const RIGHT_LABELS: f64 = 220.0;
/// From one column to the next: room for a label between them.
const STEP: f64 = 240.0;
/// Longest label shown (the whole name is in the node's `<title>`).
const LABEL_CHARS: usize = 48;

/// A node of the drawing.
struct Node {
    label: String,
    column: usize,
    /// Milligrams through it.
    flow: f64,
    fill: &'static str,
    dashed: bool,
    flagged: bool,
    y: f64,
    h: f64,
    /// How much of its height bands already use, leaving and entering.
    out_used: f64,
    in_used: f64,
}

/// A band between two nodes.
struct Band {
    from: usize,
    to: usize,
    mg: f64,
}

/// The node of `key`, added when new.
fn add(
    nodes: &mut Vec<Node>,
    index: &mut HashMap<String, usize>,
    key: String,
    node: Node,
) -> usize {
    *index.entry(key).or_insert_with(|| {
        nodes.push(node);
        nodes.len() - 1
    })
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn shown(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    }
}

fn kg(mg: f64) -> String {
    format!("{:.3} kg", mg / 1_000_000.0)
}

/// The drawing of `trace`; `names` gives a facility's name by id.
pub fn provenance(trace: &Provenance, names: &HashMap<String, String>) -> String {
    let flagged_ids: BTreeSet<&str> = trace
        .red_flags
        .iter()
        .flat_map(|f| f.evidence.iter().map(|e| e.id.as_str()))
        .collect();
    let name_of = |id: &str| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("facility {}", short(id)))
    };

    // Lots: where each was produced, what it was made from, and its depth from the roots.
    let mut produced_at: HashMap<&str, &str> = HashMap::new();
    let mut inputs: HashMap<&str, Vec<(&str, f64)>> = HashMap::new();
    for e in &trace.graph.edges {
        match e.kind {
            EdgeKind::TransformedAt => {
                produced_at.insert(&e.from.id, &e.to.id);
            }
            EdgeKind::ConsumedInto => inputs
                .entry(&e.to.id)
                .or_default()
                .push((&e.from.id, e.quantity_mg.unwrap_or(0) as f64)),
            _ => {}
        }
    }
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    let mut flow: BTreeMap<&str, f64> = BTreeMap::new();
    let mut frontier: Vec<&str> = Vec::new();
    for root in &trace.roots {
        depth.insert(&root.lot_id, 0);
        *flow.entry(&root.lot_id).or_default() += root.quantity_mg as f64;
        frontier.push(&root.lot_id);
    }
    // Depths by longest path (the graph is acyclic; a lot is never deeper than the lots).
    let lot_count = trace
        .graph
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Lot)
        .count();
    for _ in 0..=lot_count {
        let mut next = Vec::new();
        for lot in frontier.drain(..) {
            let d = depth[lot];
            for (input, _) in inputs.get(lot).map(Vec::as_slice).unwrap_or(&[]) {
                if depth.get(input).is_none_or(|known| *known < d + 1) {
                    depth.insert(input, d + 1);
                    next.push(*input);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    // Flows, shallowest first: each lot passes its flow to its inputs in proportion.
    let mut by_depth: Vec<(&str, usize)> = depth.iter().map(|(l, d)| (*l, *d)).collect();
    by_depth.sort_by_key(|(l, d)| (*d, *l));
    let mut bands_between: Vec<(&str, &str, f64)> = Vec::new();
    for (lot, _) in &by_depth {
        let through = flow.get(lot).copied().unwrap_or(0.0);
        let Some(list) = inputs.get(lot) else {
            continue;
        };
        let total: f64 = list.iter().map(|(_, q)| q).sum();
        for (input, q) in list {
            let part = if total > 0.0 {
                through * q / total
            } else {
                0.0
            };
            *flow.entry(input).or_default() += part;
            bands_between.push((input, lot, part));
        }
    }
    let max_depth = depth.values().copied().max().unwrap_or(0);
    let source_column = 0;
    let lot_column = |d: usize| 1 + (max_depth - d);
    let subject_column = max_depth + 2;

    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut bands: Vec<Band> = Vec::new();
    let node =
        |label: String, column: usize, fill: &'static str, dashed: bool, flagged: bool| Node {
            label,
            column,
            flow: 0.0,
            fill,
            dashed,
            flagged,
            y: 0.0,
            h: 0.0,
            out_used: 0.0,
            in_used: 0.0,
        };
    let subject_label = format!("{} {}", trace.subject.kind, short(&trace.subject.id));
    let subject = add(
        &mut nodes,
        &mut index,
        "subject".to_owned(),
        node(subject_label, subject_column, "#333333", false, false),
    );
    for (lot, d) in &by_depth {
        let label = match produced_at.get(lot) {
            Some(f) => name_of(f),
            None => format!("lot {}", short(lot)),
        };
        let flagged = flagged_ids.contains(lot)
            || produced_at
                .get(lot)
                .is_some_and(|f| flagged_ids.contains(f));
        add(
            &mut nodes,
            &mut index,
            format!("lot:{lot}"),
            node(label, lot_column(*d), "#7f8c8d", false, flagged),
        );
    }
    for root in &trace.roots {
        let from = index[&format!("lot:{}", root.lot_id)];
        bands.push(Band {
            from,
            to: subject,
            mg: root.quantity_mg as f64,
        });
    }
    for (input, output, mg) in bands_between {
        bands.push(Band {
            from: index[&format!("lot:{input}")],
            to: index[&format!("lot:{output}")],
            mg,
        });
    }
    let scale_of = |facility: &str| {
        trace
            .origins
            .iter()
            .find(|o| o.facility_id == facility)
            .and_then(|o| o.mining_scale)
    };
    for a in &trace.attributions {
        let (key, label, fill, dashed, flagged) = match &a.source {
            Source::Mine { facility_id, .. } => {
                let fill = match scale_of(facility_id) {
                    Some(MiningScale::Asm) => "#1b4f72",
                    _ => "#5d8aa8",
                };
                let scale = scale_of(facility_id)
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                (
                    format!("mine:{facility_id}"),
                    format!("{}{scale}", name_of(facility_id)),
                    fill,
                    false,
                    flagged_ids.contains(facility_id.as_str()),
                )
            }
            Source::Recycled => (
                "recycled".to_owned(),
                "recycled".to_owned(),
                "#a9c6de",
                false,
                false,
            ),
            Source::Untraced { reason } => (
                format!("untraced:{reason}"),
                format!("untraced ({reason})"),
                "#ffffff",
                true,
                false,
            ),
        };
        let from = add(
            &mut nodes,
            &mut index,
            key,
            node(label, source_column, fill, dashed, flagged),
        );
        let Some(&to) = index.get(&format!("lot:{}", a.lot_id)) else {
            continue;
        };
        bands.push(Band {
            from,
            to,
            mg: a.quantity_mg as f64,
        });
    }

    // Node flows: the larger of what enters and what leaves.
    let mut entering = vec![0.0; nodes.len()];
    let mut leaving = vec![0.0; nodes.len()];
    for b in &bands {
        leaving[b.from] += b.mg;
        entering[b.to] += b.mg;
    }
    for (i, n) in nodes.iter_mut().enumerate() {
        n.flow = entering[i].max(leaving[i]);
    }
    // Layout: columns equally spaced, nodes stacked, heights on one scale.
    let columns = subject_column + 1;
    let mut column_total = vec![0.0; columns];
    let mut column_count = vec![0usize; columns];
    for n in &nodes {
        column_total[n.column] += n.flow;
        column_count[n.column] += 1;
    }
    let scale = (0..columns)
        .filter(|c| column_total[*c] > 0.0)
        .map(|c| (PLOT_H - GAP * column_count[c].saturating_sub(1) as f64) / column_total[c])
        .fold(f64::INFINITY, f64::min);
    let scale = if scale.is_finite() { scale } else { 0.0 };
    let width = LEFT_LABELS + STEP * columns.saturating_sub(1) as f64 + NODE_W + RIGHT_LABELS;
    let x_of = |column: usize| LEFT_LABELS + STEP * column as f64;
    let mut next_y = vec![TOP; columns];
    for n in nodes.iter_mut() {
        n.h = (n.flow * scale).max(2.0);
        n.y = next_y[n.column];
        next_y[n.column] += n.h + GAP;
    }
    let height = next_y.iter().copied().fold(TOP + PLOT_H, f64::max) + BOTTOM;

    let total = trace.quantity_mg;
    let mut desc = format!(
        "Flow from the sources on the left to {} on the right, widths proportional to \
         quantity; traced quantity {}.",
        nodes[subject].label,
        kg(total as f64)
    );
    let mut band_group = Group::new().set("class", "bands");
    for b in &bands {
        let (from, to) = (b.from, b.to);
        let thickness = b.mg * scale;
        let x0 = x_of(nodes[from].column) + NODE_W;
        let x1 = x_of(nodes[to].column);
        let y0 = nodes[from].y + nodes[from].out_used;
        let y1 = nodes[to].y + nodes[to].in_used;
        nodes[from].out_used += thickness;
        nodes[to].in_used += thickness;
        let mid = (x0 + x1) / 2.0;
        let d = format!(
            "M{x0:.1},{y0:.1} C{mid:.1},{y0:.1} {mid:.1},{y1:.1} {x1:.1},{y1:.1} \
             L{x1:.1},{:.1} C{mid:.1},{:.1} {mid:.1},{:.1} {x0:.1},{:.1} Z",
            y1 + thickness,
            y1 + thickness,
            y0 + thickness,
            y0 + thickness
        );
        let words = format!(
            "{} → {}: {} ({} of the traced quantity)",
            nodes[from].label,
            nodes[to].label,
            kg(b.mg),
            fmt_percent(share_of(b.mg.round() as i64, total))
        );
        band_group = band_group.add(
            Path::new()
                .set("d", d)
                .set("fill", "#9aa5ad")
                .set("fill-opacity", 0.55)
                .set("stroke", "#5f6b73")
                .set("stroke-width", 0.5)
                .add(Title::new(words)),
        );
    }
    let mut node_group = Group::new().set("class", "nodes");
    for n in &nodes {
        let x = x_of(n.column);
        let mut rect = Rectangle::new()
            .set("x", x)
            .set("y", n.y)
            .set("width", NODE_W)
            .set("height", n.h)
            .set("fill", n.fill)
            .set("stroke", "#000000")
            .set("stroke-width", if n.flagged { 2.5 } else { 1.0 });
        if n.dashed || n.flagged {
            rect = rect.set("stroke-dasharray", "4 2");
        }
        let name = if n.flagged {
            format!("⚑ {}", n.label)
        } else {
            n.label.clone()
        };
        let (tx, anchor) = if n.column == 0 {
            (x - 6.0, "end")
        } else {
            (x + NODE_W + 6.0, "start")
        };
        let middle = n.y + n.h / 2.0;
        node_group = node_group
            .add(rect.add(Title::new(format!("{name} — {}", kg(n.flow)))))
            .add(
                Text::new(shown(&name))
                    .set("x", tx)
                    .set("y", middle - 2.0)
                    .set("text-anchor", anchor)
                    .set("font-size", 11)
                    .set("data-node", n.column.to_string()),
            )
            .add(
                Text::new(kg(n.flow))
                    .set("x", tx)
                    .set("y", middle + 11.0)
                    .set("text-anchor", anchor)
                    .set("font-size", 10)
                    .set("fill", "#444444"),
            );
    }
    for a in &trace.attributions {
        let source = match &a.source {
            Source::Mine { facility_id, .. } => name_of(facility_id),
            Source::Recycled => "recycled".to_owned(),
            Source::Untraced { reason } => format!("untraced ({reason})"),
        };
        desc.push_str(&format!(
            " {source}: {} ({}).",
            kg(a.quantity_mg as f64),
            a.share.value
        ));
    }
    for f in &trace.red_flags {
        desc.push_str(&format!(
            " Red flag {} ({}): {}",
            f.kind, f.severity, f.message
        ));
    }
    let title = format!("Provenance of {} {}", trace.subject.kind, trace.subject.id);
    Document::new()
        .set("width", width)
        .set("height", height)
        .set("viewBox", (0, 0, width.ceil() as i64, height.ceil() as i64))
        .set("role", "img")
        .set("aria-labelledby", "flow-title flow-desc")
        .set("font-family", "system-ui, sans-serif")
        .set("font-size", 12)
        .add(Title::new(title.clone()).set("id", "flow-title"))
        .add(
            Description::new()
                .set("id", "flow-desc")
                .add(svg::node::Text::new(desc)),
        )
        .add(
            Rectangle::new()
                .set("width", width)
                .set("height", height)
                .set("fill", "#ffffff"),
        )
        .add(
            Text::new(title)
                .set("x", 16)
                .set("y", 28)
                .set("font-size", 15)
                .set("font-weight", "bold"),
        )
        .add(band_group)
        .add(node_group)
        .to_string()
}
