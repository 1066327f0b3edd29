//! `report sla`: compliance by severity, then one page each of the breached open bugs
//! (most overdue first) and of those at risk (due soonest first). From a snapshot: its
//! stored compliance, and the same lists chosen from its stored open bugs.

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{listings, At, FromSnapshot, Page, Unit};
use crate::frame::{Frame, Report};
use crate::queries::{fetch_frame, BugFilter, BugSort};
use crate::snapshot::Snapshot;
use crate::sql;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub page: Page,
    #[command(flatten)]
    pub from: FromSnapshot,
}

pub struct Sla;

/// The two lists: breached bugs, then those at risk.
fn lists() -> [(&'static str, BugFilter); 2] {
    [
        ("breached", BugFilter { breached: true, ..BugFilter::open() }),
        ("at_risk", BugFilter { at_risk: true, ..BugFilter::open() }),
    ]
}

impl Unit for Sla {
    type Args = Args;

    fn snapshot(args: &Args) -> Option<&str> {
        args.from.snapshot.as_deref()
    }

    async fn live(args: &Args, client: &(impl GenericClient + Sync), at: &At) -> Result<Report> {
        let (limit, offset) = args.page.window(args.page.rows());
        let mut frames = vec![compliance(client, at.as_of).await?];
        for (name, filter) in lists() {
            frames.push(filter.page(client, at.as_of, BugSort::Due, limit, offset).await?.renamed(name));
        }
        Ok(present(frames))
    }

    fn from_snapshot(args: &Args, snapshot: &Snapshot, _: &At) -> Result<Report> {
        let (limit, offset) = args.page.window(args.page.rows());
        let mut frames = vec![snapshot.stored("sla", "sla_compliance")?];
        for (name, filter) in lists() {
            frames.push(listings::stored_bugs(snapshot, &filter, BugSort::Due, limit, offset)?.renamed(name));
        }
        Ok(present(frames))
    }
}

fn present(frames: Vec<Frame>) -> Report {
    let looks = [
        ("SLA compliance by severity", None),
        ("Breached, most overdue first", Some("no breached bugs")),
        ("At risk, due soonest first", Some("no bugs at risk")),
    ];
    let frames = frames
        .into_iter()
        .zip(looks)
        .map(|(frame, (title, empty))| {
            let frame = frame.titled(title);
            match empty {
                Some(message) => frame.when_empty(message),
                None => frame,
            }
        })
        .collect();
    Report { frames }
}

/// Compliance by severity (bugs/sla_compliance.sql).
pub async fn compliance(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    fetch_frame(client, &sql::SLA_COMPLIANCE, &[&as_of], "sla_compliance").await
}

/// The weekly page's list: the breached open bugs, most overdue first.
pub async fn breached(
    client: &(impl GenericClient + Sync),
    as_of: DateTime<Utc>,
    limit: i64,
) -> Result<Frame> {
    let [(_, filter), _] = lists();
    filter.page(client, as_of, BugSort::Due, limit, 0).await
}

/// The same list from a snapshot's stored open bugs.
pub fn stored_breached(snapshot: &Snapshot, limit: i64) -> Result<Frame> {
    let [(_, filter), _] = lists();
    listings::stored_bugs(snapshot, &filter, BugSort::Due, limit, 0)
}
