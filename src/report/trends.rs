//! `report trends`: monthly trends of one project or the whole portfolio (opened,
//! resolved, resolution rate, MTTR, cost), each with its change and rolling mean, and the
//! bug inflow's slope; `--chart` draws opened and resolved bugs with MTTR. A snapshot
//! keeps the whole portfolio over the default 12 months.

use std::path::PathBuf;

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{At, FromSnapshot, Unit};
use crate::analytics::trends;
use crate::frame::{Frame, Report, Style, Value};
use crate::output::{chart, computed};
use crate::queries::inputs;
use crate::snapshot::select::value;
use crate::snapshot::Snapshot;
use crate::sql;

/// The months a snapshot keeps (and the default of --months).
pub const STORED_MONTHS: u32 = 12;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// project name or id [default: the whole portfolio]
    #[arg(long)]
    pub project: Option<String>,
    /// how many months up to --as-of
    #[arg(long, default_value_t = STORED_MONTHS, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub months: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
    /// Also draw bugs opened and resolved by month, with MTTR, into FILE.svg or FILE.png
    #[arg(long, value_name = "FILE", value_parser = super::chart_path)]
    pub chart: Option<PathBuf>,
}

pub struct Trends;

impl Unit for Trends {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        let (id, title) = super::project_or_portfolio(client, args.project.as_deref()).await?;
        let monthly = months(client, id, at.as_of, args.months).await?;
        present(args, monthly, &title, at)
    }

    fn from_snapshot(args: &Args, snapshot: &Snapshot, at: &At) -> Result<Report> {
        if args.project.is_some() || args.months != STORED_MONTHS {
            bail!("a snapshot keeps the trends of the whole portfolio over 12 months; drop --project and --months, or ask the database");
        }
        present(args, snapshot.stored("trends", "trends")?, "Portfolio", at)
    }
}

fn present(args: &Args, monthly: Frame, title: &str, at: &At) -> Result<Report> {
    if let Some(path) = &args.chart {
        chart::write(&chart::trends(&monthly, title).svg(), path)?;
    }
    let lines = at.sparklines.then(|| computed::sparklines(&monthly));
    let inflow = inflow(&monthly);
    let mut report = Report::single(
        monthly
            .titled(format!("{title}: trends over {} months", args.months))
            .when_empty("no months in the window"),
    );
    if let Some(lines) = lines {
        report.push(lines.titled("At a glance"));
    }
    report.push(inflow.titled("Bug inflow").styled(Style::Record));
    Ok(report)
}

/// The trends of `months` months up to `as_of`, of a project or (None) the portfolio.
pub async fn months(
    client: &(impl GenericClient + Sync),
    project: Option<Uuid>,
    as_of: DateTime<Utc>,
    months: u32,
) -> Result<Frame> {
    let months = months as i32;
    let rows = crate::db::query(client, &sql::TRENDS_INPUTS, &[&project, &as_of, &months]).await?;
    Ok(computed::trends(&trends::monthly_trends(&inputs::months(&rows, &sql::TRENDS_INPUTS)?)))
}

/// The portfolio's trends over the months a snapshot keeps.
pub async fn portfolio_months(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    months(client, None, as_of, STORED_MONTHS).await
}

/// The slope of bugs opened per month over the trends' months.
fn inflow(monthly: &Frame) -> Frame {
    let opened: Vec<i64> = monthly
        .rows
        .iter()
        .map(|row| match value(monthly, row, "bugs_opened") {
            Value::Int(n) => *n,
            _ => 0,
        })
        .collect();
    computed::inflow(opened.len(), trends::inflow_slope(&opened))
}
