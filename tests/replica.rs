//! Reads from a streaming replica (DATABASE_READ_URL), against a real one: a throwaway
//! primary and a hot standby made from it with `pg_basebackup -R`. The standby's replay
//! is paused so that it lacks a write the primary has: what a command prints shows which
//! server it read.

use std::path::Path;
use std::process::Child;

use serde_json::Value;

use crate::common::cluster::TestCluster;
use crate::common::{ctodb_command, eventually, CliOutput};

const AS_OF: &str = "2026-11-25T12:00:00Z";

/// A primary with the demo, refreshed, and a standby that has caught up with it.
fn primary_and_standby() -> (TestCluster, TestCluster) {
    let primary = TestCluster::start(&[]);
    let url = primary.url("ctodb");
    for args in [vec!["migrate"], vec!["seed", "--as-of", AS_OF], vec!["refresh", "--as-of", AS_OF]] {
        ctodb_command(Some(&url)).args(&args).output().map(CliOutput::from).unwrap().status_only();
    }
    let standby = TestCluster::standby_of(&primary);
    // a commit replayed since the standby started gives it a replay instant (a row
    // written, so that the commit is flushed before the primary's position is read)
    primary
        .admin("ctodb")
        .batch_execute("UPDATE users SET name = name WHERE email = 'linus@ctodb.dev'")
        .unwrap();
    caught_up(&primary, &standby);
    (primary, standby)
}

/// Waits until the standby has replayed all the primary has written.
fn caught_up(primary: &TestCluster, standby: &TestCluster) {
    let lsn: String =
        primary.admin("postgres").query_one("SELECT pg_current_wal_lsn()::text", &[]).unwrap().get(0);
    let mut standby = standby.admin("postgres");
    eventually("the standby's replay", std::time::Duration::from_secs(30), || {
        standby
            .query_one(
                "SELECT coalesce(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::text::pg_lsn) >= 0, false)",
                &[&lsn],
            )
            .unwrap()
            .get(0)
    });
}

/// ctodb with the primary as DATABASE_URL and the standby as DATABASE_READ_URL.
fn ctodb(primary: &TestCluster, standby: &TestCluster, env: &[(&str, &str)], args: &[&str]) -> CliOutput {
    let mut command = ctodb_command(Some(&primary.url("ctodb")));
    command.env("DATABASE_READ_URL", standby.url("ctodb")).envs(env.iter().copied()).args(args);
    command.output().unwrap().into()
}

fn project_names(csv: &str) -> Vec<String> {
    csv.lines().skip(1).filter_map(|line| line.split(',').next()).map(str::to_string).collect()
}

#[test]
fn reads_go_to_the_standby_writes_to_the_primary_and_a_lagging_standby_is_left() {
    let (primary, standby) = primary_and_standby();
    standby.admin("postgres").batch_execute("SELECT pg_wal_replay_pause()").unwrap();
    primary.admin("ctodb").batch_execute("INSERT INTO projects (name) VALUES ('Zeta Probe')").unwrap();
    let list = ["projects", "--all", "--sort", "name", "-f", "csv"];

    // within the allowed lag: the standby answers, without the newest project
    let allowed = [("CTODB_MAX_REPLICA_LAG", "3600")];
    let out = ctodb(&primary, &standby, &allowed, &list);
    assert!(
        !project_names(&out.stdout_text()).contains(&"Zeta Probe".to_string()),
        "{}{}",
        out.stdout_text(),
        out.stderr_text()
    );
    let said = out.stderr_text();
    let replica =
        format!("reading from the replica at {}/.s.PGSQL.{}", standby.socket_dir().display(), standby.port);
    assert!(said.starts_with(&replica) && said.contains("behind the primary)"), "{said} / {replica}");
    // --primary reads the primary
    let mut forced = list.to_vec();
    forced.push("--primary");
    let out = ctodb(&primary, &standby, &allowed, &forced);
    assert!(project_names(&out.stdout_text()).contains(&"Zeta Probe".to_string()));
    assert!(!out.stderr_text().contains("replica"), "{}", out.stderr_text());

    // further behind than allowed, with a write the standby has not replayed: the primary
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = ctodb(&primary, &standby, &[("CTODB_MAX_REPLICA_LAG", "1")], &list);
    assert!(project_names(&out.ok()).contains(&"Zeta Probe".to_string()));
    let said = out.stderr_text();
    assert!(said.contains("behind the primary (") && said.contains("bytes of WAL not replayed), more than CTODB_MAX_REPLICA_LAG=1 s; reading from the primary at"), "{said}");
    // or not at all
    let fail = [("CTODB_MAX_REPLICA_LAG", "1"), ("CTODB_READ_FALLBACK", "fail")];
    let out = ctodb(&primary, &standby, &fail, &list);
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text().ends_with("; not reading from the primary (CTODB_READ_FALLBACK=fail)\n"),
        "{}",
        out.stderr_text()
    );
    assert_eq!(out.stdout_text(), "");

    // a write goes to the primary, whatever the read URL
    let out = ctodb(&primary, &standby, &allowed, &["bug", "update", "1", "--status", "in_progress"]);
    out.status_only();
    let status: String = primary
        .admin("ctodb")
        .query_one("SELECT status::text FROM bugs WHERE bug_number = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(status, "in_progress");

    // doctor: both servers, the lag, where reads go
    let out = ctodb(&primary, &standby, &allowed, &["doctor", "-f", "csv"]);
    let replica_line =
        out.stdout_text().lines().find(|l| l.contains(",replica,")).unwrap_or_default().to_string();
    assert!(
        replica_line.starts_with("true,replica,")
            && replica_line.ends_with("behind the primary); reads go there"),
        "{replica_line}"
    );
    let out = ctodb(&primary, &standby, &[("CTODB_MAX_REPLICA_LAG", "1")], &["doctor", "-f", "csv"]);
    assert_eq!(out.code(), 1);
    assert!(out.stdout_text().lines().any(|l| l.starts_with("false,replica,")), "{}", out.stdout_text());

    // replayed again: the standby has the project
    standby.admin("postgres").batch_execute("SELECT pg_wal_replay_resume()").unwrap();
    caught_up(&primary, &standby);
    let out = ctodb(&primary, &standby, &allowed, &list);
    assert!(project_names(&out.ok()).contains(&"Zeta Probe".to_string()));
    assert!(out.stderr_text().starts_with(&replica));

    // a replica that does not answer: the primary, saying why
    standby.pg_ctl("stop");
    let out = ctodb(&primary, &standby, &allowed, &list);
    assert!(project_names(&out.ok()).contains(&"Zeta Probe".to_string()));
    let said = out.stderr_text();
    assert!(
        said.contains("does not answer (could not connect to PostgreSQL at")
            && said.contains("; reading from the primary at"),
        "{said}"
    );
}

fn manifest(dir: &Path, id: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(format!("snapshot={id}/_manifest.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The file names and hashes a manifest lists.
fn hashes(manifest: &Value) -> Vec<(String, String)> {
    let files = manifest["files"].as_array().unwrap();
    files
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["sha256"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn an_export_from_the_standby_equals_one_from_the_primary_and_a_stopped_standby_leaves_nothing() {
    let (primary, standby) = primary_and_standby();
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let export = |id: &str, more: &[&str]| {
        let mut args = vec!["export", "--as-of", AS_OF, "--dir", reports.to_str().unwrap(), "--id", id];
        args.extend(more);
        ctodb(&primary, &standby, &[], &args)
    };
    let from_standby = export("standby", &[]);
    from_standby.status_only();
    assert!(
        from_standby.stderr_text().starts_with("reading from the replica at "),
        "{}",
        from_standby.stderr_text()
    );
    export("primary", &["--primary"]).status_only();
    let (standby_manifest, primary_manifest) = (manifest(&reports, "standby"), manifest(&reports, "primary"));
    // the same rows, byte for byte: nothing was written in between
    assert_eq!(hashes(&standby_manifest), hashes(&primary_manifest));
    assert_eq!(hashes(&standby_manifest).len(), 16);
    // the standby's position is recorded
    let recorded = standby_manifest["standby"]["replay_lsn"].as_str().unwrap().to_string();
    let replayed_since: bool = standby
        .admin("postgres")
        .query_one("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::text::pg_lsn) >= 0", &[&recorded])
        .unwrap()
        .get(0);
    assert!(replayed_since, "{recorded}");
    assert!(
        standby_manifest["standby"]["replay_timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{standby_manifest}"
    );
    assert!(primary_manifest.get("standby").is_none());

    // the standby stops while the export reads it: one error, nothing written
    let resume = dir.path().join("resume");
    let (mut child, said) = paused_export(&primary, &standby, &reports, "stopped", &resume);
    standby.pg_ctl("stop");
    std::fs::write(&resume, "").unwrap();
    let rest = rest_of_stderr(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{said}{rest}");
    let errors: Vec<&str> = rest.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{rest}");
    assert!(errors[0].contains(&format!(".s.PGSQL.{}", standby.port)), "{rest}");
    let mut left: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["snapshot=primary", "snapshot=standby"]);
    // the next run reads the primary, and says so
    let after = export("after", &[]);
    after.status_only();
    assert!(after.stderr_text().contains("does not answer"), "{}", after.stderr_text());
    assert!(manifest(&reports, "after").get("standby").is_none());
}

#[test]
fn a_recovery_conflict_during_an_export_is_retried_and_named() {
    let (primary, standby) = primary_and_standby();
    // the standby gives way at once to the primary's cleanup, and tells the primary nothing
    // of its readers
    let mut settings = standby.admin("postgres");
    for statement in [
        "ALTER SYSTEM SET max_standby_streaming_delay = 0",
        "ALTER SYSTEM SET hot_standby_feedback = off",
        "SELECT pg_reload_conf()",
    ] {
        settings.batch_execute(statement).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let resume = dir.path().join("resume");
    let (mut child, said) = paused_export(&primary, &standby, &reports, "conflict", &resume);
    // rows the export's snapshot still sees, removed on the primary and the removal
    // replayed: the standby ends the export's transaction
    primary.admin("ctodb").batch_execute("UPDATE bugs SET title = title || ' '").unwrap();
    primary.admin("ctodb").batch_execute("VACUUM bugs").unwrap();
    caught_up(&primary, &standby);
    std::fs::write(&resume, "").unwrap();
    let rest = rest_of_stderr(&mut child);
    let status = child.wait().unwrap();
    // cancelled once, tried again, written whole
    assert!(status.success(), "{said}{rest}");
    assert!(
        rest.contains("to replay the primary's changes (a recovery conflict); on the standby set hot_standby_feedback = on"),
        "{said}{rest}"
    );
    assert!(rest.contains("trying again (1 of 3)"), "{rest}");
    assert!(manifest(&reports, "conflict")["standby"]["replay_lsn"].is_string());
}

/// An export of the primary's database reading the standby, paused after its first table
/// until `resume` exists; with what it said up to there.
fn paused_export(
    primary: &TestCluster,
    standby: &TestCluster,
    reports: &Path,
    id: &str,
    resume: &Path,
) -> (Child, String) {
    let mut command = ctodb_command(Some(&primary.url("ctodb")));
    command.env("DATABASE_READ_URL", standby.url("ctodb")).args([
        "export",
        "--as-of",
        AS_OF,
        "--dir",
        reports.to_str().unwrap(),
        "--id",
        id,
    ]);
    crate::common::spawn_paused(command, "export:first-table", Some(resume))
}

/// What a child writes to stderr from here to its end.
fn rest_of_stderr(child: &mut Child) -> String {
    let mut rest = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr piped"), &mut rest).unwrap();
    rest
}
