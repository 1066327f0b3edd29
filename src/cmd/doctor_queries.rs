//! The query checks of `ctodb doctor`: every helper runs on the current database, and
//! EXPLAIN shows the hot queries using the index meant for them.

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;
use uuid::Uuid;

use crate::db::{self, DbError};
use crate::model::{BugStatus, ProjectStatus, Severity};
use crate::queries::bug_filter::BugPageParams;
use crate::queries::bug_filter::Who;
use crate::queries::search::{self, QueryWord, SearchTerms, WordKind};
use crate::queries::{BugFilter, BugSort, ProjectSort};
use crate::sql::{self, Helper};

type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// Values every probe binds: harmless filters, the as-of instant, an id that matches nothing.
pub struct Probe {
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
    nobody: Uuid,
    active: Vec<&'static str>,
    words: Vec<String>,
    no_ids: Vec<Uuid>,
    no_numbers: Vec<i64>,
    /// no partial words (the prefixes of bugs_fulltext and bugs_any_word)
    no_prefixes: String,
    /// every bug (no window of the newest)
    every_bug: i64,
    any_text: String,
    text: String,
    rare_text: String,
    none: Option<Uuid>,
    no_user: Option<String>,
    roi: &'static str,
    limit: i64,
    offset: i64,
    /// the length of the portfolio's top lists
    top: i64,
    days: i32,
    /// the merged page of the open bugs (bugs/page_merge)
    open_merge: Helper,
    /// open bugs, by priority, creation and due instant
    open_by_priority: BugPageParams,
    open_by_created: BugPageParams,
    open_by_due: BugPageParams,
    /// open critical bugs by priority, and past their due instant
    critical_by_priority: BugPageParams,
    critical_breached: BugPageParams,
    /// every bug of one person, earliest due first
    assignee_by_due: BugPageParams,
}

impl Probe {
    pub fn new(now: DateTime<Utc>) -> Probe {
        let open = BugFilter::open();
        let critical = BugFilter { severities: Some(vec![Severity::Critical]), ..BugFilter::open() };
        let critical_breached = BugFilter { breached: true, ..critical.clone() };
        let someone = BugFilter {
            statuses: BugStatus::ALL.to_vec(),
            assignee: Some(Who::Known(Uuid::nil())),
            ..BugFilter::open()
        };
        let (limit, offset) = (50, 0);
        Probe {
            now,
            today: now.date_naive(),
            nobody: Uuid::nil(),
            active: vec![ProjectStatus::Active.label()],
            words: vec!["login".into(), "timeout".into()],
            no_ids: Vec::new(),
            no_numbers: Vec::new(),
            no_prefixes: String::new(),
            every_bug: 0,
            // bugs_any_word fills up when few bugs hold every word, so for words few hold
            any_text: "quokka or wombat".into(),
            text: "login timeout".into(),
            rare_text: "quokka".into(),
            none: None,
            no_user: None,
            roi: ProjectSort::Roi.key(),
            limit,
            offset,
            top: crate::report::portfolio::TOP,
            days: 30,
            open_merge: sql::bugs_page_merge(|status, _| status.is_open(), false),
            open_by_priority: open.params(open.known(), now, BugSort::Priority, limit, offset, None),
            open_by_created: open.params(open.known(), now, BugSort::Created, limit, offset, None),
            open_by_due: open.params(open.known(), now, BugSort::Due, limit, offset, None),
            critical_by_priority: critical.params(
                critical.known(),
                now,
                BugSort::Priority,
                limit,
                offset,
                None,
            ),
            critical_breached: critical_breached.params(
                critical_breached.known(),
                now,
                BugSort::Due,
                limit,
                offset,
                None,
            ),
            assignee_by_due: someone.params(someone.known(), now, BugSort::Due, limit, offset, None),
        }
    }

    /// The helpers of one area with the parameters to run them with.
    pub fn helpers(&self, area: &str) -> Vec<(&Helper, Params<'_>)> {
        match area {
            "project" => vec![
                (&sql::PROJECT_FIND, vec![&self.text, &self.none]),
                (&sql::PROJECT_DETAIL, vec![&self.nobody, &self.now]),
                (&sql::PROJECTS_LIST, vec![&self.active, &self.roi, &self.now, &self.limit, &self.offset]),
                (
                    &sql::PROJECTS_LIST_ALL,
                    vec![&self.active, &self.roi, &self.now, &self.limit, &self.offset],
                ),
                (&sql::PROJECTS_COUNT, vec![&self.active]),
            ],
            "bug" => vec![
                (&sql::BUGS_PAGE_RUNS, self.open_by_priority.page()),
                (&sql::BUGS_PAGE_RUNS, self.open_by_created.page()),
                (&sql::BUGS_PAGE_RUNS, self.open_by_due.page()),
                (&self.open_merge, self.open_by_due.page()),
                (&sql::BUGS_PAGE_ALL, self.assignee_by_due.page()),
                (&sql::BUGS_COUNT, self.open_by_priority.count()),
                (&sql::OPEN_SLA_MAX, vec![]),
                (&sql::BUG_STATISTICS, vec![&self.now]),
                (&sql::SLA_COMPLIANCE, vec![&self.now]),
                (&sql::BUG_AGING, vec![&self.now]),
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
                (&sql::TOP_PROJECTS_BY_ROI, vec![&self.top]),
                (&sql::TOP_BUGS_BY_PRIORITY, vec![&self.now, &self.top]),
                (&sql::USER_WORKLOAD, vec![&self.no_user, &self.now]),
                (&sql::TEAM_PERFORMANCE, vec![&self.days, &self.now]),
            ],
            "search" => vec![
                (&sql::SEARCH_CORRECT_WORDS, vec![&self.words]),
                (&sql::SEARCH_PROJECTS, vec![&self.text, &self.limit]),
                (
                    &sql::SEARCH_BUGS_FULLTEXT,
                    vec![&self.text, &self.limit, &self.no_prefixes, &self.every_bug],
                ),
                (
                    &sql::SEARCH_BUGS_ANY_WORD,
                    vec![&self.any_text, &self.limit, &self.no_numbers, &self.no_prefixes, &self.every_bug],
                ),
                // ctodb search reaches it only when full text found fewer bugs than asked,
                // so for words few bugs hold: its probe is such a word
                (&sql::SEARCH_BUGS_TITLE, vec![&self.rare_text, &self.limit, &self.no_ids]),
            ],
            "sync" => vec![
                (&sql::LAST_IMPORTS, vec![]),
                (&sql::STALE_PROJECTS, vec![&self.now, &self.days]),
                (&sql::IMPORT_HISTORY, vec![&self.limit]),
            ],
            _ => Vec::new(),
        }
    }

    /// The hot queries and the indexes that may serve each (any one of them will do).
    pub fn hot_queries(&self) -> Vec<(&'static str, &Helper, Params<'_>, &'static [&'static str])> {
        vec![
            (
                "bugs by severity and status",
                &sql::BUGS_PAGE_RUNS,
                self.critical_by_priority.page(),
                &["bugs_page_priority_idx"],
            ),
            (
                "top bugs by priority",
                &sql::TOP_BUGS_BY_PRIORITY,
                vec![&self.now, &self.top],
                &["bugs_priority_idx"],
            ),
            (
                "critical open bugs past due",
                &sql::BUGS_PAGE_RUNS,
                self.critical_breached.page(),
                &["bugs_page_due_idx"],
            ),
            (
                "one person's bugs by due instant",
                &sql::BUGS_PAGE_ALL,
                self.assignee_by_due.page(),
                &["bugs_assignee_due_idx"],
            ),
            (
                "bug search, full text",
                &sql::SEARCH_BUGS_FULLTEXT,
                vec![&self.text, &self.limit, &self.no_prefixes, &self.every_bug],
                &["bug_search_vector_idx"],
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

/// A helper slower than this in doctor's run is named, with the plan node that took most
/// of its time (issue 19: every report and listing under 100 ms end to end; search
/// helpers have SEARCH_TARGET_MS).
pub const HELPER_TARGET_MS: f64 = 100.0;

/// Runs every helper of an area; the detail counts them, the failure names the one that
/// failed. Each helper over its target runs again under EXPLAIN ANALYZE, and when it is
/// over its target again a warning names the helper, both times and the plan's costliest
/// node.
pub async fn run_helpers(
    client: &mut Client,
    probe: &Probe,
    area: &str,
) -> Result<(String, Vec<String>), String> {
    let helpers = probe.helpers(area);
    let mut slow = Vec::new();
    for (helper, params) in &helpers {
        let started = std::time::Instant::now();
        db::query(&*client, helper, params).await.map_err(|err| err.to_string())?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let target = if area == "search" { SEARCH_TARGET_MS } else { HELPER_TARGET_MS };
        if ms > target {
            // run again, analyzed: a first run may only have met a cold cache
            let plan = explain(client, helper, params, "", true).await.map_err(|err| err.to_string())?;
            let again = plan["Execution Time"].as_f64().unwrap_or(0.0);
            if again > target {
                let (node, node_ms) = costliest_node(&plan["Plan"], 1.0);
                slow.push(format!(
                    "{} took {ms:.1} ms and {again:.1} ms again, over its {target} ms target; \
                     costliest plan node {node} ({node_ms:.1} ms)",
                    helper.name
                ));
            }
        }
    }
    let ran = format!("{} helpers ran", helpers.len());
    Ok(if slow.is_empty() { (ran, slow) } else { (format!("{ran}; {}", slow.join("; ")), slow) })
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
        let plan = explain(client, helper, params, settings, false)
            .await
            .map_err(|err| err.to_string())?
            .to_string();
        if let Some(index) = expected.iter().find(|index| plan.contains(&format!("\"{index}\""))) {
            let note = if small { " (small table: checked with scans disabled)" } else { "" };
            return Ok(format!("uses {index}{note}"));
        }
    }
    Err(format!("{} does not use {}", helper.name, expected.join(" or ")))
}

/// The plan of one helper as EXPLAIN gives it in JSON, taken inside a transaction that
/// applies `settings` and is rolled back; with `analyze`, run and timed (the first plan
/// of the array, which carries "Execution Time").
async fn explain(
    client: &mut Client,
    helper: &Helper,
    params: &[&(dyn ToSql + Sync)],
    settings: &str,
    analyze: bool,
) -> Result<serde_json::Value, DbError> {
    let tx = client.transaction().await.map_err(|e| DbError::query("doctor/explain", e))?;
    tx.batch_execute(settings).await.map_err(|e| DbError::query("doctor/explain", e))?;
    // the statement is the helper's own constant text; the values stay bound parameters
    let options = if analyze { "ANALYZE, FORMAT JSON" } else { "FORMAT JSON" };
    let explain = format!("EXPLAIN ({options}) {}", helper.sql);
    let rows = tx.query(explain.as_str(), params).await.map_err(|e| DbError::query(helper.name, e))?;
    let plan: serde_json::Value = match rows.first() {
        Some(row) => db::get(row, helper.name, "QUERY PLAN")?,
        None => serde_json::Value::Null,
    };
    tx.rollback().await.map_err(|e| DbError::query("doctor/explain", e))?;
    Ok(plan.get(0).cloned().unwrap_or(serde_json::Value::Null))
}

/// The search's server-time target (issue 19): any query of one to three words.
pub const SEARCH_TARGET_MS: f64 = 200.0;

/// What the worst-case search probe found: the slowest query, its time, and the plan node
/// that took most of it.
pub struct SearchWorstCase {
    pub text: String,
    pub matches: i64,
    pub ms: f64,
    pub costliest: String,
}

/// Runs the full-text search, EXPLAIN ANALYZEd, for the most common word of the data and
/// for the two most common together (its cost grows with the matches, so these are its
/// worst cases), and returns the slower. None when the dictionary is empty.
pub async fn search_worst_case(client: &mut Client) -> Result<Option<SearchWorstCase>, DbError> {
    let how_many: i64 = 2;
    let rows = db::query(&*client, &sql::SEARCH_COMMON_WORDS, &[&how_many]).await?;
    let helper = sql::SEARCH_COMMON_WORDS.name;
    let mut words = Vec::new();
    let (mut bugs, mut newest) = (0, 0);
    for row in &rows {
        let text: String = db::get(row, helper, "word")?;
        let holding: i64 = db::get(row, helper, "ndoc")?;
        bugs = db::get(row, helper, "bugs")?;
        newest = db::get(row, helper, "newest")?;
        words.push(QueryWord { text, kind: WordKind::Whole { holding: Some(holding) } });
    }
    let Some(first) = words.first().cloned() else { return Ok(None) };
    let limit: i64 = 50;
    let mut worst: Option<SearchWorstCase> = None;
    for probe in [vec![first], words] {
        let terms = SearchTerms::new(probe, bugs, newest);
        let text = terms.text();
        // as ctodb search runs it: words in very many bugs among the newest, other common
        // words by scanning the documents
        let window = terms.window_all();
        let floor = window.map_or(0, |w| w.floor);
        let settings = if terms.scans() || window.is_some() { search::SCAN_DOCUMENTS } else { "" };
        let plan = explain(client, &sql::SEARCH_BUGS_FULLTEXT, &[&text, &limit, &"", &floor], settings, true)
            .await?;
        let ms = plan["Execution Time"].as_f64().unwrap_or(0.0);
        if worst.as_ref().is_some_and(|w| w.ms >= ms) {
            continue;
        }
        let (node, node_ms) = costliest_node(&plan["Plan"], 1.0);
        worst = Some(SearchWorstCase {
            matches: matched_rows(&plan["Plan"]),
            text,
            ms,
            costliest: format!("{node} ({node_ms:.1} ms)"),
        });
    }
    Ok(worst)
}

/// A plan node's own time: its total over all loops less its children's. Below a Gather
/// the loops are the parallel processes (`per` of them), which run at once.
fn own_ms(node: &serde_json::Value, per: f64) -> f64 {
    let total = |n: &serde_json::Value, per: f64| {
        n["Actual Total Time"].as_f64().unwrap_or(0.0) * n["Actual Loops"].as_f64().unwrap_or(1.0) / per
    };
    let below = processes(node, per);
    let children: f64 = node["Plans"]
        .as_array()
        .map(|plans| plans.iter().map(|child| total(child, below)).sum())
        .unwrap_or(0.0);
    (total(node, per) - children).max(0.0)
}

/// How many processes run the children of this node: a Gather's workers and its leader.
fn processes(node: &serde_json::Value, per: f64) -> f64 {
    match node["Node Type"].as_str() {
        Some("Gather" | "Gather Merge") => node["Workers Launched"].as_f64().unwrap_or(0.0) + 1.0,
        _ => per,
    }
}

/// The node that spent the most time itself, described as EXPLAIN names it.
fn costliest_node(plan: &serde_json::Value, per: f64) -> (String, f64) {
    let mut best = (describe_node(plan), own_ms(plan, per));
    let below = processes(plan, per);
    for child in plan["Plans"].as_array().into_iter().flatten() {
        let found = costliest_node(child, below);
        if found.1 > best.1 {
            best = found;
        }
    }
    best
}

fn describe_node(node: &serde_json::Value) -> String {
    let kind = node["Node Type"].as_str().unwrap_or("node");
    let kind = if node["Parallel Aware"].as_bool() == Some(true) {
        format!("Parallel {kind}")
    } else {
        kind.to_string()
    };
    match (node["Relation Name"].as_str(), node["Index Name"].as_str()) {
        (_, Some(index)) => format!("{kind} using {index}"),
        (Some(table), None) => format!("{kind} on {table}"),
        (None, None) => kind.to_string(),
    }
}

/// The rows the scan over the documents returned (over all its parallel loops): how many
/// bugs matched.
fn matched_rows(plan: &serde_json::Value) -> i64 {
    if plan["Relation Name"].as_str() == Some("bug_search") {
        let loops = plan["Actual Loops"].as_f64().unwrap_or(1.0);
        return (plan["Actual Rows"].as_f64().unwrap_or(0.0) * loops).round() as i64;
    }
    plan["Plans"].as_array().into_iter().flatten().map(matched_rows).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{costliest_node, matched_rows};
    use serde_json::json;

    #[test]
    fn the_costliest_node_counts_parallel_processes_once_and_inner_loops_each_time() {
        let parallel = json!({
            "Node Type": "Limit", "Actual Total Time": 100.0, "Actual Loops": 1,
            "Plans": [{
                "Node Type": "Gather Merge", "Actual Total Time": 100.0, "Actual Loops": 1, "Workers Launched": 2,
                "Plans": [{
                    "Node Type": "Sort", "Actual Total Time": 90.0, "Actual Loops": 3,
                    "Plans": [{
                        "Node Type": "Seq Scan", "Parallel Aware": true, "Relation Name": "bug_search",
                        "Actual Total Time": 80.0, "Actual Loops": 3, "Actual Rows": 1000
                    }]
                }]
            }]
        });
        assert_eq!(costliest_node(&parallel, 1.0), ("Parallel Seq Scan on bug_search".to_string(), 80.0));
        assert_eq!(matched_rows(&parallel), 3000);
        let nested = json!({
            "Node Type": "Nested Loop", "Actual Total Time": 70.0, "Actual Loops": 1,
            "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "users", "Actual Total Time": 15.0, "Actual Loops": 1},
                {"Node Type": "Index Scan", "Index Name": "bugs_pkey", "Actual Total Time": 5.0, "Actual Loops": 10}
            ]
        });
        assert_eq!(costliest_node(&nested, 1.0), ("Index Scan using bugs_pkey".to_string(), 50.0));
    }
}
