//! The computed report frames of a snapshot (`report_<name>.parquet`), read in the export's
//! database snapshot, so that they agree with the tables beside them: the portfolio
//! summary, every project with its valuation, ROI and health, the open bugs with priority
//! and SLA state, SLA compliance by severity, monthly trends and engineering metrics.

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::analytics::{engineering, trends};
use crate::model::ProjectStatus;
use crate::output::{computed, Frame};
use crate::queries::{fetch_frame, inputs, BugFilter, BugSort, ProjectSort};
use crate::sql;

/// Months of the trends frame and of the engineering frame (the reports' defaults).
const TREND_MONTHS: i32 = 12;
const ENGINEERING_MONTHS: i32 = 3;

/// Every report frame, named as its file is (`report_<name>.parquet`).
pub async fn report_frames(client: &impl GenericClient, as_of: DateTime<Utc>) -> Result<Vec<Frame>> {
    let mut frames = Vec::new();
    frames.push(fetch_frame(client, &sql::PORTFOLIO_OVERVIEW, &[&as_of], "portfolio").await?);
    let statuses: Vec<&str> = ProjectStatus::ALL.iter().map(|s| s.label()).collect();
    let (limit, offset) = (i64::MAX, 0i64);
    let sort = ProjectSort::Name.key();
    frames.push(
        fetch_frame(
            client,
            &sql::PROJECTS_LIST_ALL,
            &[&statuses, &sort, &as_of, &limit, &offset],
            "projects",
        )
        .await?,
    );
    let mut open_bugs = BugFilter::open().page(client, as_of, BugSort::Priority, limit, offset).await?;
    open_bugs.footer = None;
    frames.push(open_bugs.renamed("open_bugs"));
    frames.push(fetch_frame(client, &sql::SLA_COMPLIANCE, &[&as_of], "sla").await?);
    let none: Option<uuid::Uuid> = None;
    let months = crate::db::query(client, &sql::TRENDS_INPUTS, &[&none, &as_of, &TREND_MONTHS]).await?;
    let months = inputs::months(&months, &sql::TRENDS_INPUTS)?;
    frames.push(computed::trends(&trends::monthly_trends(&months)));
    let rows = crate::db::query(client, &sql::ENGINEERING_METRICS, &[&as_of, &ENGINEERING_MONTHS]).await?;
    let (severities, hours, cost) = inputs::engineering(&rows, &sql::ENGINEERING_METRICS)?;
    frames.push(computed::engineering(&engineering::engineering_metrics(&severities, hours, cost)));
    Ok(frames)
}
