//! `report engineering`: resolution speed, SLA compliance and cost per resolved bug, by
//! severity and over all, in a window of months. A snapshot keeps the default 3 months.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{At, FromSnapshot, Unit};
use crate::analytics::engineering;
use crate::frame::{Frame, Report};
use crate::output::computed;
use crate::queries::inputs;
use crate::snapshot::Snapshot;
use crate::sql;

/// The months a snapshot keeps (and the default of --months).
pub const STORED_MONTHS: u32 = 3;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// how many months up to --as-of
    #[arg(long, default_value_t = STORED_MONTHS, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub months: u32,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Engineering;

impl Unit for Engineering {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        Ok(Report::single(frame(client, at.as_of, args.months).await?))
    }

    fn from_snapshot(args: &Args, snapshot: &Snapshot, _: &At) -> Result<Report> {
        if args.months != STORED_MONTHS {
            bail!("a snapshot keeps the engineering metrics of 3 months; drop --months, or ask the database");
        }
        Ok(Report::single(snapshot.stored("engineering", "engineering")?))
    }
}

/// The metrics of `months` months up to `as_of` (metrics/engineering.sql, then
/// `analytics::engineering`).
pub async fn frame(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>, months: u32) -> Result<Frame> {
    let months = months as i32;
    let rows = crate::db::query(client, &sql::ENGINEERING_METRICS, &[&as_of, &months]).await?;
    let (severities, hours, cost) = inputs::engineering(&rows, &sql::ENGINEERING_METRICS)?;
    Ok(computed::engineering(&engineering::engineering_metrics(&severities, hours, cost)))
}
