//! Schemes and certificates for tests (policy, sourcing mix, red flags).

use chrono::{DateTime, NaiveDate, Utc};

use super::{CertificateFacts, SchemeInfo};
use crate::domain::certification::Snapshot;
use crate::domain::vocabulary::{CertificationStatus, SchemeSubject};

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

/// A certificate `id` under `scheme`, active without a level from 2025-01-01 to 2027-12-31
/// unless told otherwise; [`CertificateBuilder::facts`] gives it.
pub(crate) fn certificate(id: &str, scheme: &str) -> CertificateBuilder {
    CertificateBuilder {
        id: id.to_owned(),
        scheme: scheme.to_owned(),
        level: None,
        valid_from: day("2025-01-01"),
        valid_until: day("2027-12-31"),
        suspended_on: None,
    }
}

pub(crate) struct CertificateBuilder {
    id: String,
    scheme: String,
    level: Option<String>,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    suspended_on: Option<NaiveDate>,
}

impl CertificateBuilder {
    /// Certified at `level` of its scheme.
    pub(crate) fn level(mut self, level: &str) -> CertificateBuilder {
        self.level = Some(level.to_owned());
        self
    }

    /// Valid from `from` to `until` (the last valid day).
    pub(crate) fn valid(mut self, from: &str, until: &str) -> CertificateBuilder {
        self.valid_from = day(from);
        self.valid_until = day(until);
        self
    }

    /// Suspended from `on` (recorded a second after it was issued).
    pub(crate) fn suspended_on(mut self, on: &str) -> CertificateBuilder {
        self.suspended_on = Some(day(on));
        self
    }

    /// The certificate, its history starting on `valid_from`; its scheme's levels are those of
    /// [`seeded_schemes`].
    pub(crate) fn facts(self) -> CertificateFacts {
        let levels = seeded_schemes()
            .into_iter()
            .find(|s| s.id == self.scheme)
            .map(|s| s.levels)
            .unwrap_or_default();
        let recorded = |n: i64| DateTime::<Utc>::from_timestamp(1_700_000_000 + n, 0).unwrap();
        let entry = |effective_on: NaiveDate, n: i64, status: CertificationStatus| Snapshot {
            effective_on,
            recorded_at: recorded(n),
            status,
            level: self.level.clone(),
            valid_from: self.valid_from,
            valid_until: Some(self.valid_until),
        };
        let mut history = vec![entry(self.valid_from, 0, CertificationStatus::Active)];
        if let Some(on) = self.suspended_on {
            history.push(entry(on, 1, CertificationStatus::Suspended));
        }
        CertificateFacts {
            id: self.id,
            scheme: self.scheme,
            levels_of_scheme: levels,
            minerals: Vec::new(),
            history,
        }
    }
}
