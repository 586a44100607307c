//! A certificate's status on a given day, from its history and validity window.
//!
//! The rules, implemented once here and reused by the catalog, the sourcing mix and provenance
//! (docs/DATA-MODEL.md states them for readers):
//!
//! 1. Every change of status, level or validity is a history entry that takes effect on its
//!    `effective_on` date. The certificate's first entry takes effect on its `valid_from`.
//! 2. On a date D the governing entry is the one with the latest `effective_on` on or before D
//!    (among entries effective the same day, the one recorded last). With none, the certificate
//!    is `not_yet_valid`.
//! 3. Before the governing entry's `valid_from` the certificate is `not_yet_valid`.
//! 4. After its `valid_until` (the last valid day) an `active` certificate is `expired`.
//! 5. Otherwise the status is the governing entry's status: a suspension effective on a date
//!    applies from that date (inclusive) until a later entry says otherwise.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::vocabulary::CertificationStatus;

crate::text_enum! {
    /// A certificate's status on a given date, derived from its history and validity.
    pub enum EffectiveStatus {
        /// The date is before the certificate took effect.
        NotYetValid = "not_yet_valid",
        InAssessment = "in_assessment",
        Active = "active",
        Suspended = "suspended",
        /// Past `valid_until`, or recorded as expired.
        Expired = "expired",
        Withdrawn = "withdrawn",
    }
}

impl From<CertificationStatus> for EffectiveStatus {
    fn from(status: CertificationStatus) -> EffectiveStatus {
        match status {
            CertificationStatus::InAssessment => EffectiveStatus::InAssessment,
            CertificationStatus::Active => EffectiveStatus::Active,
            CertificationStatus::Suspended => EffectiveStatus::Suspended,
            CertificationStatus::Expired => EffectiveStatus::Expired,
            CertificationStatus::Withdrawn => EffectiveStatus::Withdrawn,
        }
    }
}

/// One state of a certificate and the day it took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub effective_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub status: CertificationStatus,
    pub level: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// The certificate as it stood on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Standing {
    pub status: EffectiveStatus,
    /// The level in force on that date, when the scheme has levels.
    pub level: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

impl Standing {
    /// Whether the certificate counted as certified on that date.
    pub fn is_active(&self) -> bool {
        self.status == EffectiveStatus::Active
    }
}

/// The governing entry on `date` (rule 2), if any.
pub fn governing(history: &[Snapshot], date: NaiveDate) -> Option<&Snapshot> {
    history
        .iter()
        .filter(|s| s.effective_on <= date)
        .max_by(|a, b| {
            a.effective_on
                .cmp(&b.effective_on)
                .then(a.recorded_at.cmp(&b.recorded_at))
        })
}

/// The certificate's standing on `date` (rules 2 to 5).
pub fn standing_on(history: &[Snapshot], date: NaiveDate) -> Standing {
    let Some(entry) = governing(history, date) else {
        return Standing {
            status: EffectiveStatus::NotYetValid,
            level: None,
            valid_from: history.iter().map(|s| s.valid_from).min(),
            valid_until: None,
        };
    };
    let status = if date < entry.valid_from {
        EffectiveStatus::NotYetValid
    } else if entry.status == CertificationStatus::Active
        && entry.valid_until.is_some_and(|until| date > until)
    {
        EffectiveStatus::Expired
    } else {
        entry.status.into()
    };
    Standing {
        status,
        level: entry.level.clone(),
        valid_from: Some(entry.valid_from),
        valid_until: entry.valid_until,
    }
}

/// The latest recorded entry (what the certificate says now, whatever date it takes effect).
pub fn latest(history: &[Snapshot]) -> Option<&Snapshot> {
    history.iter().max_by(|a, b| {
        a.recorded_at
            .cmp(&b.recorded_at)
            .then(a.effective_on.cmp(&b.effective_on))
    })
}

/// Whether `level` is at least `minimum` in a scheme's ordered `levels` (lowest first). A
/// requirement without a minimum is met by any level; an unknown level meets no minimum.
pub fn level_at_least(levels: &[String], level: Option<&str>, minimum: Option<&str>) -> bool {
    let Some(minimum) = minimum else {
        return true;
    };
    let rank = |name: &str| levels.iter().position(|l| l == name);
    match (level.and_then(rank), rank(minimum)) {
        (Some(have), Some(need)) => have >= need,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn snapshot(
        effective_on: &str,
        recorded: i64,
        status: CertificationStatus,
        valid_from: &str,
        valid_until: Option<&str>,
    ) -> Snapshot {
        Snapshot {
            effective_on: day(effective_on),
            recorded_at: at(recorded),
            status,
            level: Some("irma_50".into()),
            valid_from: day(valid_from),
            valid_until: valid_until.map(day),
        }
    }

    /// An entry keeping the validity of [`issued`]: 2025-01-01 to 2027-12-31.
    fn entry(effective_on: &str, recorded: i64, status: CertificationStatus) -> Snapshot {
        snapshot(
            effective_on,
            recorded,
            status,
            "2025-01-01",
            Some("2027-12-31"),
        )
    }

    /// The status on each of `dates`.
    fn statuses(history: &[Snapshot], dates: &[&str]) -> Vec<EffectiveStatus> {
        dates
            .iter()
            .map(|on| standing_on(history, day(on)).status)
            .collect()
    }

    use CertificationStatus::*;

    fn issued() -> Vec<Snapshot> {
        vec![entry("2025-01-01", 0, Active)]
    }

    #[test]
    fn validity_window_boundaries() {
        // The day before, the first valid day, the last valid day, the day after.
        assert_eq!(
            statuses(
                &issued(),
                &["2024-12-31", "2025-01-01", "2027-12-31", "2028-01-01"]
            ),
            [
                EffectiveStatus::NotYetValid,
                EffectiveStatus::Active,
                EffectiveStatus::Active,
                EffectiveStatus::Expired
            ]
        );
    }

    #[test]
    fn a_suspension_applies_from_its_effective_date() {
        let mut h = issued();
        h.push(entry("2026-03-15", 10, Suspended));
        assert_eq!(
            statuses(&h, &["2026-03-14", "2026-03-15", "2028-06-01"]),
            [
                EffectiveStatus::Active,
                EffectiveStatus::Suspended,
                EffectiveStatus::Suspended
            ]
        );
        // Reinstated later.
        h.push(entry("2026-06-01", 20, Active));
        assert_eq!(
            statuses(&h, &["2026-05-31", "2026-06-01"]),
            [EffectiveStatus::Suspended, EffectiveStatus::Active]
        );
    }

    #[test]
    fn a_back_dated_suspension_recorded_later_wins_from_its_date() {
        let mut h = issued();
        // Recorded in 2026 but effective in 2025: history as of mid-2025 now reads suspended.
        h.push(entry("2025-06-01", 99, Suspended));
        assert_eq!(
            statuses(&h, &["2025-05-31", "2025-07-01"]),
            [EffectiveStatus::Active, EffectiveStatus::Suspended]
        );
    }

    #[test]
    fn same_day_entries_resolve_to_the_last_recorded() {
        let mut h = issued();
        h.push(entry("2026-01-01", 10, Suspended));
        h.push(entry("2026-01-01", 11, Withdrawn));
        assert_eq!(statuses(&h, &["2026-01-01"]), [EffectiveStatus::Withdrawn]);
    }

    #[test]
    fn a_renewal_extends_validity_only_from_its_date() {
        let renewed = |effective_on| {
            let mut h = issued();
            h.push(snapshot(
                effective_on,
                10,
                Active,
                "2025-01-01",
                Some("2030-12-31"),
            ));
            h
        };
        assert_eq!(
            statuses(&renewed("2027-12-01"), &["2028-06-01"]),
            [EffectiveStatus::Active]
        );
        // Without the renewal, mid-2028 was expired; with it recorded as of 2028-02-01, January reads expired.
        assert_eq!(
            statuses(&renewed("2028-02-01"), &["2028-01-15", "2028-02-01"]),
            [EffectiveStatus::Expired, EffectiveStatus::Active]
        );
    }

    #[test]
    fn open_ended_and_other_statuses() {
        let open_ended = [snapshot("2025-01-01", 0, Active, "2025-01-01", None)];
        assert_eq!(
            statuses(&open_ended, &["2099-01-01"]),
            [EffectiveStatus::Active]
        );
        let in_assessment = [snapshot(
            "2025-01-01",
            0,
            InAssessment,
            "2025-01-01",
            Some("2025-12-31"),
        )];
        assert_eq!(
            statuses(&in_assessment, &["2026-06-01"]),
            [EffectiveStatus::InAssessment]
        );
        assert_eq!(
            statuses(&[], &["2026-06-01"]),
            [EffectiveStatus::NotYetValid]
        );
    }

    #[test]
    fn levels_compare_by_scheme_order() {
        let levels: Vec<String> = ["transparency", "irma_50", "irma_75", "irma_100"]
            .map(String::from)
            .to_vec();
        for (level, minimum, met) in [
            (Some("irma_75"), Some("irma_50"), true),
            (Some("irma_50"), Some("irma_50"), true),
            (Some("transparency"), Some("irma_50"), false),
            (None, None, true),
            (None, Some("irma_50"), false),
            (Some("gold"), Some("irma_50"), false),
        ] {
            assert_eq!(
                level_at_least(&levels, level, minimum),
                met,
                "{level:?} against {minimum:?}"
            );
        }
    }
}
