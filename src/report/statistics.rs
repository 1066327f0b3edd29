//! `report bugs`: bug counts by severity and status, open and resolved, and the breach
//! rate (bugs/statistics.sql).

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
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Statistics;

impl Unit for Statistics {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(_: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        Ok(Report::single(fetch_frame(client, &sql::BUG_STATISTICS, &[&at.as_of], "bug_statistics").await?))
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored("bugs", "it counts bugs of every status, and a snapshot stores the open ones"))
    }
}
