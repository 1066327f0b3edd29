//! `ctodb seed`: the demo set's counts and SLA states, determinism, refusal of a
//! non-empty database, atomicity when killed, integrity of a generated set.

use std::time::{Duration, Instant};

use crate::common::{ctodb_command, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

#[test]
fn demo_has_the_documented_counts_and_every_severity_and_status() {
    let db = TestDb::new("seed_demo");
    let out = db.run_status(&["seed", "--as-of", AS_OF]);
    assert!(
        out.contains("\nseeded demo (rng seed –): 6 users, 5 projects, 12 bugs, 30 days of metrics in "),
        "{out}"
    );
    for (table, expected) in [
        ("users", 6),
        ("projects", 5),
        ("bugs", 12),
        ("project_metrics", 150),
        ("monthly_metrics", 15),
        ("import_logs", 2),
        ("bug_history", 4),
        ("portfolio_metrics", 0),
    ] {
        assert_eq!(db.count(&format!("SELECT count(*) FROM {table}")), expected, "{table}");
    }
    assert_eq!(db.count("SELECT count(DISTINCT role) FROM users"), 5);
    assert_eq!(db.count("SELECT count(DISTINCT severity) FROM bugs"), 4);
    assert_eq!(db.count("SELECT count(DISTINCT status) FROM bugs"), 6);
    assert_eq!(db.count("SELECT count(DISTINCT status) FROM projects"), 3);
    // at the seed's as-of: #1, #4 and #11 breached and open; #2 and #5 at risk
    let breached = db.count(&format!(
        "SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at < '{AS_OF}'"
    ));
    assert_eq!(breached, 3);
    let at_risk = db.count(&format!(
        "SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at >= '{AS_OF}'
           AND '{AS_OF}'::timestamptz - created_at >= 0.75 * sla_hours * interval '1 hour'"
    ));
    assert_eq!(at_risk, 2);
    // monthly bug counts were rolled up from the bugs: 12 bugs opened in all
    assert_eq!(db.count("SELECT sum(bugs_opened) FROM monthly_metrics"), 12);
    assert_eq!(db.count("SELECT sum(bugs_resolved) FROM monthly_metrics"), 4);
    // new bugs continue after the demo's numbers
    assert_eq!(db.count("SELECT nextval(pg_get_serial_sequence('bugs', 'bug_number'))"), 13);
}

/// An ordered fingerprint of every seeded table (audit_log has the wall-clock time).
fn fingerprint(db: &TestDb) -> Vec<String> {
    db.fingerprint(&["users", "projects", "bugs", "project_metrics", "monthly_metrics", "import_logs"])
}

#[test]
fn the_same_rng_seed_gives_identical_tables() {
    let args = |seed: &'static str| {
        vec![
            "seed",
            "--projects",
            "30",
            "--bugs",
            "3000",
            "--users",
            "12",
            "--days",
            "40",
            "--rng-seed",
            seed,
            "--as-of",
            AS_OF,
        ]
    };
    let (a, b, c) = (TestDb::new("seed_same_a"), TestDb::new("seed_same_b"), TestDb::new("seed_other"));
    a.run(&args("7"));
    b.run(&args("7"));
    c.run(&args("8"));
    let (fa, fb, fc) = (fingerprint(&a), fingerprint(&b), fingerprint(&c));
    assert_eq!(fa, fb);
    for (table, (x, y)) in fa.iter().zip(&fc).enumerate().take(5) {
        assert_ne!(x, y, "table #{table} did not change with the rng seed");
    }
    assert_eq!(a.count("SELECT count(*) FROM bugs"), 3000);
    assert_eq!(a.count("SELECT count(*) FROM project_metrics"), 30 * 40);
}

#[test]
fn seeding_a_non_empty_database_without_append_changes_nothing() {
    let db = TestDb::new("seed_refuses");
    db.run(&["seed", "--as-of", AS_OF]);
    let before = fingerprint(&db);
    let audit_rows = db.count("SELECT count(*) FROM audit_log");
    let out = db.ctodb(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text().trim(),
        format!(
            "error: database {} already has data (5 projects, 12 bugs, 6 users); seed adds to it \
             only with --append (or start over with `ctodb migrate reset --force`)",
            db.name
        )
    );
    assert_eq!(fingerprint(&db), before);
    assert_eq!(db.count("SELECT count(*) FROM audit_log"), audit_rows);

    // with --append, generated rows go in beside the demo
    db.run(&[
        "seed",
        "--projects",
        "3",
        "--bugs",
        "50",
        "--users",
        "2",
        "--days",
        "5",
        "--append",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(db.count("SELECT count(*) FROM projects"), 8);
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 62);
    assert_eq!(db.count("SELECT min(bug_number) FROM bugs WHERE bug_number > 12"), 13);
    // and again the same day: another set beside both, its own import log rows
    let logs = db.count("SELECT count(*) FROM import_logs");
    db.run(&[
        "seed",
        "--projects",
        "2",
        "--bugs",
        "40",
        "--users",
        "1",
        "--days",
        "5",
        "--append",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(db.count("SELECT count(*) FROM projects"), 10);
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 102);
    assert_eq!(db.count("SELECT count(*) FROM import_logs"), logs + 3);
    assert_eq!(db.count("SELECT count(*) FROM ctodb.bug_search"), 102);
}

#[test]
fn a_killed_seed_leaves_the_database_empty() {
    let db = TestDb::new("seed_killed");
    let mut child = ctodb_command(Some(&db.url))
        .args(["seed", "--profile", "large", "--as-of", AS_OF])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // wait until the bugs stream in (the first table of more than 5,000 rows), then kill
    // the process outright
    let mut admin = crate::common::admin();
    let started = Instant::now();
    loop {
        let copying: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_progress_copy p JOIN pg_database d ON d.oid = p.datid
                 WHERE d.datname = $1 AND p.command = 'COPY FROM' AND p.tuples_processed > 5000",
                &[&db.name],
            )
            .unwrap()
            .get(0);
        if copying > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the seed never reached the bugs");
        assert!(child.try_wait().unwrap().is_none(), "the seed ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // the server notices the closed connection and rolls the transaction back
    crate::common::eventually("the end of the killed seed's session", Duration::from_secs(10), || {
        crate::common::ctodb_sessions(&db.name) == 0
    });
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'seed'"), 0);
    for table in ["users", "projects", "bugs", "project_metrics", "monthly_metrics", "import_logs"] {
        assert_eq!(db.count(&format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
    // and the indexes dropped for the load are all still there
    assert!(db.run(&["doctor", "-f", "csv"]).contains("9 tables, 5 enums, 59 indexes present"));
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE schemaname = 'ctodb' AND indexname = 'bug_search_vector_idx'"),
        1,
        "the search index, dropped for the load too"
    );
}

#[test]
fn a_generated_set_keeps_integrity_and_realistic_shapes() {
    let db = TestDb::new("seed_integrity");
    db.run(&["seed", "--bugs", "20000", "--as-of", AS_OF]);
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 20000);
    for (what, sql) in [
        ("bugs without project", "SELECT count(*) FROM bugs b LEFT JOIN projects p ON p.id = b.project_id WHERE p.id IS NULL"),
        ("bugs with unknown assignee", "SELECT count(*) FROM bugs b WHERE assignee_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = b.assignee_id)"),
        ("metrics without project", "SELECT count(*) FROM project_metrics m WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = m.project_id)"),
        ("resolved before created", "SELECT count(*) FROM bugs WHERE resolved_at < created_at"),
        ("resolved_at out of step with status", "SELECT count(*) FROM bugs WHERE (status IN ('verified', 'shipped', 'closed')) <> (resolved_at IS NOT NULL)"),
        ("resolved in the future", &format!("SELECT count(*) FROM bugs WHERE resolved_at > '{AS_OF}' OR created_at > '{AS_OF}'")),
        ("due_at off", "SELECT count(*) FROM bugs WHERE due_at <> created_at + sla_hours * interval '1 hour'"),
        ("sla not the default", "SELECT count(*) FROM bugs WHERE sla_hours <> ctodb_default_sla_hours(severity)"),
        ("unvalidated constraints", "SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND NOT convalidated"),
    ] {
        assert_eq!(db.count(sql), 0, "{what}");
    }
    // heavy tails: the busiest tenth of projects own over a third of the bugs
    let top_share = db.count(
        "SELECT (100 * sum(n) / (SELECT count(*) FROM bugs))::bigint FROM (
             SELECT count(*) AS n FROM bugs GROUP BY project_id ORDER BY n DESC LIMIT 18) top",
    );
    assert!(top_share > 33, "top 10% of projects own only {top_share}% of bugs");
    // most bugs cost nothing; a few cost a lot
    let zero_share = db.count("SELECT (100 * avg((revenue_impact_daily = 0)::int))::bigint FROM bugs");
    assert!((70..95).contains(&zero_share), "{zero_share}% with zero impact");
    // weekends are quieter than weekdays
    let weekend_ratio = db.count(
        "SELECT (100 * avg(commits) FILTER (WHERE extract(isodow FROM metric_date) >= 6)
                 / avg(commits) FILTER (WHERE extract(isodow FROM metric_date) < 6))::bigint
         FROM project_metrics",
    );
    assert!(weekend_ratio < 40, "weekend commits at {weekend_ratio}% of weekdays");
    // search finds real phrases
    assert!(db.count("SELECT count(*) FROM ctodb.bug_search WHERE search_vector @@ websearch_to_tsquery('english', 'login timeout')") > 0);
}

#[test]
fn a_generated_seed_writes_the_priorities_refresh_computes() {
    let db = TestDb::new("seed_priorities");
    db.run_status(&["seed", "--profile", "standard", "--as-of", "2026-11-25T12:00:00Z"]);
    let scored = db
        .count("SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND priority_score > 0");
    assert!(scored > 100, "{scored} open bugs carry a score");
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE status NOT IN ('pending', 'in_progress') AND priority_score <> 0"), 0);
    let digest = |db: &TestDb| -> String {
        db.client()
            .query_one("SELECT md5(string_agg(bug_number || ':' || priority_score, ',' ORDER BY bug_number)) FROM bugs", &[])
            .unwrap()
            .get(0)
    };
    let seeded = digest(&db);
    // the first refresh at the seed's as-of finds every score already right
    let out = db.run_status(&["refresh", "--as-of", "2026-11-25T12:00:00Z"]);
    assert!(out.contains(": 0 bug priorities (0 closed bugs zeroed)"), "{out}");
    assert_eq!(digest(&db), seeded);
}
