//! Helpers shared by the catalog's models.

use chrono::NaiveDateTime;

use crate::store::StoreError;

/// How many values go into one `IN (…)` list or one multi-row `INSERT`: far below SQLite's
/// 32,766 and PostgreSQL's 65,535 bind parameters, even for the widest row.
pub const CHUNK: usize = 1000;

/// A `LIKE` pattern matching values that contain `needle` (escaped with `\`).
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Parses stored text (an id, an enum) or reports the corrupt row as a 500.
pub fn parse_stored<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::corrupt(format!("bad stored {what} {text:?}")))
}

pub fn now_db() -> NaiveDateTime {
    crate::domain::time::to_db(crate::domain::time::now())
}

pub fn bool_to_db(value: bool) -> i16 {
    i16::from(value)
}

pub fn bool_from_db(value: i16) -> bool {
    value != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
