//! `ctodb bugs` and `ctodb bug show N`.

use anyhow::{bail, Result};
use polars::prelude::IntoLazy;

use super::{Context, Outcome};
use crate::analytics::priority::{self, points, score};
use crate::cli::BugsArgs;
use crate::db;
use crate::frame::{Column, Frame, Kind, Report, Style, Value};
use crate::queries::{self, inputs};
use crate::report::listings;
use crate::sql;
use crate::ui;

pub async fn list(ctx: &Context, args: BugsArgs) -> Result<Outcome> {
    let (limit, offset) = args.page.window(args.page.rows());
    let filter = args.filter();
    let mut note = None;
    let frame = match &args.from.snapshot {
        // a snapshot keeps the open bugs only
        Some(_) if args.all => bail!("a snapshot keeps the open bugs only; drop --all, or ask the database"),
        Some(id) => {
            listings::stored_bugs(&super::open_snapshot(ctx, id)?, &filter, args.sort, limit, offset)?
        }
        None => {
            let db = ctx.connect().await?;
            let mut pooled = db.client().await?;
            let tx = db.read_only(&mut pooled).await?;
            let page = filter.page(&tx, ctx.as_of, args.sort, limit, offset).await?;
            let refreshed: Option<chrono::DateTime<chrono::Utc>> = if ctx.reads_the_past() {
                None
            } else {
                let row = db::query_one(&tx, &sql::BUG_LAST_REFRESH, &[]).await?;
                db::get(&row, sql::BUG_LAST_REFRESH.name, "last_refresh")?
            };
            db::end_read(tx).await?;
            note = Some(priority_note(ctx, refreshed));
            page
        }
    };
    ctx.output.emit(&Report::single(frame))?;
    if let Some(note) = note {
        ui::info(&note);
    }
    Ok(Outcome::Success)
}

/// Which priority a listing shows: the score the last refresh stored (sorted by from its
/// index), beside SLA states at the as-of; or, as of an earlier instant, both computed then.
fn priority_note(ctx: &Context, refreshed: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let at = ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if ctx.reads_the_past() {
        return format!("priority and SLA state as of {at}, both computed then");
    }
    match refreshed {
        Some(when) => format!(
            "priority as the refresh of {} scored it, SLA state at {at} (`ctodb refresh` scores again; `ctodb bug show N` computes one now)",
            when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => format!(
            "priority 0 until `ctodb refresh` scores the bugs; SLA state at {at} (`ctodb bug show N` computes a priority now)"
        ),
    }
}

pub async fn show(ctx: &Context, number: i64) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let bug = queries::fetch_frame(&client, &sql::BUG_SHOW, &[&number, &ctx.as_of], "bug").await?;
    let Some(id_column) = bug.column_index("id") else { bail!("bugs/show returned no id column") };
    let id = match bug.rows.first().map(|row| &row[id_column]) {
        Some(Value::Uuid(id)) => *id,
        _ => bail!("no bug #{number} (`ctodb bugs --all` lists them)"),
    };
    let history = queries::fetch_frame(&client, &sql::BUG_HISTORY, &[&id], "history").await?;
    let inputs = db::query(&client, &sql::BUG_PRIORITY_INPUTS, &[&number]).await?;
    let breakdown = priority_breakdown(&inputs, ctx)?;
    // a row holds its statement, closed when the last row goes: inside the transaction
    drop(inputs);
    db::end_read(client).await?;
    let mut report = Report::default();
    report.push(bug.titled(format!("Bug #{number}")).styled(Style::Record));
    let at = ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    report.push(breakdown.titled(if ctx.reads_the_past() {
        format!("Priority as of {at}, term by term; the one above is computed then too")
    } else {
        format!("Priority now ({at}), term by term; the stored one above is the last refresh's")
    }));
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
