//! The reports: one file per report, each a `Unit` that owns its options, reads its
//! frames live (hand-written SQL under `sql/`) and from a snapshot's stored frames, and
//! titles them once for both. `cmd/report.rs` chooses the source and emits; the export
//! stores the frames `STORED` names by asking the report that owns each (`stored_frame`);
//! `weekly` composes the page from other reports.
//!
//! A new report: a file here with its `Args` and its `Unit`, its SQL file, a variant of
//! `cli::ReportCommand` and an arm in `cmd/report.rs`; a report whose frame a snapshot
//! keeps also adds its name to `STORED` and to `stored_frame`.

pub mod aging;
pub mod daily;
pub mod engineering;
pub mod imports;
pub mod listings;
pub mod monthly;
pub mod portfolio;
pub mod sla;
pub mod statistics;
pub mod sync;
pub mod team;
pub mod trends;
pub mod weekly;
pub mod workload;

use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::frame::{Frame, Report};
use crate::snapshot::Snapshot;

/// When a report is read, and how it may be drawn.
#[derive(Debug, Clone, Copy)]
pub struct At {
    /// "now" for every age, SLA and trend: --as-of, the clock, or the snapshot's as-of
    pub as_of: DateTime<Utc>,
    /// a table on a terminal: sparklines may be added
    pub sparklines: bool,
}

/// One report: what it reads live, what it reads from a snapshot, presented alike.
pub trait Unit {
    /// Its options (a clap `Args` struct of the report's file).
    type Args;

    /// The snapshot `--snapshot` names, when the report is to be read from one.
    fn snapshot(args: &Self::Args) -> Option<&str>;

    /// The report from the database: `client` is a read-only transaction.
    async fn live(args: &Self::Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report>;

    /// The report from a snapshot's stored frames, with no database; or an error saying
    /// why this report (or these options) cannot be read from one.
    fn from_snapshot(args: &Self::Args, snapshot: &Snapshot, at: &At) -> Result<Report>;
}

/// `--snapshot`: print from an exported snapshot's stored frames, with no database.
#[derive(Debug, Args, Clone, Default)]
pub struct FromSnapshot {
    /// Print from this snapshot (an ID in CTODB_EXPORT_DIR or reports/, or a snapshot
    /// folder) instead of the database; the numbers are those of its as-of
    #[arg(long, value_name = "ID|PATH")]
    pub snapshot: Option<String>,
}

/// `--limit` and `--page`.
#[derive(Debug, Args, Clone, Copy)]
pub struct Page {
    /// Rows per page [default: 50]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: Option<u32>,
    /// Page number, from 1
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub page: u32,
}

impl Page {
    /// Rows per page: --limit, else 50.
    pub fn rows(&self) -> u32 {
        self.limit.unwrap_or(50)
    }

    /// (limit, offset) of the page, with `rows` rows a page.
    pub fn window(&self, rows: u32) -> (i64, i64) {
        let limit = i64::from(rows);
        (limit, i64::from(self.page - 1) * limit)
    }
}

/// `--chart FILE`: a chart's file must be SVG or PNG.
pub fn chart_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("svg" | "png") => Ok(path),
        _ => Err(format!("{text:?} must end in .svg or .png")),
    }
}

/// The error of a report a snapshot cannot give, saying why.
pub fn not_stored(report: &str, why: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "report {report} cannot be read from a snapshot: {why}; drop --snapshot to ask the database \
         (a snapshot stores the frames of: {})",
        STORED.join(", ")
    )
}

/// The report frames a snapshot may hold (`report_<name>.parquet`), in the order the
/// export writes them.
pub const STORED: [&str; 7] = ["portfolio", "projects", "open_bugs", "sla", "trends", "engineering", "aging"];

/// The stored frame `name` at `as_of`, from the report that owns it, named as its file.
pub async fn stored_frame(
    client: &(impl GenericClient + Sync),
    as_of: DateTime<Utc>,
    name: &str,
) -> Result<Frame> {
    Ok(match name {
        "portfolio" => portfolio::overview(client, as_of).await?,
        "projects" => listings::stored_projects(client, as_of).await?,
        "open_bugs" => listings::stored_open_bugs(client, as_of).await?,
        "sla" => sla::compliance(client, as_of).await?,
        "trends" => trends::portfolio_months(client, as_of).await?,
        "engineering" => engineering::frame(client, as_of, engineering::STORED_MONTHS).await?,
        "aging" => aging::frame(client, as_of).await?,
        other => anyhow::bail!("no report frame {other:?}"),
    }
    .renamed(name))
}

/// The export's source of report frames: the reports that own them.
pub struct Stored;

impl crate::export::ReportFrames for Stored {
    async fn frame(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        as_of: DateTime<Utc>,
        name: &str,
    ) -> Result<Frame> {
        stored_frame(tx, as_of, name).await
    }
}

/// The project named by --project, or the whole portfolio without it: its id and a title.
pub async fn project_or_portfolio(
    client: &(impl GenericClient + Sync),
    project: Option<&str>,
) -> Result<(Option<Uuid>, String)> {
    Ok(match project {
        Some(project) => {
            let (id, name) = crate::queries::resolve_project(client, project).await?;
            (Some(id), name)
        }
        None => (None, "Portfolio".to_string()),
    })
}
