//! `ctodb bugs` and `ctodb bug show N`.

use anyhow::{bail, Result};
use polars::prelude::IntoLazy;

use super::{Context, Outcome};
use crate::analytics::priority::{self, points, score};
use crate::cli::BugsArgs;
use crate::db;
use crate::frame::{Column, Frame, Kind, Report, Style, Value};
use crate::model::BugStatus;
use crate::queries::{self, inputs, BugFilter};
use crate::snapshot::BugQuery;
use crate::sql;

pub async fn list(ctx: &Context, args: BugsArgs) -> Result<Outcome> {
    if let Some(id) = &args.from.snapshot {
        return from_snapshot(ctx, id, &args);
    }
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let statuses = if args.all {
        BugStatus::ALL.to_vec()
    } else if args.status.is_empty() {
        BugStatus::OPEN.to_vec()
    } else {
        args.status.clone()
    };
    let filter = BugFilter {
        severities: (!args.severity.is_empty()).then(|| args.severity.clone()),
        statuses,
        project: match &args.project {
            Some(project) => Some(queries::resolve_project(&**client, project).await?.0),
            None => None,
        },
        assignee: match &args.assignee {
            Some(email) => Some(queries::resolve_user(&**client, email).await?),
            None => None,
        },
        unassigned: args.unassigned,
        blocker: args.blocker,
        breached: args.breached,
        at_risk: args.at_risk,
        wide: args.wide,
    };
    let limit = i64::from(args.page.rows());
    let offset = i64::from(args.page.page - 1) * limit;
    let frame = filter.page(&**client, ctx.as_of, args.sort, limit, offset).await?;
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// `ctodb bugs --snapshot`: the same filters over a snapshot's open bugs, no database.
fn from_snapshot(ctx: &Context, id: &str, args: &BugsArgs) -> Result<Outcome> {
    if args.all {
        bail!("a snapshot keeps the open bugs only; drop --all, or ask the database");
    }
    let query = BugQuery {
        severities: args.severity.clone(),
        statuses: args.status.clone(),
        project: args.project.clone(),
        assignee: args.assignee.clone(),
        unassigned: args.unassigned,
        blocker: args.blocker,
        breached: args.breached,
        at_risk: args.at_risk,
    };
    let limit = i64::from(args.page.rows());
    let offset = i64::from(args.page.page - 1) * limit;
    let frame = super::open_snapshot(ctx, id)?.bugs(&query, args.sort, limit, offset)?;
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

pub async fn show(ctx: &Context, number: i64) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let bug = queries::fetch_frame(&**client, &sql::BUG_SHOW, &[&number, &ctx.as_of], "bug").await?;
    let Some(id_column) = bug.column_index("id") else { bail!("bugs/show returned no id column") };
    let id = match bug.rows.first().map(|row| &row[id_column]) {
        Some(Value::Uuid(id)) => *id,
        _ => bail!("no bug #{number} (`ctodb bugs --all` lists them)"),
    };
    let history = queries::fetch_frame(&**client, &sql::BUG_HISTORY, &[&id], "history").await?;
    let inputs = db::query(&**client, &sql::BUG_PRIORITY_INPUTS, &[&number]).await?;
    let breakdown = priority_breakdown(&inputs, ctx)?;
    let mut report = Report::default();
    report.push(bug.titled(format!("Bug #{number}")).styled(Style::Record));
    report.push(
        breakdown
            .titled(format!("Priority at {}", ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
    );
    report.push(history.titled("History").when_empty("no recorded changes"));
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}

/// The priority score term by term (SPEC §6), as refresh computes it: each term's exact
/// points, then the rounded score.
fn priority_breakdown(rows: &[tokio_postgres::Row], ctx: &Context) -> Result<Frame> {
    let frame = inputs::priority_frame(rows, &sql::BUG_PRIORITY_INPUTS)?;
    let scored = priority::with_priority(frame.lazy(), ctx.as_of.timestamp_micros()).collect()?;
    let mut breakdown = Frame::new(
        "priority_breakdown",
        vec![
            Column::new("term", Kind::Text),
            Column::new("rule", Kind::Text),
            Column::new("points", Kind::Decimal),
        ],
    );
    let terms = [
        ("severity", "critical 40, high 30, medium 15, low 5", "severity_units"),
        ("revenue", "min(30, revenue_impact_daily / 1000)", "revenue_units"),
        ("blocker", "20 if a blocker", "blocker_units"),
        ("age", "min(10, whole days open)", "age_units"),
        ("sla", "10 if breached, 5 if at risk", "sla_units"),
    ];
    for (term, rule, column) in terms {
        let units = crate::analytics::i64_values(&scored, column)?.first().copied().flatten();
        breakdown.push(vec![
            Value::from(term),
            Value::from(rule),
            units.map_or(Value::Null, |u| points(u).into()),
        ]);
    }
    let hundredths = crate::analytics::i64_values(&scored, "priority_hundredths")?.first().copied().flatten();
    breakdown.push(vec![
        Value::from("priority_score"),
        Value::from("round(min(100, sum), 2); 0 unless open"),
        hundredths.map_or(Value::Null, |h| score(h).into()),
    ]);
    Ok(breakdown)
}
