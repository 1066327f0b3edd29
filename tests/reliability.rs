//! Faults against a real server (RELIABILITY.md lists them): a backend terminated in the
//! middle of refresh, seed, import and export (the transaction runs again whole); the
//! server stopped under a command (one clear error, nothing partial, fine once it is
//! back); a listener that never answers; a password that appears nowhere; hostile names.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{admin, ctodb_command, CliOutput, TestDb};

const AS_OF: &str = "2026-11-25T12:00:00Z";

/// Starts ctodb against `db` in the background.
fn spawn(db: &TestDb, args: &[&str], dir: &Path) -> Child {
    ctodb_command(Some(&db.url))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ctodb binary runs")
}

/// Terminates the first ctodb backend of `db` that matches `busy` (a condition on
/// pg_stat_activity's columns, chosen so that the backend is inside the command's
/// transaction, not between two of its statements on a pooled connection); true when it
/// did before the command ended.
fn terminate_when_busy(db: &TestDb, child: &mut Child, after: Duration, busy: &str) -> bool {
    let mut admin = admin();
    let started = Instant::now();
    let sql = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'ctodb' AND ({busy}) LIMIT 1"
    );
    while started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if started.elapsed() >= after {
            let rows = admin.query(&sql, &[&db.name]).unwrap();
            if rows.first().is_some_and(|row| row.get::<_, bool>(0)) {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// In a transaction that has written: a seed, a refresh.
const WRITING: &str = "backend_xid IS NOT NULL AND state IN ('active', 'idle in transaction')";
/// Copying rows: an import's staging, an export's tables.
const COPYING: &str = "state = 'active' AND query ILIKE 'COPY%'";
/// Waiting on a lock: a read held up by another session.
const WAITING: &str = "state = 'active' AND wait_event_type = 'Lock'";

/// A bugs CSV of `rows` new bugs of one project: `TITLE i`, severity, external id `PREFIX-i`.
fn bugs_file(db: &TestDb, path: &Path, rows: usize, title: &str, severity: &str, prefix: &str) {
    let project: String = db.client().query_one("SELECT min(name) FROM projects", &[]).unwrap().get(0);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "project,title,severity,external_id").unwrap();
    for i in 0..rows {
        writeln!(file, "\"{project}\",{title} {i},{severity},{prefix}-{i}").unwrap();
    }
}

fn finish(child: Child) -> CliOutput {
    child.wait_with_output().unwrap().into()
}

#[test]
fn a_terminated_backend_is_retried_whole_and_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    // seed: the whole load runs again; the tables end as one clean seed leaves them
    let db = TestDb::new("fault_seed");
    let mut child = spawn(&db, &["seed", "--profile", "standard", "--as-of", AS_OF], dir.path());
    assert!(
        terminate_when_busy(&db, &mut child, Duration::from_millis(300), WRITING),
        "the seed ended before the fault"
    );
    let out = finish(child);
    let stderr = out.status_only();
    assert!(stderr.contains("trying again (1 of 3)"), "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 10_000);
    assert_eq!(db.count("SELECT count(*) FROM projects"), 180);
    let clean = TestDb::new("fault_seed_clean");
    clean.run_status(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    let tables = ["projects", "bugs", "project_metrics", "monthly_metrics"];
    let ids = |db: &TestDb| -> Vec<i64> {
        tables.iter().map(|t| db.count(&format!("SELECT count(*) FROM {t}"))).collect()
    };
    assert_eq!(ids(&db), ids(&clean));

    // refresh: retried; a second refresh then finds nothing to change
    let mut child = spawn(&db, &["refresh", "--as-of", AS_OF], dir.path());
    assert!(
        terminate_when_busy(&db, &mut child, Duration::ZERO, WRITING),
        "the refresh ended before the fault"
    );
    let stderr = finish(child).status_only();
    assert!(stderr.contains("trying again (1 of 3)"), "{stderr}");
    let again = db.run_status(&["refresh", "--as-of", AS_OF]);
    assert!(
        again.contains(": 0 bug priorities (0 closed bugs zeroed), 0 projects, 0 monthly rows"),
        "{again}"
    );

    // import: retried; every row once, one succeeded log row
    bugs_file(&db, &dir.path().join("many.csv"), 20_000, "Fault test", "low", "F");
    let bugs = db.count("SELECT count(*) FROM bugs");
    let mut child = spawn(&db, &["import", "csv", "many.csv", "--kind", "bugs", "-f", "csv"], dir.path());
    assert!(
        terminate_when_busy(&db, &mut child, Duration::ZERO, COPYING),
        "the import ended before the fault"
    );
    let out = finish(child);
    assert!(out.stderr_text().contains("trying again (1 of 3)"), "{}", out.stderr_text());
    assert!(out.ok().ends_with("many.csv,bugs,false,20000,20000,0,0,0\r\n"));
    assert_eq!(db.count("SELECT count(*) FROM bugs") - bugs, 20_000);
    assert_eq!(
        db.count("SELECT count(*) FROM import_logs WHERE target = 'many.csv' AND status = 'succeeded'"),
        1
    );

    // export: retried from scratch; one verified snapshot, no temporary folder
    let reports = dir.path().join("reports");
    let mut child = spawn(&db, &["export", "--dir", reports.to_str().unwrap(), "--id", "fault"], dir.path());
    assert!(
        terminate_when_busy(&db, &mut child, Duration::ZERO, COPYING),
        "the export ended before the fault"
    );
    let stderr = finish(child).status_only();
    assert!(stderr.contains("trying again (1 of 3)"), "{stderr}");
    let entries: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["snapshot=fault"]);
    db.run(&["snapshots", "--dir", reports.to_str().unwrap(), "--verify"]);

    // a read: retried, the same answer as without the fault
    let expected = db.run(&["bugs", "--all", "--limit", "500", "-f", "csv", "--as-of", AS_OF]);
    // the read waits on a lock held here, so its backend is there to be terminated
    let mut holder = db.client();
    let mut lock = holder.transaction().unwrap();
    lock.batch_execute("LOCK TABLE bugs IN ACCESS EXCLUSIVE MODE").unwrap();
    let mut child =
        spawn(&db, &["bugs", "--all", "--limit", "500", "-f", "csv", "--as-of", AS_OF], dir.path());
    assert!(terminate_when_busy(&db, &mut child, Duration::ZERO, WAITING), "the read ended before the fault");
    lock.rollback().unwrap();
    let out = finish(child);
    assert!(out.stderr_text().contains("trying again (1 of 3)"), "{}", out.stderr_text());
    assert_eq!(out.ok(), expected);
}

#[test]
fn a_listener_that_never_answers_stops_within_a_second_of_the_setting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // accept and keep every connection, never saying a word
    let keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            held.push(stream);
        }
        held.len()
    });
    let url = format!("postgres://nobody@127.0.0.1:{port}/ctodb");
    let started = Instant::now();
    let out: CliOutput = ctodb_command(Some(&url))
        .env("DATABASE_CONNECTION_TIMEOUT", "1")
        .args(["projects"])
        .output()
        .unwrap()
        .into();
    let elapsed = started.elapsed();
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text().trim(),
        format!(
            "error: timed out after 1 s connecting to PostgreSQL at 127.0.0.1:{port}; check the host and port, or \
             raise DATABASE_CONNECTION_TIMEOUT"
        )
    );
    assert!(elapsed < Duration::from_millis(1_900), "took {elapsed:?}");
    drop(keep);
}

#[test]
fn a_password_in_the_url_appears_in_no_output_file_or_row() {
    // a throwaway cluster where the role must give its password over TCP
    let (cluster, role, password) = crate::common::cluster::with_password_role();
    let url = format!("postgres://{role}:{password}@127.0.0.1:{}/ctodb_secret_scan", cluster.port);
    for setup in [&["migrate"][..], &["seed", "--as-of", AS_OF]] {
        let out = crate::common::ctodb_at(&url, setup, None);
        out.status_only();
        assert!(!out.stderr_text().contains(password));
    }
    let db = cluster.admin("ctodb_secret_scan");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), "name,arr\nAtlas Payments,-1\nNova,10\n").unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github");
    let repos = fixtures.join("repos.json").display().to_string();
    let issues = fixtures.join("issues-nova.json").display().to_string();
    // each command with the exit status it must end with: a scan of commands that failed
    // early would prove nothing
    let commands: Vec<(i32, Vec<&str>)> = vec![
        (0, vec!["-v", "projects"]),
        (0, vec!["-v", "bugs", "--all"]),
        (0, vec!["-v", "report", "portfolio"]),
        (0, vec!["-v", "search", "checkout"]),
        (0, vec!["-v", "refresh"]),
        (0, vec!["-v", "import", "csv", "p.csv", "--kind", "projects", "--skip-invalid"]),
        (1, vec!["-v", "import", "csv", "p.csv", "--kind", "projects"]),
        (0, vec!["-v", "export", "--dir", "reports", "--tables", "projects"]),
        (0, vec!["-v", "bug", "show", "1"]),
        (0, vec!["-v", "migrate", "status"]),
        (0, vec!["-v", "stats"]),
        (0, vec!["-v", "users"]),
        (0, vec!["-v", "project", "Atlas Payments"]),
        (0, vec!["-v", "bug", "update", "7", "--status", "in_progress", "--as", "ada@ctodb.dev"]),
        (0, vec!["-v", "report", "sla"]),
        (0, vec!["-v", "report", "trends", "--chart", "trends.svg"]),
        (0, vec!["-v", "report", "engineering"]),
        (0, vec!["-v", "report", "monthly"]),
        (2, vec!["-v", "report", "daily"]),
        (0, vec!["-v", "report", "daily", "--project", "Atlas Payments"]),
        (0, vec!["-v", "report", "workload"]),
        (0, vec!["-v", "report", "team"]),
        (0, vec!["-v", "report", "sync"]),
        (0, vec!["-v", "report", "imports"]),
        (0, vec!["-v", "report", "weekly", "--html", "week.html"]),
        (0, vec!["-v", "import", "github", "--repos", &repos, "--issues", &issues]),
        (0, vec!["-v", "migrate"]),
        (0, vec!["-v", "snapshots", "--dir", "reports", "--verify"]),
        (0, vec!["-v", "doctor"]),
        (0, vec!["-v", "quickstart"]),
        (1, vec!["-v", "bug", "show", "999999"]),
    ];
    let mut seen = String::new();
    assert!(commands.len() >= 30);
    for (status, args) in &commands {
        let out = crate::common::ctodb_at(&url, args, Some(dir.path()));
        assert_eq!(out.code(), *status, "`ctodb {}`: {}", args.join(" "), out.stderr_text());
        for text in [out.stdout_text(), out.stderr_text()] {
            assert!(!text.contains(password), "`ctodb {}` printed the password:\n{text}", args.join(" "));
            seen.push_str(&text);
        }
    }
    assert!(seen.contains("query "), "-v printed no query timing: the scan saw nothing");
    // a read URL's password too: a replica that answers (here the same server, as a role
    // of its own) and one that does not, where the error names the server
    let read_password = "staple-of-the-reader";
    let mut admin = cluster.admin("postgres");
    admin
        .batch_execute(&format!("CREATE ROLE ctodb_reader_pw LOGIN SUPERUSER PASSWORD '{read_password}'"))
        .unwrap();
    let answering =
        format!("postgres://ctodb_reader_pw:{read_password}@127.0.0.1:{}/ctodb_secret_scan", cluster.port);
    let silent = format!(
        "postgres://ctodb_reader_pw:{read_password}@127.0.0.1:{}/ctodb_secret_scan",
        crate::common::cluster::free_port()
    );
    for (read_url, said) in
        [(&answering, "reading from the replica at 127.0.0.1:"), (&silent, "does not answer")]
    {
        for args in [
            vec!["-v", "projects"],
            vec!["-v", "report", "portfolio"],
            vec!["-v", "export", "--dir", "reports", "--tables", "users", "--id", "read-url"],
            vec!["-v", "doctor"],
        ] {
            let out: crate::common::CliOutput = crate::common::ctodb_command(Some(&url))
                .env("DATABASE_READ_URL", read_url)
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap()
                .into();
            let text = format!("{}{}", out.stdout_text(), out.stderr_text());
            assert!(
                !text.contains(read_password),
                "`ctodb {}` printed the read URL's password:\n{text}",
                args.join(" ")
            );
            assert!(!text.contains(password), "`ctodb {}` printed the password:\n{text}", args.join(" "));
            if args[1] != "doctor" {
                assert!(out.stderr_text().contains(said), "{}", out.stderr_text());
            }
        }
    }
    // every file ctodb wrote: the rejects file, the snapshot and its manifest
    let mut files = 0;
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                let bytes = std::fs::read(&path).unwrap();
                for secret in [password, read_password] {
                    let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                    assert!(!found, "{} holds a password", path.display());
                }
            }
        }
    }
    assert!(files >= 4, "expected the rejects file and a snapshot, found {files} files");
    // and every row ctodb writes about itself
    let mut db = db;
    let count = |db: &mut postgres::Client, sql: &str| -> i64 { db.query_one(sql, &[]).unwrap().get(0) };
    let leaks = count(
        &mut db,
        &format!(
            "SELECT (SELECT count(*) FROM import_logs WHERE errors::text LIKE '%{password}%' OR target LIKE '%{password}%')
                  + (SELECT count(*) FROM audit_log WHERE changes::text LIKE '%{password}%' OR coalesce(entity_id, '') LIKE '%{password}%')"
        ),
    );
    assert_eq!(leaks, 0);
    assert!(count(&mut db, "SELECT count(*) FROM import_logs WHERE target = 'p.csv'") >= 2);
}

#[test]
fn hostile_names_titles_search_text_and_file_names_stay_data() {
    let db = TestDb::new("hostile_names");
    db.run_status(&["seed", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "Robert'); DROP TABLE bugs; --",
        "\"quoted\" name",
        "semi;colon, comma",
        "$1 $$dollar$$ \\backslash",
        "Ünïcödé 名前 🚀",
    ];
    let mut csv = String::from("name,description\n");
    for name in names {
        csv.push_str(&format!("\"{}\",\"{}\"\n", name.replace('"', "\"\""), name.replace('"', "\"\"")));
    }
    let file = "we're \"odd\" $(echo x).csv";
    std::fs::write(dir.path().join(file), &csv).unwrap();
    let out = crate::common::ctodb_at(
        &db.url,
        &["import", "csv", file, "--kind", "projects", "-f", "csv"],
        Some(dir.path()),
    );
    assert!(out.ok().contains(",projects,false,5,5,0,0,0"), "{}", out.stderr_text());
    for name in names {
        let found = db.client().query_one("SELECT count(*) FROM projects WHERE name = $1", &[&name]).unwrap();
        assert_eq!(found.get::<_, i64>(0), 1, "{name}");
        let shown = db.run(&["project", name, "-f", "csv"]);
        assert!(shown.contains("section,"), "{name}: {shown}");
        let search = db.ctodb(&["search", name, "-f", "csv"]);
        assert_eq!(search.code(), 0, "{name}: {}", search.stderr_text());
    }
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 12, "the bugs table is still there");
    // an export folder with quotes and spaces; an id that could not name a folder is a
    // usage error
    let reports = dir.path().join("it's \"here\" $(x)");
    db.run_status(&["export", "--dir", reports.to_str().unwrap(), "--id", "x-y", "--tables", "projects"]);
    assert!(reports.join("snapshot=x-y").join("projects.parquet").is_file());
    let refused = db.ctodb(&["export", "--dir", reports.to_str().unwrap(), "--id", "../x'y"]);
    assert_eq!(refused.code(), 2);
}

/// When a command counts as having begun its work, for a signal sent then.
#[derive(Clone, Copy)]
enum Busy<'a> {
    /// an import whose COPY has taken more than a thousand rows
    Copying,
    /// a transaction that has written (it holds a transaction id)
    Writing,
    /// an export whose temporary folder exists in this folder and whose COPY has sent rows
    Exporting(&'a Path),
}

/// Sends `signal` to the command once it is `busy`; returns its output.
fn signal_when_busy(db: &TestDb, mut child: Child, signal: &str, busy: Busy<'_>) -> CliOutput {
    let mut admin = admin();
    let started = Instant::now();
    let sql = match busy {
        Busy::Copying => {
            "SELECT count(*) FROM pg_stat_progress_copy p JOIN pg_database d ON d.oid = p.datid
             WHERE d.datname = $1 AND p.tuples_processed > 1000"
        }
        Busy::Writing => {
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = 'ctodb' AND backend_xid IS NOT NULL"
        }
        Busy::Exporting(_) => {
            "SELECT count(*) FROM pg_stat_progress_copy p JOIN pg_database d ON d.oid = p.datid
             WHERE d.datname = $1 AND p.command = 'COPY TO' AND p.tuples_processed > 0"
        }
    };
    let folder_made = || match busy {
        Busy::Exporting(dir) => std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        }),
        _ => true,
    };
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the command ended before the signal");
        assert!(started.elapsed() < Duration::from_secs(60), "the command never got busy");
        let busy: i64 = admin.query_one(sql, &[&db.name]).unwrap().get(0);
        if busy > 0 && folder_made() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    finish(child)
}

#[test]
fn sigterm_stops_import_refresh_and_export_leaving_nothing() {
    let db = TestDb::new("sigterm_long_commands");
    db.run_status(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    bugs_file(&db, &dir.path().join("big.csv"), 200_000, "Signal test", "low", "S");
    let tables = ["projects", "bugs", "bug_history", "monthly_metrics", "portfolio_metrics"];
    let before = db.fingerprint(&tables);
    let reports = dir.path().join("reports");
    let commands: Vec<Vec<&str>> = vec![
        vec!["import", "csv", "big.csv", "--kind", "bugs"],
        vec!["refresh", "--as-of", "2026-11-27T12:00:00Z"],
        vec!["export", "--dir", reports.to_str().unwrap(), "--id", "stopped"],
    ];
    for args in &commands {
        let busy = match args[0] {
            "import" => Busy::Copying,
            "refresh" => Busy::Writing,
            _ => Busy::Exporting(&reports),
        };
        let out = signal_when_busy(&db, spawn(&db, args, dir.path()), "-TERM", busy);
        assert_eq!(out.code(), 143, "`ctodb {}`: {}", args.join(" "), out.stderr_text());
        assert!(out.stderr_text().trim_end().ends_with("interrupted (SIGTERM)"), "{}", out.stderr_text());
        let what = format!("the end of `ctodb {}`'s session", args.join(" "));
        crate::common::eventually(&what, Duration::from_secs(5), || {
            crate::common::ctodb_sessions(&db.name) == 0
        });
        assert_eq!(db.fingerprint(&tables), before, "`ctodb {}` changed the tables", args.join(" "));
    }
    // the import's log row says how it ended
    let (status, errors): (String, serde_json::Value) = {
        let all: Vec<String> = db
            .client()
            .query("SELECT target || status || errors::text FROM import_logs", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let row = db
            .client()
            .query_one("SELECT status, errors FROM import_logs WHERE target = 'big.csv'", &[])
            .unwrap_or_else(|e| panic!("{e}: {all:?}"));
        (row.get(0), row.get(1))
    };
    assert_eq!(status, "failed");
    assert_eq!(errors[0]["message"], "interrupted (SIGTERM)");
    // nothing left in the folder but the input: no rejects, no snapshot, no temporary folder
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let reports_left: Vec<String> = std::fs::read_dir(&reports)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert!(left == ["big.csv"] || left == ["big.csv", "reports"], "{left:?}");
    assert!(reports_left.is_empty(), "{reports_left:?}");
}

#[test]
fn the_server_stopped_under_a_seed_gives_one_error_and_nothing_partial() {
    let dir = tempfile::Builder::new().prefix("ctodb-stop-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cluster = dir.path();
    let ctodb = |args: &[&str]| -> std::process::Command {
        let mut command = ctodb_command(None);
        command.env("CTODB_LOCAL", cluster).args(args);
        command
    };
    let run = |args: &[&str]| -> CliOutput { ctodb(args).output().unwrap().into() };
    let _stops = crate::common::StopsCluster(cluster.to_path_buf());
    run(&["local", "start"]).status_only();
    run(&["migrate"]).status_only();
    let child = ctodb(&["seed", "--profile", "large", "--as-of", AS_OF])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // stop the server once the seed's COPY has taken rows
    let mut watcher = postgres::Config::new()
        .host_path(cluster)
        .port(5432)
        .user(&crate::common::os_user())
        .dbname("postgres")
        .connect(postgres::NoTls)
        .unwrap();
    crate::common::eventually("the seed's COPY", Duration::from_secs(60), || {
        watcher
            .query_one("SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 0", &[])
            .unwrap()
            .get::<_, i64>(0)
            > 0
    });
    drop(watcher);
    run(&["local", "stop"]).status_only();
    let out = finish(child);
    assert_eq!(out.code(), 1, "{}", out.stderr_text());
    let stderr = out.stderr_text();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&format!("PostgreSQL at {}/.s.PGSQL.5432", cluster.display())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // the server back: nothing of the seed is there, and it runs to the end
    run(&["local", "start"]).status_only();
    let stats = run(&["projects", "-f", "csv"]).ok();
    assert_eq!(stats.lines().count(), 1, "{stats}");
    run(&["seed", "--as-of", AS_OF]).status_only();
    assert_eq!(run(&["projects", "-f", "csv"]).ok().lines().count(), 4);
    run(&["local", "destroy", "--force"]).status_only();
}

/// The values refresh computes, in one digest: bug priorities, project scores, monthly
/// roll-ups and the day's portfolio figures (not their wall-clock stamps).
fn computed(db: &TestDb) -> String {
    db.client()
        .query_one(
            "SELECT md5(concat_ws('|',
                (SELECT string_agg(bug_number || ':' || priority_score, ',' ORDER BY bug_number) FROM bugs),
                (SELECT string_agg(name || ':' || coalesce(dcf_valuation::text, '') || ':' || coalesce(roi_score::text, '')
                                   || ':' || coalesce(health_score::text, ''), ',' ORDER BY name) FROM projects),
                (SELECT string_agg(concat_ws(':', project_id, month, bugs_opened, bugs_resolved, sla_breaches,
                                             resolution_hours), ',' ORDER BY project_id, month) FROM monthly_metrics),
                (SELECT string_agg(concat_ws(':', snapshot_date, open_bugs, critical_open_bugs, total_valuation),
                                   ',' ORDER BY snapshot_date) FROM portfolio_metrics)))",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn two_refreshes_at_once_end_as_one_refresh() {
    let twice = TestDb::new("refresh_twice");
    let once = TestDb::new("refresh_once");
    for db in [&twice, &once] {
        db.run_status(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    }
    let night = "2026-11-27T02:00:00Z";
    once.run_status(&["refresh", "--as-of", night]);
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("resume");
    // the first holds the refresh lock and waits; the second must wait for it
    let mut first = paused(&twice, &["refresh", "--as-of", night], "refresh:locked", &resume);
    let mut second = spawn(&twice, &["refresh", "--as-of", night], dir.path());
    let said = crate::common::read_until(&mut second, "another refresh is running; waiting for it to finish");
    std::fs::write(&resume, "").unwrap();
    let first_status = first.0.wait().unwrap();
    assert!(first_status.success());
    let second = finish(second);
    let rest = second.status_only();
    assert!(
        rest.contains(": 0 bug priorities (0 closed bugs zeroed), 0 projects, 0 monthly rows"),
        "the second refresh, after waiting ({said}), changed something: {rest}"
    );
    assert_eq!(computed(&twice), computed(&once));
}

/// Starts ctodb with `args`, pausing at `step` until `resume` exists; returns once it is
/// there.
fn paused(db: &TestDb, args: &[&str], step: &str, resume: &Path) -> (Child, String) {
    let mut command = crate::common::ctodb_command(Some(&db.url));
    command.args(args);
    crate::common::spawn_paused(command, step, Some(resume))
}

#[test]
fn a_refresh_during_an_import_waits_for_it_and_both_land() {
    let db = TestDb::new("refresh_during_import");
    db.run_status(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("resume");
    bugs_file(&db, &dir.path().join("many.csv"), 3_000, "Concurrent", "critical", "C");
    // the import has merged its rows and holds its lock, not committed yet
    let mut command = crate::common::ctodb_command(Some(&db.url));
    command.args(["import", "csv", "many.csv", "--kind", "bugs"]).current_dir(dir.path());
    let (import, _) = crate::common::spawn_paused(command, "import:merged", Some(&resume));
    let refresh = spawn(&db, &["refresh", "--as-of", AS_OF], dir.path());
    // the refresh waits on the import's lock: the overlap happened
    let started = Instant::now();
    while db.count(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'ctodb' AND {WAITING}",
        db.name
    )) == 0
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the refresh never waited for the import");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(&resume, "").unwrap();
    let (import, refresh) = (finish(import), finish(refresh));
    assert_eq!(import.code(), 0, "{}", import.stderr_text());
    assert_eq!(refresh.code(), 0, "{}", refresh.stderr_text());
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'C-%'"), 3_000);
    // the refresh read the open bugs before it met the lock: one more refresh scores the
    // imported ones, and the next finds nothing to change
    db.run_status(&["refresh", "--as-of", AS_OF]);
    assert_eq!(db.count("SELECT count(*) FROM bugs WHERE external_id LIKE 'C-%' AND priority_score = 0"), 0);
    let last = db.run_status(&["refresh", "--as-of", AS_OF]);
    assert!(last.contains(": 0 bug priorities (0 closed bugs zeroed), 0 projects, 0 monthly rows"), "{last}");
}

/// Runs openssl with `args` in `dir`.
#[test]
fn tls_modes_against_a_server_that_takes_tls_only() {
    let dir = tempfile::Builder::new().prefix("ctodb-tls-").tempdir_in("/tmp").unwrap();
    let cluster = crate::common::cluster::TestCluster::start(&[]);
    let port = cluster.port;
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    crate::common::certificates(&certs, "ctodb-test-ca");
    // a second CA that signed nothing this server shows
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    crate::common::certificate_authority(&other, "other");
    // the server: TLS on, and only TLS over TCP
    let data = cluster.data();
    for file in ["server.pem", "server.key"] {
        std::fs::copy(certs.join(file), data.join(file)).unwrap();
    }
    cluster.give_to_owner(&[&data.join("server.pem"), &data.join("server.key")]);
    std::fs::set_permissions(data.join("server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .unwrap();
    let mut conf = std::fs::OpenOptions::new().append(true).open(data.join("postgresql.conf")).unwrap();
    writeln!(conf, "ssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'").unwrap();
    std::fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
    )
    .unwrap();
    cluster.pg_ctl("restart");

    let user = "postgres";
    let ca = certs.join("ctodb-test-ca.pem");
    let url = |host: &str, params: &str| format!("postgres://{user}@{host}:{port}/postgres?{params}");
    let run = |url: &str| -> CliOutput {
        ctodb_command(Some(url)).args(["migrate", "status"]).output().unwrap().into()
    };
    // require: encrypted, the certificate not checked
    let out = run(&url("localhost", "sslmode=require"));
    // connected: the maintenance database lists every migration as pending
    assert!(out.ok().contains("init,pending"), "{}", out.stderr_text());
    // verify-full with the right CA and host name: connects
    let good = run(&url("localhost", &format!("sslmode=verify-full&sslrootcert={}", ca.display())));
    assert!(good.ok().contains("init,pending"), "{}", good.stderr_text());
    // a wrong CA, a wrong host name: refused, saying why
    let wrong_ca = run(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", other.join("other.pem").display()),
    ));
    assert_eq!(wrong_ca.code(), 1);
    assert!(
        wrong_ca.stderr_text().starts_with(&format!(
            "error: the TLS certificate of localhost:{port} was not accepted (invalid peer certificate: UnknownIssuer)"
        )),
        "{}",
        wrong_ca.stderr_text()
    );
    let wrong_host = run(&url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={}", ca.display())));
    assert_eq!(wrong_host.code(), 1);
    assert!(
        wrong_host.stderr_text().contains("certificate not valid for name \"127.0.0.1\""),
        "{}",
        wrong_host.stderr_text()
    );
    // disable: the server refuses a connection without TLS, and the message says so
    let plain = run(&url("localhost", "sslmode=disable"));
    assert_eq!(plain.code(), 1);
    assert_eq!(
        plain.stderr_text().trim(),
        format!(
            "error: PostgreSQL at localhost:{port} refused user \"{user}\": pg_hba.conf rejects connection for host \
             \"127.0.0.1\", user \"{user}\", database \"postgres\", no encryption — the server lets this role in \
             over TLS only; connect with sslmode=require (or verify-full)"
        )
    );
}

/// The projects' health scores, one digest (as the export script computes it).
fn project_scores(db: &TestDb) -> String {
    db.client()
        .query_one("SELECT md5(string_agg(name || ':' || health_score, ',' ORDER BY name COLLATE \"C\")) FROM projects", &[])
        .unwrap()
        .get(0)
}

/// The bug priorities of the database, one digest.
fn priorities(db: &TestDb) -> String {
    db.client()
        .query_one(
            "SELECT md5(string_agg(bug_number || ':' || priority_score, ',' ORDER BY bug_number)) FROM bugs",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn an_export_during_a_refresh_holds_one_moment() {
    let db = TestDb::new("export_during_refresh");
    db.run_status(&["seed", "--profile", "standard", "--as-of", AS_OF]);
    db.run_status(&["refresh", "--as-of", AS_OF]);
    let (bugs_before, projects_before) = (priorities(&db), project_scores(&db));
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let resume = dir.path().join("resume");
    // the export reads bugs, then waits; a refresh commits; then it reads projects
    let args = ["export", "--dir", reports.to_str().unwrap(), "--id", "mid", "--tables", "bugs,projects"];
    let (mut export, _) = paused(&db, &args, "export:first-table", &resume);
    db.run_status(&["refresh", "--as-of", "2026-11-28T12:00:00Z"]);
    std::fs::write(&resume, "").unwrap();
    assert!(export.wait().unwrap().success());
    let (bugs_after, projects_after) = (priorities(&db), project_scores(&db));
    assert_ne!(bugs_before, bugs_after, "the refresh changed no priority: the test shows nothing");
    assert_ne!(
        projects_before, projects_after,
        "the refresh changed no project score: the test shows nothing"
    );
    let script = r#"
import sys, hashlib, pyarrow.parquet as pq
def digest(path, key, value):
    t = pq.read_table(path, columns=[key, value]).to_pydict()
    pairs = sorted(zip(t[key], t[value]))
    return hashlib.md5(','.join(f'{k}:{v}' for k, v in pairs).encode()).hexdigest()
print(digest(sys.argv[1] + '/bugs.parquet', 'bug_number', 'priority_score'))
print(digest(sys.argv[1] + '/projects.parquet', 'name', 'health_score'))
"#;
    let folder = reports.join("snapshot=mid");
    let exported = crate::common::run_python_with(&["-c", script, folder.to_str().unwrap()]);
    let exported: Vec<&str> = exported.lines().collect();
    // both files hold the moment the export began, though the refresh committed between them
    assert_eq!(exported, [bugs_before.as_str(), projects_before.as_str()]);
}

#[test]
fn sigterm_stops_a_report_waiting_on_the_server_and_cancels_its_query() {
    let db = TestDb::new("sigterm_report");
    db.run_status(&["seed", "--as-of", AS_OF]);
    // another session holds the bugs table: every report that reads it waits on the server
    let mut holder = db.client();
    let mut lock = holder.transaction().unwrap();
    lock.batch_execute("LOCK TABLE bugs IN ACCESS EXCLUSIVE MODE").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (args, signal, status) in [
        (vec!["report", "portfolio"], "-TERM", 143),
        (vec!["report", "sla"], "-INT", 130),
        (vec!["bugs", "--all"], "-TERM", 143),
    ] {
        let mut child = spawn(&db, &args, dir.path());
        let mut admin = admin();
        let started = Instant::now();
        while admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ctodb'
                 AND wait_event_type = 'Lock'",
                &[&db.name],
            )
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            assert!(child.try_wait().unwrap().is_none(), "`ctodb {}` did not wait", args.join(" "));
            assert!(started.elapsed() < Duration::from_secs(30), "`ctodb {}` never waited", args.join(" "));
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap()
            .success());
        let out = finish(child);
        assert_eq!(out.code(), status, "`ctodb {}`: {}", args.join(" "), out.stderr_text());
        assert!(out.stdout.is_empty(), "a stopped report printed: {}", out.stdout_text());
        let what = format!("the cancel of `ctodb {}`'s waiting query", args.join(" "));
        crate::common::eventually(&what, Duration::from_secs(5), || {
            crate::common::ctodb_sessions(&db.name) == 0
        });
    }
    lock.rollback().unwrap();
}
