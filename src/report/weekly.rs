//! `report weekly --html FILE`: the week on one self-contained page (`output::html`),
//! composed of other reports' frames, live or from a snapshot with no database. What
//! changed is the diff of the snapshot before against this one (live: of the two newest
//! in the export folder).

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use tokio_postgres::GenericClient;

use super::{aging, portfolio, sla, trends, FromSnapshot};
use crate::frame::{Frame, Style};
use crate::output::chart;
use crate::output::html::{Block, Page};
use crate::snapshot::{diff, Snapshot};

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// The page to write (FILE.html or FILE.htm)
    #[arg(long, value_name = "FILE", value_parser = html_file)]
    pub html: PathBuf,
    #[command(flatten)]
    pub from: FromSnapshot,
}

/// The page's file: its extension must say HTML, so that whoever opens it gets a page.
fn html_file(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html" | "htm") => Ok(path),
        _ => Err(format!("{text} is not an .html file; the page is HTML (print it to PDF from a browser)")),
    }
}

/// The breached bugs the page lists at most.
const BREACHED: i64 = 25;
/// The projects and bugs of "what changed" at most.
const CHANGES: usize = 10;

/// The parts of the page, wherever they come from.
struct Week {
    as_of: DateTime<Utc>,
    overview: Frame,
    top_bugs: Frame,
    breached: Frame,
    aging: Result<Frame, String>,
    monthly: Frame,
    history: Frame,
}

/// The page from the database at `as_of`; what changed from the two newest snapshots in
/// `dir`.
pub async fn live(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>, dir: &Path) -> Result<String> {
    let mut all = Snapshot::list(dir).unwrap_or_default();
    let changes = match (all.pop(), all.pop()) {
        (Some(now), Some(before)) => Some(diff::diff(&before.open()?, &now.open()?, CHANGES)?),
        _ => None,
    };
    let week = Week {
        as_of,
        overview: portfolio::overview(client, as_of).await?,
        top_bugs: portfolio::top_bugs(client, as_of).await?,
        breached: sla::breached(client, as_of, BREACHED).await?,
        aging: Ok(aging::frame(client, as_of).await?),
        monthly: trends::portfolio_months(client, as_of).await?,
        history: portfolio::history(client, as_of).await?,
    };
    Ok(page(week, changes, dir, false))
}

/// The page from a snapshot; what changed since the snapshot before it in `dir`.
pub fn from_snapshot(this: &Snapshot, dir: &Path) -> Result<String> {
    let before = Snapshot::list(dir).unwrap_or_default().into_iter().rfind(|s| s.as_of < this.as_of);
    let before = before.map(|listed| listed.open()).transpose()?;
    let changes = before.map(|before| diff::diff(&before, this, CHANGES)).transpose()?;
    let week = Week {
        as_of: this.as_of,
        overview: this.stored("portfolio", "overview")?,
        top_bugs: portfolio::stored_top_bugs(this)?,
        breached: sla::stored_breached(this, BREACHED)?,
        aging: aging::stored(this).map_err(|err| format!("{err:#}")),
        monthly: this.stored("trends", "trends")?,
        history: this.table("portfolio_metrics")?,
    };
    Ok(page(week, changes, dir, true))
}

fn page(week: Week, changes: Option<diff::Diff>, dir: &Path, from_snapshot: bool) -> String {
    let stamp = week.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut sections =
        vec![("Portfolio".to_string(), vec![Block::Table(week.overview.styled(Style::Record))])];
    let changed = match changes {
        Some(changes) => {
            let moves = chart::moves(&changes.projects, 15);
            let moves = if moves.bars.is_empty() {
                Block::Note("No valuation moved.".to_string())
            } else {
                Block::Picture(moves.svg())
            };
            vec![
                Block::Table(changes.portfolio.titled("Totals")),
                Block::Table(changes.counts.titled("Counts")),
                moves,
                Block::Table(changes.projects.titled("Projects")),
                Block::Table(changes.bugs.titled("Bugs")),
            ]
        }
        None => vec![Block::Note(format!(
            "No earlier snapshot in {} to compare with: `ctodb export` writes one a week.",
            dir.display()
        ))],
    };
    sections.push(("What changed since the previous snapshot".to_string(), changed));
    sections.push(("Top priorities".to_string(), vec![Block::Table(week.top_bugs)]));
    let breached = week.breached.when_empty("no open bug is past its SLA");
    sections.push(("SLA breaches, most overdue first".to_string(), vec![Block::Table(breached)]));
    let aging = match week.aging {
        Ok(frame) => Block::Table(frame),
        Err(why) => Block::Note(why),
    };
    sections.push((aging::TITLE.to_string(), vec![aging]));
    sections.push((
        "Trends".to_string(),
        vec![
            Block::Picture(chart::trends(&week.monthly, "Portfolio").svg()),
            Block::Picture(chart::history(&week.history).svg()),
        ],
    ));
    let page = Page {
        title: "Portfolio: the week".to_string(),
        subtitle: format!(
            "As of {stamp}{}; written by ctodb {}",
            if from_snapshot { " (from the snapshot)" } else { "" },
            env!("CARGO_PKG_VERSION")
        ),
        sections,
    };
    page.render()
}
