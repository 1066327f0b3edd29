//! `ctodb refresh`: recomputes the stored scores in one transaction and in bulk: the
//! inputs are read with one query per target, the formulas run in Polars, the results are
//! staged with COPY and applied with one UPDATE per target, only where a value changed.
//! Runs as the nightly cron job; a second run changes nothing.

use anyhow::{Context as _, Result};
use polars::prelude::{df, DataFrame, IntoLazy, PolarsResult};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use super::frames::column;
use super::{Context, Outcome};
use crate::analytics::{self, priority, valuation};
use crate::db::copy::CopyIn;
use crate::db::{self, DbError};
use crate::sql;
use crate::ui;

/// How many projects with an undefined valuation are named one by one.
const NAMED_WARNINGS: usize = 10;

#[derive(Debug, Default, Clone, Copy)]
pub struct Changes {
    pub bug_scores: u64,
    pub closed_scores: u64,
    pub projects: u64,
    pub monthly_rows: u64,
    pub portfolio_rows: u64,
}

pub async fn run(ctx: &Context) -> Result<Outcome> {
    let changes = refresh(ctx).await?;
    ctx.output.message(&format!(
        "refreshed at {}: {} bug priorities ({} closed bugs zeroed), {} projects, {} monthly rows, {} portfolio snapshot changed",
        ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        changes.bug_scores,
        changes.closed_scores,
        changes.projects,
        changes.monthly_rows,
        changes.portfolio_rows
    ));
    Ok(Outcome::Success)
}

/// Refreshes everything; retried as a whole on a transient failure.
pub async fn refresh(ctx: &Context) -> Result<Changes> {
    let db = ctx.connect().await?;
    let (changes, undefined) = db::with_retry("refresh", || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = client.transaction().await.map_err(|err| DbError::query("refresh/begin", err))?;
        let result = refresh_in(&tx, ctx).await?;
        tx.commit().await.map_err(|err| DbError::query("refresh/commit", err))?;
        Ok(result)
    })
    .await?;
    // Outside the transaction (VACUUM cannot run in one): the updated rows leave pages
    // that index-only scans must visit until vacuumed, and the planner wants fresh counts.
    let client = db.client().await?;
    client
        .batch_execute("VACUUM (ANALYZE) bugs, projects, monthly_metrics, portfolio_metrics")
        .await
        .map_err(|err| DbError::query("refresh/vacuum analyze", err))?;
    for name in undefined.iter().take(NAMED_WARNINGS) {
        ui::warn(&format!("the valuation of project {name:?} is undefined: its discount rate does not exceed its terminal growth rate"));
    }
    if undefined.len() > NAMED_WARNINGS {
        ui::warn(&format!("{} more projects have an undefined valuation", undefined.len() - NAMED_WARNINGS));
    }
    Ok(changes)
}

async fn refresh_in(tx: &Transaction<'_>, ctx: &Context) -> Result<(Changes, Vec<String>)> {
    let mut changes = Changes::default();
    tx.batch_execute(sql::REFRESH_STAGING.sql)
        .await
        .map_err(|err| DbError::query(sql::REFRESH_STAGING.name, err))?;
    let now = ctx.as_of.timestamp_micros();

    let bugs = db::query(tx, &sql::REFRESH_OPEN_BUGS, &[]).await?;
    let scores = bug_scores(&bugs, now).context("while computing bug priorities")?;
    let mut copy = CopyIn::start(
        tx,
        "refresh_bug_scores",
        &["id", "priority_score"],
        ui::progress(bugs.len() as u64, "bug scores"),
    )
    .await?;
    for (row, score) in bugs.iter().zip(scores) {
        let current: Decimal = row.get("priority_score");
        if current != score {
            let id: Uuid = row.get("id");
            copy.write(&[&id, &score]).await?;
        }
    }
    copy.finish().await?;
    changes.bug_scores = db::execute(tx, &sql::REFRESH_APPLY_BUG_SCORES, &[]).await?;
    changes.closed_scores = db::execute(tx, &sql::REFRESH_ZERO_CLOSED, &[]).await?;

    let projects = db::query(tx, &sql::REFRESH_PROJECT_INPUTS, &[&ctx.as_of]).await?;
    let scored = project_scores(&projects).context("while computing project valuations")?;
    let mut undefined = Vec::new();
    let mut copy = CopyIn::start(
        tx,
        "refresh_project_scores",
        &["id", "revenue_projection_12m", "dcf_valuation", "roi_score", "health_score"],
        ui::progress(projects.len() as u64, "project scores"),
    )
    .await?;
    for (row, s) in projects.iter().zip(scored) {
        let id: Uuid = row.get("id");
        if s.dcf_valuation.is_none() {
            undefined.push(row.get::<_, String>("name"));
        }
        copy.write(&[&id, &s.revenue_projection_12m, &s.dcf_valuation, &s.roi_score, &s.health_score])
            .await?;
    }
    copy.finish().await?;
    changes.projects = db::execute(tx, &sql::REFRESH_APPLY_PROJECT_SCORES, &[]).await?;

    let written_at = chrono::Utc::now();
    changes.monthly_rows = db::execute(tx, &sql::MONTHLY_ROLLUP, &[&ctx.as_of, &written_at]).await?;
    changes.portfolio_rows = db::execute(tx, &sql::REFRESH_PORTFOLIO_SNAPSHOT, &[&ctx.as_of]).await?;
    db::execute(tx, &sql::SEARCH_REFRESH_WORDS, &[]).await?;
    let audit = json!({
        "as_of": ctx.as_of.to_rfc3339(),
        "bug_scores": changes.bug_scores,
        "closed_scores": changes.closed_scores,
        "projects": changes.projects,
        "monthly_rows": changes.monthly_rows,
        "portfolio_rows": changes.portfolio_rows,
        "undefined_valuations": undefined.len(),
        "formulas": analytics::FORMULA_VERSION,
    });
    db::audit(tx, None, "refresh", "database", None, &audit).await?;
    Ok((changes, undefined))
}

/// A float rounded by a formula, as the exact decimal the database stores.
fn decimal(value: f64, places: u32) -> Option<Decimal> {
    Decimal::from_f64(value).map(|d| d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero))
}

/// The priority of each bug of the rows (refresh/open_bugs.sql or bugs/priority_inputs.sql)
/// at `now`, with its terms, in row order.
pub fn priority_frame(rows: &[Row], now: i64) -> PolarsResult<DataFrame> {
    let frame = df!(
        "severity" => column::<String>(rows, "severity"),
        "status" => column::<String>(rows, "status"),
        "is_blocker" => column::<bool>(rows, "is_blocker"),
        "revenue_impact_daily" => column::<f64>(rows, "revenue_impact_daily"),
        "sla_hours" => column::<i64>(rows, "sla_hours"),
        "created_at" => column::<i64>(rows, "created_at"),
        "due_at" => column::<i64>(rows, "due_at"),
        "resolved_at" => column::<Option<i64>>(rows, "resolved_at"),
    )?;
    priority::with_priority(frame.lazy(), now).collect()
}

/// The new priority score of each open bug, in row order.
fn bug_scores(rows: &[Row], now: i64) -> PolarsResult<Vec<Decimal>> {
    let scored = priority_frame(rows, now)?;
    Ok(analytics::f64_values(&scored, "priority_score")?
        .into_iter()
        .map(|score| score.and_then(|s| decimal(s, 2)).unwrap_or_default())
        .collect())
}

struct ProjectScores {
    revenue_projection_12m: Option<Decimal>,
    dcf_valuation: Option<Decimal>,
    roi_score: Option<Decimal>,
    health_score: Option<i16>,
}

/// Valuation, ROI and health of each project, in row order.
fn project_scores(rows: &[Row]) -> PolarsResult<Vec<ProjectScores>> {
    let floats = |name: &str| column::<f64>(rows, name);
    let ints = |name: &str| column::<i64>(rows, name);
    let frame = df!(
        "arr" => floats("arr"),
        "revenue_growth_rate" => floats("revenue_growth_rate"),
        "operating_margin" => floats("operating_margin"),
        "discount_rate" => floats("discount_rate"),
        "terminal_growth_rate" => floats("terminal_growth_rate"),
        "monthly_infra_cost" => floats("monthly_infra_cost"),
        "appeal_score" => floats("appeal_score"),
        "engineering_cost_12m" => floats("engineering_cost_12m"),
        "complexity_score" => ints("complexity_score"),
        "open_critical" => ints("open_critical"),
        "open_breached" => ints("open_breached"),
        "open_bugs" => ints("open_bugs"),
        "recent_commits" => column::<bool>(rows, "recent_commits"),
    )?;
    let scored = valuation::with_health(valuation::with_valuation(frame.lazy())).collect()?;
    let projection = analytics::f64_values(&scored, "revenue_projection_12m")?;
    let dcf = analytics::f64_values(&scored, "dcf_valuation")?;
    let roi = analytics::f64_values(&scored, "roi_score")?;
    let health = analytics::i64_values(&scored, "health_score")?;
    Ok((0..rows.len())
        .map(|i| ProjectScores {
            revenue_projection_12m: projection[i].and_then(|v| decimal(v, 2)),
            dcf_valuation: dcf[i].filter(|v| v.is_finite()).and_then(|v| decimal(v, 2)),
            roi_score: roi[i].filter(|v| v.is_finite()).and_then(|v| decimal(v, 4)),
            health_score: health[i].and_then(|h| i16::try_from(h).ok()),
        })
        .collect())
}
