use super::*;
use crate::domain::policy::tests::certificate;
use crate::domain::provenance::tests::{bare, day, mined, transfer, transformed};
use crate::domain::provenance::{LotGraph, LotNode, trace};

const KG: i64 = 1_000_000;

/// Two mines, a smelter mixing them, a refiner, a trader and a purchaser (as in provenance).
fn chain_lots() -> Vec<LotNode> {
    let mut lots = vec![
        mined("ore-asm", 3 * KG, "m-asm", "x-asm", "2026-01-10"),
        mined("ore-lsm", 7 * KG, "m-lsm", "x-lsm", "2026-01-12"),
    ];
    lots.extend(transformed(
        "t-smelt",
        "smelter",
        "2026-02-01",
        &[("ore-asm", 3 * KG), ("ore-lsm", 4 * KG)],
        &[("dore", 5 * KG)],
    ));
    lots.extend(transformed(
        "t-refine",
        "refiner",
        "2026-03-01",
        &[("dore", 5 * KG)],
        &[("gold", 4_900_000)],
    ));
    lots
}

fn chain_transfers() -> Vec<TransferEdge> {
    vec![
        transfer(
            "tr-1",
            "gold",
            "refiner-co",
            "trader",
            4_900_000,
            "2026-03-10",
        ),
        transfer("tr-2", "gold", "trader", "purchaser", KG, "2026-03-20"),
    ]
}

fn facility(
    id: &str,
    kind: FacilityKind,
    scale: Option<MiningScale>,
    certificates: Vec<CertificateFacts>,
) -> FacilityFacts {
    FacilityFacts {
        facility_id: id.into(),
        kind,
        mining_scale: scale,
        country: "PE".parse().unwrap(),
        cahra: false,
        cahra_basis: None,
        asm_presence: Some(false),
        coexistence: None,
        certificates,
    }
}

/// Everything in order: certified mines, conformant smelter and refiner.
fn clean_facilities() -> Vec<FacilityFacts> {
    vec![
        facility(
            "m-asm",
            FacilityKind::Mine,
            Some(MiningScale::Asm),
            vec![certificate(
                "c-craft",
                "craft",
                None,
                "2025-01-01",
                "2027-12-31",
                None,
            )],
        ),
        facility(
            "m-lsm",
            FacilityKind::Mine,
            Some(MiningScale::Lsm),
            vec![certificate(
                "c-irma",
                "irma",
                Some("irma_75"),
                "2025-01-01",
                "2027-12-31",
                None,
            )],
        ),
        facility(
            "smelter",
            FacilityKind::Smelter,
            None,
            vec![certificate(
                "c-rmap",
                "rmi_rmap",
                Some("conformant"),
                "2025-01-01",
                "2027-12-31",
                None,
            )],
        ),
        facility(
            "refiner",
            FacilityKind::Refiner,
            None,
            vec![certificate(
                "c-lbma",
                "lbma_rgg",
                None,
                "2025-01-01",
                "2027-12-31",
                None,
            )],
        ),
    ]
}

struct Case {
    lots: Vec<LotNode>,
    transfers: Vec<TransferEdge>,
    facilities: Vec<FacilityFacts>,
    purchased_on: Option<NaiveDate>,
    tolerance: YieldTolerance,
    consumed: Vec<(String, i64)>,
    root: &'static str,
}

impl Case {
    fn clean() -> Case {
        Case {
            lots: chain_lots(),
            transfers: chain_transfers(),
            facilities: clean_facilities(),
            purchased_on: Some(day("2026-04-01")),
            tolerance: YieldTolerance::from_decimal("0.02").unwrap(),
            consumed: Vec::new(),
            root: "gold",
        }
    }

    fn facility(&mut self, id: &str) -> &mut FacilityFacts {
        self.facilities
            .iter_mut()
            .find(|f| f.facility_id == id)
            .unwrap()
    }

    fn flags(&self) -> Vec<RedFlag> {
        let graph = LotGraph::new(self.lots.clone(), self.transfers.clone());
        let trace = trace(&graph, self.root, KG, 6).unwrap();
        let policy = SourcingPolicy::default();
        let context = RedFlagContext {
            policy: &policy,
            facilities: &self.facilities,
            mineral: Some(Mineral::Gold),
            purchased_on: self.purchased_on,
            yield_tolerance: self.tolerance,
            consumed: &self.consumed,
        };
        red_flags(&trace, &context)
    }

    fn kinds(&self) -> Vec<(RedFlagKind, Severity)> {
        self.flags().iter().map(|f| (f.kind, f.severity)).collect()
    }
}

fn ev(kind: EvidenceKind, id: &str) -> Evidence {
    Evidence::new(kind, id)
}

use EvidenceKind::{Certificate, Event, Facility, Lot, Party};

#[test]
fn a_clean_chain_raises_no_flag() {
    assert_eq!(Case::clean().flags(), vec![]);
    let mut case = Case::clean();
    case.purchased_on = None;
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn cahra_origin() {
    let mut case = Case::clean();
    let mine = case.facility("m-asm");
    mine.cahra = true;
    mine.cahra_basis = Some("EU CAHRA list 2026".into());
    mine.country = "CD".parse().unwrap();
    let flags = case.flags();
    assert_eq!(flags.len(), 1);
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::CahraOrigin, Severity::High)
    );
    assert_eq!(
        flags[0].evidence,
        vec![
            ev(Facility, "m-asm"),
            ev(Event, "x-asm"),
            ev(Lot, "ore-asm")
        ]
    );
    assert!(
        flags[0].message.contains("CD") && flags[0].message.contains("EU CAHRA list 2026"),
        "{}",
        flags[0].message
    );
    // A CAHRA smelter is not an origin: no flag.
    let mut case = Case::clean();
    case.facility("smelter").cahra = true;
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn uncertified_asm_origin() {
    let mut case = Case::clean();
    case.facility("m-asm").certificates.clear();
    let flags = case.flags();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::UncertifiedAsmOrigin, Severity::High)
    );
    assert_eq!(
        flags[0].evidence,
        vec![
            ev(Facility, "m-asm"),
            ev(Event, "x-asm"),
            ev(Lot, "ore-asm")
        ]
    );
    // A certificate under a scheme the policy does not accept for ASM does not count.
    let mut case = Case::clean();
    case.facility("m-asm").certificates = vec![certificate(
        "c-irma2",
        "irma",
        Some("irma_100"),
        "2025-01-01",
        "2027-12-31",
        None,
    )];
    assert_eq!(
        case.kinds(),
        vec![(RedFlagKind::UncertifiedAsmOrigin, Severity::High)]
    );
    // An uncertified LSM mine is not this flag.
    let mut case = Case::clean();
    case.facility("m-lsm").certificates.clear();
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn certification_lapsed_between_extraction_and_purchase() {
    // Accepted on the extraction date, suspended before the purchase.
    let mut case = Case::clean();
    case.facility("m-asm").certificates = vec![certificate(
        "c-craft",
        "craft",
        None,
        "2025-01-01",
        "2027-12-31",
        Some("2026-03-15"),
    )];
    let flags = case.flags();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::CertificationLapsed, Severity::Medium)
    );
    assert_eq!(
        flags[0].evidence,
        vec![
            ev(Facility, "m-asm"),
            ev(Event, "x-asm"),
            ev(Lot, "ore-asm"),
            ev(Certificate, "c-craft")
        ]
    );
    assert!(
        flags[0].message.contains("2026-01-10") && flags[0].message.contains("2026-04-01"),
        "{}",
        flags[0].message
    );
    // Without a purchase date there is nothing to compare with.
    case.purchased_on = None;
    assert_eq!(case.flags(), vec![]);

    // Certified only after the extraction: uncertified at extraction, and a lapse the other way.
    let mut case = Case::clean();
    case.facility("m-asm").certificates = vec![certificate(
        "c-craft",
        "craft",
        None,
        "2026-02-01",
        "2027-12-31",
        None,
    )];
    assert_eq!(
        case.kinds(),
        vec![
            (RedFlagKind::UncertifiedAsmOrigin, Severity::High),
            (RedFlagKind::CertificationLapsed, Severity::Medium)
        ]
    );

    // An LSM mine whose IRMA level was lowered below irma_50 after extraction.
    let mut case = Case::clean();
    let mut irma = certificate(
        "c-irma",
        "irma",
        Some("irma_75"),
        "2025-01-01",
        "2027-12-31",
        None,
    );
    let mut lowered = irma.history[0].clone();
    lowered.effective_on = day("2026-03-01");
    lowered.recorded_at += chrono::Duration::seconds(5);
    lowered.level = Some("transparency".into());
    irma.history.push(lowered);
    case.facility("m-lsm").certificates = vec![irma];
    assert_eq!(
        case.kinds(),
        vec![(RedFlagKind::CertificationLapsed, Severity::Medium)]
    );

    // A refiner whose accreditation lapsed after refining.
    let mut case = Case::clean();
    case.facility("refiner").certificates = vec![certificate(
        "c-lbma",
        "lbma_rgg",
        None,
        "2025-01-01",
        "2026-03-31",
        None,
    )];
    let flags = case.flags();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].kind, RedFlagKind::CertificationLapsed);
    assert_eq!(
        flags[0].evidence,
        vec![
            ev(Facility, "refiner"),
            ev(Event, "t-refine"),
            ev(Lot, "gold"),
            ev(Certificate, "c-lbma")
        ]
    );
}

#[test]
fn smelter_not_conformant() {
    // RMAP "active" is below the policy's "conformant"; the refiner has nothing at all.
    let mut case = Case::clean();
    case.facility("smelter").certificates = vec![certificate(
        "c-rmap",
        "rmi_rmap",
        Some("active"),
        "2025-01-01",
        "2027-12-31",
        None,
    )];
    case.facility("refiner").certificates.clear();
    let flags = case.flags();
    assert_eq!(
        flags
            .iter()
            .map(|f| (f.kind, f.severity))
            .collect::<Vec<_>>(),
        vec![
            (RedFlagKind::SmelterNotConformant, Severity::High),
            (RedFlagKind::SmelterNotConformant, Severity::High)
        ]
    );
    assert_eq!(
        flags[0].evidence,
        vec![
            ev(Facility, "refiner"),
            ev(Event, "t-refine"),
            ev(Lot, "gold")
        ]
    );
    assert_eq!(
        flags[1].evidence,
        vec![
            ev(Facility, "smelter"),
            ev(Event, "t-smelt"),
            ev(Lot, "dore")
        ]
    );
    // A smelter certificate for another mineral does not cover gold.
    let mut case = Case::clean();
    case.facility("smelter").certificates[0].minerals = vec![Mineral::Tin];
    assert_eq!(
        case.kinds(),
        vec![(RedFlagKind::SmelterNotConformant, Severity::High)]
    );
    // A concentrator is not a smelter or refiner: no certificate needed.
    let mut case = Case::clean();
    let smelter = case.facility("smelter");
    smelter.kind = FacilityKind::Concentrator;
    smelter.certificates.clear();
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn mass_balance_exceeded() {
    // 8 kg of doré from 7 kg of ore: beyond 2%, within 20%.
    let mut case = Case::clean();
    case.lots.retain(|l| l.lot_id != "dore");
    case.lots.extend(transformed(
        "t-smelt",
        "smelter",
        "2026-02-01",
        &[("ore-asm", 3 * KG), ("ore-lsm", 4 * KG)],
        &[("dore", 8 * KG)],
    ));
    let flags = case.flags();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::MassBalanceExceeded, Severity::Medium)
    );
    assert_eq!(
        flags[0].evidence,
        vec![ev(Event, "t-smelt"), ev(Facility, "smelter")]
    );
    case.tolerance = YieldTolerance::from_decimal("0.2").unwrap();
    assert_eq!(case.flags(), vec![]);

    // Another event (outside the trace) consumed 4 kg more of the 7 kg LSM ore lot.
    let mut case = Case::clean();
    case.consumed = vec![("ore-lsm".into(), 8 * KG), ("ore-asm".into(), 3 * KG)];
    let flags = case.flags();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        flags[0].evidence,
        vec![ev(Lot, "ore-lsm"), ev(Event, "t-smelt")]
    );
    assert!(
        flags[0].message.contains("8000000 mg"),
        "{}",
        flags[0].message
    );

    // The trader sold the same gold twice: 1 kg to the purchaser and 4 kg to someone else.
    let mut case = Case::clean();
    case.transfers.push(transfer(
        "tr-3",
        "gold",
        "trader",
        "other-buyer",
        4 * KG,
        "2026-03-21",
    ));
    let flags = case.flags();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        flags[0].evidence,
        vec![
            ev(Lot, "gold"),
            ev(Party, "trader"),
            ev(Event, "tr-2"),
            ev(Event, "tr-3")
        ]
    );
}

#[test]
fn untraced_volume_by_share() {
    // The refiner also consumed 0.5 kg of a lot with no recorded origin: 0.5 / 5.5 < 10%.
    let mut case = Case::clean();
    case.lots.retain(|l| l.lot_id != "gold");
    case.lots.push(bare("mystery", KG, false));
    case.lots.extend(transformed(
        "t-refine",
        "refiner",
        "2026-03-01",
        &[("dore", 5 * KG), ("mystery", KG / 2)],
        &[("gold", 5_400_000)],
    ));
    let flags = case.flags();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::UntracedVolume, Severity::Medium)
    );
    assert_eq!(flags[0].evidence, vec![ev(Lot, "mystery")]);
    assert!(
        flags[0].message.contains("0.090909"),
        "{}",
        flags[0].message
    );

    // Exactly 10%: 0.5 kg of 5 kg consumed.
    let mut case = Case::clean();
    case.lots.retain(|l| l.lot_id != "gold");
    case.lots.push(bare("mystery", KG, false));
    case.lots.extend(transformed(
        "t-refine",
        "refiner",
        "2026-03-01",
        &[("dore", 4_500_000), ("mystery", KG / 2)],
        &[("gold", 4_900_000)],
    ));
    let flags = case.flags();
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::UntracedVolume, Severity::High)
    );

    // Just under 10% (0.499999 of 5 kg): medium, though it displays as 0.100000.
    let mut case = Case::clean();
    case.lots.retain(|l| l.lot_id != "gold");
    case.lots.push(bare("mystery", KG, false));
    case.lots.extend(transformed(
        "t-refine",
        "refiner",
        "2026-03-01",
        &[("dore", 4_500_001), ("mystery", 499_999)],
        &[("gold", 4_900_000)],
    ));
    let flags = case.flags();
    assert!(
        flags[0].message.contains("0.100000"),
        "{}",
        flags[0].message
    );
    assert_eq!(
        (flags[0].kind, flags[0].severity),
        (RedFlagKind::UntracedVolume, Severity::Medium)
    );
}

#[test]
fn asm_presence_without_coexistence_agreement() {
    for (presence, agreement, flagged) in [
        (Some(true), None, true),
        (Some(true), Some(CoexistenceStatus::Negotiating), true),
        (Some(true), Some(CoexistenceStatus::Terminated), true),
        (Some(true), Some(CoexistenceStatus::Signed), false),
        (None, None, false),
        (Some(false), None, false),
    ] {
        let mut case = Case::clean();
        let mine = case.facility("m-lsm");
        mine.asm_presence = presence;
        mine.coexistence = agreement;
        let expected = if flagged {
            vec![(
                RedFlagKind::AsmPresenceWithoutCoexistenceAgreement,
                Severity::Medium,
            )]
        } else {
            vec![]
        };
        assert_eq!(case.kinds(), expected, "{presence:?} {agreement:?}");
    }
    // The rule is about large-scale mines; artisanal miners at an ASM mine are expected.
    let mut case = Case::clean();
    case.facility("m-asm").asm_presence = Some(true);
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn flags_come_in_a_fixed_order_whatever_the_input_order() {
    let mut case = Case::clean();
    case.facility("m-asm").cahra = true;
    case.facility("m-asm").certificates.clear();
    case.facility("m-lsm").asm_presence = Some(true);
    case.facility("refiner").certificates.clear();
    case.transfers.push(transfer(
        "tr-3",
        "gold",
        "trader",
        "other-buyer",
        4 * KG,
        "2026-03-21",
    ));
    let flags = case.kinds();
    assert_eq!(
        flags,
        vec![
            (RedFlagKind::CahraOrigin, Severity::High),
            (RedFlagKind::UncertifiedAsmOrigin, Severity::High),
            (RedFlagKind::SmelterNotConformant, Severity::High),
            (RedFlagKind::MassBalanceExceeded, Severity::Medium),
            (
                RedFlagKind::AsmPresenceWithoutCoexistenceAgreement,
                Severity::Medium
            ),
        ]
    );
    let forward = case.flags();
    case.facilities.reverse();
    case.lots.reverse();
    case.transfers.reverse();
    assert_eq!(case.flags(), forward);
}

#[test]
fn facilities_without_facts_raise_nothing() {
    let mut case = Case::clean();
    case.facilities.clear();
    assert_eq!(case.flags(), vec![]);
}
