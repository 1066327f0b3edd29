//! `report sync`: the last import of each source, and the projects with a repository
//! never synced or not for N days (sync/last_imports.sql, sync/stale_projects.sql).

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
    /// a project not synced for this many days is stale
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub stale_days: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Syncs;

impl Unit for Syncs {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        let last = fetch_frame(client, &sql::LAST_IMPORTS, &[], "last_imports").await?;
        let stale_days = args.stale_days as i32;
        let stale =
            fetch_frame(client, &sql::STALE_PROJECTS, &[&at.as_of, &stale_days], "stale_projects").await?;
        Ok(Report {
            frames: vec![
                last.titled("Last import per source"),
                stale
                    .titled(format!("Never synced or not for {stale_days} days"))
                    .when_empty("every project with a repository was synced recently"),
            ],
        })
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored("sync", "imports are a live matter (its import_logs table holds the history)"))
    }
}
