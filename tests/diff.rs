//! `ctodb diff` between two snapshots of one demo database, with known changes made
//! between them (a bug opened, one resolved, one reopened, one escalated to critical, a
//! project archived, an ARR raised): every frame lists exactly those changes, with no
//! database configured; `--fail-on` exits 3 when its condition holds.

use std::path::Path;

use serde_json::Value;

use crate::common::{ctodb_command, CliOutput, TestDb};

const T0: &str = "2026-11-25T12:00:00Z";
const T1: &str = "2026-12-02T12:00:00Z";

/// ctodb with no database configured at all, in `dir`.
fn offline(dir: &Path, args: &[&str]) -> CliOutput {
    ctodb_command(None).current_dir(dir).args(args).output().expect("the ctodb binary runs").into()
}

/// Two weekly snapshots, w1 at T0 and w2 at T1, in `dir/reports`.
fn two_weeks(db: &TestDb, dir: &Path) {
    let at = |args: &[&str]| crate::common::ctodb_at(&db.url, args, Some(dir)).status_only();
    at(&["seed", "--as-of", T0]);
    at(&["refresh", "--as-of", T0]);
    at(&["export", "--as-of", T0, "--id", "w1"]);
    std::fs::write(
        dir.join("new.csv"),
        "project,title,severity,created_at,external_id\nAtlas Payments,Payouts stuck in review,critical,2026-11-28T09:00:00Z,D-1\n",
    )
    .unwrap();
    crate::common::ctodb_at(&db.url, &["import", "csv", "new.csv", "--kind", "bugs"], Some(dir)).ok();
    at(&["bug", "update", "7", "--status", "in_progress"]);
    at(&["bug", "update", "7", "--status", "verified"]);
    at(&["bug", "update", "12", "--severity", "critical"]);
    db.client()
        .batch_execute(
            "UPDATE bugs SET status = 'pending' WHERE bug_number = 10;
             UPDATE projects SET status = 'deferred' WHERE name = 'Beacon Analytics';
             UPDATE projects SET arr = 1500000 WHERE name = 'Atlas Payments';",
        )
        .unwrap();
    // the week's changes were made now: as if made before T1, which w2 shows
    db.written_before(T1);
    at(&["refresh", "--as-of", T1]);
    at(&["export", "--as-of", T1, "--id", "w2"]);
}

fn rows<'a>(document: &'a Value, frame: &str) -> &'a Vec<Value> {
    document[frame].as_array().unwrap_or_else(|| panic!("no frame {frame} in {document}"))
}

#[test]
fn diff_lists_exactly_the_changes_between_two_weeks() {
    let db = TestDb::new("diff_two_weeks");
    let dir = tempfile::tempdir().unwrap();
    two_weeks(&db, dir.path());
    // the two newest snapshots by default, no database anywhere
    let out = offline(dir.path(), &["diff", "-f", "json"]);
    assert!(out.stderr_text().contains("changes from 2026-11-25T12:00:00Z to 2026-12-02T12:00:00Z"));
    let document: Value = serde_json::from_str(&out.ok()).unwrap();

    let totals = |frame: &str| -> Vec<(String, Value, Value, Value, Value)> {
        rows(&document, frame)
            .iter()
            .map(|r| {
                (
                    r["metric"].as_str().unwrap().to_string(),
                    r["then"].clone(),
                    r["now"].clone(),
                    r["change"].clone(),
                    r["change_pct"].clone(),
                )
            })
            .collect()
    };
    let s = |t: &str| Value::String(t.to_string());
    let n = |x: f64| serde_json::json!(x);
    let i = |x: i64| serde_json::json!(x);
    // money: exact decimals (JSON strings), the metrics named in words
    let money = totals("portfolio");
    let names: Vec<&str> = money.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["total ARR", "total valuation", "total monthly infra cost"]);
    // Atlas Payments 1,200,000 → 1,500,000; 300,000 / 2,750,000 = 10.909…%
    assert_eq!(
        (&money[0].1, &money[0].2, &money[0].3, &money[0].4),
        (&s("2750000.00"), &s("3050000.00"), &s("300000.00"), &n(10.91))
    );
    for (metric, then, now, change, _) in &money {
        let cents = |v: &Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
        assert_eq!(cents(change), cents(now) - cents(then), "{metric}");
        assert!(then.as_str().unwrap().split('.').nth(1).is_some_and(|d| d.len() == 2), "{metric}: {then}");
    }
    // counts: whole numbers
    let expected = [
        // 7 open at T0 (1, 2, 4, 5, 7, 11, 12); at T1 7 is resolved, 10 reopened, 13 new
        ("open bugs", i(7), i(8), i(1), n(14.29)),
        // 1 and 2 at T0; 12 (escalated) and 13 (new) join them
        ("critical open bugs", i(2), i(4), i(2), n(100.0)),
        // 1, 4, 11 past due at T0; at T1 also 2, 5, 10, 12, 13
        ("SLA breaches", i(3), i(8), i(5), n(166.67)),
        ("active projects", i(3), i(2), i(-1), n(-33.33)),
        ("deferred projects", i(1), i(2), i(1), n(100.0)),
        ("cancelled projects", i(0), i(0), i(0), Value::Null),
    ];
    let counts = totals("counts");
    for (metric, then, now, change, pct) in expected {
        let row = counts.iter().find(|r| r.0 == metric).unwrap_or_else(|| panic!("{metric}"));
        assert_eq!((&row.1, &row.2, &row.3, &row.4), (&then, &now, &change, &pct), "{metric}");
    }

    let projects: Vec<(String, String, String, String)> = rows(&document, "projects")
        .iter()
        .map(|r| {
            let t = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (t("project"), t("change"), t("status_then"), t("status"))
        })
        .collect();
    let project = |name: &str, change: &str, then: &str, now: &str| {
        (name.to_string(), change.to_string(), then.to_string(), now.to_string())
    };
    assert_eq!(
        projects,
        vec![
            // status changes and crossings first (by name), then the largest moves
            project(
                "Atlas Payments",
                "health crossed 50, top valuation move, top roi move, top health move",
                "active",
                "active"
            ),
            project("Beacon Analytics", "status, top roi move, top health move", "active", "deferred"),
            project("Echo Voice Lab", "health crossed 80, top health move", "deferred", "deferred"),
            // open bugs aged a week: health and ROI move with no edit at all
            project("Drift Legacy CRM", "top roi move, top health move", "shipped", "shipped"),
            project("Comet Mobile", "top roi move", "active", "active"),
        ]
    );
    let atlas_row = rows(&document, "projects").iter().find(|r| r["project"] == "Atlas Payments").unwrap();
    assert_eq!(atlas_row["valuation_then"], s("8697556.12"));

    let bugs: Vec<(String, i64, String, String, String)> = rows(&document, "bugs")
        .iter()
        .map(|r| {
            let t = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (t("change"), r["bug"].as_i64().unwrap(), t("severity"), t("status_then"), t("status"))
        })
        .collect();
    let bug = |change: &str, n: i64, severity: &str, then: &str, now: &str| {
        (change.to_string(), n, severity.to_string(), then.to_string(), now.to_string())
    };
    assert_eq!(
        bugs,
        vec![
            // critical first, the most urgent first; one row a bug, every reason in it
            bug("newly breached", 2, "critical", "in_progress", "in_progress"),
            bug("newly breached, severity changed", 12, "critical", "in_progress", "in_progress"),
            bug("opened, newly breached", 13, "critical", "", "pending"),
            bug("newly breached", 5, "medium", "in_progress", "in_progress"),
            bug("reopened, newly breached", 10, "low", "closed", "pending"),
            bug("resolved", 7, "low", "pending", "verified"),
        ]
    );
    let twelve = rows(&document, "bugs").iter().find(|r| r["bug"] == 12).unwrap();
    assert_eq!(
        (twelve["severity_then"].as_str(), twelve["project"].as_str()),
        (Some("low"), Some("Echo Voice Lab"))
    );
    let thirteen = rows(&document, "bugs").iter().find(|r| r["bug"] == 13).unwrap();
    assert_eq!(thirteen["title"], "Payouts stuck in review");

    // --fail-on: a new critical bug and new breaches → 3; the frames are printed anyway
    let failed = offline(dir.path(), &["diff", "w1", "w2", "--fail-on", "new-critical", "-f", "csv"]);
    assert_eq!(failed.code(), 3, "{}", failed.stderr_text());
    assert!(failed.stdout_text().starts_with("section,metric,"));
    assert!(failed
        .stderr_text()
        .contains("warning: --fail-on: a critical bug was opened or became critical"));
    assert_eq!(offline(dir.path(), &["diff", "w1", "w2", "--fail-on", "new-breach", "-f", "csv"]).code(), 3);
    // one snapshot against itself: nothing changed, nothing fails
    let same = offline(
        dir.path(),
        &["diff", "w2", "w2", "--fail-on", "new-critical", "--fail-on", "new-breach", "-f", "json"],
    );
    assert_eq!(same.code(), 0, "{}", same.stderr_text());
    let document: Value = serde_json::from_str(&same.stdout_text()).unwrap();
    assert!(rows(&document, "bugs").is_empty() && rows(&document, "projects").is_empty());
    // snapshots of two formula versions: compared, with a warning naming both
    let older = dir.path().join("older");
    std::fs::create_dir(&older).unwrap();
    for entry in std::fs::read_dir(dir.path().join("reports/snapshot=w1")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), older.join(entry.file_name())).unwrap();
    }
    let manifest = older.join("_manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("\"formulas\": 1"), "{text}");
    std::fs::write(&manifest, text.replace("\"formulas\": 1", "\"formulas\": 0")).unwrap();
    let mixed = offline(dir.path(), &["diff", older.to_str().unwrap(), "w2", "-f", "csv"]);
    assert!(mixed.stderr_text().contains(
        "warning: the snapshots were computed with different formulas (version 0 and 1): valuations, ROI, health \
         and priorities may differ for that reason alone"
    ), "{}", mixed.stderr_text());
    assert_eq!(mixed.ok(), offline(dir.path(), &["diff", "w1", "w2", "-f", "csv"]).ok());
    // and an empty folder says what diff needs
    let empty = tempfile::tempdir().unwrap();
    let none = offline(empty.path(), &["diff", "--dir", "."]);
    assert_eq!(none.code(), 1);
    assert_eq!(
        none.stderr_text().trim(),
        "error: . holds 0 snapshots; diff needs two (`ctodb export` makes one a week), or name FROM and TO"
    );
}

/// Checks with Python's standard library that `path` is a well-formed SVG holding every
/// text of `wanted`, and returns how many polylines and rects it draws.
fn svg_holds(path: &Path, wanted: &[&str]) -> (usize, usize) {
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = '{http://www.w3.org/2000/svg}'
assert root.tag == ns + 'svg', root.tag
texts = [t.text or '' for t in root.iter(ns + 'text')]
for wanted in sys.argv[2:]:
    assert any(wanted in t for t in texts), (wanted, texts)
print(len(list(root.iter(ns + 'polyline'))), len(list(root.iter(ns + 'rect'))))
"#;
    let mut args = vec!["-c", script, path.to_str().unwrap()];
    args.extend_from_slice(wanted);
    let out = std::process::Command::new("python3").args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut numbers = text.split_whitespace().map(|n| n.parse::<usize>().unwrap());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

/// How many distinct byte values a PNG's decompressed pixels hold (Python's zlib): a blank
/// picture has one or two.
fn png_colours(path: &Path) -> usize {
    let script = r#"
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    if kind == b'IDAT':
        idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
print(len(set(zlib.decompress(idat))))
"#;
    let out =
        std::process::Command::new("python3").args(["-c", script, path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn charts_are_drawn_as_svg_and_png() {
    let db = TestDb::new("diff_charts");
    let dir = tempfile::tempdir().unwrap();
    two_weeks(&db, dir.path());
    let at = |args: &[&str]| crate::common::ctodb_at(&db.url, args, Some(dir.path())).ok();
    at(&["report", "trends", "--as-of", T1, "--chart", "trends.svg"]);
    let (lines, rects) = svg_holds(
        &dir.path().join("trends.svg"),
        &["opened", "resolved", "MTTR (right axis)", "bugs a month", "MTTR (hours)", "2026-11"],
    );
    // one MTTR line; bars for the months with bugs (the background is a rect too)
    assert_eq!(lines, 1);
    assert!(rects >= 4, "{rects}");
    at(&["report", "portfolio", "--as-of", T1, "--chart", "portfolio.svg"]);
    let (lines, _) = svg_holds(
        &dir.path().join("portfolio.svg"),
        &["valuation (DCF)", "ARR", "USD", "2026-11-25", "2026-12-02"],
    );
    assert_eq!(lines, 2);
    // from the snapshots, no database
    let out = offline(dir.path(), &["diff", "w1", "w2", "--chart", "moves.svg", "-f", "csv"]);
    out.ok();
    svg_holds(
        &dir.path().join("moves.svg"),
        &["Largest valuation moves", "Atlas Payments", "change in valuation (USD)"],
    );
    for png in ["trends.png", "moves.png"] {
        let args: Vec<&str> = if png == "trends.png" {
            vec!["report", "trends", "--snapshot", "w2", "--chart", png, "-f", "csv"]
        } else {
            vec!["diff", "--chart", png, "-f", "csv"]
        };
        offline(dir.path(), &args).ok();
        assert!(png_colours(&dir.path().join(png)) > 20, "{png} looks blank");
        // the title's text is drawn: dark pixels in the band above the plot, where only
        // the title is (without a font resvg draws no text at all)
        let title_pixels = crate::common::run_python_with(&[
            "-c",
            "import sys; from PIL import Image\n\
             img = Image.open(sys.argv[1]).convert('L')\n\
             print(sum(1 for x in range(img.width) for y in range(8, 36) if img.getpixel((x, y)) < 128))",
            dir.path().join(png).to_str().unwrap(),
        ]);
        let title_pixels: usize = title_pixels.trim().parse().unwrap();
        assert!(title_pixels > 150, "{png}: the title's text is missing ({title_pixels} dark pixels)");
    }
    let bad = offline(dir.path(), &["diff", "--chart", "moves.jpg"]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr_text().contains("\"moves.jpg\" must end in .svg or .png"), "{}", bad.stderr_text());
}

#[test]
fn the_weekly_page_holds_the_numbers_and_renders_in_a_browser() {
    let db = TestDb::new("diff_weekly");
    let dir = tempfile::tempdir().unwrap();
    two_weeks(&db, dir.path());
    // live, then from the snapshot with no database
    let live = crate::common::ctodb_at(
        &db.url,
        &["report", "weekly", "--html", "live.html", "--as-of", T1],
        Some(dir.path()),
    );
    assert_eq!(live.status_only().trim(), "wrote live.html");
    let offline_page = offline(dir.path(), &["report", "weekly", "--html", "w2.html", "--snapshot", "w2"]);
    assert_eq!(offline_page.status_only().trim(), "wrote w2.html");
    let script = r#"
import sys
from html.parser import HTMLParser
class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.links = [], [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ('src', 'href') and v]
    def handle_data(self, data):
        self.text.append(data)
page = Page()
page.feed(open(sys.argv[1], encoding='utf-8').read())
text = ' '.join(page.text)
assert 'script' not in page.tags, 'a script'
assert not page.links, page.links
assert page.tags.count('svg') == 3, page.tags.count('svg')
for wanted in sys.argv[2:]:
    assert wanted in text, wanted
print('ok')
"#;
    for page in ["live.html", "w2.html"] {
        let path = dir.path().join(page);
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                script,
                path.to_str().unwrap(),
                "Portfolio: the week",
                "3,050,000.00",
                "15,973,016.73",
                "What changed since the previous snapshot",
                "Payouts stuck in review",
                "reopened",
                "Largest valuation moves",
                "reopened, newly breached",
                "newly breached, severity changed",
                "total ARR",
                "SLA breaches",
                "Top priorities",
                "SLA breaches, most overdue first",
                "MTTR (hours)",
                "Portfolio valuation and ARR",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{page}: {}", String::from_utf8_lossy(&out.stderr));
    }
    for page in ["live.html", "w2.html"] {
        let html = std::fs::read_to_string(dir.path().join(page)).unwrap();
        // names are words everywhere: no column or metric shows its identifier
        for identifier in ["total_arr", "open_bugs", "sla_breaches", "hours_overdue"] {
            assert!(!html.contains(identifier), "{page} shows {identifier}");
        }
        // counts are whole numbers: the counts table has no decimal point
        let counts = html.split("<h3>Counts</h3>").nth(1).unwrap().split("</table>").next().unwrap();
        assert!(
            counts.contains("<td>open bugs</td><td class=\"n\">7</td><td class=\"n\">8</td>"),
            "{counts}"
        );
        for row in counts.split("<tr>").skip(2) {
            let cells: Vec<&str> = row
                .split("<td")
                .skip(1)
                .map(|c| c.split('>').nth(1).unwrap_or("").trim_end_matches("</td"))
                .collect();
            assert!(cells[1..4].iter().all(|c| !c.contains('.')), "a count with decimals: {cells:?}");
        }
        // one row a bug: bug 12 appears once in the bugs table, with both reasons
        let bugs = html.split("<h3>Bugs</h3>").nth(1).unwrap().split("</table>").next().unwrap();
        assert_eq!(bugs.matches("Echo Voice Lab").count(), 1, "{bugs}");
    }
    // printed on A4, every column of every table is on the page (a table wider than the
    // page would lose its right-hand columns): the PDF's text holds the last header of
    // each wide table
    let pdf = dir.path().join("w2.pdf");
    let url = format!("file://{}", dir.path().join("w2.html").display());
    let printed = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-pdf-header-footer",
            &format!("--user-data-dir={}", dir.path().join("pdf.profile").display()),
            &format!("--print-to-pdf={}", pdf.display()),
            &url,
        ])
        .output()
        .expect("chromium runs");
    assert!(printed.status.success() && pdf.is_file(), "{}", String::from_utf8_lossy(&printed.stderr));
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils, which .ci/run installs) runs");
    let text = String::from_utf8_lossy(&text.stdout);
    let size = std::process::Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo runs");
    let size = String::from_utf8_lossy(&size.stdout);
    assert!(size.contains("595.") || size.contains("612 x 792"), "not A4 or Letter: {size}");
    // (a header may wrap onto two lines in print: each of its words is looked for)
    let words: std::collections::HashSet<&str> = text.split_whitespace().collect();
    for header in ["hours overdue", "SLA state", "severity then", "change %", "due at"] {
        for word in header.split(' ') {
            assert!(words.contains(word), "the printed page lost the column {header:?}:\n{text}");
        }
    }

    // nothing moved between two snapshots of the same state: a note, not an empty chart
    crate::common::ctodb_at(
        &db.url,
        &["export", "--as-of", "2026-12-02T13:00:00Z", "--id", "w3"],
        Some(dir.path()),
    )
    .status_only();
    offline(dir.path(), &["report", "weekly", "--html", "w3.html", "--snapshot", "w3"]).status_only();
    let still = std::fs::read_to_string(dir.path().join("w3.html")).unwrap();
    assert!(still.contains("No valuation moved."), "no note");
    assert!(!still.contains("Largest valuation moves"));
    assert_eq!(still.matches("<svg").count(), 2);

    // headless Chromium (Debian's package, which .ci/run installs): a screenshot that is
    // not blank, and no console message (the page has no script and fetches nothing)
    // both pages: the live one and the one made from a snapshot alone
    for page in ["live.html", "w2.html"] {
        let shot = dir.path().join(format!("{page}.png"));
        let url = format!("file://{}", dir.path().join(page).display());
        let browser = std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1200,2400",
                "--enable-logging=stderr",
                "--v=0",
                &format!("--user-data-dir={}", dir.path().join(format!("{page}.profile")).display()),
                &format!("--screenshot={}", shot.display()),
                &url,
            ])
            .output()
            .expect("chromium runs (bash .ci/run installs it)");
        let log = String::from_utf8_lossy(&browser.stderr);
        assert!(browser.status.success(), "{page}: chromium failed: {log}");
        assert!(shot.is_file(), "{page}: no screenshot: {log}");
        let console: Vec<&str> =
            log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Failed to load resource")).collect();
        assert!(console.is_empty(), "{page}: {console:?}");
        assert!(png_colours(&shot) > 20, "{page}: the screenshot looks blank");
    }
}

/// Runs ctodb on a pseudo-terminal (util-linux `script`), 250 columns wide.
fn on_terminal(db: &TestDb, args: &str) -> String {
    let command = format!("stty cols 250; {} {args}", env!("CARGO_BIN_EXE_ctodb"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("DATABASE_URL", &db.url)
        .env("NO_COLOR", "1")
        .output()
        .expect("script (util-linux) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sparklines_show_on_a_terminal_and_never_in_csv() {
    let db = TestDb::new("diff_sparklines");
    let dir = tempfile::tempdir().unwrap();
    two_weeks(&db, dir.path());
    let trends = on_terminal(&db, &format!("report trends --as-of {T1}"));
    // 12 months: 2 bugs opened in October, 11 in November (seed), 1 in November (import)
    let opened = trends
        .lines()
        .find(|l| l.contains("bugs_opened ") && l.contains('▁'))
        .unwrap_or_else(|| panic!("{trends}"));
    assert!(opened.contains("▁▁▁▁▁▁▁▁▁▂█▁"), "{opened}");
    let projects = on_terminal(&db, &format!("projects --all --as-of {T1}"));
    assert!(projects.contains("opened_12m"), "{projects}");
    let atlas = projects.lines().find(|l| l.contains("Atlas Payments")).unwrap();
    assert!(atlas.contains('█'), "{atlas}");
    for args in [vec!["report", "trends", "--as-of", T1], vec!["projects", "--all", "--as-of", T1]] {
        let piped = db.run(&args);
        assert!(!piped.contains('▁') && !piped.contains("opened_12m"), "{piped}");
    }
}
