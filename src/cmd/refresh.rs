//! `ctodb refresh`: recomputes the stored scores in one transaction and in bulk: the
//! inputs are read with one query per target, the formulas run in Polars, the results are
//! staged with COPY and applied with one UPDATE per target, only where a value changed.
//! Runs as the nightly cron job; a second run changes nothing.

use anyhow::{Context as _, Result};
use polars::prelude::IntoLazy;
use rust_decimal::Decimal;
use serde_json::json;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use super::{Context, Outcome};
use crate::analytics::{self, priority, valuation};
use crate::db::copy::CopyIn;
use crate::db::{self, DbError};
use crate::queries::inputs;
use crate::sql;
use crate::ui;

/// How many projects with an undefined valuation are named one by one.
const NAMED_WARNINGS: usize = 10;

#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Changes {
    pub bug_scores: u64,
    pub closed_scores: u64,
    pub projects: u64,
    pub monthly_rows: u64,
    pub portfolio_rows: u64,
}

pub async fn run(ctx: &Context) -> Result<Outcome> {
    let changes = refresh(ctx).await?;
    super::report_committed(&summary(ctx, &changes));
    Ok(Outcome::Success)
}

/// The line that says what a refresh changed.
pub fn summary(ctx: &Context, changes: &Changes) -> String {
    format!(
        "refreshed at {}: {} bug priorities ({} closed bugs zeroed), {} projects, {} monthly rows, {} portfolio snapshot changed",
        ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        changes.bug_scores,
        changes.closed_scores,
        changes.projects,
        changes.monthly_rows,
        changes.portfolio_rows
    )
}

/// Refreshes everything; retried as a whole on a transient failure.
pub async fn refresh(ctx: &Context) -> Result<Changes> {
    let db = ctx.connect().await?;
    let run = db::Run::new("refresh");
    let (changes, undefined, too_large) = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        let row = db::query_one(&tx, &sql::REFRESH_TRY_LOCK, &[]).await?;
        if !db::get::<bool>(&row, sql::REFRESH_TRY_LOCK.name, "taken")? {
            ui::info("another refresh is running; waiting for it to finish");
            db::query(&tx, &sql::REFRESH_LOCK, &[]).await?;
        }
        crate::fault::pause_point("refresh:locked").await;
        let result = refresh_in(&tx, ctx).await?;
        run.commit(tx, &result).await?;
        Ok(result)
    })
    .await?;
    super::committed(&summary(ctx, &changes));
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
    for name in &too_large {
        ui::warn(&format!(
            "a computed value of project {name:?} is too large for its column; it was left empty"
        ));
    }
    if undefined.len() > NAMED_WARNINGS {
        ui::warn(&format!("{} more projects have an undefined valuation", undefined.len() - NAMED_WARNINGS));
    }
    Ok(changes)
}

/// The changes, the projects whose valuation is undefined and those whose values are too
/// large for their columns.
async fn refresh_in(tx: &Transaction<'_>, ctx: &Context) -> Result<(Changes, Vec<String>, Vec<String>)> {
    let mut changes = Changes::default();
    tx.batch_execute(&sql::REFRESH_STAGING.sql)
        .await
        .map_err(|err| DbError::query(sql::REFRESH_STAGING.name, err))?;
    let now = ctx.as_of.timestamp_micros();

    let bugs = db::query(tx, &sql::REFRESH_OPEN_BUGS, &[]).await?;
    let step = std::time::Instant::now();
    let scores = bug_scores(&bugs, now).context("while computing bug priorities")?;
    ui::verbose(&format!(
        "priorities of {} open bugs computed in {:.1} ms",
        bugs.len(),
        step.elapsed().as_secs_f64() * 1000.0
    ));
    let helper = sql::REFRESH_OPEN_BUGS.name;
    let mut copy = CopyIn::start(
        tx,
        "refresh_bug_scores",
        &["id", "priority_score"],
        ui::progress(bugs.len() as u64, "bug scores"),
    )
    .await?;
    for (row, score) in bugs.iter().zip(scores) {
        let current: Decimal = db::get(row, helper, "priority_score")?;
        if current != score {
            let id: Uuid = db::get(row, helper, "id")?;
            copy.write(&[&id, &score]).await?;
        }
    }
    copy.finish().await?;
    changes.bug_scores = db::execute(tx, &sql::REFRESH_APPLY_BUG_SCORES, &[]).await?;
    changes.closed_scores = db::execute(tx, &sql::REFRESH_ZERO_CLOSED, &[]).await?;

    let projects = db::query(tx, &sql::REFRESH_PROJECT_INPUTS, &[&ctx.as_of]).await?;
    let helper = sql::REFRESH_PROJECT_INPUTS.name;
    let mut undefined = Vec::new();
    let mut too_large = Vec::new();
    let step = std::time::Instant::now();
    let scored = projects
        .iter()
        .map(project_scores)
        .collect::<Result<Vec<_>>>()
        .context("while computing project valuations")?;
    ui::verbose(&format!(
        "valuations, ROI and health of {} projects computed in {:.1} ms",
        projects.len(),
        step.elapsed().as_secs_f64() * 1000.0
    ));
    let mut copy = CopyIn::start(
        tx,
        "refresh_project_scores",
        &["id", "revenue_projection_12m", "dcf_valuation", "roi_score", "health_score"],
        ui::progress(projects.len() as u64, "project scores"),
    )
    .await?;
    for (row, s) in projects.iter().zip(scored) {
        let id: Uuid = db::get(row, helper, "id")?;
        let name: String = db::get(row, helper, "name")?;
        if s.overflowed {
            too_large.push(name);
        } else if s.dcf_valuation.is_none() {
            undefined.push(name);
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
    Ok((changes, undefined, too_large))
}

/// The new priority score of each open bug, in row order.
fn bug_scores(rows: &[Row], now: i64) -> Result<Vec<Decimal>> {
    let frame = inputs::priority_frame(rows, &sql::REFRESH_OPEN_BUGS)?;
    let scored = priority::with_priority(frame.lazy(), now).collect()?;
    Ok(analytics::i64_values(&scored, "priority_hundredths")?
        .into_iter()
        .map(|hundredths| priority::score(hundredths.unwrap_or_default()))
        .collect())
}

/// The bounds of the columns refresh writes (projects: numeric(16,2), numeric(18,2),
/// numeric(18,4)): a value beyond them is reported and stored as NULL rather than
/// failing the whole refresh.
fn within(value: Option<Decimal>, integer_digits: u32) -> Option<Decimal> {
    value.filter(|v| v.abs() < Decimal::from(10u64.pow(integer_digits)))
}

struct ProjectScores {
    revenue_projection_12m: Option<Decimal>,
    dcf_valuation: Option<Decimal>,
    roi_score: Option<Decimal>,
    health_score: i16,
    /// a computed value did not fit its column
    overflowed: bool,
}

/// Valuation, ROI and health of a project of refresh/project_inputs.sql.
fn project_scores(row: &Row) -> Result<ProjectScores> {
    let (valuation_inputs, health_inputs) = inputs::project(row, &sql::REFRESH_PROJECT_INPUTS)?;
    let v = valuation::valuation(&valuation_inputs);
    let projection = within(v.revenue_projection_12m, 14);
    let dcf = within(v.dcf_valuation, 16);
    let roi = within(v.roi_score, 14);
    Ok(ProjectScores {
        overflowed: projection != v.revenue_projection_12m || dcf != v.dcf_valuation || roi != v.roi_score,
        revenue_projection_12m: projection,
        dcf_valuation: dcf,
        roi_score: roi,
        health_score: valuation::health(health_inputs),
    })
}
