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
            tolerance_ppm: 20_000,
            input: Mass::from_mg(1_000),
            output: Mass::from_mg(1_021),
        })
    );
    assert!(excess(1_000, 1_001, YieldTolerance::NONE).is_some());
    for refused in ["-0.1", "0.0000001", "x"] {
        assert!(YieldTolerance::from_decimal(refused).is_err(), "{refused}");
    }

    let mg = Mass::from_mg;
    assert_eq!(consumed_beyond_quantity(mg(10), &[mg(4), mg(6)]), None);
    assert_eq!(
        consumed_beyond_quantity(mg(10), &[mg(4), mg(7)]),
        Some(mg(11))
    );

    let mut chain = Lots::default();
    chain
        .transfer("t1", "bar", "refiner", "trader", 3 * KG, "2026-03-02")
        .transfer("t2", "bar", "trader", "buyer", 3 * KG, "2026-03-03");
    assert!(
        transferred_beyond_quantity(mg(3 * KG), &chain.transfers).is_empty(),
        "passing a lot down a chain"
    );
    let double = chain
        .transfer("t3", "bar", "trader", "other-buyer", KG, "2026-03-04")
        .transfers
        .clone();
    assert_eq!(
        transferred_beyond_quantity(mg(3 * KG), &double),
        vec![TransferOverdraw {
            from_party: "trader".into(),
            transferred_mg: 4 * KG,
            transferred: mg(4 * KG),
            event_ids: vec!["t2".into(), "t3".into()]
        }]
    );
}

/// Mass balance in troy ounces is judged on the exact micro ounces, never on rounded
/// milligrams (issue 18).
#[test]
fn mass_balance_in_ounces_is_exact() {
    let oz = |uozt: i64| Mass::from_uozt(uozt);
    // 1,000 oz out of 1,000 oz in passes; 1,000.001 oz out fails.
    assert_eq!(
        consumed_beyond_quantity(oz(1_000_000_000), &[oz(1_000_000_000)]),
        None
    );
    assert_eq!(
        consumed_beyond_quantity(oz(1_000_000_000), &[oz(1_000_001_000)]),
        Some(oz(1_000_001_000))
    );
    // Two half ounces out of one ounce: their nearest milligrams (15,552 each) add up to more
    // than the ounce's (31,103), the exact masses do not.
    assert_eq!(Mass::from_uozt(500_000).nearest_mg(), 15_552);
    assert_eq!(Mass::from_uozt(1_000_000).nearest_mg(), 31_103);
    assert_eq!(
        consumed_beyond_quantity(oz(1_000_000), &[oz(500_000), oz(500_000)]),
        None
    );
    // Units meet exactly: 31.1034768 g is one ounce to the femtogram, but no milligram count is.
    assert_eq!(
        consumed_beyond_quantity(oz(1_000_000), &[Mass::from_mg(31_103)]),
        None
    );
    assert!(consumed_beyond_quantity(oz(1_000_000), &[Mass::from_mg(31_104)]).is_some());

    let ounce = |lot: &str, uozt: i64| LotQuantity {
        lot_id: lot.into(),
        quantity_mg: Mass::from_uozt(uozt).nearest_mg_i64(),
        quantity_uozt: uozt,
    };
    assert_eq!(
        yield_excess(
            &[ounce("dore", 1_000_000_000)],
            &[ounce("bar-1", 500_000_000), ounce("bar-2", 500_000_000)],
            YieldTolerance::NONE
        ),
        None
    );
    let excess = yield_excess(
        &[ounce("dore", 1_000_000_000)],
        &[ounce("bar-1", 500_000_000), ounce("bar-2", 500_001_000)],
        YieldTolerance::NONE,
    )
    .expect("1,000.001 oz out of 1,000 oz in");
    assert_eq!(excess.output.to_string(), "1000.001 troy_oz");
}
