//! `ctodb report …`: the dashboards, each from hand-written SQL.

use anyhow::{bail, Result};

use super::{Context, Outcome};
use crate::analytics::{engineering, trends};
use crate::cli::{FromSnapshot, ReportCommand};
use crate::frame::{Frame, Report, Style};
use crate::output::{chart, computed};
use crate::queries::{fetch_frame, inputs, resolve_project, resolve_user, BugFilter, BugSort};
use crate::sql;

pub async fn run(ctx: &Context, command: ReportCommand) -> Result<Outcome> {
    if let Some(report) = from_snapshot(ctx, &command)? {
        ctx.output.emit(&report)?;
        return Ok(Outcome::Success);
    }
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let client = &**client;
    let now = &ctx.as_of;
    let today = ctx.as_of.date_naive();
    let mut report = Report::default();
    match command {
        ReportCommand::Portfolio { chart, .. } => {
            if let Some(path) = chart {
                let history = fetch_frame(client, &sql::PORTFOLIO_HISTORY, &[now], "history").await?;
                chart::write(&chart::history(&history).svg(), &path)?;
            }
            let overview = fetch_frame(client, &sql::PORTFOLIO_OVERVIEW, &[now], "overview").await?;
            report.push(overview.titled("Portfolio").styled(Style::Record));
            let top = fetch_frame(client, &sql::TOP_PROJECTS_BY_ROI, &[], "top_projects").await?;
            report.push(
                top.titled("Top projects by ROI").when_empty("no scored projects yet (run `ctodb refresh`)"),
            );
            let bugs = fetch_frame(client, &sql::TOP_BUGS_BY_PRIORITY, &[now], "top_bugs").await?;
            report.push(bugs.titled("Top bugs by priority").when_empty("no open bugs"));
        }
        ReportCommand::Bugs => {
            let stats = fetch_frame(client, &sql::BUG_STATISTICS, &[now], "bug_statistics").await?;
            report.push(stats);
        }
        ReportCommand::Sla { page, .. } => {
            let compliance = fetch_frame(client, &sql::SLA_COMPLIANCE, &[now], "sla_compliance").await?;
            report.push(compliance.titled("SLA compliance by severity"));
            let limit = i64::from(page.rows());
            let offset = i64::from(page.page - 1) * limit;
            let breached = BugFilter { breached: true, ..BugFilter::open() };
            let frame = breached.page(client, ctx.as_of, BugSort::Due, limit, offset).await?;
            report.push(
                frame
                    .renamed("breached")
                    .titled("Breached, most overdue first")
                    .when_empty("no breached bugs"),
            );
            let at_risk = BugFilter { at_risk: true, ..BugFilter::open() };
            let frame = at_risk.page(client, ctx.as_of, BugSort::Due, limit, offset).await?;
            report.push(
                frame.renamed("at_risk").titled("At risk, due soonest first").when_empty("no bugs at risk"),
            );
        }
        ReportCommand::Daily { project, days } => {
            let (id, name) = resolve_project(client, &project).await?;
            let days = days as i32;
            let frame =
                fetch_frame(client, &sql::DAILY_METRICS, &[&id, &today, &days], "daily_metrics").await?;
            report.push(
                frame
                    .titled(format!("{name}: last {days} days"))
                    .when_empty("no daily metrics in this window"),
            );
        }
        ReportCommand::Monthly { project, months } => {
            let (id, title) = project_or_portfolio(client, project.as_deref()).await?;
            let months = months as i32;
            let frame =
                fetch_frame(client, &sql::MONTHLY_METRICS, &[&id, &today, &months], "monthly_metrics")
                    .await?;
            report.push(
                frame
                    .titled(format!("{title}: last {months} months"))
                    .when_empty("no monthly metrics in this window"),
            );
        }
        ReportCommand::Trends { project, months, chart, .. } => {
            let (id, title) = project_or_portfolio(client, project.as_deref()).await?;
            let months = months as i32;
            let rows = crate::db::query(client, &sql::TRENDS_INPUTS, &[&id, now, &months]).await?;
            let inputs = inputs::months(&rows, &sql::TRENDS_INPUTS)?;
            let monthly = computed::trends(&trends::monthly_trends(&inputs));
            if let Some(path) = chart {
                chart::write(&chart::trends(&monthly, &title).svg(), &path)?;
            }
            let lines = ctx.output.sparklines().then(|| computed::sparklines(&monthly));
            report.push(monthly.titled(format!("{title}: trends over {months} months")));
            if let Some(lines) = lines {
                report.push(lines.titled("At a glance"));
            }
            let opened: Vec<i64> = inputs.iter().map(|m| m.bugs_opened).collect();
            let slope = computed::inflow(inputs.len(), trends::inflow_slope(&opened));
            report.push(slope.titled("Bug inflow").styled(Style::Record));
        }
        ReportCommand::Engineering { months, .. } => {
            let months = months as i32;
            let rows = crate::db::query(client, &sql::ENGINEERING_METRICS, &[now, &months]).await?;
            let (severities, hours, cost) = inputs::engineering(&rows, &sql::ENGINEERING_METRICS)?;
            report.push(computed::engineering(&engineering::engineering_metrics(&severities, hours, cost)));
        }
        ReportCommand::Workload { user } => {
            if let Some(email) = &user {
                resolve_user(client, email).await?;
            }
            let frame = fetch_frame(client, &sql::USER_WORKLOAD, &[&user, now], "workload").await?;
            report.push(frame.when_empty("no active users"));
        }
        ReportCommand::Team { days } => {
            let days = days as i32;
            let frame = fetch_frame(client, &sql::TEAM_PERFORMANCE, &[&days, now], "team").await?;
            report.push(frame.when_empty("no active users"));
        }
        ReportCommand::Sync { stale_days } => {
            let last = fetch_frame(client, &sql::LAST_IMPORTS, &[], "last_imports").await?;
            report.push(last.titled("Last import per source"));
            let stale_days = stale_days as i32;
            let stale =
                fetch_frame(client, &sql::STALE_PROJECTS, &[now, &stale_days], "stale_projects").await?;
            report.push(
                stale
                    .titled(format!("Never synced or not for {stale_days} days"))
                    .when_empty("every project with a repository was synced recently"),
            );
        }
        // dispatched to cmd/weekly.rs, which writes a page instead of printing frames
        ReportCommand::Weekly { .. } => bail!("report weekly is written by its own command"),
        ReportCommand::Imports { limit } => {
            let limit = i64::from(limit);
            let frame = fetch_frame(client, &sql::IMPORT_HISTORY, &[&limit], "imports").await?;
            report.push(frame.when_empty("no imports yet"));
        }
    }
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}

/// The report from a snapshot's stored frames when `--snapshot` is given: no database.
fn from_snapshot(ctx: &Context, command: &ReportCommand) -> Result<Option<Report>> {
    let mut report = Report::default();
    match command {
        ReportCommand::Portfolio { from: FromSnapshot { snapshot: Some(id) }, chart: path } => {
            let snapshot = super::open_snapshot(ctx, id)?;
            if let Some(path) = path {
                chart::write(&chart::history(&snapshot.table("portfolio_metrics")?).svg(), path)?;
            }
            let [overview, top, bugs]: [Frame; 3] = snapshot
                .portfolio()?
                .try_into()
                .map_err(|_| anyhow::anyhow!("a snapshot's portfolio has three frames"))?;
            report.push(overview.titled("Portfolio").styled(Style::Record));
            report.push(
                top.titled("Top projects by ROI").when_empty("no scored projects yet (run `ctodb refresh`)"),
            );
            report.push(bugs.titled("Top bugs by priority").when_empty("no open bugs"));
        }
        ReportCommand::Sla { page, from: FromSnapshot { snapshot: Some(id) } } => {
            let limit = i64::from(page.rows());
            let offset = i64::from(page.page - 1) * limit;
            let titles =
                ["SLA compliance by severity", "Breached, most overdue first", "At risk, due soonest first"];
            for (frame, title) in super::open_snapshot(ctx, id)?.sla(limit, offset)?.into_iter().zip(titles) {
                report.push(frame.titled(title));
            }
        }
        ReportCommand::Trends { project, months, from: FromSnapshot { snapshot: Some(id) }, chart: path } => {
            if project.is_some() || *months != 12 {
                bail!("a snapshot keeps the trends of the whole portfolio over 12 months; drop --project and --months, or ask the database");
            }
            let (monthly, inflow) = super::open_snapshot(ctx, id)?.trends()?;
            if let Some(path) = path {
                chart::write(&chart::trends(&monthly, "Portfolio").svg(), path)?;
            }
            let lines = ctx.output.sparklines().then(|| computed::sparklines(&monthly));
            report.push(
                monthly.titled("Portfolio: trends over 12 months").when_empty("no months in the window"),
            );
            if let Some(lines) = lines {
                report.push(lines.titled("At a glance"));
            }
            report.push(inflow.titled("Bug inflow").styled(Style::Record));
        }
        ReportCommand::Engineering { months, from: FromSnapshot { snapshot: Some(id) } } => {
            if *months != 3 {
                bail!("a snapshot keeps the engineering metrics of 3 months; drop --months, or ask the database");
            }
            report.push(super::open_snapshot(ctx, id)?.engineering()?);
        }
        _ => return Ok(None),
    }
    Ok(Some(report))
}

/// The project named by --project, or the whole portfolio without it: its id and a title.
async fn project_or_portfolio(
    client: &tokio_postgres::Client,
    project: Option<&str>,
) -> Result<(Option<uuid::Uuid>, String)> {
    Ok(match project {
        Some(project) => {
            let (id, name) = resolve_project(client, project).await?;
            (Some(id), name)
        }
        None => (None, "Portfolio".to_string()),
    })
}
