use proptest::prelude::*;

use super::*;
use crate::domain::ids::PartyId;
use crate::domain::policy::test_certificates::certificate;
use crate::domain::policy::{PolicyClass, SourcingPolicy};

const KG: i64 = 1_000_000;

/// The mix with its figures in kilograms.
fn compute(
    lines: &[MixLine],
    group_by: &GroupBy,
    targets: &[crate::domain::policy::Target],
) -> Result<MixReport, MixError> {
    super::compute(
        lines,
        group_by,
        targets,
        crate::domain::quantity::MassUnit::Kg,
    )
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A supplier id from its text.
fn supplier(id: &str) -> PartyId {
    id.parse().unwrap()
}

/// The one supplier of most lines.
const S1: &str = "00000000-0000-7000-8000-000000000001";

fn line(class: OriginClass, basis: Basis, certified: bool, mg: i64) -> MixLine {
    MixLine {
        purchased_on: day("2026-03-10"),
        mineral: Mineral::Gold,
        supplier: Some(supplier(S1)),
        country: None,
        origin_class: class,
        basis,
        certified,
        quantity_mg: mg,
        quantity_uozt: 0,
    }
}

fn shares(figures: &MixFigures) -> Vec<&str> {
    figures
        .classes
        .iter()
        .map(|c| c.share.value.as_str())
        .collect()
}

fn units(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').unwrap();
    assert_eq!(fraction.len(), 6, "{text}");
    whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap()
}

#[test]
fn the_hand_computed_mix() {
    // 40 kg ASM certified, 30 kg LSM not certified, 20 kg recycled, 10 kg unknown.
    let lines = vec![
        line(OriginClass::Asm, Basis::Declared, true, 40 * KG),
        line(OriginClass::Lsm, Basis::Declared, false, 30 * KG),
        line(OriginClass::Recycled, Basis::Traced, false, 20 * KG),
        line(OriginClass::Unknown, Basis::Unknown, false, 10 * KG),
    ];
    let report = compute(
        &lines,
        &GroupBy::default(),
        &SourcingPolicy::default().targets,
    )
    .unwrap();
    let overall = &report.overall;
    assert_eq!(overall.total_mg, 100 * KG);
    assert_eq!(
        shares(overall),
        ["0.400000", "0.300000", "0.200000", "0.100000"]
    );
    let asm = &overall.classes[0];
    assert_eq!(asm.origin_class, OriginClass::Asm);
    assert_eq!(asm.certified_mg, 40 * KG);
    assert_eq!(asm.certified_share.value, "0.400000");
    assert_eq!(
        (asm.share.numerator_mg, asm.share.denominator_mg),
        (40 * KG, 100 * KG)
    );
    assert_eq!(
        asm.basis,
        BasisBreakdown {
            traced_mg: 0,
            declared_mg: 40 * KG,
            unknown_mg: 0,
            traced: "0".into(),
            declared: "40".into(),
            unknown: "0".into(),
        }
    );
    assert_eq!(overall.classes[1].certified_share.value, "0.000000");
    assert_eq!(overall.classes[2].basis.traced_mg, 20 * KG);
    assert_eq!(overall.certified_mg, 40 * KG);
    assert_eq!(overall.certified_share.value, "0.400000");
    assert_eq!(
        (overall.total.as_str(), overall.certified.as_str()),
        ("100", "40")
    );
    assert_eq!(
        (
            asm.share.numerator_fg.as_str(),
            asm.share.denominator_fg.as_str()
        ),
        ("40000000000000000000", "100000000000000000000")
    );
    assert!(report.groups.is_empty());
    // gold certified ASM 0.4 >= 0.05; unknown 0.1 <= 0.10 exactly: both met.
    assert_eq!(report.targets.len(), 2);
    assert_eq!(report.targets[0].actual.value, "0.400000");
    assert_eq!(report.targets[0].share, "0.050000");
    assert!(report.targets[0].met);
    assert_eq!(report.targets[1].actual.value, "0.100000");
    assert!(report.targets[1].met, "equal to the limit is within it");
}

#[test]
fn thirds_need_the_largest_remainder() {
    // Rounded on its own, each third is 0.333333 and they add up to 0.999999.
    let thirds = vec![
        line(OriginClass::Asm, Basis::Declared, true, 1),
        line(OriginClass::Lsm, Basis::Declared, true, 1),
        line(OriginClass::Recycled, Basis::Declared, false, 1),
    ];
    let report = compute(&thirds, &GroupBy::default(), &[]).unwrap();
    // Certified shares are rounded on their own: 1/3 and 2/3 of the total.
    assert_eq!(report.overall.classes[0].certified_share.value, "0.333333");
    assert_eq!(report.overall.certified_share.value, "0.666667");

    let cases = [
        (thirds, ["0.333334", "0.333333", "0.333333", "0.000000"]),
        // The larger remainder wins over the earlier class: 1/3 and 2/3.
        (
            vec![
                line(OriginClass::Asm, Basis::Declared, false, 1),
                line(OriginClass::Lsm, Basis::Declared, false, 2),
            ],
            ["0.333333", "0.666667", "0.000000", "0.000000"],
        ),
        // Sevenths: 1/7, 2/7, 4/7 floor to 0.142857 + 0.285714 + 0.571428 = 0.999999; 4/7 has
        // the largest remainder (0.571428|571…).
        (
            vec![
                line(OriginClass::Asm, Basis::Declared, false, KG),
                line(OriginClass::Lsm, Basis::Declared, false, 2 * KG),
                line(OriginClass::Unknown, Basis::Unknown, false, 4 * KG),
            ],
            ["0.142857", "0.285714", "0.000000", "0.571429"],
        ),
    ];
    for (lines, expected) in cases {
        let report = compute(&lines, &GroupBy::default(), &[]).unwrap();
        assert_eq!(shares(&report.overall), expected, "{lines:?}");
    }
}

#[test]
fn an_empty_mix_is_all_zero_and_targets_over_no_volume_are_met() {
    let report = compute(
        &[],
        &GroupBy::new(&[GroupDimension::Month]).unwrap(),
        &SourcingPolicy::default().targets,
    )
    .unwrap();
    assert_eq!(report.overall.total_mg, 0);
    assert_eq!(shares(&report.overall), ["0.000000"; 4]);
    assert!(report.groups.is_empty());
    assert!(report.targets.iter().all(|t| t.met));
    assert_eq!(report.targets[0].actual.denominator_mg, 0);
}

#[test]
fn targets_compare_exact_fractions_and_a_mineral_target_sees_only_its_mineral() {
    // Gold: 49 999 999 mg certified ASM out of 1 000 000 000 mg = 0.049999999 < 0.05, although
    // the text rounds to 0.050000.
    let mut gold_asm = line(OriginClass::Asm, Basis::Declared, true, 49_999_999);
    gold_asm.mineral = Mineral::Gold;
    let mut gold_lsm = line(
        OriginClass::Lsm,
        Basis::Declared,
        false,
        1_000_000_000 - 49_999_999,
    );
    gold_lsm.mineral = Mineral::Gold;
    // Tin: lots of certified ASM that must not count for the gold target.
    let mut tin = line(OriginClass::Asm, Basis::Declared, true, 10_000_000_000);
    tin.mineral = Mineral::Tin;
    let targets = SourcingPolicy::default().targets;
    let report = compute(&[gold_asm, gold_lsm, tin], &GroupBy::default(), &targets).unwrap();
    let gold = &report.targets[0];
    assert_eq!(gold.mineral, Some(Mineral::Gold));
    assert_eq!(gold.actual.value, "0.050000");
    assert_eq!(
        (gold.actual.numerator_mg, gold.actual.denominator_mg),
        (49_999_999, 1_000_000_000)
    );
    assert!(
        !gold.met,
        "0.049999999 is below 0.05 although it displays as 0.050000"
    );
    assert!(report.targets[1].met, "no unknown volume");

    let mut at_most = targets[1].clone();
    at_most.share = 0.0;
    at_most.metric = TargetMetric::Certified;
    let report = compute(
        &[line(OriginClass::Asm, Basis::Declared, true, 1)],
        &GroupBy::default(),
        &[at_most],
    )
    .unwrap();
    assert!(!report.targets[0].met);
}

#[test]
fn the_issue_scenario_decided_with_the_policy_on_the_purchase_date() {
    // ASM mine certified (CRAFT) on the purchase date but suspended a week later; an LSM mine at
    // IRMA transparency (below the policy's irma_50); a recycled share; unknown origin.
    let policy = SourcingPolicy::default();
    let craft = certificate("c-craft", "craft")
        .suspended_on("2026-03-17")
        .facts();
    let irma = certificate("c-irma", "irma").level("transparency").facts();
    let bought = day("2026-03-10");
    let certified = |class, cert: &crate::domain::policy::CertificateFacts| {
        policy
            .accepts(
                class,
                std::slice::from_ref(cert),
                bought,
                Some(Mineral::Gold),
            )
            .is_some()
    };
    let lines = vec![
        line(
            OriginClass::Asm,
            Basis::Declared,
            certified(PolicyClass::Asm, &craft),
            12_500_000,
        ),
        line(
            OriginClass::Lsm,
            Basis::Declared,
            certified(PolicyClass::Lsm, &irma),
            25_000_000,
        ),
        line(OriginClass::Recycled, Basis::Declared, false, 5_000_000),
        line(OriginClass::Unknown, Basis::Unknown, false, 7_500_000),
    ];
    let report = compute(&lines, &GroupBy::default(), &policy.targets).unwrap();
    let o = &report.overall;
    assert_eq!(o.total_mg, 50_000_000);
    assert_eq!(shares(o), ["0.250000", "0.500000", "0.100000", "0.150000"]);
    assert_eq!(
        o.classes[0].certified_mg, 12_500_000,
        "certified on the purchase date"
    );
    assert_eq!(
        o.classes[1].certified_mg, 0,
        "transparency is below irma_50"
    );
    assert_eq!(report.targets[0].actual.value, "0.250000");
    assert!(report.targets[0].met);
    assert_eq!(report.targets[1].actual.value, "0.150000");
    assert!(!report.targets[1].met, "15% unknown is over 10%");
    // A week later the ASM certificate no longer counts.
    assert!(
        policy
            .accepts(
                PolicyClass::Asm,
                &[craft],
                day("2026-03-17"),
                Some(Mineral::Gold)
            )
            .is_none()
    );
}

#[test]
fn groups_by_supplier_and_month_are_sorted_and_add_up() {
    let pe: CountryCode = "PE".parse().unwrap();
    // Listed by the text of their ids: a digit before a letter.
    let (s_a, s_b) = (
        "9fffffff-ffff-7fff-bfff-ffffffffffff",
        "a0000000-0000-7000-8000-000000000000",
    );
    let mk = |id: &str, on: &str, class, mg, country| MixLine {
        purchased_on: day(on),
        mineral: Mineral::Gold,
        supplier: Some(supplier(id)),
        country,
        origin_class: class,
        basis: Basis::Declared,
        certified: false,
        quantity_mg: mg,
        quantity_uozt: 0,
    };
    let lines = vec![
        mk(s_b, "2026-02-01", OriginClass::Asm, 3 * KG, Some(pe)),
        mk(s_a, "2026-02-28", OriginClass::Lsm, KG, None),
        mk(s_a, "2026-01-31", OriginClass::Asm, 2 * KG, Some(pe)),
        mk(s_a, "2026-02-02", OriginClass::Asm, KG, Some(pe)),
    ];
    let group_by = GroupBy::parse("supplier, month").unwrap();
    let report = compute(&lines, &group_by, &[]).unwrap();
    let keys: Vec<Vec<Option<String>>> = report
        .groups
        .iter()
        .map(|g| g.key.iter().map(|k| k.value.clone()).collect())
        .collect();
    let some = |a: &str, b: &str| vec![Some(a.to_owned()), Some(b.to_owned())];
    assert_eq!(
        keys,
        vec![
            some(s_a, "2026-01"),
            some(s_a, "2026-02"),
            some(s_b, "2026-02")
        ]
    );
    assert_eq!(report.groups[0].key[0].dimension, GroupDimension::Supplier);
    assert_eq!(report.groups[0].key[1].dimension, GroupDimension::Month);
    assert_eq!(report.groups[1].figures.total_mg, 2 * KG);
    assert_eq!(
        shares(&report.groups[1].figures),
        ["0.500000", "0.500000", "0.000000", "0.000000"]
    );
    assert_eq!(report.overall.total_mg, 7 * KG);

    // By country: the unknown country is listed last, as null.
    let report = compute(&lines, &GroupBy::parse("country").unwrap(), &[]).unwrap();
    let keys: Vec<Option<String>> = report
        .groups
        .iter()
        .map(|g| g.key[0].value.clone())
        .collect();
    assert_eq!(keys, vec![Some("PE".to_owned()), None]);
    let json = serde_json::to_value(&report.groups[1].key).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"dimension": "country", "value": null}])
    );
}

#[test]
fn group_by_takes_one_or_two_distinct_dimensions() {
    assert_eq!(
        GroupBy::parse("").unwrap().dimensions(),
        &[] as &[GroupDimension]
    );
    assert!(GroupBy::parse("mineral,month").is_ok());
    assert!(
        GroupBy::parse("mineral,mineral")
            .unwrap_err()
            .contains("twice")
    );
    assert!(GroupBy::parse("mineral,month,country").is_err());
    assert!(
        GroupBy::parse("colour")
            .unwrap_err()
            .contains("must be one of")
    );
}

#[test]
fn bad_inputs_are_refused() {
    assert_eq!(
        compute(
            &[line(OriginClass::Asm, Basis::Declared, false, -1)],
            &GroupBy::default(),
            &[]
        ),
        Err(MixError::NegativeQuantity { line: 0 })
    );
    let huge = line(OriginClass::Asm, Basis::Declared, false, i64::MAX / 2 + 1);
    assert_eq!(
        compute(&[huge.clone(), huge], &GroupBy::default(), &[]),
        Err(MixError::TooLarge)
    );
    let mut target = SourcingPolicy::default().targets[0].clone();
    target.share = 0.1234567;
    assert!(matches!(
        compute(&[], &GroupBy::default(), &[target]),
        Err(MixError::InvalidTarget { index: 0, .. })
    ));
}

fn any_line() -> impl Strategy<Value = MixLine> {
    let countries = ["PE", "CD", "GH"];
    (
        0u32..400,
        0usize..3,
        0usize..3,
        proptest::option::of(0usize..3),
        0usize..4,
        0usize..3,
        any::<bool>(),
        prop_oneof![
            0i64..1_000,
            0i64..1_000_000_000_000,
            Just(crate::domain::quantity::MAX_MG)
        ],
    )
        .prop_map(
            move |(days, mineral, supplier, country, class, basis, certified, mg)| MixLine {
                purchased_on: day("2026-01-01") + chrono::Days::new(u64::from(days)),
                mineral: [Mineral::Gold, Mineral::Tin, Mineral::Cobalt][mineral],
                supplier: Some(PartyId(uuid::Uuid::from_u128(supplier as u128))),
                country: country.map(|c| countries[c].parse().unwrap()),
                origin_class: CLASSES[class],
                basis: Basis::ALL[basis],
                certified,
                quantity_mg: mg,
                quantity_uozt: 0,
            },
        )
}

fn any_group_by() -> impl Strategy<Value = GroupBy> {
    proptest::sample::subsequence(GroupDimension::ALL.to_vec(), 0..=2)
        .prop_shuffle()
        .prop_map(|d| GroupBy::new(&d).unwrap())
}

fn check_figures(figures: &MixFigures) -> Result<(), TestCaseError> {
    let total: i64 = figures.classes.iter().map(|c| c.quantity_mg).sum();
    prop_assert_eq!(total, figures.total_mg);
    let share_sum: i64 = figures.classes.iter().map(|c| units(&c.share.value)).sum();
    if figures.total_mg > 0 {
        prop_assert_eq!(share_sum, 1_000_000);
    } else {
        prop_assert!(figures.classes.iter().all(|c| c.share.value == "0.000000"));
    }
    for class in &figures.classes {
        prop_assert!(class.certified_mg >= 0 && class.certified_mg <= class.quantity_mg);
        let b = &class.basis;
        prop_assert_eq!(
            b.traced_mg + b.declared_mg + b.unknown_mg,
            class.quantity_mg
        );
        prop_assert_eq!(class.share.numerator_mg, class.quantity_mg);
        prop_assert_eq!(class.share.denominator_mg, figures.total_mg);
        // Each share is within one millionth of its exact value.
        let exact = i128::from(class.quantity_mg) * 1_000_000;
        let shown = i128::from(units(&class.share.value)) * i128::from(figures.total_mg.max(1));
        prop_assert!((exact - shown).abs() < i128::from(figures.total_mg.max(1)));
    }
    prop_assert_eq!(
        figures.classes.iter().map(|c| c.certified_mg).sum::<i64>(),
        figures.certified_mg
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_quantity_is_lost_and_shares_add_up(
        lines in proptest::collection::vec(any_line(), 0..40),
        group_by in any_group_by(),
    ) {
        let report = compute(&lines, &group_by, &SourcingPolicy::default().targets).unwrap();
        let line_total: i64 = lines.iter().map(|l| l.quantity_mg).sum();
        prop_assert_eq!(report.overall.total_mg, line_total);
        check_figures(&report.overall)?;
        if group_by.dimensions().is_empty() {
            prop_assert!(report.groups.is_empty());
        } else {
            prop_assert_eq!(report.groups.iter().map(|g| g.figures.total_mg).sum::<i64>(), line_total);
            for (index, class) in report.overall.classes.iter().enumerate() {
                let in_groups: i64 = report.groups.iter().map(|g| g.figures.classes[index].quantity_mg).sum();
                prop_assert_eq!(in_groups, class.quantity_mg);
                let certified: i64 = report.groups.iter().map(|g| g.figures.classes[index].certified_mg).sum();
                prop_assert_eq!(certified, class.certified_mg);
            }
            for group in &report.groups {
                check_figures(&group.figures)?;
                prop_assert_eq!(group.key.len(), group_by.dimensions().len());
            }
        }
        // Order of the lines does not matter.
        let mut reversed = lines.clone();
        reversed.reverse();
        prop_assert_eq!(compute(&reversed, &group_by, &SourcingPolicy::default().targets).unwrap(), report);
    }
}

/// A line as entered in any unit, its quantity and the exact femtograms worked out here from the
/// entered decimal alone (not through `domain::mass`).
fn any_entered_line() -> impl Strategy<Value = (MixLine, i128)> {
    (1i64..=5_000_000, 0u32..=6, 0usize..4, 0usize..4).prop_filter_map(
        "a quantity the API accepts",
        |(digits, scale, unit, class)| {
            use crate::domain::quantity::{Decimal, MassUnit, Quantity};
            let unit = MassUnit::ALL[unit];
            let value = Decimal {
                digits: i128::from(digits),
                scale,
            };
            let quantity = Quantity::new(value, unit).ok()?;
            // Femtograms per unit: g 10^15, kg 10^18, t 10^21, troy ounce 31.1034768 × 10^15.
            let per_unit: i128 = match unit {
                MassUnit::G => 1_000_000_000_000_000,
                MassUnit::Kg => 1_000_000_000_000_000_000,
                MassUnit::T => 1_000_000_000_000_000_000_000,
                MassUnit::TroyOz => 31_103_476_800_000_000,
            };
            let exact_fg = i128::from(digits) * per_unit / 10i128.pow(scale);
            let troy = unit == MassUnit::TroyOz;
            let line = MixLine {
                purchased_on: day("2026-05-01"),
                mineral: Mineral::Gold,
                supplier: Some(supplier(S1)),
                country: None,
                origin_class: CLASSES[class],
                basis: Basis::Declared,
                certified: false,
                quantity_mg: if troy { 0 } else { quantity.mg },
                quantity_uozt: quantity.uozt,
            };
            Some((line, exact_fg))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Lines in mixed units total exactly the sum of what was entered, in grams to the
    /// femtogram, and the class shares' exact fractions are the classes' exact sums.
    #[test]
    fn mixed_units_total_exactly(lines in proptest::collection::vec(any_entered_line(), 1..30)) {
        let expected: i128 = lines.iter().map(|(_, fg)| fg).sum();
        let lines: Vec<MixLine> = lines.into_iter().map(|(l, _)| l).collect();
        let report = super::compute(
            &lines,
            &GroupBy::default(),
            &[],
            crate::domain::quantity::MassUnit::G,
        )
        .unwrap();
        let total = crate::domain::quantity::Decimal::parse(&report.overall.total).unwrap();
        prop_assert_eq!(total.digits * 10i128.pow(15 - total.scale), expected);
        let fractions: i128 = report
            .overall
            .classes
            .iter()
            .map(|c| c.share.numerator_fg.parse::<i128>().unwrap())
            .sum();
        prop_assert_eq!(fractions, expected);
        prop_assert_eq!(report.overall.classes[0].share.denominator_fg.parse::<i128>().unwrap(), expected);
    }
}
