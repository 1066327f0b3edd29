//! The machine formats: RFC 4180 CSV with a header row, JSON arrays of objects and
//! ndjson. Money is a plain decimal in CSV and a string holding the exact decimal in JSON.

use std::io::{self, Write};

use serde_json::{Map, Number, Value as Json};

use super::render::plain;
use crate::frame::{Frame, Kind, Report, Value};

/// One CSV table. A report of several frames stays one valid table (the same fields on
/// every record, so spreadsheets and CSV tools read it whole): a first `section` column
/// names the frame, as ndjson's `section` key does, and the header is every frame's
/// columns in order of first appearance, empty where a frame has no such column.
/// Text that a spreadsheet would run as a formula gets a leading `'` unless `raw`
/// (`--csv-raw`); numbers are never touched.
pub fn csv(report: &Report, out: &mut dyn Write, raw: bool) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut *out);
    let cell = |value: &Value| -> String {
        let text = plain(value);
        match value {
            Value::Text(_) | Value::List(_) if !raw => crate::spreadsheet::neutralise(&text).into_owned(),
            _ => text,
        }
    };
    match report.frames.as_slice() {
        [frame] => {
            writer.write_record(frame.columns.iter().map(|c| c.name.as_str()))?;
            for row in &frame.rows {
                writer.write_record(row.iter().map(cell))?;
            }
        }
        frames => {
            let mut header: Vec<&str> = vec!["section"];
            for column in frames.iter().flat_map(|frame| &frame.columns) {
                if !header.contains(&column.name.as_str()) {
                    header.push(&column.name);
                }
            }
            writer.write_record(&header)?;
            for frame in frames {
                let positions: Vec<Option<usize>> =
                    header[1..].iter().map(|name| frame.column_index(name)).collect();
                for row in &frame.rows {
                    let fields = positions.iter().map(|at| at.map_or_else(String::new, |i| cell(&row[i])));
                    writer.write_record(std::iter::once(frame.name.clone()).chain(fields))?;
                }
            }
        }
    }
    writer.flush()
}

pub fn json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let document = match report.frames.as_slice() {
        [frame] => Json::Array(objects(frame).collect()),
        frames => Json::Object(
            frames.iter().map(|frame| (frame.name.clone(), Json::Array(objects(frame).collect()))).collect(),
        ),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

pub fn ndjson(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let sectioned = report.frames.len() > 1;
    for frame in &report.frames {
        for mut object in objects(frame) {
            if sectioned {
                if let Json::Object(map) = &mut object {
                    map.shift_insert(0, "section".to_string(), Json::String(frame.name.clone()));
                }
            }
            serde_json::to_writer(&mut *out, &object)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn objects(frame: &Frame) -> impl Iterator<Item = Json> + '_ {
    frame.rows.iter().map(|row| {
        let map: Map<String, Json> = frame
            .columns
            .iter()
            .zip(row)
            .map(|(column, value)| (column.name.clone(), to_json(value, column.kind)))
            .collect();
        Json::Object(map)
    })
}

/// A JSON number with exactly these digits.
fn exact_number(text: &str) -> Option<Number> {
    serde_json::from_str::<Number>(text).ok()
}

fn to_json(value: &Value, kind: Kind) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::Number((*n).into()),
        // the number as CSV prints it (no binary noise)
        Value::Float(_) => exact_number(&plain(value)).map_or(Json::Null, Json::Number),
        // money keeps its exact decimal text; other decimals are numbers (a rounded rate or
        // score has far fewer digits than a double holds)
        Value::Decimal(d) if kind == Kind::Money => Json::String(d.to_string()),
        Value::Decimal(d) => {
            exact_number(&d.to_string()).map_or_else(|| Json::String(d.to_string()), Json::Number)
        }
        Value::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        other => Json::String(plain(other)),
    }
}
