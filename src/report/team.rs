//! `report team`: what each person resolved in the last N days (team/performance.sql).

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
    /// how many days up to --as-of
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Team;

impl Unit for Team {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        let days = args.days as i32;
        let frame = fetch_frame(client, &sql::TEAM_PERFORMANCE, &[&days, &at.as_of], "team").await?;
        Ok(Report::single(frame.when_empty("no active users")))
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored("team", "it stores no per-person frames"))
    }
}
