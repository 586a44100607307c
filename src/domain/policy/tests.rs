use chrono::{DateTime, Utc};

use super::*;
use crate::domain::certification::EffectiveStatus;
use crate::domain::vocabulary::CertificationStatus;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The schemes seeded by the catalog migration.
pub(crate) fn seeded_schemes() -> Vec<SchemeInfo> {
    use SchemeSubject::*;
    let scheme = |id: &str, subjects: &[SchemeSubject], levels: &[&str]| SchemeInfo {
        id: id.to_owned(),
        levels: levels.iter().map(|l| (*l).to_owned()).collect(),
        subjects: subjects.to_vec(),
    };
    vec![
        scheme(
            "irma",
            &[LsmMine],
            &["transparency", "irma_50", "irma_75", "irma_100"],
        ),
        scheme(
            "fairmined",
            &[AsmMine],
            &["fairmined", "fairmined_ecological"],
        ),
        scheme("craft", &[AsmMine], &[]),
        scheme("fairtrade_gold", &[AsmMine], &[]),
        scheme("rmi_rmap", &[SmelterRefiner], &["active", "conformant"]),
        scheme("lbma_rgg", &[SmelterRefiner], &[]),
        scheme("rjc_cop", &[Company, SmelterRefiner], &[]),
        scheme("rjc_coc", &[Company, SmelterRefiner], &[]),
        scheme("copper_mark", &[LsmMine, SmelterRefiner], &[]),
        scheme("asi_performance", &[LsmMine, SmelterRefiner, Company], &[]),
        scheme("asi_coc", &[SmelterRefiner, Company], &[]),
    ]
}

/// A certificate active with `level` from `from` to `until`, optionally suspended from a date.
pub(crate) fn certificate(
    id: &str,
    scheme: &str,
    level: Option<&str>,
    from: &str,
    until: &str,
    suspended_on: Option<&str>,
) -> CertificateFacts {
    let levels = seeded_schemes()
        .into_iter()
        .find(|s| s.id == scheme)
        .map(|s| s.levels)
        .unwrap_or_default();
    let recorded = |n: i64| DateTime::<Utc>::from_timestamp(1_700_000_000 + n, 0).unwrap();
    let entry = |effective_on: &str, n: i64, status: CertificationStatus| Snapshot {
        effective_on: day(effective_on),
        recorded_at: recorded(n),
        status,
        level: level.map(str::to_owned),
        valid_from: day(from),
        valid_until: Some(day(until)),
    };
    let mut history = vec![entry(from, 0, CertificationStatus::Active)];
    if let Some(on) = suspended_on {
        history.push(entry(on, 1, CertificationStatus::Suspended));
    }
    CertificateFacts {
        id: id.to_owned(),
        scheme: scheme.to_owned(),
        levels_of_scheme: levels,
        minerals: Vec::new(),
        history,
    }
}

#[test]
fn the_default_policy_is_valid_against_the_seeded_schemes() {
    let policy = SourcingPolicy::default();
    assert_eq!(policy.validate(&seeded_schemes()), vec![]);
    assert_eq!(policy.targets[0].share_units(), Ok(50_000));
    assert_eq!(policy.targets[1].share_units(), Ok(100_000));
}

#[test]
fn the_default_policy_reads_back_from_json() {
    let policy = SourcingPolicy::default();
    let json = serde_json::to_value(&policy).unwrap();
    assert_eq!(
        json["accepted"]["lsm"][0],
        serde_json::json!({"scheme": "irma", "min_level": "irma_50"})
    );
    assert_eq!(
        json["accepted"]["asm"][0],
        serde_json::json!({"scheme": "fairmined"})
    );
    assert_eq!(
        json["targets"][0],
        serde_json::json!({"mineral": "gold", "metric": "certified_asm", "comparison": "at_least", "share": 0.05})
    );
    let back: SourcingPolicy = serde_json::from_value(json).unwrap();
    assert_eq!(back, policy);
}

#[test]
fn unknown_fields_and_values_are_refused_when_read() {
    let bad_field = serde_json::json!({
        "accepted": {"asm": [{"scheme": "craft", "minimum": "x"}], "lsm": [], "smelter_refiner": []},
        "targets": []
    });
    assert!(serde_json::from_value::<SourcingPolicy>(bad_field).is_err());
    let bad_metric = serde_json::json!({
        "accepted": {"asm": [], "lsm": [], "smelter_refiner": []},
        "targets": [{"metric": "shiny", "comparison": "at_least", "share": 0.1}]
    });
    assert!(serde_json::from_value::<SourcingPolicy>(bad_metric).is_err());
}

#[test]
fn validation_names_each_bad_field() {
    let mut policy = SourcingPolicy::default();
    policy.accepted.asm.push(Requirement {
        scheme: "unobtainium".into(),
        min_level: None,
    });
    policy.accepted.asm.push(Requirement {
        scheme: "craft".into(),
        min_level: None,
    });
    policy.accepted.lsm[0].min_level = Some("irma_1000".into());
    policy.accepted.lsm.push(Requirement {
        scheme: "fairmined".into(),
        min_level: None,
    });
    policy.accepted.smelter_refiner[1].min_level = Some("gold".into());
    policy.targets.push(Target {
        mineral: None,
        metric: TargetMetric::Asm,
        comparison: Comparison::AtLeast,
        share: 1.5,
    });
    policy.targets.push(Target {
        mineral: None,
        metric: TargetMetric::Lsm,
        comparison: Comparison::AtLeast,
        share: 0.1234567,
    });
    policy.targets.push(Target {
        mineral: None,
        metric: TargetMetric::Unknown,
        comparison: Comparison::AtMost,
        share: 0.2,
    });
    policy.targets.push(Target {
        mineral: None,
        metric: TargetMetric::Recycled,
        comparison: Comparison::AtMost,
        share: f64::NAN,
    });
    policy.targets.push(Target {
        mineral: None,
        metric: TargetMetric::Certified,
        comparison: Comparison::AtMost,
        share: -0.1,
    });
    let pointers: Vec<String> = policy
        .validate(&seeded_schemes())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        pointers,
        vec![
            "/accepted/asm/3/scheme",
            "/accepted/asm/4/scheme",
            "/accepted/lsm/0/min_level",
            "/accepted/lsm/3/scheme",
            "/accepted/smelter_refiner/1/min_level",
            "/targets/2/share",
            "/targets/3/share",
            "/targets/4",
            "/targets/5/share",
            "/targets/6/share",
        ]
    );
    let details = policy.validate(&seeded_schemes());
    assert!(
        details[3].1.contains("does not certify LSM mines"),
        "{}",
        details[3].1
    );
    assert!(
        details[6].1.contains("at most 6 decimals"),
        "{}",
        details[6].1
    );
    assert!(details[4].1.contains("has no levels"), "{}", details[4].1);
}

#[test]
fn an_at_least_and_an_at_most_target_may_bound_the_same_metric() {
    let mut policy = SourcingPolicy::default();
    policy.targets.push(Target {
        mineral: None,
        metric: TargetMetric::Unknown,
        comparison: Comparison::AtLeast,
        share: 0.0,
    });
    policy.targets.push(Target {
        mineral: Some(Mineral::Tin),
        metric: TargetMetric::Unknown,
        comparison: Comparison::AtMost,
        share: 1.0,
    });
    assert_eq!(policy.validate(&seeded_schemes()), vec![]);
}

#[test]
fn acceptance_follows_status_level_and_date() {
    let policy = SourcingPolicy::default();
    let irma_75 = certificate(
        "c-irma",
        "irma",
        Some("irma_75"),
        "2025-01-01",
        "2027-12-31",
        Some("2026-03-15"),
    );
    let irma_transparency = certificate(
        "c-low",
        "irma",
        Some("transparency"),
        "2025-01-01",
        "2027-12-31",
        None,
    );

    let accepted = policy
        .accepts(
            PolicyClass::Lsm,
            std::slice::from_ref(&irma_75),
            day("2026-03-14"),
            None,
        )
        .unwrap();
    assert_eq!(accepted.certificate_id, "c-irma");
    assert_eq!(accepted.requirement.min_level.as_deref(), Some("irma_50"));
    assert_eq!(accepted.standing.status, EffectiveStatus::Active);
    assert!(
        policy
            .accepts(
                PolicyClass::Lsm,
                std::slice::from_ref(&irma_75),
                day("2026-03-15"),
                None
            )
            .is_none(),
        "suspended"
    );
    assert!(
        policy
            .accepts(
                PolicyClass::Lsm,
                std::slice::from_ref(&irma_75),
                day("2024-12-31"),
                None
            )
            .is_none(),
        "not yet valid"
    );
    assert!(
        policy
            .accepts(
                PolicyClass::Lsm,
                &[irma_transparency],
                day("2025-06-01"),
                None
            )
            .is_none(),
        "level too low"
    );
    assert!(
        policy
            .accepts(PolicyClass::Asm, &[irma_75], day("2025-06-01"), None)
            .is_none(),
        "wrong class"
    );

    let expired = certificate("c-craft", "craft", None, "2024-01-01", "2024-12-31", None);
    assert!(
        policy
            .accepts(
                PolicyClass::Asm,
                std::slice::from_ref(&expired),
                day("2025-01-01"),
                None
            )
            .is_none()
    );
    assert!(
        policy
            .accepts(PolicyClass::Asm, &[expired], day("2024-12-31"), None)
            .is_some()
    );
}

#[test]
fn acceptance_respects_the_certificate_minerals_and_picks_evidence_deterministically() {
    let policy = SourcingPolicy::default();
    let mut fairmined = certificate(
        "c-2",
        "fairmined",
        Some("fairmined"),
        "2025-01-01",
        "2027-12-31",
        None,
    );
    fairmined.minerals = vec![Mineral::Gold];
    let craft = certificate("c-1", "craft", None, "2025-01-01", "2027-12-31", None);
    let date = day("2026-01-01");
    assert!(
        policy
            .accepts(
                PolicyClass::Asm,
                std::slice::from_ref(&fairmined),
                date,
                Some(Mineral::Tin)
            )
            .is_none()
    );
    assert!(
        policy
            .accepts(
                PolicyClass::Asm,
                std::slice::from_ref(&fairmined),
                date,
                Some(Mineral::Gold)
            )
            .is_some()
    );
    assert!(
        policy
            .accepts(
                PolicyClass::Asm,
                std::slice::from_ref(&fairmined),
                date,
                None
            )
            .is_some()
    );
    // fairmined is listed before craft: it is the evidence whatever the order given.
    let a = policy
        .accepts(
            PolicyClass::Asm,
            &[craft.clone(), fairmined.clone()],
            date,
            None,
        )
        .unwrap();
    let b = policy
        .accepts(PolicyClass::Asm, &[fairmined, craft.clone()], date, None)
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.certificate_id, "c-2");
    // Two certificates meeting the same requirement: the smaller id.
    let mut other = craft.clone();
    other.id = "c-0".into();
    let c = policy
        .accepts(PolicyClass::Asm, &[craft, other], date, None)
        .unwrap();
    assert_eq!(c.certificate_id, "c-0");
}
