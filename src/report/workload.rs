//! `report workload`: each person's open work, or one person's (team/workload.sql).

use anyhow::Result;
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{At, FromSnapshot, Unit};
use crate::frame::Report;
use crate::queries::{fetch_frame, resolve_user};
use crate::snapshot::Snapshot;
use crate::sql;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// only this person (e-mail)
    #[arg(long)]
    pub user: Option<String>,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Workload;

impl Unit for Workload {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        if let Some(email) = &args.user {
            resolve_user(client, email).await?;
        }
        let frame = fetch_frame(client, &sql::USER_WORKLOAD, &[&args.user, &at.as_of], "workload").await?;
        Ok(Report::single(frame.when_empty("no active users")))
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored("workload", "it stores no per-person frames"))
    }
}
