use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::attribution::run;
use super::walk::Mode;
use super::*;
use crate::domain::vocabulary::ChainOfCustody;

mod fraction;
use fraction::Fraction;

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A lot extracted at `facility` by `event`.
pub(crate) fn mined(lot: &str, mg: i64, facility: &str, event: &str, on: &str) -> LotNode {
    LotNode {
        lot_id: lot.into(),
        quantity_mg: mg,
        recycled: false,
        origin: Some(Origin::Extraction(Extraction {
            event_id: event.into(),
            facility_id: facility.into(),
            occurred_on: day(on),
            quantity_mg: mg,
        })),
    }
}

/// A lot with no recorded origin.
pub(crate) fn bare(lot: &str, mg: i64, recycled: bool) -> LotNode {
    LotNode {
        lot_id: lot.into(),
        quantity_mg: mg,
        recycled,
        origin: None,
    }
}

fn quantities(list: &[(&str, i64)]) -> Vec<LotQuantity> {
    list.iter()
        .map(|(lot, mg)| LotQuantity {
            lot_id: (*lot).into(),
            quantity_mg: *mg,
        })
        .collect()
}

/// The output lots of a transformation.
pub(crate) fn transformed(
    event: &str,
    facility: &str,
    on: &str,
    inputs: &[(&str, i64)],
    outputs: &[(&str, i64)],
) -> Vec<LotNode> {
    let t = Transformation {
        event_id: event.into(),
        facility_id: facility.into(),
        occurred_on: day(on),
        chain_of_custody: ChainOfCustody::MassBalance,
        inputs: quantities(inputs),
        outputs: quantities(outputs),
    };
    outputs
        .iter()
        .map(|(lot, mg)| LotNode {
            lot_id: (*lot).into(),
            quantity_mg: *mg,
            recycled: false,
            origin: Some(Origin::Transformation(t.clone())),
        })
        .collect()
}

pub(crate) fn transfer(
    event: &str,
    lot: &str,
    from: &str,
    to: &str,
    mg: i64,
    on: &str,
) -> TransferEdge {
    TransferEdge {
        event_id: event.into(),
        lot_id: lot.into(),
        from_party: from.into(),
        to_party: to.into(),
        quantity_mg: mg,
        occurred_on: day(on),
    }
}

fn summary(trace: &Trace) -> Vec<(String, i64, String)> {
    trace
        .attributions
        .iter()
        .map(|a| (a.lot_id.clone(), a.quantity_mg, a.share.value.clone()))
        .collect()
}

fn row(lot: &str, mg: i64, share: &str) -> (String, i64, String) {
    (lot.to_owned(), mg, share.to_owned())
}

const G: i64 = 1_000;
const KG: i64 = 1_000_000;

#[test]
fn refined_from_600_g_asm_and_400_g_lsm_attributes_six_and_four_tenths() {
    let mut lots = vec![
        mined("ore-asm", 600 * G, "mine-asm", "x-1", "2026-01-05"),
        mined("ore-lsm", 400 * G, "mine-lsm", "x-2", "2026-01-06"),
    ];
    // The yield is 90%: the attribution does not depend on it.
    lots.extend(transformed(
        "t-1",
        "refinery",
        "2026-02-01",
        &[("ore-asm", 600 * G), ("ore-lsm", 400 * G)],
        &[("gold", 900 * G)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "gold", KG, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![
            row("ore-asm", 600 * G, "0.600000"),
            row("ore-lsm", 400 * G, "0.400000")
        ]
    );
    let first = &trace.attributions[0];
    assert_eq!(
        (
            first.share.numerator.as_deref(),
            first.share.denominator.as_deref()
        ),
        (Some("3"), Some("5"))
    );
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
    let mut lots = vec![
        mined("o1", 3 * KG, "m1", "x-1", "2026-01-10"),
        mined("o2", 7 * KG, "m2", "x-2", "2026-01-12"),
    ];
    lots.extend(transformed(
        "t-smelt",
        "smelter",
        "2026-02-01",
        &[("o1", 3 * KG), ("o2", 4 * KG)],
        &[("dore", 5 * KG)],
    ));
    lots.extend(transformed(
        "t-refine",
        "refiner",
        "2026-03-01",
        &[("dore", 5 * KG)],
        &[("gold", 4_900 * G)],
    ));
    let transfers = vec![
        transfer("tr-2", "gold", "trader", "purchaser", KG, "2026-03-20"),
        transfer(
            "tr-1",
            "gold",
            "refiner-co",
            "trader",
            4_900 * G,
            "2026-03-10",
        ),
    ];
    let graph = LotGraph::new(lots, transfers);
    let trace = super::trace(&graph, "gold", KG, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![
            row("o1", 428_571, "0.428571"),
            row("o2", 571_429, "0.571429")
        ]
    );
    assert_eq!(trace.attributions[0].share.numerator.as_deref(), Some("3"));
    assert_eq!(
        trace.attributions[0].share.denominator.as_deref(),
        Some("7")
    );
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
    let mut lots = vec![mined("ore", 10 * KG, "mine", "x-1", "2026-01-01")];
    // The scrap came out of a recycler's transformation of unknown inputs: not followed.
    let mut scrap = transformed(
        "t-recycle",
        "recycler",
        "2026-01-02",
        &[("e-waste", KG)],
        &[("scrap", 250 * G)],
    );
    scrap[0].recycled = true;
    lots.extend(scrap);
    lots.extend(transformed(
        "t-refine",
        "refiner",
        "2026-02-01",
        &[("ore", 750 * G), ("scrap", 250 * G)],
        &[("bar", KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "bar", 2 * KG, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![
            row("ore", 1_500 * G, "0.750000"),
            row("scrap", 500 * G, "0.250000")
        ]
    );
    assert_eq!(trace.attributions[1].source, Source::Recycled);
    assert_eq!(trace.summary.recycled.quantity_mg, 500 * G);
    assert_eq!(trace.summary.recycled.share.value, "0.250000");
    assert!(trace.lots.iter().all(|l| l.lot_id != "e-waste"));
    assert_eq!(trace.transformations.len(), 1);
}

#[test]
fn untraced_inputs_are_named_with_their_reason() {
    let mut lots = vec![
        mined("ore", KG, "mine", "x-1", "2026-01-01"),
        bare("mystery", KG, false),
    ];
    lots.extend(transformed(
        "t-1",
        "smelter",
        "2026-02-01",
        &[("ore", 2 * KG), ("mystery", KG), ("foreign", KG)],
        &[("metal", 3 * KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "metal", 1_000, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![
            row("ore", 500, "0.500000"),
            row("mystery", 250, "0.250000"),
            row("foreign", 250, "0.250000")
        ]
    );
    assert_eq!(
        trace.attributions[1].source,
        Source::Untraced {
            reason: UntracedReason::NoOrigin
        }
    );
    assert_eq!(
        trace.attributions[2].source,
        Source::Untraced {
            reason: UntracedReason::NotLoaded
        }
    );
    assert_eq!(trace.summary.untraced.quantity_mg, 500);
    assert_eq!(trace.summary.untraced.share.value, "0.500000");
    let foreign = trace.lots.iter().find(|l| l.lot_id == "foreign").unwrap();
    assert_eq!(foreign.quantity_mg, None);

    // A lot that is not loaded at all.
    let trace = super::trace(&graph, "nowhere", 1_000, 6).unwrap();
    assert_eq!(summary(&trace), vec![row("nowhere", 1_000, "1.000000")]);
}

#[test]
fn a_diamond_counts_the_shared_ancestor_once_per_path_weight() {
    // Ore A (10 kg) is split by one concentrator event into B1 (4 kg) and B2 (6 kg); the smelter
    // consumes B1, B2 and 10 kg of ore Z. A reaches the metal by two paths, 4/20 and 6/20:
    // one leaf with 1/2, not two, and not counted twice.
    let mut lots = vec![
        mined("a", 10 * KG, "mine-a", "x-a", "2026-01-01"),
        mined("z", 10 * KG, "mine-z", "x-z", "2026-01-01"),
    ];
    lots.extend(transformed(
        "c-1",
        "concentrator",
        "2026-01-10",
        &[("a", 10 * KG)],
        &[("b1", 4 * KG), ("b2", 6 * KG)],
    ));
    lots.extend(transformed(
        "s-1",
        "smelter",
        "2026-02-01",
        &[("b1", 4 * KG), ("b2", 6 * KG), ("z", 10 * KG)],
        &[("metal", 18 * KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "metal", 18 * KG, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![row("a", 9 * KG, "0.500000"), row("z", 9 * KG, "0.500000")]
    );
    assert_eq!(
        trace.transformations.len(),
        2,
        "the concentrator event is followed once"
    );
    assert_eq!(trace.depth, 2);

    // Two separate events consuming parts of the same ore, both feeding the smelter; the ore
    // also feeds the smelter directly: three paths to one leaf, 1/4 + 1/4 + 1/4.
    let mut lots = vec![
        mined("a", 10 * KG, "mine-a", "x-a", "2026-01-01"),
        mined("z", 10 * KG, "mine-z", "x-z", "2026-01-01"),
    ];
    lots.extend(transformed(
        "e-1",
        "concentrator",
        "2026-01-10",
        &[("a", 2 * KG)],
        &[("b1", KG)],
    ));
    lots.extend(transformed(
        "e-2",
        "concentrator",
        "2026-01-11",
        &[("a", 3 * KG), ("z", 3 * KG)],
        &[("b2", 5 * KG)],
    ));
    lots.extend(transformed(
        "s-1",
        "smelter",
        "2026-02-01",
        &[("b1", KG), ("b2", 2 * KG), ("a", KG)],
        &[("metal", 4 * KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "metal", 4 * KG, 6).unwrap();
    // b1: 1/4 all from a; b2: 2/4, half a half z; a direct: 1/4. a = 1/4 + 1/4 + 1/4 = 3/4.
    assert_eq!(
        summary(&trace),
        vec![row("a", 3 * KG, "0.750000"), row("z", KG, "0.250000")]
    );
    assert_eq!(trace.attributions[0].share.numerator.as_deref(), Some("3"));
    assert_eq!(
        trace.attributions[0].share.denominator.as_deref(),
        Some("4")
    );
    assert_eq!(trace.depth, 2, "the longest chain: metal ← b2 ← a");
}

#[test]
fn thirds_are_apportioned_by_largest_remainder() {
    let mut lots = vec![
        mined("a", KG, "m-a", "x-a", "2026-01-01"),
        mined("b", KG, "m-b", "x-b", "2026-01-01"),
        mined("c", KG, "m-c", "x-c", "2026-01-01"),
    ];
    lots.extend(transformed(
        "t",
        "smelter",
        "2026-02-01",
        &[("a", KG), ("b", KG), ("c", KG)],
        &[("m", 3 * KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "m", 100, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![
            row("a", 34, "0.333334"),
            row("b", 33, "0.333333"),
            row("c", 33, "0.333333")
        ]
    );
    // A zero quantity still has a composition.
    let trace = super::trace(&graph, "m", 0, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![
            row("a", 0, "0.333334"),
            row("b", 0, "0.333333"),
            row("c", 0, "0.333333")
        ]
    );
}

fn chain(length: usize) -> LotGraph {
    let mut lots = vec![mined("lot-0", KG, "mine", "x", "2026-01-01")];
    for i in 1..=length {
        lots.extend(transformed(
            &format!("t-{i}"),
            "plant",
            "2026-02-01",
            &[(&format!("lot-{}", i - 1), KG)],
            &[(&format!("lot-{i}"), KG)],
        ));
    }
    LotGraph::new(lots, vec![])
}

#[test]
fn the_depth_limit_leaves_the_rest_untraced() {
    let graph = chain(5);
    let trace = super::trace(&graph, "lot-5", KG, 3).unwrap();
    assert_eq!(summary(&trace), vec![row("lot-2", KG, "1.000000")]);
    assert_eq!(
        trace.attributions[0].source,
        Source::Untraced {
            reason: UntracedReason::DepthLimit
        }
    );
    assert_eq!(trace.depth, 3);
    let trace = super::trace(&graph, "lot-5", KG, 5).unwrap();
    assert_eq!(summary(&trace), vec![row("lot-0", KG, "1.000000")]);
    assert_eq!(trace.depth, 5);
    let trace = super::trace(&graph, "lot-5", KG, 0).unwrap();
    assert_eq!(trace.attributions[0].lot_id, "lot-5");
    assert_eq!(trace.depth, 0);
}

#[test]
fn a_very_long_chain_neither_loops_nor_overflows_the_stack() {
    let graph = chain(30_000);
    let trace = super::trace(&graph, "lot-30000", KG, u32::MAX).unwrap();
    assert_eq!(summary(&trace), vec![row("lot-0", KG, "1.000000")]);
    assert_eq!(trace.depth, 30_000);
}

#[test]
fn cycles_end_and_their_weight_is_untraced() {
    // l1 is made from l2 and l2 from l1 (refused on write, but the trace must still end).
    let mut lots = transformed("e-1", "plant", "2026-01-01", &[("l2", KG)], &[("l1", KG)]);
    lots.extend(transformed(
        "e-2",
        "plant",
        "2026-01-02",
        &[("l1", KG)],
        &[("l2", KG)],
    ));
    lots.push(mined("ore", KG, "mine", "x", "2026-01-01"));
    lots.extend(transformed(
        "e-0",
        "plant",
        "2026-01-03",
        &[("ore", KG), ("l1", KG)],
        &[("root", 2 * KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let trace = super::trace(&graph, "root", 2 * KG, 50).unwrap();
    assert_eq!(
        summary(&trace),
        vec![row("ore", KG, "0.500000"), row("l1", KG, "0.500000")]
    );
    assert_eq!(
        trace.attributions[1].source,
        Source::Untraced {
            reason: UntracedReason::Cycle
        }
    );
    let trace = super::trace(&graph, "l1", KG, 50).unwrap();
    assert_eq!(summary(&trace), vec![row("l1", KG, "1.000000")]);
    // A lot consuming itself.
    let graph = LotGraph::new(
        transformed("e", "plant", "2026-01-01", &[("s", KG)], &[("s", KG)]),
        vec![],
    );
    assert_eq!(
        summary(&super::trace(&graph, "s", 7, 50).unwrap()),
        vec![row("s", 7, "1.000000")]
    );
}

#[test]
fn several_lots_are_traced_by_their_quantities() {
    let lots = vec![
        mined("a", KG, "m-a", "x-a", "2026-01-01"),
        mined("b", KG, "m-b", "x-b", "2026-01-01"),
    ];
    let graph = LotGraph::new(lots, vec![]);
    let roots = quantities(&[("a", 3 * KG), ("b", KG), ("a", 0)]);
    let trace = trace_many(&graph, &roots, 6).unwrap();
    assert_eq!(
        summary(&trace),
        vec![row("a", 3 * KG, "0.750000"), row("b", KG, "0.250000")]
    );
    assert_eq!(trace.quantity_mg, 4 * KG);
    assert_eq!(trace_many(&graph, &[], 6), Err(TraceError::NothingToTrace));
    assert_eq!(
        trace_many(&graph, &quantities(&[("a", 0)]), 6),
        Err(TraceError::NothingToTrace)
    );
    assert_eq!(
        trace_many(&graph, &quantities(&[("a", -1)]), 6),
        Err(TraceError::NegativeQuantity)
    );
    assert_eq!(
        super::trace(&graph, "a", -1, 6),
        Err(TraceError::NegativeQuantity)
    );
    assert_eq!(
        trace_many(&graph, &quantities(&[("a", i64::MAX), ("b", 1)]), 6),
        Err(TraceError::TooLarge)
    );
}

#[test]
fn write_time_checks() {
    let mut lots = vec![mined("ore", 10 * KG, "mine", "x", "2026-01-10")];
    lots.extend(transformed(
        "t-1",
        "smelter",
        "2026-02-01",
        &[("ore", 5 * KG)],
        &[("dore", 4 * KG)],
    ));
    lots.extend(transformed(
        "t-2",
        "refiner",
        "2026-03-01",
        &[("dore", 4 * KG)],
        &[("bar", 3 * KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let ids = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    assert!(
        would_create_cycle(&graph, &ids(&["bar"]), &ids(&["ore"])),
        "ore is an ancestor of bar"
    );
    assert!(
        would_create_cycle(&graph, &ids(&["bar"]), &ids(&["bar"])),
        "consuming itself"
    );
    assert!(!would_create_cycle(&graph, &ids(&["bar"]), &ids(&["coin"])));
    assert!(
        !would_create_cycle(&graph, &ids(&["ore"]), &ids(&["bar"])),
        "bar descends from ore: fine"
    );

    assert_eq!(
        consumed_before_exists(&graph, &ids(&["dore", "ore", "unknown"]), day("2026-01-31")),
        ids(&["dore"])
    );
    assert_eq!(
        consumed_before_exists(&graph, &ids(&["ore", "ore"]), day("2026-01-09")),
        ids(&["ore"])
    );
    assert!(
        consumed_before_exists(&graph, &ids(&["dore"]), day("2026-02-01")).is_empty(),
        "same day is fine"
    );

    let q = |list: &[(&str, i64)]| quantities(list);
    let two_percent = YieldTolerance::from_decimal("0.02").unwrap();
    assert_eq!(two_percent.ppm(), 20_000);
    assert_eq!(
        yield_excess(&q(&[("a", 1_000)]), &q(&[("b", 1_020)]), two_percent),
        None,
        "exactly at the limit"
    );
    assert_eq!(
        yield_excess(&q(&[("a", 1_000)]), &q(&[("b", 1_021)]), two_percent),
        Some(YieldExcess {
            input_mg: 1_000,
            output_mg: 1_021,
            tolerance_ppm: 20_000
        })
    );
    assert!(
        yield_excess(
            &q(&[("a", 1_000)]),
            &q(&[("b", 1_001)]),
            YieldTolerance::NONE
        )
        .is_some()
    );
    assert!(YieldTolerance::from_decimal("-0.1").is_err());
    assert!(YieldTolerance::from_decimal("0.0000001").is_err());
    assert!(YieldTolerance::from_decimal("x").is_err());

    assert_eq!(consumed_beyond_quantity(10, &[4, 6]), None);
    assert_eq!(consumed_beyond_quantity(10, &[4, 7]), Some(11));

    let chain = vec![
        transfer("t1", "bar", "refiner", "trader", 3 * KG, "2026-03-02"),
        transfer("t2", "bar", "trader", "buyer", 3 * KG, "2026-03-03"),
    ];
    assert!(
        transferred_beyond_quantity(3 * KG, &chain).is_empty(),
        "passing a lot down a chain"
    );
    let mut double = chain.clone();
    double.push(transfer(
        "t3",
        "bar",
        "trader",
        "other-buyer",
        KG,
        "2026-03-04",
    ));
    assert_eq!(
        transferred_beyond_quantity(3 * KG, &double),
        vec![TransferOverdraw {
            from_party: "trader".into(),
            transferred_mg: 4 * KG,
            event_ids: vec!["t2".into(), "t3".into()]
        }]
    );
}

// ---- Property tests over random layered DAGs ----

/// A small deterministic generator, so that a proptest seed describes a whole graph.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Up to `tiers` tiers of transformations over a first tier of mined, recycled and bare lots;
/// each event consumes 1..=4 lots from any earlier tier (so ancestors are shared across tiers)
/// and produces 1..=3 lots. Returns the graph and the lots of the last tier.
fn random_dag(seed: u64, tiers: usize, width: usize) -> (LotGraph, Vec<LotNode>, Vec<String>) {
    let mut rng = Rng(seed | 1);
    let mut lots: Vec<LotNode> = Vec::new();
    let mut earlier: Vec<String> = Vec::new();
    let quantity = |rng: &mut Rng| match rng.below(3) {
        0 => 1 + rng.below(1_000) as i64,
        1 => 1 + rng.below(1_000_000_000) as i64,
        _ => 1 + rng.below(1_000_000_000_000_000) as i64,
    };
    for i in 0..width {
        let id = format!("l0-{i}");
        let mg = quantity(&mut rng);
        lots.push(match rng.below(6) {
            0 => bare(&id, mg, true),
            1 => bare(&id, mg, false),
            _ => mined(
                &id,
                mg,
                &format!("mine-{}", rng.below(4)),
                &format!("x-{i}"),
                "2026-01-01",
            ),
        });
        earlier.push(id);
    }
    let mut last = earlier.clone();
    for tier in 1..=tiers {
        let mut this_tier = Vec::new();
        for e in 0..1 + rng.below(width as u64) as usize {
            let inputs: Vec<(String, i64)> = (0..1 + rng.below(4))
                .map(|_| {
                    (
                        earlier[rng.below(earlier.len() as u64) as usize].clone(),
                        quantity(&mut rng),
                    )
                })
                .collect();
            let outputs: Vec<(String, i64)> = (0..1 + rng.below(3))
                .map(|o| (format!("l{tier}-{e}-{o}"), quantity(&mut rng)))
                .collect();
            let inputs: Vec<(&str, i64)> = inputs.iter().map(|(l, q)| (l.as_str(), *q)).collect();
            let outputs_ref: Vec<(&str, i64)> =
                outputs.iter().map(|(l, q)| (l.as_str(), *q)).collect();
            lots.extend(transformed(
                &format!("t{tier}-{e}"),
                "plant",
                "2026-02-01",
                &inputs,
                &outputs_ref,
            ));
            this_tier.extend(outputs.into_iter().map(|(l, _)| l));
        }
        earlier.extend(this_tier.iter().cloned());
        last = this_tier;
    }
    let graph = LotGraph::new(lots.clone(), vec![]);
    (graph, lots, last)
}

/// The composition of a lot by the textbook recursion (bottom-up, memoised on lots): a second,
/// independent computation to check the attribution against.
fn reference(
    graph: &LotGraph,
    lot: &str,
    memo: &mut BTreeMap<String, BTreeMap<String, Fraction>>,
) -> BTreeMap<String, Fraction> {
    if let Some(known) = memo.get(lot) {
        return known.clone();
    }
    let leaf = || BTreeMap::from([(lot.to_owned(), Fraction::one())]);
    let composition = match graph.lot(lot) {
        Some(LotNode {
            recycled: false,
            origin: Some(Origin::Transformation(t)),
            ..
        }) => {
            let total: u128 = t.inputs.iter().map(|i| i.quantity_mg as u128).sum();
            let mut mix: BTreeMap<String, Fraction> = BTreeMap::new();
            for input in &t.inputs {
                for (leaf, weight) in reference(graph, &input.lot_id, memo) {
                    mix.entry(leaf)
                        .or_insert_with(Fraction::zero)
                        .add_assign(&weight.times_ratio(input.quantity_mg as u128, total));
                }
            }
            for weight in mix.values_mut() {
                weight.reduce();
            }
            mix
        }
        _ => leaf(),
    };
    memo.insert(lot.to_owned(), composition.clone());
    composition
}

fn units(text: &str) -> u64 {
    text.replace('.', "").parse().unwrap()
}

fn weight(a: &Attribution) -> Fraction {
    Fraction::parse(
        a.share.numerator.as_deref().unwrap(),
        a.share.denominator.as_deref().unwrap(),
    )
}

/// What must not depend on the arithmetic: every rounded figure, leaf by leaf.
fn figures(trace: &Trace) -> Vec<(String, Source, i64, String)> {
    trace
        .attributions
        .iter()
        .map(|a| {
            (
                a.lot_id.clone(),
                a.source.clone(),
                a.quantity_mg,
                a.share.value.clone(),
            )
        })
        .chain(
            [
                &trace.summary.mines,
                &trace.summary.recycled,
                &trace.summary.untraced,
            ]
            .into_iter()
            .map(|t| {
                (
                    String::new(),
                    Source::Recycled,
                    t.quantity_mg,
                    t.share.value.clone(),
                )
            }),
        )
        .collect()
}

fn one_root(root: &str, quantity: i64) -> Vec<LotQuantity> {
    vec![LotQuantity {
        lot_id: root.to_owned(),
        quantity_mg: quantity,
    }]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn attribution_conserves_quantity_and_matches_the_textbook_recursion(
        seed in any::<u64>(),
        tiers in 1usize..=6,
        width in 1usize..=5,
        quantity in prop_oneof![0i64..10, 0i64..=crate::domain::quantity::MAX_MG],
    ) {
        let (graph, lots, last) = random_dag(seed, tiers, width);
        let root = &last[0];
        let roots = one_root(root, quantity);
        let trace = run(&graph, &roots, true, 6, Some(Mode::Exact)).unwrap();
        prop_assert_eq!(trace.arithmetic, Arithmetic::Exact);

        prop_assert_eq!(trace.attributions.iter().map(|a| a.quantity_mg).sum::<i64>(), quantity);
        prop_assert!(trace.attributions.iter().all(|a| a.quantity_mg >= 0));
        prop_assert_eq!(trace.attributions.iter().map(|a| units(&a.share.value)).sum::<u64>(), 1_000_000);
        let mut sum = Fraction::zero();
        for a in &trace.attributions {
            sum.add_assign(&weight(a));
        }
        sum.reduce();
        prop_assert_eq!(sum, Fraction::one());
        let s = &trace.summary;
        prop_assert_eq!(s.mines.quantity_mg + s.recycled.quantity_mg + s.untraced.quantity_mg, quantity);
        prop_assert_eq!(units(&s.mines.share.value) + units(&s.recycled.share.value) + units(&s.untraced.share.value), 1_000_000);
        prop_assert!(trace.depth <= 6);

        // Each leaf's milligrams are within one of its exact value.
        for a in &trace.attributions {
            let (floor, _) = weight(a).times_floor(quantity as u128);
            let floor: u128 = floor.try_into().unwrap();
            prop_assert!(a.quantity_mg as u128 == floor || a.quantity_mg as u128 == floor + 1);
        }

        // The same weights as the bottom-up recursion (the graph has at most 6 tiers).
        let expected = reference(&graph, root, &mut BTreeMap::new());
        let actual: BTreeMap<String, Fraction> =
            trace.attributions.iter().map(|a| (a.lot_id.clone(), weight(a))).collect();
        prop_assert_eq!(actual, expected);

        // The untraced share against 1/10, exactly.
        let mut untraced = Fraction::zero();
        for a in trace.attributions.iter().filter(|a| matches!(a.source, Source::Untraced { .. })) {
            untraced.add_assign(&weight(a));
        }
        prop_assert_eq!(trace.untraced_is_high(), untraced.cmp_ratio(1, 10) != std::cmp::Ordering::Less);
        prop_assert_eq!(trace.has_untraced(), !untraced.is_zero());

        // The bounded arithmetic gives the same figures (or falls back to exact arithmetic).
        let bounded = run(&graph, &roots, true, 6, Some(Mode::Fixed)).unwrap();
        prop_assert_eq!(figures(&bounded), figures(&trace));
        prop_assert_eq!(bounded.untraced_is_high(), trace.untraced_is_high());

        // Deterministic, whatever order the lots are loaded in.
        let mut reversed = lots.clone();
        reversed.reverse();
        let again = run(&LotGraph::new(reversed, vec![]), &roots, true, 6, Some(Mode::Exact)).unwrap();
        prop_assert_eq!(again, trace);
    }
}

/// Six tiers of `width` events, each consuming four random lots of the tier below with random
/// milligrams (up to 10^12), over `width` mined lots; the root consumes every lot of the top tier.
fn layered(width: u64, seed: u64) -> LotGraph {
    let mut rng = Rng(seed);
    let mut lots = Vec::new();
    let mut below: Vec<String> = (0..width).map(|i| format!("l0-{i}")).collect();
    for (i, id) in below.iter().enumerate() {
        lots.push(mined(
            id,
            KG,
            &format!("mine-{}", i % 300),
            &format!("x-{i}"),
            "2026-01-01",
        ));
    }
    for tier in 1..=6 {
        let mut this_tier = Vec::new();
        for e in 0..width {
            let inputs: Vec<(String, i64)> = (0..4)
                .map(|_| {
                    (
                        below[rng.below(below.len() as u64) as usize].clone(),
                        1 + rng.below(1_000_000_000_000) as i64,
                    )
                })
                .collect();
            let inputs: Vec<(&str, i64)> = inputs.iter().map(|(l, q)| (l.as_str(), *q)).collect();
            let out = format!("l{tier}-{e}");
            lots.extend(transformed(
                &format!("t{tier}-{e}"),
                "plant",
                "2026-02-01",
                &inputs,
                &[(&out, KG)],
            ));
            this_tier.push(out);
        }
        below = this_tier;
    }
    let inputs: Vec<(&str, i64)> = below
        .iter()
        .map(|l| (l.as_str(), 1 + rng.below(1_000_000_000) as i64))
        .collect();
    lots.extend(transformed(
        "root",
        "plant",
        "2026-03-01",
        &inputs,
        &[("root", KG)],
    ));
    LotGraph::new(lots, vec![])
}

/// Ancestries too large for exact fractions: the certified bounds settle them and agree with
/// exact arithmetic.
#[test]
fn certified_bounds_agree_with_exact_arithmetic_on_large_ancestries() {
    for seed in 1..=3u64 {
        let graph = layered(30, seed);
        let auto = trace(&graph, "root", 123_456_789_012, 7).unwrap();
        assert_eq!(auto.arithmetic, Arithmetic::CertifiedBounds, "seed {seed}");
        assert!(
            auto.attributions
                .iter()
                .all(|a| a.share.numerator.is_none()),
            "too long to show"
        );
        let exact = run(
            &graph,
            &one_root("root", 123_456_789_012),
            true,
            7,
            Some(Mode::Exact),
        )
        .unwrap();
        assert_eq!(figures(&auto), figures(&exact), "seed {seed}");
        assert_eq!(auto.untraced_is_high(), exact.untraced_is_high());
        assert_eq!(
            auto.attributions.iter().map(|a| a.quantity_mg).sum::<i64>(),
            123_456_789_012
        );
        assert_eq!(auto.depth, 7);
    }
    // Smaller random ancestries, forced onto the bounds: settled nearly always, always agreeing.
    let mut settled = 0;
    for seed in 1..=12u64 {
        let (graph, _, last) = random_dag(seed * 7_919, 6, 24);
        let roots = one_root(&last[0], 123_456_789_012);
        let bounded = run(&graph, &roots, true, 6, Some(Mode::Fixed)).unwrap();
        let exact = run(&graph, &roots, true, 6, Some(Mode::Exact)).unwrap();
        assert_eq!(figures(&bounded), figures(&exact), "seed {seed}");
        if bounded.arithmetic == Arithmetic::CertifiedBounds {
            settled += 1;
        }
    }
    assert!(
        settled >= 8,
        "only {settled} of 12 were settled by the bounds"
    );
}

/// Two leaves with exactly equal weights: their remainders tie, which no bound can settle, so
/// the bounded arithmetic falls back to exact arithmetic and the tie goes to the earlier leaf.
#[test]
fn exact_ties_fall_back_to_exact_arithmetic() {
    let mut lots = vec![
        mined("twin-a", KG, "mine-a", "x-ta", "2026-01-01"),
        mined("twin-b", KG, "mine-b", "x-tb", "2026-01-01"),
    ];
    lots.extend(transformed(
        "t-twins",
        "plant",
        "2026-02-01",
        &[("twin-a", 7), ("twin-b", 7)],
        &[("twins", 14)],
    ));
    lots.push(mined("other", KG, "mine-c", "x-o", "2026-01-01"));
    lots.extend(transformed(
        "t-top",
        "plant",
        "2026-03-01",
        &[("twins", 987_654_321), ("other", 2)],
        &[("top", KG)],
    ));
    let graph = LotGraph::new(lots, vec![]);
    let roots = one_root("top", 1_000_000_007);
    let bounded = run(&graph, &roots, true, 7, Some(Mode::Fixed)).unwrap();
    assert_eq!(bounded.arithmetic, Arithmetic::Exact, "fell back");
    // Each twin is 1 000 000 007 × 987 654 321 / (2 × 987 654 323) = 500 000 002.4874…; one
    // milligram is missing and the tie goes to the earlier twin.
    assert_eq!(
        summary(&bounded),
        vec![
            row("twin-a", 500_000_003, "0.500000"),
            row("twin-b", 500_000_002, "0.500000"),
            row("other", 2, "0.000000")
        ]
    );
    assert_eq!(
        figures(&bounded),
        figures(&trace(&graph, "top", 1_000_000_007, 7).unwrap())
    );
}

/// Six tiers of up to 1 400 lots each with heavy sharing: the shape the benchmark asks
/// for. Run with `cargo test --release --lib heavy_sharing -- --ignored --nocapture`.
#[test]
#[ignore = "a timing run, not a check"]
fn heavy_sharing_stays_linear() {
    for width in [250u64, 500, 1_000, 1_400] {
        let graph = layered(width, 0x5eed + width);
        let started = std::time::Instant::now();
        let trace = super::trace(&graph, "root", 1_000 * KG, 7).unwrap();
        let edges: usize = trace.transformations.iter().map(|t| t.inputs.len()).sum();
        println!(
            "width {width}: {} lots, {edges} consumption edges, {} leaves, {}: {:?}",
            trace.lots.len(),
            trace.attributions.len(),
            trace.arithmetic,
            started.elapsed()
        );
        assert_eq!(
            trace
                .attributions
                .iter()
                .map(|a| a.quantity_mg)
                .sum::<i64>(),
            1_000 * KG
        );
        let started = std::time::Instant::now();
        let exact = run(
            &graph,
            &one_root("root", 1_000 * KG),
            true,
            7,
            Some(Mode::Exact),
        )
        .unwrap();
        println!(
            "  the same in exact arithmetic (the fallback): {:?}",
            started.elapsed()
        );
        assert_eq!(figures(&exact), figures(&trace));
    }
}

/// A leaf whose weight is far below the fixed-point resolution (1 mg in 10^15 mg, six times
/// over) still counts as present: the bounds cannot pretend it is exactly nothing.
#[test]
fn vanishing_weights_stay_present() {
    let mut lots = vec![
        mined("tiny", KG, "mine-t", "x-t", "2026-01-01"),
        mined("bulk-0", KG, "mine-b", "x-b", "2026-01-01"),
    ];
    let big = crate::domain::quantity::MAX_MG;
    let mut below = "tiny".to_owned();
    for tier in 1..=6 {
        let bulk = format!("bulk-{}", tier - 1);
        let out = format!("mix-{tier}");
        lots.push(mined(
            &bulk,
            big,
            "mine-b",
            &format!("x-b{tier}"),
            "2026-01-01",
        ));
        lots.extend(transformed(
            &format!("t-{tier}"),
            "plant",
            "2026-02-01",
            &[(below.as_str(), 1), (bulk.as_str(), big)],
            &[(&out, big)],
        ));
        below = out;
    }
    let graph = LotGraph::new(lots, vec![]);
    let roots = one_root(&below, big);
    for mode in [Mode::Fixed, Mode::Exact] {
        let t = run(&graph, &roots, true, 6, Some(mode)).unwrap();
        let tiny = t.attributions.iter().find(|a| a.lot_id == "tiny").unwrap();
        assert_eq!(tiny.quantity_mg, 0);
        assert_eq!(
            t.attributions.iter().map(|a| a.quantity_mg).sum::<i64>(),
            big
        );
        assert_eq!(t.summary.mines.share.value, "1.000000");
    }
    let exact = run(&graph, &roots, true, 6, Some(Mode::Exact)).unwrap();
    assert_eq!(
        figures(&run(&graph, &roots, true, 6, Some(Mode::Fixed)).unwrap()),
        figures(&exact)
    );
    let tiny = exact
        .attributions
        .iter()
        .find(|a| a.lot_id == "tiny")
        .unwrap();
    assert_eq!(tiny.share.numerator.as_deref(), Some("1"));
}
