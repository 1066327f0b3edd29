//! Imports (SPEC §9): CSV files and GitHub's API JSON into projects, bugs and users.
//! Rows are read and checked here, staged by binary COPY and merged in one statement
//! per table (`stage`); the command (`cmd/import.rs`) owns the transaction, the
//! import_logs row and what is printed.

pub mod cell;
pub mod fields;
pub mod github;
pub mod github_sync;
mod lines;
pub mod read;
pub mod stage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context as _, Result};
use csv::ByteRecord;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use self::cell::References;
use self::fields::ImportKind;
use self::read::{CsvOptions, Layout};
use self::stage::{Counts, Plan};
use crate::db;
use crate::sql;

/// What is wrong with one row (or the header, line 1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// the line the record starts on, from 1
    pub line: u64,
    /// the column as the file names it; None for the row as a whole
    pub column: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn at(line: u64, column: impl Into<String>, message: impl Into<String>) -> Problem {
        let column = column.into();
        Problem { line, column: (!column.is_empty()).then_some(column), message: message.into() }
    }

    /// `p.csv, line 12, column "arr": -5 is below 0; …`
    pub fn describe(&self, file: &str) -> String {
        match &self.column {
            Some(column) => format!("{file}, line {}, column {column:?}: {}", self.line, self.message),
            None => format!("{file}, line {}: {}", self.line, self.message),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "line": self.line, "column": self.column, "message": self.message })
    }
}

/// How many problems are kept to list (the rest are counted).
pub const LISTED_PROBLEMS: usize = 100;

/// Problems found while importing: the first ones in full, every bad line's reason.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Problems {
    pub listed: Vec<Problem>,
    pub count: u64,
    /// line → reason, for the rejects file
    pub lines: BTreeMap<u64, String>,
}

impl Problems {
    pub fn add(&mut self, problem: Problem) {
        self.count += 1;
        let reason = match &problem.column {
            Some(column) => format!("{column}: {}", problem.message),
            None => problem.message.clone(),
        };
        self.lines.entry(problem.line).and_modify(|r| *r = format!("{r}; {reason}")).or_insert(reason);
        if self.listed.len() < LISTED_PROBLEMS {
            self.listed.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The listed problems sorted by line, as they are reported.
    pub fn sort(&mut self) {
        self.listed.sort_by_key(|p| p.line);
    }
}

/// The outcome of one import, whether or not it wrote anything.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// data rows in the input
    pub total: u64,
    /// what a dry run would change, row by row and field by field
    #[serde(default)]
    pub changes: Vec<stage::Change>,
    pub counts: Counts,
    pub problems: Problems,
    /// computed columns the file carried (ignored)
    pub computed: Vec<String>,
    /// unknown columns ignored under --ignore-unknown
    pub ignored: Vec<String>,
    pub read_ms: u64,
    pub merge_ms: u64,
}

impl Summary {
    /// The bad rows, which under --skip-invalid were left out.
    pub fn rejected(&self) -> u64 {
        self.problems.lines.len() as u64
    }
}

/// What the user asked of a CSV import.
#[derive(Debug, Clone, Copy)]
pub struct CsvImport<'a> {
    pub path: &'a Path,
    /// the file as the user named it
    pub display: &'a str,
    pub kind: ImportKind,
    pub options: CsvOptions,
    pub skip_invalid: bool,
    pub dry_run: bool,
}

/// The projects and people rows may refer to.
pub async fn references(tx: &Transaction<'_>) -> Result<References> {
    let mut refs = References::default();
    for row in db::query(tx, &sql::IMPORT_PROJECTS, &[]).await? {
        let name = sql::IMPORT_PROJECTS.name;
        refs.add_project(db::get(&row, name, "id")?, db::get(&row, name, "name")?);
    }
    for row in db::query(tx, &sql::IMPORT_USERS, &[]).await? {
        let name = sql::IMPORT_USERS.name;
        refs.add_user(db::get(&row, name, "id")?, db::get(&row, name, "email")?);
    }
    Ok(refs)
}

/// Reads, checks, stages and (unless there are problems and --skip-invalid is not given,
/// or it is a dry run) merges one CSV file, inside the caller's transaction. The caller
/// commits when `summary.problems` is empty or --skip-invalid was given, and rolls back
/// otherwise.
pub async fn csv(tx: &Transaction<'_>, import: &CsvImport<'_>) -> Result<Summary> {
    let started = Instant::now();
    let file = import.display;
    let mut reader =
        read::open(import.path, import.options).with_context(|| format!("cannot read {file}"))?;
    let mut record = ByteRecord::new();
    let has_header = reader
        .next(&mut record)
        .map_err(|err| anyhow!("{file} cannot be read as CSV: {}", csv_error(&err)))?
        .is_some();
    // a byte order mark alone, or one blank line, is no header either
    let blank = |field: &[u8]| {
        field.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(field).iter().all(u8::is_ascii_whitespace)
    };
    if !has_header || record.len() <= 1 && record.iter().all(blank) {
        return Err(anyhow!("{file} is empty: it has no header row (the first line names the columns)"));
    }
    let layout = read::layout(import.kind, &record, import.options).map_err(|p| anyhow!(p.describe(file)))?;
    let refs = references(tx).await?;
    let mut summary =
        Summary { computed: layout.computed.clone(), ignored: layout.ignored.clone(), ..Summary::default() };
    let mut copy = stage::start_copy(tx, import.kind, indicatif::ProgressBar::hidden()).await?;
    loop {
        let line = match reader.next(&mut record) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(err) => {
                let line = err.position().map_or(summary.total + 2, |p| reader.line_of(p.byte()));
                return Err(anyhow!("{file}, line {line}: cannot be read as CSV: {}", csv_error(&err)));
            }
        };
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // a blank line
        }
        summary.total += 1;
        match read::row(&layout, &record, line, &refs) {
            Ok(cells) => {
                let line_cell = i64::try_from(line).unwrap_or(i64::MAX);
                let unit = read::instant_unit(&layout, &record);
                let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(cells.len() + 2);
                values.push(&line_cell);
                values.extend(cells.iter().map(|cell| cell as &(dyn ToSql + Sync)));
                values.push(&unit);
                copy.write(&values).await?;
            }
            Err(problems) => problems.into_iter().for_each(|p| summary.problems.add(p)),
        }
    }
    copy.finish().await?;
    let plan = csv_plan(&layout);
    stage::match_rows(tx, &plan).await?;
    let found = stage::problems(tx, &plan).await?;
    let discard: Vec<i64> = found.iter().map(|p| i64::try_from(p.line).unwrap_or(i64::MAX)).collect();
    found.into_iter().for_each(|p| summary.problems.add(p));
    summary.problems.sort();
    summary.read_ms = elapsed_ms(started);
    if !summary.problems.is_empty() {
        if !import.skip_invalid {
            return Ok(summary);
        }
        stage::discard(tx, &discard).await?;
    }
    let merging = Instant::now();
    if import.dry_run {
        summary.counts = stage::count(tx, &plan).await?;
        summary.changes = stage::changes(tx, &plan).await?;
    } else {
        summary.counts = merge(tx, &plan).await?;
    }
    summary.merge_ms = elapsed_ms(merging);
    Ok(summary)
}

/// Merges the staged rows; new bugs that brought their own numbers move the numbering on.
pub async fn merge(tx: &Transaction<'_>, plan: &Plan) -> Result<Counts> {
    let counts = stage::merge(tx, plan).await?;
    if plan.kind == ImportKind::Bugs && plan.insert.contains(&"bug_number") && counts.inserted > 0 {
        db::query(tx, &sql::BUG_NUMBER_SEQUENCE, &[]).await?;
    }
    Ok(counts)
}

/// A CSV file updates the columns it carries and inserts them; bugs always stage their
/// source and external id (given or derived), which an update writes only when the
/// file has them.
fn csv_plan(layout: &Layout) -> Plan {
    let kind = layout.kind;
    let present: Vec<&'static str> = layout.present.iter().map(|i| kind.fields()[*i].name).collect();
    let mut insert = present.clone();
    if kind == ImportKind::Bugs {
        for column in ["source", "external_id"] {
            if !insert.contains(&column) {
                insert.push(column);
            }
        }
    }
    let update = present.into_iter().filter(|column| !matches!(*column, "id" | "bug_number")).collect();
    Plan { kind, keys: kind.keys().to_vec(), update, insert }
}

/// Writes the bad rows, as they were, with their line and reason, into a temporary file
/// beside `target`, before the import commits; the caller moves it into place once the
/// import has committed ([`place_rejects`]), so a file that cannot be written stops the
/// import instead of losing its rejected rows.
pub fn stage_rejects(
    import: &CsvImport<'_>,
    problems: &Problems,
    target: &Path,
) -> Result<tempfile::NamedTempFile> {
    let mut reader = read::open(import.path, import.options)?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".ctodb-rejects-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write the rejects file in {}", dir.display()))?;
    let written = (|| -> Result<()> {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(import.options.delimiter)
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(std::io::BufWriter::new(temp.as_file()));
        let mut record = ByteRecord::new();
        let mut header_len = 0;
        let mut first = true;
        while let Some(line) = reader.next(&mut record)? {
            if first {
                first = false;
                header_len = record.len();
                let mut header = record.clone();
                header.push_field(b"line");
                header.push_field(b"reason");
                writer.write_byte_record(&header)?;
                continue;
            }
            let Some(reason) = problems.lines.get(&line) else { continue };
            let mut out = record.clone();
            while out.len() < header_len {
                out.push_field(b"");
            }
            out.push_field(line.to_string().as_bytes());
            out.push_field(reason.as_bytes());
            writer.write_byte_record(&out)?;
        }
        writer.flush()?;
        drop(writer);
        // left 0600 as made: the rows hold people's e-mail addresses
        temp.as_file().sync_all()?;
        Ok(())
    })();
    written.with_context(|| format!("cannot write the rejects file {}", target.display()))?;
    Ok(temp)
}

/// Moves a staged rejects file into place and returns where the rows are. The import has
/// committed by now: when the rename fails, the file is kept where it is, and the warning
/// says so.
pub fn place_rejects(staged: tempfile::NamedTempFile, target: &Path) -> (PathBuf, Option<String>) {
    match staged.persist(target) {
        Ok(_) => (target.to_path_buf(), None),
        Err(err) => match err.file.keep() {
            Ok((_, kept)) => {
                let warning = format!(
                    "cannot move the rejected rows into {} ({}); they are in {}",
                    target.display(),
                    err.error,
                    kept.display()
                );
                (kept, Some(warning))
            }
            Err(keep) => (target.to_path_buf(), Some(format!("cannot keep the rejected rows: {keep}"))),
        },
    }
}

fn csv_error(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => err.to_string(),
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
