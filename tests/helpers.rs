//! The query helpers on the demo set at a fixed as-of (T = 2026-11-25 12:00 UTC). The
//! demo (sql/seed/demo.sql) is written relative to T, so every expected value below is
//! worked out from its rows by hand.

use serde_json::{json, Value};

use crate::common::{ctodb_command, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run(&["seed", "--as-of", AS_OF]);
    db
}

/// Runs a command with the fixed as-of and parses its JSON output.
fn json_of(db: &TestDb, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--as-of", AS_OF, "-f", "json"]);
    serde_json::from_str(&db.run(&all)).expect("valid JSON")
}

/// The values of some fields of each row, for compact comparisons.
fn pick(rows: &Value, fields: &[&str]) -> Vec<Vec<Value>> {
    rows.as_array()
        .expect("an array of rows")
        .iter()
        .map(|row| fields.iter().map(|f| row[*f].clone()).collect())
        .collect()
}

#[test]
fn bugs_lists_open_bugs_by_priority_with_sla_state_and_hours() {
    let db = demo("helpers_bugs");
    let rows = json_of(&db, &["bugs"]);
    // as of T the priority is computed at T (no refresh has stored one): severity +
    // min(30, revenue / 1000) + 20 for a blocker + whole days open + 10 breached / 5 at risk
    assert_eq!(
        pick(&rows, &["bug", "priority", "status", "sla_state", "hours_left", "hours_overdue"]),
        vec![
            // #11 medium, blocker, 45,000 a day, created T-4d, due T-24h: 15 + 30 + 20 + 4 + 10
            vec![json!(11), json!(79.0), json!("pending"), json!("breached"), json!(null), json!(24.0)],
            // #1 critical, blocker, 5,000 a day, created T-6h, due T-2h: 40 + 5 + 20 + 0 + 10
            vec![json!(1), json!(75.0), json!("pending"), json!("breached"), json!(null), json!(2.0)],
            // #2 critical, 2,500 a day, created T-3h30m: 3.5 h >= 0.75 x 4 h, due T+30m: 40 + 2.5 + 5
            vec![json!(2), json!(47.5), json!("in_progress"), json!("at_risk"), json!(0.5), json!(null)],
            // #4 high, created T-30h, due T-6h: 30 + 1 + 10
            vec![json!(4), json!(41.0), json!("pending"), json!("breached"), json!(null), json!(6.0)],
            // #5 medium, 150 a day, created T-60h: 60 >= 54, due T+12h: 15 + 0.15 + 2 + 5
            vec![json!(5), json!(22.15), json!("in_progress"), json!("at_risk"), json!(12.0), json!(null)],
            // #7 low, created T-10d: 240 h < 540 h, due T+480h: 5 + 10
            vec![json!(7), json!(15.0), json!("pending"), json!("ok"), json!(480.0), json!(null)],
            // #12 low, created T-2d: due T+672h: 5 + 2
            vec![json!(12), json!(7.0), json!("in_progress"), json!("ok"), json!(672.0), json!(null)],
        ]
    );
    assert_eq!(
        rows[1],
        json!({
            "bug": 1, "severity": "critical", "status": "pending", "priority": 75.0,
            "title": "Checkout double-charges the card on retry", "project": "Atlas Payments",
            "assignee": null, "blocker": true, "revenue_impact_daily": "5000.00",
            "created_at": "2026-11-25T06:00:00Z", "due_at": "2026-11-25T10:00:00Z",
            "sla_state": "breached", "hours_left": null, "hours_overdue": 2.0
        })
    );
}

#[test]
fn bug_filters_combine() {
    let db = demo("helpers_filters");
    let numbers = |args: &[&str]| -> Vec<i64> {
        json_of(&db, args).as_array().unwrap().iter().map(|r| r["bug"].as_i64().unwrap()).collect()
    };
    // by priority computed at T (#1 75, #2 47.50), as bugs_lists_open_bugs_by_priority says
    assert_eq!(numbers(&["bugs", "--severity", "critical"]), vec![1, 2]);
    assert_eq!(numbers(&["bugs", "--severity", "critical", "--all"]), vec![1, 2, 8]);
    assert_eq!(numbers(&["bugs", "--severity", "critical", "--severity", "high", "--breached"]), vec![1, 4]);
    assert_eq!(numbers(&["bugs", "--status", "closed", "--status", "verified"]), vec![3, 8, 10]);
    // a value given twice counts once
    assert_eq!(numbers(&["bugs", "--severity", "critical", "--severity", "critical"]), vec![1, 2]);
    assert_eq!(
        numbers(&["bugs", "--status", "closed", "--status", "verified", "--status", "closed"]),
        vec![3, 8, 10]
    );
    assert_eq!(numbers(&["bugs", "--project", "beacon analytics", "--all"]), vec![4, 5, 6]);
    assert_eq!(numbers(&["bugs", "--assignee", "linus@ctodb.dev"]), vec![11, 2]);
    assert_eq!(numbers(&["bugs", "--assignee", "linus@ctodb.dev", "--blocker", "--breached"]), vec![11]);
    assert_eq!(numbers(&["bugs", "--unassigned"]), vec![1, 4, 7]);
    assert_eq!(numbers(&["bugs", "--blocker"]), vec![11, 1]);
    assert_eq!(numbers(&["bugs", "--at-risk"]), vec![2, 5]);
    assert_eq!(numbers(&["bugs", "--breached", "--sort", "due"]), vec![11, 4, 1]);
    assert_eq!(numbers(&["bugs", "--all", "--sort", "created", "--limit", "3"]), vec![2, 1, 4]);
    assert_eq!(numbers(&["bugs", "--status", "deferred", "--breached"]), Vec::<i64>::new());
}

#[test]
fn pagination_footer_counts_the_last_page() {
    let db = demo("helpers_pages");
    let out = db.ctodb(&["bugs", "--all", "--limit", "5", "--page", "3", "--as-of", AS_OF, "-f", "csv"]);
    let stdout = out.ok();
    assert_eq!(stdout.lines().count(), 3, "header and the 2 rows of page 3: {stdout}");
    assert_eq!(
        out.stderr_text().trim(),
        "rows 11–12 of 12\npriority and SLA state as of 2026-11-25T12:00:00Z, both computed then"
    );
    let table = db.run(&["bugs", "--all", "--limit", "5", "--page", "2", "--as-of", AS_OF, "-f", "table"]);
    assert!(table.trim_end().ends_with("rows 6–10 of 12"), "{table}");
}

#[test]
fn empty_results_say_so_and_csv_keeps_its_header() {
    let db = demo("helpers_empty");
    let table = db.run(&["bugs", "--severity", "low", "--blocker", "--as-of", AS_OF, "-f", "table"]);
    assert_eq!(table, "no bugs match\n");
    let csv = db.run(&["bugs", "--severity", "low", "--blocker", "--as-of", AS_OF, "-f", "csv"]);
    assert_eq!(
        csv,
        "bug,severity,status,priority,title,project,assignee,blocker,revenue_impact_daily,created_at,due_at,sla_state,hours_left,hours_overdue\r\n"
    );
    assert_eq!(db.run(&["bugs", "--severity", "low", "--blocker", "-f", "json"]).trim(), "[]");
    assert_eq!(db.run(&["bugs", "--severity", "low", "--blocker", "-f", "ndjson"]), "");
}

#[test]
fn report_bugs_counts_severity_by_status_with_breach_rate() {
    let db = demo("helpers_report_bugs");
    let rows = json_of(&db, &["report", "bugs"]);
    // breach rate = breached / bugs under an SLA (deferred excluded)
    assert_eq!(
        rows,
        json!([
            {"severity": "critical", "pending": 1, "in_progress": 1, "verified": 0, "shipped": 0, "closed": 1,
             "deferred": 0, "total": 3, "open": 2, "resolved": 1, "breached": 1, "breach_rate": 0.3333},
            {"severity": "high", "pending": 1, "in_progress": 0, "verified": 1, "shipped": 0, "closed": 0,
             "deferred": 1, "total": 3, "open": 1, "resolved": 1, "breached": 1, "breach_rate": 0.5},
            {"severity": "medium", "pending": 1, "in_progress": 1, "verified": 0, "shipped": 1, "closed": 0,
             "deferred": 0, "total": 3, "open": 2, "resolved": 1, "breached": 2, "breach_rate": 0.6667},
            {"severity": "low", "pending": 1, "in_progress": 1, "verified": 0, "shipped": 0, "closed": 1,
             "deferred": 0, "total": 3, "open": 2, "resolved": 1, "breached": 1, "breach_rate": 0.3333}
        ])
    );
    // the same report as CSV, in full
    let csv = db.run(&["report", "bugs", "--as-of", AS_OF, "-f", "csv"]);
    assert_eq!(
        csv.replace("\r\n", "\n"),
        "severity,pending,in_progress,verified,shipped,closed,deferred,total,open,resolved,breached,breach_rate
critical,1,1,0,0,1,0,3,2,1,1,0.3333
high,1,0,1,0,0,1,3,1,1,1,0.5000
medium,1,1,0,1,0,0,3,2,1,2,0.6667
low,1,1,0,0,1,0,3,2,1,1,0.3333
"
    );
}

#[test]
fn report_sla_gives_compliance_and_the_two_lists() {
    let db = demo("helpers_sla");
    let report = json_of(&db, &["report", "sla"]);
    // resolved within SLA: #8 (3 h of 4), #3 (20 h of 24); late: #6 (100 h of 72), #10 (800 h of 720)
    assert_eq!(
        report["sla_compliance"],
        json!([
            {"severity": "critical", "sla_hours": 4, "resolved": 1, "resolved_within_sla": 1,
             "compliance_rate": 1.0, "open_breached": 1, "open_at_risk": 1},
            {"severity": "high", "sla_hours": 24, "resolved": 1, "resolved_within_sla": 1,
             "compliance_rate": 1.0, "open_breached": 1, "open_at_risk": 0},
            {"severity": "medium", "sla_hours": 72, "resolved": 1, "resolved_within_sla": 0,
             "compliance_rate": 0.0, "open_breached": 1, "open_at_risk": 1},
            {"severity": "low", "sla_hours": 720, "resolved": 1, "resolved_within_sla": 0,
             "compliance_rate": 0.0, "open_breached": 0, "open_at_risk": 0}
        ])
    );
    assert_eq!(
        pick(&report["breached"], &["bug", "hours_overdue"]),
        vec![vec![json!(11), json!(24.0)], vec![json!(4), json!(6.0)], vec![json!(1), json!(2.0)],]
    );
    assert_eq!(
        pick(&report["at_risk"], &["bug", "hours_left"]),
        vec![vec![json!(2), json!(0.5)], vec![json!(5), json!(12.0)],]
    );
}

#[test]
fn sla_boundaries_due_instant_and_one_second_later() {
    let db = demo("helpers_sla_boundary");
    let state = |as_of: &str| -> String {
        let rows: Value = serde_json::from_str(&db.run(&[
            "bugs",
            "--severity",
            "critical",
            "--as-of",
            as_of,
            "-f",
            "json",
        ]))
        .unwrap();
        rows.as_array().unwrap().iter().find(|r| r["bug"] == 2).unwrap()["sla_state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // bug #2 was created at T-3h30m = 08:30 with a 4 h SLA: due at 12:30:00
    assert_eq!(state("2026-11-25T12:30:00Z"), "at_risk");
    assert_eq!(state("2026-11-25T12:30:01Z"), "breached");
    // 75% of 4 h is 3 h after creation: 11:30 is at risk, 11:29:59 is not
    assert_eq!(state("2026-11-25T11:30:00Z"), "at_risk");
    assert_eq!(state("2026-11-25T11:29:59Z"), "ok");
    // the deferred bug is never breached, however late
    let deferred =
        db.run(&["bugs", "--status", "deferred", "--as-of", "2030-01-01", "--allow-future", "-f", "csv"]);
    assert!(deferred.contains(",deferred,"), "{deferred}");
    assert!(!deferred.contains("breached"));
}

#[test]
fn report_portfolio_overview_counts() {
    let db = demo("helpers_portfolio");
    let report = json_of(&db, &["report", "portfolio"]);
    assert_eq!(
        report["overview"],
        json!([{
            "projects": 5, "active": 3, "shipped": 1, "deferred": 1, "cancelled": 0,
            // 1,200,000 + 450,000 + 300,000 + 800,000 + 0
            "total_arr": "2750000.00", "total_valuation": null,
            // 8,000 + 3,500 + 6,000 + 2,000 + 500
            "total_monthly_infra_cost": "20000.00",
            "open_bugs": 7, "critical_open_bugs": 2, "sla_breaches": 3, "at_risk_bugs": 2, "active_users": 6
        }])
    );
    assert_eq!(report["top_projects"], json!([]), "no ROI before refresh");
    assert_eq!(
        pick(&report["top_bugs"], &["bug"]),
        vec![vec![json!(11)], vec![json!(1)], vec![json!(2)], vec![json!(4)], vec![json!(5)]]
    );
}

#[test]
fn report_workload_and_team() {
    let db = demo("helpers_team");
    let workload = json_of(&db, &["report", "workload", "--user", "Linus@ctodb.dev"]);
    // #2 (critical, in progress, 2,500/day) and #11 (medium blocker, breached, 45,000/day)
    assert_eq!(
        workload,
        json!([{"email": "linus@ctodb.dev", "name": "Linus Torvalds", "role": "engineer",
                "weekly_capacity_hours": 40.0, "open_bugs": 2, "in_progress": 1, "critical": 1, "high": 0,
                "breached": 1, "blockers": 1, "revenue_at_risk_daily": "47500.00"}])
    );
    let team = json_of(&db, &["report", "team", "--days", "30"]);
    // resolved in the 30 days before T: #3 by ada (20 h, in SLA), #8 by ada (3 h, in SLA),
    // #6 by linus (100 h, late), #10 by barbara (800 h, late)
    assert_eq!(
        pick(&team, &["email", "resolved", "mean_resolution_hours", "within_sla_rate"]),
        vec![
            vec![json!("ada@ctodb.dev"), json!(2), json!(11.5), json!(1.0)],
            vec![json!("barbara@ctodb.dev"), json!(1), json!(800.0), json!(0.0)],
            vec![json!("linus@ctodb.dev"), json!(1), json!(100.0), json!(0.0)],
            vec![json!("grace@ctodb.dev"), json!(0), json!(null), json!(null)],
            vec![json!("katherine@ctodb.dev"), json!(0), json!(null), json!(null)],
            vec![json!("margaret@ctodb.dev"), json!(0), json!(null), json!(null)],
        ]
    );
    let unknown = db.ctodb(&["report", "workload", "--user", "nobody@example.com"]);
    assert_eq!(unknown.code(), 1);
    assert_eq!(
        unknown.stderr_text().trim(),
        "error: no user with e-mail \"nobody@example.com\" (`ctodb report workload` lists active users)"
    );
}

#[test]
fn report_monthly_and_engineering() {
    let db = demo("helpers_monthly");
    let monthly = json_of(&db, &["report", "monthly", "--months", "3"]);
    // November: 10 bugs opened (all but #9 and #10), 4 resolved (#3, #6, #8, #10), breached
    // among those opened: #1, #4, #6, #11; October: #9 and #10 opened, #10 breached.
    // Engineering per month: 320+160+240+40+80 = 840 h; 38,400+17,600+24,000+3,600+10,400 = 94,000
    assert_eq!(
        pick(
            &monthly,
            &[
                "month",
                "bugs_opened",
                "bugs_resolved",
                "sla_breaches",
                "avg_resolution_hours",
                "resolution_rate",
                "engineering_hours",
                "engineering_cost"
            ]
        ),
        vec![
            vec![
                json!("2026-11-01"),
                json!(10),
                json!(4),
                json!(4),
                json!(230.75),
                json!(0.4),
                json!(840.0),
                json!("94000.00")
            ],
            vec![
                json!("2026-10-01"),
                json!(2),
                json!(0),
                json!(1),
                json!(null),
                json!(0.0),
                json!(840.0),
                json!("94000.00")
            ],
            vec![
                json!("2026-09-01"),
                json!(0),
                json!(0),
                json!(0),
                json!(null),
                json!(null),
                json!(840.0),
                json!("94000.00")
            ],
        ]
    );
    let engineering = json_of(&db, &["report", "engineering", "--months", "3"]);
    // all: 4 resolved, (20 + 100 + 3 + 800) / 4 = 230.75 h, 2 of 4 in SLA,
    // 100 x 4 / 2,520 h = 0.16 per 100 h, 282,000 / 4 = 70,500 per resolved bug
    assert_eq!(
        engineering.as_array().unwrap().last().unwrap(),
        &json!({"severity": "all", "bugs_resolved": 4, "mean_resolution_hours": 230.75, "sla_compliance": 0.5,
                "resolved_per_100_hours": 0.16, "cost_per_resolved_bug": "70500.00",
                "engineering_hours": 2520.0, "engineering_cost": "282000.00"})
    );
}

#[test]
fn project_daily_sync_imports_and_bug_show() {
    let db = demo("helpers_misc");
    let project = json_of(&db, &["project", "atlas"]);
    assert_eq!(project["project"][0]["name"], "Atlas Payments");
    assert_eq!(project["project"][0]["open_bugs"], 2);
    assert_eq!(project["project"][0]["breached_bugs"], 1);
    assert_eq!(pick(&project["bugs"], &["bug"]), vec![vec![json!(1)], vec![json!(2)]]);
    assert_eq!(project["daily_metrics"].as_array().unwrap().len(), 30);

    let daily = json_of(&db, &["report", "daily", "--project", "Echo Voice Lab", "--days", "14"]);
    // Echo Voice Lab is paused: no commits in the last 14 days
    assert_eq!(daily.as_array().unwrap().len(), 14);
    assert!(daily.as_array().unwrap().iter().all(|d| d["commits"] == 0));

    let sync = json_of(&db, &["report", "sync"]);
    assert_eq!(
        pick(&sync["last_imports"], &["source", "status", "rows_imported"]),
        vec![
            vec![json!("csv"), json!("partial"), json!(117)],
            vec![json!("github"), json!("succeeded"), json!(42)],
            vec![json!("manual"), json!(null), json!(null)],
        ]
    );
    // synced 45 and 10 days ago; Echo Voice Lab has no repository
    assert_eq!(
        pick(&sync["stale_projects"], &["name", "days_since_sync"]),
        vec![vec![json!("Comet Mobile"), json!(45.0)], vec![json!("Drift Legacy CRM"), json!(10.0)],]
    );
    let imports = json_of(&db, &["report", "imports"]);
    assert_eq!(
        pick(&imports, &["source", "rows_failed", "errors"]),
        vec![vec![json!("github"), json!(0), json!(0)], vec![json!("csv"), json!(3), json!(3)],]
    );

    let bug = json_of(&db, &["bug", "show", "2"]);
    assert_eq!(bug["bug"][0]["sla_state"], "at_risk");
    assert_eq!(
        bug["history"],
        json!([
            {"changed_at": "2026-11-25T08:50:00Z", "field": "assignee_id", "old_value": null,
             "new_value": "linus@ctodb.dev", "changed_by": "margaret@ctodb.dev", "via": null},
            {"changed_at": "2026-11-25T09:00:00Z", "field": "status", "old_value": "pending",
             "new_value": "in_progress", "changed_by": "linus@ctodb.dev", "via": null}
        ])
    );
    let missing = db.ctodb(&["bug", "show", "999"]);
    assert_eq!(missing.code(), 1);
    assert_eq!(missing.stderr_text().trim(), "error: no bug #999 (`ctodb bugs --all` lists them)");
}

#[test]
fn search_is_typo_tolerant_and_safe_with_odd_input() {
    let db = demo("helpers_search");
    let refs = |text: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["search", text];
        args.extend(extra);
        json_of(&db, &args)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ref"].as_str().unwrap().to_string())
            .collect()
    };
    // a misspelt project name
    assert_eq!(refs("Atlas Paymnts", &["--projects"]), vec!["Atlas Payments"]);
    // a word found only in a description: bug #10's job "is killed"
    assert_eq!(refs("killed", &["--bugs"]), vec!["10"]);
    // misspelt words from a description (#8: "in an endless loop")
    assert_eq!(refs("endles looop", &["--bugs"]), vec!["8"]);
    // odd characters are only separators: with a word among them the search runs; with
    // none there is nothing to search for, a usage error
    let out = db.ctodb(&["search", "a'b\"c%d_e\\f", "-f", "json"]);
    assert_eq!(out.code(), 0, "{}", out.stderr_text());
    for odd in ["\"", "'", "%", "_", "\\", "", "   ", "(", "!:&|"] {
        let out = db.ctodb(&["search", odd, "-f", "json"]);
        assert_eq!(out.code(), 2, "search {odd:?}: {}", out.stderr_text());
        assert!(out.stderr_text().contains("there is nothing to search for"), "{}", out.stderr_text());
    }
}

#[test]
fn projects_list_and_stats() {
    let db = demo("helpers_projects");
    let projects = json_of(&db, &["projects", "--sort", "arr"]);
    assert_eq!(
        pick(&projects, &["name", "arr", "open_bugs", "critical_open", "breached"]),
        vec![
            vec![json!("Atlas Payments"), json!("1200000.00"), json!(2), json!(2), json!(1)],
            vec![json!("Beacon Analytics"), json!("450000.00"), json!(2), json!(0), json!(1)],
            vec![json!("Comet Mobile"), json!("300000.00"), json!(1), json!(0), json!(0)],
        ]
    );
    let all = json_of(&db, &["projects", "--all", "--sort", "name"]);
    assert_eq!(all.as_array().unwrap().len(), 5);
    // the seed's two audit rows were written now, after the as-of: as if they were made then
    db.written_before(AS_OF);
    let stats = json_of(&db, &["stats"]);
    assert_eq!(
        pick(&stats["tables"], &["table_name", "rows"]),
        vec![
            vec![json!("audit_log"), json!(2)],
            vec![json!("bug_history"), json!(4)],
            vec![json!("bugs"), json!(12)],
            vec![json!("import_logs"), json!(2)],
            vec![json!("monthly_metrics"), json!(15)],
            vec![json!("portfolio_metrics"), json!(0)],
            vec![json!("project_metrics"), json!(150)],
            vec![json!("projects"), json!(5)],
            vec![json!("users"), json!(6)],
        ]
    );
}

#[test]
fn a_table_renders_in_full() {
    let db = demo("helpers_table");
    let table = db.run(&["report", "workload", "--user", "linus@ctodb.dev", "--as-of", AS_OF, "-f", "table"]);
    assert_eq!(
        table,
        "\
┌─────────────────┬────────────────┬──────────┬───────────────────────┬───────────┬─────────────┬──────────┬──────┬──────────┬──────────┬───────────────────────┐
│ email           ┆ name           ┆ role     ┆ weekly_capacity_hours ┆ open_bugs ┆ in_progress ┆ critical ┆ high ┆ breached ┆ blockers ┆ revenue_at_risk_daily │
╞═════════════════╪════════════════╪══════════╪═══════════════════════╪═══════════╪═════════════╪══════════╪══════╪══════════╪══════════╪═══════════════════════╡
│ linus@ctodb.dev ┆ Linus Torvalds ┆ engineer ┆                 40.00 ┆         2 ┆           1 ┆        1 ┆    0 ┆        1 ┆        1 ┆             47,500.00 │
└─────────────────┴────────────────┴──────────┴───────────────────────┴───────────┴─────────────┴──────────┴──────┴──────────┴──────────┴───────────────────────┘
"
    );
}

#[test]
fn unknown_values_are_usage_errors_listing_the_valid_ones() {
    let db = demo("helpers_usage");
    for (args, valid) in [
        (vec!["bugs", "--severity", "urgent"], "[possible values: critical, high, medium, low]"),
        (
            vec!["bugs", "--status", "open"],
            "[possible values: pending, in_progress, verified, shipped, closed, deferred]",
        ),
        (vec!["bugs", "--sort", "fun"], "[possible values: priority, created, due]"),
        (vec!["projects", "--sort", "cost"], "[possible values: roi, arr, valuation, health, name]"),
        (vec!["bugs", "-f", "xml"], "[possible values: table, csv, json, ndjson, parquet, xlsx]"),
    ] {
        let out = db.ctodb(&args);
        assert_eq!(out.code(), 2, "{args:?}");
        assert!(out.stderr_text().contains(valid), "{args:?}: {}", out.stderr_text());
    }
}

/// The bug pages come from one run per (status, severity) pair (bugs/page_runs, or
/// bugs/page_merge for deep pages over many pairs) or from one walk (bugs/page_all). On a
/// generated world (refreshed, so priorities differ), every page of a spread of filter
/// combinations must be exactly what one plain `ORDER BY ... LIMIT ... OFFSET` over the
/// same filters gives, with the footer's total equal to a plain count, and each of the
/// three variants must have served several of them. The reference judges breached and
/// at-risk bugs by `ctodb_sla_state`, not by the page's own range conditions.
#[test]
fn bug_pages_equal_a_plain_ordered_query_for_filter_combinations() {
    let db = TestDb::new("helpers_page_merge");
    db.run(&[
        "seed",
        "--projects",
        "12",
        "--users",
        "9",
        "--bugs",
        "12000",
        "--days",
        "20",
        "--as-of",
        AS_OF,
    ]);
    db.run(&["refresh", "--as-of", AS_OF]);
    let mut client = db.client();
    // Six open bugs with an SLA set by hand, far longer than any default, 2,000 hours old
    // and so at risk (83% of 2,400 hours): the at-risk pages bound the due instant by the
    // longest open SLA, and must still find them.
    let as_of: chrono::DateTime<chrono::Utc> = AS_OF.parse().unwrap();
    let custom = client
        .execute(
            "UPDATE bugs SET created_at = $1::timestamptz - interval '2000 hours', sla_hours = 2400
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE status IN ('pending', 'in_progress')
                                  ORDER BY bug_number DESC LIMIT 6)",
            &[&as_of],
        )
        .unwrap();
    assert_eq!(custom, 6);
    // their priorities again (the plain query below reads the stored ones; ctodb computes
    // them at the as-of)
    db.run(&["refresh", "--as-of", AS_OF]);
    let mut top = |sql: &str| -> String { client.query_one(sql, &[]).unwrap().get(0) };
    let project = top("SELECT p.name FROM projects p JOIN bugs b ON b.project_id = p.id GROUP BY p.name ORDER BY count(*) DESC, p.name LIMIT 1");
    let assignee = top("SELECT u.email FROM users u JOIN bugs b ON b.assignee_id = u.id GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1");
    let severities = [vec![], vec!["critical"], vec!["low"], vec!["high", "medium"]];
    let statuses =
        [vec![], vec!["pending"], vec!["closed"], vec!["in_progress", "verified", "deferred"], vec!["all"]];
    let sorts = [("priority", "priority_score DESC"), ("created", "created_at DESC"), ("due", "due_at")];
    let mut state: u64 = 7;
    let mut next = |n: usize| -> usize {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let mut non_empty = 0;
    let mut variants = std::collections::BTreeMap::new();
    for case in 0..60 {
        // shape 0: any combination; 1: every status and severity (the walk); 2: a deep page
        // over every status and some severities (the merge)
        let shape = case % 3;
        let severity = match shape {
            0 => &severities[next(severities.len())],
            1 => &severities[0],
            _ => &severities[1 + next(severities.len() - 1)],
        };
        let status = if shape == 0 { &statuses[next(statuses.len())] } else { &statuses[4] };
        let (sort, order) = sorts[next(sorts.len())];
        let by_project = next(3) == 0;
        let by_assignee = next(4) == 0;
        // the CLI refuses --assignee with --unassigned, and --breached with --at-risk
        let mut flags: Vec<&str> = ["--unassigned", "--blocker", "--breached", "--at-risk"]
            .into_iter()
            .filter(|flag| next(4) == 0 && !(by_assignee && *flag == "--unassigned"))
            .filter(|flag| shape == 0 || !matches!(*flag, "--breached" | "--at-risk"))
            .collect();
        if flags.contains(&"--breached") {
            flags.retain(|flag| *flag != "--at-risk");
        }
        let page = if shape == 2 { 3 } else { 1 + next(3) };
        // deep pages over many pairs read more than page_runs allows and go to page_merge
        let limit = if shape == 2 { 150 } else { [9, 150][next(2)] };

        let mut args: Vec<String> = vec!["bugs".into(), "--sort".into(), sort.into()];
        let mut conditions = Vec::new();
        for s in severity {
            args.extend(["--severity".into(), s.to_string()]);
        }
        if !severity.is_empty() {
            conditions.push(format!("severity::text IN ('{}')", severity.join("', '")));
        }
        match status.as_slice() {
            [] => conditions.push("status IN ('pending', 'in_progress')".into()),
            ["all"] => args.push("--all".into()),
            list => {
                for s in list {
                    args.extend(["--status".into(), s.to_string()]);
                }
                conditions.push(format!("status::text IN ('{}')", list.join("', '")));
            }
        }
        if by_project {
            args.extend(["--project".into(), project.clone()]);
            conditions.push(format!("project_id = (SELECT id FROM projects WHERE name = '{project}')"));
        }
        if by_assignee {
            args.extend(["--assignee".into(), assignee.clone()]);
            conditions.push(format!("assignee_id = (SELECT id FROM users WHERE email = '{assignee}')"));
        }
        for flag in &flags {
            args.push(flag.to_string());
            conditions.push(
                match *flag {
                    "--unassigned" => "assignee_id IS NULL",
                    "--blocker" => "is_blocker",
                    "--breached" => "status IN ('pending', 'in_progress') AND ctodb_sla_state(status, created_at, due_at, sla_hours, resolved_at, $1) = 'breached'",
                    _ => "ctodb_sla_state(status, created_at, due_at, sla_hours, resolved_at, $1) = 'at_risk'",
                }
                .to_string(),
            );
        }
        args.extend(["--limit".into(), limit.to_string(), "--page".into(), page.to_string()]);
        args.extend(["--as-of".into(), AS_OF.into(), "-f".into(), "json".into()]);

        let filter = if conditions.is_empty() { "true".to_string() } else { conditions.join(" AND ") };
        let expected: Vec<i64> = client
            .query(
                &format!(
                    "SELECT bug_number FROM bugs WHERE {filter} AND $1::timestamptz IS NOT NULL ORDER BY {order}, bug_number LIMIT {limit} OFFSET {}",
                    (page - 1) * limit
                ),
                &[&as_of],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        let total: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM bugs WHERE {filter} AND $1::timestamptz IS NOT NULL"),
                &[&as_of],
            )
            .unwrap()
            .get(0);

        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        // every query is logged by name as slow: the log tells which page variant ran
        let out: CliOutput =
            ctodb_command(Some(&db.url)).env("CTODB_SLOW_QUERY_MS", "0").args(&argv).output().unwrap().into();
        let variant = ["bugs/page_runs", "bugs/page_merge", "bugs/page_all"]
            .into_iter()
            .find(|name| out.stderr_text().contains(&format!("slow query {name} took")))
            .unwrap_or_else(|| panic!("case {case}: no page query in the log: {}", out.stderr_text()));
        *variants.entry(variant).or_insert(0) += 1;
        let rows: Value = serde_json::from_str(&out.ok()).expect("valid JSON");
        let got: Vec<i64> = rows.as_array().unwrap().iter().map(|r| r["bug"].as_i64().unwrap()).collect();
        assert_eq!(got, expected, "case {case}: ctodb {}", argv.join(" "));
        let stderr = out.stderr_text();
        // the footer line (the listing's note on its priority follows it)
        let footer = stderr.lines().find(|line| line.starts_with("rows ")).unwrap_or_default().to_string();
        if !expected.is_empty() {
            non_empty += 1;
            let first = (page - 1) * limit + 1;
            let last = first + expected.len() - 1;
            let total_text = total.to_string();
            assert!(
                footer.contains(&format!("rows {first}–{last} of "))
                    && footer.trim_end().ends_with(&crate::common::grouped(&total_text)),
                "case {case}: footer {footer:?}, expected a total of {total}: ctodb {}",
                argv.join(" ")
            );
        }
    }
    assert!(non_empty >= 30, "only {non_empty} of 60 combinations matched any bug");
    assert!(variants.values().all(|&n| n >= 5) && variants.len() == 3, "variants used: {variants:?}");

    // every at-risk bug, the six with the long SLA among them, on one page
    let expected: Vec<i64> = client
        .query(
            "SELECT bug_number FROM bugs
             WHERE ctodb_sla_state(status, created_at, due_at, sla_hours, resolved_at, $1) = 'at_risk'
             ORDER BY due_at, bug_number",
            &[&as_of],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let out =
        db.run(&["bugs", "--at-risk", "--sort", "due", "--limit", "1000", "--as-of", AS_OF, "-f", "json"]);
    let rows: Value = serde_json::from_str(&out).expect("valid JSON");
    let got: Vec<i64> = rows.as_array().unwrap().iter().map(|r| r["bug"].as_i64().unwrap()).collect();
    assert_eq!(got, expected);
    assert!(expected.len() > 6 && expected.len() < 1000, "{} at-risk bugs", expected.len());
}

/// `--project` takes an id, a name in any case or the only name starting with what was
/// typed; `%` and `_` are plain characters there, and a miss names the closest project.
#[test]
fn a_project_is_found_by_id_name_in_any_case_or_its_only_prefix() {
    let db = demo("helpers_find_project");
    let bugs_of = |typed: &str| -> Vec<i64> {
        json_of(&db, &["bugs", "--all", "--project", typed])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["bug"].as_i64().unwrap())
            .collect()
    };
    for typed in
        ["Beacon Analytics", "beacon analytics", "BEACON", "be", "00000000-0000-4000-8000-0000000000a2"]
    {
        assert_eq!(bugs_of(typed), vec![4, 5, 6], "--project {typed:?}");
    }
    let miss = |typed: &str| -> String {
        let out = db.ctodb(&["bugs", "--project", typed, "--as-of", AS_OF]);
        assert_eq!(out.code(), 1, "--project {typed:?}");
        out.stderr_text().trim().to_string()
    };
    assert_eq!(
        miss("b_acon"),
        "error: no project named \"b_acon\"; did you mean \"Beacon Analytics\"? (`ctodb projects --all` lists them)"
    );
    // unescaped, "beacon%" would be the pattern beacon%% and resolve to Beacon Analytics
    assert!(miss("beacon%").starts_with("error: no project named \"beacon%\"; did you mean"));
    // two names start with "beacon" now: a prefix is no longer enough, the full name is
    db.client().batch_execute("INSERT INTO projects (name) VALUES ('Beacon Mobile')").unwrap();
    db.written_before(AS_OF);
    assert!(miss("beacon").starts_with("error: no project named \"beacon\"; did you mean \"Beacon"));
    assert_eq!(bugs_of("beacon analytics"), vec![4, 5, 6]);
}
