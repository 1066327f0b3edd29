//! `--as-of` an earlier instant reads the database as it was then (SPEC §3): a hand-built
//! history read at three instants with every value worked out by hand, and an export as of
//! an earlier instant that equals the export taken at that instant, value by value.

use crate::common::TestDb;

/// Two people; Atlas (1 November) and Borealis (25 November); four bugs inserted in
/// their state of today with the history that led there:
/// - #1 Atlas, 5 Nov 12:00, 2,000 a day: pending → in_progress (12 Nov 12:00, assigned to
///   Linus), high → critical (15 Nov 12:00: its SLA follows, 24 h → 4 h), → verified
///   (25 Nov 12:00);
/// - #2 Atlas, 18 Nov 12:00, low, pending: becomes a blocker and is retitled (22 Nov);
/// - #3 Borealis, 26 Nov 00:00, medium, pending;
/// - #4 Atlas, 8 Nov 00:00, medium, closed on 19 Nov 00:00 with no history (imported so).
const HISTORY: &str = "
    INSERT INTO users (id, email, name, role, created_at) VALUES
        ('00000000-0000-0000-0000-000000000001', 'grace@example.com', 'Grace', 'cto', '2026-10-01T00:00:00Z'),
        ('00000000-0000-0000-0000-000000000002', 'linus@example.com', 'Linus', 'engineer', '2026-10-01T00:00:00Z');
    INSERT INTO projects (id, name, created_at) VALUES
        ('00000000-0000-0000-0000-0000000000aa', 'Atlas', '2026-11-01T00:00:00Z'),
        ('00000000-0000-0000-0000-0000000000bb', 'Borealis', '2026-11-25T00:00:00Z');
    INSERT INTO bugs (id, bug_number, project_id, title, severity, status, is_blocker, revenue_impact_daily,
                      assignee_id, created_at, resolved_at) VALUES
        ('00000000-0000-0000-0000-0000000000b1', 1, '00000000-0000-0000-0000-0000000000aa', 'Checkout fails',
         'critical', 'verified', false, 2000, '00000000-0000-0000-0000-000000000002',
         '2026-11-05T12:00:00Z', '2026-11-25T12:00:00Z'),
        ('00000000-0000-0000-0000-0000000000b2', 2, '00000000-0000-0000-0000-0000000000aa', 'Logo blurry',
         'low', 'pending', true, 0, NULL, '2026-11-18T12:00:00Z', NULL),
        ('00000000-0000-0000-0000-0000000000b3', 3, '00000000-0000-0000-0000-0000000000bb', 'Map tiles missing',
         'medium', 'pending', false, 0, NULL, '2026-11-26T00:00:00Z', NULL),
        ('00000000-0000-0000-0000-0000000000b4', 4, '00000000-0000-0000-0000-0000000000aa', 'Export slow',
         'medium', 'closed', false, 0, NULL, '2026-11-08T00:00:00Z', '2026-11-19T00:00:00Z');
    INSERT INTO bug_history (bug_id, field, old_value, new_value, changed_at) VALUES
        ('00000000-0000-0000-0000-0000000000b1', 'status', 'pending', 'in_progress', '2026-11-12T12:00:00Z'),
        ('00000000-0000-0000-0000-0000000000b1', 'assignee_id', NULL, '00000000-0000-0000-0000-000000000002',
         '2026-11-12T12:00:00Z'),
        ('00000000-0000-0000-0000-0000000000b1', 'severity', 'high', 'critical', '2026-11-15T12:00:00Z'),
        ('00000000-0000-0000-0000-0000000000b1', 'status', 'in_progress', 'verified', '2026-11-25T12:00:00Z'),
        ('00000000-0000-0000-0000-0000000000b2', 'is_blocker', 'false', 'true', '2026-11-22T00:00:00Z'),
        ('00000000-0000-0000-0000-0000000000b2', 'title', 'Logo blurry on retina', 'Logo blurry',
         '2026-11-22T00:00:00Z');";

const T1: &str = "2026-11-10T12:00:00Z";
const T2: &str = "2026-11-20T12:00:00Z";
const T3: &str = "2026-11-28T12:00:00Z";

fn csv(db: &TestDb, args: &[&str], at: &str) -> String {
    let mut all = args.to_vec();
    all.extend(["--as-of", at, "-f", "csv"]);
    db.run(&all).replace("\r\n", "\n")
}

fn lines(rows: &[&str]) -> String {
    rows.iter().map(|row| format!("{row}\n")).collect()
}

#[test]
fn every_report_reads_the_recorded_history_at_three_instants() {
    let db = TestDb::new("as_of_history");
    db.client().batch_execute(HISTORY).unwrap();
    let bugs =
        ["bugs", "--all", "--columns", "bug,status,severity,priority,assignee,blocker,title,sla_state"];

    // T1, 10 Nov 12:00. #1 pending, high (its SLA 24 h: due 6 Nov 12:00, breached):
    // 30 + 2,000/1,000 + 5 whole days + 10 = 47. #4 not closed yet (no history: pending),
    // 60 h of its 72 h (at risk from 54 h): 15 + 2 days + 5 = 22. #2, #3 and Borealis
    // do not exist yet.
    assert_eq!(
        csv(&db, &bugs, T1),
        lines(&[
            "bug,status,severity,priority,assignee,blocker,title,sla_state",
            "1,pending,high,47.00,,false,Checkout fails,breached",
            "4,pending,medium,22.00,,false,Export slow,at_risk",
        ])
    );
    assert_eq!(
        csv(&db, &["report", "sla"], T1).lines().take(5).collect::<Vec<_>>(),
        [
            "section,severity,sla_hours,resolved,resolved_within_sla,compliance_rate,open_breached,open_at_risk,bug,status,priority,title,project,assignee,blocker,revenue_impact_daily,created_at,due_at,sla_state,hours_left,hours_overdue",
            "sla_compliance,critical,4,0,0,,0,0,,,,,,,,,,,,,",
            "sla_compliance,high,24,0,0,,1,0,,,,,,,,,,,,,",
            "sla_compliance,medium,72,0,0,,0,1,,,,,,,,,,,,,",
            "sla_compliance,low,720,0,0,,0,0,,,,,,,,,,,,,",
        ]
    );
    // one project, two open bugs (none critical), one breached, one at risk; Atlas's
    // health 100 − 5 (one open breached) − 20 (no commits recorded) = 75
    let portfolio = csv(&db, &["report", "portfolio"], T1);
    assert!(portfolio.contains("\noverview,1,1,0,0,0,0.00,,0.00,2,0,1,1,2,"), "{portfolio}");
    assert_eq!(
        csv(&db, &["projects", "--columns", "name,health_score,open_bugs,critical_open,breached"], T1),
        lines(&["name,health_score,open_bugs,critical_open,breached", "Atlas,75,2,0,1"])
    );
    // November so far: #1 (high then) and #4 opened, #1 past due
    assert_eq!(
        csv(&db, &["report", "monthly", "--months", "1"], T1),
        lines(&[
            "month,bugs_opened,bugs_resolved,critical_bugs,high_bugs,medium_bugs,low_bugs,sla_breaches,avg_resolution_hours,resolution_rate,engineering_hours,engineering_cost",
            "2026-11-01,2,0,0,1,1,0,1,,0.0000,0.00,0.00",
        ])
    );

    // T2, 20 Nov 12:00. #1 in progress with Linus, critical (SLA 4 h, due 5 Nov 16:00):
    // 40 + 2 + 10 days at most + 10 = 62. #2 two days old, not yet a blocker, its first
    // title: 5 + 2 = 7. #4 closed on 19 Nov, past its due instant.
    assert_eq!(
        csv(&db, &bugs, T2),
        lines(&[
            "bug,status,severity,priority,assignee,blocker,title,sla_state",
            "1,in_progress,critical,62.00,linus@example.com,false,Checkout fails,breached",
            "2,pending,low,7.00,,false,Logo blurry on retina,ok",
            "4,closed,medium,0.00,,false,Export slow,breached",
        ])
    );
    let sla = csv(&db, &["report", "sla"], T2);
    assert!(sla.contains("\nsla_compliance,critical,4,0,0,,1,0,"), "{sla}");
    assert!(sla.contains("\nsla_compliance,medium,72,1,0,0.0000,0,0,"), "{sla}");
    // #1 overdue from 5 Nov 16:00 to 20 Nov 12:00: 14 days 20 hours
    assert!(sla.contains(",2000.00,2026-11-05T12:00:00Z,2026-11-05T16:00:00Z,breached,,356.00\n"), "{sla}");
    let portfolio = csv(&db, &["report", "portfolio"], T2);
    assert!(portfolio.contains("\noverview,1,1,0,0,0,0.00,,0.00,2,1,1,0,2,"), "{portfolio}");
    // 100 − 15 (one open critical) − 5 (one breached) − 20 = 60
    assert_eq!(
        csv(&db, &["projects", "--columns", "name,health_score,open_bugs,critical_open,breached"], T2),
        lines(&["name,health_score,open_bugs,critical_open,breached", "Atlas,60,2,1,1"])
    );
    // #1 (critical now), #4, #2 opened; #4 resolved after 264 h, late; #1 past due
    assert_eq!(
        csv(&db, &["report", "monthly", "--months", "1"], T2).lines().nth(1),
        Some("2026-11-01,3,1,1,0,1,1,2,264.00,0.3333,0.00,0.00")
    );
    // bug show: the state then, and no history yet (#2's changes come on 22 Nov)
    let shown: serde_json::Value =
        serde_json::from_str(&db.run(&["bug", "show", "2", "-f", "json", "--as-of", T2])).unwrap();
    assert_eq!(shown["bug"][0]["title"], "Logo blurry on retina", "{shown}");
    assert_eq!(shown["bug"][0]["blocker"], false, "{shown}");
    assert_eq!(shown["history"], serde_json::json!([]), "{shown}");

    // T3, 28 Nov 12:00. #2 a blocker, ten days old: 5 + 20 + 10 = 35. #3 60 h of 72: at
    // risk, 15 + 2 + 5 = 22. #1 verified on 25 Nov, past due; #4 closed.
    assert_eq!(
        csv(&db, &bugs, T3),
        lines(&[
            "bug,status,severity,priority,assignee,blocker,title,sla_state",
            "2,pending,low,35.00,,true,Logo blurry,ok",
            "3,pending,medium,22.00,,false,Map tiles missing,at_risk",
            "1,verified,critical,0.00,linus@example.com,false,Checkout fails,breached",
            "4,closed,medium,0.00,,false,Export slow,breached",
        ])
    );
    let sla = csv(&db, &["report", "sla"], T3);
    assert!(sla.contains("\nsla_compliance,critical,4,1,0,0.0000,0,0,"), "{sla}");
    assert!(sla.contains("\nsla_compliance,medium,72,1,0,0.0000,0,1,"), "{sla}");
    let portfolio = csv(&db, &["report", "portfolio"], T3);
    assert!(portfolio.contains("\noverview,2,2,0,0,0,0.00,,0.00,2,0,0,1,2,"), "{portfolio}");
    assert_eq!(
        csv(&db, &["projects", "--columns", "name,health_score,open_bugs,critical_open,breached"], T3),
        lines(&["name,health_score,open_bugs,critical_open,breached", "Atlas,80,1,0,0", "Borealis,80,1,0,0"])
    );
    // resolved: #4 after 264 h and #1 after 480 h, a mean of 372
    assert_eq!(
        csv(&db, &["report", "monthly", "--months", "1"], T3).lines().nth(1),
        Some("2026-11-01,4,2,1,0,2,1,2,372.00,0.5000,0.00,0.00")
    );
}

/// Exports at an instant X (scores refreshed at X), then changes bugs, adds a bug, a
/// project and a person, refreshes again and exports `--as-of X`: the bugs, projects,
/// people, history, logs and every report frame equal the first export's, value by value.
#[test]
fn an_export_as_of_an_earlier_instant_equals_the_export_taken_then() {
    let db = TestDb::new("as_of_export");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    db.run_status(&["seed", "--as-of", "2026-11-23T09:00:00Z"]);
    // X a few seconds ahead: the first export runs before it, from the stored scores
    let x = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    db.run_status(&["refresh", "--as-of", &x, "--allow-future"]);
    db.run_status(&["export", "--dir", path, "--id", "then", "--as-of", &x, "--allow-future"]);
    while chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true) <= x {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));

    db.run_status(&["bug", "update", "1", "--status", "in_progress", "--assignee", "linus@ctodb.dev"]);
    db.run_status(&["bug", "update", "5", "--severity", "critical"]);
    db.run_status(&["bug", "update", "7", "--blocker"]);
    db.client()
        .batch_execute(
            "UPDATE bugs SET title = 'Wake word misfires', labels = ARRAY['ml', 'audio'] WHERE bug_number = 12;
             INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada');
             INSERT INTO projects (name) VALUES ('Zephyr');",
        )
        .unwrap();
    std::fs::write(
        dir.path().join("new.csv"),
        "project,title,severity\nAtlas Payments,Refunds double in the ledger,critical\n",
    )
    .unwrap();
    db.run(&["import", "csv", dir.path().join("new.csv").to_str().unwrap(), "--kind", "bugs"]);
    db.run_status(&["refresh"]);
    db.run_status(&["export", "--dir", path, "--id", "again", "--as-of", &x]);

    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("snapshot=again/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest["as_of_state"]["today"].as_str().unwrap().contains("projects' financials"),
        "{manifest}"
    );
    let script = format!(
        r#"
import pyarrow.parquet as pq
files = ["users", "projects", "bugs", "project_metrics", "bug_history", "import_logs", "audit_log",
         "report_portfolio", "report_projects", "report_open_bugs", "report_sla", "report_trends",
         "report_engineering", "report_aging"]
for name in files:
    then = pq.read_table("{path}/snapshot=then/" + name + ".parquet")
    again = pq.read_table("{path}/snapshot=again/" + name + ".parquet")
    if then.schema != again.schema:
        print(name, "schema", then.schema, again.schema)
        continue
    key = then.column_names[0]
    rows_then = then.sort_by([(key, "ascending")]).to_pylist()
    rows_again = again.sort_by([(key, "ascending")]).to_pylist()
    differ = [(a[key], column, a[column], b.get(column)) for a, b in zip(rows_then, rows_again)
              for column in a if a[column] != b.get(column)]
    if len(rows_then) != len(rows_again) or differ:
        print(name, len(rows_then), len(rows_again), differ[:5])
    else:
        print(name, "equal", len(rows_then))
"#
    );
    let out = crate::common::run_python(&script);
    let equal: Vec<&str> = out.lines().filter(|line| line.contains(" equal ")).collect();
    assert_eq!(equal.len(), 14, "{out}");
    // and today's export holds what was added since
    assert!(out.contains("bugs equal 12"), "{out}");
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 13);
}

/// Every view of ctodb_as_of has each column of the table it stands for, with its type: a
/// migration that adds a column to a table adds it to the view (an export takes a column
/// the view lacks from today's row, a report cannot).
#[test]
fn the_views_of_the_past_have_every_column_of_their_tables() {
    let db = TestDb::new("as_of_views");
    let missing: Vec<String> = db
        .client()
        .query(
            "SELECT v.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             FROM pg_class v
             JOIN pg_namespace n ON n.oid = v.relnamespace AND n.nspname = 'ctodb_as_of'
             JOIN pg_class t ON t.relname = v.relname
                 AND t.relnamespace IN ('public'::regnamespace, 'ctodb'::regnamespace) AND t.relkind = 'r'
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE NOT EXISTS (SELECT 1 FROM pg_attribute c
                               WHERE c.attrelid = v.oid AND c.attname = a.attname
                                 AND c.atttypid = a.atttypid
                                 AND (c.atttypmod = a.atttypmod OR a.atttypmod = -1))
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(missing, Vec::<String>::new());
    let views = db.count("SELECT count(*) FROM pg_class WHERE relnamespace = 'ctodb_as_of'::regnamespace");
    assert_eq!(views, 12);
}

/// Right after a refresh at T, with nothing recorded since, a read as of T reads the
/// tables (their indexes: the dashboards' speed) and prints what the views print; the
/// first thing recorded after T sends it to the views.
#[test]
fn a_read_as_of_the_last_refresh_with_nothing_recorded_since_reads_the_tables() {
    let db = TestDb::new("as_of_fast");
    let t = "2026-11-25T12:00:00Z";
    db.run_status(&["seed", "--profile", "standard", "--as-of", t]);
    let recorded_after = || -> bool {
        db.client().query_one("SELECT ctodb.recorded_after($1::text::timestamptz)", &[&t]).unwrap().get(0)
    };
    // scored by the seed, not by a refresh at T: the views
    assert!(recorded_after());
    db.run_status(&["refresh", "--as-of", t]);
    assert!(!recorded_after());
    let reports: Vec<Vec<&str>> = vec![
        vec!["report", "portfolio"],
        vec!["report", "sla"],
        vec!["report", "trends"],
        vec!["report", "engineering"],
        vec!["report", "aging"],
        vec!["report", "team"],
        vec!["report", "workload"],
        vec!["projects", "--all"],
        vec!["bugs", "--limit", "200"],
        vec!["bugs", "--all", "--sort", "created", "--limit", "200"],
    ];
    let read = |args: &Vec<&str>| -> String {
        let mut all = args.clone();
        all.extend(["--as-of", t, "-f", "csv"]);
        db.run(&all)
    };
    let tables: Vec<String> = reports.iter().map(read).collect();
    // the views give the same, read as an export reads them
    let mut client = db.client();
    client
        .batch_execute(&format!("SET search_path = ctodb_as_of, public, ctodb; SET ctodb.as_of = '{t}'"))
        .unwrap();
    let differing: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM (SELECT id, status, severity, priority_score, due_at, resolved_at FROM ctodb_as_of.bugs
                     EXCEPT SELECT id, status, severity, priority_score, due_at, resolved_at FROM public.bugs) x)
                  + (SELECT count(*) FROM (SELECT id, health_score, roi_score FROM ctodb_as_of.projects
                     EXCEPT SELECT id, health_score, roi_score FROM public.projects) x)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(differing, 0);
    // a change after T: the views, which leave it out
    db.run_status(&["bug", "update", "1", "--severity", "low"]);
    assert!(recorded_after());
    let views: Vec<String> = reports.iter().map(read).collect();
    for ((args, table), view) in reports.iter().zip(&tables).zip(&views) {
        assert_eq!(table, view, "{}", args.join(" "));
    }
}
