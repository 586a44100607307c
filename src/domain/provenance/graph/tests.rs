use super::*;
use crate::domain::provenance::test_graph::{KG, Lots, day, quantities};

#[test]
fn write_time_checks() {
    let graph = Lots::default()
        .mined("ore", 10 * KG, "mine", "x", "2026-01-10")
        .transformed(
            "t-1",
            "smelter",
            "2026-02-01",
            &[("ore", 5 * KG)],
            &[("dore", 4 * KG)],
        )
        .transformed(
            "t-2",
            "refiner",
            "2026-03-01",
            &[("dore", 4 * KG)],
            &[("bar", 3 * KG)],
        )
        .graph();
    let ids = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    for (inputs, outputs, cycle, why) in [
        (["bar"], ["ore"], true, "ore is an ancestor of bar"),
        (["bar"], ["bar"], true, "consuming itself"),
        (["bar"], ["coin"], false, "an unrelated lot"),
        (["ore"], ["bar"], false, "bar descends from ore: fine"),
    ] {
        assert_eq!(
            would_create_cycle(&graph, &ids(&inputs), &ids(&outputs)),
            cycle,
            "{why}"
        );
    }

    let too_early: [(&[&str], &str, &[&str], &str); 3] = [
        (&["dore", "ore", "unknown"], "2026-01-31", &["dore"], ""),
        (&["ore", "ore"], "2026-01-09", &["ore"], ""),
        (&["dore"], "2026-02-01", &[], "same day is fine"),
    ];
    for (lots, on, expected, why) in too_early {
        assert_eq!(
            consumed_before_exists(&graph, &ids(lots), day(on)),
            ids(expected),
            "{why}"
        );
    }

    let two_percent = YieldTolerance::from_decimal("0.02").unwrap();
    assert_eq!(two_percent.ppm(), 20_000);
    let excess = |input_mg, output_mg, tolerance| {
        yield_excess(
            &quantities(&[("a", input_mg)]),
            &quantities(&[("b", output_mg)]),
            tolerance,
        )
    };
    assert_eq!(
        excess(1_000, 1_020, two_percent),
        None,
        "exactly at the limit"
    );
    assert_eq!(
        excess(1_000, 1_021, two_percent),
        Some(YieldExcess {
            input_mg: 1_000,
            output_mg: 1_021,
            tolerance_ppm: 20_000
        })
    );
    assert!(excess(1_000, 1_001, YieldTolerance::NONE).is_some());
    for refused in ["-0.1", "0.0000001", "x"] {
        assert!(YieldTolerance::from_decimal(refused).is_err(), "{refused}");
    }

    assert_eq!(consumed_beyond_quantity(10, &[4, 6]), None);
    assert_eq!(consumed_beyond_quantity(10, &[4, 7]), Some(11));

    let mut chain = Lots::default();
    chain
        .transfer("t1", "bar", "refiner", "trader", 3 * KG, "2026-03-02")
        .transfer("t2", "bar", "trader", "buyer", 3 * KG, "2026-03-03");
    assert!(
        transferred_beyond_quantity(3 * KG, &chain.transfers).is_empty(),
        "passing a lot down a chain"
    );
    let double = chain
        .transfer("t3", "bar", "trader", "other-buyer", KG, "2026-03-04")
        .transfers
        .clone();
    assert_eq!(
        transferred_beyond_quantity(3 * KG, &double),
        vec![TransferOverdraw {
            from_party: "trader".into(),
            transferred_mg: 4 * KG,
            event_ids: vec!["t2".into(), "t3".into()]
        }]
    );
}
