//! The effective date of a declaration: a real Excel date, or the text suppliers type.

use chrono::NaiveDate;

use super::grid::{Value, excel_date};

/// The first date the templates accept (they refuse dates up to 31 December 2006).
pub fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2007, 1, 1).expect("a valid date")
}

/// The date a cell holds: a date cell, an Excel serial number, or text as `2025-04-25`,
/// `25-Apr-2025`, `25 April 2025`, `April 25, 2025`, `25.04.2025` or `25/04/2025` (a
/// slashed date whose day and month could be swapped is refused as ambiguous).
pub fn read(value: &Value) -> Result<NaiveDate, String> {
    match value {
        Value::Date(date) => Ok(*date),
        Value::Number(serial) => {
            excel_date(*serial).ok_or_else(|| format!("{serial} is not a date"))
        }
        Value::Bool(_) => Err("is not a date".to_owned()),
        Value::Text(text) => read_text(text.trim()),
    }
}

fn read_text(text: &str) -> Result<NaiveDate, String> {
    const FORMATS: &[&str] = &[
        "%Y-%m-%d",
        "%d-%b-%Y",
        "%d-%B-%Y",
        "%d %b %Y",
        "%d %B %Y",
        "%B %d, %Y",
        "%b %d, %Y",
        "%d.%m.%Y",
        "%Y/%m/%d",
    ];
    for format in FORMATS {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Ok(date);
        }
    }
    // A timestamp written as text: its day.
    if let Some((day, _)) = text.split_once(['T', ' '])
        && let Ok(date) = NaiveDate::parse_from_str(day, "%Y-%m-%d")
    {
        return Ok(date);
    }
    let day_first = NaiveDate::parse_from_str(text, "%d/%m/%Y").ok();
    let month_first = NaiveDate::parse_from_str(text, "%m/%d/%Y").ok();
    match (day_first, month_first) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "\"{text}\" could be {a} or {b}: write the date as DD-MMM-YYYY (25-Apr-2025)"
        )),
        (Some(date), _) | (None, Some(date)) => Ok(date),
        (None, None) => Err(format!(
            "\"{text}\" is not a date: write it as DD-MMM-YYYY (25-Apr-2025)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn typed_dates_are_read() {
        let t = |s: &str| read(&Value::Text(s.into()));
        assert_eq!(t("2025-04-25"), Ok(date(2025, 4, 25)));
        assert_eq!(t("25-Apr-2025"), Ok(date(2025, 4, 25)));
        assert_eq!(t("April 25, 2025"), Ok(date(2025, 4, 25)));
        assert_eq!(t("25.04.2025"), Ok(date(2025, 4, 25)));
        assert_eq!(t("25/04/2025"), Ok(date(2025, 4, 25)));
        assert_eq!(t("04/25/2025"), Ok(date(2025, 4, 25)));
        assert!(t("03/04/2025").unwrap_err().contains("could be"));
        assert!(t("soon").is_err());
        assert_eq!(read(&Value::Number(45_772.0)), Ok(date(2025, 4, 25)));
    }
}
