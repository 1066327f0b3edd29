//! The lists a snapshot keeps whole: every project (`report_projects`) and every open bug
//! (`report_open_bugs`), stored in the export's transaction; and `ctodb projects` and
//! `ctodb bugs` over them, with the same filters, orders and pages as live.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use crate::frame::Frame;
use crate::model::ProjectStatus;
use crate::queries::{fetch_frame, BugFilter, BugSort, ProjectSort};
use crate::snapshot::select::{paged, select_rows, text};
use crate::snapshot::Snapshot;
use crate::sql;

/// Every project by name, as `ctodb projects --all --sort name` lists them.
pub async fn stored_projects(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    let statuses: Vec<&str> = ProjectStatus::ALL.iter().map(|s| s.label()).collect();
    let sort = ProjectSort::Name.key();
    let (limit, offset) = (i64::MAX, 0i64);
    let params: [&(dyn ToSql + Sync); 5] = [&statuses, &sort, &as_of, &limit, &offset];
    fetch_frame(client, &sql::PROJECTS_LIST_ALL, &params, "projects").await
}

/// Every open bug by priority, as `ctodb bugs` lists them.
pub async fn stored_open_bugs(client: &(impl GenericClient + Sync), as_of: DateTime<Utc>) -> Result<Frame> {
    let mut open_bugs = BugFilter::open().page(client, as_of, BugSort::Priority, i64::MAX, 0).await?;
    open_bugs.page = None;
    Ok(open_bugs)
}

/// `ctodb projects` over a snapshot's stored projects.
pub fn stored_project_page(
    snapshot: &Snapshot,
    statuses: &[ProjectStatus],
    sort: ProjectSort,
    limit: i64,
    offset: i64,
) -> Result<Frame> {
    use polars::prelude::{col, lit};
    let frame = snapshot.stored("projects", "projects")?;
    let (key, descending) = match sort {
        ProjectSort::Roi => ("roi_score", true),
        ProjectSort::Arr => ("arr", true),
        ProjectSort::Valuation => ("dcf_valuation", true),
        ProjectSort::Health => ("health_score", false),
        ProjectSort::Name => ("name", false),
    };
    let wanted = statuses
        .iter()
        .map(|s| col("status").eq(lit(s.label())))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let chosen = select_rows(frame, &["status", key, "name"], wanted, &[(key, descending), ("name", false)])?;
    Ok(paged(chosen.when_empty("no projects match"), limit, offset))
}

/// `ctodb bugs` over a snapshot's stored open bugs (a snapshot keeps the open ones only).
pub fn stored_bugs(
    snapshot: &Snapshot,
    filter: &BugFilter,
    sort: BugSort,
    limit: i64,
    offset: i64,
) -> Result<Frame> {
    let frame = snapshot.stored("open_bugs", "bugs")?;
    let rows = filter.stored_rows(|typed| project_name(snapshot, typed))?;
    let (key, descending) = match sort {
        BugSort::Priority => ("priority", true),
        BugSort::Created => ("created_at", true),
        BugSort::Due => ("due_at", false),
    };
    let columns = ["severity", "status", "project", "assignee", "blocker", "sla_state", key, "bug"];
    let chosen = select_rows(frame, &columns, rows, &[(key, descending), ("bug", false)])?;
    Ok(paged(chosen.when_empty("no bugs match"), limit, offset))
}

/// The stored name of the project a user means: its name in any case.
fn project_name(snapshot: &Snapshot, typed: &str) -> Result<String> {
    let projects = snapshot.stored("projects", "projects")?;
    projects
        .rows
        .iter()
        .filter_map(|row| text(&projects, row, "name"))
        .find(|name| name.eq_ignore_ascii_case(typed))
        .map(str::to_string)
        .with_context(|| format!("no project named {typed:?} in the snapshot"))
}
