//! Migrations: creation of the database, idempotence, the advisory lock, drift, reset.

use std::path::Path;

use crate::common::{ctodb_at, TestDb};

/// How many migrations the source tree has (each a folder under migrations/).
fn migrations() -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("migration.sql").is_file())
        .count() as i64
}

fn schema_counts(db: &TestDb) -> (i64, i64, i64) {
    let mut client = db.client();
    let row = client
        .query_one(
            "SELECT
                (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'),
                (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                  WHERE n.nspname = 'public' AND t.typtype = 'e'),
                (SELECT count(*) FROM pg_indexes i WHERE i.schemaname = 'public'
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                  WHERE c.conindid = (quote_ident(i.indexname))::regclass))",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[test]
fn migrate_creates_the_database_then_a_second_run_changes_nothing() {
    let db = TestDb::empty_name("migrate_creates");
    let first = db.run_status(&["migrate"]);
    assert!(first.contains(&format!("created database {}", db.name)), "{first}");
    assert!(first.contains("applied 20261125000000_init"), "{first}");
    assert!(first.contains("applied 20261125130000_bug_pages"), "{first}");
    assert!(first.contains("applied 20261125170000_bug_filter_sorts"), "{first}");
    assert!(first.contains("applied 20261130120000_exact_rounding"), "{first}");
    let (tables, enums, indexes) = schema_counts(&db);
    assert_eq!((tables, enums), (9, 5));
    assert!(indexes >= 34, "only {indexes} indexes besides keys and unique constraints");

    let objects = |db: &TestDb| -> Vec<String> {
        db.client()
            .query(
                "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let before = objects(&db);
    let second = db.run_status(&["migrate"]);
    assert_eq!(
        second.trim(),
        format!("database {} is up to date ({} migrations applied); nothing to do", db.name, migrations())
    );
    assert_eq!(objects(&db), before);
    assert_eq!(db.count("SELECT count(*) FROM ctodb.schema_migrations"), migrations());
    // each run leaves its audit row
    assert_eq!(
        db.count("SELECT count(*) FROM audit_log WHERE action = 'migrate' AND entity_type = 'schema'"),
        2
    );
}

#[test]
fn two_concurrent_migrates_apply_each_migration_once() {
    let db = TestDb::empty_name("migrate_concurrent");
    crate::common::admin()
        .batch_execute(&format!("CREATE DATABASE {}", crate::common::quote_ident(&db.name)))
        .unwrap();
    // the test holds migrate's advisory lock (the bytes of "ctodbmig") until both runs wait
    // for it, so that they overlap whatever the machine's speed
    let mut holder = db.client();
    holder.execute("SELECT pg_advisory_lock(x'6374'::bigint << 48 | x'6f64626d6967'::bigint)", &[]).unwrap();
    let spawn = || {
        crate::common::ctodb_command(Some(&db.url))
            .arg("migrate")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let waiting = format!(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE d.datname = '{}' AND l.locktype = 'advisory' AND NOT l.granted",
        db.name
    );
    crate::common::eventually(
        "both migrates waiting for the lock",
        std::time::Duration::from_secs(30),
        || db.count(&waiting) == 2,
    );
    holder.execute("SELECT pg_advisory_unlock_all()", &[]).unwrap();
    let limit = std::time::Duration::from_secs(60);
    let outs = [
        crate::common::finish_within(a, limit, "the first migrate"),
        crate::common::finish_within(b, limit, "the second migrate"),
    ];
    for out in &outs {
        assert_eq!(out.code(), 0, "a concurrent migrate failed: {}", out.stderr_text());
    }
    // one applied every migration, the other found nothing left to apply
    let mut applied: Vec<String> =
        outs.iter().map(|o| o.stderr_text().lines().last().unwrap_or_default().to_string()).collect();
    applied.sort();
    let all = migrations();
    assert_eq!(
        applied,
        [
            format!("database {} is up to date ({all} migrations applied); nothing to do", db.name),
            format!("database {} migrated: {all} applied, {all} in all", db.name),
        ],
        "{applied:?}"
    );
    assert_eq!(db.count("SELECT count(*) FROM ctodb.schema_migrations"), all);
    assert_eq!(schema_counts(&db).0, 9);
}

fn copy_migrations(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::copy(entry.path().join("migration.sql"), dest.join("migration.sql")).unwrap();
    }
}

#[test]
fn an_edited_migration_is_drift_but_new_line_endings_are_not() {
    let db = TestDb::empty_name("migrate_drift");
    let dir = tempfile::tempdir().unwrap();
    copy_migrations(dir.path());
    let source = dir.path().to_str().unwrap();
    db.run(&["migrate", "--source", source]);
    let file = dir.path().join("20261125000000_init/migration.sql");
    let original = std::fs::read_to_string(&file).unwrap();

    // line endings alone: no drift
    std::fs::write(&file, original.replace('\n', "\r\n")).unwrap();
    let status = db.run(&["migrate", "status", "--source", source, "-f", "csv"]);
    assert!(status.contains(",init,applied,"), "{status}");

    // an edit: drift, and migrate refuses
    std::fs::write(&file, format!("{original}\nCREATE TABLE sneaky (id int);\n")).unwrap();
    let status = db.ctodb(&["migrate", "status", "--source", source, "-f", "csv"]);
    assert_eq!(status.code(), 1);
    assert!(status.stdout_text().contains(",init,drifted,"), "{}", status.stdout_text());
    let refused = db.ctodb(&["migrate", "--source", source]);
    assert_eq!(refused.code(), 1);
    assert_eq!(
        refused.stderr_text().trim(),
        "error: refusing to migrate: 20261125000000_init was edited after it was applied; \
         restore the original migration files or run `ctodb migrate reset --force` on a database you can lose"
    );
    assert_eq!(db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'sneaky'"), 0);
}

#[test]
fn reset_without_force_refuses_and_changes_nothing() {
    let db = TestDb::new("reset_refuses");
    db.client().batch_execute("INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada')").unwrap();
    let out = db.ctodb(&["migrate", "reset"]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text().trim(),
        format!(
            "error: migrate reset drops every table of database {} and all its data; \
             run `ctodb migrate reset --force` if you mean it",
            db.name
        )
    );
    assert_eq!(db.count("SELECT count(*) FROM users"), 1);
}

#[test]
fn reset_with_force_drops_the_data_and_reapplies() {
    let db = TestDb::new("reset_force");
    db.client().batch_execute("INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada')").unwrap();
    let out = db.run_status(&["migrate", "reset", "--force"]);
    assert!(
        out.contains(&format!("reset: everything dropped, {} migrations applied", migrations())),
        "{out}"
    );
    assert_eq!(db.count("SELECT count(*) FROM users"), 0);
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'reset'"), 1);
    assert_eq!(schema_counts(&db).0, 9);
}

#[test]
fn migrate_new_creates_a_timestamped_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        ctodb_at("postgres://nobody@127.0.0.1:1/none", &["migrate", "new", "add_labels"], Some(dir.path()));
    let stdout = out.ok();
    let folders: Vec<String> = std::fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].len(), "20261125000000_add_labels".len());
    assert!(folders[0].ends_with("_add_labels"));
    assert!(stdout.contains("migration.sql"));
    let bad =
        ctodb_at("postgres://nobody@127.0.0.1:1/none", &["migrate", "new", "Bad Name"], Some(dir.path()));
    assert_eq!(bad.code(), 1);
}

#[test]
fn doctor_passes_then_names_a_dropped_index() {
    let db = TestDb::new("doctor_index");
    let out = db.run(&["doctor", "-f", "table"]);
    assert!(out.lines().all(|l| l.starts_with('✓')), "{out}");
    assert!(out.contains("9 tables, 5 enums, 59 indexes present"), "{out}");
    let line = out.lines().find(|l| l.contains("one person's bugs by due instant")).unwrap_or_default();
    assert!(line.contains("uses bugs_assignee_due_idx"), "{out}");
    db.client().batch_execute("DROP INDEX bugs_title_trgm_idx").unwrap();
    let failed = db.ctodb(&["doctor", "-f", "table"]);
    assert_eq!(failed.code(), 1);
    let schema_line = failed.stdout_text().lines().find(|l| l.contains("schema")).unwrap().to_string();
    assert!(schema_line.starts_with('✗'), "{schema_line}");
    assert!(schema_line.contains("missing index bugs_title_trgm_idx"), "{schema_line}");
}

/// A database created by the first release (only the init migration) and holding data
/// takes the later migrations: the indexes are replaced and added, the counts kept by the
/// summary triggers survive, and the pages answer as they did.
#[test]
fn a_database_at_the_first_migration_upgrades_with_its_data() {
    let db = TestDb::empty_name("migrate_upgrade");
    let dir = tempfile::tempdir().unwrap();
    copy_migrations(dir.path());
    std::fs::remove_dir_all(dir.path().join("20261125130000_bug_pages")).unwrap();
    std::fs::remove_dir_all(dir.path().join("20261125170000_bug_filter_sorts")).unwrap();
    let first = dir.path().to_str().unwrap();
    db.run(&["migrate", "--source", first]);
    db.run(&["seed", "--projects", "5", "--users", "6", "--bugs", "600", "--days", "10"]);
    let before = db.count("SELECT sum(bugs)::bigint FROM ctodb.bug_counts");
    let status = db.run(&["migrate", "status", "-f", "csv"]);
    assert!(status.contains(",bug_pages,pending,"), "{status}");
    assert!(status.contains(",bug_filter_sorts,pending,"), "{status}");

    let out = db.run_status(&["migrate"]);
    assert!(out.contains("applied 20261125130000_bug_pages"), "{out}");
    assert!(out.contains("applied 20261125170000_bug_filter_sorts"), "{out}");
    assert!(!out.contains("applied 20261125000000_init"), "{out}");
    assert_eq!(db.count("SELECT count(*) FROM ctodb.schema_migrations"), migrations());
    assert_eq!(db.count("SELECT sum(bugs)::bigint FROM ctodb.bug_counts"), before);
    assert_eq!(db.count("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'bugs_page_%'"), 3);
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE indexname ~ '^bugs_(assignee|unassigned|blocker|project)_(page_)?(due|created|priority)_idx$'"),
        14
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE indexname IN ('bugs_open_priority_idx', 'bugs_severity_status_idx')"),
        0
    );
    let open = db.count("SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress')");
    let page = db.ctodb(&["bugs", "--limit", "5", "-f", "csv"]);
    assert_eq!(page.ok().lines().count(), 6, "a header and 5 rows");
    assert_eq!(page.stderr_text().lines().next(), Some(format!("rows 1–5 of {open}").as_str()));
}
