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

/// A calendar date written exactly as RFC 3339 `full-date` (ISO 8601 extended): `YYYY-MM-DD`,
/// four-digit year, two-digit month and day. chrono alone also accepts `2026-1-1`, which the
/// OpenAPI `format: date` every date field declares does not allow.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err("must be a date, YYYY-MM-DD".into());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| "must be a date, YYYY-MM-DD".into())
}

/// A date read with [`parse_date`]: for `Checked<IsoDate>` fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsoDate(pub chrono::NaiveDate);

impl<'de> serde::Deserialize<'de> for IsoDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        parse_date(&text)
            .map(IsoDate)
            .map_err(serde::de::Error::custom)
    }
}

/// `#[serde(deserialize_with = "…")]` helpers that read dates with [`parse_date`].
pub mod strict_date {
    use serde::Deserialize;

    pub fn required<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<chrono::NaiveDate, D::Error> {
        super::IsoDate::deserialize(deserializer).map(|d| d.0)
    }

    /// For `Option<NaiveDate>`; pair it with `#[serde(default)]`.
    pub fn optional<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<chrono::NaiveDate>, D::Error> {
        Option::<super::IsoDate>::deserialize(deserializer).map(|d| d.map(|d| d.0))
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn only_full_dates_are_dates() {
        assert!(parse_date("2026-01-01").is_ok());
        for bad in [
            "2026-1-1",
            "2026-01-1",
            "26-01-01",
            "2026-02-30",
            "2026-01-01T00:00",
            " 2026-01-01",
            "+2026-01-01",
            "２０２６-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
