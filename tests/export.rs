//! `ctodb export` and `ctodb snapshots` on the demo: what the Parquet files hold, read back
//! with the parquet crate and compared with the database; the manifest; atomic folders,
//! --force and --verify.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::common::TestDb;

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn read(path: &Path) -> (RecordBatch, parquet::file::metadata::ParquetMetaData) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let metadata = builder.metadata().as_ref().clone();
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (arrow_select_concat(&schema, &batches), metadata)
}

/// The batches of a file as one (the demo's tables fit one batch each).
fn arrow_select_concat(schema: &arrow_schema::SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    match batches {
        [one] => one.clone(),
        [] => RecordBatch::new_empty(schema.clone()),
        many => panic!("expected one batch, got {}", many.len()),
    }
}

fn exported(name: &str) -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new(name);
    db.run_status(&["seed", "--as-of", AS_OF]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    // the seed's and the refresh's audit rows were written now: as if at the as-of
    db.written_before(AS_OF);
    let dir = tempfile::tempdir().unwrap();
    let out = db.run_status(&["export", "--dir", dir.path().to_str().unwrap(), "--as-of", AS_OF]);
    assert!(out.starts_with("exported 2026-W48 to "), "{out}");
    (db, dir)
}

#[test]
fn every_table_is_written_with_faithful_types_and_a_manifest() {
    let (db, dir) = exported("export_types");
    let folder = dir.path().join("snapshot=2026-W48");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["snapshot"], "2026-W48");
    assert_eq!(manifest["as_of"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(manifest["formulas"], 1);
    assert!(
        manifest["database"].as_str().unwrap().ends_with("/ctodb_t_export_types"),
        "{}",
        manifest["database"]
    );
    let files = manifest["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "users.parquet",
            "projects.parquet",
            "bugs.parquet",
            "project_metrics.parquet",
            "monthly_metrics.parquet",
            "portfolio_metrics.parquet",
            "bug_history.parquet",
            "import_logs.parquet",
            "audit_log.parquet",
            "report_portfolio.parquet",
            "report_projects.parquet",
            "report_open_bugs.parquet",
            "report_sla.parquet",
            "report_trends.parquet",
            "report_engineering.parquet",
            "report_aging.parquet",
        ]
    );
    for file in files {
        let name = file["file"].as_str().unwrap();
        let table = name.strip_suffix(".parquet").unwrap();
        if table.starts_with("report_") {
            continue;
        }
        let (batch, _) = read(&folder.join(name));
        // every row, as the database counts them, and as the manifest says
        let count = db.count(&format!("SELECT count(*) FROM {table}"));
        assert_eq!(batch.num_rows() as i64, count, "{table}");
        assert_eq!(file["rows"].as_i64(), Some(count), "{table}");
        assert_eq!(
            file["bytes"].as_u64(),
            Some(std::fs::metadata(folder.join(name)).unwrap().len()),
            "{table}"
        );
        assert_eq!(file["sha256"].as_str().unwrap().len(), 64);
    }

    // bugs: every kind of column
    let (bugs, metadata) = read(&folder.join("bugs.parquet"));
    let schema = bugs.schema();
    let field = |name: &str| schema.field_with_name(name).unwrap().clone();
    // uuids as their canonical text by default, which every engine reads as ids
    assert_eq!(field("id").data_type(), &DataType::Utf8);
    assert_eq!(manifest["uuid"], "text");
    assert_eq!(manifest["schema_version"], crate::common::latest_migration().as_str());
    assert_eq!(field("revenue_impact_daily").data_type(), &DataType::Decimal128(12, 2));
    assert_eq!(field("priority_score").data_type(), &DataType::Decimal128(5, 2));
    assert!(
        matches!(field("severity").data_type(), DataType::Dictionary(_, value) if **value == DataType::Utf8)
    );
    assert_eq!(field("created_at").data_type().to_string(), "Timestamp(µs, \"UTC\")");
    assert!(matches!(field("labels").data_type(), DataType::List(_)));
    assert!(schema.field_with_name("search_vector").is_err(), "the generated column is not exported");
    assert!(!field("id").is_nullable() && field("assignee_id").is_nullable());
    // the Parquet logical types themselves
    let parquet_schema = metadata.file_metadata().schema_descr();
    let logical = |name: &str| {
        let i = (0..parquet_schema.num_columns()).find(|i| parquet_schema.column(*i).name() == name).unwrap();
        format!("{:?}", parquet_schema.column(i).logical_type_ref())
    };
    assert_eq!(logical("id"), "Some(String)");
    assert_eq!(logical("revenue_impact_daily"), "Some(Decimal(DecimalType { scale: 2, precision: 12 }))");

    // the values of bug #11 against the database
    let numbers = bugs.column_by_name("bug_number").unwrap().as_primitive::<Int64Type>();
    let row = (0..bugs.num_rows()).find(|i| numbers.value(*i) == 11).unwrap();
    let expected = db
        .client()
        .query_one(
            "SELECT id::text, (revenue_impact_daily * 100)::bigint, (priority_score * 100)::int,
                    (extract(epoch FROM created_at) * 1000000)::bigint, labels, severity::text
             FROM bugs WHERE bug_number = 11",
            &[],
        )
        .unwrap();
    let uuid = bugs.column_by_name("id").unwrap().as_string::<i32>().value(row);
    assert_eq!(uuid, expected.get::<_, String>(0));
    let revenue =
        bugs.column_by_name("revenue_impact_daily").unwrap().as_primitive::<Decimal128Type>().value(row);
    assert_eq!(revenue as i64, expected.get::<_, i64>(1), "45,000.00 a day, in cents");
    let score = bugs.column_by_name("priority_score").unwrap().as_primitive::<Decimal128Type>().value(row);
    assert_eq!(score as i32, expected.get::<_, i32>(2));
    let created =
        bugs.column_by_name("created_at").unwrap().as_primitive::<TimestampMicrosecondType>().value(row);
    assert_eq!(created, expected.get::<_, i64>(3));
    let labels = bugs.column_by_name("labels").unwrap().as_list::<i32>().value(row);
    let labels: Vec<&str> = labels.as_string::<i32>().iter().map(|l| l.unwrap()).collect();
    assert_eq!(labels, expected.get::<_, Vec<String>>(4));
    let severity = bugs.column_by_name("severity").unwrap().as_dictionary::<Int32Type>();
    let values = severity.values().as_string::<i32>();
    assert_eq!(values.value(severity.keys().value(row) as usize), expected.get::<_, String>(5));
    // NULLs stay NULL: unassigned bugs
    let unassigned = db.count("SELECT count(*) FROM bugs WHERE assignee_id IS NULL");
    assert_eq!(bugs.column_by_name("assignee_id").unwrap().null_count() as i64, unassigned);

    // jsonb and inet as text
    let (logs, _) = read(&folder.join("import_logs.parquet"));
    let errors = logs.column_by_name("errors").unwrap().as_string::<i32>();
    let parsed: Vec<Value> =
        (0..logs.num_rows()).map(|i| serde_json::from_str(errors.value(i)).unwrap()).collect();
    assert!(parsed.iter().any(|e| e.as_array().is_some_and(|a| a.len() == 3)), "{parsed:?}");
    let (audit, _) = read(&folder.join("audit_log.parquet"));
    assert_eq!(audit.schema().field_with_name("ip_address").unwrap().data_type(), &DataType::Utf8);

    // the report frames, from the same database snapshot
    let (portfolio, _) = read(&folder.join("report_portfolio.parquet"));
    assert_eq!(portfolio.num_rows(), 1);
    let total_arr = portfolio.column_by_name("total_arr").unwrap();
    assert_eq!(total_arr.data_type(), &DataType::Decimal128(18, 2));
    let (open, _) = read(&folder.join("report_open_bugs.parquet"));
    assert_eq!(open.schema().field_with_name("priority").unwrap().data_type(), &DataType::Decimal128(5, 2));
    // 2,750,000.00 in cents
    assert_eq!(total_arr.as_primitive::<Decimal128Type>().value(0), 275_000_000);
    let (open, _) = read(&folder.join("report_open_bugs.parquet"));
    assert_eq!(
        open.num_rows() as i64,
        db.count("SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress')")
    );
    let (trends, _) = read(&folder.join("report_trends.parquet"));
    assert_eq!(trends.num_rows(), 12);
    let schema = trends.schema();
    assert_eq!(schema.field_with_name("month").unwrap().data_type(), &DataType::Date32);
    // declared scales, whatever values a month has: a change with no value is still (38, 2)
    assert_eq!(
        schema.field_with_name("bugs_resolved_mom_pct").unwrap().data_type(),
        &DataType::Decimal128(38, 2)
    );
    assert_eq!(schema.field_with_name("resolution_rate").unwrap().data_type(), &DataType::Decimal128(38, 4));
    let (projects, _) = read(&folder.join("report_projects.parquet"));
    assert_eq!(projects.num_rows(), 5, "every project, not a page");

    // --uuid binary: Parquet's UUID type, the same ids, recorded in the manifest
    let path = dir.path().to_str().unwrap();
    db.run_status(&[
        "export",
        "--dir",
        path,
        "--id",
        "binary",
        "--uuid",
        "binary",
        "--tables",
        "bugs",
        "--reports",
        "none",
    ]);
    let folder = dir.path().join("snapshot=binary");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["uuid"], "binary");
    let names: Vec<&str> =
        manifest["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(names, ["bugs.parquet"], "--tables selects tables only, --reports none no frame");
    let (bugs, metadata) = read(&folder.join("bugs.parquet"));
    let field = bugs.schema().field_with_name("id").unwrap().clone();
    assert_eq!(field.data_type(), &DataType::FixedSizeBinary(16));
    assert_eq!(field.extension_type_name(), Some("arrow.uuid"));
    let parquet_schema = metadata.file_metadata().schema_descr();
    let id = (0..parquet_schema.num_columns()).find(|i| parquet_schema.column(*i).name() == "id").unwrap();
    assert_eq!(format!("{:?}", parquet_schema.column(id).logical_type_ref()), "Some(Uuid)");
    let numbers = bugs.column_by_name("bug_number").unwrap().as_primitive::<Int64Type>();
    let row = (0..bugs.num_rows()).find(|i| numbers.value(*i) == 11).unwrap();
    let bytes = bugs.column_by_name("id").unwrap().as_fixed_size_binary().value(row).to_vec();
    assert_eq!(uuid::Uuid::from_slice(&bytes).unwrap().to_string(), expected.get::<_, String>(0));
}

#[test]
fn any_report_writes_parquet_one_file_per_frame() {
    let db = TestDb::new("export_format");
    db.run_status(&["seed", "--as-of", AS_OF]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    // one frame: the file named, its format from the extension
    let projects = dir.path().join("projects.parquet");
    db.run(&["projects", "--all", "--as-of", AS_OF, "-o", projects.to_str().unwrap()]);
    let (batch, _) = read(&projects);
    assert_eq!(batch.num_rows(), 5);
    // the stored columns' own precision and scale: numeric(18,2), numeric(18,4)
    assert_eq!(
        batch.schema().field_with_name("dcf_valuation").unwrap().data_type(),
        &DataType::Decimal128(18, 2)
    );
    assert_eq!(
        batch.schema().field_with_name("roi_score").unwrap().data_type(),
        &DataType::Decimal128(18, 4)
    );
    // several frames: FILE's stem and the frame's name, each named on stderr
    let sla = dir.path().join("sla.parquet");
    let out = db.ctodb(&["report", "sla", "--as-of", AS_OF, "-f", "parquet", "-o", sla.to_str().unwrap()]);
    let status = out.status_only();
    for (frame, rows) in [("sla_compliance", 4), ("breached", 3), ("at_risk", 2)] {
        let file = dir.path().join(format!("sla.{frame}.parquet"));
        assert!(status.contains(&format!("wrote {} ({rows} rows)", file.display())), "{status}");
        assert_eq!(read(&file).0.num_rows(), rows);
    }
    assert!(!sla.exists());
    // a single frame may go to a pipe; several may not
    let piped = db.ctodb(&["bugs", "--as-of", AS_OF, "-f", "parquet"]);
    let batch = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(piped.stdout.clone()))
        .unwrap()
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(batch.num_rows(), 7);
    let several = db.ctodb(&["report", "sla", "--as-of", AS_OF, "-f", "parquet"]);
    assert_eq!(several.code(), 1);
    assert!(several.stderr_text().contains("this report has 3 frames"), "{}", several.stderr_text());
}

#[test]
fn snapshots_are_atomic_replaced_only_with_force_and_verified() {
    let (db, dir) = exported("export_atomic");
    let path = dir.path().to_str().unwrap();
    // a second export of the same week is refused before any query
    let again = db.ctodb(&["export", "--dir", path, "--as-of", AS_OF]);
    assert_eq!(again.code(), 1);
    let folder = dir.path().join("snapshot=2026-W48");
    assert_eq!(
        again.stderr_text().trim(),
        format!(
            "error: {} exists already; pass --force to replace it, or --id to export under another name",
            folder.display()
        )
    );
    // with --force it is replaced; only the finished folders remain
    db.client().batch_execute("INSERT INTO users (email, name) VALUES ('new@example.com', 'New')").unwrap();
    db.written_before(AS_OF);
    db.run_status(&["export", "--dir", path, "--as-of", AS_OF, "--force"]);
    db.run_status(&[
        "export",
        "--dir",
        path,
        "--id",
        "weekly-copy",
        "--tables",
        "users,bugs",
        "--compression",
        "snappy",
    ]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["snapshot=2026-W48", "snapshot=weekly-copy"]);
    let (users, _) = read(&folder.join("users.parquet"));
    assert_eq!(users.num_rows(), 7);

    let listed = db.run(&["snapshots", "--dir", path, "--verify", "-f", "csv"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "snapshot,as_of,files,rows,bytes,formulas,schema_version,uuid,verified");
    assert!(lines[1].starts_with("2026-W48,2026-11-25T12:00:00.000000Z,16,"), "{listed}");
    assert!(lines[2].starts_with("weekly-copy,") && lines[2].ends_with(",true"), "{listed}");
    // one byte changed in place, the size the same: the hash catches it
    let bugs = dir.path().join("snapshot=weekly-copy/bugs.parquet");
    let mut bytes = std::fs::read(&bugs).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&bugs, &bytes).unwrap();
    let verify = db.ctodb(&["snapshots", "--dir", path, "--verify", "-f", "csv"]);
    assert_eq!(verify.code(), 1);
    assert!(verify.stdout_text().lines().nth(2).unwrap().ends_with(",false"));
    assert!(
        verify.stderr_text().contains("snapshot=weekly-copy/bugs.parquet: sha-256 ")
            && verify.stderr_text().contains(" does not match the manifest"),
        "{}",
        verify.stderr_text()
    );
    bytes[middle] ^= 0x01;
    std::fs::write(&bugs, &bytes).unwrap();
    // a file changed after the export fails verification, naming it
    std::fs::write(dir.path().join("snapshot=weekly-copy/users.parquet"), b"not parquet").unwrap();
    let verify = db.ctodb(&["snapshots", "--dir", path, "--verify", "-f", "csv"]);
    assert_eq!(verify.code(), 1);
    assert!(verify.stdout_text().lines().nth(2).unwrap().ends_with(",false"));
    assert!(
        verify.stderr_text().contains("snapshot=weekly-copy/users.parquet: 11 bytes, the manifest says"),
        "{}",
        verify.stderr_text()
    );
}

#[test]
fn bad_destinations_and_options_fail_before_any_query() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    // no database is reachable: the checks come first
    let url = "postgres://nobody@127.0.0.1:1/none";
    let out = crate::common::ctodb_at(url, &["export", "--dir", file.to_str().unwrap()], None);
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text().starts_with(&format!("error: cannot create the export folder {}", file.display())),
        "{}",
        out.stderr_text()
    );
    let out = crate::common::ctodb_at(url, &["export", "--id", "../up"], None);
    assert_eq!(out.code(), 2);
    assert!(out.stderr_text().contains("cannot name a snapshot folder"), "{}", out.stderr_text());
    let out = crate::common::ctodb_at(
        url,
        &["export", "--dir", dir.path().to_str().unwrap(), "--tables", "bug"],
        None,
    );
    assert_eq!(out.code(), 2);
    let err = out.stderr_text();
    assert!(err.contains("invalid value 'bug' for '--tables <TABLE,...>'"), "{err}");
    assert!(err.contains("users, projects, bugs, project_metrics"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing written");
}

#[test]
fn duckdb_and_pyarrow_read_the_weekly_history_as_one_dataset() {
    let db = TestDb::new("export_duckdb");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    db.run_status(&["export", "--dir", path, "--as-of", AS_OF]);
    // a week later, two more bugs
    db.client()
        .batch_execute(
            "INSERT INTO bugs (project_id, title, severity, created_at)
             SELECT id, 'new', 'high', timestamptz '2026-11-30T12:00:00Z' FROM projects ORDER BY name LIMIT 2",
        )
        .unwrap();
    db.run_status(&["export", "--dir", path, "--as-of", "2026-12-02T12:00:00Z"]);
    let script = format!(
        r#"
import duckdb, json, pyarrow.parquet as pq
rows = duckdb.sql("SELECT snapshot, count(*) FROM read_parquet('{path}/snapshot=*/bugs.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1").fetchall()
for snapshot, count in rows:
    manifest = json.load(open('{path}/snapshot=' + snapshot + '/_manifest.json'))
    expected = [f['rows'] for f in manifest['files'] if f['file'] == 'bugs.parquet'][0]
    print(snapshot, count, expected)
money = duckdb.sql("SELECT sum(revenue_impact_daily)::VARCHAR FROM read_parquet('{path}/snapshot=2026-W48/bugs.parquet')").fetchall()[0][0]
print('money', money)
schema = pq.ParquetFile('{path}/snapshot=2026-W48/bugs.parquet').schema_arrow
print('id', schema.field('id').type)
print('revenue', schema.field('revenue_impact_daily').type)
print('created', schema.field('created_at').type)
"#
    );
    let out = crate::common::run_python(&script);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "2026-W48 12 12");
    assert_eq!(lines[1], "2026-W49 14 14");
    // the demo's revenue impact, cent for cent
    let total: String = db
        .client()
        .query_one("SELECT sum(revenue_impact_daily)::text FROM bugs WHERE title <> 'new'", &[])
        .unwrap()
        .get(0);
    assert_eq!(lines[2], format!("money {total}"));
    assert_eq!(lines[3], "id string");
    assert_eq!(lines[4], "revenue decimal128(12, 2)");
    assert_eq!(lines[5], "created timestamp[us, tz=UTC]");
}

/// Starts an export that blocks on its second table (projects) behind a lock this test
/// holds, and returns once it waits there: the child, the lock's transaction owner.
pub fn blocked_export(db: &TestDb, dir: &Path) -> (std::process::Child, postgres::Client) {
    let mut locker = db.client();
    locker.batch_execute("BEGIN; LOCK TABLE projects IN ACCESS EXCLUSIVE MODE").unwrap();
    let child = crate::common::ctodb_command(Some(&db.url))
        .args(["export", "--dir", dir.to_str().unwrap(), "--as-of", AS_OF])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock' AND query LIKE 'COPY (SELECT%FROM projects)%'",
        db.name
    );
    while db.count(&waiting) == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the export never reached projects");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, locker)
}

pub fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rows_written_during_an_export_are_in_none_of_its_files() {
    let db = TestDb::new("export_consistent");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let (child, mut locker) = blocked_export(&db, dir.path());
    // users are written already, bugs not yet: a user and a bug committed now (by the
    // session that holds projects, the only one that can read it) must be in neither file
    locker.batch_execute("INSERT INTO users (email, name) VALUES ('late2@example.com', 'Late 2')").unwrap();
    locker
        .batch_execute("INSERT INTO bugs (project_id, title) SELECT id, 'late' FROM projects LIMIT 1")
        .unwrap();
    locker.batch_execute("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let folder = dir.path().join("snapshot=2026-W48");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("_manifest.json")).unwrap()).unwrap();
    let rows = |file: &str| {
        manifest["files"].as_array().unwrap().iter().find(|f| f["file"] == file).unwrap()["rows"]
            .as_i64()
            .unwrap()
    };
    // the demo's 6 users and 12 bugs: what the database held when the export began
    assert_eq!((rows("users.parquet"), rows("bugs.parquet")), (6, 12));
    assert_eq!(read(&folder.join("users.parquet")).0.num_rows(), 6);
    assert_eq!(read(&folder.join("bugs.parquet")).0.num_rows(), 12);
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 13);
}

#[test]
fn a_killed_export_leaves_no_snapshot_and_the_next_one_cleans_up() {
    let db = TestDb::new("export_killed");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let (mut child, mut locker) = blocked_export(&db, dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    locker.batch_execute("ROLLBACK").unwrap();
    // the unfinished folder, and the lock file the dead process held (a lock no one holds
    // now: the next export takes it over)
    let mut left = leftovers(dir.path());
    left.sort();
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(left[0], ".snapshot=2026-W48.lock", "{left:?}");
    assert!(left[1].starts_with(".snapshot=2026-W48.tmp-"), "{left:?}");
    db.run_status(&["export", "--dir", dir.path().to_str().unwrap(), "--as-of", AS_OF]);
    assert_eq!(leftovers(dir.path()), ["snapshot=2026-W48"]);
}

#[test]
fn an_interrupted_export_exits_130_and_leaves_nothing() {
    let db = TestDb::new("export_interrupted");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let (child, mut locker) = blocked_export(&db, dir.path());
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    locker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    crate::common::eventually("the end of the export's session", std::time::Duration::from_secs(5), || {
        crate::common::ctodb_sessions(&db.name) == 0
    });
}

#[test]
fn reports_from_a_snapshot_equal_the_live_ones_with_no_server() {
    let (db, dir) = exported("export_reprint");
    let folder = dir.path().join("snapshot=2026-W48");
    let unreachable = "postgres://nobody@127.0.0.1:1/none";
    for args in [
        vec!["report", "portfolio"],
        vec!["report", "sla", "--limit", "2"],
        vec!["report", "aging"],
        vec!["report", "trends"],
        vec!["report", "engineering"],
        vec!["projects"],
        vec!["projects", "--all", "--sort", "valuation"],
        vec!["projects", "--status", "shipped", "--status", "deferred", "--sort", "health"],
        vec!["bugs"],
        vec!["bugs", "--severity", "critical", "--sort", "due"],
        vec!["bugs", "--breached", "--sort", "created", "--limit", "2", "--page", "2"],
        vec!["bugs", "--unassigned", "--status", "pending"],
        vec!["bugs", "--assignee", "linus@ctodb.dev", "--blocker"],
        vec!["bugs", "--project", "Atlas Payments", "--at-risk"],
    ] {
        let mut live = args.clone();
        live.extend(["--as-of", AS_OF, "-f", "json"]);
        let expected = db.run(&live);
        let mut stored = args.clone();
        stored.extend(["--snapshot", folder.to_str().unwrap(), "-f", "json"]);
        let out = crate::common::ctodb_at(unreachable, &stored, None);
        assert_eq!(out.ok(), expected, "{args:?}");
    }
    // by ID, from CTODB_EXPORT_DIR
    let by_id: crate::common::CliOutput = crate::common::ctodb_command(Some(unreachable))
        .env("CTODB_EXPORT_DIR", dir.path())
        .args(["report", "portfolio", "--snapshot", "2026-W48", "-f", "csv"])
        .output()
        .unwrap()
        .into();
    assert!(by_id.ok().starts_with("section,projects,active,"));
    // what a snapshot does not hold is refused, naming why
    let closed = crate::common::ctodb_at(
        unreachable,
        &["bugs", "--status", "closed", "--snapshot", folder.to_str().unwrap()],
        None,
    );
    assert_eq!(closed.code(), 1);
    assert!(closed.stderr_text().contains("a snapshot keeps the open bugs only"), "{}", closed.stderr_text());
    // the reports whose frames a snapshot does not store say so, and why, with no server
    for (report, why) in [
        (vec!["bugs"], "it counts bugs of every status, and a snapshot stores the open ones"),
        (vec!["daily", "--project", "Atlas Payments"], "it stores no per-project frames"),
        (vec!["monthly"], "it stores the trends frame instead"),
        (vec!["workload"], "it stores no per-person frames"),
        (vec!["team"], "it stores no per-person frames"),
        (vec!["sync"], "imports are a live matter"),
        (vec!["imports"], "it stores no import frame"),
    ] {
        let mut args = vec!["report"];
        args.extend(&report);
        args.extend(["--snapshot", folder.to_str().unwrap()]);
        let out = crate::common::ctodb_at(unreachable, &args, None);
        assert_eq!(out.code(), 1, "{args:?}");
        let stderr = out.stderr_text();
        let expected = format!("error: report {} cannot be read from a snapshot: {why}", report[0]);
        assert!(stderr.starts_with(&expected), "{stderr}");
        assert!(stderr.ends_with("(a snapshot stores the frames of: portfolio, projects, open_bugs, sla, trends, engineering, aging)\n"), "{stderr}");
    }
    let missing =
        crate::common::ctodb_at(unreachable, &["report", "portfolio", "--snapshot", "2020-W01"], None);
    assert_eq!(missing.code(), 1);
    assert!(
        missing.stderr_text().starts_with("error: no snapshot \"2020-W01\": "),
        "{}",
        missing.stderr_text()
    );
}

/// A value of an exported column in the text the comparison query gives for it.
fn rendered(array: &dyn Array, row: usize) -> String {
    use arrow_array::types::{Date32Type, Int16Type};
    if array.is_null(row) {
        return "NULL".to_string();
    }
    match array.data_type() {
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Decimal128(_, scale) => {
            let d = rust_decimal::Decimal::from_i128_with_scale(
                array.as_primitive::<Decimal128Type>().value(row),
                *scale as u32,
            );
            d.to_string()
        }
        DataType::FixedSizeBinary(16) => {
            uuid::Uuid::from_slice(array.as_fixed_size_binary().value(row)).unwrap().to_string()
        }
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::Dictionary(_, _) => {
            let d = array.as_dictionary::<Int32Type>();
            d.values().as_string::<i32>().value(d.keys().value(row) as usize).to_string()
        }
        DataType::Timestamp(_, _) => array.as_primitive::<TimestampMicrosecondType>().value(row).to_string(),
        DataType::Date32 => array.as_primitive::<Date32Type>().value(row).to_string(),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            let items = items.as_string::<i32>();
            let texts: Vec<String> = (0..items.len()).map(|i| items.value(i).to_string()).collect();
            serde_json::to_string(&texts).unwrap()
        }
        other => panic!("unexpected type {other}"),
    }
}

#[test]
fn every_value_of_every_table_reads_back_as_the_database_holds_it() {
    let db = TestDb::new("export_every_value");
    db.run_status(&[
        "seed",
        "--projects",
        "6",
        "--users",
        "8",
        "--bugs",
        "400",
        "--days",
        "20",
        "--as-of",
        AS_OF,
    ]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    // history, addresses of both families and none, instants around DST changes (Berlin
    // 2026-03-29 and New York 2026-11-01), written in a zone that has them
    db.client()
        .batch_execute(
            "UPDATE bugs SET status = 'in_progress' WHERE bug_number IN (1, 2, 3) AND status = 'pending';
             INSERT INTO audit_log (action, entity_type, ip_address) VALUES
                 ('test', 'x', '10.0.0.1'), ('test', 'x', '2001:db8::1/64'), ('test', 'x', NULL);
             SET TIME ZONE 'Europe/Berlin';
             UPDATE bugs SET created_at = '2026-03-29 01:59:59.999999', resolved_at = NULL, status = 'pending' WHERE bug_number = 10;
             UPDATE bugs SET created_at = '2026-03-29 03:00:00.000001', resolved_at = NULL, status = 'pending' WHERE bug_number = 11;
             SET TIME ZONE 'America/New_York';
             UPDATE bugs SET created_at = '2026-11-01 01:30:00-04', resolved_at = NULL, status = 'pending' WHERE bug_number = 12;
             UPDATE bugs SET created_at = '2026-11-01 01:30:00-05', resolved_at = NULL, status = 'pending' WHERE bug_number = 13;
             UPDATE bugs SET labels = ARRAY['with, comma', 'ü', ''] WHERE bug_number = 14;",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // as of now: the tables as they are (the changes above were made after AS_OF)
    db.run_status(&["export", "--dir", dir.path().to_str().unwrap(), "--id", "2026-W48"]);
    let folder = dir.path().join("snapshot=2026-W48");
    let mut client = db.client();
    let mut compared = 0;
    for table in [
        "users",
        "projects",
        "bugs",
        "project_metrics",
        "monthly_metrics",
        "portfolio_metrics",
        "bug_history",
        "import_logs",
        "audit_log",
    ] {
        let (batch, _) = read(&folder.join(format!("{table}.parquet")));
        // each column as text, the way `rendered` writes the Parquet side
        let columns: Vec<(String, String)> = client
            .query(
                "SELECT a.attname::text, t.typname::text, t.typtype::text FROM pg_attribute a
                 JOIN pg_type t ON t.oid = a.atttypid
                 WHERE a.attrelid = ('public.' || $1)::regclass AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attgenerated = '' ORDER BY a.attnum",
                &[&table],
            )
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        let expressions: Vec<String> = columns
            .iter()
            .map(|(name, ty)| {
                let value = match ty.as_str() {
                    "timestamptz" => format!("(extract(epoch FROM {name}) * 1000000)::bigint::text"),
                    "date" => format!("({name} - date '1970-01-01')::text"),
                    "_text" => format!("array_to_json({name})::text"),
                    "inet" => format!("CASE WHEN {name} IS NOT NULL THEN format('%s', {name}) END"),
                    _ => format!("{name}::text"),
                };
                format!("coalesce({value}, 'NULL')")
            })
            .collect();
        let sql = format!("SELECT {} FROM {table} ORDER BY id", expressions.join(", "));
        let expected: Vec<Vec<String>> = client
            .query(sql.as_str(), &[])
            .unwrap()
            .iter()
            .map(|row| (0..columns.len()).map(|i| row.get::<_, String>(i)).collect())
            .collect();
        assert_eq!(batch.num_columns(), columns.len(), "{table}");
        let mut actual: Vec<Vec<String>> = (0..batch.num_rows())
            .map(|row| batch.columns().iter().map(|array| rendered(array.as_ref(), row)).collect())
            .collect();
        // the id is the first column of every table: order both sides by its text
        actual.sort_by(|a, b| a[0].cmp(&b[0]));
        let mut expected = expected;
        expected.sort_by(|a, b| a[0].cmp(&b[0]));
        assert_eq!(actual.len(), expected.len(), "{table}");
        for (a, e) in actual.iter().zip(&expected) {
            for ((column, _), (got, want)) in columns.iter().zip(a.iter().zip(e)) {
                // JSON (text[] as a JSON array, jsonb) is compared as JSON: PostgreSQL
                // spaces its text differently
                let json = want.starts_with('[') || column == "changes" || column == "errors";
                if json && want != "NULL" {
                    let (g, w): (Value, Value) =
                        (serde_json::from_str(got).unwrap(), serde_json::from_str(want).unwrap());
                    assert_eq!(g, w, "{table}.{column}");
                } else {
                    assert_eq!(got, want, "{table}.{column}");
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 9_000, "only {compared} values compared");

    // and the same with pyarrow and DuckDB, against psycopg's reading of the database
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/compare_snapshot.py");
    let out = crate::common::run_python_with(&[script, folder.to_str().unwrap(), &db.url]);
    let tables: Vec<&str> = out.lines().map(|line| line.split(' ').next().unwrap_or_default()).collect();
    assert_eq!(
        tables,
        [
            "users",
            "projects",
            "bugs",
            "project_metrics",
            "monthly_metrics",
            "portfolio_metrics",
            "bug_history",
            "import_logs",
            "audit_log"
        ]
    );
    assert!(out.contains("bugs 400 20\n"), "{out}");
}

/// The manifest's schema of each report file (`report_*.parquet`), by file.
fn report_schemas(snapshot: &Path) -> std::collections::BTreeMap<String, Value> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot.join("_manifest.json")).unwrap()).unwrap();
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|n| n.starts_with("report_")))
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["schema"].clone()))
        .collect()
}

#[test]
fn every_report_column_has_one_type_whatever_the_week_holds() {
    // a week with nothing in it (every nullable column empty, every frame empty) and a
    // seeded, refreshed week: every report file has the same schema, byte for byte
    let empty = TestDb::new("export_types_empty");
    let full = TestDb::new("export_types_full");
    full.run_status(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    full.run_status(&["refresh", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    for (db, id) in [(&empty, "empty"), (&full, "full")] {
        let out = db.ctodb(&["export", "--dir", dir.path().to_str().unwrap(), "--id", id, "--as-of", AS_OF]);
        assert_eq!(out.code(), 0, "{}", out.stderr_text());
    }
    let (empty, full) = (
        report_schemas(&dir.path().join("snapshot=empty")),
        report_schemas(&dir.path().join("snapshot=full")),
    );
    assert_eq!(empty.keys().collect::<Vec<_>>(), full.keys().collect::<Vec<_>>());
    let drifting: Vec<String> = empty
        .iter()
        .filter(|(file, schema)| full[*file] != **schema)
        .map(|(file, schema)| format!("{file}:\n  empty {schema}\n  full  {}", full[file]))
        .collect();
    assert!(drifting.is_empty(), "report columns whose type depends on the data:\n{}", drifting.join("\n"));
    // and both are the types this version declares (src/snapshot/frame_types.json)
    let verified = crate::common::ctodb_command(None)
        .args(["snapshots", "--verify", "--dir", dir.path().to_str().unwrap(), "-f", "csv"])
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
}

/// Rewrites report files of a snapshot as an earlier version wrote them: each column
/// named is cast to the decimal type given (`open_bugs` keeps only the bugs not overdue,
/// a week where `hours_overdue` is all NULL), `priority` of bug `bad` set to `value`;
/// the manifest's rows, bytes, hash and schema follow, so the snapshot verifies but for
/// its types.
fn write_as_an_earlier_version(snapshot: &Path, casts: &[(&str, &str, u8, i8)], bad: Option<(i64, &str)>) {
    let casts: Vec<String> = casts.iter().map(|(f, c, p, s)| format!("({f:?}, {c:?}, {p}, {s})")).collect();
    let bad = bad.map_or("None".to_string(), |(bug, value)| format!("({bug}, {value:?})"));
    let script = format!(
        r#"
import decimal, hashlib, json, os, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
folder = {folder:?}
manifest = json.load(open(os.path.join(folder, "_manifest.json")))
casts, bad = [{casts}], {bad}
for name in sorted(set(f for f, _, _, _ in casts)):
    path = os.path.join(folder, "report_" + name + ".parquet")
    table = pq.read_table(path)
    if name == "open_bugs":
        table = table.filter(pc.is_null(table["hours_overdue"]))
    for f, column, precision, scale in casts:
        if f != name:
            continue
        values = table[column].to_pylist()
        if bad and column == "priority":
            values = [decimal.Decimal(bad[1]) if b == bad[0] else v for b, v in zip(table["bug"].to_pylist(), values)]
        typed = pa.array(values, pa.decimal128(precision, scale))
        table = table.set_column(table.schema.get_field_index(column), pa.field(column, typed.type), typed)
    pq.write_table(table, path)
    data = open(path, "rb").read()
    entry = [e for e in manifest["files"] if e["file"] == "report_" + name + ".parquet"][0]
    entry.update(rows=table.num_rows, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    for field in entry["schema"]:
        for f, column, precision, scale in casts:
            if f == name and field["name"] == column:
                field["type"] = "Decimal128(%d, %d)" % (precision, scale)
json.dump(manifest, open(os.path.join(folder, "_manifest.json"), "w"), indent=2)
"#,
        folder = snapshot.to_str().unwrap(),
        casts = casts.join(", "),
    );
    crate::common::run_python(&script);
}

#[test]
fn report_types_of_an_earlier_version_are_named_read_and_upgraded_exactly() {
    use arrow_array::types::DecimalType;
    let (db, dir) = exported("export_upgrade");
    let path = dir.path().to_str().unwrap();
    let snapshot = dir.path().join("snapshot=2026-W48");
    let offline = |args: &[&str]| -> crate::common::CliOutput {
        crate::common::ctodb_command(None).args(args).output().unwrap().into()
    };
    // the compliance rates (the lists below them come from the open bugs, filtered below)
    let sla = || -> String {
        let out = offline(&["report", "sla", "--snapshot", snapshot.to_str().unwrap(), "-f", "csv"]).ok();
        out.lines().filter(|l| l.starts_with("sla_compliance,")).collect::<Vec<_>>().join("\n")
    };
    let sla_before = sla();
    assert_eq!(sla_before.lines().count(), 4, "{sla_before}");
    write_as_an_earlier_version(
        &snapshot,
        &[
            ("open_bugs", "priority", 38, 2),
            ("open_bugs", "hours_overdue", 38, 0),
            ("sla", "compliance_rate", 38, 4),
        ],
        None,
    );
    // a copy with a value no declared type holds exactly
    let other = dir.path().join("snapshot=2026-W49");
    std::fs::create_dir(&other).unwrap();
    for entry in std::fs::read_dir(&snapshot).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), other.join(entry.file_name())).unwrap();
    }
    write_as_an_earlier_version(&other, &[("open_bugs", "priority", 38, 3)], Some((2, "47.505")));

    // named, file and column, with the fix
    let verified = offline(&["snapshots", "--verify", "--dir", path, "-f", "csv"]);
    assert_eq!(verified.code(), 1, "{}", verified.stderr_text());
    let warning = verified.stderr_text();
    for named in [
        "report_open_bugs.parquet: column priority is Decimal128(38, 2), declared Decimal128(5, 2)",
        "report_open_bugs.parquet: column hours_overdue is Decimal128(38, 0), declared Decimal128(12, 2)",
        "report_sla.parquet: column compliance_rate is Decimal128(38, 4), declared Decimal128(6, 4)",
        "`ctodb snapshots upgrade 2026-W48` rewrites them to the declared types",
        "report_open_bugs.parquet: column priority is Decimal128(38, 3), declared Decimal128(5, 2)",
    ] {
        assert!(warning.contains(named), "{named}: {warning}");
    }
    // read as it is, the same numbers
    assert_eq!(sla(), sla_before);

    // a value with more places than declared: refused, the snapshot as it was
    let manifest_before = std::fs::read(other.join("_manifest.json")).unwrap();
    let refused = offline(&["snapshots", "upgrade", "2026-W49", "--dir", path]);
    assert_eq!(refused.code(), 1);
    assert_eq!(
        refused.stderr_text().trim(),
        format!(
            "error: {}, column priority: 47.505 has more places than Decimal128(5, 2) keeps",
            other.join("report_open_bugs.parquet").display()
        )
    );
    assert_eq!(std::fs::read(other.join("_manifest.json")).unwrap(), manifest_before);
    std::fs::remove_dir_all(&other).unwrap();

    use std::os::unix::fs::MetadataExt;
    let untouched = std::fs::metadata(snapshot.join("report_projects.parquet")).unwrap().ino();
    let upgraded = offline(&["snapshots", "upgrade", "--dir", path, "-f", "csv"]);
    assert_eq!(
        upgraded.ok(),
        "snapshot,file,column,was,now\r\n\
         2026-W48,report_open_bugs.parquet,priority,\"Decimal128(38, 2)\",\"Decimal128(5, 2)\"\r\n\
         2026-W48,report_open_bugs.parquet,hours_overdue,\"Decimal128(38, 0)\",\"Decimal128(12, 2)\"\r\n\
         2026-W48,report_sla.parquet,compliance_rate,\"Decimal128(38, 4)\",\"Decimal128(6, 4)\"\r\n"
    );
    assert!(upgraded.stderr_text().contains("upgraded 1 of 1 snapshots"), "{}", upgraded.stderr_text());
    let verified = offline(&["snapshots", "--verify", "--dir", path, "-f", "csv"]);
    assert_eq!(verified.code(), 0, "{}", verified.stderr_text());
    // the unchanged files are the same files; the rewritten ones hold the same values
    assert_eq!(std::fs::metadata(snapshot.join("report_projects.parquet")).unwrap().ino(), untouched);
    assert_eq!(sla(), sla_before);
    let (bugs, _) = read(&snapshot.join("report_open_bugs.parquet"));
    let priority = bugs.column_by_name("priority").unwrap();
    assert_eq!(priority.data_type(), &DataType::Decimal128(5, 2));
    let overdue = bugs.column_by_name("hours_overdue").unwrap();
    assert_eq!((overdue.data_type(), overdue.null_count()), (&DataType::Decimal128(12, 2), bugs.num_rows()));
    // the demo's open bugs not overdue at T: #2 47.50, #5 22.15, #7 15.00, #12 7.00
    let numbers = bugs.column_by_name("bug").unwrap().as_primitive::<Int64Type>().values().to_vec();
    let scores: Vec<String> = (0..bugs.num_rows())
        .map(|i| Decimal128Type::format_decimal(priority.as_primitive::<Decimal128Type>().value(i), 5, 2))
        .collect();
    assert_eq!(
        (numbers, scores),
        (vec![2, 5, 7, 12], vec!["47.50".into(), "22.15".into(), "15.00".into(), "7.00".into()])
    );
    // a second upgrade has nothing to do
    let again = offline(&["snapshots", "upgrade", "--dir", path]);
    assert!(again.stderr_text().contains("upgraded 0 of 1 snapshots"), "{}", again.stderr_text());
    drop(db);
}

#[test]
fn snapshot_reads_need_no_server_and_read_no_connection_setting() {
    let (_db, dir) = exported("export_offline");
    let dead = crate::common::cluster::free_port();
    let html = dir.path().join("week.html");
    let html = html.to_str().unwrap();
    let snapshot = dir.path().join("snapshot=2026-W48");
    let snapshot = snapshot.to_str().unwrap();
    for args in [
        vec!["report", "portfolio", "--snapshot", snapshot, "-f", "csv"],
        vec!["report", "sla", "--snapshot", snapshot, "-f", "csv"],
        vec!["bugs", "--snapshot", snapshot, "-f", "csv"],
        vec!["projects", "--snapshot", snapshot, "-f", "csv"],
        vec!["report", "weekly", "--snapshot", snapshot, "--html", html],
        vec!["snapshots", "--dir", dir.path().to_str().unwrap(), "-f", "csv"],
    ] {
        let out: crate::common::CliOutput =
            crate::common::ctodb_command(Some("postgres://a:b:c@@[::1/bad?port=x"))
                .env("DATABASE_READ_URL", format!("postgres://nobody@127.0.0.1:{dead}/none"))
                .env("CTODB_READ_FALLBACK", "fail")
                .env("DATABASE_CONNECTION_LIMIT", "zero")
                .env("PGSSLCRL", "/nowhere")
                .args(&args)
                .output()
                .unwrap()
                .into();
        assert_eq!(out.code(), 0, "{args:?}: {}", out.stderr_text());
    }
    assert!(std::fs::read_to_string(dir.path().join("week.html")).unwrap().contains("<html"));
}
