//! The only code that prints results. Every command builds a [`Report`]; this module
//! renders it as a table, CSV, JSON or ndjson, to stdout or atomically to a file.

pub mod chart;
pub mod computed;
pub mod html;
pub mod parquet;
pub(crate) mod render;
mod table;
mod text;
mod xlsx;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::frame::{Frame, Report};
pub use render::{group_thousands, sparkline};

/// "rows 51–100 of 1,234" under a page of a longer list; nothing for an empty page.
pub fn footer(frame: &Frame) -> Option<String> {
    let page = frame.page?;
    let shown = frame.rows.len() as i64;
    (shown > 0).then(|| {
        let total = group_thousands(&rust_decimal::Decimal::from(page.total), 0);
        format!("rows {}–{} of {total}", page.offset + 1, page.offset + shown)
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
    /// Apache Parquet, one file per frame (-o FILE; FILE.<frame>.parquet for several)
    Parquet,
    /// a spreadsheet workbook, one sheet per frame, typed (numbers, dates, booleans)
    Xlsx,
}

/// The extensions `-o FILE` knows, and the format each means.
const EXTENSIONS: &[(&str, Format)] = &[
    ("csv", Format::Csv),
    ("json", Format::Json),
    ("ndjson", Format::Ndjson),
    ("jsonl", Format::Ndjson),
    ("parquet", Format::Parquet),
    ("xlsx", Format::Xlsx),
    ("txt", Format::Table),
];

/// Where and how results are written, resolved once from the global options.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    path: Option<PathBuf>,
    color: bool,
    width: Option<u16>,
    to_terminal: bool,
    /// CSV text as is, formulas included (`--csv-raw`)
    csv_raw: bool,
    /// the columns to show, in this order (`--columns`)
    columns: Option<Vec<String>>,
}

impl Output {
    /// The format `-f` names, else the one `-o FILE`'s extension means (None: neither
    /// was given); an extension ctodb does not know is an error naming those it knows.
    pub fn format_of(format: Option<Format>, path: Option<&Path>) -> Result<Option<Format>, String> {
        match (format, path) {
            // a known extension that names another format would mislead whoever opens it
            (Some(format), Some(path)) => match format_from_extension(path) {
                Some(named) if named != format => Err(format!(
                    "-o {}: the extension means {} but -f says {}; name the file .{} or drop -f",
                    path.display(),
                    format_name(named),
                    format_name(format),
                    EXTENSIONS.iter().find(|(_, f)| *f == format).map_or("…", |(ext, _)| ext)
                )),
                _ => Ok(Some(format)),
            },
            (Some(format), None) => Ok(Some(format)),
            (None, Some(path)) => format_from_extension(path).map(Some).ok_or_else(|| {
                let known: Vec<String> = EXTENSIONS.iter().map(|(ext, _)| format!(".{ext}")).collect();
                format!(
                    "-o {}: ctodb does not know the extension {}; use one of {}, or name the format with -f",
                    path.display(),
                    path.extension().map_or_else(|| "(none)".into(), |e| format!(".{}", e.to_string_lossy())),
                    known.join(", ")
                )
            }),
            (None, None) => Ok(None),
        }
    }

    /// Resolves `auto`: a table on a terminal, CSV when piped; with `-o FILE`, the
    /// file's extension decides (.csv, .json, .ndjson/.jsonl, .parquet, .xlsx, .txt for a
    /// table); an extension it does not know is an error unless `-f` says the format.
    pub fn resolve(
        format: Option<Format>,
        path: Option<PathBuf>,
        no_color: bool,
        csv_raw: bool,
        local_time: bool,
        columns: Option<Vec<String>>,
    ) -> Result<Output> {
        render::show_local_time(local_time);
        let stdout_is_terminal = io::stdout().is_terminal();
        let format = match Output::format_of(format, path.as_deref()).map_err(anyhow::Error::msg)? {
            Some(format) => format,
            None if stdout_is_terminal => Format::Table,
            None => Format::Csv,
        };
        let to_terminal = path.is_none() && stdout_is_terminal;
        let color = to_terminal && !no_color;
        // COLUMNS when set (a narrow pane, a test), else the terminal's; unlimited when
        // piped with no COLUMNS
        let columns_env =
            std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok()).filter(|c| *c > 0);
        let width = columns_env.or_else(|| to_terminal.then(|| comfy_table::Table::new().width()).flatten());
        Ok(Output { format, path, color, width, to_terminal, csv_raw, columns })
    }

    /// Whether sparklines may be drawn: a table on a terminal (never CSV, JSON or a file).
    pub fn sparklines(&self) -> bool {
        self.format == Format::Table && self.to_terminal
    }

    /// Writes one bare value and a newline (`ctodb local url`), to stdout or atomically
    /// to `-o FILE`, in every format: a value a shell takes with `$(…)`.
    pub fn emit_value(&self, value: &str) -> Result<()> {
        let line = format!("{value}\n");
        match &self.path {
            None => {
                let mut out = io::stdout().lock();
                match out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
                    Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("cannot write to standard output"),
                }
            }
            Some(path) => write_atomically(path, |out| out.write_all(line.as_bytes())),
        }
    }

    /// Writes the report. A file is written to a temporary sibling and renamed into place
    /// when complete, so an interrupted run never leaves half a file at the final path.
    pub fn emit(&self, report: &Report) -> Result<()> {
        let chosen;
        let report = match &self.columns {
            Some(names) => {
                chosen = choose_columns(report, names)?;
                &chosen
            }
            None => report,
        };
        if self.format == Format::Parquet {
            return self.emit_parquet(report);
        }
        if self.format == Format::Xlsx {
            return self.emit_xlsx(report);
        }
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

    /// Parquet: one file per frame. With `-o FILE` and several frames, each goes to
    /// FILE's stem + `.<frame>.parquet` beside it, named on stderr; on standard output
    /// only a single frame, and never to a terminal.
    fn emit_parquet(&self, report: &Report) -> Result<()> {
        for footer in report.frames.iter().filter_map(footer) {
            ui::info(&footer);
        }
        let encode = |frame: &Frame| {
            parquet::parquet_bytes(frame)
                .map_err(|err| anyhow::anyhow!("cannot write {} as Parquet: {err}", frame.name))
        };
        match (&self.path, report.frames.as_slice()) {
            (None, _) if self.to_terminal => anyhow::bail!(
                "Parquet is binary and standard output is a terminal; write it to a file with -o FILE.parquet"
            ),
            (None, [frame]) => {
                let bytes = encode(frame)?;
                let mut out = io::stdout().lock();
                match out.write_all(&bytes).and_then(|_| out.flush()) {
                    Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("cannot write to standard output"),
                }
            }
            (None, frames) => anyhow::bail!(
                "this report has {} frames, and Parquet holds one table a file; write them with -o FILE.parquet (one file per frame)",
                frames.len()
            ),
            (Some(path), [frame]) => {
                let bytes = encode(frame)?;
                write_atomically(path, |out| out.write_all(&bytes))
            }
            (Some(path), frames) => {
                for frame in frames {
                    let bytes = encode(frame)?;
                    let file = frame_path(path, &frame.name);
                    write_atomically(&file, |out| out.write_all(&bytes))?;
                    ui::info(&format!("wrote {} ({} rows)", file.display(), frame.rows.len()));
                }
                Ok(())
            }
        }
    }

    /// A workbook: to `-o FILE.xlsx`, or to standard output when that is not a terminal.
    fn emit_xlsx(&self, report: &Report) -> Result<()> {
        for footer in report.frames.iter().filter_map(footer) {
            ui::info(&footer);
        }
        let (bytes, cut) = xlsx::workbook_bytes(report)
            .map_err(|err| anyhow::anyhow!("cannot write the workbook: {err}"))?;
        if cut > 0 {
            let (cells, were) = if cut == 1 { ("cell", "was") } else { ("cells", "were") };
            ui::warn(&format!(
                "{cut} {cells} longer than a spreadsheet cell holds (32767 characters) {were} cut, marked \
                 \"[…cut: N characters in all]\"; -f csv or -f json keeps the text whole"
            ));
        }
        match &self.path {
            None if self.to_terminal => anyhow::bail!(
                "a workbook is binary and standard output is a terminal; write it to a file with -o FILE.xlsx"
            ),
            None => {
                let mut out = io::stdout().lock();
                match out.write_all(&bytes).and_then(|_| out.flush()) {
                    Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("cannot write to standard output"),
                }
            }
            Some(path) => write_atomically(path, |out| out.write_all(&bytes)),
        }
    }

    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Table => table::render(report, out, self.color, self.width)?,
            Format::Csv => text::csv(report, out, self.csv_raw)?,
            Format::Json => text::json(report, out)?,
            Format::Ndjson => text::ndjson(report, out)?,
            // emit() writes Parquet and workbooks itself
            Format::Parquet | Format::Xlsx => {}
        }
        if self.format != Format::Table {
            for footer in report.frames.iter().filter_map(footer) {
                ui::info(&footer);
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

/// FILE.parquet's sibling for one frame: `portfolio.parquet` → `portfolio.top_bugs.parquet`.
fn frame_path(path: &Path, frame: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}.{frame}.parquet"))
}

/// The report with only the columns `names`, in that order, in each frame that has any
/// of them; a name no frame has is an error naming the columns there are.
fn choose_columns(report: &Report, names: &[String]) -> Result<Report> {
    let known: Vec<&str> =
        report.frames.iter().flat_map(|f| f.columns.iter().map(|c| c.name.as_str())).collect();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        let mut listed: Vec<&str> = Vec::new();
        for name in known {
            if !listed.contains(&name) {
                listed.push(name);
            }
        }
        anyhow::bail!("--columns: there is no column {unknown:?}; the columns are {}", listed.join(", "));
    }
    let mut chosen = report.clone();
    for frame in &mut chosen.frames {
        let picks: Vec<usize> = names.iter().filter_map(|n| frame.column_index(n)).collect();
        if picks.is_empty() {
            continue;
        }
        frame.columns = picks.iter().map(|&i| frame.columns[i].clone()).collect();
        for row in &mut frame.rows {
            *row = picks.iter().map(|&i| row[i].clone()).collect();
        }
        frame.priority.clear();
    }
    Ok(chosen)
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "a table",
        Format::Csv => "CSV",
        Format::Json => "JSON",
        Format::Ndjson => "ndjson",
        Format::Parquet => "Parquet",
        Format::Xlsx => "a workbook",
    }
}

fn format_from_extension(path: &Path) -> Option<Format> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    EXTENSIONS.iter().find(|(ext, _)| *ext == extension).map(|(_, format)| *format)
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
    // readable by others, as a file written in place would be (a temporary file is 0600)
    std::fs::set_permissions(temp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .map_err(|err| err.error)
        .with_context(|| format!("cannot move the finished file to {}", path.display()))?;
    // make the rename durable too
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}
