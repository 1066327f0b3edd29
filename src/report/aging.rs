//! `report aging`: the open bugs of each severity by age (under a day, 1–7, 7–30, 30–90,
//! 90 days or more), the oldest of each and its age, and how many are past their SLA
//! (bugs/aging.sql). A snapshot stores the frame (`report_aging.parquet`).

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{At, FromSnapshot, Unit};
use crate::frame::{Frame, Report};
use crate::queries::fetch_frame;
use crate::snapshot::Snapshot;
use crate::sql;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Aging;

impl Unit for Aging {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(_: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        Ok(present(frame(client, at.as_of).await?))
    }

    fn from_snapshot(_: &Args, snapshot: &Snapshot, _: &At) -> Result<Report> {
        Ok(present(stored(snapshot)?))
    }
}

pub const TITLE: &str = "Open bugs by age";

fn present(frame: Frame) -> Report {
    Report::single(frame.titled(TITLE))
}

/// One row per severity, then one over all of them.
pub async fn frame(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    fetch_frame(client, &sql::BUG_AGING, &[&as_of], "aging").await
}

/// The frame a snapshot stored; one written before this report existed has none.
pub fn stored(snapshot: &Snapshot) -> Result<Frame> {
    if !snapshot.has("report_aging.parquet") {
        anyhow::bail!(
            "{} has no aging frame (it was written before `report aging` existed, or with --reports \
             that left it out); export a new snapshot, or drop --snapshot",
            snapshot.folder.display()
        );
    }
    snapshot.stored("aging", "aging")
}
