//! A history kept for years (SPEC §8): the week's ID in the local time zone, a cron line
//! that survives a second run, `snapshots` with formula and schema versions and the uuid
//! encoding, and `snapshots prune` that removes whole snapshots only.

use std::path::Path;

use crate::common::{ctodb_command, CliOutput, TestDb};

/// Sunday 2026-11-29 22:00 UTC: Monday 07:00 in Tokyo, Sunday 14:00 in Los Angeles.
const SUNDAY_NIGHT: &str = "2026-11-29T22:00:00Z";

fn export(db: &TestDb, dir: &Path, extra: &[&str]) -> CliOutput {
    let mut cmd = ctodb_command(Some(&db.url));
    cmd.args(["export", "--dir", dir.to_str().unwrap()]).args(extra);
    cmd.output().unwrap().into()
}

fn snapshots(dir: &Path, extra: &[&str]) -> CliOutput {
    let mut cmd = ctodb_command(None);
    cmd.args(["snapshots", "--dir", dir.to_str().unwrap(), "-f", "csv"]).args(extra);
    cmd.output().unwrap().into()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_default_id_is_the_week_of_the_local_monday_and_a_second_run_keeps_it() {
    let db = TestDb::new("retention_week");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let dir = tempfile::tempdir().unwrap();
    for (zone, week) in [("Asia/Tokyo", "2026-W49"), ("America/Los_Angeles", "2026-W48")] {
        let mut cmd = ctodb_command(Some(&db.url));
        cmd.env("TZ", zone).args(["export", "--dir", dir.path().to_str().unwrap(), "--as-of", SUNDAY_NIGHT]);
        let out: CliOutput = cmd.output().unwrap().into();
        let said = out.status_only();
        assert!(said.starts_with(&format!("exported {week} to ")), "{zone}: {said}");
    }
    assert_eq!(names(dir.path()), ["snapshot=2026-W48", "snapshot=2026-W49"]);
    // the cron line run twice: the week's snapshot stays as it was taken, exit 0
    let manifest = || std::fs::read_to_string(dir.path().join("snapshot=2026-W49/_manifest.json")).unwrap();
    let before = manifest();
    let mut cmd = ctodb_command(Some(&db.url));
    cmd.env("TZ", "Asia/Tokyo").args([
        "export",
        "--dir",
        dir.path().to_str().unwrap(),
        "--if-missing",
        "--as-of",
        SUNDAY_NIGHT,
    ]);
    let again: CliOutput = cmd.output().unwrap().into();
    assert_eq!(
        again.status_only(),
        format!(
            "{} exists already; kept it (--if-missing)\n",
            dir.path().join("snapshot=2026-W49").display()
        )
    );
    assert_eq!(manifest(), before);
    // --force and --if-missing contradict each other: a usage error
    let both = export(&db, dir.path(), &["--force", "--if-missing"]);
    assert_eq!(both.code(), 2);
}

#[test]
fn snapshots_list_versions_and_prune_removes_whole_snapshots_only() {
    let db = TestDb::new("retention_prune");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    for (i, day) in ["2026-09-02", "2026-09-30", "2026-10-07", "2026-10-28", "2026-11-04", "2026-11-25"]
        .iter()
        .enumerate()
    {
        let uuid = if i == 0 { "binary" } else { "text" };
        export(
            &db,
            path,
            &[
                "--as-of",
                &format!("{day}T12:00:00Z"),
                "--tables",
                "users",
                "--reports",
                "none",
                "--uuid",
                uuid,
            ],
        )
        .status_only();
    }
    let listed = snapshots(path, &[]).ok();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "snapshot,as_of,files,rows,bytes,formulas,schema_version,uuid");
    assert!(
        lines[1].starts_with("2026-W36,")
            && lines[1].ends_with(&format!(",1,{},binary", crate::common::latest_migration())),
        "{listed}"
    );
    assert!(lines[6].starts_with("2026-W48,") && lines[6].ends_with(",text"), "{listed}");
    // a dry run removes nothing and says what it would
    let dry = snapshots(path, &["prune", "--keep", "2", "--keep-monthly", "2", "--dry-run"]);
    let rows = dry.ok();
    assert!(dry.stderr_text().contains("would remove 3 of 6 snapshots"), "{}", dry.stderr_text());
    let fates: Vec<String> =
        rows.lines().skip(1).map(|l| format!("{} {}", &l[..8], l.rsplit(',').next().unwrap())).collect();
    // the two newest, and the newest of October (November's is among them)
    assert_eq!(
        fates,
        [
            "2026-W36 would remove",
            "2026-W40 would remove",
            "2026-W41 would remove",
            "2026-W44 kept",
            "2026-W45 kept",
            "2026-W48 kept"
        ]
    );
    assert_eq!(names(path).len(), 6);
    // a prune that dies after hiding a snapshot: only complete snapshots are listed
    let mut cmd = ctodb_command(None);
    cmd.env("CTODB_CRASH_AT", "prune:hidden").args([
        "snapshots",
        "prune",
        "--dir",
        path.to_str().unwrap(),
        "--keep",
        "2",
    ]);
    let crashed: CliOutput = cmd.output().unwrap().into();
    assert_eq!(crashed.status.code(), None, "{}", crashed.stderr_text());
    let listed = snapshots(path, &["--verify"]).ok();
    assert_eq!(listed.lines().count(), 1 + 5, "{listed}");
    assert!(listed.lines().skip(1).all(|l| l.ends_with(",true")), "{listed}");
    // the next prune finishes the job and tidies up
    let done = snapshots(path, &["prune", "--keep", "2"]);
    done.ok();
    assert!(done.stderr_text().contains("removed 3 of 5 snapshots"), "{}", done.stderr_text());
    assert_eq!(names(path), ["snapshot=2026-W45", "snapshot=2026-W48"]);
    // --keep 0 is refused: the newest is never removed
    assert_eq!(snapshots(path, &["prune", "--keep", "0"]).code(), 2);
}
