//! Times are stored as UTC `timestamp` (no offset) and shown as RFC 3339 UTC.

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

/// Now, truncated to microseconds: what both databases store, so that a value reads back equal.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

pub fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
