//! A workbook as the declaration reader sees it: sheets of cells addressed by absolute position
//! (0-based row and column), holding the cached value of each cell. The reader of the file
//! (`app::declarations::workbook`) fills it; nothing here knows a file format.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

/// A cell's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
}

impl Value {
    /// The value as text, trimmed: numbers without a needless `.0`, dates as ISO 8601. Empty
    /// text is no value.
    pub fn text(&self) -> Option<String> {
        let text = match self {
            Value::Text(t) => t.trim().to_owned(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            Value::Date(d) => d.to_string(),
        };
        (!text.is_empty()).then_some(text)
    }
}

/// One sheet: its name as written in the workbook and its non-empty cells.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub name: String,
    cells: HashMap<(u32, u32), Value>,
    rows: u32,
}

impl Sheet {
    pub fn new(name: impl Into<String>) -> Sheet {
        Sheet {
            name: name.into(),
            ..Sheet::default()
        }
    }

    /// Sets a cell (0-based row and column); empty text is left out.
    pub fn set(&mut self, row: u32, col: u32, value: Value) {
        if matches!(&value, Value::Text(t) if t.trim().is_empty()) {
            return;
        }
        self.rows = self.rows.max(row + 1);
        self.cells.insert((row, col), value);
    }

    pub fn get(&self, row: u32, col: u32) -> Option<&Value> {
        self.cells.get(&(row, col))
    }

    /// The trimmed text of a cell, or `None` when it is empty.
    pub fn text(&self, row: u32, col: u32) -> Option<String> {
        self.get(row, col).and_then(Value::text)
    }

    /// How many rows are used (the last used row + 1).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// How many cells hold a value.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// The sheets of a workbook, in order.
#[derive(Clone, Debug, Default)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

impl Workbook {
    /// The sheet of this name, compared case-insensitively and ignoring surrounding spaces
    /// (suppliers rename nothing, but some tools change the case).
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets
            .iter()
            .find(|s| s.name.trim().eq_ignore_ascii_case(name))
    }
}

/// The column letters of a 0-based column index (`0` → `A`, `27` → `AB`).
pub fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A cell's address as a person reads it: `Declaration!D8` for 0-based (7, 3).
pub fn address(sheet: &str, row: u32, col: u32) -> String {
    format!("{sheet}!{}{}", column_letters(col), row + 1)
}

/// The 0-based (row, column) of an `A1` reference such as `D8`; `None` when it is not one.
pub fn position(reference: &str) -> Option<(u32, u32)> {
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let row: u32 = digits.parse().ok()?;
    let col = letters.bytes().try_fold(0u32, |acc, b| {
        acc.checked_mul(26)?.checked_add(u32::from(b - b'A' + 1))
    })?;
    (row >= 1 && col >= 1).then(|| (row - 1, col - 1))
}

/// The date of an Excel serial number (1900 date system, days since 1899-12-30).
pub fn excel_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(serial.trunc() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_people_write_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(29), "AD");
        assert_eq!(address("Declaration", 7, 3), "Declaration!D8");
        assert_eq!(position("D8"), Some((7, 3)));
        assert_eq!(position("AD2504"), Some((2503, 29)));
        assert_eq!(position("8D"), None);
        assert_eq!(position("D0"), None);
    }

    #[test]
    fn excel_serials_are_dates() {
        assert_eq!(excel_date(45_000.0), NaiveDate::from_ymd_opt(2023, 3, 15));
        assert_eq!(excel_date(-3.0), None);
    }

    #[test]
    fn values_read_as_text() {
        assert_eq!(Value::Number(1.0).text().as_deref(), Some("1"));
        assert_eq!(Value::Number(0.5).text().as_deref(), Some("0.5"));
        assert_eq!(Value::Text("  ".into()).text(), None);
    }
}
