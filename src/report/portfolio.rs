//! `report portfolio`: the overview (projects, money, open, critical and breached bugs),
//! the best projects by ROI and the most urgent open bugs; `--chart` draws the portfolio's
//! valuation and ARR over time. From a snapshot: its stored overview, the same top lists
//! chosen from its stored projects and open bugs, the chart from its portfolio_metrics.

use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{At, FromSnapshot, Unit};
use crate::frame::{Frame, Report, Style, Value};
use crate::output::chart;
use crate::queries::fetch_frame;
use crate::snapshot::select::{compare, select, value};
use crate::snapshot::Snapshot;
use crate::sql;

/// How many projects and bugs the top lists show (projects/top_by_roi.sql's $1,
/// bugs/top_by_priority.sql's $2, and the same lists from a snapshot).
pub const TOP: i64 = 5;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub from: FromSnapshot,
    /// Also draw the portfolio's valuation and ARR over time into FILE.svg or FILE.png
    #[arg(long, value_name = "FILE", value_parser = super::chart_path)]
    pub chart: Option<PathBuf>,
}

pub struct Portfolio;

impl Unit for Portfolio {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        if let Some(path) = &args.chart {
            chart::write(&chart::history(&history(client, at.as_of).await?).svg(), path)?;
        }
        let overview = overview(client, at.as_of).await?;
        let top = fetch_frame(client, &sql::TOP_PROJECTS_BY_ROI, &[&TOP], "top_projects").await?;
        Ok(present(overview, top, top_bugs(client, at.as_of).await?))
    }

    fn from_snapshot(args: &Args, snapshot: &Snapshot, _: &At) -> Result<Report> {
        if let Some(path) = &args.chart {
            chart::write(&chart::history(&snapshot.table("portfolio_metrics")?).svg(), path)?;
        }
        let overview = snapshot.stored("portfolio", "overview")?;
        Ok(present(overview, stored_top_projects(snapshot)?, stored_top_bugs(snapshot)?))
    }
}

fn present(overview: Frame, top: Frame, bugs: Frame) -> Report {
    Report {
        frames: vec![
            overview.titled("Portfolio").styled(Style::Record),
            top.titled("Top projects by ROI").when_empty("no scored projects yet (run `ctodb refresh`)"),
            bugs.titled("Top bugs by priority").when_empty("no open bugs"),
        ],
    }
}

/// The overview: one row (projects/portfolio.sql).
pub async fn overview(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    fetch_frame(client, &sql::PORTFOLIO_OVERVIEW, &[&as_of], "overview").await
}

/// The most urgent open bugs (bugs/top_by_priority.sql).
pub async fn top_bugs(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    fetch_frame(client, &sql::TOP_BUGS_BY_PRIORITY, &[&as_of, &TOP], "top_bugs").await
}

/// The portfolio's daily valuation and ARR up to `as_of`, for the chart.
pub async fn history(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    fetch_frame(client, &sql::PORTFOLIO_HISTORY, &[&as_of], "history").await
}

/// The best projects by ROI among a snapshot's stored projects, as
/// projects/top_by_roi.sql chooses them: scored ones, best first, then by name.
fn stored_top_projects(snapshot: &Snapshot) -> Result<Frame> {
    let projects = snapshot.stored("projects", "top_projects")?;
    let mut top = projects.clone();
    top.rows.retain(|row| !matches!(value(&projects, row, "roi_score"), Value::Null));
    top.rows.sort_by(|a, b| {
        compare(value(&projects, a, "roi_score"), value(&projects, b, "roi_score"), true)
            .then_with(|| compare(value(&projects, a, "name"), value(&projects, b, "name"), false))
    });
    top.rows.truncate(TOP as usize);
    Ok(select(&top, &["name", "status", "arr", "dcf_valuation", "roi_score", "health_score"]))
}

/// The most urgent of a snapshot's open bugs: they are stored by priority already.
pub fn stored_top_bugs(snapshot: &Snapshot) -> Result<Frame> {
    let bugs = snapshot.stored("open_bugs", "top_bugs")?;
    let mut urgent = select(&bugs, &["bug", "severity", "priority", "title", "project", "sla_state"]);
    urgent.rows.truncate(TOP as usize);
    Ok(urgent)
}
