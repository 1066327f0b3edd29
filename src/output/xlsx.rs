//! `-f xlsx` / `-o FILE.xlsx`: a spreadsheet workbook with one sheet per frame, typed as a
//! spreadsheet user expects (CSV opened in LibreOffice gives instants and booleans as text
//! and a report of several frames as one sparse table): numbers as numbers, money with two
//! decimals, instants as date-times (UTC), dates as dates, booleans as booleans, and the
//! header row frozen.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::frame::{Frame, Kind, Report, Value};

/// A sheet name may hold at most 31 characters.
const SHEET_NAME_MAX: usize = 31;

/// The cell formats of one workbook.
struct Formats {
    header: Format,
    money: Format,
    instant: Format,
    date: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format("#,##0.00"),
            instant: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        }
    }
}

/// The most characters a spreadsheet cell holds (Excel's limit, which the format keeps).
const CELL_MAX_CHARS: usize = 32_767;

/// The workbook's bytes: a sheet per frame, named after it; and how many cells were too
/// long for a spreadsheet and were cut.
pub fn workbook_bytes(report: &Report) -> Result<(Vec<u8>, usize), String> {
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    let mut names = HashSet::new();
    let mut cut = 0;
    for frame in &report.frames {
        let name = sheet_name(&frame.name, &mut names);
        let sheet = workbook.add_worksheet();
        sheet.set_name(&name).map_err(|err| format!("sheet {name}: {err}"))?;
        fill(sheet, frame, &formats, &mut cut).map_err(|err| format!("sheet {name}: {err}"))?;
    }
    if report.frames.is_empty() {
        workbook.add_worksheet();
    }
    Ok((workbook.save_to_buffer().map_err(|err| err.to_string())?, cut))
}

/// Text as a cell holds it: whole, or cut with a marker that says so and how long it was.
fn cell_text<'a>(text: &'a str, cut: &mut usize) -> std::borrow::Cow<'a, str> {
    let length = text.chars().count();
    if length <= CELL_MAX_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    *cut += 1;
    let marker = format!(" […cut: {length} characters in all]");
    let keep: String = text.chars().take(CELL_MAX_CHARS - marker.chars().count()).collect();
    std::borrow::Cow::Owned(keep + &marker)
}

/// A frame's name as a sheet name: at most 31 characters, none of `[]:*?/\`, and unique
/// in the workbook (a number is added when two frames' names meet after cutting).
fn sheet_name(frame: &str, taken: &mut HashSet<String>) -> String {
    let clean: String = frame
        .chars()
        .map(|c| if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { '_' } else { c })
        .take(SHEET_NAME_MAX)
        .collect();
    let clean = if clean.is_empty() { "sheet".to_string() } else { clean };
    let mut name = clean.clone();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        let suffix = format!("~{n}");
        let keep: String = clean.chars().take(SHEET_NAME_MAX - suffix.len()).collect();
        name = format!("{keep}{suffix}");
        n += 1;
    }
    name
}

fn fill(sheet: &mut Worksheet, frame: &Frame, formats: &Formats, cut: &mut usize) -> Result<(), XlsxError> {
    for (col, column) in frame.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, &column.name, &formats.header)?;
    }
    for (row, values) in frame.rows.iter().enumerate() {
        let row = row as u32 + 1;
        for (col, value) in values.iter().enumerate() {
            write_cell(sheet, (row, col as u16), frame.columns[col].kind, value, formats, cut)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    Ok(())
}

fn write_cell(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    kind: Kind,
    value: &Value,
    formats: &Formats,
    cut: &mut usize,
) -> Result<(), XlsxError> {
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
        Value::Int(n) => {
            sheet.write_number(row, col, *n as f64)?;
        }
        Value::Float(x) if x.is_finite() => {
            sheet.write_number(row, col, *x)?;
        }
        Value::Float(x) => {
            sheet.write_string(row, col, x.to_string())?;
        }
        // a spreadsheet's numbers are binary doubles: exact to 15 significant digits, as
        // every money amount ctodb keeps (at most 18 digits with 2 decimals) up to a
        // trillion; the cell shows the amount's two decimals
        Value::Decimal(d) => {
            let number = rust_decimal::prelude::ToPrimitive::to_f64(d).unwrap_or(f64::NAN);
            if kind == Kind::Money {
                sheet.write_number_with_format(row, col, number, &formats.money)?;
            } else {
                sheet.write_number(row, col, number)?;
            }
        }
        // written as a string: a spreadsheet never evaluates it as a formula
        Value::Text(text) => {
            sheet.write_string(row, col, cell_text(text, cut))?;
        }
        Value::Uuid(id) => {
            sheet.write_string(row, col, id.to_string())?;
        }
        // a spreadsheet's dates start in 1900 and end in 9999: others stay text
        Value::Timestamp(t) => {
            let naive = t.naive_utc();
            let seconds = f64::from(naive.second()) + f64::from(naive.nanosecond() / 1_000) / 1e6;
            match excel_date(naive.date())
                .and_then(|day| day.and_hms(naive.hour() as u16, naive.minute() as u8, seconds))
            {
                Ok(cell) => sheet.write_datetime_with_format(row, col, &cell, &formats.instant)?,
                Err(_) => {
                    sheet.write_string(row, col, t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))?
                }
            };
        }
        Value::Date(d) => {
            match excel_date(*d) {
                Ok(cell) => sheet.write_datetime_with_format(row, col, &cell, &formats.date)?,
                Err(_) => sheet.write_string(row, col, d.to_string())?,
            };
        }
        Value::List(items) => {
            // as CSV writes a list, so that a saved sheet imports back as it was
            sheet.write_string(row, col, cell_text(&items.join(";"), cut))?;
        }
    }
    Ok(())
}

fn excel_date(date: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(date.year()).map_err(|_| XlsxError::DateTimeRangeError(date.to_string()))?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_cut_cleaned_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(sheet_name("portfolio", &mut taken), "portfolio");
        assert_eq!(sheet_name("a:b/c", &mut taken), "a_b_c");
        let long = "compliance_by_severity_and_status_extra";
        assert_eq!(sheet_name(long, &mut taken), "compliance_by_severity_and_stat");
        assert_eq!(sheet_name(long, &mut taken), "compliance_by_severity_and_st~2");
        assert_eq!(sheet_name("Portfolio", &mut taken), "Portfolio~2");
    }
}
