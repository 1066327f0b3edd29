//! Lines of the contract (SPEC §2, §3, §6) that no other test pins: global options
//! anywhere, CSV when piped, CSV quoting and value forms, JSON keys equal to the CSV
//! header for every report, the libpq fallbacks, the statement timeout, clean streams,
//! errors users can act on, and refresh across nights and time zones.

use std::process::Stdio;

use serde_json::Value;

use crate::common::{admin_user, ctodb_at, ctodb_command, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn demo(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    db
}

/// A CSV document read strictly (every record as long as the header): header, records.
fn csv_table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header row").iter().map(String::from).collect();
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|record| record.expect("a valid CSV record").iter().map(String::from).collect())
        .collect();
    (header, records)
}

#[test]
fn global_options_mean_the_same_before_and_after_the_subcommand() {
    let db = demo("contract_global");
    let before = db.run(&["--as-of", AS_OF, "-f", "json", "bugs", "--severity", "critical"]);
    let after = db.run(&["bugs", "--severity", "critical", "--as-of", AS_OF, "-f", "json"]);
    assert_eq!(before, after);
    let rows: Value = serde_json::from_str(&before).unwrap();
    // the demo's open critical bugs: #1 and #2
    let numbers: Vec<i64> = rows.as_array().unwrap().iter().map(|r| r["bug"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2]);
}

#[test]
fn piped_output_is_csv_with_exact_money_utc_timestamps_and_rfc4180_quoting() {
    let db = demo("contract_csv");
    db.client()
        .batch_execute(
            "UPDATE bugs SET title = E'Totals, \"rounded\"\\nwrong', revenue_impact_daily = 1234.50 WHERE bug_number = 7",
        )
        .unwrap();
    db.written_before(AS_OF);
    // no -f: stdout is a pipe here, so CSV
    let out = db.run(&["bugs", "--as-of", AS_OF]);
    assert!(out.starts_with("bug,severity,status,priority,title,"), "{out}");
    let (header, records) = &csv_table(&out);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let bug7 = records.iter().find(|r| r[column("bug")] == "7").expect("bug 7 listed");
    assert_eq!(bug7[column("title")], "Totals, \"rounded\"\nwrong");
    assert_eq!(bug7[column("revenue_impact_daily")], "1234.50");
    // created 10 days before the as-of instant, printed in UTC
    assert_eq!(bug7[column("created_at")], "2026-11-15T12:00:00Z");
    // the quoting itself, as RFC 4180 writes it
    assert!(out.contains("\"Totals, \"\"rounded\"\"\nwrong\""), "{out}");
    assert!(out.contains("\r\n"), "records end with CRLF");
}

#[test]
fn json_keys_equal_the_csv_header_for_every_report() {
    let db = demo("contract_json_keys");
    for args in crate::common::every_report() {
        let mut csv_args = args.clone();
        csv_args.extend(["--as-of", AS_OF, "-f", "csv"]);
        let (header, records) = csv_table(&db.run(&csv_args));
        let mut json_args = args.clone();
        json_args.extend(["--as-of", AS_OF, "-f", "json"]);
        let json: Value = serde_json::from_str(&db.run(&json_args)).expect("valid JSON");
        match &json {
            // one frame: an array of objects whose keys are the header
            Value::Array(rows) => {
                assert_eq!(records.len(), rows.len(), "{args:?}: rows");
                for row in rows {
                    let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
                    assert_eq!(keys, header.iter().collect::<Vec<_>>(), "{args:?}");
                }
            }
            // several: an object of arrays; the CSV is one table whose first column names
            // the frame, then every frame's keys in order of first appearance
            Value::Object(frames) => {
                let mut expected = vec!["section".to_string()];
                let mut sections = Vec::new();
                for (name, rows) in frames {
                    for row in rows.as_array().unwrap() {
                        sections.push(name.clone());
                        for key in row.as_object().unwrap().keys() {
                            if !expected.contains(key) {
                                expected.push(key.clone());
                            }
                        }
                    }
                }
                // a frame without rows still has its columns in the CSV header
                assert!(header.starts_with(&expected[..1]), "{args:?}");
                for key in &expected {
                    assert!(header.contains(key), "{args:?}: {key} missing from {header:?}");
                }
                let csv_sections: Vec<String> = records.iter().map(|r| r[0].clone()).collect();
                assert_eq!(csv_sections, sections, "{args:?}");
            }
            other => panic!("{args:?}: unexpected JSON {other}"),
        }
    }
}

#[test]
fn no_float_noise_in_any_format() {
    let db = demo("contract_floats");
    for args in
        [vec!["doctor"], vec!["report", "trends"], vec!["report", "engineering"], vec!["search", "login"]]
    {
        for format in ["csv", "json", "ndjson"] {
            let mut all = args.clone();
            all.extend(["--as-of", AS_OF, "-f", format]);
            let out = db.ctodb(&all);
            assert_eq!(out.code(), 0, "{args:?} -f {format}: {}", out.stderr_text());
            let text = out.stdout_text();
            assert!(text.lines().count() > 1, "{args:?} -f {format} printed nothing to check:\n{text}");
            // a binary float's noise is a run of 0s or 9s before a last digit
            let noisy = text.split(|c: char| !(c.is_ascii_digit() || c == '.')).any(|number| {
                number.split_once('.').is_some_and(|(_, decimals)| {
                    decimals.len() > 8 && (decimals.contains("0000000") || decimals.contains("9999999"))
                })
            });
            assert!(!noisy, "{args:?} -f {format}:\n{text}");
        }
    }
}

#[test]
fn the_libpq_variables_work_without_a_url() {
    let db = demo("contract_libpq");
    let run = |vars: &[(&str, &str)]| -> CliOutput {
        let mut cmd = ctodb_command(None);
        cmd.args(["report", "bugs", "-f", "csv", "--as-of", AS_OF]);
        for (key, value) in vars {
            cmd.env(key, value);
        }
        cmd.output().unwrap().into()
    };
    let user = admin_user();
    let port = crate::common::tcp_port().to_string();
    let base = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", user.as_str()),
        ("PGDATABASE", db.name.as_str()),
        ("PGSSLMODE", "disable"),
    ];
    let out = run(&base);
    assert!(out.ok().starts_with("severity,pending,"), "{}", out.stderr_text());
    // each variable is read: a port nothing listens on, a database that does not exist,
    // TLS required from a server without it
    let mut wrong_port = base;
    wrong_port[1] = ("PGPORT", "1");
    let out = run(&wrong_port);
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().contains("127.0.0.1:1"), "{}", out.stderr_text());
    let mut wrong_db = base;
    wrong_db[3] = ("PGDATABASE", "ctodb_no_such_database");
    let out = run(&wrong_db);
    assert!(
        out.stderr_text().contains("database \"ctodb_no_such_database\" does not exist"),
        "{}",
        out.stderr_text()
    );
    let mut wrong_user = base;
    wrong_user[2] = ("PGUSER", "ctodb_no_such_role");
    let out = run(&wrong_user);
    assert!(out.stderr_text().contains("ctodb_no_such_role"), "{}", out.stderr_text());
    let mut bad_mode = base;
    bad_mode[4] = ("PGSSLMODE", "sometimes");
    let out = run(&bad_mode);
    assert_eq!(
        out.stderr_text().trim(),
        "error: invalid PGSSLMODE=\"sometimes\": expected disable, prefer, require, verify-ca or verify-full"
    );
}

#[test]
fn the_statement_timeout_stops_a_helper_and_names_it() {
    let db = demo("contract_timeout");
    // another session holds the bugs table: the helper waits on the lock until the timeout
    let mut locker = db.client();
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE bugs IN ACCESS EXCLUSIVE MODE").unwrap();
    let started = std::time::Instant::now();
    let out: CliOutput = ctodb_command(Some(&db.url))
        .env("CTODB_STATEMENT_TIMEOUT", "300")
        .args(["bugs"])
        .output()
        .unwrap()
        .into();
    let elapsed = started.elapsed();
    tx.rollback().unwrap();
    assert_eq!(out.code(), 1, "{}", out.stderr_text());
    assert_eq!(
        out.stderr_text().trim(),
        "error: bugs/page_runs was cancelled by the statement timeout (CTODB_STATEMENT_TIMEOUT); raise it or narrow the question"
    );
    assert!(elapsed < std::time::Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn settings_out_of_range_are_named_not_panicked_on() {
    for (name, value, reason) in [
        ("DATABASE_CONNECTION_TIMEOUT", "18446744073709551615", "expected seconds, at most 86400 (a day)"),
        ("DATABASE_POOL_TIMEOUT", "99999999999", "expected seconds, at most 86400 (a day)"),
        (
            "CTODB_STATEMENT_TIMEOUT",
            "99999999999",
            "expected milliseconds, at most 2147483647 (about 24 days)",
        ),
        ("DATABASE_CONNECTION_TIMEOUT", "18446744073709551616", "expected a whole non-negative number"),
    ] {
        let out: CliOutput = ctodb_command(Some("postgres://nobody@127.0.0.1:1/none"))
            .env(name, value)
            .arg("stats")
            .output()
            .unwrap()
            .into();
        assert_eq!(out.code(), 1, "{name}");
        assert_eq!(out.stderr_text().trim(), format!("error: invalid {name}={value:?}: {reason}"));
    }
}

#[test]
fn a_database_without_the_schema_says_to_migrate() {
    let db = TestDb::empty_name("contract_no_schema");
    crate::common::admin().batch_execute(&format!("CREATE DATABASE {}", db.name)).unwrap();
    let out = db.ctodb(&["bugs"]);
    assert_eq!(out.code(), 1);
    let err = out.stderr_text();
    assert!(err.starts_with("error: the database has no ctodb schema ("), "{err}");
    assert!(err.trim_end().ends_with("); run `ctodb migrate` first"), "{err}");
}

#[test]
fn quickstart_piped_or_redirected_gives_valid_csv_only() {
    let db = TestDb::empty_name("contract_quickstart_csv");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.csv");
    // redirected into a file
    let out: CliOutput = ctodb_command(Some(&db.url))
        .args(["quickstart", "--as-of", AS_OF])
        .stdout(std::fs::File::create(&file).unwrap())
        .output()
        .unwrap()
        .into();
    assert!(out.status.success(), "{}", out.stderr_text());
    let text = std::fs::read_to_string(&file).unwrap();
    let (header, records) = csv_table(&text);
    assert_eq!(&header[..3], ["section", "projects", "active"]);
    let sections: std::collections::BTreeSet<&str> = records.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(sections, ["overview", "top_bugs", "top_projects"].into_iter().collect());
    assert_eq!(records[0][..2], ["overview", "5"]);
    assert!(out.stderr_text().contains("seeded demo"));
    // into a pipe that closes early
    let script = format!("'{}' quickstart --as-of {AS_OF} | head -n 2", env!("CARGO_BIN_EXE_ctodb"));
    let piped = std::process::Command::new("sh")
        .args(["-c", &script])
        .env("DATABASE_URL", &db.url)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(piped.status.success());
    let head = String::from_utf8_lossy(&piped.stdout);
    assert_eq!(head.lines().count(), 2);
    assert!(head.starts_with("section,projects,active,shipped,"), "{head}");
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("error"),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
}

#[test]
fn an_as_of_with_an_offset_is_the_same_instant_in_utc() {
    // 01:30 at +02:00 on the 26th is 23:30 UTC on the 25th: the day of the snapshot and of
    // "today" is the UTC day
    let db = demo("contract_offset");
    db.run_status(&["refresh", "--as-of", "2026-11-26T01:30:00+02:00"]);
    let dates: Vec<String> = db
        .client()
        .query("SELECT snapshot_date::text FROM portfolio_metrics ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(dates, ["2026-11-25"]);
    let shifted = db.run(&["bugs", "--all", "-f", "csv", "--as-of", "2026-11-26T01:30:00+02:00"]);
    let utc = db.run(&["bugs", "--all", "-f", "csv", "--as-of", "2026-11-25T23:30:00Z"]);
    assert_eq!(shifted, utc);
    // at 23:30 UTC #1 (critical, a blocker, 5,000 a day, created 06:00, due 10:00) is 13.5
    // hours overdue and scores 40 + 5 + 20 + 0 whole days + 10
    let first = shifted.lines().find(|line| line.starts_with("1,")).unwrap_or_default();
    assert!(first.starts_with("1,critical,pending,75.00,"), "{shifted}");
    assert!(first.ends_with(",2026-11-25T06:00:00Z,2026-11-25T10:00:00Z,breached,,13.50"), "{shifted}");
}

#[test]
fn a_second_night_zeroes_closed_bugs_adds_a_snapshot_and_writes_no_history() {
    let db = demo("contract_second_night");
    let score = |db: &TestDb| -> String {
        db.client()
            .query_one("SELECT priority_score::text FROM bugs WHERE bug_number = 2", &[])
            .unwrap()
            .get(0)
    };
    assert_ne!(score(&db), "0.00");
    // during the day someone closes bug #2 (that change is history)
    db.client().batch_execute("UPDATE bugs SET status = 'closed' WHERE bug_number = 2").unwrap();
    let history = db.count("SELECT count(*) FROM bug_history");
    db.run_status(&["refresh", "--as-of", "2026-11-26T12:00:00Z"]);
    assert_eq!(score(&db), "0.00");
    assert_eq!(db.count("SELECT count(*) FROM portfolio_metrics"), 2);
    assert_eq!(db.count("SELECT count(*) FROM bug_history"), history, "refresh is not history");
    assert_eq!(db.count("SELECT count(*) FROM audit_log WHERE action = 'refresh'"), 2);
}

#[test]
fn usage_errors_name_the_option() {
    let out = ctodb_at("postgres://nobody@127.0.0.1:1/none", &["bugs", "--limit", "0"], None);
    assert_eq!(out.code(), 2);
    assert!(out.stderr_text().contains("--limit"), "{}", out.stderr_text());
}
