//! The computed report frames of a snapshot (`report_<name>.parquet`), read in the export's
//! database snapshot, so that they agree with the tables beside them: the portfolio
//! summary, every project with its valuation, ROI and health, the open bugs with priority
//! and SLA state, SLA compliance by severity, monthly trends and engineering metrics.

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::analytics::{engineering, trends};
use crate::frame::Frame;
use crate::model::ProjectStatus;
use crate::output::computed;
use crate::queries::{fetch_frame, inputs, BugFilter, BugSort, ProjectSort};
use crate::sql;

/// Months of the trends frame and of the engineering frame (the reports' defaults).
const TREND_MONTHS: i32 = 12;
const ENGINEERING_MONTHS: i32 = 3;

/// The report frames a snapshot may hold, in the order they are written.
pub const REPORTS: [&str; 6] = ["portfolio", "projects", "open_bugs", "sla", "trends", "engineering"];

/// The report frames `wanted` names, named as their files are (`report_<name>.parquet`).
pub async fn report_frames(
    client: &impl GenericClient,
    as_of: DateTime<Utc>,
    wanted: &[&str],
) -> Result<Vec<Frame>> {
    let mut frames = Vec::new();
    for name in wanted {
        frames.push(report_frame(client, as_of, name).await?);
    }
    Ok(frames)
}

async fn report_frame(client: &impl GenericClient, as_of: DateTime<Utc>, name: &str) -> Result<Frame> {
    let (limit, offset) = (i64::MAX, 0i64);
    Ok(match name {
        "portfolio" => fetch_frame(client, &sql::PORTFOLIO_OVERVIEW, &[&as_of], "portfolio").await?,
        "projects" => {
            let statuses: Vec<&str> = ProjectStatus::ALL.iter().map(|s| s.label()).collect();
            let sort = ProjectSort::Name.key();
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                [&statuses, &sort, &as_of, &limit, &offset];
            fetch_frame(client, &sql::PROJECTS_LIST_ALL, &params, "projects").await?
        }
        "open_bugs" => {
            let mut open_bugs =
                BugFilter::open().page(client, as_of, BugSort::Priority, limit, offset).await?;
            open_bugs.footer = None;
            open_bugs.renamed("open_bugs")
        }
        "sla" => fetch_frame(client, &sql::SLA_COMPLIANCE, &[&as_of], "sla").await?,
        "trends" => {
            let none: Option<uuid::Uuid> = None;
            let months =
                crate::db::query(client, &sql::TRENDS_INPUTS, &[&none, &as_of, &TREND_MONTHS]).await?;
            let months = inputs::months(&months, &sql::TRENDS_INPUTS)?;
            computed::trends(&trends::monthly_trends(&months))
        }
        "engineering" => {
            let rows =
                crate::db::query(client, &sql::ENGINEERING_METRICS, &[&as_of, &ENGINEERING_MONTHS]).await?;
            let (severities, hours, cost) = inputs::engineering(&rows, &sql::ENGINEERING_METRICS)?;
            computed::engineering(&engineering::engineering_metrics(&severities, hours, cost))
        }
        other => anyhow::bail!("no report frame {other:?}"),
    })
}
