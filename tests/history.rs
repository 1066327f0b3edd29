//! The bug_history trigger and the bug defaults of the schema.

use uuid::Uuid;

use crate::common::TestDb;

/// field, old_value, new_value, changed_by
type HistoryRow = (String, Option<String>, Option<String>, Option<Uuid>);

const SETUP: &str = "
    INSERT INTO users (id, email, name, role) VALUES
        ('00000000-0000-0000-0000-000000000001', 'grace@example.com', 'Grace', 'cto'),
        ('00000000-0000-0000-0000-000000000002', 'linus@example.com', 'Linus', 'engineer');
    INSERT INTO projects (id, name) VALUES ('00000000-0000-0000-0000-0000000000aa', 'Atlas');
    INSERT INTO bugs (id, project_id, title, severity, created_at) VALUES
        ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000aa',
         'Login times out', 'critical', '2026-11-01T10:00:00Z');";

#[test]
fn status_and_assignee_changes_leave_history_attributed_to_the_actor() {
    let db = TestDb::new("history_actor");
    let mut client = db.client();
    client.batch_execute(SETUP).unwrap();
    client
        .batch_execute(
            "BEGIN;
             SET LOCAL ctodb.actor = 'grace@example.com';
             UPDATE bugs SET status = 'in_progress',
                             assignee_id = '00000000-0000-0000-0000-000000000002',
                             title = 'Login times out on Safari'
             WHERE id = '00000000-0000-0000-0000-0000000000b1';
             COMMIT;",
        )
        .unwrap();
    let rows = client
        .query("SELECT field, old_value, new_value, changed_by FROM bug_history ORDER BY field", &[])
        .unwrap();
    let history: Vec<HistoryRow> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    let grace = Some(Uuid::parse_str("00000000-0000-0000-0000-000000000001").unwrap());
    assert_eq!(
        history,
        vec![
            (
                "assignee_id".to_string(),
                None,
                Some("00000000-0000-0000-0000-000000000002".to_string()),
                grace
            ),
            ("status".to_string(), Some("pending".to_string()), Some("in_progress".to_string()), grace),
            (
                "title".to_string(),
                Some("Login times out".to_string()),
                Some("Login times out on Safari".to_string()),
                grace
            ),
        ]
    );
}

/// As the owner of the tables (what ctodb.apply_bug_scores runs as); any other role that
/// sets the switch is recorded all the same (tests/roles.rs).
#[test]
fn changes_under_refresh_are_not_history() {
    let db = TestDb::new("history_refresh");
    let mut client = db.client();
    client.batch_execute(SETUP).unwrap();
    client
        .batch_execute(
            "BEGIN;
             SET LOCAL ctodb.refresh = 'on';
             UPDATE bugs SET priority_score = 55.5;
             COMMIT;
             UPDATE bugs SET is_blocker = true;",
        )
        .unwrap();
    let rows = client.query("SELECT field, old_value, new_value, changed_by FROM bug_history", &[]).unwrap();
    assert_eq!(rows.len(), 1, "only the change made outside refresh");
    assert_eq!(rows[0].get::<_, String>(0), "is_blocker");
    assert_eq!(rows[0].get::<_, Option<String>>(2).as_deref(), Some("true"));
    assert_eq!(rows[0].get::<_, Option<Uuid>>(3), None, "no actor set");
}

#[test]
fn sla_hours_default_by_severity_and_due_at_follows() {
    let db = TestDb::new("bug_defaults");
    let mut client = db.client();
    client.batch_execute(SETUP).unwrap();
    let row = client
        .query_one("SELECT sla_hours, due_at = '2026-11-01T14:00:00Z'::timestamptz FROM bugs", &[])
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 4);
    assert!(row.get::<_, bool>(1));
    // escalating moves a default SLA to the new severity's default, and due_at with it
    client.batch_execute("UPDATE bugs SET severity = 'high'").unwrap();
    let row = client
        .query_one("SELECT sla_hours, due_at = '2026-11-02T10:00:00Z'::timestamptz FROM bugs", &[])
        .unwrap();
    assert_eq!((row.get::<_, i32>(0), row.get::<_, bool>(1)), (24, true));
    // resolving keeps the given resolved_at; reopening clears it
    client.batch_execute("UPDATE bugs SET status = 'closed', resolved_at = '2026-11-01T12:00:00Z'").unwrap();
    let resolved: bool = client
        .query_one("SELECT resolved_at = '2026-11-01T12:00:00Z'::timestamptz FROM bugs", &[])
        .unwrap()
        .get(0);
    assert!(resolved);
    client.batch_execute("UPDATE bugs SET status = 'pending'").unwrap();
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE resolved_at IS NULL"), 1);
}

#[test]
fn the_bug_counts_summary_follows_every_write() {
    let db = TestDb::new("bug_counts_summary");
    let mut client = db.client();
    client.batch_execute(SETUP).unwrap();
    let summary_matches = |client: &mut postgres::Client| -> bool {
        client
            .query_one(
                "SELECT NOT EXISTS (
                     SELECT severity, status, count(*) AS bugs, count(*) FILTER (WHERE resolved_at > due_at) AS late
                     FROM bugs GROUP BY 1, 2
                     EXCEPT
                     SELECT severity, status, bugs, resolved_late FROM ctodb.bug_counts WHERE bugs > 0)
                 AND (SELECT sum(bugs) FROM ctodb.bug_counts) = (SELECT count(*) FROM bugs)",
                &[],
            )
            .unwrap()
            .get(0)
    };
    assert!(summary_matches(&mut client));
    client
        .batch_execute(
            "INSERT INTO bugs (project_id, title, severity, created_at)
             SELECT '00000000-0000-0000-0000-0000000000aa', 'bulk ' || n,
                    (ARRAY['critical', 'high', 'medium', 'low'])[1 + n % 4]::bug_severity,
                    '2026-11-01T00:00:00Z'::timestamptz + n * interval '1 hour'
             FROM generate_series(1, 200) n;
             UPDATE bugs SET status = 'closed', resolved_at = created_at + interval '30 days' WHERE title LIKE 'bulk 1%';
             UPDATE bugs SET severity = 'low' WHERE title LIKE 'bulk 2%';
             DELETE FROM bugs WHERE title LIKE 'bulk 3%';",
        )
        .unwrap();
    assert!(summary_matches(&mut client));
    // 1 + 200 inserted - 11 deleted ("bulk 3", "bulk 30" to "bulk 39")
    assert_eq!(db.count("SELECT sum(bugs)::bigint FROM ctodb.bug_counts"), 190);
    assert!(db.count("SELECT sum(resolved_late)::bigint FROM ctodb.bug_counts") > 0);
    client.batch_execute("TRUNCATE bugs CASCADE").unwrap();
    assert_eq!(db.count("SELECT sum(bugs)::bigint FROM ctodb.bug_counts"), 0);
}
