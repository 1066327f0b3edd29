//! `report monthly`: monthly metrics of one project or of the whole portfolio
//! (metrics/monthly.sql).

use anyhow::Result;
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{At, FromSnapshot, Unit};
use crate::frame::Report;
use crate::queries::fetch_frame;
use crate::snapshot::Snapshot;
use crate::sql;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// project name or id [default: the whole portfolio]
    #[arg(long)]
    pub project: Option<String>,
    /// how many months up to --as-of
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub months: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Monthly;

impl Unit for Monthly {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        let (id, title) = super::project_or_portfolio(client, args.project.as_deref()).await?;
        let (today, months) = (at.as_of.date_naive(), args.months as i32);
        let frame =
            fetch_frame(client, &sql::MONTHLY_METRICS, &[&id, &today, &months], "monthly_metrics").await?;
        Ok(Report::single(
            frame
                .titled(format!("{title}: last {months} months"))
                .when_empty("no monthly metrics in this window"),
        ))
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored(
            "monthly",
            "it stores the trends frame instead (`report trends --snapshot`; its monthly_metrics table holds the rows)",
        ))
    }
}
