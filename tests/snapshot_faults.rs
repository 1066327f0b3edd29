//! Snapshots that never vanish (SPEC §8): one writer per snapshot ID, --force checked at
//! the swap, a crash at each step of the swap leaving exactly one complete snapshot that
//! the next export tidies up after; files another tool rewrote read back or refused by
//! file and column; a timestamp beyond Parquet's range refused by table and column.

use std::path::Path;
use std::process::Command;

use crate::common::{ctodb_command, run_python_with, CliOutput, TestDb};
use crate::export::{blocked_export, leftovers};

const AS_OF: &str = "2026-11-25T12:00:00Z";
/// A later instant of the same ISO week, so that two exports of 2026-W48 differ.
const LATER: &str = "2026-11-26T12:00:00Z";

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db
}

fn export(db: &TestDb, dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = ctodb_command(Some(&db.url));
    cmd.args(["export", "--dir", dir.to_str().unwrap()]).args(extra);
    cmd
}

fn run(mut cmd: Command) -> CliOutput {
    cmd.output().unwrap().into()
}

/// The as-of instant the snapshot's manifest records.
fn as_of_of(folder: &Path) -> String {
    let text = std::fs::read_to_string(folder.join("_manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["as_of"].as_str().unwrap().to_string()
}

/// `ctodb snapshots --verify` over DIR: its CSV rows (snapshot, as_of, …, verified).
fn verified(dir: &Path) -> Vec<String> {
    let mut cmd = ctodb_command(None);
    cmd.args(["snapshots", "--verify", "--dir", dir.to_str().unwrap(), "-f", "csv"]);
    let out = run(cmd);
    out.ok().lines().skip(1).map(|line| line.trim_end().to_string()).collect()
}

#[test]
fn a_second_export_of_the_same_id_is_refused_while_the_first_runs() {
    let db = demo("snapshot_one_writer");
    let dir = tempfile::tempdir().unwrap();
    let (first, mut locker) = blocked_export(&db, dir.path());
    let second = run(export(&db, dir.path(), &["--as-of", AS_OF]));
    assert_eq!(second.code(), 1, "{}", second.stderr_text());
    assert_eq!(
        second.stderr_text(),
        format!(
            "error: another export is writing snapshot=2026-W48 in {} (process {}); wait for it to finish, or export under another --id\n",
            dir.path().display(),
            first.id()
        )
    );
    locker.batch_execute("ROLLBACK").unwrap();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(leftovers(dir.path()), ["snapshot=2026-W48"]);
    // and once it has finished, the second is an export of an existing ID
    let again = run(export(&db, dir.path(), &["--as-of", AS_OF]));
    assert_eq!(again.code(), 1);
    assert!(
        again.stderr_text().contains("exists already; pass --force to replace it"),
        "{}",
        again.stderr_text()
    );
}

#[test]
fn force_is_checked_again_at_the_swap() {
    let db = demo("snapshot_force_at_swap");
    let dir = tempfile::tempdir().unwrap();
    let (child, mut locker) = blocked_export(&db, dir.path());
    // while the export runs, the snapshot appears (another tool, an older ctodb)
    let appeared = dir.path().join("snapshot=2026-W48");
    std::fs::create_dir(&appeared).unwrap();
    std::fs::write(appeared.join("marker"), "kept").unwrap();
    locker.batch_execute("ROLLBACK").unwrap();
    let out: CliOutput = child.wait_with_output().unwrap().into();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text().ends_with(&format!(
            "{} exists already; pass --force to replace it, or --id to export under another name\n",
            appeared.display()
        )),
        "{}",
        out.stderr_text()
    );
    assert_eq!(std::fs::read_to_string(appeared.join("marker")).unwrap(), "kept");
    assert_eq!(leftovers(dir.path()), ["snapshot=2026-W48"]);
}

/// Replaces the week's snapshot with `--force`, crashing (abort, as kill -9) at `step`.
fn crash_while_replacing(db: &TestDb, dir: &Path, step: &str) -> CliOutput {
    let mut cmd = export(db, dir, &["--as-of", LATER, "--force"]);
    cmd.env("CTODB_CRASH_AT", step);
    let out = run(cmd);
    assert_eq!(out.status.code(), None, "the export did not crash at {step}: {}", out.stderr_text());
    out
}

#[test]
fn a_crash_at_each_step_of_the_swap_leaves_exactly_one_complete_snapshot() {
    let db = demo("snapshot_crashes");
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("snapshot=2026-W48");
    run(export(&db, dir.path(), &["--as-of", AS_OF])).status_only();

    // the new folder written, not swapped in: the old snapshot stands, whole
    crash_while_replacing(&db, dir.path(), "export:written");
    assert_eq!(as_of_of(&folder), "2026-11-25T12:00:00.000000Z");
    let rows = verified(dir.path());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("2026-W48,2026-11-25T12:00:00.000000Z,") && rows[0].ends_with(",true"),
        "{rows:?}"
    );
    let left = leftovers(dir.path());
    assert!(left.iter().any(|n| n.starts_with(".snapshot=2026-W48.tmp-")), "{left:?}");

    // swapped, the replaced one not yet removed: the new snapshot stands, whole
    crash_while_replacing(&db, dir.path(), "export:swapped");
    assert_eq!(as_of_of(&folder), "2026-11-26T12:00:00.000000Z");
    let rows = verified(dir.path());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("2026-W48,2026-11-26T12:00:00.000000Z,") && rows[0].ends_with(",true"),
        "{rows:?}"
    );

    // the next export removes what both crashes left, and only that
    run(export(&db, dir.path(), &["--as-of", AS_OF, "--id", "next"])).status_only();
    assert_eq!(leftovers(dir.path()), ["snapshot=2026-W48", "snapshot=next"]);
}

/// `ctodb bugs --snapshot FOLDER -f csv`: the stored open bugs.
fn snapshot_bugs(folder: &Path) -> CliOutput {
    let mut cmd = ctodb_command(None);
    cmd.args(["bugs", "--snapshot", folder.to_str().unwrap(), "-f", "csv", "--limit", "1000"]);
    run(cmd)
}

/// Rewrites a Parquet file as pandas or Spark might: dictionaries with 8-bit keys over
/// large strings, large strings, 64-bit integers, timestamps in nanoseconds; with
/// `overflow`, one timestamp column in milliseconds beyond the microsecond range.
const REWRITE: &str = r#"
import sys, pyarrow as pa, pyarrow.parquet as pq
path, overflow = sys.argv[1], sys.argv[2] == "overflow"
table = pq.read_table(path)
columns, fields = [], []
for field, column in zip(table.schema, table.columns):
    t = field.type
    if pa.types.is_dictionary(t):
        column = column.cast(pa.dictionary(pa.int8(), pa.large_string()))
    elif pa.types.is_string(t):
        column = column.cast(pa.large_string())
    elif pa.types.is_integer(t):
        column = column.cast(pa.int64())
    elif pa.types.is_timestamp(t):
        if overflow:
            column = pa.array([2**62] * len(column), pa.timestamp("ms", tz="UTC"))
            overflow = False
        else:
            column = column.cast(pa.timestamp("ns", tz="UTC"))
    columns.append(column)
    fields.append(pa.field(field.name, column.type))
pq.write_table(pa.Table.from_arrays(columns, schema=pa.schema(fields)), path)
"#;

#[test]
fn files_rewritten_by_other_tools_read_back_or_are_refused_by_file_and_column() {
    let db = demo("snapshot_rewritten");
    let dir = tempfile::tempdir().unwrap();
    run(export(&db, dir.path(), &["--as-of", AS_OF])).status_only();
    let folder = dir.path().join("snapshot=2026-W48");
    let expected = snapshot_bugs(&folder).ok();
    assert!(expected.lines().count() > 3, "{expected}");
    let script = dir.path().join("rewrite.py");
    std::fs::write(&script, REWRITE).unwrap();
    let file = folder.join("report_open_bugs.parquet");
    run_python_with(&[script.to_str().unwrap(), file.to_str().unwrap(), "types"]);
    assert_eq!(snapshot_bugs(&folder).ok(), expected, "the rewritten file reads back as the original");
    run_python_with(&[script.to_str().unwrap(), file.to_str().unwrap(), "overflow"]);
    let out = snapshot_bugs(&folder);
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_text();
    assert!(
        stderr.starts_with(&format!("error: {}, column ", file.display()))
            && stderr.contains(": the timestamp of row 0 is beyond the range ctodb reads"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_timestamp_beyond_parquets_range_is_refused_by_table_and_column() {
    let db = demo("snapshot_far_timestamp");
    db.client()
        .batch_execute("UPDATE audit_log SET created_at = '294270-01-01 00:00:00+00' WHERE id = (SELECT id FROM audit_log LIMIT 1)")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // now: an export as of a past instant would leave the row of a later instant out
    let out = run(export(&db, dir.path(), &[]));
    assert_eq!(out.code(), 1, "{}", out.stderr_text());
    assert!(
        out.stderr_text()
            .contains("cannot read audit_log.created_at from the server's COPY data: the timestamp ")
            && out.stderr_text().contains("is beyond Parquet's range"),
        "{}",
        out.stderr_text()
    );
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

#[test]
fn a_lock_file_planted_as_a_link_is_refused_and_its_target_untouched() {
    let db = demo("export_lock_link");
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::os::unix::fs::symlink(&victim, reports.join(".snapshot=w1.lock")).unwrap();
    let out = run(export(&db, &reports, &["--id", "w1"]));
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        format!(
            "error: cannot take the lock file {0}/.snapshot=w1.lock: {0}/.snapshot=w1.lock is a symbolic link; ctodb \
             never writes through one planted in a shared folder (remove it)\n",
            reports.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!reports.join("snapshot=w1").exists());
}
