//! Every `ctodb …` line of README.md and reports/README.md runs, as written, against the
//! demo data (the snapshot lines against snapshots): no documented example can fail.
//! The lines of `sh` and `console` blocks run in document order, each with bash in a
//! scratch folder where `ctodb` is this build and HOME is the scratch folder's; the
//! crontab's lines run with its paths moved into a scratch folder.

use std::path::Path;
use std::process::Command;

use crate::common::TestDb;

/// The `ctodb` lines of a Markdown file's fenced blocks of these languages (a console
/// block's `$ ` prompt taken off, comments after `  #` kept: bash ignores them).
fn documented_lines(markdown: &str, languages: &[&str]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut inside: Option<bool> = None;
    for line in markdown.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            inside = match inside {
                None => Some(languages.contains(&fence.trim())),
                Some(_) => None,
            };
            continue;
        }
        if inside == Some(true) {
            let command = line.strip_prefix("$ ").unwrap_or(line);
            if command.starts_with("ctodb ") {
                lines.push(command.to_string());
            }
        }
    }
    lines
}

/// Runs one line with bash in `dir`, `ctodb` being this build; asserts exit 0 and no error.
fn run_line(db: &TestDb, dir: &Path, line: &str) {
    let bin = Path::new(env!("CARGO_BIN_EXE_ctodb")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new("bash");
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") || key.starts_with("DATABASE_") || key.starts_with("CTODB_") {
            command.env_remove(key);
        }
    }
    let out = command
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("DATABASE_URL", &db.url)
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "`{line}` exited {:?}: {stderr}", out.status.code());
    assert!(!stderr.contains("error:"), "`{line}`: {stderr}");
}

fn demo(test: &str) -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new(test);
    db.run_status(&["seed"]);
    db.run_status(&["refresh"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("home/.local/share/bash-completion/completions")).unwrap();
    (db, dir)
}

#[test]
fn every_ctodb_line_of_the_readme_runs() {
    let (db, dir) = demo("readme_lines");
    // the week before this one, so that `ctodb diff` has two snapshots to compare
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).to_rfc3339();
    let reports = dir.path().join("reports");
    db.run_status(&["export", "--id", "last-week", "--as-of", &week_ago, "--dir", reports.to_str().unwrap()]);
    let lines = documented_lines(include_str!("../README.md"), &["sh", "console"]);
    assert!(lines.len() >= 15, "{lines:?}");
    for line in &lines {
        run_line(&db, dir.path(), line);
    }
    // what the lines wrote is there
    for written in
        ["pending.csv", "portfolio.xlsx", "p.csv", "week.html", "home/.local/share/man/man1/ctodb.1"]
    {
        assert!(dir.path().join(written).is_file(), "{written} was not written");
    }
    assert!(dir.path().join("home/.local/share/bash-completion/completions/ctodb").is_file());
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE bug_number = 2 AND status = 'verified'"), 1);
}

#[test]
fn every_ctodb_line_of_the_snapshots_readme_runs() {
    let (db, dir) = demo("reports_readme_lines");
    let markdown = include_str!("../reports/README.md");
    let lines = documented_lines(markdown, &["sh", "console"]);
    assert!(lines.len() >= 6, "{lines:?}");
    for line in &lines {
        run_line(&db, dir.path(), line);
    }
    assert!(dir.path().join("reports/snapshot=2026-W48/_manifest.json").is_file());
    assert!(dir.path().join("week.html").is_file());

    // the crontab, its paths moved into a scratch folder holding the .env it names
    let srv = tempfile::tempdir().unwrap();
    std::fs::write(srv.path().join(".env"), format!("DATABASE_URL={}\n", db.url)).unwrap();
    let log = srv.path().join("ctodb.log");
    let bin = env!("CARGO_BIN_EXE_ctodb");
    let mut crontab = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            inside = line == "```crontab";
            continue;
        }
        if inside && !line.starts_with('#') && !line.trim().is_empty() {
            // five schedule fields, then the command
            let command = line.split_whitespace().skip(5).collect::<Vec<_>>().join(" ");
            crontab.push(
                command
                    .replace("/srv/ctodb", srv.path().to_str().unwrap())
                    .replace("/usr/local/bin/ctodb", bin)
                    .replace("/var/log/ctodb.log", log.to_str().unwrap()),
            );
        }
    }
    assert_eq!(crontab.len(), 2, "{crontab:?}");
    for line in &crontab {
        // cron's environment: no DATABASE_URL of its own (the .env gives it)
        let out = Command::new("bash")
            .arg("-c")
            .arg(line)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .output()
            .expect("bash runs");
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(out.status.success(), "`{line}` failed: {logged}");
        assert!(!logged.contains("error:"), "`{line}`: {logged}");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("refreshed at "), "{logged}");
    assert_eq!(
        std::fs::read_dir(srv.path().join("reports"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("snapshot="))
            .count(),
        1
    );
}
