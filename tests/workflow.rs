//! `ctodb bug update`: the workflow's transitions, the history and audit rows they leave
//! with their actor, refusals that name the allowed next statuses, and two updates of one
//! bug at once.

use crate::common::{ctodb_command, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db
}

/// One recorded change: field, old value, new value, who made it (e-mail).
type Change = (String, Option<String>, Option<String>, Option<String>);

/// The recorded changes of one bug, oldest first.
fn history(db: &TestDb, number: i64) -> Vec<Change> {
    db.client()
        .query(
            "SELECT h.field, h.old_value, h.new_value, u.email FROM bug_history h
             JOIN bugs b ON b.id = h.bug_id LEFT JOIN users u ON u.id = h.changed_by
             WHERE b.bug_number = $1 ORDER BY h.changed_at, h.id",
            &[&number],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect()
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn a_bug_walks_the_whole_workflow_and_every_step_is_history() {
    let db = demo("workflow_walk");
    // bug #7: low, pending, unassigned
    let steps = ["in_progress", "verified", "shipped", "closed"];
    let mut from = "pending";
    for to in steps {
        let status = db.run_status(&["bug", "update", "7", "--status", to, "--as", "ada@ctodb.dev"]);
        assert_eq!(status.trim(), format!("bug #7: status {from} → {to}"));
        from = to;
    }
    let recorded = history(&db, 7);
    assert_eq!(
        recorded,
        vec![
            ("status".into(), some("pending"), some("in_progress"), some("ada@ctodb.dev")),
            ("status".into(), some("in_progress"), some("verified"), some("ada@ctodb.dev")),
            ("status".into(), some("verified"), some("shipped"), some("ada@ctodb.dev")),
            ("status".into(), some("shipped"), some("closed"), some("ada@ctodb.dev")),
        ]
    );
    // resolved when it was verified, and still
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE bug_number = 7 AND resolved_at IS NOT NULL"), 1);
    let audits = db.count(
        "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id
         WHERE a.action = 'bug update' AND a.entity_id = '7' AND u.email = 'ada@ctodb.dev'",
    );
    assert_eq!(audits, 4);
    // deferred and back: an open bug may be deferred, a deferred one reopens as pending
    db.run_status(&["bug", "update", "2", "--status", "deferred"]);
    db.run_status(&["bug", "update", "2", "--status", "pending"]);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM bugs WHERE bug_number = 2 AND status = 'pending' AND resolved_at IS NULL"
        ),
        1
    );
}

#[test]
fn a_forbidden_transition_is_refused_with_the_allowed_ones_and_changes_nothing() {
    let db = demo("workflow_refused");
    for (number, to, message) in [
        (
            "1",
            "shipped",
            "bug #1 cannot go from pending to shipped; from pending it can go to in_progress or deferred",
        ),
        (
            "8",
            "pending",
            "bug #8 cannot go from closed to pending; from closed it can go to nowhere: it is final",
        ),
        (
            "9",
            "in_progress",
            "bug #9 cannot go from deferred to in_progress; from deferred it can go to pending",
        ),
        ("3", "closed", "bug #3 cannot go from verified to closed; from verified it can go to shipped"),
    ] {
        let out = db.ctodb(&["bug", "update", number, "--status", to, "--severity", "low"]);
        assert_eq!(out.code(), 1);
        assert_eq!(
            out.stderr_text().trim(),
            format!("error: {message} (to correct a mistake, add --correct \"why\")")
        );
    }
    assert_eq!(db.count("SELECT count(*) FROM bug_history"), 4, "the demo's own four rows, no more");
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'bug update'"), 0);
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE severity = 'low'"), 3);
    // and the other mistakes a user can make
    let out = db.ctodb(&["bug", "update", "999", "--status", "closed"]);
    assert_eq!(out.stderr_text().trim(), "error: no bug #999 (`ctodb bugs --all` lists them)");
    let out = db.ctodb(&["bug", "update", "7"]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().contains("nothing to change"), "{}", out.stderr_text());
    let out = db.ctodb(&["bug", "update", "7", "--assignee", "nobody@example.com"]);
    assert!(
        out.stderr_text().contains("no user with e-mail \"nobody@example.com\""),
        "{}",
        out.stderr_text()
    );
    let out = db.ctodb(&["bug", "update", "7", "--status", "done"]);
    assert_eq!(out.code(), 2);
    let out = db.ctodb(&["bug", "update", "7", "--blocker", "--no-blocker"]);
    assert_eq!(out.code(), 2);
}

#[test]
fn severity_assignee_and_blocker_changes_are_history_with_the_actor() {
    let db = demo("workflow_fields");
    let out: CliOutput = ctodb_command(Some(&db.url))
        .env("CTODB_USER", "barbara@ctodb.dev")
        .args(["bug", "update", "7", "--severity", "high", "--assignee", "Linus@ctodb.dev", "--blocker"])
        .output()
        .unwrap()
        .into();
    let status = out.status_only();
    assert_eq!(
        status.trim(),
        "bug #7: severity low → high, is_blocker false → true, assignee nobody → linus@ctodb.dev"
    );
    let recorded = history(&db, 7);
    let fields: Vec<(&str, Option<&str>)> =
        recorded.iter().map(|(field, _, _, who)| (field.as_str(), who.as_deref())).collect();
    assert_eq!(fields.len(), 3);
    for field in ["severity", "assignee_id", "is_blocker"] {
        assert!(fields.contains(&(field, Some("barbara@ctodb.dev"))), "{fields:?}");
    }
    // the SLA follows the severity: high is 24 hours
    assert_eq!(db.count("SELECT sla_hours::bigint FROM bugs WHERE bug_number = 7"), 24);
    db.run_status(&["bug", "update", "7", "--unassign", "--no-blocker"]);
    assert_eq!(
        db.count("SELECT count(*) FROM bugs WHERE bug_number = 7 AND assignee_id IS NULL AND NOT is_blocker"),
        1
    );
    // the same values again change nothing and record nothing
    let again = db.run_status(&["bug", "update", "7", "--unassign"]);
    assert_eq!(again.trim(), "bug #7: nothing changed");
    assert_eq!(history(&db, 7).len(), 5);
}

#[test]
fn two_updates_of_one_bug_at_once_both_land() {
    let db = demo("workflow_concurrent");
    let spawn = |args: &[&str]| {
        ctodb_command(Some(&db.url))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    for round in 0..5 {
        let (severity, blocker) =
            if round % 2 == 0 { ("high", "--blocker") } else { ("low", "--no-blocker") };
        let a = spawn(&["bug", "update", "7", "--severity", severity]);
        let b = spawn(&["bug", "update", "7", blocker]);
        assert!(a.wait_with_output().unwrap().status.success());
        assert!(b.wait_with_output().unwrap().status.success());
        let expected = format!(
            "SELECT count(*) FROM bugs WHERE bug_number = 7 AND severity = '{severity}' AND is_blocker = {}",
            round % 2 == 0
        );
        assert_eq!(db.count(&expected), 1, "round {round}");
    }
    // every change of both processes is recorded: 5 severity and 5 blocker changes
    let recorded = history(&db, 7);
    assert_eq!(recorded.iter().filter(|h| h.0 == "severity").count(), 5);
    assert_eq!(recorded.iter().filter(|h| h.0 == "is_blocker").count(), 5);
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'bug update'"), 10);
}

/// Two moves of one in-progress bug at once, to verified and to deferred, forced to
/// overlap: the test holds the bug's row until both updates wait for it. Each checks its
/// move against the status it finds once it holds the row, so the second is refused
/// (verified cannot become deferred, nor deferred verified) and the history has one move.
#[test]
fn two_status_moves_of_one_bug_at_once_are_checked_one_after_the_other() {
    let db = demo("workflow_status_race");
    let mut holder = db.client();
    let mut held = holder.transaction().unwrap();
    held.execute("SELECT 1 FROM bugs WHERE bug_number = 2 FOR UPDATE", &[]).unwrap();
    let spawn = |status: &str| {
        ctodb_command(Some(&db.url))
            .args(["bug", "update", "2", "--status", status])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (verify, defer) = (spawn("verified"), spawn("deferred"));
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock' AND pid <> {}",
        db.name,
        held.query_one("SELECT pg_backend_pid()", &[]).unwrap().get::<_, i32>(0)
    );
    crate::common::eventually("both updates waiting for the bug", std::time::Duration::from_secs(30), || {
        db.count(&waiting) == 2
    });
    held.commit().unwrap();
    let limit = std::time::Duration::from_secs(30);
    let (verify, defer) = (
        crate::common::finish_within(verify, limit, "the move to verified"),
        crate::common::finish_within(defer, limit, "the move to deferred"),
    );
    let status: String =
        db.client().query_one("SELECT status::text FROM bugs WHERE bug_number = 2", &[]).unwrap().get(0);
    let refusal = |from: &str, to: &str, next: &str| {
        format!(
            "error: bug #2 cannot go from {from} to {to}; from {from} it can go to {next} (to correct a mistake, add --correct \"why\")"
        )
    };
    match status.as_str() {
        "verified" => {
            assert_eq!(verify.code(), 0, "{}", verify.stderr_text());
            assert_eq!(
                (defer.code(), defer.stderr_text().trim().to_string()),
                (1, refusal("verified", "deferred", "shipped"))
            );
        }
        "deferred" => {
            assert_eq!(defer.code(), 0, "{}", defer.stderr_text());
            assert_eq!(
                (verify.code(), verify.stderr_text().trim().to_string()),
                (1, refusal("deferred", "verified", "pending"))
            );
        }
        other => panic!("bug #2 is {other}"),
    }
    let moves: Vec<Change> = history(&db, 2)
        .into_iter()
        .filter(|h| h.0 == "status" && h.2.as_deref() == Some(status.as_str()))
        .collect();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(db.count("SELECT count(*) FROM bug_history h JOIN bugs b ON b.id = h.bug_id WHERE b.bug_number = 2 AND h.field = 'status' AND h.old_value = 'in_progress'"), 1);
}

#[test]
fn users_lists_every_stored_field_of_everyone() {
    let db = demo("workflow_users");
    db.client().batch_execute("UPDATE users SET is_active = false WHERE email = 'ada@ctodb.dev'").unwrap();
    let out = db.run(&["users", "-f", "csv"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "email,name,role,is_active,weekly_capacity_hours,github_login,created_at,updated_at"
    );
    assert_eq!(lines.len(), 7, "the six demo users, the inactive one included");
    assert!(lines[1].starts_with("ada@ctodb.dev,Ada Lovelace,engineer,false,32.00,ada-l,"), "{out}");
    // a user without a GitHub login: an empty field
    assert!(lines[4].starts_with("katherine@ctodb.dev,Katherine Johnson,qa_engineer,true,36.00,,"), "{out}");
}

#[test]
fn a_status_set_by_mistake_is_corrected_with_a_reason_the_history_keeps() {
    let db = demo("workflow_correct");
    db.run_status(&["bug", "update", "7", "--status", "in_progress"]);
    db.run_status(&["bug", "update", "7", "--status", "verified"]);
    // back is not a step of the workflow: the refusal says how to correct
    let out = db.ctodb(&["bug", "update", "7", "--status", "in_progress"]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        "error: bug #7 cannot go from verified to in_progress; from verified it can go to shipped (to correct a \
         mistake, add --correct \"why\")\n"
    );
    let said = db.run_status(&[
        "bug",
        "update",
        "7",
        "--status",
        "in_progress",
        "--correct",
        "verified by mistake",
        "--as",
        "ada@ctodb.dev",
    ]);
    assert_eq!(said.trim(), "bug #7: status verified → in_progress (a correction: verified by mistake)");
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE bug_number = 7 AND resolved_at IS NULL AND status = 'in_progress'"), 1);
    let shown = db.run(&["bug", "show", "7", "-f", "csv"]);
    assert!(
        shown
            .contains(",status,verified,in_progress,ada@ctodb.dev,bug update --correct: verified by mistake"),
        "{shown}"
    );
    let audit = db.count(
        "SELECT count(*) FROM audit_log WHERE action = 'bug update' AND entity_id = '7'
         AND changes->>'correction' = 'verified by mistake'",
    );
    assert_eq!(audit, 1);
    // a correction needs a status and a reason
    assert_eq!(db.ctodb(&["bug", "update", "7", "--correct", "why"]).code(), 2);
    assert_eq!(db.ctodb(&["bug", "update", "7", "--status", "closed", "--correct", " "]).code(), 2);
}

#[test]
fn a_project_made_by_mistake_is_deleted_and_one_with_bugs_only_when_asked() {
    let db = demo("project_delete");
    // a project imported by mistake (a person's name), with nothing attached
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), "name,arr\nAda Lovelace,0\n").unwrap();
    crate::common::ctodb_at(&db.url, &["import", "csv", "p.csv", "--kind", "projects"], Some(dir.path()))
        .ok();
    let said = db.run_status(&["project", "delete", "ada lovelace", "--as", "grace@ctodb.dev"]);
    assert_eq!(
        said.trim(),
        "deleted project \"Ada Lovelace\": 0 bugs, 0 daily and 0 monthly metric rows with it"
    );
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE name = 'Ada Lovelace'"), 0);
    // one with bugs: refused, nothing changed, then deleted with them when asked
    let bugs = db.count(
        "SELECT count(*) FROM bugs b JOIN projects p ON p.id = b.project_id WHERE p.name = 'Beacon Analytics'",
    );
    assert!(bugs > 0);
    let before = db.fingerprint(&["projects", "bugs", "project_metrics", "monthly_metrics", "audit_log"]);
    let out = db.ctodb(&["project", "delete", "Beacon Analytics"]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        format!(
            "error: project \"Beacon Analytics\" has {bugs} bugs; `ctodb project delete \"Beacon Analytics\" \
             --with-bugs` deletes them and their history with it (`ctodb bugs --project \"Beacon Analytics\" --all` \
             lists them)\n"
        )
    );
    assert_eq!(
        db.fingerprint(&["projects", "bugs", "project_metrics", "monthly_metrics", "audit_log"]),
        before
    );
    db.run_status(&["project", "delete", "Beacon Analytics", "--with-bugs"]);
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE name = 'Beacon Analytics'"), 0);
    assert_eq!(
        db.count("SELECT sum(bugs)::bigint FROM ctodb.bug_counts"),
        db.count("SELECT count(*) FROM bugs")
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM audit_log WHERE action = 'project delete' AND (changes->>'bugs')::int > 0"
        ),
        1
    );
    // `project NAME` still shows a project
    assert!(db.run(&["project", "Atlas Payments", "-f", "csv"]).contains("Atlas Payments"));
}

#[test]
fn an_import_that_jumps_the_workflow_records_the_jump_as_a_correction() {
    let db = demo("workflow_import_jump");
    let dir = tempfile::tempdir().unwrap();
    // bug 7 is pending: a spreadsheet says closed (not a step), bug 2 in_progress → verified (a step)
    std::fs::write(dir.path().join("j.csv"), "bug,status\n7,closed\n2,verified\n").unwrap();
    crate::common::ctodb_at(&db.url, &["import", "csv", "j.csv", "--kind", "bugs"], Some(dir.path())).ok();
    let via = |number: i64| -> String {
        db.client()
            .query_one(
                "SELECT h.changed_via FROM bug_history h JOIN bugs b ON b.id = h.bug_id
                 WHERE b.bug_number = $1 AND h.field = 'status' ORDER BY h.changed_at DESC LIMIT 1",
                &[&number],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(via(7), "import csv (not a workflow step: a correction)");
    assert_eq!(via(2), "import csv");
}
