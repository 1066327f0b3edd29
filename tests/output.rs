//! The output layer end to end: -o writes files atomically with the format taken from the
//! extension, and Ctrl-C stops a command with status 130 leaving nothing behind.

use std::time::{Duration, Instant};

use crate::common::{ctodb_command, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

#[test]
fn output_files_take_their_format_from_the_extension() {
    let db = TestDb::new("output_files");
    db.run(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    for (file, starts_with) in [
        ("bugs.csv", "bug,severity,status,"),
        ("bugs.json", "[\n  {\n    \"bug\": 11,"),
        ("bugs.ndjson", "{\"bug\":11,"),
        ("bugs.txt", "┌"),
    ] {
        let path = dir.path().join(file);
        let out = db.ctodb(&["bugs", "--as-of", AS_OF, "-o", path.to_str().unwrap()]);
        assert_eq!(out.ok(), "", "results go to the file, not stdout");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(starts_with), "{file}: {text}");
    }
    // nothing but the four files: no temporary file left behind
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
    // an explicit format names the format of a file whose extension says none (one that
    // names another is refused: no_color_means_any_value_and_an_extension_must_agree…)
    let path = dir.path().join("forced.data");
    db.run(&["bugs", "--as-of", AS_OF, "-f", "csv", "-o", path.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&path).unwrap().starts_with("bug,"));
    // a folder that does not exist is an error naming it, and writes nothing
    let missing = dir.path().join("no/such/folder/bugs.csv");
    let out = db.ctodb(&["bugs", "-o", missing.to_str().unwrap()]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().starts_with("error: cannot create a file in "), "{}", out.stderr_text());
}

#[test]
fn ctrl_c_cancels_with_status_130_and_leaves_nothing() {
    stopped_seed_leaves_nothing("output_interrupt", "-INT", 130, "interrupted (SIGINT)");
}

#[test]
fn sigterm_cancels_with_status_143_and_leaves_nothing() {
    stopped_seed_leaves_nothing("output_terminate", "-TERM", 143, "interrupted (SIGTERM)");
}

/// Stops a seed mid-COPY with a signal: the exit status, the last stderr line, no rows
/// and no ctodb query left on the server.
fn stopped_seed_leaves_nothing(name: &str, signal: &str, status: i32, message: &str) {
    let db = TestDb::new(name);
    let child = ctodb_command(Some(&db.url))
        .args(["seed", "--profile", "large", "--as-of", AS_OF])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while db.count(&format!(
        "SELECT count(*) FROM pg_stat_progress_copy p JOIN pg_database d ON d.oid = p.datid
         WHERE d.datname = '{}' AND p.tuples_processed > 5000",
        db.name
    )) == 0
    {
        assert!(started.elapsed() < Duration::from_secs(60), "the seed never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(status));
    assert!(
        String::from_utf8_lossy(&out.stderr).trim_end().ends_with(message),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::common::eventually("the end of ctodb's sessions", Duration::from_secs(5), || {
        crate::common::ctodb_sessions(&db.name) == 0
    });
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 0);
    assert_eq!(db.count("SELECT count(*) FROM projects"), 0);
}

#[test]
fn identifiers_are_never_grouped_and_are_taken_back_as_copied() {
    let db = TestDb::new("identifiers");
    db.run_status(&["seed", "--projects", "5", "--users", "6", "--bugs", "1500", "--days", "10"]);
    // the highest-numbered open bug, at the top of a listing sorted by creation
    let csv = db.run(&["bugs", "--all", "--sort", "created", "--limit", "200", "-f", "csv"]);
    let numbers: Vec<i64> = csv.lines().skip(1).filter_map(|l| l.split(',').next()?.parse().ok()).collect();
    let big = *numbers.iter().filter(|n| **n >= 1000).max().expect("a bug numbered 1000 or more");
    let grouped = format!("{},{:03}", big / 1000, big % 1000);
    let table = db.run(&["bugs", "--all", "--sort", "created", "--limit", "200", "-f", "table"]);
    let first_cells: Vec<String> = table
        .lines()
        .filter(|l| l.starts_with('│'))
        .filter_map(|l| l.split('┆').next())
        .map(|cell| cell.trim_matches(|c: char| c == '│' || c.is_whitespace()).to_string())
        .collect();
    assert!(first_cells.contains(&big.to_string()), "{table}");
    assert!(first_cells.iter().all(|cell| !cell.contains(',')), "a bug number was grouped: {first_cells:?}");
    // what a person copied from an older listing is taken back
    for typed in [big.to_string(), grouped.clone(), format!("#{big}")] {
        let shown = db.run(&["bug", "show", &typed, "-f", "csv"]);
        assert!(shown.contains(&format!("{big},")), "{typed}: {shown}");
    }
    let out = db.ctodb(&["bug", "show", "12x"]);
    assert_eq!(out.code(), 2);
    // migration versions as they are named
    let status = db.run(&["migrate", "status", "-f", "table"]);
    assert!(status.contains("20261125000000"), "{status}");
    assert!(!status.contains("20,261"), "{status}");
}

#[test]
fn no_color_means_any_value_and_an_extension_must_agree_with_the_format() {
    let db = TestDb::new("no_color");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    // on a terminal (util-linux `script` gives one): colour unless NO_COLOR holds anything
    let on_terminal = |no_color: Option<&str>| -> String {
        let command =
            format!("{} bugs --severity critical --as-of 2026-11-25T12:00:00Z", env!("CARGO_BIN_EXE_ctodb"));
        let mut script = std::process::Command::new("script");
        script.args(["-qec", &command, "/dev/null"]).env("DATABASE_URL", &db.url).env_remove("NO_COLOR");
        if let Some(value) = no_color {
            script.env("NO_COLOR", value);
        }
        let out = script.output().expect("script (util-linux) runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(on_terminal(None).contains("\u{1b}["), "critical bugs are red on a terminal");
    for value in ["1", "0", "false", "no"] {
        assert!(!on_terminal(Some(value)).contains("\u{1b}["), "NO_COLOR={value} kept the colours");
    }
    assert!(on_terminal(Some("")).contains("\u{1b}["), "an empty NO_COLOR is unset");
    // -f json -o x.csv would write JSON under a CSV name
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.csv");
    let out = db.ctodb(&["bugs", "-f", "json", "-o", file.to_str().unwrap()]);
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr_text().contains(&format!(
            "-o {}: the extension means CSV but -f says JSON; name the file .json or drop -f",
            file.display()
        )),
        "{}",
        out.stderr_text()
    );
    assert!(!file.exists());
}

#[test]
fn tables_fit_the_width_and_never_break_a_number() {
    let db = TestDb::new("table_widths");
    db.run_status(&[
        "seed",
        "--projects",
        "8",
        "--users",
        "6",
        "--bugs",
        "1500",
        "--days",
        "30",
        "--as-of",
        AS_OF,
    ]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    let table_at = |width: u16, args: &[&str]| -> (String, String) {
        let out: crate::common::CliOutput = ctodb_command(Some(&db.url))
            .env("COLUMNS", width.to_string())
            .args(args)
            .args(["--as-of", AS_OF, "-f", "table"])
            .output()
            .unwrap()
            .into();
        (out.ok(), out.stderr_text())
    };
    let listings: [&[&str]; 7] = [
        &["bugs", "--all", "--limit", "100"],
        &["bugs", "--severity", "critical"],
        &["projects", "--all"],
        &["report", "portfolio"],
        &["report", "sla"],
        &["report", "aging"],
        &["report", "engineering"],
    ];
    for args in listings {
        let csv = db.run(&[args, &["--as-of", AS_OF, "-f", "csv"]].concat());
        for width in [60u16, 80, 100, 120, 200] {
            let (table, said) = table_at(width, args);
            for line in table.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└'])) {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{args:?} at {width}: a line of {} columns:\n{table}",
                    line.chars().count()
                );
            }
            // a grid's cells are whole: no number, date or money split across lines, and
            // what is left out is named on stderr
            assert!(!table.lines().any(|l| l.starts_with('│') && l.contains("┆ ┆")), "{table}");
            if said.contains("not shown for the width") {
                assert!(said.contains("(--columns a,b,… chooses the columns; -f csv shows all)"), "{said}");
            }
            if args[0] == "bugs" {
                // every bug number of the CSV is in the table's first column, whole
                let numbers: Vec<&str> = csv.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
                let firsts: Vec<String> = table
                    .lines()
                    .filter(|l| l.starts_with('│'))
                    .filter_map(|l| l.split('┆').next())
                    .map(|c| c.trim_matches(|c: char| c == '│' || c.is_whitespace()).to_string())
                    .skip(1)
                    .collect();
                assert_eq!(firsts, numbers, "{args:?} at {width}");
            }
        }
    }
    // a money figure of the portfolio stays on one line at 80 columns
    let csv = db.run(&["report", "portfolio", "--as-of", AS_OF, "-f", "csv"]);
    let (table, _) = table_at(80, &["report", "portfolio"]);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let arr = header.iter().position(|h| *h == "total_arr").expect("total_arr in the portfolio");
    let value: rust_decimal::Decimal =
        csv.lines().nth(1).unwrap().split(',').nth(arr).unwrap().parse().unwrap();
    let grouped = {
        let text = format!("{:.2}", value);
        let (int, frac) = text.split_once('.').unwrap();
        let digits: Vec<char> = int.chars().collect();
        let mut out = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(*c);
        }
        format!("{out}.{frac}")
    };
    assert!(table.contains(&grouped), "{grouped} not whole in:\n{table}");
}

#[test]
fn a_record_wraps_its_text_at_words_and_shows_all_of_it() {
    let db = TestDb::new("record_wraps");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let description = db.run(&["bug", "show", "1", "-f", "json", "--as-of", AS_OF]);
    let description: serde_json::Value = serde_json::from_str(&description).unwrap();
    let description = description["bug"][0]["description"].as_str().unwrap().to_string();
    for width in [60u16, 80, 120] {
        let out: crate::common::CliOutput = ctodb_command(Some(&db.url))
            .env("COLUMNS", width.to_string())
            .args(["bug", "show", "1", "-f", "table", "--as-of", AS_OF])
            .output()
            .unwrap()
            .into();
        let table = out.ok();
        let record: Vec<&str> = table.lines().take_while(|l| !l.starts_with('└')).collect();
        // the description's lines, joined again, are the whole description: no `…`, no word
        // split across lines
        let at = record.iter().position(|l| l.starts_with("│ description ")).expect("a description line");
        let mut lines = vec![record[at]];
        lines.extend(record[at + 1..].iter().take_while(|l| l.split('┆').next().unwrap().trim() == "│"));
        let text: Vec<&str> =
            lines.iter().map(|l| l.split('┆').nth(1).unwrap().trim_end_matches('│').trim()).collect();
        assert_eq!(text.join(" "), description, "at {width}:\n{table}");
        assert!(lines.len() > 1 || width == 120, "at {width} the description wraps:\n{table}");
        // the id is whole; every line fits but where the id is wider than the room left
        assert!(table.contains("00000000-0000-4000-8000-000000000b01"));
        let id_row = 7 + "priority_at_last_refresh".len() + 36;
        for line in &record {
            assert!(line.chars().count() <= usize::from(width).max(id_row), "at {width}: {line}");
        }
    }
}

#[test]
fn local_time_shows_instants_in_the_zone_with_their_offset_and_csv_stays_utc() {
    let db = TestDb::new("local_time");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let show = |args: &[&str]| -> String {
        let out: crate::common::CliOutput = ctodb_command(Some(&db.url))
            .env("TZ", "America/New_York")
            .env("COLUMNS", "200")
            .args(["bug", "show", "1", "--as-of", AS_OF])
            .args(args)
            .output()
            .unwrap()
            .into();
        out.ok()
    };
    let created = |text: &str| -> String {
        text.lines()
            .find(|l| l.starts_with("│ created_at "))
            .unwrap()
            .split('┆')
            .nth(1)
            .unwrap()
            .trim_end_matches('│')
            .trim()
            .to_string()
    };
    let json: serde_json::Value = serde_json::from_str(&show(&["-f", "json", "--local-time"])).unwrap();
    let utc: chrono::DateTime<chrono::Utc> = json["bug"][0]["created_at"].as_str().unwrap().parse().unwrap();
    // JSON keeps UTC whatever --local-time says; the table says the local instant and its offset
    assert!(json["bug"][0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(created(&show(&["-f", "table"])), utc.format("%Y-%m-%d %H:%M").to_string());
    let local = utc.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap());
    assert_eq!(
        created(&show(&["-f", "table", "--local-time"])),
        local.format("%Y-%m-%d %H:%M-05:00").to_string()
    );
}

#[test]
fn projects_say_that_they_list_the_active_ones_unless_asked() {
    let db = TestDb::new("projects_hint");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let active = db.ctodb(&["projects", "-f", "csv", "--as-of", AS_OF]);
    assert_eq!(active.ok().lines().count(), 4, "three active projects and the header");
    assert!(active
        .stderr_text()
        .contains("active projects only: --all lists every status, --status S one of them"));
    let all = db.ctodb(&["projects", "--all", "-f", "csv", "--as-of", AS_OF]);
    assert_eq!(all.ok().lines().count(), 6);
    assert!(!all.stderr_text().contains("active projects only"));
}

#[test]
fn bug_show_names_the_stored_priority_and_the_one_computed_now() {
    let db = TestDb::new("bug_show_priorities");
    db.run_status(&["seed", "--as-of", AS_OF]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    // the refresh's audit row (its time) was written now: as if at the as-of
    db.written_before(AS_OF);
    let shown: serde_json::Value =
        serde_json::from_str(&db.run(&["bug", "show", "2", "-f", "json", "--as-of", AS_OF])).unwrap();
    let bug = &shown["bug"][0];
    assert_eq!(bug["priority_at_last_refresh"], serde_json::json!(47.5), "{shown}");
    assert!(bug["last_refresh"].is_string(), "{shown}");
    assert!(bug.get("priority").is_none());
    let table = db.run(&["bug", "show", "2", "-f", "table", "--as-of", AS_OF]);
    assert!(
        table.contains(
            "Priority as of 2026-11-25T12:00:00Z, term by term; the one above is computed then too"
        ),
        "{table}"
    );
    // now: the stored one is the last refresh's, and the listing says which it shows
    let table = db.run(&["bug", "show", "2", "-f", "table"]);
    assert!(table.contains("term by term; the stored one above is the last refresh's"), "{table}");
    let listed = db.ctodb(&["bugs", "-f", "csv"]);
    assert!(
        listed.stderr_text().contains("priority as the refresh of ")
            && listed.stderr_text().contains(" scored it, SLA state at "),
        "{}",
        listed.stderr_text()
    );
}

#[test]
fn doctor_wraps_its_details_at_words_within_the_width() {
    let db = TestDb::new("doctor_width");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let out: crate::common::CliOutput = ctodb_command(Some(&db.url))
        .env("COLUMNS", "80")
        .args(["doctor", "-f", "table"])
        .output()
        .unwrap()
        .into();
    let text = out.stdout_text();
    // wider only where one word (a socket path) cannot be broken
    let long: Vec<&str> = text
        .lines()
        .filter(|l| l.chars().count() > 80 && l.chars().skip(48).collect::<String>().contains(' '))
        .collect();
    assert!(long.is_empty(), "lines wider than 80: {long:?}");
    // a continued detail starts under the detail column, with a whole word
    let continued: Vec<&str> = text.lines().filter(|l| l.starts_with(&" ".repeat(48))).collect();
    assert!(!continued.is_empty(), "{text}");
    assert!(continued.iter().all(|l| !l[48..].starts_with(' ')), "{text}");
}
