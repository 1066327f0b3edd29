//! The catalog of hand-written SQL: every file under `sql/` embedded once and named once.
//! Commands refer to these constants; no SQL text is built from user input anywhere.

use std::borrow::Cow;

use crate::model::{BugStatus, Severity};

/// One hand-written statement and the name it is logged under. The text of a file under
/// `sql/` is borrowed; a statement composed at run time (from fixed identifiers only)
/// owns its text and goes when it is no longer used.
#[derive(Debug, Clone)]
pub struct Helper {
    pub name: &'static str,
    pub sql: Cow<'static, str>,
}

macro_rules! helpers {
    ($($constant:ident => $path:literal),* $(,)?) => {
        $(pub const $constant: Helper = Helper {
            name: $path,
            sql: Cow::Borrowed(include_str!(concat!("../sql/", $path, ".sql"))),
        };)*
    };
}

/// Helpers whose text is a head file followed by a shared tail file (the bug pages and
/// the bug searches: the head chooses the bugs, the tail reads their rows).
macro_rules! composed_helpers {
    ($($constant:ident => $path:literal + $tail:literal $(as $name:literal)?),* $(,)?) => {
        $(pub const $constant: Helper = Helper {
            name: composed_helpers!(@name $path $($name)?),
            sql: Cow::Borrowed(concat!(
                include_str!(concat!("../sql/", $path, ".sql")),
                include_str!(concat!("../sql/", $tail, ".sql"))
            )),
        };)*
    };
    (@name $path:literal) => { $path };
    (@name $path:literal $name:literal) => { $name };
}

composed_helpers! {
    SEARCH_BUGS_FULLTEXT => "search/bugs_fulltext" + "search/bug_rows",
    SEARCH_BUGS_ANY_WORD => "search/bugs_any_word" + "search/bug_rows",
    BUGS_PAGE_RUNS => "bugs/page_runs" + "bugs/page_rows",
    BUGS_PAGE_ALL => "bugs/page_all" + "bugs/page_rows",
    BUGS_WIDE_RUNS => "bugs/page_runs" + "bugs/wide_rows" as "bugs/wide_runs",
    BUGS_WIDE_ALL => "bugs/page_all" + "bugs/wide_rows" as "bugs/wide_all",
    PROJECTS_LIST => "projects/page" + "projects/list_rows" as "projects/list",
    PROJECTS_LIST_ALL => "projects/page" + "projects/list_all_rows" as "projects/list_all",
    PROJECTS_WIDE => "projects/page" + "projects/wide_rows" as "projects/wide",
}

/// The bug page for the (status, severity) pairs that `wanted` accepts: bugs/page_merge with
/// one copy of bugs/page_run per such pair in place of its `@runs` line, followed by
/// bugs/page_rows. `wanted` is asked about every pair of the schema's enum values and the
/// text is made of their labels (`model`) only, never of the caller's strings. With no
/// pair wanted, the page keeps the first pair's run, which the same conditions in SQL
/// fold to nothing. Composing it takes microseconds; the text lives as long as the page.
pub fn bugs_page_merge(wanted: impl Fn(BugStatus, Severity) -> bool, wide: bool) -> Helper {
    let pairs: Vec<(BugStatus, Severity)> = BugStatus::ALL
        .iter()
        .flat_map(|status| Severity::ALL.iter().map(move |severity| (*status, *severity)))
        .collect();
    let mut chosen: Vec<&(BugStatus, Severity)> =
        pairs.iter().filter(|(st, sev)| wanted(*st, *sev)).collect();
    if chosen.is_empty() {
        chosen.extend(pairs.first());
    }
    let run = without_comment_lines(include_str!("../sql/bugs/page_run.sql"));
    let runs: Vec<String> = chosen
        .iter()
        .map(|(status, severity)| {
            run.replace("@status", status.label()).replace("@severity", severity.label())
        })
        .collect();
    let runs = runs.join("\nUNION ALL\n");
    let head: Vec<&str> = include_str!("../sql/bugs/page_merge.sql")
        .lines()
        .map(|line| if line.trim() == "@runs" { runs.as_str() } else { line })
        .collect();
    let rows = if wide {
        include_str!("../sql/bugs/wide_rows.sql")
    } else {
        include_str!("../sql/bugs/page_rows.sql")
    };
    let sql = head.join("\n") + "\n" + rows;
    Helper { name: if wide { "bugs/wide_merge" } else { "bugs/page_merge" }, sql: Cow::Owned(sql) }
}

fn without_comment_lines(sql: &str) -> String {
    sql.lines().filter(|line| !line.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n")
}

helpers! {
    MIGRATIONS_TABLE_EXISTS => "admin/migrations_table_exists",
    MIGRATIONS_APPLIED => "admin/migrations_applied",
    MIGRATIONS_RECORD => "admin/migrations_record",
    RESET_SCHEMA => "admin/reset_schema",
    AUDIT_INSERT => "admin/audit_insert",
    CREATE_DATABASE_STATEMENT => "admin/create_database_statement",
    SCHEMA_OBJECTS => "admin/schema_objects",
    SERVER_INFO => "admin/server_info",
    CONNECTION_INFO => "admin/connection_info",
    SESSION_PROBE => "admin/session_probe",
    READ_AS_OF => "admin/read_as_of",
    READS_VIEWS => "admin/reads_views",
    REPLICA_STATE => "admin/replica_state",
    PRIMARY_AHEAD => "admin/primary_ahead",
    PRIVILEGES => "admin/privileges",
    TABLE_STATS => "admin/table_stats",
    INDEX_USAGE => "admin/index_usage",
    TABLE_HEALTH => "admin/table_health",
    MONTHLY_ROLLUP => "refresh/monthly_rollup",
    SEED_DEMO => "seed/demo",
    SEED_IS_EMPTY => "seed/is_empty",
    SET_AS_OF => "seed/set_as_of",
    BULK_LOAD_OBJECTS => "seed/bulk_load_objects",
    BUG_NUMBER_SEQUENCE => "seed/bug_number_sequence",
    PROJECT_FIND => "projects/find",
    PROJECT_DELETE => "projects/delete",
    PROJECT_LOCK_FOR_DELETE => "projects/lock_for_delete",
    PROJECT_CLOSEST => "projects/closest",
    PROJECT_DETAIL => "projects/detail",
    PROJECTS_COUNT => "projects/count",
    PROJECTS_OPENED_BY_MONTH => "projects/opened_by_month",
    PORTFOLIO_OVERVIEW => "projects/portfolio",
    TOP_PROJECTS_BY_ROI => "projects/top_by_roi",
    BUGS_COUNT => "bugs/count",
    BUGS_COUNT_SUMMARY => "bugs/count_summary",
    OPEN_SLA_MAX => "bugs/open_sla_max",
    BUG_STATISTICS => "bugs/statistics",
    SLA_COMPLIANCE => "bugs/sla_compliance",
    BUG_SHOW => "bugs/show",
    BUG_LAST_REFRESH => "bugs/last_refresh",
    BUG_HISTORY => "bugs/history",
    TOP_BUGS_BY_PRIORITY => "bugs/top_by_priority",
    BUG_AGING => "bugs/aging",
    DAILY_METRICS => "metrics/daily",
    MONTHLY_METRICS => "metrics/monthly",
    ENGINEERING_METRICS => "metrics/engineering",
    SEARCH_CORRECT_WORDS => "search/correct_words",
    SEARCH_PROJECTS => "search/projects",
    SEARCH_BUGS_TITLE => "search/bugs_title",
    SEARCH_REFRESH_WORDS => "search/refresh_words",
    SEARCH_REFRESH_WORDS_IF_CHANGED => "search/refresh_words_if_changed",
    SEARCH_COMMON_WORDS => "search/common_words",
    USER_WORKLOAD => "team/workload",
    TEAM_PERFORMANCE => "team/performance",
    FIND_USER => "team/find_user",
    LAST_IMPORTS => "sync/last_imports",
    STALE_PROJECTS => "sync/stale_projects",
    IMPORT_HISTORY => "sync/imports",
    TRENDS_INPUTS => "metrics/trends",
    PORTFOLIO_HISTORY => "metrics/portfolio_history",
    BUG_PRIORITY_INPUTS => "bugs/priority_inputs",
    REFRESH_STAGING => "refresh/staging",
    REFRESH_TRY_LOCK => "refresh/try_lock",
    REFRESH_LOCK => "refresh/lock",
    REFRESH_OPEN_BUGS => "refresh/open_bugs",
    REFRESH_APPLY_BUG_SCORES => "refresh/apply_bug_scores",
    REFRESH_PROJECT_INPUTS => "refresh/project_inputs",
    REFRESH_APPLY_PROJECT_SCORES => "refresh/apply_project_scores",
    REFRESH_PORTFOLIO_SNAPSHOT => "refresh/portfolio_snapshot",
    EXPORT_COLUMNS => "export/columns",
    BUG_LOCK => "bugs/lock",
    BUG_UPDATE => "bugs/update",
    SET_ACTOR => "admin/set_actor",
    SET_VIA => "admin/set_via",
    USERS_LIST => "team/users",
    EXPORT_ESTIMATE => "export/estimate",
    EXPORT_PAST_COLUMNS => "export/past_columns",
    EXPORT_SCHEMA_VERSION => "export/schema_version",
    IMPORT_PROJECTS => "import/projects",
    IMPORT_USERS => "import/users",
    IMPORT_GITHUB_BUGS => "import/github_bugs",
    IMPORT_LOG_START => "import/log_start",
    IMPORT_SET_RUN => "import/set_run",
    IMPORT_UNDO_FIND => "import/undo_find",
    IMPORT_UNDO_LOCK => "import/undo_lock",
    IMPORT_UNDO_CONFLICTS => "import/undo_conflicts",
    IMPORT_UNDO_APPLY => "import/undo_apply",
    IMPORT_UNDO_RECORD => "import/undo_record",
    IMPORT_LOG_FINISH => "import/log_finish",
    IMPORT_LOG_RUNNING => "import/log_running",
    IMPORT_LOG_OWNER_GONE => "import/log_owner_gone",
    IMPORT_LOG_RELEASE => "import/log_release",
    IMPORT_LOG_ABANDONED => "import/log_abandoned",
    IMPORT_GITHUB_SYNCED => "import/github_synced",
    IMPORT_GITHUB_RECORD_SYNC => "import/github_record_sync",
    RUN_MARK => "runs/mark",
    RUN_RECORD => "runs/record",
    RUN_END_SESSION => "runs/end_session",
    RUN_CLAIM => "runs/claim",
    RUN_OUTCOME => "runs/outcome",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merged_page_has_one_run_per_pair_asked_for() {
        let page = bugs_page_merge(
            |status, severity| {
                status == BugStatus::Closed && matches!(severity, Severity::Low | Severity::High)
            },
            false,
        );
        assert_eq!(page.name, "bugs/page_merge");
        assert_eq!(page.sql.matches("\nUNION ALL\n").count(), 1);
        assert!(page.sql.contains("b.status = 'closed'") && page.sql.contains("b.severity = 'low'"));
        assert!(page.sql.contains("b.severity = 'high'") && !page.sql.contains("b.severity = 'medium'"));
        assert!(!page.sql.contains("'@"), "a placeholder was left in");
        assert!(!page.sql.lines().any(|line| line.trim() == "@runs"), "the runs were not written in");
        // the same pairs give the same text
        let again = bugs_page_merge(
            |status, severity| {
                status == BugStatus::Closed && matches!(severity, Severity::High | Severity::Low)
            },
            false,
        );
        assert_eq!(page.sql, again.sql);
        // no pair at all still gives a statement: the first pair's run, which SQL folds away
        let none = bugs_page_merge(|_, _| false, false);
        // the wide rows are another statement, with every stored column
        let wide = bugs_page_merge(|_, _| false, true);
        assert_eq!(wide.name, "bugs/wide_merge");
        assert!(wide.sql.contains("b.external_id") && none.sql != wide.sql);
        assert!(none.sql.contains("b.status = 'pending'") && !none.sql.contains("\nUNION ALL\n"));
    }
}
