//! `ctodb refresh`: the nightly cron job. Takes the refresh lock, runs the refresh
//! (`crate::refresh`) in one transaction that is written once (`db::once`), vacuums what
//! it changed, and names the projects whose valuation is undefined.

use anyhow::Result;

use super::{Context, Outcome};
use crate::db::{self, DbError};
use crate::refresh::{Changes, Refreshed};
use crate::sql;
use crate::ui;

/// How many projects with an undefined valuation are named one by one.
const NAMED_WARNINGS: usize = 10;

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
    let Refreshed { changes, undefined, too_large } = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        let row = db::query_one(&tx, &sql::REFRESH_TRY_LOCK, &[]).await?;
        if !db::get::<bool>(&row, sql::REFRESH_TRY_LOCK.name, "taken")? {
            ui::info("another refresh is running; waiting for it to finish");
            db::query(&tx, &sql::REFRESH_LOCK, &[]).await?;
        }
        crate::fault::pause_point("refresh:locked").await;
        let result = crate::refresh::refresh_in(&tx, ctx.as_of).await?;
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
