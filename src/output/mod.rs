//! The only code that prints results. Every command builds a [`Report`]; this module
//! renders it as a table, CSV, JSON or ndjson, to stdout or atomically to a file.

pub mod computed;
mod frame;
mod render;
mod table;
mod text;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use frame::{is_money, Column, Frame, Kind, Report, Style, Value};
pub use render::group_thousands;

/// "rows 51–100 of 1,234" for a page that starts after `offset` rows; nothing for an
/// empty page.
pub fn page_footer(offset: i64, shown: usize, total: i64) -> Option<String> {
    (shown > 0).then(|| {
        let total = group_thousands(&rust_decimal::Decimal::from(total), 0);
        format!("rows {}–{} of {total}", offset + 1, offset + shown as i64)
    })
}

use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// a table for people (the default on a terminal)
    Table,
    /// RFC 4180 CSV with a header row (the default when piped)
    Csv,
    /// an array of objects
    Json,
    /// one JSON object per line
    Ndjson,
}

/// Where and how results are written, resolved once from the global options.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    path: Option<PathBuf>,
    color: bool,
    width: Option<u16>,
}

impl Output {
    /// Resolves `auto`: a table on a terminal, CSV when piped; with `-o FILE`, the
    /// file's extension decides (.csv, .json, .ndjson/.jsonl), else a table.
    pub fn resolve(format: Option<Format>, path: Option<PathBuf>, no_color: bool) -> Output {
        let stdout_is_terminal = io::stdout().is_terminal();
        let format = format.unwrap_or_else(|| match &path {
            Some(path) => format_from_extension(path).unwrap_or(Format::Table),
            None if stdout_is_terminal => Format::Table,
            None => Format::Csv,
        });
        let to_terminal = path.is_none() && stdout_is_terminal;
        let color = to_terminal && !no_color && std::env::var_os("NO_COLOR").is_none();
        let width = to_terminal.then(|| comfy_table::Table::new().width()).flatten();
        Output { format, path, color, width }
    }

    /// Writes the report. A file is written to a temporary sibling and renamed into place
    /// when complete, so an interrupted run never leaves half a file at the final path.
    pub fn emit(&self, report: &Report) -> Result<()> {
        match &self.path {
            None => {
                let stdout = io::stdout();
                let mut out = BufWriter::new(stdout.lock());
                match self.render(report, &mut out).and_then(|_| out.flush()) {
                    // `ctodb bugs | head` closes the pipe early; that is not an error.
                    Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("cannot write to standard output"),
                }
            }
            Some(path) => write_atomically(path, |out| self.render(report, out)),
        }
    }

    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Table => table::render(report, out, self.color, self.width)?,
            Format::Csv => text::csv(report, out)?,
            Format::Json => text::json(report, out)?,
            Format::Ndjson => text::ndjson(report, out)?,
        }
        if self.format != Format::Table {
            for footer in report.frames.iter().filter_map(|f| f.footer.as_ref()) {
                ui::info(footer);
            }
        }
        Ok(())
    }

    /// A result that is one line of text (the path `migrate new` created).
    pub fn emit_line(&self, line: &str) -> Result<()> {
        match &self.path {
            None => {
                let mut out = io::stdout().lock();
                match writeln!(out, "{line}").and_then(|_| out.flush()) {
                    Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("cannot write to standard output"),
                }
            }
            Some(path) => write_atomically(path, |out| writeln!(out, "{line}")),
        }
    }
}

fn format_from_extension(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some(Format::Csv),
        "json" => Some(Format::Json),
        "ndjson" | "jsonl" => Some(Format::Ndjson),
        _ => None,
    }
}

/// Writes through a temporary file in the target's folder, then renames it into place.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".ctodb-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .with_context(|| format!("cannot create a file in {}", folder.display()))?;
    {
        let mut out = BufWriter::new(temp.as_file());
        write(&mut out)
            .and_then(|_| out.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    temp.as_file().sync_all().with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .map_err(|err| err.error)
        .with_context(|| format!("cannot move the finished file to {}", path.display()))?;
    // make the rename durable too
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}
