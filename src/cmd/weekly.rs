//! `ctodb report weekly --html FILE [--snapshot ID]`: the week on one self-contained page
//! (`output::html`), live from the database or from a snapshot with no database. What
//! changed is the diff of the snapshot before against this one (live: of the two newest).

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::{Context, Outcome};
use crate::analytics::trends;
use crate::frame::{Frame, Style};
use crate::output::html::{Block, Page};
use crate::output::{chart, computed};
use crate::queries::{fetch_frame, inputs, BugFilter, BugSort};
use crate::snapshot::{diff, Snapshot};
use crate::{sql, ui};

/// The parts of the page, wherever they come from.
struct Week {
    as_of: DateTime<Utc>,
    overview: Frame,
    top_bugs: Frame,
    breached: Frame,
    monthly: Frame,
    history: Frame,
}

pub async fn run(ctx: &Context, html: &Path, snapshot: Option<&str>) -> Result<Outcome> {
    let dir = super::export_dir();
    let (week, changes) = match snapshot {
        Some(id) => {
            let this = super::open_snapshot(ctx, id)?;
            let before = Snapshot::list(&dir).unwrap_or_default().into_iter().rfind(|s| s.as_of < this.as_of);
            let before = before.map(|listed| listed.open()).transpose()?;
            let changes = before.map(|before| diff::diff(&before, &this, 10)).transpose()?;
            (from_snapshot(&this)?, changes)
        }
        None => {
            let mut all = Snapshot::list(&dir).unwrap_or_default();
            let changes = match (all.pop(), all.pop()) {
                (Some(now), Some(before)) => Some(diff::diff(&before.open()?, &now.open()?, 10)?),
                _ => None,
            };
            (live(ctx).await?, changes)
        }
    };
    let stamp = week.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut sections =
        vec![("Portfolio".to_string(), vec![Block::Table(week.overview.styled(Style::Record))])];
    let changed = match changes {
        Some(changes) => vec![
            Block::Table(changes.portfolio.titled("Totals")),
            Block::Picture(chart::moves(&changes.projects, 15).svg()),
            Block::Table(changes.projects.titled("Projects")),
            Block::Table(changes.bugs.titled("Bugs")),
        ],
        None => vec![Block::Note(format!(
            "No earlier snapshot in {} to compare with: `ctodb export` writes one a week.",
            dir.display()
        ))],
    };
    sections.push(("What changed since the previous snapshot".to_string(), changed));
    sections.push(("Top priorities".to_string(), vec![Block::Table(week.top_bugs)]));
    sections.push(("SLA breaches, most overdue first".to_string(), vec![Block::Table(week.breached)]));
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
            if snapshot.is_some() { " (from the snapshot)" } else { "" },
            env!("CARGO_PKG_VERSION")
        ),
        sections,
    };
    let text = page.render();
    crate::output::write_atomically(html, |out| out.write_all(text.as_bytes()))?;
    ui::info(&format!("wrote {}", html.display()));
    Ok(Outcome::Success)
}

async fn live(ctx: &Context) -> Result<Week> {
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let client = &**client;
    let now = &ctx.as_of;
    let overview = fetch_frame(client, &sql::PORTFOLIO_OVERVIEW, &[now], "overview").await?;
    let top_bugs = fetch_frame(client, &sql::TOP_BUGS_BY_PRIORITY, &[now], "top_bugs").await?;
    let breached = BugFilter { breached: true, ..BugFilter::open() }
        .page(client, ctx.as_of, BugSort::Due, 25, 0)
        .await?;
    let months = 12i32;
    let no_project: Option<uuid::Uuid> = None;
    let rows = crate::db::query(client, &sql::TRENDS_INPUTS, &[&no_project, now, &months]).await?;
    let monthly = computed::trends(&trends::monthly_trends(&inputs::months(&rows, &sql::TRENDS_INPUTS)?));
    let history = fetch_frame(client, &sql::PORTFOLIO_HISTORY, &[now], "history").await?;
    Ok(Week {
        as_of: ctx.as_of,
        overview,
        top_bugs,
        breached: breached.when_empty("no open bug is past its SLA"),
        monthly,
        history,
    })
}

fn from_snapshot(snapshot: &Snapshot) -> Result<Week> {
    let [overview, _, top_bugs]: [Frame; 3] = snapshot
        .portfolio()?
        .try_into()
        .map_err(|_| anyhow::anyhow!("a snapshot's portfolio has three frames"))?;
    let breached =
        snapshot.sla(25, 0)?.into_iter().nth(1).unwrap_or_else(|| Frame::new("breached", Vec::new()));
    let (monthly, _) = snapshot.trends()?;
    Ok(Week {
        as_of: snapshot.as_of,
        overview,
        top_bugs,
        breached: breached.when_empty("no open bug is past its SLA"),
        monthly,
        history: snapshot.table("portfolio_metrics")?,
    })
}
