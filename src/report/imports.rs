//! `report imports`: the import history, newest first (sync/imports.sql).

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
    /// how many imports
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Imports;

impl Unit for Imports {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), _: &At) -> Result<Report> {
        let limit = i64::from(args.limit);
        let frame = fetch_frame(client, &sql::IMPORT_HISTORY, &[&limit], "imports").await?;
        Ok(Report::single(frame.when_empty("no imports yet")))
    }

    fn from_snapshot(_: &Args, _: &Snapshot, _: &At) -> Result<Report> {
        Err(super::not_stored(
            "imports",
            "it stores no import frame (its import_logs table holds the history)",
        ))
    }
}
