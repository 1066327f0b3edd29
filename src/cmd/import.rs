//! `ctodb import csv` and `ctodb import github` (SPEC §9): one transaction that writes
//! every good row or nothing, an import_logs row that says how it went (written on its
//! own connection, so that a failed import is recorded too) and an audit_log row.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use uuid::Uuid;

use super::import_log::Log;
use super::{Context, Outcome};
use crate::cli::{ImportCommand, ImportCsvArgs, ImportGithubArgs};
use crate::db::{self, Db, DbError};
use crate::frame::{Column, Frame, Kind, Report, Value};
use crate::import::fields::ImportKind;
use crate::import::read::CsvOptions;
use crate::import::{self, github, CsvImport, Summary};
use crate::model::ImportSource;
use crate::queries::resolve_user;
use crate::{sql, ui};

pub async fn run(ctx: &Context, command: ImportCommand) -> Result<Outcome> {
    match command {
        ImportCommand::Csv(args) => csv(ctx, args).await,
        ImportCommand::Github(args) => github(ctx, args).await,
        ImportCommand::Undo(args) => super::import_undo::run(ctx, args).await,
    }
}

/// The file to read: a path, or standard input spooled to a temporary file (read twice
/// when rejects are written, and again if a transient failure retries the import).
fn input(file: &Path) -> Result<(PathBuf, String, Option<tempfile::NamedTempFile>)> {
    if file != Path::new("-") {
        if file.is_dir() {
            bail!("{} is a folder; name the CSV file in it", file.display());
        }
        if !file.is_file() {
            bail!("{}: no such file", file.display());
        }
        return Ok((file.to_path_buf(), file.display().to_string(), None));
    }
    let mut spool =
        tempfile::NamedTempFile::new().context("cannot create a temporary file for standard input")?;
    std::io::copy(&mut std::io::stdin().lock(), spool.as_file_mut()).context("cannot read standard input")?;
    Ok((spool.path().to_path_buf(), "standard input".to_string(), Some(spool)))
}

async fn csv(ctx: &Context, args: ImportCsvArgs) -> Result<Outcome> {
    let (path, display, _spool) = input(&args.file)?;
    let import = CsvImport {
        path: &path,
        display: &display,
        kind: args.kind,
        options: CsvOptions { delimiter: args.delimiter, ignore_unknown: args.ignore_unknown },
        skip_invalid: args.skip_invalid,
        dry_run: args.dry_run,
    };
    let db = ctx.connect().await?;
    let actor = actor(&db, args.actor.as_deref()).await?;
    let target = file_name(&args.file);
    let log = if args.dry_run {
        None
    } else {
        Some(Log::start(&db, ImportSource::Csv, &target, Some(args.kind), actor).await?)
    };
    let rejects = rejects_path(&args.file);
    let outcome = write_csv(&db, &import, &args, actor, log.as_ref(), &rejects).await;
    let (summary, staged) = match outcome {
        Ok(written) => written,
        Err(err) => {
            if let Some(log) = log {
                log.fail(&db, &err).await;
            }
            return Err(err);
        }
    };
    report_notes(&summary);
    let failed = !summary.problems.is_empty() && !args.skip_invalid;
    if let Some(log) = log {
        if failed {
            log.refuse(&db, &summary).await?;
        } else {
            log.close().await;
        }
    }
    if failed {
        return Err(all_or_nothing(&display, &summary));
    }
    let line = summary_line(&args, &display, &summary);
    if !args.dry_run {
        super::committed(&line);
        crate::fault::pause_point("import:committed").await;
    }
    let rejects = match staged {
        Some(staged) => {
            let (placed, warning) = import::place_rejects(staged, &rejects);
            warning.iter().for_each(|warning| ui::warn(warning));
            placed
        }
        None => rejects,
    };
    if !args.dry_run && args.kind == ImportKind::Bugs && summary.counts.inserted + summary.counts.updated > 0
    {
        refresh_search_words(&db).await?;
    }
    warn_rejected(&summary, &display, args.dry_run, &rejects);
    super::report_committed(&line);
    if !args.dry_run && args.kind == ImportKind::Bugs && summary.counts.inserted + summary.counts.updated > 0
    {
        ui::info("priorities and SLA roll-ups of the changed bugs follow at the next `ctodb refresh`");
    }
    let frame = if args.dry_run {
        changes_frame(&summary)
    } else {
        result_frame(&target, args.kind.table(), args.dry_run, &summary)
    };
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// The import in one transaction, once (`db::once`): the summary, and the rejects file of
/// the attempt that committed, written before its COMMIT and not placed yet.
async fn write_csv(
    db: &Db,
    import: &CsvImport<'_>,
    args: &ImportCsvArgs,
    actor: Option<Uuid>,
    log: Option<&Log>,
    rejects: &Path,
) -> Result<(Summary, Option<tempfile::NamedTempFile>)> {
    let staged_rejects = std::sync::Mutex::new(None);
    let run = db::Run::new("import csv");
    let summary = db::once(db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        if let Some(log) = &log {
            db::query(&tx, &sql::IMPORT_SET_RUN, &[&log.id.to_string()]).await?;
        }
        let summary = import::csv(&tx, import).await?;
        let write = !args.dry_run && (summary.problems.is_empty() || args.skip_invalid);
        if !write {
            tx.rollback().await.map_err(|err| DbError::query("import csv/rollback", err))?;
            return Ok(summary);
        }
        if !summary.problems.is_empty() {
            let staged = import::stage_rejects(import, &summary.problems, rejects)?;
            *staged_rejects.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(staged);
        }
        if let Some(log) = &log {
            log.succeed_in(&tx, &summary).await?;
        }
        crate::fault::pause_point("import:merged").await;
        run.commit(tx, &summary).await?;
        Ok(summary)
    })
    .await?;
    let staged = staged_rejects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    Ok((summary, staged))
}

/// What a CSV import wrote (or would write).
fn summary_line(args: &ImportCsvArgs, display: &str, summary: &import::Summary) -> String {
    let verb = if args.dry_run { "would import" } else { "imported" };
    format!(
        "{verb} {display} into {}: {} inserted, {} updated, {} unchanged, {} rejected",
        args.kind.table(),
        summary.counts.inserted,
        summary.counts.updated,
        summary.counts.unchanged,
        summary.rejected()
    )
}

/// Each skipped row's problem, and where the rejected rows are.
fn warn_rejected(summary: &import::Summary, display: &str, dry_run: bool, rejects: &std::path::Path) {
    if summary.rejected() == 0 {
        return;
    }
    let listed = summary.problems.listed.iter().map(|p| p.describe(display));
    listed.for_each(|line| ui::warn(&line));
    if dry_run {
        ui::warn(&format!("{} invalid and would be skipped", plural(summary.rejected(), "row is")));
    } else {
        ui::warn(&format!(
            "skipped {} invalid {}; they are in {} with their line and reason",
            summary.rejected(),
            if summary.rejected() == 1 { "row" } else { "rows" },
            rejects.display()
        ));
    }
}

async fn github(ctx: &Context, args: ImportGithubArgs) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let actor = actor(&db, args.actor.as_deref()).await?;
    let labels = github::SeverityLabels::parse(args.severity_labels.as_deref())?;
    let mut files: Vec<&Path> = vec![args.repos.as_path()];
    files.extend(args.issues.iter().map(PathBuf::as_path));
    for file in &files {
        if !file.is_file() {
            bail!("{}: no such file", file.display());
        }
    }
    let target = files.iter().map(|f| file_name(f)).collect::<Vec<_>>().join(", ");
    let log = if args.dry_run {
        None
    } else {
        Some(Log::start(&db, ImportSource::Github, &target, None, actor).await?)
    };
    let run = db::Run::new("import github");
    let outcome = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        if let Some(log) = &log {
            db::query(&tx, &sql::IMPORT_SET_RUN, &[&log.id.to_string()]).await?;
        }
        let summaries = github::import(&tx, &args.repos, &args.issues, &labels, args.dry_run).await?;
        match &log {
            None => tx.rollback().await.map_err(|err| DbError::query("import github/rollback", err))?,
            Some(log) => {
                log.succeed_in(&tx, &total(&summaries)).await?;
                run.commit(tx, &summaries).await?;
            }
        }
        Ok(summaries)
    })
    .await;
    let summaries = match outcome {
        Ok(summaries) => summaries,
        Err(err) => {
            if let Some(log) = log {
                log.fail(&db, &err).await;
            }
            return Err(err);
        }
    };
    let verb = if args.dry_run { "would import" } else { "imported" };
    let lines: Vec<String> = [("projects", &summaries.projects), ("bugs", &summaries.bugs)]
        .iter()
        .map(|(table, summary)| {
            format!(
                "{verb} {table} from GitHub: {} inserted, {} updated, {} unchanged",
                summary.counts.inserted, summary.counts.updated, summary.counts.unchanged
            )
        })
        .collect();
    let line = lines.join("\n");
    if let Some(log) = log {
        super::committed(&line);
        log.close().await;
    }
    if !args.dry_run && summaries.bugs.counts.inserted + summaries.bugs.counts.updated > 0 {
        refresh_search_words(&db).await?;
    }
    for note in &summaries.notes {
        ui::info(note);
    }
    super::report_committed(&line);
    let mut report = Report::default();
    report.push(result_frame(&file_name(&args.repos), "projects", args.dry_run, &summaries.projects));
    let issues = args.issues.iter().map(|f| file_name(f)).collect::<Vec<_>>().join(", ");
    report.push(result_frame(&issues, "bugs", args.dry_run, &summaries.bugs));
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}

/// The figures of both tables of a GitHub import, for its log row.
fn total(summaries: &github::GithubSummary) -> Summary {
    let mut total = Summary::default();
    for summary in [&summaries.projects, &summaries.bugs] {
        total.total += summary.total;
        total.counts.inserted += summary.counts.inserted;
        total.counts.updated += summary.counts.updated;
        total.counts.unchanged += summary.counts.unchanged;
        total.read_ms += summary.read_ms;
        total.merge_ms += summary.merge_ms;
    }
    total
}

/// The person behind the import: --as or CTODB_USER.
async fn actor(db: &Db, email: Option<&str>) -> Result<Option<Uuid>> {
    let Some(email) = email else { return Ok(None) };
    db::with_retry("import", || async {
        let client = db.client().await?;
        Ok(Some(resolve_user(&**client, email).await?))
    })
    .await
}

fn file_name(file: &Path) -> String {
    if file == Path::new("-") {
        "standard input".to_string()
    } else {
        file.display().to_string()
    }
}

/// FILE.rejects.csv beside the file; for standard input, in the working directory.
fn rejects_path(file: &Path) -> PathBuf {
    if file == Path::new("-") {
        return PathBuf::from("stdin.rejects.csv");
    }
    let mut name = file.as_os_str().to_owned();
    name.push(".rejects.csv");
    PathBuf::from(name)
}

/// The one error of an import that wrote nothing because of bad rows: every listed
/// problem on stderr first, then one sentence.
fn all_or_nothing(file: &str, summary: &Summary) -> anyhow::Error {
    let problems = &summary.problems;
    let rows = problems.lines.len();
    if problems.count == 1 {
        if let Some(only) = problems.listed.first() {
            return anyhow!("{}; nothing was imported", only.describe(file));
        }
    }
    for problem in &problems.listed {
        eprintln!("{}", problem.describe(file));
    }
    if problems.count > problems.listed.len() as u64 {
        eprintln!("… and {} more problems", problems.count - problems.listed.len() as u64);
    }
    let good = summary.total.saturating_sub(rows as u64);
    anyhow!(
        "{file}: {rows} of {} rows are invalid ({} problems, listed above); nothing was imported. Fix them, \
         or add --skip-invalid to import the {} and get the bad ones in a rejects file",
        summary.total,
        problems.count,
        plural(good, "good row")
    )
}

/// `1 good row`, `2 good rows`; `1 row is`, `2 rows are`.
fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        return format!("1 {one}");
    }
    match one.strip_suffix(" is") {
        Some(noun) => format!("{n} {noun}s are"),
        None => format!("{n} {one}s"),
    }
}

fn report_notes(summary: &Summary) {
    if !summary.computed.is_empty() {
        ui::info(&format!("note: ignored the computed columns {}", summary.computed.join(", ")));
    }
    if !summary.ignored.is_empty() {
        ui::warn(&format!("ignored the unknown columns {} (--ignore-unknown)", summary.ignored.join(", ")));
    }
}

async fn refresh_search_words(db: &Db) -> Result<()> {
    db::with_retry("search words", || async {
        let client = db.client().await?;
        db::execute(&**client, &sql::SEARCH_REFRESH_WORDS, &[]).await?;
        Ok(())
    })
    .await
}

/// The result on stdout: what the import did (or would do).
/// What a dry run would change: a line a row inserted, a line a field updated.
fn changes_frame(summary: &Summary) -> Frame {
    let text = |name: &str| Column::new(name, Kind::Text);
    let mut frame = Frame::new(
        "changes",
        vec![
            Column::new("line", Kind::Id),
            text("action"),
            text("row"),
            text("field"),
            text("old"),
            text("new"),
        ],
    )
    .when_empty("nothing would change");
    let optional = |value: &Option<String>| value.clone().map_or(Value::Null, Value::Text);
    for change in &summary.changes {
        frame.push(vec![
            Value::Int(change.line),
            Value::Text(change.action.clone()),
            Value::Text(change.row.clone()),
            optional(&change.field),
            optional(&change.old),
            optional(&change.new),
        ]);
    }
    frame
}

fn result_frame(file: &str, table: &str, dry_run: bool, summary: &Summary) -> Frame {
    let count = |name: &str| Column::new(name, Kind::Int);
    let mut frame = Frame::new(
        "import",
        vec![
            Column::new("file", Kind::Text),
            Column::new("table", Kind::Text),
            Column::new("dry_run", Kind::Bool),
            count("rows"),
            count("inserted"),
            count("updated"),
            count("unchanged"),
            count("rejected"),
        ],
    );
    let n = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
    frame.push(vec![
        Value::from(file),
        Value::from(table),
        Value::Bool(dry_run),
        n(summary.total),
        n(summary.counts.inserted),
        n(summary.counts.updated),
        n(summary.counts.unchanged),
        n(summary.rejected()),
    ]);
    frame
}
