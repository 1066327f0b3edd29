//! What a user installs and lives with: the version line, shell completions, the manual
//! page, spreadsheets read back as a spreadsheet user reads them, and `-o` extensions.

use std::process::Command;

use crate::common::{ctodb_command, python, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn ctodb(args: &[&str]) -> crate::common::CliOutput {
    ctodb_command(None).args(args).output().expect("the ctodb binary runs").into()
}

#[test]
fn the_version_names_formulas_schema_and_commit() {
    let line = ctodb(&["--version"]).ok();
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .max()
        .unwrap();
    let prefix = format!("ctodb {} (formulas: 1, schema: {newest}, commit: ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&prefix), "{line}");
    let commit = line.trim_end().trim_end_matches(')').rsplit(' ').next().unwrap();
    assert!(
        commit == "unknown" || commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
}

#[test]
fn bash_completes_commands_and_options() {
    let script = ctodb(&["completions", "bash"]).ok();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ctodb.bash");
    std::fs::write(&file, script).unwrap();
    // what bash does on `ctodb rep<TAB>` and `ctodb report sla --sn<TAB>`
    let complete = |words: &str| {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); \
             COMP_LINE=\"{words}\"; COMP_POINT=${{#COMP_LINE}}; _ctodb ctodb \"${{COMP_WORDS[-1]}}\" \
             \"${{COMP_WORDS[-2]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash").args(["-c", &program]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(complete("ctodb rep"), ["report"]);
    assert_eq!(complete("ctodb report sla --sn"), ["--snapshot"]);
    let reports = complete("ctodb report ''");
    for name in ["portfolio", "sla", "aging", "weekly", "engineering"] {
        assert!(reports.contains(&name.to_string()), "{reports:?}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(ctodb(&["completions", shell]).ok().contains("report"), "{shell}");
    }
    let bad = ctodb(&["completions", "tcsh"]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr_text().contains("invalid value 'tcsh'"), "{}", bad.stderr_text());
}

#[test]
fn the_manual_page_renders_with_man() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("ctodb.1");
    std::fs::write(&page, ctodb(&["man"]).ok()).unwrap();
    let rendered = Command::new("man")
        .args(["-l", page.to_str().unwrap()])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man runs (man-db, which .ci/run installs)");
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    let text = String::from_utf8_lossy(&rendered.stdout);
    for wanted in ["Run the numbers on a portfolio", "SUBCOMMANDS", "ctodb-report(1)", "DATABASE_URL"] {
        assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
    }
    // one page per command, each rendering
    let pages = dir.path().join("man1");
    let out = ctodb(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(out.status_only().trim_end(), format!("wrote 47 manual pages into {}", pages.display()));
    let sla = Command::new("man")
        .args(["-l", pages.join("ctodb-report-sla.1").to_str().unwrap()])
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sla.stdout);
    assert!(text.contains("--snapshot") && text.contains("ctodb report sla --snapshot 2026-W48"), "{text}");
}

#[test]
fn an_output_extension_ctodb_does_not_know_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.xlsb");
    let out = ctodb(&["report", "portfolio", "-o", path.to_str().unwrap()]);
    assert_eq!(out.code(), 2);
    assert_eq!(
        out.stderr_text().lines().next().unwrap(),
        format!(
            "error: -o {}: ctodb does not know the extension .xlsb; use one of .csv, .json, .ndjson, .jsonl, \
             .parquet, .xlsx, .txt, or name the format with -f",
            path.display()
        )
    );
    assert!(!path.exists());
}

#[test]
fn workbooks_hold_a_typed_sheet_per_frame() {
    let db = TestDb::new("xlsx_workbooks");
    db.run_status(&["seed", "--as-of", AS_OF]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("portfolio.xlsx");
    assert_eq!(db.run(&["report", "portfolio", "--as-of", AS_OF, "-o", book.to_str().unwrap()]), "");
    let bugs = dir.path().join("bugs.xlsx");
    db.run(&["bugs", "--all", "--as-of", AS_OF, "-o", bugs.to_str().unwrap()]);
    // openpyxl reads the cells' types, formats and the frozen header back
    let script = r#"
import sys, datetime, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
print(",".join(book.sheetnames))
overview = book["overview"]
print(overview.freeze_panes)
header = [c.value for c in overview[1]]
row = {h: c for h, c in zip(header, overview[2])}
arr = row["total_arr"]
print(type(arr.value).__name__, arr.value, arr.number_format)
print(type(row["open_bugs"].value).__name__, row["open_bugs"].value)
bugs = openpyxl.load_workbook(sys.argv[2])["bugs"]
header = [c.value for c in bugs[1]]
first = {h: c for h, c in zip(header, bugs[2])}
print(first["bug"].value, type(first["created_at"].value).__name__, first["created_at"].value.isoformat(), first["created_at"].number_format)
print(type(first["blocker"].value).__name__, first["blocker"].value)
print(bugs.max_row - 1)
"#;
    let out = Command::new(python())
        .args(["-c", script, book.to_str().unwrap(), bugs.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines[0], "overview,top_projects,top_bugs");
    assert_eq!(lines[1], "A2");
    // a whole amount reads back as a whole number, shown with two decimals
    assert_eq!(lines[2], "int 2750000 #,##0.00");
    assert_eq!(lines[3], "int 7");
    // the most urgent bug first: #11 of the demo, opened 4 days before the as-of, a blocker
    assert_eq!(lines[4], "11 datetime 2026-11-21T12:00:00 yyyy-mm-dd hh:mm:ss");
    assert_eq!(lines[5], "bool True");
    assert_eq!(lines[6], "12");

    // LibreOffice, headless, opens them as a spreadsheet user would and converts the
    // first sheet: numbers are numbers (unquoted, unformatted), instants date-times,
    // booleans booleans
    let profile = dir.path().join("lo-profile");
    let converted = Command::new("soffice")
        .args([
            &format!("-env:UserInstallation=file://{}", profile.display()),
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            dir.path().join("lo").to_str().unwrap(),
            book.to_str().unwrap(),
            bugs.to_str().unwrap(),
        ])
        .output()
        .expect("soffice runs (libreoffice-calc-nogui, which .ci/run installs)");
    assert!(converted.status.success(), "{}", String::from_utf8_lossy(&converted.stderr));
    let csv = std::fs::read_to_string(dir.path().join("lo/portfolio.csv")).unwrap();
    assert_eq!(csv.lines().nth(1), Some("5,3,1,1,0,2750000,13556259.82,20000,7,2,3,2,6"), "{csv}");
    let csv = std::fs::read_to_string(dir.path().join("lo/bugs.csv")).unwrap();
    let eleven = csv.lines().nth(1).unwrap();
    assert!(eleven.starts_with("11,medium,pending,79,"), "{eleven}");
    assert!(eleven.contains(",TRUE,") && eleven.contains("2026-11-21 12:00:00"), "{eleven}");
}

#[test]
fn a_large_import_shows_a_progress_bar_on_a_terminal_only() {
    let db = TestDb::new("import_progress");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bugs.csv");
    // 5 MB of new bugs: over the 4 MiB from which a file's reading shows a bar
    let mut text = String::from("project,title,description,severity,created_at\n");
    let mut n = 0;
    while text.len() < 5 << 20 {
        n += 1;
        text.push_str(&format!(
            "Atlas Payments,Generated bug {n},{},low,2026-11-20T10:00:00Z\n",
            "a description long enough to make the file large ".repeat(2)
        ));
    }
    std::fs::write(&file, &text).unwrap();
    // on a terminal (util-linux `script` gives it one): the bar, named, with its bytes
    let command = format!(
        "stty cols 200; {} import csv {} --kind bugs --dry-run",
        env!("CARGO_BIN_EXE_ctodb"),
        file.display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("DATABASE_URL", &db.url)
        .env("NO_COLOR", "1")
        .output()
        .expect("script (util-linux) runs");
    let seen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{seen}");
    assert!(seen.contains("reading [") && seen.contains("MiB"), "no progress bar: {seen}");
    assert!(
        seen.contains(&format!("{n} would be inserted")) || seen.contains(&format!("{n} inserted")),
        "{seen}"
    );
    // piped: no bar, only the summary
    let piped = db.ctodb(&["import", "csv", file.to_str().unwrap(), "--kind", "bugs", "--dry-run"]);
    assert_eq!(piped.code(), 0, "{}", piped.stderr_text());
    assert!(!piped.stderr_text().contains("reading ["), "{}", piped.stderr_text());
    assert!(!piped.stderr_text().contains('\u{1b}'), "escape codes when piped: {}", piped.stderr_text());
}

#[test]
fn help_fits_80_columns_with_the_commands_own_options_first() {
    let help: crate::common::CliOutput =
        crate::common::ctodb_command(None).env("COLUMNS", "80").arg("--help").output().unwrap().into();
    let text = help.ok();
    let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 80).collect();
    assert!(long.is_empty(), "lines wider than 80 columns: {long:?}");
    // an environment entry continues under its description, not at column 2
    assert!(text.contains("  CTODB_ENV_FILE               the settings file to read instead of ./.env,\n                               as --env-file\n"), "{text}");
    let bugs: crate::common::CliOutput = crate::common::ctodb_command(None)
        .env("COLUMNS", "80")
        .args(["bugs", "--help"])
        .output()
        .unwrap()
        .into();
    let bugs = bugs.ok();
    let own = bugs.find("--severity").expect("the command's own option");
    let heading = bugs.find("\nGlobal options:\n").expect("global options under their own heading");
    let global = bugs.find("--database-url").expect("a global option");
    assert!(own < heading && heading < global, "{bugs}");
}
