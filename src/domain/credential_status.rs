//! The status bits of a certificate's verifiable credentials (W3C Bitstring Status List v1.0),
//! from its history alone (docs/CREDENTIALS.md).
//!
//! Each credential about a certificate carries one status index, in two lists: `suspension`
//! (reversible) and `revocation` (irreversible, as the Bitstring Status List defines it).
//!
//! - The **suspension** bit is set while the certificate is `suspended` today, and cleared when
//!   it is reinstated.
//! - The **revocation** bit is set when the certificate was `withdrawn` or `expired` (recorded, or
//!   an active certificate read after its `valid_until`) on any day from the day the index was
//!   allocated until today. Once set it stays set, whatever is recorded later; a certificate that
//!   is valid again gets a new index (a new generation) for the credentials issued from then on.
//!
//! A certificate's standing changes only on an entry's `effective_on`, its `valid_from` or the
//! day after its `valid_until`, so reading it on the index's first day and on each such day up
//! to today sees every state it has been in.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::certification::{EffectiveStatus, Snapshot, standing_on};

/// The entries of one list: 131,072 bits (16 KiB), the Bitstring Status List's minimum.
pub const LIST_SIZE: i64 = 131_072;

/// What a list's bits say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    Revocation,
    Suspension,
}

impl StatusPurpose {
    pub const ALL: [StatusPurpose; 2] = [StatusPurpose::Revocation, StatusPurpose::Suspension];

    /// The `statusPurpose` of the standard.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    pub fn parse(text: &str) -> Option<StatusPurpose> {
        StatusPurpose::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// A list's name in URLs: `{purpose}-{number}` (`revocation-0`, `suspension-0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListName {
    pub purpose: StatusPurpose,
    pub number: i64,
}

impl ListName {
    /// The list and bit of a global status index.
    pub fn of(purpose: StatusPurpose, status_index: i64) -> (ListName, i64) {
        (
            ListName {
                purpose,
                number: status_index / LIST_SIZE,
            },
            status_index % LIST_SIZE,
        )
    }

    /// `revocation-0`; `None` for anything else (a number with a sign or leading zeros, too).
    pub fn parse(text: &str) -> Option<ListName> {
        let (purpose, number) = text.rsplit_once('-')?;
        let purpose = StatusPurpose::parse(purpose)?;
        let canonical = number.len() <= 12
            && number.bytes().all(|b| b.is_ascii_digit())
            && (number == "0" || !number.starts_with('0'));
        if !canonical {
            return None;
        }
        Some(ListName {
            purpose,
            number: number.parse().ok()?,
        })
    }

    /// The first global index of the list, and one past its last.
    pub fn range(self) -> (i64, i64) {
        (self.number * LIST_SIZE, (self.number + 1) * LIST_SIZE)
    }
}

impl std::fmt::Display for ListName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.purpose.as_str(), self.number)
    }
}

fn revoking(status: EffectiveStatus) -> bool {
    matches!(
        status,
        EffectiveStatus::Withdrawn | EffectiveStatus::Expired
    )
}

/// When an index was allocated: the day it speaks for from, and the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocated {
    pub on: NaiveDate,
    pub at: DateTime<Utc>,
}

/// Whether the certificate was withdrawn or expired on any day from the index's allocation to
/// `today` (inclusive), or an entry recorded since the allocation and effective by `today` said
/// so (a withdrawal corrected later the same day still revoked what verifiers may have seen):
/// the revocation bit of the index.
pub fn revoked_since(history: &[Snapshot], since: Allocated, today: NaiveDate) -> bool {
    if since.on > today {
        return false;
    }
    let recorded_revoking = history.iter().any(|s| {
        s.recorded_at >= since.at
            && s.effective_on <= today
            && revoking(EffectiveStatus::from(s.status))
    });
    if recorded_revoking {
        return true;
    }
    let since = since.on;
    let mut days = BTreeSet::from([since]);
    for s in history {
        days.insert(s.effective_on);
        days.insert(s.valid_from);
        if let Some(after) = s.valid_until.and_then(|d| d.succ_opt()) {
            days.insert(after);
        }
    }
    days.range(since..=today)
        .any(|day| revoking(standing_on(history, *day).status))
}

/// Whether the certificate is withdrawn or expired on `today`: its current index, if revoked,
/// must not be handed to new credentials (they get a new generation only once it is valid
/// again, else they would be born revoked anyway and share the old bit).
pub fn revoked_on(history: &[Snapshot], today: NaiveDate) -> bool {
    revoking(standing_on(history, today).status)
}

/// The bit of `purpose` for an index allocated on `since`, on `today`.
pub fn bit(
    history: &[Snapshot],
    since: Allocated,
    today: NaiveDate,
    purpose: StatusPurpose,
) -> bool {
    let revoked = revoked_since(history, since, today);
    match purpose {
        StatusPurpose::Revocation => revoked,
        StatusPurpose::Suspension => {
            !revoked && standing_on(history, today).status == EffectiveStatus::Suspended
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vocabulary::CertificationStatus::{self, *};
    use chrono::DateTime;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn entry(effective_on: &str, seq: i64, status: CertificationStatus, until: &str) -> Snapshot {
        Snapshot {
            effective_on: day(effective_on),
            recorded_at: DateTime::from_timestamp(1_700_000_000 + seq, 0).unwrap(),
            status,
            level: None,
            valid_from: day("2025-01-01"),
            valid_until: Some(day(until)),
        }
    }

    /// Allocated on `since`, after every entry of the tests was recorded unless `at` says.
    fn on(since: &str) -> Allocated {
        Allocated {
            on: day(since),
            at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    fn bits(history: &[Snapshot], since: &str, today: &str) -> (bool, bool) {
        (
            bit(history, on(since), day(today), StatusPurpose::Suspension),
            bit(history, on(since), day(today), StatusPurpose::Revocation),
        )
    }

    #[test]
    fn suspension_is_set_while_suspended_and_cleared_when_reinstated() {
        let mut h = vec![entry("2025-01-01", 0, Active, "2027-12-31")];
        assert_eq!(bits(&h, "2025-02-01", "2025-03-01"), (false, false));
        h.push(entry("2025-03-01", 1, Suspended, "2027-12-31"));
        assert_eq!(bits(&h, "2025-02-01", "2025-02-28"), (false, false));
        assert_eq!(bits(&h, "2025-02-01", "2025-03-01"), (true, false));
        h.push(entry("2025-04-01", 2, Active, "2027-12-31"));
        assert_eq!(bits(&h, "2025-02-01", "2025-04-01"), (false, false));
    }

    #[test]
    fn revocation_stays_set_once_withdrawn_or_expired_after_allocation() {
        let mut h = vec![entry("2025-01-01", 0, Active, "2025-12-31")];
        // Expired on 2026-01-01, read after.
        assert_eq!(bits(&h, "2025-06-01", "2025-12-31"), (false, false));
        assert_eq!(bits(&h, "2025-06-01", "2026-01-01"), (false, true));
        // Renewed later: the old index stays revoked, a new one allocated then is clean.
        h.push(entry("2026-02-01", 1, Active, "2028-12-31"));
        assert_eq!(bits(&h, "2025-06-01", "2026-03-01"), (false, true));
        assert_eq!(bits(&h, "2026-02-01", "2026-03-01"), (false, false));
        assert!(!revoked_on(&h, day("2026-03-01")));
        // Withdrawn, then (oddly) reinstated: still revoked.
        h.push(entry("2026-06-01", 2, Withdrawn, "2028-12-31"));
        h.push(entry("2026-07-01", 3, Active, "2028-12-31"));
        assert_eq!(bits(&h, "2026-02-01", "2026-08-01"), (false, true));
        assert!(revoked_since(&h, on("2026-06-15"), day("2026-06-15")));
        assert!(!revoked_since(&h, on("2026-07-01"), day("2026-08-01")));
    }

    #[test]
    fn a_withdrawal_corrected_the_same_day_after_allocation_still_revokes() {
        let mut h = vec![entry("2025-01-01", 0, Active, "2027-12-31")];
        let allocated = Allocated {
            on: day("2026-01-10"),
            at: DateTime::from_timestamp(1_700_000_005, 0).unwrap(),
        };
        h.push(entry("2026-01-10", 10, Withdrawn, "2027-12-31"));
        h.push(entry("2026-01-10", 11, Active, "2027-12-31"));
        assert!(revoked_since(&h, allocated, day("2026-01-10")));
        // An index allocated after the correction is not revoked by it.
        let later = Allocated {
            on: day("2026-01-10"),
            at: DateTime::from_timestamp(1_700_000_020, 0).unwrap(),
        };
        assert!(!revoked_since(&h, later, day("2026-01-10")));
    }

    #[test]
    fn list_names_are_canonical() {
        let name = ListName::parse("suspension-2").unwrap();
        assert_eq!(name.purpose, StatusPurpose::Suspension);
        assert_eq!(name.range(), (2 * LIST_SIZE, 3 * LIST_SIZE));
        assert_eq!(name.to_string(), "suspension-2");
        for bad in [
            "suspension-02",
            "suspension--1",
            "revoke-0",
            "revocation-",
            "0",
            "",
        ] {
            assert!(ListName::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            ListName::of(StatusPurpose::Revocation, LIST_SIZE + 5),
            (
                ListName {
                    purpose: StatusPurpose::Revocation,
                    number: 1
                },
                5
            )
        );
    }
}
