//! `ctodb export`'s engine: every table read from one REPEATABLE READ, READ ONLY database
//! snapshot with `COPY … TO STDOUT (FORMAT binary)`, decoded into Arrow record batches of
//! bounded size (`decode`) and written as Parquet on a second thread (`writer`), into a
//! dot-prefixed temporary folder that is renamed into place only when complete, with a
//! manifest (`manifest`) that names every file's rows, bytes, sha-256 and schema.

pub mod columns;
pub mod decode;
pub mod manifest;
pub mod place;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use arrow_schema::Schema;
use chrono::{DateTime, Datelike, Utc};
use futures_util::StreamExt;
use tokio_postgres::{Client, Transaction};

use crate::db::{self, DbError};
use crate::frame::Frame;
use crate::sql;
use crate::ui;
use columns::ExportColumn;
pub use columns::UuidEncoding;
use decode::CopyDecoder;
use manifest::{FileEntry, Manifest};
use writer::{write_parquet, Codec, Written};

/// ctodb's nine tables, in the order they are exported.
pub const TABLES: [&str; 9] = [
    "users",
    "projects",
    "bugs",
    "project_metrics",
    "monthly_metrics",
    "portfolio_metrics",
    "bug_history",
    "import_logs",
    "audit_log",
];

/// Rows per record batch: 64k rows of the widest table (bugs) are about 30 MB decoded.
const BATCH_ROWS: usize = 64 * 1024;
/// Batches waiting for the writer: decoding runs ahead of encoding by at most this many.
const QUEUED_BATCHES: usize = 2;

/// What to export and where.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub dir: PathBuf,
    pub id: String,
    pub tables: Vec<&'static str>,
    /// the report frames written beside the tables (`--reports`)
    pub reports: Vec<&'static str>,
    pub uuid: UuidEncoding,
    pub codec: Codec,
    pub force: bool,
    /// an existing snapshot of the ID is kept, and the export ends without writing
    pub if_missing: bool,
    pub as_of: DateTime<Utc>,
    /// `user@host/database`, never a password
    pub database: String,
}

/// The default snapshot ID: the ISO week (`2026-W48`) of the as-of instant in the
/// machine's local time zone (`TZ`), so that a Monday-morning job anywhere names the week
/// that Monday begins (in UTC, a job at 06:00 east of UTC+6 would name the week before).
pub fn week_id(as_of: DateTime<Utc>) -> String {
    week_id_in(as_of, &chrono::Local)
}

/// `week_id` in a given zone.
fn week_id_in<Z: chrono::TimeZone>(as_of: DateTime<Utc>, zone: &Z) -> String {
    let week = as_of.with_timezone(zone).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// A snapshot ID becomes a folder name: letters, digits, `-`, `_` and `.` only.
pub fn check_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(format!("{id:?} cannot name a snapshot folder: use letters, digits, -, _ and . (e.g. 2026-W48)"))
    }
}

/// The report frames of `--reports`: `all` (the default), `none`, or names among
/// `known` (the frames the reports store), in the order given.
pub fn reports(asked: &[String], known: &[&'static str]) -> Result<Vec<&'static str>, String> {
    if asked.is_empty() || asked.iter().any(|name| name == "all") {
        return Ok(known.to_vec());
    }
    if asked.iter().all(|name| name == "none") {
        return Ok(Vec::new());
    }
    asked
        .iter()
        .filter(|name| *name != "none")
        .map(|name| {
            known.iter().copied().find(|report| report == name).ok_or_else(|| {
                format!(
                    "--reports: no report {name:?}; the reports are {} (or all, or none)",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// The tables of `--tables`, each one of the nine.
pub fn tables(asked: &[String]) -> Result<Vec<&'static str>, String> {
    if asked.is_empty() {
        return Ok(TABLES.to_vec());
    }
    asked
        .iter()
        .map(|name| {
            TABLES
                .iter()
                .copied()
                .find(|table| table == name)
                .ok_or_else(|| format!("--tables: no table {name:?}; the tables are {}", TABLES.join(", ")))
        })
        .collect()
}

/// The folder of a finished snapshot.
pub fn snapshot_folder(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("snapshot={id}"))
}

/// What `prepare` found.
pub enum Prepared {
    /// the export may run; it holds the ID's lock
    Go(place::IdLock),
    /// the snapshot exists and `--if-missing` keeps it
    Exists,
}

/// What an export did.
pub enum Exported {
    Written(Manifest),
    /// the snapshot appeared while the export ran, and `--if-missing` kept it
    KeptExisting,
}

/// Checks the destination before any query runs and takes the snapshot ID's lock, held
/// until the export ends: DIR can be created and written, no other export writes the ID,
/// and the snapshot does not exist yet (or may be replaced, or is kept with
/// `--if-missing`; checked again at the swap). What dead exports left in DIR is removed.
pub fn prepare(plan: &ExportPlan) -> Result<Prepared> {
    std::fs::create_dir_all(&plan.dir)
        .with_context(|| format!("cannot create the export folder {}", plan.dir.display()))?;
    tempfile::Builder::new()
        .prefix(".ctodb-write-test-")
        .tempfile_in(&plan.dir)
        .with_context(|| format!("cannot write into the export folder {}", plan.dir.display()))?;
    let lock = place::IdLock::acquire(&plan.dir, &plan.id)?;
    let final_folder = snapshot_folder(&plan.dir, &plan.id);
    if final_folder.exists() && plan.if_missing {
        return Ok(Prepared::Exists);
    }
    if final_folder.exists() && !plan.force {
        bail!(
            "{} exists already; pass --force to replace it, or --id to export under another name",
            final_folder.display()
        );
    }
    place::remove_leftovers(&plan.dir, &plan.id);
    Ok(Prepared::Go(lock))
}

/// Where a snapshot's report frames come from: the reports that own them
/// (`report::Stored`), each computed in the export's transaction so that it agrees with
/// the tables beside it.
pub trait ReportFrames {
    /// The frame `name` at `as_of`, named as its file (`report_<name>.parquet`).
    async fn frame(&self, tx: &Transaction<'_>, as_of: DateTime<Utc>, name: &str) -> Result<Frame>;
}

/// Runs the export and returns its manifest. The caller holds the ID's lock (`prepare`).
pub async fn export(
    client: &mut Client,
    setup: &db::ReadSetup,
    plan: &ExportPlan,
    report_frames: &impl ReportFrames,
) -> Result<Exported> {
    let started_at = Utc::now();
    let temp = place::TempFolder::new(&plan.dir, &plan.id)?;
    let tx = db::read_only(client, setup).await?;
    // a hot standby: the position its snapshot was taken at, for the manifest
    let source = db::replica::Standby::read(&tx).await?;
    let mut files = Vec::new();
    for table in &plan.tables {
        let path = temp.path.join(format!("{table}.parquet"));
        let step = std::time::Instant::now();
        let (written, schema) = export_table(&tx, table, &path, plan, setup.past.is_some()).await?;
        ui::verbose(&format!(
            "{table}: {} rows, {:.1} MB in {:.2} s",
            written.rows,
            written.bytes as f64 / 1e6,
            step.elapsed().as_secs_f64()
        ));
        files.push(FileEntry::new(&written, &schema));
        if files.len() == 1 {
            crate::fault::pause_point("export:first-table").await;
        }
    }
    let schema_version: String = db::get(
        &db::query_one(&tx, &sql::EXPORT_SCHEMA_VERSION, &[]).await?,
        sql::EXPORT_SCHEMA_VERSION.name,
        "schema_version",
    )?;
    let step = std::time::Instant::now();
    // one frame at a time, each let go before the next is computed: the open bugs are
    // 435,000 rows at ten million bugs, and held as values, as Arrow and as Parquet at
    // once they took the export past 700 MB
    for name in &plan.reports {
        let frame = report_frames.frame(&tx, plan.as_of, name).await?;
        let path = temp.path.join(format!("report_{}.parquet", frame.name));
        let frame_name = frame.name.clone();
        let (bytes, rows, schema) = crate::output::parquet::frame_bytes(frame)
            .map_err(|err| anyhow!("cannot write the {frame_name} report as Parquet: {err}"))?;
        let written = write_frame_file(&path, &bytes, rows)?;
        files.push(FileEntry::new(&written, &schema));
    }
    ui::verbose(&format!("report frames computed and written in {:.2} s", step.elapsed().as_secs_f64()));
    tx.commit().await.map_err(|err| DbError::query("export/commit", err))?;
    let mut manifest = Manifest::new(plan, &schema_version, &source, (started_at, Utc::now()), files);
    if setup.past.is_some() {
        manifest.document["as_of_state"] =
            serde_json::json!({"reconstructed": db::PAST_RECORDED, "today": db::PAST_TODAY});
    }
    manifest.write(&temp.path)?;
    temp.sync()?;
    crate::fault::point("export:written");
    let target = snapshot_folder(&plan.dir, &plan.id);
    if plan.if_missing && target.exists() {
        return Ok(Exported::KeptExisting);
    }
    place::swap_into_place(&temp.path, &target, plan.force)?;
    Ok(Exported::Written(manifest))
}

/// A report frame's file: written from its encoded bytes, synced and hashed.
pub fn write_frame_file(path: &Path, bytes: &[u8], rows: usize) -> Result<Written> {
    use sha2::Digest;
    std::fs::write(path, bytes)
        .and_then(|_| std::fs::File::open(path)?.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Written {
        path: path.to_path_buf(),
        rows: rows as u64,
        bytes: bytes.len() as u64,
        sha256: writer::hex(&sha2::Sha256::digest(bytes)),
    })
}

/// The COPY of a table's exported columns. The table is found by the search path: public,
/// or at a past instant its view in ctodb_as_of (`db::read_only`); a column the view lacks
/// (a later migration added it) is today's, joined from the table by id. The column
/// names are the catalog's, of ctodb's own tables: quoted, never user text.
async fn copy_statement(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[ExportColumn],
    past: bool,
) -> Result<String> {
    let quote = db::privileges::quote_ident;
    let in_view: Vec<String> = if past {
        db::query(tx, &sql::EXPORT_PAST_COLUMNS, &[&table])
            .await?
            .iter()
            .map(|row| db::get(row, sql::EXPORT_PAST_COLUMNS.name, "name"))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    if !past || columns.iter().all(|c| in_view.contains(&c.name)) {
        let list: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        return Ok(format!("COPY (SELECT {} FROM {table}) TO STDOUT (FORMAT binary)", list.join(", ")));
    }
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("{}.{}", if in_view.contains(&c.name) { "v" } else { "t" }, quote(&c.name)))
        .collect();
    Ok(format!(
        "COPY (SELECT {} FROM {table} v JOIN public.{table} t USING (id)) TO STDOUT (FORMAT binary)",
        list.join(", ")
    ))
}

/// One table into one Parquet file: COPY data decoded here, encoded on a writer thread.
async fn export_table(
    tx: &Transaction<'_>,
    table: &str,
    path: &Path,
    plan: &ExportPlan,
    past: bool,
) -> Result<(Written, Arc<Schema>)> {
    let codec = plan.codec;
    let rows = db::query(tx, &sql::EXPORT_COLUMNS, &[&table]).await?;
    let columns = rows
        .iter()
        .map(|row| ExportColumn::from_catalog(table, row, plan.uuid))
        .collect::<Result<Vec<_>>>()?;
    let schema = Arc::new(Schema::new(columns.iter().map(ExportColumn::field).collect::<Vec<_>>()));
    let estimate: i64 = db::get(
        &db::query_one(tx, &sql::EXPORT_ESTIMATE, &[&table]).await?,
        sql::EXPORT_ESTIMATE.name,
        "estimate",
    )?;
    let progress = ui::progress(estimate.max(0) as u64, table);

    let plain: Vec<String> = columns.iter().filter(|c| c.mostly_distinct()).map(|c| c.name.clone()).collect();
    let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUED_BATCHES);
    let writer = {
        let (path, schema) = (path.to_path_buf(), schema.clone());
        std::thread::spawn(move || write_parquet(&path, schema, receiver, codec, &plain))
    };
    let copy = copy_statement(tx, table, &columns, past).await?;
    let helper = format!("export/{table}");
    let decoded = async {
        let stream = tx.copy_out(copy.as_str()).await.map_err(|err| DbError::query(&helper, err))?;
        let mut stream = Box::pin(stream);
        let mut decoder = CopyDecoder::new(table, columns, schema.clone(), BATCH_ROWS)?;
        let (started, mut received) = (std::time::Instant::now(), 0usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| DbError::query(&helper, err))?;
            received += chunk.len();
            for batch in decoder.push(&chunk)? {
                progress.inc(batch.num_rows() as u64);
                let seconds = started.elapsed().as_secs_f64().max(1e-3);
                progress.set_message(format!("{:.1} MB/s ", received as f64 / 1e6 / seconds));
                // the writer stopped (a write failed): its error is reported below
                if tokio::task::block_in_place(|| sender.send(batch)).is_err() {
                    return Ok(());
                }
            }
        }
        if let Some(batch) = decoder.finish()? {
            progress.inc(batch.num_rows() as u64);
            let _ = tokio::task::block_in_place(|| sender.send(batch));
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    drop(sender);
    let written = tokio::task::block_in_place(|| writer.join())
        .map_err(|_| anyhow!("the Parquet writer of {table} failed"));
    progress.finish_and_clear();
    decoded?;
    Ok((written??, schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_id_is_the_iso_week() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(week_id_in(at("2026-11-25T12:00:00Z"), &Utc), "2026-W48");
        // 2027-01-01 is a Friday: it belongs to the last ISO week of 2026
        assert_eq!(week_id_in(at("2027-01-01T00:00:00Z"), &Utc), "2026-W53");
        assert_eq!(week_id_in(at("2026-01-01T00:00:00Z"), &Utc), "2026-W01");
        // Monday 2026-11-30 07:00 in Tokyo is still Sunday in UTC
        let tokyo = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!(week_id_in(at("2026-11-29T22:00:00Z"), &tokyo), "2026-W49");
        assert_eq!(week_id_in(at("2026-11-29T22:00:00Z"), &Utc), "2026-W48");
    }

    #[test]
    fn ids_and_tables_are_checked() {
        assert!(check_id("2026-W48").is_ok());
        assert!(check_id("../etc").is_err());
        assert!(check_id(".hidden").is_err());
        assert!(check_id("").is_err());
        assert_eq!(tables(&["bugs".into(), "users".into()]), Ok(vec!["bugs", "users"]));
        assert_eq!(
            tables(&["bug".into()]).unwrap_err(),
            "--tables: no table \"bug\"; the tables are users, projects, bugs, project_metrics, monthly_metrics, portfolio_metrics, bug_history, import_logs, audit_log"
        );
    }
}
