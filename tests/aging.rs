//! `report aging`, worked out by hand: open bugs inserted at known ages around the as-of
//! instant T = 2026-11-25 12:00 UTC (default SLAs: critical 4 h, high 24 h, low 720 h),
//! read live, from a snapshot and on the weekly page.

use crate::common::{ctodb_at, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

/// Inserts bugs given as (number, severity, status, created_at relative to T).
fn insert(db: &TestDb, bugs: &[(i64, &str, &str, &str)]) {
    let mut client = db.client();
    client.batch_execute("INSERT INTO projects (name) VALUES ('Atlas')").unwrap();
    for (number, severity, status, created) in bugs {
        let resolved = if *status == "verified" { Some(AS_OF) } else { None };
        client
            .execute(
                "INSERT INTO bugs (bug_number, project_id, title, severity, status, created_at, resolved_at)
                 SELECT $1, id, 'a bug', $2::text::bug_severity, $3::text::bug_status,
                        $4::text::timestamptz + $5::text::interval, $6::text::timestamptz
                 FROM projects",
                &[number, severity, status, &AS_OF, created, &resolved],
            )
            .unwrap();
    }
}

/// Runs ctodb in `dir`, where `reports/` holds the snapshots.
fn in_dir(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> CliOutput {
    ctodb_at(&db.url, args, Some(dir))
}

/// Exports snapshot `id` into `dir/reports`.
fn export(db: &TestDb, dir: &std::path::Path, id: &str, more: &[&str]) {
    let reports = dir.join("reports");
    let mut args = vec!["export", "--as-of", AS_OF, "--dir", reports.to_str().unwrap(), "--id", id];
    args.extend(more);
    db.run_status(&args);
}

const HEADER: &str = "severity,open_bugs,under_1_day,days_1_to_7,days_7_to_30,days_30_to_90,over_90_days,\
                      oldest_bug,oldest_age_days,past_sla,past_sla_share";

#[test]
fn aging_buckets_ages_at_their_bounds_and_counts_bugs_past_sla() {
    let db = TestDb::new("aging_buckets");
    insert(
        &db,
        &[
            // critical, 4 h: T-1h (not due yet), T-5h (due T-1h), exactly 1 day, exactly 7 days
            (1, "critical", "pending", "-1 hour"),
            (2, "critical", "in_progress", "-5 hours"),
            (3, "critical", "pending", "-1 day"),
            (4, "critical", "pending", "-7 days"),
            // resolved: not open, not counted however old
            (5, "critical", "verified", "-100 days"),
            // high, 24 h: exactly 30 days, a second short of 90, exactly 90 twice (the
            // lower number is the oldest); all past due
            (10, "high", "pending", "-30 days"),
            (11, "high", "pending", "-89 days -23 hours -59 minutes -59 seconds"),
            (13, "high", "pending", "-90 days"),
            (12, "high", "in_progress", "-90 days"),
            // medium: deferred only, so no open bug
            (20, "medium", "deferred", "-200 days"),
            // low, 720 h: created after T (absent as of T: it did not exist yet), a second
            // short of 7 days
            (30, "low", "pending", "2 hours"),
            (31, "low", "pending", "-6 days -23 hours -59 minutes -59 seconds"),
        ],
    );
    let expected = [
        HEADER,
        // 3 of 4 past due (#2, #3, #4): 0.7500; the oldest #4 is 7 whole days old
        "critical,4,2,1,1,0,0,4,7,3,0.7500",
        "high,4,0,0,0,2,2,12,90,4,1.0000",
        // no open bug: no oldest, no share
        "medium,0,0,0,0,0,0,,,0,",
        "low,1,0,1,0,0,0,31,6,0,0.0000",
        // 7 of 9 past due: 0.7778
        "all,9,2,2,1,2,2,12,90,7,0.7778",
    ]
    .join("\r\n")
        + "\r\n";
    let live = db.run(&["report", "aging", "--as-of", AS_OF, "-f", "csv"]);
    assert_eq!(live, expected);

    // stored by the export, read back with no database
    let dir = tempfile::tempdir().unwrap();
    export(&db, dir.path(), "w48", &[]);
    let from_snapshot = in_dir(&db, dir.path(), &["report", "aging", "--snapshot", "w48", "-f", "csv"]).ok();
    assert_eq!(from_snapshot, expected);
    for format in ["json", "ndjson", "table"] {
        let live = db.run(&["report", "aging", "--as-of", AS_OF, "-f", format]);
        let stored = in_dir(&db, dir.path(), &["report", "aging", "--snapshot", "w48", "-f", format]).ok();
        assert_eq!(live, stored, "{format}");
    }
    for (source, file) in [(["--as-of", AS_OF], "live.parquet"), (["--snapshot", "w48"], "stored.parquet")] {
        let mut args = vec!["report", "aging", "-o", file];
        args.extend(source);
        in_dir(&db, dir.path(), &args).status_only();
    }
    let live = std::fs::read(dir.path().join("live.parquet")).unwrap();
    assert!(live.starts_with(b"PAR1"));
    assert_eq!(live, std::fs::read(dir.path().join("stored.parquet")).unwrap());
    let table = db.run(&["report", "aging", "--as-of", AS_OF, "-f", "table"]);
    assert!(table.starts_with("Open bugs by age\n"), "{table}");

    // the weekly page has the section, live and from the snapshot
    for (args, page) in [
        (vec!["--as-of", AS_OF], dir.path().join("live.html")),
        (vec!["--snapshot", "w48"], dir.path().join("stored.html")),
    ] {
        let mut all = vec!["report", "weekly", "--html", page.to_str().unwrap()];
        all.extend(args);
        in_dir(&db, dir.path(), &all).status_only();
        let html = std::fs::read_to_string(&page).unwrap();
        let section = html.split("<h2>Open bugs by age</h2>").nth(1).expect("the aging section");
        assert!(section.contains(r#"<td class="e">all</td><td class="n">9</td>"#), "{section}");
    }
}

#[test]
fn a_share_past_sla_that_ends_in_a_half_rounds_away_from_zero() {
    let db = TestDb::new("aging_half");
    // 32 open medium bugs (72 h), one of them past due: 1/32 = 0.03125 -> 0.0313
    let mut bugs: Vec<(i64, &str, &str, &str)> =
        (1..=31).map(|n| (n, "medium", "pending", "-1 hour")).collect();
    bugs.push((32, "medium", "pending", "-4 days"));
    insert(&db, &bugs);
    let csv = db.run(&["report", "aging", "--as-of", AS_OF, "-f", "csv"]);
    assert_eq!(csv.lines().nth(3), Some("medium,32,31,1,0,0,0,32,4,1,0.0313"));
    assert_eq!(csv.lines().nth(5), Some("all,32,31,1,0,0,0,32,4,1,0.0313"));
}

#[test]
fn a_snapshot_without_the_frame_and_reports_it_does_not_store_say_why() {
    let db = TestDb::new("aging_missing");
    let dir = tempfile::tempdir().unwrap();
    export(&db, dir.path(), "old", &["--reports", "portfolio"]);
    let out = in_dir(&db, dir.path(), &["report", "aging", "--snapshot", "old"]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        "error: reports/snapshot=old has no aging frame (it was written before `report aging` existed, \
         or with --reports that left it out); export a new snapshot, or drop --snapshot\n"
    );
    let out = in_dir(&db, dir.path(), &["report", "team", "--snapshot", "old"]);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        "error: report team cannot be read from a snapshot: it stores no per-person frames; drop \
         --snapshot to ask the database (a snapshot stores the frames of: portfolio, projects, \
         open_bugs, sla, trends, engineering, aging)\n"
    );
}
