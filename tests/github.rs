//! `ctodb import github` from hand-written files in the REST API's format
//! (tests/fixtures/github: pages back to back, labels, a pull request, closed issues,
//! Unicode titles): the projects and bugs they give, a re-import that changes nothing,
//! and upstream changes that update exactly their bug.

use std::path::{Path, PathBuf};

use crate::common::{CliOutput, TestDb};

fn fixture(name: &str) -> String {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github").join(name);
    path.display().to_string()
}

/// One result row: table, rows, inserted, updated, unchanged.
type Counts = (String, i64, i64, i64, i64);

/// A project as a GitHub sync writes it: name, repository, status, language, stars,
/// description.
type SyncedProject = (String, String, String, Option<String>, i32, Option<String>);

/// `import github --repos repos.json --issues F...`, its CSV result rows as
/// (table, rows, inserted, updated, unchanged).
fn sync(db: &TestDb, issues: &[&str]) -> (Vec<Counts>, CliOutput) {
    let repos = fixture("repos.json");
    let files: Vec<String> = issues.iter().map(|f| fixture(f)).collect();
    let mut args = vec!["import", "github", "--repos", repos.as_str(), "-f", "csv"];
    for file in &files {
        args.extend(["--issues", file.as_str()]);
    }
    let out = db.ctodb(&args);
    let stdout = out.ok();
    let rows = stdout
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.rsplitn(8, ',').collect();
            // from the end: rejected, unchanged, updated, inserted, rows, dry_run, table
            let n = |i: usize| fields[i].parse::<i64>().unwrap();
            (fields[6].to_string(), n(4), n(3), n(2), n(1))
        })
        .collect();
    (rows, out)
}

/// (title, severity, status, resolved_at, labels, assignee, reporter, project) of the
/// GitHub bugs, by issue address.
type GithubBug =
    (String, String, String, Option<String>, Vec<String>, Option<String>, Option<String>, String);

fn github_bugs(db: &TestDb) -> Vec<(String, GithubBug)> {
    db.client()
        .query(
            "SELECT b.external_id, b.title, b.severity::text, b.status::text,
                    to_char(b.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), b.labels,
                    a.email, r.email, p.name
             FROM bugs b JOIN projects p ON p.id = b.project_id
             LEFT JOIN users a ON a.id = b.assignee_id LEFT JOIN users r ON r.id = b.reporter_id
             WHERE b.source = 'github' AND b.external_id LIKE 'https://%' ORDER BY b.external_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.get(0),
                (
                    row.get(1),
                    row.get(2),
                    row.get(3),
                    row.get(4),
                    row.get(5),
                    row.get(6),
                    row.get(7),
                    row.get(8),
                ),
            )
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn repositories_and_bug_issues_become_projects_and_bugs_and_a_second_sync_changes_nothing() {
    let db = TestDb::new("github_sync");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let (rows, out) = sync(&db, &["issues-nova.json", "issues-legacy.json"]);
    // atlas-payments is the demo's Atlas Payments (stars and description from upstream);
    // four repositories are new
    assert_eq!(rows[0], ("projects".to_string(), 5, 4, 1, 0));
    // issues 1, 3, 5 of nova-search and 9 of legacy-wiki: the pull request (#2) and the
    // enhancement (#4) are not bugs
    assert_eq!(rows[1], ("bugs".to_string(), 4, 4, 0, 0));
    let stderr = out.stderr_text();
    assert!(stderr.contains("skipped 1 pull request\n"), "{stderr}");
    assert!(stderr.contains("skipped 1 issue without a bug or severity label\n"), "{stderr}");
    assert!(stderr.contains(
        "left unassigned the bugs of GitHub users ctodb does not know (set their github_login): stranger"
    ));

    let projects: Vec<SyncedProject> = db
        .client()
        .query(
            "SELECT name, github_repo, status::text, primary_language, github_stars, description FROM projects
             WHERE github_repo LIKE '%/%' AND github_repo NOT IN ('ctodb-demo/beacon-analytics',
                   'ctodb-demo/comet-mobile', 'ctodb-demo/drift-crm')
             ORDER BY github_repo",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        projects,
        vec![
            (
                "Atlas Payments".into(),
                "ctodb-demo/atlas-payments".into(),
                "active".into(),
                some("Go"),
                310,
                some("Card payments, refunds and payouts")
            ),
            // archived → deferred
            ("legacy-wiki".into(), "ctodb-demo/legacy-wiki".into(), "deferred".into(), None, 0, None),
            (
                "nova-search".into(),
                "ctodb-demo/nova-search".into(),
                "active".into(),
                some("Rust"),
                42,
                some("Recherche à facettes — rapide ✓")
            ),
            (
                "toolkit".into(),
                "ctodb-demo/toolkit".into(),
                "active".into(),
                some("Shell"),
                7,
                some("Shared build tooling")
            ),
            // the name toolkit is taken: the full name
            (
                "labs-org/toolkit".into(),
                "labs-org/toolkit".into(),
                "active".into(),
                some("Python"),
                1,
                some("A different toolkit")
            ),
        ]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM projects WHERE github_repo LIKE '%/%' AND last_synced_at IS NULL"),
        0
    );

    let bugs = github_bugs(&db);
    let url = |repo: &str, n: u32| format!("https://github.com/ctodb-demo/{repo}/issues/{n}");
    assert_eq!(
        bugs,
        vec![
            (
                url("legacy-wiki", 9),
                (
                    "Pages lose their history".into(),
                    "medium".into(),
                    "pending".into(),
                    None,
                    strings(&["defect"]),
                    None,
                    None,
                    "legacy-wiki".into()
                )
            ),
            (
                url("nova-search", 1),
                (
                    "Search returns nothing for ümlauts — 検索が空".into(),
                    "high".into(),
                    "pending".into(),
                    None,
                    strings(&["bug", "P1"]),
                    some("linus@ctodb.dev"),
                    some("grace@ctodb.dev"),
                    "nova-search".into()
                )
            ),
            (
                url("nova-search", 3),
                (
                    "Crash on an empty query".into(),
                    "critical".into(),
                    "closed".into(),
                    some("2026-10-21 12:00"),
                    strings(&["sev0"]),
                    None,
                    some("margaret@ctodb.dev"),
                    "nova-search".into()
                )
            ),
            (
                url("nova-search", 5),
                (
                    "Facet counts got slow".into(),
                    "low".into(),
                    "pending".into(),
                    None,
                    strings(&["regression", "low"]),
                    None,
                    some("grace@ctodb.dev"),
                    "nova-search".into()
                )
            ),
        ]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM import_logs WHERE source = 'github' AND status = 'succeeded'"),
        2
    );

    // the same files again: nothing changes, not even updated_at
    let stamps = "SELECT string_agg(github_repo || updated_at::text, ',' ORDER BY github_repo) FROM projects";
    let before: String = db.client().query_one(stamps, &[]).unwrap().get(0);
    let bugs_before = db.fingerprint(&["bugs", "bug_history"]);
    let (rows, _) = sync(&db, &["issues-nova.json", "issues-legacy.json"]);
    assert_eq!(rows, vec![("projects".to_string(), 5, 0, 0, 5), ("bugs".to_string(), 4, 0, 0, 4)]);
    let after: String = db.client().query_one(stamps, &[]).unwrap().get(0);
    assert_eq!(after, before);
    assert_eq!(db.fingerprint(&["bugs", "bug_history"]), bugs_before);
}

#[test]
fn an_issue_closed_or_reopened_upstream_updates_that_bug_only() {
    let db = TestDb::new("github_upstream");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    sync(&db, &["issues-nova.json", "issues-legacy.json"]);
    // a bug moved along in ctodb while its issue stays open keeps its status
    let five: i64 = db.count(
        "SELECT bug_number FROM bugs WHERE external_id = 'https://github.com/ctodb-demo/nova-search/issues/5'",
    );
    db.run_status(&["bug", "update", &five.to_string(), "--status", "in_progress"]);
    let before = github_bugs(&db);
    // issue 1 closed upstream
    let (rows, _) = sync(&db, &["issues-nova-closed.json", "issues-legacy.json"]);
    assert_eq!(rows[1], ("bugs".to_string(), 4, 0, 1, 3));
    let after = github_bugs(&db);
    let changed: Vec<&str> =
        before.iter().zip(&after).filter(|(b, a)| b != a).map(|(b, _)| b.0.as_str()).collect();
    assert_eq!(changed, ["https://github.com/ctodb-demo/nova-search/issues/1"]);
    assert_eq!(after[1].1 .2, "closed");
    assert_eq!(after[1].1 .3.as_deref(), Some("2026-11-26 16:00"));
    assert_eq!(after[3].1 .2, "in_progress");
    let history = db.count(
        "SELECT count(*) FROM bug_history h JOIN bugs b ON b.id = h.bug_id
         WHERE b.external_id = 'https://github.com/ctodb-demo/nova-search/issues/1'
           AND h.field = 'status' AND h.old_value = 'pending' AND h.new_value = 'closed'",
    );
    assert_eq!(history, 1);
    // issue 3 reopened upstream: back to pending, no longer resolved
    let (rows, _) = sync(&db, &["issues-nova-reopened.json"]);
    assert_eq!(rows[1], ("bugs".to_string(), 3, 0, 1, 2));
    let reopened = github_bugs(&db);
    assert_eq!((reopened[2].1 .2.as_str(), reopened[2].1 .3.as_deref()), ("pending", None));
}

#[test]
fn damaged_api_files_are_refused_with_file_line_and_column() {
    let db = TestDb::new("github_damaged");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("wrong_type.json", "[{\"full_name\": \"x/y\", \"name\": 5}]", "error: wrong_type.json, line 1, column 32: is not GitHub API JSON: invalid type: integer `5`, expected a string"),
        ("truncated.json", "[{\"full_name\": \"x/y\",\n \"name\": \"y\"", "error: truncated.json, line 2, column 12: ends in the middle of a JSON value (a truncated download?)"),
        ("error.json", "{\"message\": \"Bad credentials\"}", "error: error.json, line 1, column 30: is not GitHub API JSON: expected an array, found an object with the message \"Bad credentials\""),
        ("empty.json", "", "error: empty.json is empty: expected a JSON array of objects, as `gh api --paginate` saves it"),
        ("no_name.json", "[{\"full_name\": \"no-slash\", \"name\": \"n\"}]", "error: no_name.json: repository \"no-slash\" has no owner/name full_name"),
    ];
    let before = db.fingerprint(&["projects", "bugs"]);
    for (file, text, error) in cases {
        std::fs::write(dir.path().join(file), text).unwrap();
        let out = crate::common::ctodb_at(&db.url, &["import", "github", "--repos", file], Some(dir.path()));
        assert_eq!(out.code(), 1, "{file}");
        assert_eq!(out.stderr_text().trim_end(), error, "{file}");
        assert_eq!(db.fingerprint(&["projects", "bugs"]), before, "{file}");
    }
    assert_eq!(db.count("SELECT count(*) FROM import_logs WHERE source = 'github' AND status = 'failed'"), 5);
    let out = crate::common::ctodb_at(
        &db.url,
        &["import", "github", "--repos", "x.json", "--severity-labels", "urgent=p0"],
        Some(dir.path()),
    );
    assert_eq!(
        out.stderr_text().trim_end(),
        "error: --severity-labels: \"urgent\" is not one of critical, high, medium, low"
    );
}

#[test]
fn severity_labels_can_be_mapped_by_the_user() {
    let db = TestDb::new("github_labels");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let repos = fixture("repos.json");
    let issues = fixture("issues-nova.json");
    db.run(&[
        "import",
        "github",
        "--repos",
        &repos,
        "--issues",
        &issues,
        "--severity-labels",
        "low=p1;critical=regression",
    ]);
    let severities: Vec<(String, String)> =
        github_bugs(&db).into_iter().map(|(url, bug)| (url, bug.1)).collect();
    let url = |n: u32| format!("https://github.com/ctodb-demo/nova-search/issues/{n}");
    // #1 (bug, P1): low; #3 (sev0, no longer a severity label): not a bug unless labelled bug;
    // #5 (regression, low): critical (the most severe wins)
    assert_eq!(severities, vec![(url(1), "low".to_string()), (url(5), "critical".to_string())]);
}
