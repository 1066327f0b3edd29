//! `ctodb import csv` and `ctodb import github` (SPEC §9): one transaction that writes
//! every good row or nothing, an import_logs row that says how it went (written on its
//! own connection, so that a failed import is recorded too) and an audit_log row.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::json;
use uuid::Uuid;

use super::{Context, Outcome};
use crate::cli::{ImportCommand, ImportCsvArgs, ImportGithubArgs};
use crate::db::{self, Db, DbError};
use crate::import::fields::ImportKind;
use crate::import::read::CsvOptions;
use crate::import::{self, github, CsvImport, Summary};
use crate::model::ImportSource;
use crate::output::{Column, Frame, Kind, Report, Value};
use crate::queries::resolve_user;
use crate::{sql, ui};

pub async fn run(ctx: &Context, command: ImportCommand) -> Result<Outcome> {
    match command {
        ImportCommand::Csv(args) => csv(ctx, args).await,
        ImportCommand::Github(args) => github(ctx, args).await,
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
    let outcome = db::with_retry("import csv", || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = client.transaction().await.map_err(|err| DbError::query("import/begin", err))?;
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        let summary = import::csv(&tx, &import).await?;
        let write = !args.dry_run && (summary.problems.is_empty() || args.skip_invalid);
        if write {
            tx.commit().await.map_err(|err| DbError::query("import/commit", err))?;
        } else {
            tx.rollback().await.map_err(|err| DbError::query("import/rollback", err))?;
        }
        Ok(summary)
    })
    .await;
    let summary = match outcome {
        Ok(summary) => summary,
        Err(err) => {
            if let Some(log) = log {
                log.fail(&db, actor, &err).await;
            }
            return Err(err);
        }
    };
    let rejects = rejects_path(&args.file);
    if args.skip_invalid && !summary.problems.is_empty() && !args.dry_run {
        import::write_rejects(&import, &summary.problems, &rejects)?;
    }
    report_notes(&summary);
    let failed = !summary.problems.is_empty() && !args.skip_invalid;
    if let Some(log) = log {
        log.finish(&db, actor, &summary, failed).await?;
    }
    if failed {
        return Err(all_or_nothing(&display, &summary));
    }
    if !args.dry_run && args.kind == ImportKind::Bugs && summary.counts.inserted + summary.counts.updated > 0
    {
        refresh_search_words(&db).await?;
    }
    if summary.rejected() > 0 {
        let listed = summary.problems.listed.iter().map(|p| p.describe(&display));
        listed.for_each(|line| ui::warn(&line));
        if args.dry_run {
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
    let verb = if args.dry_run { "would import" } else { "imported" };
    ui::info(&format!(
        "{verb} {display} into {}: {} inserted, {} updated, {} unchanged, {} rejected",
        args.kind.table(),
        summary.counts.inserted,
        summary.counts.updated,
        summary.counts.unchanged,
        summary.rejected()
    ));
    if !args.dry_run && args.kind == ImportKind::Bugs && summary.counts.inserted + summary.counts.updated > 0
    {
        ui::info("priorities and SLA roll-ups of the changed bugs follow at the next `ctodb refresh`");
    }
    ctx.output.emit(&Report::single(result_frame(&target, args.kind.table(), args.dry_run, &summary)))?;
    Ok(Outcome::Success)
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
    let outcome = db::with_retry("import github", || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = client.transaction().await.map_err(|err| DbError::query("import/begin", err))?;
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        let summaries = github::import(&tx, &args.repos, &args.issues, &labels, args.dry_run).await?;
        if args.dry_run {
            tx.rollback().await.map_err(|err| DbError::query("import/rollback", err))?;
        } else {
            tx.commit().await.map_err(|err| DbError::query("import/commit", err))?;
        }
        Ok(summaries)
    })
    .await;
    let summaries = match outcome {
        Ok(summaries) => summaries,
        Err(err) => {
            if let Some(log) = log {
                log.fail(&db, actor, &err).await;
            }
            return Err(err);
        }
    };
    let mut total = Summary::default();
    for summary in [&summaries.projects, &summaries.bugs] {
        total.total += summary.total;
        total.counts.inserted += summary.counts.inserted;
        total.counts.updated += summary.counts.updated;
        total.counts.unchanged += summary.counts.unchanged;
        total.read_ms += summary.read_ms;
        total.merge_ms += summary.merge_ms;
    }
    if let Some(log) = log {
        log.finish(&db, actor, &total, false).await?;
    }
    if !args.dry_run && summaries.bugs.counts.inserted + summaries.bugs.counts.updated > 0 {
        refresh_search_words(&db).await?;
    }
    for note in &summaries.notes {
        ui::info(note);
    }
    let verb = if args.dry_run { "would import" } else { "imported" };
    for (table, summary) in [("projects", &summaries.projects), ("bugs", &summaries.bugs)] {
        ui::info(&format!(
            "{verb} {table} from GitHub: {} inserted, {} updated, {} unchanged",
            summary.counts.inserted, summary.counts.updated, summary.counts.unchanged
        ));
    }
    let mut report = Report::default();
    report.push(result_frame(&file_name(&args.repos), "projects", args.dry_run, &summaries.projects));
    let issues = args.issues.iter().map(|f| file_name(f)).collect::<Vec<_>>().join(", ");
    report.push(result_frame(&issues, "bugs", args.dry_run, &summaries.bugs));
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
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

/// The import_logs row of one run.
struct Log {
    id: Uuid,
}

/// The log row of the import under way, which an interrupt (SIGINT, SIGTERM) marks
/// failed: the import's own transaction dies with its connection, its record should not
/// stay "running".
static RUNNING: std::sync::Mutex<Option<(Db, Uuid, Option<Uuid>)>> = std::sync::Mutex::new(None);

/// Called once the command was stopped by `signal` (see `main`).
pub async fn interrupted(signal: &str) {
    let running = RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    if let Some((db, id, actor)) = running {
        match db.reopen().await {
            Ok(fresh) => Log { id }.fail(&fresh, actor, &anyhow!("interrupted ({signal})")).await,
            Err(err) => ui::warn(&format!("could not record the interrupted import in import_logs: {err}")),
        }
    }
}

impl Log {
    async fn start(
        db: &Db,
        source: ImportSource,
        target: &str,
        kind: Option<ImportKind>,
        actor: Option<Uuid>,
    ) -> Result<Log> {
        let kind = kind.map(ImportKind::table);
        let row = db::with_retry("import log", || async {
            let client = db.client().await?;
            Ok(db::query_one(&**client, &sql::IMPORT_LOG_START, &[&source, &target, &kind, &actor]).await?)
        })
        .await?;
        let id = db::get(&row, sql::IMPORT_LOG_START.name, "id")?;
        *RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((db.clone(), id, actor));
        Ok(Log { id })
    }

    async fn finish(&self, db: &Db, actor: Option<Uuid>, summary: &Summary, failed: bool) -> Result<()> {
        RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let status = match (failed, summary.rejected()) {
            (true, _) => "failed",
            (false, 0) => "succeeded",
            (false, _) => "partial",
        };
        let errors: Vec<serde_json::Value> = summary.problems.listed.iter().map(|p| p.to_json()).collect();
        let timings = json!({
            "read_ms": summary.read_ms,
            "merge_ms": summary.merge_ms,
            "total_ms": summary.read_ms + summary.merge_ms,
        });
        let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        let (inserted, updated, unchanged) = if failed {
            (0, 0, 0)
        } else {
            (int(summary.counts.inserted), int(summary.counts.updated), int(summary.counts.unchanged))
        };
        let errors = serde_json::Value::Array(errors);
        let (total, rejected) = (int(summary.total), int(summary.rejected()));
        db::with_retry("import log", || async {
            let client = db.client().await?;
            db::execute(
                &**client,
                &sql::IMPORT_LOG_FINISH,
                &[&self.id, &status, &total, &inserted, &updated, &unchanged, &rejected, &errors, &timings],
            )
            .await?;
            let changes = json!({
                "status": status,
                "rows": summary.total,
                "inserted": inserted,
                "updated": updated,
                "unchanged": unchanged,
                "failed": summary.rejected(),
            });
            db::audit(&**client, actor, "import", "import_log", Some(&self.id.to_string()), &changes).await?;
            Ok(())
        })
        .await
    }

    /// Records a run that stopped on an error; a failure to record it is a warning, the
    /// import's own error being the one to report.
    async fn fail(self, db: &Db, actor: Option<Uuid>, err: &anyhow::Error) {
        let mut summary = Summary::default();
        let message = ui::redact(&format!("{err:#}"));
        summary.problems.listed.push(import::Problem { line: 0, column: None, message });
        let result = self.finish(db, actor, &summary, true).await;
        if let Err(log_err) = result {
            ui::warn(&format!("could not record the failed import in import_logs: {log_err:#}"));
        }
    }
}
