//! The roll-ups reports read instead of the bugs: kept exact by triggers through every
//! kind of write, and equal to the figures counted from the bugs themselves.

use postgres::types::ToSql;

use crate::common::TestDb;

/// The engineering helper as it reads the roll-up.
const ENGINEERING: &str = include_str!("../sql/metrics/engineering.sql");

/// The same figures counted from every bug resolved in the window (the helper before the
/// roll-up).
const ENGINEERING_FROM_BUGS: &str = "
    WITH window_start AS (
        SELECT (date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC')
                - make_interval(months => $2::int - 1)) AT TIME ZONE 'UTC' AS at
    ), resolved AS (
        SELECT b.severity, count(*) AS bugs_resolved,
               sum(extract(epoch FROM b.resolved_at - b.created_at)) AS resolution_seconds,
               count(*) FILTER (WHERE b.resolved_at <= b.due_at) AS within_sla
        FROM bugs b, window_start w
        WHERE b.resolved_at >= w.at AND b.resolved_at <= $1
        GROUP BY b.severity
    )
    SELECT s.severity::text, coalesce(r.bugs_resolved, 0), coalesce(r.resolution_seconds, 0)::text,
           coalesce(r.within_sla, 0)
    FROM unnest(enum_range(NULL::bug_severity)) AS s (severity)
    LEFT JOIN resolved r ON r.severity = s.severity
    ORDER BY s.severity";

/// The team helper as it reads the roll-up.
const TEAM: &str = include_str!("../sql/team/performance.sql");

/// The same figures from every bug resolved in the window (the helper before the roll-up).
const TEAM_FROM_BUGS: &str = "
SELECT u.email, u.name, u.role::text AS role,
       coalesce(r.resolved, 0) AS resolved,
       r.mean_resolution_hours,
       r.within_sla_rate,
       coalesce(h.changes, 0) AS changes
FROM users u
LEFT JOIN LATERAL (
    SELECT count(*) AS resolved,
           ctodb_round_ratio(sum(extract(epoch FROM b.resolved_at - b.created_at)), count(*) * 3600, 2) AS mean_resolution_hours,
           ctodb_round_ratio(count(*) FILTER (WHERE b.resolved_at <= b.due_at), count(*), 4) AS within_sla_rate
    FROM bugs b
    -- resolved_at is set exactly on resolved bugs (the bugs_defaults trigger)
    WHERE b.assignee_id = u.id
      AND b.resolved_at > $2::timestamptz - make_interval(days => $1::int) AND b.resolved_at <= $2
) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS changes
    FROM bug_history h
    WHERE h.changed_by = u.id
      AND h.changed_at > $2::timestamptz - make_interval(days => $1::int) AND h.changed_at <= $2
) h ON true
WHERE u.is_active
ORDER BY resolved DESC, u.email";

/// email, resolved, mean resolution hours and share within SLA (as text: exact), changes
type Person = (String, i64, Option<String>, Option<String>, i64);

fn team(client: &mut postgres::Client, sql: &str, days: i32, as_of: &str) -> Vec<Person> {
    let as_of: chrono::DateTime<chrono::Utc> = as_of.parse().unwrap();
    let sql = format!(
        "SELECT t.email, t.resolved, t.mean_resolution_hours::text, t.within_sla_rate::text, t.changes FROM ({}) t",
        sql.trim_end().trim_end_matches(';')
    );
    client
        .query(sql.as_str(), &[&days, &as_of])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
        .collect()
}

/// severity, bugs resolved, resolution seconds (as text: exact), within SLA
type Resolved = (String, i64, String, i64);

fn engineering(client: &mut postgres::Client, sql: &str, as_of: &str, months: i32) -> Vec<Resolved> {
    let as_of: chrono::DateTime<chrono::Utc> = as_of.parse().unwrap();
    let params: [&(dyn ToSql + Sync); 2] = [&as_of, &months];
    let wrapped = format!(
        "SELECT e.severity::text, e.bugs_resolved, e.resolution_seconds::numeric::text, e.within_sla
         FROM ({}) e ORDER BY e.severity",
        sql.trim_end().trim_end_matches(';')
    );
    let sql = if sql == ENGINEERING { wrapped.as_str() } else { sql };
    client
        .query(sql, &params)
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect()
}

/// The roll-up holds exactly what grouping the bugs gives (days with no bugs left may
/// stay as zero rows).
fn rollup_matches(client: &mut postgres::Client) -> bool {
    client
        .query_one(
            "SELECT NOT EXISTS (
                 (SELECT (resolved_at AT TIME ZONE 'UTC')::date, severity, count(*),
                         sum(extract(epoch FROM resolved_at - created_at)),
                         count(*) FILTER (WHERE resolved_at <= due_at)
                  FROM bugs WHERE resolved_at IS NOT NULL GROUP BY 1, 2
                  EXCEPT
                  SELECT day, severity, resolved, resolution_seconds, within_sla
                  FROM ctodb.bug_resolutions WHERE resolved > 0)
                 UNION ALL
                 (SELECT day, severity, resolved, resolution_seconds, within_sla
                  FROM ctodb.bug_resolutions WHERE resolved > 0
                  EXCEPT
                  SELECT (resolved_at AT TIME ZONE 'UTC')::date, severity, count(*),
                         sum(extract(epoch FROM resolved_at - created_at)),
                         count(*) FILTER (WHERE resolved_at <= due_at)
                  FROM bugs WHERE resolved_at IS NOT NULL GROUP BY 1, 2))
             AND NOT EXISTS (SELECT 1 FROM ctodb.bug_resolutions
                             WHERE resolved = 0 AND (resolution_seconds <> 0 OR within_sla <> 0))",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn the_resolutions_rollup_follows_every_write() {
    let db = TestDb::new("resolutions_rollup");
    let mut client = db.client();
    client
        .batch_execute(
            "INSERT INTO projects (id, name) VALUES ('00000000-0000-0000-0000-0000000000aa', 'Atlas');
             INSERT INTO bugs (project_id, title, severity, created_at)
             SELECT '00000000-0000-0000-0000-0000000000aa', 'bulk ' || n,
                    (ARRAY['critical', 'high', 'medium', 'low'])[1 + n % 4]::bug_severity,
                    '2026-10-01T00:00:00Z'::timestamptz + n * interval '37 minutes'
             FROM generate_series(1, 300) n;",
        )
        .unwrap();
    assert_eq!(db.count("SELECT count(*) FROM ctodb.bug_resolutions"), 0);
    let steps = [
        // resolved at odd instants, some within their SLA and some late, across midnight
        "UPDATE bugs SET status = 'closed', resolved_at = created_at + (bug_number % 50) * interval '1 hour 7 minutes 3.25 seconds'
         WHERE title LIKE 'bulk 1%'",
        "UPDATE bugs SET status = 'verified' WHERE title LIKE 'bulk 2%'",
        // a severity change moves the SLA, and with it what counts as within
        "UPDATE bugs SET severity = 'low' WHERE title LIKE 'bulk 1_'",
        "UPDATE bugs SET sla_hours = 1 WHERE title LIKE 'bulk 1__'",
        // reopened: resolved_at is cleared by the defaults trigger
        "UPDATE bugs SET status = 'pending' WHERE title LIKE 'bulk 11%'",
        "UPDATE bugs SET resolved_at = resolved_at + interval '1 day' WHERE title LIKE 'bulk 12%'",
        "DELETE FROM bugs WHERE title LIKE 'bulk 13%'",
        "UPDATE bugs SET priority_score = 0, title = title || ' again'",
        "INSERT INTO bugs (project_id, title, severity, status, created_at, resolved_at)
         VALUES ('00000000-0000-0000-0000-0000000000aa', 'born closed', 'high', 'shipped',
                 '2026-11-02T23:00:00Z', '2026-11-03T00:30:00.5Z')",
    ];
    for step in steps {
        client.batch_execute(step).unwrap();
        assert!(rollup_matches(&mut client), "the roll-up drifted after: {step}");
    }
    // a write rolled back leaves the roll-up as it was, and one that fails half way too
    let before = db.count("SELECT sum(resolved)::bigint FROM ctodb.bug_resolutions");
    client
        .batch_execute("BEGIN; UPDATE bugs SET status = 'closed' WHERE resolved_at IS NULL; ROLLBACK;")
        .unwrap();
    let failed = client.batch_execute(
        "UPDATE bugs SET status = 'closed', revenue_impact_daily = CASE WHEN bug_number % 2 = 0 THEN -1 ELSE 0 END",
    );
    assert!(failed.is_err(), "a negative revenue impact is refused");
    assert_eq!(db.count("SELECT sum(resolved)::bigint FROM ctodb.bug_resolutions"), before);
    assert!(rollup_matches(&mut client));
    // closed: bulk 1, 10-19, 100-199 (111); verified, resolved now: bulk 2, 20-29, 200-299
    // (111); reopened: bulk 11, 110-119 (11); deleted: bulk 13, 130-139 (11); born closed: 1
    let resolved = db.count("SELECT count(*) FROM bugs WHERE resolved_at IS NOT NULL");
    assert_eq!(resolved, 111 + 111 - 11 - 11 + 1);
    assert_eq!(db.count("SELECT sum(resolved)::bigint FROM ctodb.bug_resolutions"), resolved);
    client.batch_execute("TRUNCATE bugs CASCADE").unwrap();
    assert_eq!(db.count("SELECT count(*) FROM ctodb.bug_resolutions"), 0);
}

#[test]
fn reports_from_the_rollups_equal_the_counts_over_bugs() {
    let db = TestDb::new("report_rollups");
    db.run_status(&["seed", "--profile", "standard", "--as-of", "2026-11-25T12:00:00Z"]);
    let mut client = db.client();
    // the report SQL finds the summaries by the path ctodb's sessions have (db::SEARCH_PATH)
    client.batch_execute("SET search_path = public, ctodb").unwrap();
    // a few bugs resolved on the as-of day, before and after the instant
    client
        .batch_execute(
            "UPDATE bugs SET status = 'closed', resolved_at = '2026-11-25T00:00:00Z'
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NULL
                                  AND created_at < '2026-11-24T00:00:00Z' ORDER BY bug_number LIMIT 3);
             UPDATE bugs SET status = 'shipped', resolved_at = '2026-11-25T11:59:59.75Z'
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NULL
                                  AND created_at < '2026-11-24T00:00:00Z' ORDER BY bug_number LIMIT 4);
             UPDATE bugs SET status = 'verified', resolved_at = '2026-11-25T12:00:00.25Z'
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NULL
                                  AND created_at < '2026-11-24T00:00:00Z' ORDER BY bug_number LIMIT 5);",
        )
        .unwrap();
    // resolutions at the window's edges, a reassigned resolved bug, an unassigned one
    client
        .batch_execute(
            "UPDATE bugs SET status = 'closed', resolved_at = '2026-11-25T00:00:00Z'
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NULL
                                  AND assignee_id IS NOT NULL AND created_at < '2026-10-01'
                                  ORDER BY bug_number LIMIT 3);
             UPDATE bugs SET status = 'shipped', resolved_at = '2026-10-26T12:00:00.5Z'
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NULL
                                  AND assignee_id IS NOT NULL AND created_at < '2026-10-01'
                                  ORDER BY bug_number LIMIT 4);
             UPDATE bugs SET assignee_id = (SELECT id FROM users ORDER BY email LIMIT 1)
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NOT NULL
                                  ORDER BY resolved_at DESC LIMIT 20);
             UPDATE bugs SET assignee_id = NULL
             WHERE bug_number IN (SELECT bug_number FROM bugs WHERE resolved_at IS NOT NULL
                                  ORDER BY resolved_at DESC OFFSET 20 LIMIT 5);",
        )
        .unwrap();
    assert!(rollup_matches(&mut client));
    assert_eq!(
        db.count(
            "SELECT count(*) FROM ((SELECT (resolved_at AT TIME ZONE 'UTC')::date, assignee_id, count(*),
                                           sum(extract(epoch FROM resolved_at - created_at)),
                                           count(*) FILTER (WHERE resolved_at <= due_at)
                                    FROM bugs WHERE resolved_at IS NOT NULL AND assignee_id IS NOT NULL GROUP BY 1, 2)
                                   EXCEPT
                                   SELECT day, assignee_id, resolved, resolution_seconds, within_sla
                                   FROM ctodb.assignee_resolutions WHERE resolved > 0) drift"
        ),
        0
    );

    // report engineering: whole days from ctodb.bug_resolutions
    let mut compared = 0;
    for as_of in [
        "2026-11-25T12:00:00Z",
        "2026-11-25T00:00:00Z",
        "2026-11-01T00:00:00Z",
        "2026-06-15T08:30:00.5Z",
        "2025-01-01T00:00:00Z",
    ] {
        for months in [1, 3, 12, 36] {
            let from_rollup = engineering(&mut client, ENGINEERING, as_of, months);
            let from_bugs = engineering(&mut client, ENGINEERING_FROM_BUGS, as_of, months);
            assert_eq!(from_rollup, from_bugs, "as of {as_of}, {months} months");
            compared += from_bugs.iter().map(|row| row.1).sum::<i64>();
        }
    }
    // the comparison covered real data, not empty windows
    assert!(compared > 1000, "only {compared} resolved bugs compared");
    // the as-of day's bugs: 3 at midnight and 4 before noon count, 5 after noon do not
    let today = engineering(&mut client, ENGINEERING, "2026-11-25T12:00:00Z", 1);
    let day_before = engineering(&mut client, ENGINEERING, "2026-11-24T23:59:59.999999Z", 1);
    let added: i64 = today.iter().map(|r| r.1).sum::<i64>() - day_before.iter().map(|r| r.1).sum::<i64>();
    let seeded_today = db.count(
        "SELECT count(*) FROM bugs WHERE resolved_at >= '2026-11-25T00:00:00Z' AND resolved_at <= '2026-11-25T12:00:00Z'",
    );
    assert_eq!(added, seeded_today);
    assert!(seeded_today >= 7);

    // report team: whole days from ctodb.assignee_resolutions
    compared = 0;
    for as_of in
        ["2026-11-25T12:00:00Z", "2026-11-25T00:00:00Z", "2026-11-26T00:00:00.5Z", "2026-06-15T08:30:00Z"]
    {
        for days in [0, 1, 2, 30, 365, 2000] {
            let from_rollup = team(&mut client, TEAM, days, as_of);
            let from_bugs = team(&mut client, TEAM_FROM_BUGS, days, as_of);
            assert_eq!(from_rollup, from_bugs, "as of {as_of}, {days} days");
            compared += from_bugs.iter().map(|p| p.1).sum::<i64>();
        }
    }
    assert!(compared > 1000, "only {compared} resolutions compared");
}

#[test]
fn stats_counts_from_the_summaries_equal_count_star() {
    let db = TestDb::new("table_rows_rollup");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let mut client = db.client();
    let stats_rows = |db: &TestDb, table: &str| -> i64 {
        let json: serde_json::Value = serde_json::from_str(&db.run(&["stats", "-f", "json"])).unwrap();
        let tables = json["tables"].as_array().or_else(|| json.as_array()).expect("stats lists the tables");
        let row = tables.iter().find(|row| row["table_name"] == table).expect("the table is listed");
        row["rows"].as_i64().expect("rows is a number")
    };
    let metrics = db.count("SELECT count(*) FROM project_metrics");
    assert!(metrics > 100);
    assert_eq!(stats_rows(&db, "project_metrics"), metrics);
    assert_eq!(stats_rows(&db, "bugs"), db.count("SELECT count(*) FROM bugs"));
    client
        .batch_execute(
            "DELETE FROM project_metrics WHERE metric_date < (SELECT min(metric_date) + 10 FROM project_metrics);
             INSERT INTO project_metrics (project_id, metric_date)
             SELECT id, DATE '1999-01-01' FROM projects;
             DELETE FROM bugs WHERE bug_number % 7 = 0;",
        )
        .unwrap();
    let after = db.count("SELECT count(*) FROM project_metrics");
    assert_ne!(after, metrics);
    assert_eq!(stats_rows(&db, "project_metrics"), after);
    assert_eq!(stats_rows(&db, "bugs"), db.count("SELECT count(*) FROM bugs"));
    client.batch_execute("TRUNCATE project_metrics").unwrap();
    assert_eq!(stats_rows(&db, "project_metrics"), 0);
}

#[test]
fn a_listing_of_every_project_counts_open_bugs_as_a_page_does() {
    let db = TestDb::new("projects_long_page");
    db.run_status(&["seed", "--profile", "standard", "--as-of", "2026-11-25T12:00:00Z"]);
    let as_of = ["--as-of", "2026-11-25T12:00:00Z", "-f", "csv"];
    // every project: one pass over the open bugs (projects/list_all_rows)
    let every = db.run(&[&["projects", "--all"][..], &as_of].concat());
    let every: Vec<&str> = every.lines().collect();
    assert_eq!(every.len() as i64, 1 + db.count("SELECT count(*) FROM projects"));
    // the same rows page by page: a probe per project (projects/list_rows)
    let mut paged = vec![every[0].to_string()];
    for page in 1..=4 {
        let page = page.to_string();
        let out = db.run(&[&["projects", "--all", "--limit", "50", "--page", &page][..], &as_of].concat());
        paged.extend(out.lines().skip(1).map(str::to_string));
    }
    // standard has 180 projects: four pages of 50 hold them all
    assert_eq!(every.len(), 181);
    assert_eq!(every, paged.iter().map(String::as_str).collect::<Vec<_>>());
    // and the counts are real: some project has open, critical and breached bugs
    let open_at = every[0].split(',').position(|c| c == "open_bugs").unwrap();
    assert!(every[1..].iter().any(|line| line.split(',').nth(open_at).is_some_and(|n| n != "0")));
}
