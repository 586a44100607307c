//! Traces worked out by hand.

use super::{exact, rows, summary};
use crate::domain::provenance::test_graph::{G, KG, Lots, day, quantities, two_mines_to_gold};
use crate::domain::provenance::{Arithmetic, Source, TraceError, UntracedReason, trace_many};

fn untraced(reason: UntracedReason) -> Source {
    Source::Untraced { reason }
}

#[test]
fn refined_from_600_g_asm_and_400_g_lsm_attributes_six_and_four_tenths() {
    // The yield is 90%: the attribution does not depend on it.
    let trace = Lots::default()
        .mined("ore-asm", 600 * G, "mine-asm", "x-1", "2026-01-05")
        .mined("ore-lsm", 400 * G, "mine-lsm", "x-2", "2026-01-06")
        .transformed(
            "t-1",
            "refinery",
            "2026-02-01",
            &[("ore-asm", 600 * G), ("ore-lsm", 400 * G)],
            &[("gold", 900 * G)],
        )
        .trace("gold", KG, 6);
    assert_eq!(
        summary(&trace),
        rows(&[
            ("ore-asm", 600 * G, "0.600000"),
            ("ore-lsm", 400 * G, "0.400000")
        ])
    );
    let first = &trace.attributions[0];
    assert_eq!(exact(first), (Some("3"), Some("5")));
    assert_eq!(trace.arithmetic, Arithmetic::Exact);
    assert_eq!(
        first.source,
        Source::Mine {
            facility_id: "mine-asm".into(),
            event_id: "x-1".into(),
            extracted_on: day("2026-01-05")
        }
    );
    assert_eq!(trace.depth, 1);
    assert_eq!(trace.summary.mines.share.value, "1.000000");
    assert_eq!(trace.summary.untraced.quantity_mg, 0);
    assert_eq!(trace.transformations.len(), 1);
    assert_eq!(trace.extractions.len(), 2);
}

#[test]
fn two_mines_smelter_refiner_trader_chain_by_hand() {
    // Mine M1 (ASM) extracts 3 kg, mine M2 (LSM) 7 kg. The smelter consumes all 3 kg of M1 and
    // 4 kg of M2's 7 kg (weights 3/7 and 4/7, by what was consumed), making 5 kg of doré. The
    // refiner turns 5 kg of doré into 4.9 kg of gold; the gold passes refiner → trader →
    // purchaser, who bought 1 kg of it.
    //
    // 1 kg × 3/7 = 428 571.43 mg, × 4/7 = 571 428.57 mg: floors 428 571 + 571 428 = 999 999;
    // the missing milligram goes to the larger remainder (0.57, M2).
    // Shares: 0.428571|43 and 0.571428|57: the missing millionth also goes to M2.
    let trace = two_mines_to_gold([("o1", "m1", "x-1"), ("o2", "m2", "x-2")])
        // Given out of date order.
        .transfer("tr-2", "gold", "trader", "purchaser", KG, "2026-03-20")
        .transfer(
            "tr-1",
            "gold",
            "refiner-co",
            "trader",
            4_900 * G,
            "2026-03-10",
        )
        .trace("gold", KG, 6);
    assert_eq!(
        summary(&trace),
        rows(&[("o1", 428_571, "0.428571"), ("o2", 571_429, "0.571429")])
    );
    assert_eq!(exact(&trace.attributions[0]), (Some("3"), Some("7")));
    assert_eq!(trace.depth, 2);
    let events: Vec<&str> = trace
        .transformations
        .iter()
        .map(|t| t.event_id.as_str())
        .collect();
    assert_eq!(events, ["t-smelt", "t-refine"]);
    let transfers: Vec<&str> = trace
        .transfers
        .iter()
        .map(|t| t.event_id.as_str())
        .collect();
    assert_eq!(transfers, ["tr-1", "tr-2"], "by date");
    let levels: Vec<(&str, u32)> = trace
        .lots
        .iter()
        .map(|l| (l.lot_id.as_str(), l.level))
        .collect();
    assert_eq!(levels, [("dore", 1), ("gold", 0), ("o1", 2), ("o2", 2)]);

    // The graph to draw.
    let nodes: Vec<String> = trace
        .graph
        .nodes
        .iter()
        .map(|n| format!("{}:{}", n.kind, n.id))
        .collect();
    assert_eq!(
        nodes,
        [
            "lot:dore",
            "lot:gold",
            "lot:o1",
            "lot:o2",
            "facility:m1",
            "facility:m2",
            "facility:refiner",
            "facility:smelter",
            "party:purchaser",
            "party:refiner-co",
            "party:trader"
        ]
    );
    let edges: Vec<String> = trace
        .graph
        .edges
        .iter()
        .map(|e| {
            format!(
                "{} {}:{} -> {}:{} {}",
                e.kind, e.from.kind, e.from.id, e.to.kind, e.to.id, e.event_id
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            "consumed_into lot:dore -> lot:gold t-refine",
            "consumed_into lot:o1 -> lot:dore t-smelt",
            "consumed_into lot:o2 -> lot:dore t-smelt",
            "extracted_at lot:o1 -> facility:m1 x-1",
            "extracted_at lot:o2 -> facility:m2 x-2",
            "transformed_at lot:dore -> facility:smelter t-smelt",
            "transformed_at lot:gold -> facility:refiner t-refine",
            "transferred party:refiner-co -> party:trader tr-1",
            "transferred party:trader -> party:purchaser tr-2",
        ]
    );
    let o2 = trace
        .graph
        .edges
        .iter()
        .find(|e| e.from.id == "o2")
        .unwrap();
    assert_eq!(o2.quantity_mg, Some(4 * KG));
}

#[test]
fn a_recycled_input_is_a_leaf_and_its_history_is_not_followed() {
    let trace = Lots::default()
        .mined("ore", 10 * KG, "mine", "x-1", "2026-01-01")
        // The scrap came out of a recycler's transformation of unknown inputs: not followed.
        .transformed(
            "t-recycle",
            "recycler",
            "2026-01-02",
            &[("e-waste", KG)],
            &[("scrap", 250 * G)],
        )
        .recycled("scrap")
        .transformed(
            "t-refine",
            "refiner",
            "2026-02-01",
            &[("ore", 750 * G), ("scrap", 250 * G)],
            &[("bar", KG)],
        )
        .trace("bar", 2 * KG, 6);
    assert_eq!(
        summary(&trace),
        rows(&[
            ("ore", 1_500 * G, "0.750000"),
            ("scrap", 500 * G, "0.250000")
        ])
    );
    assert_eq!(trace.attributions[1].source, Source::Recycled);
    assert_eq!(trace.summary.recycled.quantity_mg, 500 * G);
    assert_eq!(trace.summary.recycled.share.value, "0.250000");
    assert!(trace.lots.iter().all(|l| l.lot_id != "e-waste"));
    assert_eq!(trace.transformations.len(), 1);
}

#[test]
fn untraced_inputs_are_named_with_their_reason() {
    let mut lots = Lots::default();
    lots.mined("ore", KG, "mine", "x-1", "2026-01-01")
        .bare("mystery", KG, false)
        .transformed(
            "t-1",
            "smelter",
            "2026-02-01",
            &[("ore", 2 * KG), ("mystery", KG), ("foreign", KG)],
            &[("metal", 3 * KG)],
        );
    let trace = lots.trace("metal", 1_000, 6);
    assert_eq!(
        summary(&trace),
        rows(&[
            ("ore", 500, "0.500000"),
            ("mystery", 250, "0.250000"),
            ("foreign", 250, "0.250000")
        ])
    );
    assert_eq!(
        trace.attributions[1].source,
        untraced(UntracedReason::NoOrigin)
    );
    assert_eq!(
        trace.attributions[2].source,
        untraced(UntracedReason::NotLoaded)
    );
    assert_eq!(trace.summary.untraced.quantity_mg, 500);
    assert_eq!(trace.summary.untraced.share.value, "0.500000");
    let foreign = trace.lots.iter().find(|l| l.lot_id == "foreign").unwrap();
    assert_eq!(foreign.quantity_mg, None);

    // A lot that is not loaded at all.
    let trace = lots.trace("nowhere", 1_000, 6);
    assert_eq!(summary(&trace), rows(&[("nowhere", 1_000, "1.000000")]));
}

#[test]
fn a_diamond_counts_the_shared_ancestor_once_per_path_weight() {
    // Ore A (10 kg) is split by one concentrator event into B1 (4 kg) and B2 (6 kg); the smelter
    // consumes B1, B2 and 10 kg of ore Z. A reaches the metal by two paths, 4/20 and 6/20:
    // one leaf with 1/2, not two, and not counted twice.
    let mut ores = Lots::default();
    ores.mined("a", 10 * KG, "mine-a", "x-a", "2026-01-01")
        .mined("z", 10 * KG, "mine-z", "x-z", "2026-01-01");
    let trace = ores
        .clone()
        .transformed(
            "c-1",
            "concentrator",
            "2026-01-10",
            &[("a", 10 * KG)],
            &[("b1", 4 * KG), ("b2", 6 * KG)],
        )
        .transformed(
            "s-1",
            "smelter",
            "2026-02-01",
            &[("b1", 4 * KG), ("b2", 6 * KG), ("z", 10 * KG)],
            &[("metal", 18 * KG)],
        )
        .trace("metal", 18 * KG, 6);
    assert_eq!(
        summary(&trace),
        rows(&[("a", 9 * KG, "0.500000"), ("z", 9 * KG, "0.500000")])
    );
    assert_eq!(
        trace.transformations.len(),
        2,
        "the concentrator event is followed once"
    );
    assert_eq!(trace.depth, 2);

    // Two separate events consuming parts of the same ore, both feeding the smelter; the ore
    // also feeds the smelter directly: three paths to one leaf, 1/4 + 1/4 + 1/4.
    let trace = ores
        .clone()
        .transformed(
            "e-1",
            "concentrator",
            "2026-01-10",
            &[("a", 2 * KG)],
            &[("b1", KG)],
        )
        .transformed(
            "e-2",
            "concentrator",
            "2026-01-11",
            &[("a", 3 * KG), ("z", 3 * KG)],
            &[("b2", 5 * KG)],
        )
        .transformed(
            "s-1",
            "smelter",
            "2026-02-01",
            &[("b1", KG), ("b2", 2 * KG), ("a", KG)],
            &[("metal", 4 * KG)],
        )
        .trace("metal", 4 * KG, 6);
    // b1: 1/4 all from a; b2: 2/4, half a half z; a direct: 1/4. a = 1/4 + 1/4 + 1/4 = 3/4.
    assert_eq!(
        summary(&trace),
        rows(&[("a", 3 * KG, "0.750000"), ("z", KG, "0.250000")])
    );
    assert_eq!(exact(&trace.attributions[0]), (Some("3"), Some("4")));
    assert_eq!(trace.depth, 2, "the longest chain: metal ← b2 ← a");
}

#[test]
fn thirds_are_apportioned_by_largest_remainder() {
    let mut lots = Lots::default();
    lots.mined("a", KG, "m-a", "x-a", "2026-01-01")
        .mined("b", KG, "m-b", "x-b", "2026-01-01")
        .mined("c", KG, "m-c", "x-c", "2026-01-01")
        .transformed(
            "t",
            "smelter",
            "2026-02-01",
            &[("a", KG), ("b", KG), ("c", KG)],
            &[("m", 3 * KG)],
        );
    // A zero quantity still has a composition.
    for (mg, a, bc) in [(100, 34, 33), (0, 0, 0)] {
        assert_eq!(
            summary(&lots.trace("m", mg, 6)),
            rows(&[
                ("a", a, "0.333334"),
                ("b", bc, "0.333333"),
                ("c", bc, "0.333333")
            ]),
            "{mg} mg"
        );
    }
}

/// `lot-0` mined, then `lot-i` made from `lot-(i-1)` up to `lot-length`.
fn chain(length: usize) -> Lots {
    let mut lots = Lots::default();
    lots.mined("lot-0", KG, "mine", "x", "2026-01-01");
    for i in 1..=length {
        lots.transformed(
            &format!("t-{i}"),
            "plant",
            "2026-02-01",
            &[(&format!("lot-{}", i - 1), KG)],
            &[(&format!("lot-{i}"), KG)],
        );
    }
    lots
}

#[test]
fn the_depth_limit_leaves_the_rest_untraced() {
    let lots = chain(5);
    let trace = lots.trace("lot-5", KG, 3);
    assert_eq!(summary(&trace), rows(&[("lot-2", KG, "1.000000")]));
    assert_eq!(
        trace.attributions[0].source,
        untraced(UntracedReason::DepthLimit)
    );
    assert_eq!(trace.depth, 3);
    let trace = lots.trace("lot-5", KG, 5);
    assert_eq!(summary(&trace), rows(&[("lot-0", KG, "1.000000")]));
    assert_eq!(trace.depth, 5);
    let trace = lots.trace("lot-5", KG, 0);
    assert_eq!(trace.attributions[0].lot_id, "lot-5");
    assert_eq!(trace.depth, 0);
}

#[test]
fn a_very_long_chain_neither_loops_nor_overflows_the_stack() {
    let trace = chain(30_000).trace("lot-30000", KG, u32::MAX);
    assert_eq!(summary(&trace), rows(&[("lot-0", KG, "1.000000")]));
    assert_eq!(trace.depth, 30_000);
}

#[test]
fn cycles_end_and_their_weight_is_untraced() {
    // l1 is made from l2 and l2 from l1 (refused on write, but the trace must still end).
    let mut lots = Lots::default();
    lots.transformed("e-1", "plant", "2026-01-01", &[("l2", KG)], &[("l1", KG)])
        .transformed("e-2", "plant", "2026-01-02", &[("l1", KG)], &[("l2", KG)])
        .mined("ore", KG, "mine", "x", "2026-01-01")
        .transformed(
            "e-0",
            "plant",
            "2026-01-03",
            &[("ore", KG), ("l1", KG)],
            &[("root", 2 * KG)],
        );
    let trace = lots.trace("root", 2 * KG, 50);
    assert_eq!(
        summary(&trace),
        rows(&[("ore", KG, "0.500000"), ("l1", KG, "0.500000")])
    );
    assert_eq!(
        trace.attributions[1].source,
        untraced(UntracedReason::Cycle)
    );
    let trace = lots.trace("l1", KG, 50);
    assert_eq!(summary(&trace), rows(&[("l1", KG, "1.000000")]));
    // A lot consuming itself.
    let trace = Lots::default()
        .transformed("e", "plant", "2026-01-01", &[("s", KG)], &[("s", KG)])
        .trace("s", 7, 50);
    assert_eq!(summary(&trace), rows(&[("s", 7, "1.000000")]));
}

#[test]
fn several_lots_are_traced_by_their_quantities() {
    let graph = Lots::default()
        .mined("a", KG, "m-a", "x-a", "2026-01-01")
        .mined("b", KG, "m-b", "x-b", "2026-01-01")
        .graph();
    let roots = quantities(&[("a", 3 * KG), ("b", KG), ("a", 0)]);
    let trace = trace_many(&graph, &roots, 6).unwrap();
    assert_eq!(
        summary(&trace),
        rows(&[("a", 3 * KG, "0.750000"), ("b", KG, "0.250000")])
    );
    assert_eq!(trace.quantity_mg, 4 * KG);
    let refused: [(&[(&str, i64)], TraceError); 4] = [
        (&[], TraceError::NothingToTrace),
        (&[("a", 0)], TraceError::NothingToTrace),
        (&[("a", -1)], TraceError::NegativeQuantity),
        (&[("a", i64::MAX), ("b", 1)], TraceError::TooLarge),
    ];
    for (roots, refusal) in refused {
        assert_eq!(
            trace_many(&graph, &quantities(roots), 6),
            Err(refusal),
            "{roots:?}"
        );
    }
    assert_eq!(
        crate::domain::provenance::trace(&graph, "a", -1, 6),
        Err(TraceError::NegativeQuantity)
    );
}
