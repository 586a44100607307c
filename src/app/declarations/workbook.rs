//! Opens an uploaded workbook (`.xlsx`, `.xlsm`, `.xls`, `.xlsb`, by its content, not its
//! name) with calamine into the cells the declaration reader reads. A file that is not a
//! workbook, or one that would unpack into more than [`MAX_UNPACKED_BYTES`] or hold more than
//! [`MAX_CELLS`] cells, is refused before it costs memory (a zip bomb is a few kilobytes).

use std::io::{Cursor, Read, Seek};

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use crate::domain::declaration::grid::{Sheet, Value, Workbook, excel_date};

/// The most an `.xlsx` may unpack into (the RMI templates unpack into about 5 MB, filled).
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// The most cells read across the sheets Oretrace reads.
pub const MAX_CELLS: usize = 2_000_000;

/// The sheets the reader needs; the look-up lists and label sheets are large and only `L`
/// (labels, for versions read by label) and `Revision` are read besides these.
const SHEETS_READ: &[&str] = &[
    "Declaration",
    "Smelter List",
    "Product List",
    "Mine List",
    "Revision",
    "L",
];

/// Why a file cannot be read as a workbook.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Not a workbook calamine knows, or a damaged one.
    NotAWorkbook(String),
    /// It would unpack (or spread) into more than Oretrace reads.
    TooLarge(String),
}

/// The workbook's sheets Oretrace reads, with their cached values.
pub fn open(bytes: &[u8]) -> Result<Workbook, Unreadable> {
    if bytes.starts_with(b"PK") {
        check_unpacked_size(Cursor::new(bytes))?;
    }
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        Unreadable::NotAWorkbook(format!(
            "the file is not a readable .xlsx, .xlsm or .xls workbook ({e})"
        ))
    })?;
    let names: Vec<String> = workbook.sheet_names().to_vec();
    let mut sheets = Vec::new();
    let mut cells = 0usize;
    for name in names {
        if !SHEETS_READ
            .iter()
            .any(|wanted| name.trim().eq_ignore_ascii_case(wanted))
        {
            sheets.push(Sheet::new(name));
            continue;
        }
        let range = workbook.worksheet_range(&name).map_err(|e| {
            Unreadable::NotAWorkbook(format!("the sheet \"{name}\" cannot be read ({e})"))
        })?;
        let mut sheet = Sheet::new(name);
        if let Some((top, left)) = range.start() {
            for (row, col, data) in range.used_cells() {
                cells += 1;
                if cells > MAX_CELLS {
                    return Err(Unreadable::TooLarge(format!(
                        "the workbook holds more than {MAX_CELLS} cells"
                    )));
                }
                if let Some(value) = value_of(data) {
                    sheet.set(top + row as u32, left + col as u32, value);
                }
            }
        }
        sheets.push(sheet);
    }
    Ok(Workbook { sheets })
}

/// Refuses an `.xlsx` whose parts unpack into more than [`MAX_UNPACKED_BYTES`], from the zip's
/// own directory (nothing is unpacked to find out).
fn check_unpacked_size<R: Read + Seek>(reader: R) -> Result<(), Unreadable> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| {
        Unreadable::NotAWorkbook(format!("the file is not a readable .xlsx workbook ({e})"))
    })?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| {
            Unreadable::NotAWorkbook(format!("the file is not a readable .xlsx workbook ({e})"))
        })?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(Unreadable::TooLarge(format!(
            "the workbook unpacks into {total} bytes, more than the {MAX_UNPACKED_BYTES} read"
        )));
    }
    Ok(())
}

fn value_of(data: &Data) -> Option<Value> {
    match data {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => Some(Value::Text(s.clone())),
        Data::Int(i) => Some(Value::Number(*i as f64)),
        Data::Float(f) => Some(Value::Number(*f)),
        Data::Bool(b) => Some(Value::Bool(*b)),
        Data::DateTime(dt) if dt.is_datetime() => excel_date(dt.as_f64())
            .map(Value::Date)
            .or(Some(Value::Number(dt.as_f64()))),
        Data::DateTime(dt) => Some(Value::Number(dt.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(Value::Text(s.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_no_workbook_is_said_so() {
        assert!(matches!(
            open(b"external_ref,supplier\n1,2\n"),
            Err(Unreadable::NotAWorkbook(_))
        ));
        assert!(matches!(
            open(b"PK\x03\x04garbage"),
            Err(Unreadable::NotAWorkbook(_))
        ));
        assert!(matches!(open(&[]), Err(Unreadable::NotAWorkbook(_))));
    }

    #[test]
    fn a_workbook_written_by_rust_xlsxwriter_is_read_back() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Declaration").unwrap();
        sheet.write_string(7, 3, "Andes Metals").unwrap();
        sheet.write_number(21, 3, 45_772.0).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 4, 25).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("dd-mmm-yyyy");
        sheet
            .write_datetime_with_format(22, 3, &date, &format)
            .unwrap();
        book.add_worksheet().set_name("Smelter Look-up").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let workbook = open(&bytes).unwrap();
        let declaration = workbook.sheet("Declaration").unwrap();
        assert_eq!(declaration.text(7, 3).as_deref(), Some("Andes Metals"));
        assert_eq!(declaration.get(21, 3), Some(&Value::Number(45_772.0)));
        assert_eq!(
            declaration.get(22, 3),
            Some(&Value::Date(
                chrono::NaiveDate::from_ymd_opt(2025, 4, 25).unwrap()
            ))
        );
        assert!(workbook.sheet("Smelter Look-up").unwrap().is_empty());
    }
}
