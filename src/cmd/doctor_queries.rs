//! The query checks of `ctodb doctor`: every helper runs on the current database, and
//! EXPLAIN shows the hot queries using the index meant for them.

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient};
use uuid::Uuid;

use crate::db::{self, DbError};
use crate::sql::{self, Helper};

type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// Values every probe binds: harmless filters, the as-of instant, an id that matches nothing.
pub struct Probe {
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
    nobody: Uuid,
    open: Vec<String>,
    every_status: Vec<String>,
    someone: Option<Uuid>,
    critical: Option<Vec<String>>,
    no_severity: Option<Vec<String>>,
    active: Vec<String>,
    words: Vec<String>,
    priority: String,
    created: String,
    due: String,
    no_ids: Vec<Uuid>,
    no_horizon: Option<i32>,
    text: String,
    none: Option<Uuid>,
    no_user: Option<String>,
    yes: bool,
    no: bool,
    roi: String,
    limit: i64,
    offset: i64,
    days: i32,
}

impl Probe {
    pub fn new(now: DateTime<Utc>) -> Probe {
        Probe {
            now,
            today: now.date_naive(),
            nobody: Uuid::nil(),
            open: vec!["pending".into(), "in_progress".into()],
            every_status: ["pending", "in_progress", "verified", "shipped", "closed", "deferred"]
                .map(String::from)
                .to_vec(),
            someone: Some(Uuid::nil()),
            critical: Some(vec!["critical".into()]),
            no_severity: None,
            active: vec!["active".into()],
            words: vec!["login".into(), "timeout".into()],
            priority: "priority".into(),
            created: "created".into(),
            due: "due".into(),
            no_ids: Vec::new(),
            no_horizon: None,
            text: "login timeout".into(),
            none: None,
            no_user: None,
            yes: true,
            no: false,
            roi: "roi".into(),
            limit: 50,
            offset: 0,
            days: 30,
        }
    }

    /// The helpers of one area with the parameters to run them with.
    pub fn helpers(&self, area: &str) -> Vec<(&'static Helper, Params<'_>)> {
        match area {
            "project" => vec![
                (&sql::PROJECT_FIND, vec![&self.text, &self.none]),
                (&sql::PROJECT_DETAIL, vec![&self.nobody, &self.now]),
                (&sql::PROJECTS_LIST, vec![&self.active, &self.roi, &self.now, &self.limit, &self.offset]),
                (&sql::PROJECTS_COUNT, vec![&self.active]),
            ],
            "bug" => vec![
                (&sql::BUGS_PAGE_RUNS, self.bug_page(&self.no_severity, &self.priority)),
                (&sql::BUGS_PAGE_RUNS, self.bug_page(&self.no_severity, &self.created)),
                (&sql::BUGS_PAGE_RUNS, self.bug_page(&self.no_severity, &self.due)),
                (open_merge_page(), self.bug_page(&self.no_severity, &self.due)),
                (&sql::BUGS_PAGE_ALL, self.bug_page(&self.no_severity, &self.created)),
                (&sql::BUGS_COUNT, self.bug_count(&self.no_severity)),
                (&sql::OPEN_SLA_MAX, vec![]),
                (&sql::BUG_STATISTICS, vec![&self.now]),
                (&sql::SLA_COMPLIANCE, vec![&self.now]),
                (&sql::BUG_SHOW, vec![&self.limit, &self.now]),
                (&sql::BUG_HISTORY, vec![&self.nobody]),
            ],
            "metrics" => vec![
                (&sql::DAILY_METRICS, vec![&self.nobody, &self.today, &self.days]),
                (&sql::MONTHLY_METRICS, vec![&self.none, &self.today, &self.days]),
                (&sql::ENGINEERING_METRICS, vec![&self.now, &self.days]),
            ],
            "portfolio" => vec![
                (&sql::PORTFOLIO_OVERVIEW, vec![&self.now]),
                (&sql::TOP_PROJECTS_BY_ROI, vec![]),
                (&sql::TOP_BUGS_BY_PRIORITY, vec![&self.now]),
                (&sql::USER_WORKLOAD, vec![&self.no_user, &self.now]),
                (&sql::TEAM_PERFORMANCE, vec![&self.days, &self.now]),
            ],
            "search" => vec![
                (&sql::SEARCH_CORRECT_WORDS, vec![&self.words]),
                (&sql::SEARCH_PROJECTS, vec![&self.text, &self.limit]),
                (&sql::SEARCH_BUGS_FULLTEXT, vec![&self.text, &self.limit]),
                (&sql::SEARCH_BUGS_TITLE, vec![&self.text, &self.limit, &self.no_ids]),
            ],
            "sync" => vec![
                (&sql::LAST_IMPORTS, vec![]),
                (&sql::STALE_PROJECTS, vec![&self.now, &self.days]),
                (&sql::IMPORT_HISTORY, vec![&self.limit]),
            ],
            _ => Vec::new(),
        }
    }

    fn bug_filters<'a>(&'a self, severities: &'a Option<Vec<String>>) -> Params<'a> {
        vec![
            severities, &self.open, &self.none, &self.none, &self.no, &self.no, &self.no, &self.no, &self.now,
        ]
    }

    fn bug_page<'a>(&'a self, severities: &'a Option<Vec<String>>, sort: &'a String) -> Params<'a> {
        let mut params = self.bug_filters(severities);
        params.extend([&self.limit as &(dyn ToSql + Sync), &self.offset, sort, &self.no_horizon]);
        params
    }

    fn bug_count<'a>(&'a self, severities: &'a Option<Vec<String>>) -> Params<'a> {
        let mut params = self.bug_filters(severities);
        params.push(&self.no_horizon);
        params
    }

    /// The hot queries and the indexes that may serve each (any one of them will do).
    pub fn hot_queries(&self) -> Vec<(&'static str, &'static Helper, Params<'_>, &'static [&'static str])> {
        let mut critical_breached = self.bug_page(&self.critical, &self.due);
        critical_breached[6] = &self.yes;
        let mut assignee_by_due = self.bug_page(&self.no_severity, &self.due);
        assignee_by_due[1] = &self.every_status;
        assignee_by_due[3] = &self.someone;
        vec![
            (
                "bugs by severity and status",
                &sql::BUGS_PAGE_RUNS,
                self.bug_page(&self.critical, &self.priority),
                &["bugs_page_priority_idx"],
            ),
            ("top bugs by priority", &sql::TOP_BUGS_BY_PRIORITY, vec![&self.now], &["bugs_priority_idx"]),
            ("critical open bugs past due", &sql::BUGS_PAGE_RUNS, critical_breached, &["bugs_page_due_idx"]),
            (
                "one person's bugs by due instant",
                &sql::BUGS_PAGE_ALL,
                assignee_by_due,
                &["bugs_assignee_due_idx"],
            ),
            (
                "bug search, full text",
                &sql::SEARCH_BUGS_FULLTEXT,
                vec![&self.text, &self.limit],
                &["bugs_search_vector_idx"],
            ),
            (
                "bug search, titles",
                &sql::SEARCH_BUGS_TITLE,
                vec![&self.text, &self.limit, &self.no_ids],
                &["bugs_title_trgm_idx"],
            ),
        ]
    }
}

/// The merged bug page (bugs/page_merge) of open bugs, the probes' statuses.
fn open_merge_page() -> &'static Helper {
    sql::bugs_page_merge(|status, _| matches!(status, "pending" | "in_progress"))
}

/// Runs every helper of an area; the detail counts them, the failure names the one that failed.
pub async fn run_helpers(client: &impl GenericClient, probe: &Probe, area: &str) -> Result<String, String> {
    let helpers = probe.helpers(area);
    for (helper, params) in &helpers {
        db::query(client, helper, params).await.map_err(|err| err.to_string())?;
    }
    Ok(format!("{} helpers ran", helpers.len()))
}

/// EXPLAINs one hot query and names the index its plan uses. On a small table the planner
/// rightly prefers scanning and sorting, so there the plan is taken with sequential scans,
/// bitmap scans and sorts disabled (an index must then serve the query in its order),
/// and, for indexes that only support bitmap scans (GIN), with sequential scans alone
/// disabled: the check is that the index can serve the query, as it will at scale.
pub async fn explain_uses_index(
    client: &mut Client,
    helper: &Helper,
    params: &[&(dyn ToSql + Sync)],
    expected: &[&str],
    small: bool,
) -> Result<String, String> {
    let attempts: &[&str] = if small {
        &[
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off",
            "SET LOCAL enable_seqscan = off",
        ]
    } else {
        &[""]
    };
    for settings in attempts {
        let plan = explain(client, helper, params, settings).await.map_err(|err| err.to_string())?;
        if let Some(index) = expected.iter().find(|index| plan.contains(&format!("\"{index}\""))) {
            let note = if small { " (small table: checked with scans disabled)" } else { "" };
            return Ok(format!("uses {index}{note}"));
        }
    }
    Err(format!("{} does not use {}", helper.name, expected.join(" or ")))
}

async fn explain(
    client: &mut Client,
    helper: &Helper,
    params: &[&(dyn ToSql + Sync)],
    settings: &str,
) -> Result<String, DbError> {
    let tx = client.transaction().await.map_err(|e| DbError::query("doctor/explain", e))?;
    tx.batch_execute(settings).await.map_err(|e| DbError::query("doctor/explain", e))?;
    // the statement is the helper's own constant text; the values stay bound parameters
    let explain = format!("EXPLAIN (FORMAT JSON) {}", helper.sql);
    let rows = tx.query(explain.as_str(), params).await.map_err(|e| DbError::query(helper.name, e))?;
    let plan: serde_json::Value = rows.first().map(|row| row.get(0)).unwrap_or_default();
    tx.rollback().await.map_err(|e| DbError::query("doctor/explain", e))?;
    Ok(plan.to_string())
}
