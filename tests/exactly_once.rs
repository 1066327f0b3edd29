//! Writes whose COMMIT goes unanswered (SPEC §10): through a proxy that loses the first
//! COMMIT (tests/common/proxy.rs), each writing command ends exactly once, with the
//! figures of the run that committed and exit 0. After the COMMIT reached the server the
//! run is looked up, not repeated; when it never reached the server, the run's waiting
//! session is ended and the run goes again.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::proxy::{Fault, Proxy};
use crate::common::{admin_user, ctodb_command, tcp_port, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

/// Runs ctodb against `db` through a proxy with `fault`; a run that has not ended in a
/// minute is killed and fails the test (a lookup that waits for ever).
fn through_proxy(db: &TestDb, fault: Fault, args: &[&str], dir: &Path) -> (CliOutput, Proxy) {
    let proxy = Proxy::start(tcp_port(), fault);
    let url = format!("postgres://{}@127.0.0.1:{}/{}?sslmode=disable", admin_user(), proxy.port, db.name);
    let mut child = ctodb_command(Some(&url))
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("ctodb {args:?} through the proxy did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out: CliOutput = child.wait_with_output().unwrap().into();
    assert_eq!(proxy.commits_lost(), 1, "the proxy lost no COMMIT: {}", out.stderr_text());
    (out, proxy)
}

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db
}

fn audit_rows(db: &TestDb, action: &str) -> i64 {
    db.client().query_one("SELECT count(*) FROM audit_log WHERE action = $1", &[&action]).unwrap().get(0)
}

#[test]
fn a_seed_append_whose_commit_reply_is_lost_loads_its_batch_once() {
    let db = TestDb::new("once_seed_append");
    let small = ["--profile", "standard", "--projects", "4", "--users", "4", "--days", "2", "--as-of", AS_OF];
    db.run_status(&[&["seed", "--bugs", "40"][..], &small].concat());
    let dir = tempfile::tempdir().unwrap();
    let args = [&["seed", "--append", "--bugs", "300"][..], &small].concat();
    let (out, _proxy) = through_proxy(&db, Fault::AfterCommit, &args, dir.path());
    let stderr = out.status_only();
    assert!(stderr.contains("seed: it had committed; it is not run again"), "{stderr}");
    assert!(
        stderr
            .contains("seeded standard (rng seed 42): 4 users, 4 projects, 300 bugs, 2 days of metrics in "),
        "{stderr}"
    );
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 340);
    assert_eq!(db.count("SELECT count(*) FROM projects"), 8);
    assert_eq!(audit_rows(&db, "seed"), 2);
    assert_eq!(db.count("SELECT count(*) FROM ctodb.runs WHERE command = 'seed'"), 2);
}

#[test]
fn a_first_seed_whose_commit_reply_is_lost_succeeds_once() {
    let db = TestDb::new("once_seed_first");
    let dir = tempfile::tempdir().unwrap();
    let (out, _proxy) = through_proxy(&db, Fault::AfterCommit, &["seed", "--as-of", AS_OF], dir.path());
    let stderr = out.status_only();
    assert!(!stderr.contains("already has data"), "{stderr}");
    assert!(
        stderr.contains("seeded demo (rng seed –): 6 users, 5 projects, 12 bugs, 30 days of metrics in "),
        "{stderr}"
    );
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 12);
    assert_eq!(audit_rows(&db, "seed"), 1);
}

#[test]
fn a_seed_whose_commit_never_reached_the_server_runs_again_once() {
    let db = TestDb::new("once_seed_unsent");
    let dir = tempfile::tempdir().unwrap();
    let (out, _proxy) = through_proxy(&db, Fault::BeforeCommit, &["seed", "--as-of", AS_OF], dir.path());
    let stderr = out.status_only();
    // the server still held the transaction open (the proxy kept its side): the lookup
    // ended that session, found no commit, and the seed ran again
    assert!(stderr.contains("seed: it had not committed; running it again"), "{stderr}");
    assert!(stderr.contains("seeded demo (rng seed –): 6 users, 5 projects, 12 bugs"), "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 12);
    assert_eq!(audit_rows(&db, "seed"), 1);
    assert_eq!(db.count("SELECT count(*) FROM ctodb.runs"), 1);
}

#[test]
fn an_import_whose_commit_reply_is_lost_reports_its_rows_once_with_its_rejects() {
    let db = demo("once_import_csv");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bugs.csv");
    let mut csv = std::fs::File::create(&file).unwrap();
    writeln!(csv, "project,title,severity,external_id").unwrap();
    for i in 0..3 {
        writeln!(csv, "Atlas Payments,Lost reply {i},high,LOST-{i}").unwrap();
    }
    writeln!(csv, "Atlas Payments,Bad severity,urgent,LOST-9").unwrap();
    drop(csv);
    let path = file.display().to_string();
    let args = ["import", "csv", path.as_str(), "--kind", "bugs", "--skip-invalid", "-f", "csv"];
    let (out, _proxy) = through_proxy(&db, Fault::AfterCommit, &args, dir.path());
    let stdout = out.ok();
    let stderr = out.stderr_text();
    assert!(stderr.contains("import csv: it had committed; it is not run again"), "{stderr}");
    assert!(
        stderr
            .contains(&format!("imported {path} into bugs: 3 inserted, 0 updated, 0 unchanged, 1 rejected")),
        "{stderr}"
    );
    assert!(stdout.ends_with(&format!("{path},bugs,false,4,3,0,0,1\r\n")), "{stdout}");
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'LOST-%'"), 3);
    let log: (String, i32, i32, i32) = {
        let row = db
            .client()
            .query_one(
                "SELECT status, rows_inserted, rows_unchanged, rows_failed FROM import_logs WHERE target = $1",
                &[&path],
            )
            .unwrap();
        (row.get(0), row.get(1), row.get(2), row.get(3))
    };
    assert_eq!(log, ("partial".to_string(), 3, 0, 1));
    assert_eq!(audit_rows(&db, "import"), 1);
    let rejects = std::fs::read_to_string(dir.path().join("bugs.csv.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 2, "{rejects}");
    assert!(rejects.contains("Bad severity,urgent,LOST-9,5,"), "{rejects}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ctodb-rejects-"))
        .collect();
    assert!(leftovers.is_empty(), "a staged rejects file was left behind");
}

#[test]
fn a_github_import_whose_commit_reply_is_lost_reports_its_rows_once() {
    let db = demo("once_import_github");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github");
    let repos = fixtures.join("repos.json").display().to_string();
    let issues = fixtures.join("issues-nova.json").display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let args = ["import", "github", "--repos", repos.as_str(), "--issues", issues.as_str(), "-f", "csv"];
    let (out, _proxy) = through_proxy(&db, Fault::AfterCommit, &args, dir.path());
    let stdout = out.ok();
    let stderr = out.stderr_text();
    assert!(stderr.contains("import github: it had committed; it is not run again"), "{stderr}");
    assert!(stderr.contains("imported projects from GitHub: 4 inserted, 1 updated, 0 unchanged"), "{stderr}");
    assert!(stderr.contains("imported bugs from GitHub: 3 inserted, 0 updated, 0 unchanged"), "{stderr}");
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(rows[0].ends_with(",projects,false,5,4,1,0,0"), "{stdout}");
    assert!(rows[1].ends_with(",bugs,false,3,3,0,0,0"), "{stdout}");
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'https://%'"), 3);
    let logs: Vec<(String, i32)> = db
        .client()
        .query("SELECT status, rows_inserted FROM import_logs WHERE target LIKE '%repos.json%'", &[])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(logs, vec![("succeeded".to_string(), 7)]);
    assert_eq!(audit_rows(&db, "import"), 1);
}

#[test]
fn a_bug_update_whose_commit_never_reached_the_server_runs_again_once() {
    let db = demo("once_bug_update_unsent");
    let dir = tempfile::tempdir().unwrap();
    // bug #7 of the demo: low, pending
    let args = ["bug", "update", "7", "--status", "in_progress", "--blocker"];
    let (out, _proxy) = through_proxy(&db, Fault::BeforeCommit, &args, dir.path());
    let stderr = out.status_only();
    assert!(stderr.contains("bug update: it had not committed; running it again"), "{stderr}");
    assert!(stderr.ends_with("bug #7: status pending → in_progress, is_blocker false → true\n"), "{stderr}");
    // once: one audit row, one status and one blocker change in the history
    assert_eq!(audit_rows(&db, "bug update"), 1);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM bug_history h JOIN bugs b ON b.id = h.bug_id
             WHERE b.bug_number = 7 AND h.field IN ('status', 'is_blocker')"
        ),
        2
    );
    assert_eq!(
        db.count("SELECT count(*) FROM bugs WHERE bug_number = 7 AND status = 'in_progress' AND is_blocker"),
        1
    );
}

#[test]
fn a_bug_update_whose_commit_reply_is_lost_says_what_changed_and_writes_once() {
    let db = demo("once_bug_update");
    let dir = tempfile::tempdir().unwrap();
    // bug #7 of the demo: low, pending
    let args = ["bug", "update", "7", "--status", "in_progress"];
    let (out, _proxy) = through_proxy(&db, Fault::AfterCommit, &args, dir.path());
    let stderr = out.status_only();
    assert!(stderr.contains("bug update: it had committed; it is not run again"), "{stderr}");
    assert!(stderr.ends_with("bug #7: status pending → in_progress\n"), "{stderr}");
    assert_eq!(audit_rows(&db, "bug update"), 1);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM bug_history h JOIN bugs b ON b.id = h.bug_id
             WHERE b.bug_number = 7 AND h.field = 'status'"
        ),
        1
    );
}

#[test]
fn a_refresh_whose_commit_reply_is_lost_reports_what_it_changed() {
    let db = demo("once_refresh");
    let dir = tempfile::tempdir().unwrap();
    let (out, _proxy) = through_proxy(&db, Fault::AfterCommit, &["refresh", "--as-of", AS_OF], dir.path());
    let stderr = out.status_only();
    assert!(stderr.contains("refresh: it had committed; it is not run again"), "{stderr}");
    assert_eq!(audit_rows(&db, "refresh"), 1);
    let changes: serde_json::Value =
        db.client().query_one("SELECT changes FROM audit_log WHERE action = 'refresh'", &[]).unwrap().get(0);
    let bug_scores = changes["bug_scores"].as_u64().unwrap();
    let projects = changes["projects"].as_u64().unwrap();
    assert!(bug_scores > 0 && projects == 5, "{changes}");
    let expected = format!(
        "refreshed at {AS_OF}: {bug_scores} bug priorities ({} closed bugs zeroed), {projects} projects, {} monthly rows, 1 portfolio snapshot changed",
        changes["closed_scores"], changes["monthly_rows"]
    );
    assert!(stderr.contains(&expected), "expected {expected:?} in\n{stderr}");
}

/// A bugs CSV of `rows` new bugs of the demo's Atlas Payments, external ids `PREFIX-i`.
fn bugs_csv(dir: &Path, name: &str, rows: usize, prefix: &str) -> String {
    let file = dir.join(name);
    let mut csv = std::fs::File::create(&file).unwrap();
    writeln!(csv, "project,title,severity,external_id").unwrap();
    for i in 0..rows {
        writeln!(csv, "Atlas Payments,{prefix} bug {i},medium,{prefix}-{i}").unwrap();
    }
    file.display().to_string()
}

fn import_logs(db: &TestDb, target: &str) -> Vec<(String, i32)> {
    db.client()
        .query(
            "SELECT status, rows_inserted FROM import_logs WHERE target = $1 ORDER BY started_at",
            &[&target],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// The detail of doctor's `imports` line.
fn doctor_imports(db: &TestDb) -> String {
    let out = db.ctodb(&["doctor", "-f", "csv"]);
    let stdout = out.stdout_text();
    let line = stdout.lines().find(|line| line.contains(",imports,")).unwrap_or_default();
    // ok,check,ms,detail
    let after = line.split_once(",imports,").map_or("", |(_, rest)| rest);
    after.split_once(',').map_or("", |(_, detail)| detail).trim_matches('"').to_string()
}

#[test]
fn an_import_whose_process_died_is_shown_by_doctor_and_marked_failed_by_the_next() {
    let db = demo("once_import_died");
    let dir = tempfile::tempdir().unwrap();
    let file = bugs_csv(dir.path(), "died.csv", 2, "DIED");
    let out: CliOutput = ctodb_command(Some(&db.url))
        .args(["import", "csv", &file, "--kind", "bugs"])
        .env("CTODB_CRASH_AT", "import:merged")
        .output()
        .unwrap()
        .into();
    assert_eq!(out.status.code(), None, "the import did not die: {}", out.stderr_text());
    assert_eq!(import_logs(&db, &file), vec![("running".to_string(), 0)]);
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'DIED-%'"), 0);
    let detail = doctor_imports(&db);
    assert!(
        detail.contains(&format!("1 left running by a process that is gone: {file} (started "))
            && detail.contains("the next import marks it failed"),
        "{detail}"
    );
    let again = db.ctodb(&["import", "csv", &file, "--kind", "bugs"]);
    again.ok();
    assert!(
        again.stderr_text().contains(&format!("marked failed the import of {file} started ")),
        "{}",
        again.stderr_text()
    );
    assert_eq!(import_logs(&db, &file), vec![("failed".to_string(), 0), ("succeeded".to_string(), 2)]);
    let message: serde_json::Value = db
        .client()
        .query_one("SELECT errors FROM import_logs WHERE target = $1 AND status = 'failed'", &[&file])
        .unwrap()
        .get(0);
    assert_eq!(
        message[0]["message"],
        "the import's process ended before the import finished; nothing of it was written"
    );
    assert_eq!(doctor_imports(&db), "none left running by a process that is gone");
}

#[test]
fn a_running_import_is_not_taken_for_a_dead_one() {
    let db = demo("once_import_alive");
    let dir = tempfile::tempdir().unwrap();
    let file = bugs_csv(dir.path(), "alive.csv", 2, "ALIVE");
    // writes to bugs wait (the import's merge), reads do not (doctor's helpers)
    let mut locker = db.client();
    locker.batch_execute("BEGIN; LOCK TABLE bugs IN SHARE MODE").unwrap();
    let child = ctodb_command(Some(&db.url))
        .args(["import", "csv", &file, "--kind", "bugs"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while import_logs(&db, &file).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "the import never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(doctor_imports(&db), "none left running by a process that is gone");
    locker.batch_execute("ROLLBACK").unwrap();
    let out: CliOutput = child.wait_with_output().unwrap().into();
    assert!(out.status.success(), "{}", out.stderr_text());
    assert_eq!(import_logs(&db, &file), vec![("succeeded".to_string(), 2)]);
}

#[test]
fn sigterm_after_an_import_committed_reports_the_committed_figures() {
    let db = demo("once_import_sigterm");
    let dir = tempfile::tempdir().unwrap();
    let file = bugs_csv(dir.path(), "late.csv", 3, "LATE");
    let mut command = ctodb_command(Some(&db.url));
    command.args(["import", "csv", &file, "--kind", "bugs"]);
    let (mut child, seen) = crate::common::spawn_paused(command, "import:committed", None);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut rest).unwrap();
    assert_eq!(status.code(), Some(143), "{seen}{rest}");
    assert!(
        rest.contains(&format!(
            "imported {file} into bugs: 3 inserted, 0 updated, 0 unchanged, 0 rejected\n(this had committed before SIGTERM arrived)\n"
        )),
        "{rest}"
    );
    assert_eq!(import_logs(&db, &file), vec![("succeeded".to_string(), 3)]);
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'LATE-%'"), 3);
    assert_eq!(audit_rows(&db, "import"), 1);
}

#[test]
fn a_rejects_file_that_cannot_be_written_stops_the_import_before_it_commits() {
    let db = demo("once_rejects_unwritable");
    let csv = "project,title,severity,external_id\r\nAtlas Payments,Fine,low,RJ-1\r\nAtlas Payments,Bad,urgent,RJ-2\r\n";
    // standard input's rejects go to the working directory, here one nobody may write in
    let mut child = ctodb_command(Some(&db.url))
        .current_dir("/proc")
        .args(["import", "csv", "-", "--kind", "bugs", "--skip-invalid"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(csv.as_bytes()).unwrap();
    let out: CliOutput = child.wait_with_output().unwrap().into();
    assert_eq!(out.code(), 1, "{}", out.stderr_text());
    assert!(
        out.stderr_text().starts_with("error: cannot write the rejects file in .: "),
        "{}",
        out.stderr_text()
    );
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'RJ-%'"), 0);
    assert_eq!(import_logs(&db, "standard input"), vec![("failed".to_string(), 0)]);
}

#[test]
fn a_rejects_file_that_cannot_be_moved_into_place_is_kept_and_named() {
    let db = demo("once_rejects_unmovable");
    let dir = tempfile::tempdir().unwrap();
    let file = bugs_csv(dir.path(), "mixed.csv", 2, "MV");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(b"Atlas Payments,Bad,urgent,MV-9\n")
        .unwrap();
    // the rejects file's name is taken by a folder
    std::fs::create_dir(format!("{file}.rejects.csv")).unwrap();
    let out = db.ctodb(&["import", "csv", &file, "--kind", "bugs", "--skip-invalid"]);
    out.ok();
    let stderr = out.stderr_text();
    let kept = stderr
        .lines()
        .find_map(|line| {
            line.strip_prefix(&format!("warning: cannot move the rejected rows into {file}.rejects.csv ("))
        })
        .and_then(|rest| rest.split_once("); they are in "))
        .map(|(_, path)| path.to_string())
        .unwrap_or_else(|| panic!("no warning naming the kept file: {stderr}"));
    let rows = std::fs::read_to_string(&kept).unwrap();
    assert!(rows.contains("Atlas Payments,Bad,urgent,MV-9,4,"), "{rows}");
    assert!(stderr.contains(&format!("they are in {kept} with their line and reason")), "{stderr}");
    assert_eq!(import_logs(&db, &file), vec![("partial".to_string(), 2)]);
}
