//! The nightly refresh's work, in the caller's transaction: the stored scores recomputed
//! in bulk. The inputs are read with one query per target, the formulas run in Polars and
//! exact rationals (`analytics`), the results are staged with COPY and applied with one
//! UPDATE per target, only where a value changed; then the monthly roll-ups, today's
//! portfolio snapshot and the search's word list. A second run changes nothing.

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use polars::prelude::IntoLazy;
use rust_decimal::Decimal;
use serde_json::json;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use crate::analytics::{self, priority, valuation};
use crate::db::copy::CopyIn;
use crate::db::{self, DbError};
use crate::queries::inputs;
use crate::sql;
use crate::ui;

/// How many rows of each target a refresh changed.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Changes {
    pub bug_scores: u64,
    pub closed_scores: u64,
    pub projects: u64,
    pub monthly_rows: u64,
    pub portfolio_rows: u64,
}

/// What a refresh did: its changes, the projects whose valuation is undefined and those
/// with a value too large for its column.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Refreshed {
    pub changes: Changes,
    pub undefined: Vec<String>,
    pub too_large: Vec<String>,
}

/// Refreshes everything at `as_of` in `tx`, and leaves the audit_log row.
pub async fn refresh_in(tx: &Transaction<'_>, as_of: DateTime<Utc>) -> Result<Refreshed> {
    tx.batch_execute(&sql::REFRESH_STAGING.sql)
        .await
        .map_err(|err| DbError::query(sql::REFRESH_STAGING.name, err))?;
    let mut refreshed = Refreshed::default();
    let changes = &mut refreshed.changes;
    (changes.bug_scores, changes.closed_scores) = score_bugs(tx, as_of).await?;
    changes.projects = score_projects(tx, as_of, &mut refreshed.undefined, &mut refreshed.too_large).await?;
    let changes = &mut refreshed.changes;
    let written_at = chrono::Utc::now();
    changes.monthly_rows = db::execute(tx, &sql::MONTHLY_ROLLUP, &[&as_of, &written_at]).await?;
    changes.portfolio_rows = db::execute(tx, &sql::REFRESH_PORTFOLIO_SNAPSHOT, &[&as_of]).await?;
    // the dictionary, only if text changed since it was built (a nightly run changes none)
    db::query(tx, &sql::SEARCH_REFRESH_WORDS_IF_CHANGED, &[]).await?;
    let audit = json!({
        "as_of": as_of.to_rfc3339(),
        "bug_scores": changes.bug_scores,
        "closed_scores": changes.closed_scores,
        "projects": changes.projects,
        "monthly_rows": changes.monthly_rows,
        "portfolio_rows": changes.portfolio_rows,
        "undefined_valuations": refreshed.undefined.len(),
        "formulas": analytics::FORMULA_VERSION,
    });
    db::audit(tx, None, "refresh", "database", None, &audit).await?;
    Ok(refreshed)
}

/// The open bugs' priorities at `as_of`, written where they changed, and 0 for the bugs
/// that are not open: how many of each were written.
async fn score_bugs(tx: &Transaction<'_>, as_of: DateTime<Utc>) -> Result<(u64, u64)> {
    let bugs = db::query(tx, &sql::REFRESH_OPEN_BUGS, &[]).await?;
    let step = std::time::Instant::now();
    let scores = bug_scores(&bugs, as_of.timestamp_micros()).context("while computing bug priorities")?;
    ui::verbose(&format!(
        "priorities of {} open bugs computed in {:.1} ms",
        bugs.len(),
        step.elapsed().as_secs_f64() * 1000.0
    ));
    let helper = sql::REFRESH_OPEN_BUGS.name;
    let (mut ids, mut changed): (Vec<Uuid>, Vec<Decimal>) = (Vec::new(), Vec::new());
    for (row, score) in bugs.iter().zip(scores) {
        let current: Decimal = db::get(row, helper, "priority_score")?;
        if current != score {
            ids.push(db::get(row, helper, "id")?);
            changed.push(score);
        }
    }
    let applied = db::query_one(tx, &sql::REFRESH_APPLY_BUG_SCORES, &[&ids, &changed]).await?;
    let helper = sql::REFRESH_APPLY_BUG_SCORES.name;
    let count = |column| db::get::<i64>(&applied, helper, column).map(|n| u64::try_from(n).unwrap_or(0));
    Ok((count("scored")?, count("zeroed")?))
}

/// Every project's valuation, ROI and health at `as_of`, written where they changed: how
/// many were. Projects whose valuation is undefined, or too large, are named.
async fn score_projects(
    tx: &Transaction<'_>,
    as_of: DateTime<Utc>,
    undefined: &mut Vec<String>,
    too_large: &mut Vec<String>,
) -> Result<u64> {
    let projects = db::query(tx, &sql::REFRESH_PROJECT_INPUTS, &[&as_of]).await?;
    let helper = sql::REFRESH_PROJECT_INPUTS.name;
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
    Ok(db::execute(tx, &sql::REFRESH_APPLY_PROJECT_SCORES, &[]).await?)
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
