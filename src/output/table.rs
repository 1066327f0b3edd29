//! Tables for people: comfy-table grids fitted to the terminal, severity in colour, money
//! right-aligned with thousands separators, long text shortened cell by cell (never by
//! cutting rendered lines).

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::render::human;
use crate::frame::{Frame, Kind, Report, Style, Value};
use crate::model::Severity;
use crate::model::SlaState;

pub fn render(report: &Report, out: &mut dyn Write, color: bool, width: Option<u16>) -> io::Result<()> {
    for (i, frame) in report.frames.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        if let Some(title) = &frame.title {
            if color {
                writeln!(out, "\x1b[1m{title}\x1b[0m")?;
            } else {
                writeln!(out, "{title}")?;
            }
        }
        if frame.rows.is_empty() {
            writeln!(out, "{}", frame.empty)?;
        } else {
            match frame.style {
                Style::Grid => grid(frame, out, color, width)?,
                Style::Record => record(frame, out, color, width)?,
                Style::Checklist => checklist(frame, out, color)?,
            }
        }
        if let Some(footer) = super::footer(frame) {
            writeln!(out, "{footer}")?;
        }
    }
    Ok(())
}

fn new_table(width: Option<u16>) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    match width {
        Some(width) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// The longest a text cell may be: on a terminal, a share of its width.
fn text_limit(width: Option<u16>, columns: usize) -> Option<usize> {
    width.map(|w| (w as usize / columns.max(1) * 2).clamp(24, 80))
}

fn shorten(text: String, limit: Option<usize>) -> String {
    match limit {
        Some(limit) if text.chars().count() > limit => {
            let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
            short.push('…');
            short
        }
        _ => text,
    }
}

fn cell(frame_column: &str, kind: Kind, value: &Value, color: bool, limit: Option<usize>) -> Cell {
    let text = human(value, kind);
    let text = if kind == Kind::Text || kind == Kind::List { shorten(text, limit) } else { text };
    let mut cell = Cell::new(&text);
    if kind.is_numeric() {
        cell = cell.set_alignment(CellAlignment::Right);
    }
    if color {
        if let Some(fg) = highlight(frame_column, &text) {
            cell = cell.fg(fg);
        }
    }
    cell
}

/// Severity and SLA state in colour: what is on fire is red, what is close is yellow.
fn highlight(column: &str, text: &str) -> Option<Color> {
    let red = (column == "severity" && text == Severity::Critical.label())
        || (column == "sla_state" && text == SlaState::Breached.label());
    let yellow = (column == "severity" && text == Severity::High.label())
        || (column == "sla_state" && text == SlaState::AtRisk.label());
    if red {
        Some(Color::Red)
    } else if yellow {
        Some(Color::Yellow)
    } else {
        None
    }
}

fn grid(frame: &Frame, out: &mut dyn Write, color: bool, width: Option<u16>) -> io::Result<()> {
    let mut table = new_table(width);
    let limit = text_limit(width, frame.columns.len());
    table.set_header(frame.columns.iter().map(|c| {
        let header = Cell::new(&c.name);
        let header = if c.kind.is_numeric() { header.set_alignment(CellAlignment::Right) } else { header };
        if color {
            header.add_attribute(Attribute::Bold)
        } else {
            header
        }
    }));
    for row in &frame.rows {
        table.add_row(
            frame
                .columns
                .iter()
                .zip(row)
                .map(|(column, value)| cell(&column.name, column.kind, value, color, limit)),
        );
    }
    writeln!(out, "{table}")
}

fn record(frame: &Frame, out: &mut dyn Write, color: bool, width: Option<u16>) -> io::Result<()> {
    let limit = width.map(|w| (w as usize).saturating_sub(30).max(24));
    for (i, row) in frame.rows.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let mut table = new_table(width);
        for (column, value) in frame.columns.iter().zip(row) {
            let name = Cell::new(&column.name);
            let name = if color { name.add_attribute(Attribute::Bold) } else { name };
            table.add_row(vec![name, cell(&column.name, column.kind, value, color, limit)]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

fn checklist(frame: &Frame, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let at = |name| frame.column_index(name);
    let (Some(ok), Some(check), Some(ms), Some(detail)) = (at("ok"), at("check"), at("ms"), at("detail"))
    else {
        return grid(frame, out, color, None);
    };
    for row in &frame.rows {
        let passed = row[ok] == Value::Bool(true);
        let mark = match (passed, color) {
            (true, true) => "\x1b[32m✓\x1b[0m",
            (true, false) => "✓",
            (false, true) => "\x1b[31m✗\x1b[0m",
            (false, false) => "✗",
        };
        let ms = match &row[ms] {
            Value::Decimal(ms) => format!("{} ms", ms.round_dp(0)),
            _ => String::new(),
        };
        writeln!(
            out,
            "{mark} {:<36} {:>7}  {}",
            human(&row[check], Kind::Text),
            ms,
            human(&row[detail], Kind::Text)
        )?;
    }
    Ok(())
}
