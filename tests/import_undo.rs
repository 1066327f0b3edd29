//! `ctodb import undo RUN`: one run reverted exactly (what it inserted gone, what it changed
//! as it was), refused with the touched rows named when later changes touched any, and
//! the run's id found from `report imports`.

use std::path::Path;

use crate::common::{ctodb_at, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

/// Every importable table, each row as JSON without the columns ctodb keeps itself
/// (`updated_at`, the scores): what an undo must give back exactly.
fn state(db: &TestDb) -> Vec<String> {
    let mut client = db.client();
    ["users", "projects", "bugs", "project_metrics"]
        .iter()
        .flat_map(|table| {
            let sql = format!(
                "SELECT (to_jsonb(t) - 'updated_at' - 'priority_score')::text FROM {table} t ORDER BY t.id"
            );
            client
                .query(&sql, &[])
                .unwrap()
                .into_iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn import(db: &TestDb, dir: &Path, file: &str, kind: &str, text: &str) -> String {
    std::fs::write(dir.join(file), text).unwrap();
    let out = ctodb_at(&db.url, &["import", "csv", file, "--kind", kind, "-f", "csv"], Some(dir));
    out.ok();
    // the run's short id, as `report imports` shows it (the newest first)
    let imports = db.run(&["report", "imports", "-f", "csv", "--columns", "run,target"]);
    let newest = imports.lines().nth(1).unwrap().to_string();
    let (run, target) = newest.split_once(',').unwrap();
    assert_eq!(target, file);
    assert_eq!(run.len(), 8, "{imports}");
    run.to_string()
}

fn undo(db: &TestDb, run: &str) -> CliOutput {
    db.ctodb(&["import", "undo", run, "-f", "csv"])
}

/// What an undo printed, with the CSV's line ends as `\n`.
fn undone(out: &CliOutput) -> String {
    out.ok().replace("\r\n", "\n")
}

#[test]
fn an_undo_gives_back_exactly_what_the_run_found() {
    let db = TestDb::new("undo_exact");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let before = state(&db);
    let history_before = db.count("SELECT count(*) FROM bug_history");
    // the mistake of the issue: people imported as projects, one real project changed
    let projects = import(
        &db,
        dir.path(),
        "people.csv",
        "projects",
        "name,arr\nAda Lovelace,0\nLinus Torvalds,0\nAtlas Payments,1300000\n",
    );
    // then bugs: two changed (title, severity; a status step), one new in a new project
    let users =
        import(&db, dir.path(), "u.csv", "users", "email,name,role\nnew@ctodb.dev,New Person,engineer\n");
    let bugs = import(
        &db,
        dir.path(),
        "b.csv",
        "bugs",
        "bug,project,title,severity,status\n\
         4,Beacon Analytics,Dashboard shows stale numbers,critical,pending\n\
         7,Comet Mobile,Dark mode icons are misaligned on Android,low,in_progress\n\
         ,Ada Lovelace,A bug of a project that is not one,high,pending\n",
    );
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE name IN ('Ada Lovelace', 'Linus Torvalds')"), 2);
    // newest first: each undo finds the state the run found
    let out = undo(&db, &bugs);
    assert_eq!(
        undone(&out),
        "table,deleted,restored\nbugs,1,2\nproject_metrics,0,0\nprojects,0,0\nusers,0,0\n",
        "{}",
        out.stderr_text()
    );
    assert!(out.stderr_text().contains(": 1 rows deleted, 2 rows restored"), "{}", out.stderr_text());
    assert_eq!(
        undone(&undo(&db, &users)),
        "table,deleted,restored\nbugs,0,0\nproject_metrics,0,0\nprojects,0,0\nusers,1,0\n"
    );
    assert_eq!(
        undone(&undo(&db, &projects)),
        "table,deleted,restored\nbugs,0,0\nproject_metrics,0,0\nprojects,2,1\nusers,0,0\n"
    );
    assert_eq!(state(&db), before, "the tables are as they were before the three imports");
    // the undo is in the history (bug #4's title and severity, #7's status, back) and the
    // audit log, and `report imports` says when each run was undone
    let history = db.client().query(
        "SELECT b.bug_number, h.field, h.old_value, h.new_value, h.changed_via FROM bug_history h
         JOIN bugs b ON b.id = h.bug_id WHERE h.changed_via LIKE 'import undo%' ORDER BY 1, 2",
        &[],
    );
    let history: Vec<(i64, String, String, String, String)> =
        history.unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect();
    let change = |bug: i64, field: &str, old: &str, new: &str, via: &str| {
        (bug, field.to_string(), old.to_string(), new.to_string(), via.to_string())
    };
    assert_eq!(
        history,
        vec![
            change(4, "severity", "critical", "high", "import undo"),
            change(
                4,
                "title",
                "Dashboard shows stale numbers",
                "Dashboard shows stale revenue numbers",
                "import undo"
            ),
            // back a step the workflow has no arrow for: said to be a correction
            change(7, "status", "in_progress", "pending", "import undo (not a workflow step: a correction)"),
        ]
    );
    assert_eq!(db.count("SELECT count(*) FROM bug_history") - history_before, 3 + 3);
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'import undo'"), 3);
    let imports = db.run(&["report", "imports", "-f", "csv", "--columns", "run,undone_at"]);
    assert_eq!(imports.lines().filter(|l| l.ends_with('Z')).count(), 3, "{imports}");
    // a second undo of a run is refused, naming when it was undone
    let again = undo(&db, &bugs);
    assert_eq!(again.code(), 1);
    assert!(again.stderr_text().contains("was undone already, at "), "{}", again.stderr_text());
}

#[test]
fn an_undo_is_refused_naming_the_rows_later_changes_touched() {
    let db = TestDb::new("undo_touched");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let run = import(
        &db,
        dir.path(),
        "p.csv",
        "projects",
        "name,arr\nOrion Undo,10\nAtlas Payments,1300000\nBeacon Analytics,460000\n",
    );
    let bugs = import(
        &db,
        dir.path(),
        "b.csv",
        "bugs",
        "bug,project,title,severity,status\n5,Beacon Analytics,CSV export drops rows,medium,in_progress\n",
    );
    // later: a person changes bug #5's status, another import gives the new project a bug,
    // and someone sets Atlas's ARR by hand
    db.run(&["bug", "update", "5", "--status", "verified", "-f", "csv"]);
    import(
        &db,
        dir.path(),
        "later.csv",
        "bugs",
        "project,title,severity,status\nOrion Undo,Later bug,low,pending\n",
    );
    db.client().execute("UPDATE projects SET arr = 1250000 WHERE name = 'Atlas Payments'", &[]).unwrap();
    let before = (state(&db), db.fingerprint(&["bug_history", "audit_log", "import_logs"]));
    let refused = undo(&db, &run);
    assert_eq!(refused.code(), 1, "{}", refused.stderr_text());
    let id = db
        .client()
        .query_one("SELECT id::text FROM import_logs WHERE target = 'p.csv'", &[])
        .unwrap()
        .get::<_, String>(0);
    assert_eq!(
        refused.stderr_text(),
        format!(
            "error: import run {id} cannot be undone: later changes touched 2 of its rows: projects Atlas Payments \
             (changed since: arr), projects Orion Undo (has bugs or metrics the import did not bring); an undo \
             would revert them, so change those rows back (or by hand) first\n"
        )
    );
    let refused = undo(&db, &bugs);
    assert!(
        refused.stderr_text().contains("touched 1 of its rows: bugs #5 (has history after the import);"),
        "a person's later change of another field refuses it too: {}",
        refused.stderr_text()
    );
    assert_eq!((state(&db), db.fingerprint(&["bug_history", "audit_log", "import_logs"])), before);
}

#[test]
fn a_run_is_named_by_its_id_or_its_start() {
    let db = TestDb::new("undo_names");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let out = db.ctodb(&["import", "undo", "abc"]);
    assert_eq!(out.code(), 2, "{}", out.stderr_text());
    assert!(out
        .stderr_text()
        .contains("give the run's id (from `ctodb report imports`) or at least its first 4 characters"));
    let out = db.ctodb(&["import", "undo", "ffffffff"]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        "error: no import run ffffffff (`ctodb report imports` lists them with their ids)\n"
    );
    // the demo's runs (00000000-0000-4000-8000-0000000000c1 and …c2) share their start
    let out = db.ctodb(&["import", "undo", "0000"]);
    assert_eq!(
        out.stderr_text(),
        "error: more than one import run begins with 0000; give more of its id (`ctodb report imports` lists them)\n"
    );
    // a run of the demo wrote its rows before ctodb kept a journal of them
    let out = db.ctodb(&["import", "undo", "00000000-0000-4000-8000-0000000000c2"]);
    assert_eq!(
        out.stderr_text(),
        "error: import run 00000000-0000-4000-8000-0000000000c2 (ctodb-demo/atlas-payments) changed no row, or \
         ran before ctodb kept what each import changes (migration 20261207150000_import_undo): there is nothing \
         it can undo\n"
    );
}
