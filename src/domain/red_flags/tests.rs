use super::*;
use crate::domain::mass::Mass;
use crate::domain::policy::test_certificates::certificate;
use crate::domain::provenance::test_graph::{KG, Lots, day, two_mines_to_gold};

/// Two mines, a smelter mixing them, a refiner, a trader and a purchaser (as in provenance).
fn chain() -> Lots {
    let mut chain =
        two_mines_to_gold([("ore-asm", "m-asm", "x-asm"), ("ore-lsm", "m-lsm", "x-lsm")]);
    chain
        .transfer(
            "tr-1",
            "gold",
            "refiner-co",
            "trader",
            4_900_000,
            "2026-03-10",
        )
        .transfer("tr-2", "gold", "trader", "purchaser", KG, "2026-03-20");
    chain
}

fn facility(
    id: &str,
    kind: FacilityKind,
    scale: Option<MiningScale>,
    certificate: CertificateFacts,
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
        certificates: vec![certificate],
    }
}

/// Everything in order: certified mines, conformant smelter and refiner.
fn clean_facilities() -> Vec<FacilityFacts> {
    vec![
        facility(
            "m-asm",
            FacilityKind::Mine,
            Some(MiningScale::Asm),
            certificate("c-craft", "craft").facts(),
        ),
        facility(
            "m-lsm",
            FacilityKind::Mine,
            Some(MiningScale::Lsm),
            certificate("c-irma", "irma").level("irma_75").facts(),
        ),
        facility(
            "smelter",
            FacilityKind::Smelter,
            None,
            certificate("c-rmap", "rmi_rmap")
                .level("conformant")
                .facts(),
        ),
        facility(
            "refiner",
            FacilityKind::Refiner,
            None,
            certificate("c-lbma", "lbma_rgg").facts(),
        ),
    ]
}

struct Case {
    chain: Lots,
    facilities: Vec<FacilityFacts>,
    purchased_on: Option<NaiveDate>,
    tolerance: YieldTolerance,
    consumed: Vec<(String, Mass)>,
}

impl Case {
    fn clean() -> Case {
        Case {
            chain: chain(),
            facilities: clean_facilities(),
            purchased_on: Some(day("2026-04-01")),
            tolerance: YieldTolerance::from_decimal("0.02").unwrap(),
            consumed: Vec::new(),
        }
    }

    /// The case changed by `change`.
    fn with(mut self, change: impl FnOnce(&mut Case)) -> Case {
        change(&mut self);
        self
    }

    /// The case with `facility` holding `certificate` and no other.
    fn only_certificate(self, facility: &str, certificate: CertificateFacts) -> Case {
        self.with(|case| case.facility(facility).certificates = vec![certificate])
    }

    /// The trader also hands 4 kg of the gold (of which it holds 4.9 kg) to another buyer.
    fn sold_twice(self) -> Case {
        self.with(|case| {
            case.chain.transfer(
                "tr-3",
                "gold",
                "trader",
                "other-buyer",
                4 * KG,
                "2026-03-21",
            );
        })
    }

    fn facility(&mut self, id: &str) -> &mut FacilityFacts {
        self.facilities
            .iter_mut()
            .find(|f| f.facility_id == id)
            .unwrap()
    }

    fn flags(&self) -> Vec<RedFlag> {
        let trace = self.chain.trace("gold", KG, 6);
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

    /// The one flag raised.
    #[track_caller]
    fn only_flag(&self) -> RedFlag {
        let flags = self.flags();
        assert_eq!(flags.len(), 1, "{flags:?}");
        flags.into_iter().next().unwrap()
    }

    fn kinds(&self) -> Vec<(RedFlagKind, Severity)> {
        self.flags().iter().map(kind).collect()
    }
}

fn kind(flag: &RedFlag) -> (RedFlagKind, Severity) {
    (flag.kind, flag.severity)
}

fn evidence(list: &[(EvidenceKind, &str)]) -> Vec<Evidence> {
    list.iter()
        .map(|(kind, id)| Evidence::new(*kind, id))
        .collect()
}

use EvidenceKind::{Certificate, Event, Facility, Lot, Party};

/// The ASM mine, its extraction and the ore it produced.
const ASM_ORIGIN: [(EvidenceKind, &str); 3] =
    [(Facility, "m-asm"), (Event, "x-asm"), (Lot, "ore-asm")];

#[test]
fn a_clean_chain_raises_no_flag() {
    assert_eq!(Case::clean().flags(), vec![]);
    let case = Case::clean().with(|case| case.purchased_on = None);
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn cahra_origin() {
    let flag = Case::clean()
        .with(|case| {
            let mine = case.facility("m-asm");
            mine.cahra = true;
            mine.cahra_basis = Some("EU CAHRA list 2026".into());
            mine.country = "CD".parse().unwrap();
        })
        .only_flag();
    assert_eq!(kind(&flag), (RedFlagKind::CahraOrigin, Severity::High));
    assert_eq!(flag.evidence, evidence(&ASM_ORIGIN));
    assert!(
        flag.message.contains("CD") && flag.message.contains("EU CAHRA list 2026"),
        "{}",
        flag.message
    );
    // A CAHRA smelter is not an origin: no flag.
    let case = Case::clean().with(|case| case.facility("smelter").cahra = true);
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn uncertified_asm_origin() {
    let flag = Case::clean()
        .with(|case| case.facility("m-asm").certificates.clear())
        .only_flag();
    assert_eq!(
        kind(&flag),
        (RedFlagKind::UncertifiedAsmOrigin, Severity::High)
    );
    assert_eq!(flag.evidence, evidence(&ASM_ORIGIN));
    // A certificate under a scheme the policy does not accept for ASM does not count.
    let case = Case::clean().only_certificate(
        "m-asm",
        certificate("c-irma2", "irma").level("irma_100").facts(),
    );
    assert_eq!(
        case.kinds(),
        vec![(RedFlagKind::UncertifiedAsmOrigin, Severity::High)]
    );
    // An uncertified LSM mine is not this flag.
    let case = Case::clean().with(|case| case.facility("m-lsm").certificates.clear());
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn certification_lapsed_between_extraction_and_purchase() {
    // Accepted on the extraction date, suspended before the purchase.
    let mut case = Case::clean().only_certificate(
        "m-asm",
        certificate("c-craft", "craft")
            .suspended_on("2026-03-15")
            .facts(),
    );
    let flag = case.only_flag();
    assert_eq!(
        kind(&flag),
        (RedFlagKind::CertificationLapsed, Severity::Medium)
    );
    assert_eq!(
        flag.evidence,
        evidence(&[&ASM_ORIGIN[..], &[(Certificate, "c-craft")]].concat())
    );
    assert!(
        flag.message.contains("2026-01-10") && flag.message.contains("2026-04-01"),
        "{}",
        flag.message
    );
    // Without a purchase date there is nothing to compare with.
    case.purchased_on = None;
    assert_eq!(case.flags(), vec![]);

    // Certified only after the extraction: uncertified at extraction, and a lapse the other way.
    let case = Case::clean().only_certificate(
        "m-asm",
        certificate("c-craft", "craft")
            .valid("2026-02-01", "2027-12-31")
            .facts(),
    );
    assert_eq!(
        case.kinds(),
        vec![
            (RedFlagKind::UncertifiedAsmOrigin, Severity::High),
            (RedFlagKind::CertificationLapsed, Severity::Medium)
        ]
    );

    // An LSM mine whose IRMA level was lowered below irma_50 after extraction.
    let mut irma = certificate("c-irma", "irma").level("irma_75").facts();
    let mut lowered = irma.history[0].clone();
    lowered.effective_on = day("2026-03-01");
    lowered.recorded_at += chrono::Duration::seconds(5);
    lowered.level = Some("transparency".into());
    irma.history.push(lowered);
    let case = Case::clean().only_certificate("m-lsm", irma);
    assert_eq!(
        case.kinds(),
        vec![(RedFlagKind::CertificationLapsed, Severity::Medium)]
    );

    // A refiner whose accreditation lapsed after refining.
    let flag = Case::clean()
        .only_certificate(
            "refiner",
            certificate("c-lbma", "lbma_rgg")
                .valid("2025-01-01", "2026-03-31")
                .facts(),
        )
        .only_flag();
    assert_eq!(flag.kind, RedFlagKind::CertificationLapsed);
    assert_eq!(
        flag.evidence,
        evidence(&[
            (Facility, "refiner"),
            (Event, "t-refine"),
            (Lot, "gold"),
            (Certificate, "c-lbma")
        ])
    );
}

#[test]
fn smelter_not_conformant() {
    // RMAP "active" is below the policy's "conformant"; the refiner has nothing at all.
    let flags = Case::clean()
        .only_certificate(
            "smelter",
            certificate("c-rmap", "rmi_rmap").level("active").facts(),
        )
        .with(|case| case.facility("refiner").certificates.clear())
        .flags();
    assert_eq!(
        flags.iter().map(kind).collect::<Vec<_>>(),
        vec![(RedFlagKind::SmelterNotConformant, Severity::High); 2]
    );
    assert_eq!(
        flags[0].evidence,
        evidence(&[(Facility, "refiner"), (Event, "t-refine"), (Lot, "gold")])
    );
    assert_eq!(
        flags[1].evidence,
        evidence(&[(Facility, "smelter"), (Event, "t-smelt"), (Lot, "dore")])
    );
    // A smelter certificate for another mineral does not cover gold.
    let case = Case::clean()
        .with(|case| case.facility("smelter").certificates[0].minerals = vec![Mineral::Tin]);
    assert_eq!(
        case.kinds(),
        vec![(RedFlagKind::SmelterNotConformant, Severity::High)]
    );
    // A concentrator is not a smelter or refiner: no certificate needed.
    let case = Case::clean().with(|case| {
        let smelter = case.facility("smelter");
        smelter.kind = FacilityKind::Concentrator;
        smelter.certificates.clear();
    });
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn mass_balance_exceeded() {
    // 8 kg of doré from 7 kg of ore: beyond 2%, within 20%.
    let mut case = Case::clean().with(|case| {
        case.chain.without("dore").transformed(
            "t-smelt",
            "smelter",
            "2026-02-01",
            &[("ore-asm", 3 * KG), ("ore-lsm", 4 * KG)],
            &[("dore", 8 * KG)],
        );
    });
    let flag = case.only_flag();
    assert_eq!(
        kind(&flag),
        (RedFlagKind::MassBalanceExceeded, Severity::Medium)
    );
    assert_eq!(
        flag.evidence,
        evidence(&[(Event, "t-smelt"), (Facility, "smelter")])
    );
    case.tolerance = YieldTolerance::from_decimal("0.2").unwrap();
    assert_eq!(case.flags(), vec![]);

    // Another event (outside the trace) consumed 4 kg more of the 7 kg LSM ore lot.
    let flag = Case::clean()
        .with(|case| {
            case.consumed = vec![
                ("ore-lsm".into(), Mass::from_mg(8 * KG)),
                ("ore-asm".into(), Mass::from_mg(3 * KG)),
            ];
        })
        .only_flag();
    assert_eq!(
        flag.evidence,
        evidence(&[(Lot, "ore-lsm"), (Event, "t-smelt")])
    );
    assert!(flag.message.contains("8000000 mg"), "{}", flag.message);

    // The trader sold the same gold twice: 1 kg to the purchaser and 4 kg to someone else.
    let flag = Case::clean().sold_twice().only_flag();
    assert_eq!(
        flag.evidence,
        evidence(&[
            (Lot, "gold"),
            (Party, "trader"),
            (Event, "tr-2"),
            (Event, "tr-3")
        ])
    );
}

#[test]
fn untraced_volume_by_share() {
    // The refiner also consumes part of a 1 kg lot with no recorded origin:
    // (doré consumed, mystery consumed, gold made, severity, the share shown).
    for (dore_mg, mystery_mg, gold_mg, severity, shown) in [
        // 0.5 / 5.5 < 10%.
        (5 * KG, KG / 2, 5_400_000, Severity::Medium, "0.090909"),
        // Exactly 10%: 0.5 kg of 5 kg consumed.
        (4_500_000, KG / 2, 4_900_000, Severity::High, "0.100000"),
        // Just under 10% (0.499999 of 5 kg): medium, though it displays as 0.100000.
        (4_500_001, 499_999, 4_900_000, Severity::Medium, "0.100000"),
    ] {
        let flag = Case::clean()
            .with(|case| {
                case.chain
                    .without("gold")
                    .bare("mystery", KG, false)
                    .transformed(
                        "t-refine",
                        "refiner",
                        "2026-03-01",
                        &[("dore", dore_mg), ("mystery", mystery_mg)],
                        &[("gold", gold_mg)],
                    );
            })
            .only_flag();
        assert_eq!(kind(&flag), (RedFlagKind::UntracedVolume, severity));
        assert_eq!(flag.evidence, evidence(&[(Lot, "mystery")]));
        assert!(flag.message.contains(shown), "{}", flag.message);
    }
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
        let case = Case::clean().with(|case| {
            let mine = case.facility("m-lsm");
            mine.asm_presence = presence;
            mine.coexistence = agreement;
        });
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
    let case = Case::clean().with(|case| case.facility("m-asm").asm_presence = Some(true));
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn flags_come_in_a_fixed_order_whatever_the_input_order() {
    let mut case = Case::clean()
        .with(|case| {
            case.facility("m-asm").cahra = true;
            case.facility("m-asm").certificates.clear();
            case.facility("m-lsm").asm_presence = Some(true);
            case.facility("refiner").certificates.clear();
        })
        .sold_twice();
    assert_eq!(
        case.kinds(),
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
    case.chain.lots.reverse();
    case.chain.transfers.reverse();
    assert_eq!(case.flags(), forward);
}

#[test]
fn facilities_without_facts_raise_nothing() {
    let case = Case::clean().with(|case| case.facilities.clear());
    assert_eq!(case.flags(), vec![]);
}

#[test]
fn a_flag_is_identified_by_its_purchase_kind_and_evidence() {
    use crate::domain::ids::{OrganisationId, PurchaseId};
    let purchase = PurchaseId(uuid::Uuid::from_u128(7));
    let other_purchase = PurchaseId(uuid::Uuid::from_u128(8));
    let flag = RedFlag {
        kind: RedFlagKind::CahraOrigin,
        severity: Severity::High,
        message: "a mine in a CAHRA".into(),
        evidence: evidence(&[
            (EvidenceKind::Facility, "m-1"),
            (EvidenceKind::Event, "x-1"),
        ]),
    };
    // Wording, severity and the order of the evidence do not make another flag.
    let reworded = RedFlag {
        severity: Severity::Medium,
        message: "reworded".into(),
        evidence: flag.evidence.iter().rev().cloned().collect(),
        ..flag.clone()
    };
    assert_eq!(
        fingerprint(purchase, &flag),
        fingerprint(purchase, &reworded)
    );
    assert_eq!(fingerprint(purchase, &flag).len(), 32);
    // Another purchase, kind or evidence does.
    assert_ne!(
        fingerprint(purchase, &flag),
        fingerprint(other_purchase, &flag)
    );
    let other_kind = RedFlag {
        kind: RedFlagKind::UncertifiedAsmOrigin,
        ..flag.clone()
    };
    assert_ne!(
        fingerprint(purchase, &flag),
        fingerprint(purchase, &other_kind)
    );
    // The id is a UUIDv5, the same for the same cause, never shared between organisations.
    let (a, b) = (
        OrganisationId(uuid::Uuid::from_u128(1)),
        OrganisationId(uuid::Uuid::from_u128(2)),
    );
    let print = fingerprint(purchase, &flag);
    let id = flag_id(a, purchase, &print);
    assert_eq!(id.0.get_version_num(), 5);
    assert_eq!(id, flag_id(a, purchase, &print));
    assert_ne!(id, flag_id(b, purchase, &print));
}
