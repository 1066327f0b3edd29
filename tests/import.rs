//! `ctodb import csv`: the damaged-file corpus under tests/fixtures/import (each file's
//! exit status, the line and column its message names, the tables unchanged, or with
//! --skip-invalid exactly the good rows and a rejects file of the bad ones as they were),
//! the spreadsheet round trip, idempotent re-imports, and the import_logs rows.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::{ctodb_at, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";
const TABLES: &[&str] = &["users", "projects", "bugs", "bug_history"];

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
}

/// Runs `ctodb import csv FILE --kind KIND [extra]` in `dir`, where FILE is.
fn import(db: &TestDb, dir: &Path, file: &str, kind: &str, extra: &[&str]) -> CliOutput {
    let mut args = vec!["import", "csv", file, "--kind", kind, "-f", "csv"];
    args.extend_from_slice(extra);
    ctodb_at(&db.url, &args, Some(dir))
}

/// The error line of a failed run (the last line of stderr).
fn error_line(out: &CliOutput) -> String {
    assert_eq!(
        out.code(),
        1,
        "expected exit 1\nstdout:\n{}\nstderr:\n{}",
        out.stdout_text(),
        out.stderr_text()
    );
    assert!(out.stdout.is_empty(), "a failed import prints no result: {}", out.stdout_text());
    out.stderr_text().lines().last().unwrap_or_default().to_string()
}

/// The result row on stdout: rows, inserted, updated, unchanged, rejected.
fn counts(out: &CliOutput) -> [i64; 5] {
    let stdout = out.ok();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("file,table,dry_run,rows,inserted,updated,unchanged,rejected"));
    let row: Vec<&str> = lines.next().expect("one result row").split(',').collect();
    let n = |i: usize| row[i].parse::<i64>().expect("a count");
    [n(3), n(4), n(5), n(6), n(7)]
}

/// The latest import_logs row: status, total, inserted, updated, unchanged, failed.
fn last_log(db: &TestDb) -> (String, i32, i32, i32, i32, i32) {
    let row = db
        .client()
        .query_one(
            "SELECT status, rows_total, rows_inserted, rows_updated, rows_unchanged, rows_failed
             FROM import_logs ORDER BY started_at DESC LIMIT 1",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4), row.get(5))
}

/// A damaged file: what the all-or-nothing run says, and what --skip-invalid keeps.
struct Damaged {
    file: &'static str,
    kind: &'static str,
    /// the error line, exactly
    error: &'static str,
    /// rows a --skip-invalid run imports; None when the file as a whole is refused
    good: Option<i64>,
    /// the lines of the rejected rows
    rejected: &'static [u64],
}

fn corpus() -> Vec<Damaged> {
    let damaged = |file, kind, error, good, rejected| Damaged { file, kind, error, good, rejected };
    vec![
        damaged(
            "empty.csv",
            "bugs",
            "error: empty.csv is empty: it has no header row (the first line names the columns)",
            None,
            &[],
        ),
        damaged(
            "bom_only.csv",
            "bugs",
            "error: bom_only.csv is empty: it has no header row (the first line names the columns)",
            None,
            &[],
        ),
        damaged(
            "unknown_enum.csv",
            "bugs",
            "error: unknown_enum.csv, line 3, column \"severity\": \"urgent\" is not one of critical, high, medium, \
             low; nothing was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "too_many_decimals.csv",
            "bugs",
            "error: too_many_decimals.csv, line 3, column \"revenue_impact_daily\": 12.345 has 3 decimal places; at \
             most 2; nothing was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "negative_money.csv",
            "bugs",
            "error: negative_money.csv, line 3, column \"revenue_impact_daily\": -20.00 is below 0; it must be 0 or \
             more; nothing was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "score_out_of_range.csv",
            "projects",
            "error: score_out_of_range.csv, line 3, column \"complexity_score\": 7 is out of range; it must be \
             between 1 and 5; nothing was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "malformed_date.csv",
            "bugs",
            "error: malformed_date.csv, line 3, column \"created_at\": \"2026-13-01T09:00:00Z\" is not a timestamp \
             (RFC 3339, e.g. 2026-11-30T09:15:00Z); nothing was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "unknown_project.csv",
            "bugs",
            "error: unknown_project.csv, line 3, column \"project\": no project named \"Atlas Paymnts\"; nothing was \
             imported",
            Some(1),
            &[3],
        ),
        damaged(
            "duplicate_key.csv",
            "bugs",
            "error: duplicate_key.csv, line 4, column \"external_id\": T-1 is also on line 2; nothing was imported",
            Some(2),
            &[4],
        ),
        damaged(
            "missing_required_column.csv",
            "bugs",
            "error: missing_required_column.csv, line 1: has no key column: a bug file needs bug (the number), \
             external_id, or project and title",
            None,
            &[],
        ),
        damaged(
            "too_many_fields.csv",
            "bugs",
            "error: too_many_fields.csv, line 3, column \"field 9\": has 9 fields, the header has 8; nothing was \
             imported",
            Some(1),
            &[3],
        ),
        damaged(
            "too_few_fields.csv",
            "bugs",
            "error: too_few_fields.csv, line 3, column \"status\": has 3 fields, the header has 8; this one and \
             those after it are missing; nothing was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "invalid_utf8.csv",
            "bugs",
            "error: invalid_utf8.csv, line 3, column \"title\": is not valid UTF-8 (byte 4 of the field); nothing \
             was imported",
            Some(1),
            &[3],
        ),
        damaged(
            "quoted_newline_bad.csv",
            "bugs",
            // the record after a three-line title starts on line 5
            "error: quoted_newline_bad.csv, line 5, column \"severity\": \"urgent\" is not one of critical, high, \
             medium, low; nothing was imported",
            Some(1),
            &[5],
        ),
    ]
}

/// The records of a CSV file by the line each starts on, as bytes.
fn records(path: &Path) -> Vec<(u64, csv::ByteRecord)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(path).unwrap();
    let mut out = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).unwrap() {
        out.push((record.position().unwrap().line(), record.clone()));
    }
    out
}

#[test]
fn every_damaged_file_is_refused_whole_or_split_into_good_rows_and_rejects() {
    let db = demo("import_damaged");
    let dir = tempfile::tempdir().unwrap();
    let before = db.fingerprint(TABLES);
    let logs_before = db.count("SELECT count(*) FROM import_logs");
    for case in corpus() {
        std::fs::copy(fixture(case.file), dir.path().join(case.file)).unwrap();
        let out = import(&db, dir.path(), case.file, case.kind, &[]);
        assert_eq!(error_line(&out), case.error, "{}", case.file);
        assert_eq!(db.fingerprint(TABLES), before, "{} changed the tables", case.file);
        let (status, ..) = last_log(&db);
        assert_eq!(status, "failed", "{}", case.file);
        // a dry run says the same and records nothing
        let logs = db.count("SELECT count(*) FROM import_logs");
        let dry = import(&db, dir.path(), case.file, case.kind, &["--dry-run"]);
        assert_eq!(error_line(&dry), case.error, "{} --dry-run", case.file);
        assert_eq!(db.count("SELECT count(*) FROM import_logs"), logs, "{}: a dry run logged", case.file);
    }
    // every refused run left its import_logs row (the dry runs none)
    assert_eq!(db.count("SELECT count(*) FROM import_logs") - logs_before, corpus().len() as i64);

    for case in corpus() {
        let table = if case.kind == "bugs" { "bugs" } else { "projects" };
        let rows_before = db.count(&format!("SELECT count(*) FROM {table}"));
        let out = import(&db, dir.path(), case.file, case.kind, &["--skip-invalid"]);
        let rejects = dir.path().join(format!("{}.rejects.csv", case.file));
        let Some(good) = case.good else {
            assert_eq!(error_line(&out), case.error, "{} --skip-invalid", case.file);
            assert!(!rejects.exists());
            continue;
        };
        // the files share their good rows: one case's new bug is the next one's unchanged bug
        let [rows, inserted, updated, unchanged, rejected] = counts(&out);
        assert_eq!(
            (inserted + unchanged, updated, rejected),
            (good, 0, case.rejected.len() as i64),
            "{}",
            case.file
        );
        assert_eq!(rows, good + rejected, "{}", case.file);
        assert_eq!(
            db.count(&format!("SELECT count(*) FROM {table}")) - rows_before,
            inserted,
            "{}",
            case.file
        );
        let (status, total, log_inserted, _, log_unchanged, failed) = last_log(&db);
        assert_eq!(
            (status.as_str(), total as i64, log_inserted as i64, log_unchanged as i64),
            ("partial", rows, inserted, unchanged),
            "{}",
            case.file
        );
        assert_eq!(failed as usize, case.rejected.len());
        // the rejects file: the header plus line and reason, then each bad row as it was
        let source = records(&dir.path().join(case.file));
        let written = records(&rejects);
        let header = &written[0].1;
        assert_eq!(header.len(), source[0].1.len() + 2, "{}", case.file);
        let last_two: Vec<&[u8]> = header.iter().skip(header.len() - 2).collect();
        assert_eq!(last_two, [b"line".as_slice(), b"reason"]);
        let lines: Vec<u64> = written[1..]
            .iter()
            .map(|(_, r)| std::str::from_utf8(&r[r.len() - 2]).unwrap().parse().unwrap())
            .collect();
        assert_eq!(lines, case.rejected, "{}", case.file);
        for (_, reject) in &written[1..] {
            let line: u64 = std::str::from_utf8(&reject[reject.len() - 2]).unwrap().parse().unwrap();
            let original = &source.iter().find(|(at, _)| *at == line).unwrap().1;
            let kept: Vec<&[u8]> = reject.iter().take(original.len()).collect();
            assert_eq!(kept, original.iter().collect::<Vec<_>>(), "{} line {line}", case.file);
        }
    }
}

#[test]
fn the_rejects_file_keeps_the_row_and_says_why() {
    let db = demo("import_rejects_text");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("unknown_enum.csv"), dir.path().join("unknown_enum.csv")).unwrap();
    let out = import(&db, dir.path(), "unknown_enum.csv", "bugs", &["--skip-invalid"]);
    assert_eq!(counts(&out), [2, 1, 0, 0, 1]);
    assert!(out.stderr_text().contains(
        "warning: skipped 1 invalid row; they are in unknown_enum.csv.rejects.csv with their line and reason"
    ));
    let rejects = std::fs::read_to_string(dir.path().join("unknown_enum.csv.rejects.csv")).unwrap();
    assert_eq!(
        rejects,
        "project,title,severity,status,revenue_impact_daily,created_at,external_id,labels,line,reason\r\n\
         Atlas Payments,Slow refunds,urgent,pending,0,2026-11-20T09:00:00Z,T-2,,3,\"severity: \"\"urgent\"\" is \
         not one of critical, high, medium, low\"\r\n"
    );
    // the rows may hold people's e-mail addresses: the file is its owner's alone
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("unknown_enum.csv.rejects.csv")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn good_files_import_once_and_a_second_time_change_nothing() {
    let db = demo("import_good_files");
    let dir = tempfile::tempdir().unwrap();
    for (file, rows) in [("bom.csv", 2), ("crlf.csv", 2), ("quoted_newline.csv", 3), ("header_only.csv", 0)] {
        std::fs::copy(fixture(file), dir.path().join(file)).unwrap();
        let first = counts(&import(&db, dir.path(), file, "bugs", &[]));
        // bom.csv and crlf.csv hold the same two bugs: the second file finds them
        let expected_new = if file == "crlf.csv" { 0 } else { rows };
        assert_eq!(first, [rows, expected_new, 0, rows - expected_new, 0], "{file}");
        let before = db.fingerprint(TABLES);
        assert_eq!(
            counts(&import(&db, dir.path(), file, "bugs", &[])),
            [rows, 0, 0, rows, 0],
            "{file} again"
        );
        assert_eq!(db.fingerprint(TABLES), before, "{file}: the second import wrote");
    }
    // the BOM is not part of the first column's name, and the quoted newlines are kept
    let title: String = db
        .client()
        .query_one("SELECT title FROM bugs WHERE external_id = 'T-2' AND source = 'csv'", &[])
        .unwrap()
        .get(0);
    assert_eq!(title, "Refund button does nothing 2");
    let multi: i64 =
        db.count("SELECT count(*) FROM bugs WHERE title = E'Dashboard export\\nloses the last\\nrow'");
    assert_eq!(multi, 1);
    // the labels column is a list
    let labels: Vec<String> =
        db.client().query_one("SELECT labels FROM bugs WHERE external_id = 'T-1'", &[]).unwrap().get(0);
    assert_eq!(labels, ["payments", "ui"]);
    // new bugs carry the file's instants and the severity's SLA
    let (sla, due): (i32, String) = {
        let row = db
            .client()
            .query_one(
                "SELECT sla_hours, to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM bugs
                 WHERE external_id = 'T-1'",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((sla, due.as_str()), (24, "2026-11-21 09:00"));
}

#[test]
fn a_spreadsheet_round_trip_changes_exactly_the_edited_rows() {
    let db = demo("import_round_trip");
    let dir = tempfile::tempdir().unwrap();
    let listing = db.run(&["projects", "--all", "-f", "csv"]);
    assert_eq!(listing.lines().count(), 6, "every project, not a page: {listing}");
    std::fs::write(dir.path().join("p.csv"), &listing).unwrap();
    // unedited: nothing to do
    let out = import(&db, dir.path(), "p.csv", "projects", &[]);
    assert_eq!(counts(&out), [5, 0, 0, 5, 0]);
    assert!(out.stderr_text().contains(
        "note: ignored the computed columns revenue_projection_12m, dcf_valuation, roi_score, health_score, \
         open_bugs, critical_open, breached"
    ));
    // two cells edited: Atlas Payments' ARR and Comet Mobile's status
    let stamps = |db: &TestDb| -> Vec<(String, String)> {
        db.client()
            .query("SELECT name, updated_at::text FROM projects ORDER BY name", &[])
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    };
    let before = stamps(&db);
    let edited: String = listing
        .lines()
        .map(|line| {
            if line.starts_with("Atlas Payments,") {
                line.replacen(",1200000.00,", ",1250000.50,", 1)
            } else if line.starts_with("Comet Mobile,") {
                line.replacen("Comet Mobile,active,", "Comet Mobile,deferred,", 1)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    assert_ne!(
        edited.replace("\r\n", "\n").trim(),
        listing.replace("\r\n", "\n").trim(),
        "the edits applied"
    );
    std::fs::write(dir.path().join("p.csv"), edited).unwrap();
    // a dry run lists each field it would change, by line of the file, old and new
    let dry = import(&db, dir.path(), "p.csv", "projects", &["--dry-run"]);
    let line_of = |name: &str| listing.lines().position(|l| l.starts_with(name)).unwrap() + 1;
    assert_eq!(
        dry.ok().replace("\r\n", "\n"),
        format!(
            "line,action,row,field,old,new\n{},update,Atlas Payments,arr,1200000.00,1250000.50\n\
             {},update,Comet Mobile,status,active,deferred\n",
            line_of("Atlas Payments,"),
            line_of("Comet Mobile,")
        )
    );
    assert!(
        dry.stderr_text()
            .contains("would import p.csv into projects: 0 inserted, 2 updated, 3 unchanged, 0 rejected"),
        "{}",
        dry.stderr_text()
    );
    assert_eq!(stamps(&db), before, "a dry run wrote");
    assert_eq!(
        counts(&import(&db, dir.path(), "p.csv", "projects", &["--as", "ada@ctodb.dev"])),
        [5, 0, 2, 3, 0]
    );
    let after = stamps(&db);
    let changed: Vec<&str> =
        before.iter().zip(&after).filter(|(b, a)| b != a).map(|(b, _)| b.0.as_str()).collect();
    assert_eq!(changed, ["Atlas Payments", "Comet Mobile"]);
    assert_eq!(
        db.count("SELECT count(*) FROM projects WHERE name = 'Atlas Payments' AND arr = 1250000.50"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM projects WHERE name = 'Comet Mobile' AND status = 'deferred'"),
        1
    );
    assert_eq!(last_log(&db), ("succeeded".to_string(), 5, 0, 2, 3, 0));
    let audited = db.count(
        "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id
         WHERE a.action = 'import' AND u.email = 'ada@ctodb.dev' AND a.changes ->> 'updated' = '2'",
    );
    assert_eq!(audited, 1);
    // and the edited file again: nothing
    assert_eq!(counts(&import(&db, dir.path(), "p.csv", "projects", &[])), [5, 0, 0, 5, 0]);
}

#[test]
fn wide_listings_and_users_round_trip_unchanged() {
    let db = demo("import_wide");
    let dir = tempfile::tempdir().unwrap();
    let wide = db.run(&["projects", "--all", "--wide", "-f", "csv"]);
    assert!(wide.starts_with(
        "id,name,description,status,tags,github_repo,primary_language,github_stars,owner,arr,revenue_growth_rate,"
    ));
    let bugs = db.run(&["bugs", "--all", "--wide", "-f", "csv"]);
    assert!(bugs.starts_with(
        "id,bug,project,title,description,severity,status,is_blocker,revenue_impact_daily,sla_hours,due_at,"
    ));
    let users = db.run(&["users", "-f", "csv"]);
    for (file, text, kind, rows) in
        [("p.csv", &wide, "projects", 5), ("b.csv", &bugs, "bugs", 12), ("u.csv", &users, "users", 6)]
    {
        std::fs::write(dir.path().join(file), text).unwrap();
        let before = db.fingerprint(TABLES);
        assert_eq!(counts(&import(&db, dir.path(), file, kind, &[])), [rows, 0, 0, rows, 0], "{file}");
        assert_eq!(db.fingerprint(TABLES), before, "{file}");
    }
    // the bugs listing (not wide) too
    std::fs::write(dir.path().join("list.csv"), db.run(&["bugs", "--all", "-f", "csv"])).unwrap();
    assert_eq!(counts(&import(&db, dir.path(), "list.csv", "bugs", &[])), [12, 0, 0, 12, 0]);
}

/// One bug_history row: field, old value, new value, who (e-mail).
type Change = (String, Option<String>, Option<String>, Option<String>);

#[test]
fn an_import_that_changes_bugs_writes_history_by_its_actor_and_reads_stdin() {
    let db = demo("import_bug_changes");
    let csv = "bug,status,severity,assignee,blocker\r\n7,in_progress,high,linus@ctodb.dev,yes\r\n\
               1,pending,critical,,true\r\n";
    let mut child = crate::common::ctodb_command(Some(&db.url))
        .args(["import", "csv", "-", "--kind", "bugs", "-f", "csv", "--as", "ada@ctodb.dev"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), csv.as_bytes()).unwrap();
    let out: CliOutput = child.wait_with_output().unwrap().into();
    assert_eq!(counts(&out), [2, 0, 1, 1, 0]);
    let history: Vec<Change> = db
        .client()
        .query(
            "SELECT h.field, h.old_value, h.new_value, u.email FROM bug_history h
             JOIN bugs b ON b.id = h.bug_id LEFT JOIN users u ON u.id = h.changed_by
             WHERE b.bug_number = 7 ORDER BY h.field",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect();
    let fields: Vec<&str> = history.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(fields, ["assignee_id", "is_blocker", "severity", "status"]);
    assert!(history.iter().all(|h| h.3.as_deref() == Some("ada@ctodb.dev")));
    assert_eq!(history[3].1.as_deref(), Some("pending"));
    assert_eq!(history[3].2.as_deref(), Some("in_progress"));
    let target: String = db
        .client()
        .query_one("SELECT target FROM import_logs ORDER BY started_at DESC LIMIT 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(target, "standard input");
}

#[test]
fn headers_match_loosely_and_unknown_columns_are_refused_unless_ignored() {
    let db = demo("import_headers");
    let dir = tempfile::tempdir().unwrap();
    let file = "loose.csv";
    std::fs::write(
        dir.path().join(file),
        "Name,GitHub Repo,monthlyInfraCost,complexity-score,Colour\nNova Search,acme/nova,1200.00,2,blue\n",
    )
    .unwrap();
    let refused = import(&db, dir.path(), file, "projects", &[]);
    assert_eq!(
        error_line(&refused),
        "error: loose.csv, line 1, column \"Colour\": is not a column of projects; its columns are id, name, \
         description, status, tags, github_repo, primary_language, github_stars, owner_id, arr, \
         revenue_growth_rate, operating_margin, discount_rate, terminal_growth_rate, monthly_infra_cost, \
         complexity_score, appeal_score, created_at, last_synced_at; --ignore-unknown skips unknown columns"
    );
    let out = import(&db, dir.path(), file, "projects", &["--ignore-unknown"]);
    assert!(out.stderr_text().contains("warning: ignored the unknown columns Colour (--ignore-unknown)"));
    assert_eq!(counts(&out), [1, 1, 0, 0, 0]);
    let row = db
        .client()
        .query_one(
            "SELECT github_repo, monthly_infra_cost::text, complexity_score, status::text FROM projects
             WHERE name = 'Nova Search'",
            &[],
        )
        .unwrap();
    let got: (String, String, i16, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(got, ("acme/nova".into(), "1200.00".into(), 2, "active".into()));
    // a second column naming the same field
    std::fs::write(dir.path().join("twice.csv"), "name,project\nA,B\n").unwrap();
    assert_eq!(
        error_line(&import(&db, dir.path(), "twice.csv", "projects", &[])),
        "error: twice.csv, line 1, column \"project\": names the same column as \"name\" (column 1); keep one of them"
    );
    // a file separated by another character says so
    std::fs::write(dir.path().join("semi.csv"), "email;name\nx@ctodb.dev;X\n").unwrap();
    assert_eq!(
        error_line(&import(&db, dir.path(), "semi.csv", "users", &[])),
        "error: semi.csv, line 1, column \"email;name\": is not a column of users (the file looks separated by \
         ';': add --delimiter ';'); its columns are id, email, name, role, is_active, weekly_capacity_hours, \
         github_login, created_at; --ignore-unknown skips unknown columns"
    );
    // a tab-separated file
    std::fs::write(dir.path().join("t.tsv"), "email\tname\trole\nnew@ctodb.dev\tNew Person\tqa_engineer\n")
        .unwrap();
    assert_eq!(counts(&import(&db, dir.path(), "t.tsv", "users", &["--delimiter", "tab"])), [1, 1, 0, 0, 0]);
    let bad = crate::common::ctodb_at(
        &db.url,
        &["import", "csv", "t.tsv", "--kind", "users", "--delimiter", "ab"],
        None,
    );
    assert_eq!(bad.code(), 2, "a bad option is a usage error: {}", bad.stderr_text());
}

#[test]
fn a_new_row_that_matches_nothing_needs_what_a_new_row_needs() {
    let db = demo("import_new_needs");
    let dir = tempfile::tempdir().unwrap();
    // bug 999 does not exist: it would be new, and a new bug needs a project and a title
    std::fs::write(dir.path().join("n.csv"), "bug,status\n1,in_progress\n999,in_progress\n").unwrap();
    let before = db.fingerprint(TABLES);
    assert_eq!(
        error_line(&import(&db, dir.path(), "n.csv", "bugs", &[])),
        "error: n.csv: 1 of 2 rows are invalid (2 problems, listed above); nothing was imported. Fix them, or add \
         --skip-invalid to import the 1 good row and get the bad ones in a rejects file"
    );
    assert_eq!(db.fingerprint(TABLES), before);
    let out = import(&db, dir.path(), "n.csv", "bugs", &[]);
    let stderr = out.stderr_text();
    // said on the number's column: it names no bug
    assert!(
        stderr.contains(
            "n.csv, line 3, column \"bug\": there is no bug #999 to update, and a new one needs a project\n\
             n.csv, line 3, column \"bug\": there is no bug #999 to update, and a new one needs a title\n"
        ),
        "{stderr}"
    );
    // a value another row holds: Beacon's repository given to Atlas Payments
    std::fs::write(
        dir.path().join("r.csv"),
        "name,github_repo\nAtlas Payments,ctodb-demo/beacon-analytics\n",
    )
    .unwrap();
    assert_eq!(
        error_line(&import(&db, dir.path(), "r.csv", "projects", &[])),
        "error: r.csv, line 2, column \"github_repo\": ctodb-demo/beacon-analytics already belongs to another \
         project; nothing was imported"
    );
    // while a new name with a known repository renames that repository's project
    std::fs::write(
        dir.path().join("rename.csv"),
        "name,github_repo\nBeacon BI,ctodb-demo/beacon-analytics\n",
    )
    .unwrap();
    assert_eq!(counts(&import(&db, dir.path(), "rename.csv", "projects", &[])), [1, 0, 1, 0, 0]);
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE name = 'Beacon BI'"), 1);
    assert_eq!(db.count("SELECT count(*) FROM projects"), 5);
}

/// Writes `rows` good bug rows and then one bad row.
fn big_file(path: &Path, rows: usize) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "project,title,severity,revenue_impact_daily,created_at,external_id").unwrap();
    let projects = ["Atlas Payments", "Beacon Analytics", "Comet Mobile"];
    for i in 0..rows {
        writeln!(
            out,
            "{},Generated bug {i},low,{}.{:02},2026-10-01T00:00:00Z,G-{i}",
            projects[i % 3],
            i % 500,
            i % 100
        )
        .unwrap();
    }
    writeln!(out, "Atlas Payments,The bad one,low,1.001,2026-10-01T00:00:00Z,G-bad").unwrap();
}

#[test]
fn a_hundred_thousand_good_rows_and_one_bad_row_import_nothing_or_all_the_good_ones() {
    let db = demo("import_big");
    let dir = tempfile::tempdir().unwrap();
    big_file(&dir.path().join("big.csv"), 100_000);
    let before = db.fingerprint(TABLES);
    assert_eq!(
        error_line(&import(&db, dir.path(), "big.csv", "bugs", &[])),
        "error: big.csv, line 100002, column \"revenue_impact_daily\": 1.001 has 3 decimal places; at most 2; \
         nothing was imported"
    );
    assert_eq!(db.fingerprint(TABLES), before);
    let out = import(&db, dir.path(), "big.csv", "bugs", &["--skip-invalid"]);
    assert_eq!(counts(&out), [100_001, 100_000, 0, 0, 1]);
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'G-%'"), 100_000);
    let rejects = std::fs::read_to_string(dir.path().join("big.csv.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 2);
    assert!(rejects.ends_with(
        "Atlas Payments,The bad one,low,1.001,2026-10-01T00:00:00Z,G-bad,100002,revenue_impact_daily: 1.001 has 3 \
         decimal places; at most 2\r\n"
    ));
    // the search dictionary learnt the new words
    assert_eq!(db.count("SELECT count(*) FROM search_words WHERE word = 'generat'"), 1);
}

#[test]
fn a_one_megabyte_field_is_refused_with_its_size() {
    let db = demo("import_big_field");
    let dir = tempfile::tempdir().unwrap();
    let text = "x".repeat(1 << 20);
    std::fs::write(
        dir.path().join("wide.csv"),
        format!("project,title,description\nAtlas Payments,Huge report,\"{text}\"\n"),
    )
    .unwrap();
    let before = db.fingerprint(TABLES);
    assert_eq!(
        error_line(&import(&db, dir.path(), "wide.csv", "bugs", &[])),
        "error: wide.csv, line 2, column \"description\": is 1048576 bytes long; at most 262144; nothing was imported"
    );
    assert_eq!(db.fingerprint(TABLES), before);
}

#[test]
fn a_keyless_row_whose_title_was_corrected_is_taken_for_the_bug_it_was() {
    let db = demo("import_edited_title");
    let dir = tempfile::tempdir().unwrap();
    let write = |text: &str| std::fs::write(dir.path().join("bugs.csv"), text).unwrap();
    let header = "project,title,severity,created_at\n";
    let slow = "Atlas Payments,Slow export,low,2026-11-20T10:00:00Z\n";
    write(&format!("{header}Atlas Payments,Cart totals wrong,high,2026-11-20T10:00:00Z\n{slow}"));
    assert_eq!(counts(&import(&db, dir.path(), "bugs.csv", "bugs", &[])), [2, 2, 0, 0, 0]);
    let cart = db.count("SELECT bug_number FROM bugs WHERE title = 'Cart totals wrong'");
    // the title corrected, no number: refused, naming the bug it looks like
    write(&format!("{header}Atlas Payments,Cart totals are wrong,high,2026-11-20T10:00:00Z\n{slow}"));
    let before = db.fingerprint(TABLES);
    let out = import(&db, dir.path(), "bugs.csv", "bugs", &[]);
    assert_eq!(
        error_line(&out),
        format!(
            "error: bugs.csv, line 2, column \"title\": looks like bug #{cart} with an edited title: add its `bug` number to update it; nothing was imported"
        )
    );
    assert_eq!(db.fingerprint(TABLES), before);
    // with --skip-invalid the row is rejected, the rest imports
    assert_eq!(counts(&import(&db, dir.path(), "bugs.csv", "bugs", &["--skip-invalid"])), [2, 0, 0, 1, 1]);
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE title LIKE 'Cart totals%'"), 1);
    // with its number it updates that bug
    write(&format!("bug,project,title,severity,created_at\n{cart},Atlas Payments,Cart totals are wrong,high,2026-11-20T10:00:00Z\n"));
    assert_eq!(counts(&import(&db, dir.path(), "bugs.csv", "bugs", &[])), [1, 0, 1, 0, 0]);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM bugs WHERE bug_number = {cart} AND title = 'Cart totals are wrong'"
        )),
        1
    );
    // a new bug at the same instant, beside rows that update the others, is a new bug
    write(&format!(
        "{header}Atlas Payments,Cart totals are wrong,high,2026-11-20T10:00:00Z\n{slow}Atlas Payments,Refunds twice,critical,2026-11-20T10:00:00Z\n"
    ));
    let out = import(&db, dir.path(), "bugs.csv", "bugs", &[]);
    assert_eq!(counts(&out)[1], 1, "{}", out.stderr_text());
}

#[test]
fn a_file_of_another_kind_is_refused_even_with_ignore_unknown() {
    let db = demo("import_other_kind");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("u.csv"), db.run(&["users", "-f", "csv"])).unwrap();
    let before = db.count("SELECT count(*) FROM projects");
    for extra in [&[][..], &["--ignore-unknown"]] {
        let out = import(&db, dir.path(), "u.csv", "projects", extra);
        assert_eq!(
            error_line(&out),
            "error: u.csv, line 1: looks like a users file (8 of its 8 columns are users columns, 3 are projects \
             columns); import it with --kind users"
        );
    }
    assert_eq!(db.count("SELECT count(*) FROM projects"), before);
    // the same file as what it is changes nothing
    assert_eq!(counts(&import(&db, dir.path(), "u.csv", "users", &[])), [6, 0, 0, 6, 0]);
}

#[test]
fn a_spreadsheets_resave_of_ctodbs_own_files_changes_nothing_and_one_edit_changes_one_field() {
    let db = demo("import_resave");
    // instants with microseconds, as bugs made by hand or imported carry them
    db.client()
        .batch_execute(
            "UPDATE bugs SET created_at = created_at + interval '0.796870 seconds',
                             resolved_at = resolved_at + interval '0.912345 seconds'",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("bugs.xlsx");
    let csv = dir.path().join("bugs.csv");
    db.run_status(&["bugs", "--all", "--wide", "-o", book.to_str().unwrap()]);
    std::fs::write(&csv, db.run(&["bugs", "--all", "--wide", "-f", "csv"])).unwrap();
    let stamps = || db.fingerprint(&["bugs"]);
    let before = stamps();
    // LibreOffice opens each and saves it as CSV: instants to the second, TRUE/FALSE,
    // money without its trailing zeros
    for (source, folder) in [(&book, "from_xlsx"), (&csv, "from_csv")] {
        let out = dir.path().join(folder);
        let status = std::process::Command::new("soffice")
            .args([
                "--headless",
                "--convert-to",
                "csv",
                "--outdir",
                out.to_str().unwrap(),
                source.to_str().unwrap(),
            ])
            .env("HOME", dir.path())
            .output()
            .expect("soffice runs (libreoffice-calc-nogui, which .ci/run installs)");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let saved = out.join("bugs.csv");
        let result = import(&db, dir.path(), saved.to_str().unwrap(), "bugs", &[]);
        assert_eq!(counts(&result), [12, 0, 0, 12, 0], "{folder}: {}", result.stderr_text());
    }
    assert_eq!(stamps(), before, "an unedited re-save changed stored values");
    // one title edited in the sheet: that field of that bug, nothing else
    let saved = dir.path().join("from_xlsx/bugs.csv");
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("Checkout double-charges the card on retry"));
    std::fs::write(
        &saved,
        text.replace("Checkout double-charges the card on retry", "Checkout charges twice on retry"),
    )
    .unwrap();
    let history = db.count("SELECT count(*) FROM bug_history");
    let created = |db: &TestDb| -> String {
        db.client().query_one("SELECT created_at::text FROM bugs WHERE bug_number = 1", &[]).unwrap().get(0)
    };
    let created_before = created(&db);
    assert_eq!(counts(&import(&db, dir.path(), saved.to_str().unwrap(), "bugs", &[])), [12, 0, 1, 11, 0]);
    let changed: Vec<String> = db
        .client()
        .query(
            "SELECT h.field || ':' || h.new_value FROM bug_history h JOIN bugs b ON b.id = h.bug_id
             ORDER BY h.changed_at DESC LIMIT 5",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(db.count("SELECT count(*) FROM bug_history"), history + 1, "{changed:?}");
    assert_eq!(changed[0], "title:Checkout charges twice on retry");
    // the edited bug's instants kept their microseconds
    assert_eq!(created(&db), created_before);
    assert!(created_before.contains('.'), "the demo's instants carry microseconds: {created_before}");
}

#[test]
fn daily_metrics_of_real_projects_import_once_with_the_same_rules() {
    let db = demo("import_metrics");
    let dir = tempfile::tempdir().unwrap();
    let write = |text: &str| std::fs::write(dir.path().join("m.csv"), text).unwrap();
    write(
        "project,date,commits,lines_added,lines_deleted,loc,contributors,open_prs,tech_stack\n\
         Atlas Payments,2026-12-01,14,900,120,52000,4,3,rust;postgres\n\
         atlas payments,2026-12-02,9,300,80,52220,3,2,rust;postgres\n",
    );
    let before = db.count("SELECT count(*) FROM project_metrics");
    assert_eq!(counts(&import(&db, dir.path(), "m.csv", "metrics", &[])), [2, 2, 0, 0, 0]);
    assert_eq!(counts(&import(&db, dir.path(), "m.csv", "metrics", &[])), [2, 0, 0, 2, 0]);
    assert_eq!(db.count("SELECT count(*) FROM project_metrics"), before + 2);
    assert_eq!(
        db.count("SELECT rows FROM ctodb.table_rows WHERE table_name = 'project_metrics'"),
        before + 2
    );
    // one day corrected: that row; a bad row: nothing
    write(
        "project,date,commits,lines_added,lines_deleted,loc,contributors,open_prs,tech_stack\n\
         Atlas Payments,2026-12-01,15,900,120,52000,4,3,rust;postgres\n",
    );
    assert_eq!(counts(&import(&db, dir.path(), "m.csv", "metrics", &[])), [1, 0, 1, 0, 0]);
    write("project,date,commits\nAtlas Payments,2026-12-03,-2\nNo Such Project,2026-12-03,1\n");
    let out = import(&db, dir.path(), "m.csv", "metrics", &[]);
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text().contains("m.csv, line 2, column \"commits\": -2 is out of range"),
        "{}",
        out.stderr_text()
    );
    assert!(out
        .stderr_text()
        .contains("m.csv, line 3, column \"project\": no project named \"No Such Project\""));
    assert_eq!(db.count("SELECT count(*) FROM project_metrics"), before + 2);
    let daily = db.run(&[
        "report",
        "daily",
        "--project",
        "Atlas Payments",
        "--days",
        "30",
        "--as-of",
        "2026-12-03",
        "-f",
        "csv",
    ]);
    assert!(daily.contains("2026-12-01,15,"), "{daily}");
}
