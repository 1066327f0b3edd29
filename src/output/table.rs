//! Tables for people: comfy-table grids fitted to the terminal (COLUMNS, else its width),
//! as DuckDB's box renderer does: numbers, money, dates, ids, labels are never wrapped or
//! cut; free text is shortened with `…` (not below 12 characters); columns that still do
//! not fit are left out by the listing's priority and stderr says which and how to see
//! them; a single row that does not fit is shown as a record. Severity in colour, money
//! right-aligned with thousands separators.

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
                Style::Checklist => checklist(frame, out, color, width)?,
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
    let text = if is_free_text(kind) { shorten(text, limit) } else { text };
    styled(Cell::new(&text), frame_column, kind, &text, color)
}

/// Numbers right-aligned; what is on fire in colour.
fn styled(mut cell: Cell, column: &str, kind: Kind, text: &str, color: bool) -> Cell {
    if kind.is_numeric() {
        cell = cell.set_alignment(CellAlignment::Right);
    }
    if color {
        if let Some(fg) = highlight(column, text) {
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

/// The narrowest a free-text column is shortened to.
const MIN_TEXT: usize = 12;

/// Which columns a grid shows, and how wide each is.
struct Fitted {
    /// indexes into the frame's columns, in the frame's order
    shown: Vec<usize>,
    /// the width of each shown column's content
    widths: Vec<usize>,
    /// the names of the columns left out
    hidden: Vec<String>,
}

fn is_free_text(kind: Kind) -> bool {
    matches!(kind, Kind::Text | Kind::List)
}

/// The width a grid of these content widths takes: `│ a ┆ b │`.
fn table_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + 3 * widths.len() + 1
}

/// Fits the frame into `width`: free text shortened first, then the least important
/// columns left out (never the first one).
fn fit(frame: &Frame, texts: &[Vec<String>], width: Option<u16>) -> Fitted {
    let natural: Vec<usize> = frame
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            texts
                .iter()
                .map(|row| row[i].chars().count())
                .chain([column.name.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let all: Vec<usize> = (0..frame.columns.len()).collect();
    let Some(width) = width.map(usize::from) else {
        return Fitted { shown: all, widths: natural, hidden: Vec::new() };
    };
    // the narrowest each column may be: free text down to 12 (never below its header)
    let least = |i: usize| {
        let column = &frame.columns[i];
        if is_free_text(column.kind) {
            natural[i].min(MIN_TEXT.max(column.name.chars().count()))
        } else {
            natural[i]
        }
    };
    // least important first: the priority list's order reversed, then the rest from the right
    let mut order: Vec<usize> = frame.priority.iter().filter_map(|name| frame.column_index(name)).collect();
    let rest: Vec<usize> = all.iter().copied().filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    let mut shown = all.clone();
    loop {
        let narrowest: Vec<usize> = shown.iter().map(|&i| least(i)).collect();
        if table_width(&narrowest) <= width || shown.len() == 1 {
            break;
        }
        let Some(drop) = order.iter().rev().copied().find(|i| shown.contains(i) && *i != 0) else { break };
        shown.retain(|i| *i != drop);
    }
    // widths: natural, then free text shortened, the widest first, until it fits
    let mut widths: Vec<usize> = shown.iter().map(|&i| natural[i]).collect();
    while table_width(&widths) > width {
        let candidate = (0..shown.len())
            .filter(|&k| is_free_text(frame.columns[shown[k]].kind) && widths[k] > least(shown[k]))
            .max_by_key(|&k| widths[k]);
        let Some(k) = candidate else { break };
        widths[k] -= 1;
    }
    let hidden = all.iter().filter(|i| !shown.contains(i)).map(|&i| frame.columns[i].name.clone()).collect();
    Fitted { shown, widths, hidden }
}

fn grid(frame: &Frame, out: &mut dyn Write, color: bool, width: Option<u16>) -> io::Result<()> {
    let texts: Vec<Vec<String>> = frame
        .rows
        .iter()
        .map(|row| frame.columns.iter().zip(row).map(|(column, value)| human(value, column.kind)).collect())
        .collect();
    let fitted = fit(frame, &texts, width);
    if !fitted.hidden.is_empty() && frame.rows.len() == 1 {
        // one row that does not fit reads better as a record
        return record(frame, out, color, width);
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(fitted.shown.iter().map(|&i| {
        let c = &frame.columns[i];
        let header = Cell::new(&c.name);
        let header = if c.kind.is_numeric() { header.set_alignment(CellAlignment::Right) } else { header };
        if color {
            header.add_attribute(Attribute::Bold)
        } else {
            header
        }
    }));
    for row in &texts {
        table.add_row(fitted.shown.iter().zip(&fitted.widths).map(|(&i, &limit)| {
            let column = &frame.columns[i];
            let text =
                if is_free_text(column.kind) { shorten(row[i].clone(), Some(limit)) } else { row[i].clone() };
            styled(Cell::new(&text), &column.name, column.kind, &text, color)
        }));
    }
    writeln!(out, "{table}")?;
    if !fitted.hidden.is_empty() {
        let n = fitted.hidden.len();
        crate::ui::info(&format!(
            "{n} column{} not shown for the width: {} (--columns a,b,… chooses the columns; -f csv shows all)",
            if n == 1 { "" } else { "s" },
            fitted.hidden.join(", ")
        ));
    }
    Ok(())
}

/// One block per row, a line per column (psql's `\x`): free text is wrapped at words
/// within the width and shown whole, since the record is where a title or description is
/// read; nothing else is wrapped (a value column is as wide as its widest non-text value).
fn record(frame: &Frame, out: &mut dyn Write, color: bool, width: Option<u16>) -> io::Result<()> {
    let names = frame.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
    // the value column: the width less the name column and the borders (│ x ┆ y │)
    let room = width.map(|w| usize::from(w).saturating_sub(names + 7).max(24));
    for (i, row) in frame.rows.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        // wrapped here, so comfy-table must not wrap again (it would cut an id); text
        // uses what an id that overflows the width takes anyway
        let widest = frame
            .columns
            .iter()
            .zip(row)
            .filter(|(column, _)| !is_free_text(column.kind))
            .map(|(column, value)| human(value, column.kind).chars().count())
            .max()
            .unwrap_or(0);
        let room = room.map(|room| room.max(widest));
        let mut table = new_table(None);
        for (column, value) in frame.columns.iter().zip(row) {
            let name = Cell::new(&column.name);
            let name = if color { name.add_attribute(Attribute::Bold) } else { name };
            let value = if is_free_text(column.kind) {
                let text = room.map_or_else(
                    || human(value, column.kind),
                    |room| wrap_words(&human(value, column.kind), room).join("\n"),
                );
                styled(Cell::new(&text), &column.name, column.kind, &text, color)
            } else {
                cell(&column.name, column.kind, value, color, None)
            };
            table.add_row(vec![name, value]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

/// Where a checklist line's detail starts: mark, check name, time.
const DETAIL_AT: usize = 2 + 36 + 1 + 7 + 2;

/// Text broken at spaces into lines of at most `width` characters (a longer word stays
/// whole on its own line).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

fn checklist(frame: &Frame, out: &mut dyn Write, color: bool, width: Option<u16>) -> io::Result<()> {
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
        // the detail wraps at words under its own column, never mid-word at the edge
        let detail = human(&row[detail], Kind::Text);
        let room = width.map_or(usize::MAX, |w| usize::from(w).saturating_sub(DETAIL_AT).max(24));
        let mut lines = wrap_words(&detail, room).into_iter();
        writeln!(
            out,
            "{mark} {:<36} {:>7}  {}",
            human(&row[check], Kind::Text),
            ms,
            lines.next().unwrap_or_default()
        )?;
        for line in lines {
            writeln!(out, "{:DETAIL_AT$}{line}", "")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap_words;

    #[test]
    fn words_wrap_whole_under_the_width() {
        assert_eq!(
            wrap_words("connected as root to the server", 12),
            ["connected as", "root to the", "server"]
        );
        assert_eq!(wrap_words("a-very-long-word x", 5), ["a-very-long-word", "x"]);
        assert_eq!(wrap_words("", 5), [""]);
    }
}
