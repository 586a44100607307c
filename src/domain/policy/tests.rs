use super::*;
use crate::domain::certification::EffectiveStatus;
use crate::domain::policy::test_certificates::certificate;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
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
    let bad_metric = serde_json::json!({
        "accepted": {"asm": [], "lsm": [], "smelter_refiner": []},
        "targets": [{"metric": "shiny", "comparison": "at_least", "share": 0.1}]
    });
    for bad in [bad_field, bad_metric] {
        assert!(
            serde_json::from_value::<SourcingPolicy>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn acceptance_follows_status_level_and_date() {
    let policy = SourcingPolicy::default();
    let irma_75 = certificate("c-irma", "irma")
        .level("irma_75")
        .suspended_on("2026-03-15")
        .facts();
    let irma_transparency = certificate("c-low", "irma").level("transparency").facts();
    let expired = certificate("c-craft", "craft")
        .valid("2024-01-01", "2024-12-31")
        .facts();
    let accepts = |class, certificate: &CertificateFacts, on| {
        policy.accepts(class, std::slice::from_ref(certificate), day(on), None)
    };

    let accepted = accepts(PolicyClass::Lsm, &irma_75, "2026-03-14").unwrap();
    assert_eq!(accepted.certificate_id, "c-irma");
    assert_eq!(accepted.requirement.min_level.as_deref(), Some("irma_50"));
    assert_eq!(accepted.standing.status, EffectiveStatus::Active);
    for (class, certificate, on, why) in [
        (PolicyClass::Lsm, &irma_75, "2026-03-15", "suspended"),
        (PolicyClass::Lsm, &irma_75, "2024-12-31", "not yet valid"),
        (
            PolicyClass::Lsm,
            &irma_transparency,
            "2025-06-01",
            "level too low",
        ),
        (PolicyClass::Asm, &irma_75, "2025-06-01", "wrong class"),
        (PolicyClass::Asm, &expired, "2025-01-01", "expired"),
    ] {
        assert!(accepts(class, certificate, on).is_none(), "{why}");
    }
    assert!(accepts(PolicyClass::Asm, &expired, "2024-12-31").is_some());
}

#[test]
fn acceptance_respects_the_certificate_minerals_and_picks_evidence_deterministically() {
    let policy = SourcingPolicy::default();
    let mut fairmined = certificate("c-2", "fairmined").level("fairmined").facts();
    fairmined.minerals = vec![Mineral::Gold];
    let craft = certificate("c-1", "craft").facts();
    let date = day("2026-01-01");
    for (mineral, accepted) in [
        (Some(Mineral::Tin), false),
        (Some(Mineral::Gold), true),
        (None, true),
    ] {
        assert_eq!(
            policy
                .accepts(
                    PolicyClass::Asm,
                    std::slice::from_ref(&fairmined),
                    date,
                    mineral
                )
                .is_some(),
            accepted,
            "{mineral:?}"
        );
    }
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
