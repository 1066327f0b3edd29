//! The weekly history as analysts read it (SPEC §8): the lines reports/README.md documents
//! for DuckDB, Polars, pandas and pyspark, run as written over two snapshots with a
//! migration that added a column between them, each reading every snapshot of the bugs
//! table as one dataset with a `snapshot` column, readable ids and exact decimals, counts
//! and values as the database held them at each export. README.md shows the same lines.

use std::path::Path;

use crate::common::TestDb;

const W48: &str = "2026-11-25T12:00:00Z";
const W49: &str = "2026-12-02T12:00:00Z";

/// The ```python blocks of reports/README.md that begin `# <engine>:`, by engine.
fn documented() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/README.md")).unwrap();
    text.split("```python\n")
        .skip(1)
        .filter_map(|block| {
            let code = block.split("```").next()?;
            let engine = code.strip_prefix("# ")?.split(':').next()?.to_string();
            Some((engine, code.to_string()))
        })
        .collect()
}

/// Runs a Python script in `dir` (where `reports/` is) and parses the JSON its last line
/// prints, asserting it ran.
fn run_script(dir: &Path, name: &str, code: &str) -> serde_json::Value {
    let script = dir.join(format!("{name}.py"));
    std::fs::write(&script, code).unwrap();
    let out =
        std::process::Command::new(crate::common::python()).arg(&script).current_dir(dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{name}: {e}: {stdout}"))
}

/// After an engine's documented block: the bugs per snapshot and bug #1 of each snapshot
/// (id, revenue impact, the migration's column), printed alike by every engine.
fn checks(engine: &str) -> &'static str {
    match engine {
        "duckdb" => {
            r#"
counts = dict(duckdb.sql("SELECT snapshot, count(*) FROM bugs GROUP BY 1").fetchall())
sample = duckdb.sql("SELECT snapshot, id, revenue_impact_daily, triage_note FROM bugs WHERE bug_number = 1 ORDER BY 1").fetchall()
types = {c: str(t) for c, t in zip(bugs.columns, bugs.types)}
"#
        }
        "polars" => {
            r#"
frame = bugs.collect()
counts = {r[0]: r[1] for r in frame.group_by("snapshot").len().iter_rows()}
sample = frame.filter(pl.col("bug_number") == 1).sort("snapshot").select("snapshot", "id", "revenue_impact_daily", "triage_note").rows()
types = {c: str(t) for c, t in frame.schema.items()}
"#
        }
        "pandas" => {
            r#"
counts = {k: int(v) for k, v in bugs.groupby("snapshot").size().items()}
one = bugs[bugs["bug_number"] == 1].sort_values("snapshot")
sample = [(r.snapshot, r.id, r.revenue_impact_daily, None if pd.isna(r.triage_note) else r.triage_note) for r in one.itertuples()]
types = {c: str(type(one[c].iloc[0]).__name__) for c in ["id", "revenue_impact_daily"]}
types.update({c: str(bugs[c].dtype) for c in ["severity", "created_at"]})
types["labels"] = type(one["labels"].iloc[0]).__name__
"#
        }
        "pyspark" => {
            r#"
counts = {r["snapshot"]: r["count"] for r in bugs.groupBy("snapshot").count().collect()}
sample = [(r["snapshot"], r["id"], r["revenue_impact_daily"], r["triage_note"]) for r in bugs.where("bug_number = 1").orderBy("snapshot").collect()]
types = {f.name: f.dataType.simpleString() for f in bugs.schema.fields}
"#
        }
        other => panic!("no checks for {other}"),
    }
}

const REPORT: &str = r#"
import json
from decimal import Decimal
print(json.dumps({
    "counts": dict(sorted(counts.items())),
    "sample": [[s, i, format(Decimal(str(r)), "f"), n] for s, i, r, n in sample],
    "id": types.get("id"),
    "revenue": types.get("revenue_impact_daily"),
    "other": [types.get(c) for c in ["severity", "created_at", "labels"]],
}))
"#;

#[test]
fn the_documented_lines_read_the_history_as_one_dataset_in_every_engine() {
    let db = TestDb::new("engines_history");
    db.run_status(&["seed", "--as-of", W48]);
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let export =
        |as_of: &str| db.run_status(&["export", "--dir", reports.to_str().unwrap(), "--as-of", as_of]);
    export(W48);
    // a migration that adds a column, and a week of work
    db.client()
        .batch_execute(
            "ALTER TABLE bugs ADD COLUMN triage_note text;
             UPDATE bugs SET triage_note = 'seen' WHERE bug_number = 1;
             INSERT INTO bugs (project_id, title, severity, created_at)
             SELECT id, 'new', 'high', timestamptz '2026-11-30T12:00:00Z' FROM projects ORDER BY name LIMIT 2;",
        )
        .unwrap();
    // the note was written now: as if written in the week the next export shows
    db.written_before(W49);
    export(W49);
    let (id, revenue): (String, String) = {
        let row = db
            .client()
            .query_one("SELECT id::text, revenue_impact_daily::text FROM bugs WHERE bug_number = 1", &[])
            .unwrap();
        (row.get(0), row.get(1))
    };
    // diff across the migration names the new column
    let diff = crate::common::ctodb_command(None)
        .args(["diff", "--dir", reports.to_str().unwrap(), "-f", "csv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&diff.stderr);
    assert!(diff.status.success(), "{stderr}");
    assert!(
        stderr.contains("bugs.parquet: new columns triage_note (the schema changed between the snapshots)"),
        "{stderr}"
    );

    let blocks = documented();
    let engines: Vec<&str> = blocks.iter().map(|(engine, _)| engine.as_str()).collect();
    assert_eq!(engines, ["duckdb", "polars", "pandas", "pyspark"]);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for (engine, code) in &blocks {
        // README shows each engine's line as written here
        let line = code.lines().find(|l| l.starts_with("bugs = ")).unwrap();
        assert!(readme.contains(line), "README.md lacks the {engine} line: {line}");
        let report = run_script(
            dir.path(),
            &format!("read_with_{engine}"),
            &format!("{code}{}{REPORT}", checks(engine)),
        );
        assert_eq!(report["counts"], serde_json::json!({"2026-W48": 12, "2026-W49": 14}), "{engine}");
        assert_eq!(
            report["sample"],
            serde_json::json!([["2026-W48", id, revenue, null], ["2026-W49", id, revenue, "seen"]]),
            "{engine}"
        );
        // ids as text, money as an exact decimal of the column's precision
        let expected = match engine.as_str() {
            "duckdb" => ("VARCHAR", "DECIMAL(12,2)"),
            "polars" => ("String", "Decimal(precision=12, scale=2)"),
            "pandas" => ("str", "Decimal"),
            _ => ("string", "decimal(12,2)"),
        };
        assert_eq!(
            (report["id"].as_str(), report["revenue"].as_str()),
            (Some(expected.0), Some(expected.1)),
            "{engine}"
        );
        // the enum as text, the instant in UTC to the microsecond, the labels as a list
        let other = match engine.as_str() {
            "duckdb" => ["VARCHAR", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]"],
            "polars" => ["Categorical", "Datetime(time_unit='us', time_zone='UTC')", "List(String)"],
            "pandas" => ["category", "datetime64[us, UTC]", "ndarray"],
            _ => ["string", "timestamp", "array<string>"],
        };
        assert_eq!(report["other"], serde_json::json!(other), "{engine}");
    }
}

#[test]
fn snapshots_of_either_uuid_encoding_are_read_alike() {
    let db = TestDb::new("engines_uuids");
    db.run_status(&["seed", "--as-of", W48]);
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let path = reports.to_str().unwrap();
    db.run_status(&["export", "--dir", path, "--as-of", W48, "--uuid", "binary"]);
    db.client()
        .batch_execute(
            "INSERT INTO bugs (project_id, title, severity, created_at)
             SELECT id, 'new', 'critical', timestamptz '2026-12-02T11:00:00Z' FROM projects ORDER BY name LIMIT 1",
        )
        .unwrap();
    db.run_status(&["export", "--dir", path, "--as-of", W49]);
    let offline = |args: &[&str]| -> crate::common::CliOutput {
        crate::common::ctodb_command(None).args(args).output().unwrap().into()
    };
    // diff joins the bugs of a binary and a text snapshot by id: one new bug (an hour old
    // at W49, not yet at risk), nothing else
    let diff = offline(&["diff", "--dir", path, "-f", "csv"]).ok();
    let opened: Vec<&str> =
        diff.lines().filter(|l| l.starts_with("bugs,") && l.contains(",opened,")).collect();
    assert_eq!(opened.len(), 1, "{diff}");
    assert!(opened[0].contains(",new,"), "{diff}");
    assert!(!diff.lines().any(|l| l.starts_with("bugs,") && l.contains(",resolved,")), "{diff}");
    // and the weekly page from either snapshot
    for id in ["2026-W48", "2026-W49"] {
        let page = dir.path().join(format!("{id}.html"));
        let out = offline(&[
            "report",
            "weekly",
            "--html",
            page.to_str().unwrap(),
            "--snapshot",
            &reports.join(format!("snapshot={id}")).display().to_string(),
        ]);
        out.status_only();
    }
}

/// A report frame read across an empty week (every nullable column NULL, no rows) and a
/// full one with each engine's documented line (the bugs file's, for the open bugs'
/// frame): every engine merges the two (one type per column) and keeps the values exactly
/// (#2's 0.50 hours left, not rounded to a whole hour).
#[test]
fn report_files_of_an_empty_and_a_full_week_read_as_one_with_no_loss() {
    let empty = TestDb::new("engines_report_empty");
    let full = TestDb::new("engines_report_full");
    full.run_status(&["seed", "--as-of", W49]);
    full.run_status(&["refresh", "--as-of", W49]);
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    empty.run_status(&["export", "--dir", reports.to_str().unwrap(), "--as-of", W48]);
    full.run_status(&["export", "--dir", reports.to_str().unwrap(), "--as-of", W49]);
    let checks = |engine: &str| -> &'static str {
        match engine {
            "duckdb" => {
                r#"
rows = [(r[0], r[1], r[2], r[3]) for r in duckdb.sql("SELECT snapshot, bug, hours_left, hours_overdue FROM bugs ORDER BY snapshot, bug").fetchall()]
types = [str(t) for c, t in zip(bugs.columns, bugs.types) if c in ("hours_left", "hours_overdue")]
"#
            }
            "polars" => {
                r#"
frame = bugs.collect().sort("snapshot", "bug")
rows = frame.select("snapshot", "bug", "hours_left", "hours_overdue").rows()
types = [str(frame.schema[c]) for c in ("hours_left", "hours_overdue")]
"#
            }
            "pandas" => {
                r#"
frame = bugs.sort_values(["snapshot", "bug"])
rows = [(r.snapshot, r.bug, None if pd.isna(r.hours_left) else r.hours_left, None if pd.isna(r.hours_overdue) else r.hours_overdue) for r in frame.itertuples()]
types = [type(frame[c].dropna().iloc[0]).__name__ for c in ("hours_left", "hours_overdue")]
"#
            }
            _ => {
                r#"
rows = [(r["snapshot"], r["bug"], r["hours_left"], r["hours_overdue"]) for r in bugs.orderBy("snapshot", "bug").collect()]
types = [f.dataType.simpleString() for f in bugs.schema.fields if f.name in ("hours_left", "hours_overdue")]
"#
            }
        }
    };
    let report = r#"
import json
from decimal import Decimal
exact = lambda v: None if v is None else format(Decimal(str(v)).quantize(Decimal("0.01")), "f")
print(json.dumps({"rows": [[s, int(b), exact(l), exact(o)] for s, b, l, o in rows], "types": types}))
"#;
    for (engine, code) in documented() {
        let code = code.replace("bugs.parquet", "report_open_bugs.parquet");
        let read = run_script(
            dir.path(),
            &format!("report_with_{engine}"),
            &format!("{code}{}{report}", checks(&engine)),
        );
        // the demo at W49: #1 2 h, #4 6 h and #11 24 h overdue; #2 half an hour, #5 12 h,
        // #7 480 h and #12 672 h left; the empty week adds no row
        assert_eq!(
            read["rows"],
            serde_json::json!([
                ["2026-W49", 1, null, "2.00"],
                ["2026-W49", 2, "0.50", null],
                ["2026-W49", 4, null, "6.00"],
                ["2026-W49", 5, "12.00", null],
                ["2026-W49", 7, "480.00", null],
                ["2026-W49", 11, null, "24.00"],
                ["2026-W49", 12, "672.00", null],
            ]),
            "{engine}"
        );
        let decimal = match engine.as_str() {
            "duckdb" => "DECIMAL(12,2)",
            "polars" => "Decimal(precision=12, scale=2)",
            "pandas" => "Decimal",
            _ => "decimal(12,2)",
        };
        assert_eq!(read["types"], serde_json::json!([decimal, decimal]), "{engine}");
    }
}
