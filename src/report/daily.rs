//! `report daily`: one project's daily metrics over the last N days (metrics/daily.sql).

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{At, FromSnapshot, Unit};
use crate::frame::{Frame, Report};
use crate::queries::{fetch_frame, resolve_project};
use crate::snapshot::Snapshot;
use crate::sql;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// project name or id
    #[arg(long)]
    pub project: String,
    /// how many days up to --as-of
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Daily;

impl Unit for Daily {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        let (id, name) = resolve_project(client, &args.project).await?;
        let frame = metrics(client, id, at.as_of, args.days).await?;
        Ok(Report::single(
            frame
                .titled(format!("{name}: last {} days", args.days))
                .when_empty("no daily metrics in this window"),
        ))
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored(
            "daily",
            "it stores no per-project frames (its project_metrics table holds the days; reports/README.md shows how to query it)",
        ))
    }
}

/// A project's daily metrics over `days` days up to the as-of date (`ctodb project`
/// shows 30 of them).
pub async fn metrics(
    client: &(impl GenericClient + Sync),
    project: Uuid,
    as_of: DateTime<Utc>,
    days: u32,
) -> Result<Frame> {
    let (today, days) = (as_of.date_naive(), days as i32);
    fetch_frame(client, &sql::DAILY_METRICS, &[&project, &today, &days], "daily_metrics").await
}
