//! The database harness: one template database migrated once per test run, one clone of
//! it per test (CREATE DATABASE … TEMPLATE), dropped when the test passes and kept for
//! inspection when it fails (the next run drops the leftover first). Tests run the real
//! `ctodb` binary against the real PostgreSQL; nothing is mocked.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use postgres::{Client, NoTls};

pub mod cluster;
pub mod proxy;

/// Where the test server is: CTODB_TEST_DATABASE_URL, else the CLI's defaults (local
/// socket, OS user). Its database part is ignored: tests make their own databases.
fn server_config() -> postgres::Config {
    let mut config = match std::env::var("CTODB_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            url.parse::<postgres::Config>().expect("CTODB_TEST_DATABASE_URL is not a valid PostgreSQL URL")
        }
        _ => {
            let mut config = postgres::Config::new();
            if Path::new("/var/run/postgresql").is_dir() {
                config.host_path("/var/run/postgresql");
            } else {
                config.host("localhost");
            }
            config.user(&std::env::var("PGUSER").unwrap_or_else(|_| os_user()));
            config
        }
    };
    config.dbname("postgres");
    config.connect_timeout(std::time::Duration::from_secs(10));
    config
}

pub fn os_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            let out = Command::new("id").arg("-un").output().ok()?;
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "postgres".into())
}

/// A connection to the server's maintenance database. Fails, never skips, when no
/// server answers.
pub fn admin() -> Client {
    server_config().connect(NoTls).unwrap_or_else(|err| {
        panic!(
            "cannot reach the test PostgreSQL ({err}). Start it (on Debian: \
             pg_ctlcluster --skip-systemctl-redirect 15 main start) or set \
             CTODB_TEST_DATABASE_URL to a server where this user may create databases."
        )
    })
}

/// A URL for the CLI pointing at `database` on the test server.
pub fn url_for(database: &str) -> String {
    let config = server_config();
    let user = config.get_user().unwrap_or("postgres");
    let password =
        config.get_password().map(|p| format!(":{}", String::from_utf8_lossy(p))).unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    match config.get_hosts().first() {
        Some(postgres::config::Host::Unix(dir)) => {
            format!("postgres://{user}{password}@/{database}?host={}&port={port}", dir.display())
        }
        Some(postgres::config::Host::Tcp(host)) => {
            format!("postgres://{user}{password}@{host}:{port}/{database}")
        }
        None => format!("postgres://{user}{password}@localhost:{port}/{database}"),
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The migrated template, made once per run by whichever test process gets there first.
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        // one template per role: a role that is not a superuser clones only its own
        let role: String = admin_user().chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect();
        let name = format!("ctodb_test_template_{role}_{}", migrations_fingerprint());
        let mut admin = admin();
        // serialise template creation across the test processes nextest starts
        admin.execute("SELECT pg_advisory_lock(72637464)", &[]).expect("advisory lock");
        let exists: bool = admin
            .query_one("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", &[&name])
            .unwrap()
            .get(0);
        if !exists {
            let building = format!("{name}_building");
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(&building))).unwrap();
            let out = ctodb_at(&url_for(&building), &["migrate"], None);
            assert!(out.status.success(), "migrating the template failed: {}", out.stderr_text());
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    quote_ident(&building),
                    quote_ident(&name)
                ))
                .unwrap();
            // templates of older schemas are of no further use
            let stale: Vec<String> = admin
                .query(
                    "SELECT datname::text FROM pg_database
                     WHERE datname LIKE 'ctodb\\_test\\_template\\_%' AND datname <> $1
                       AND pg_get_userbyid(datdba) = current_user",
                    &[&name],
                )
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();
            for old in stale {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(&old)));
            }
        }
        admin.execute("SELECT pg_advisory_unlock(72637464)", &[]).unwrap();
        name
    })
}

/// A short hash of the migration files, so that a changed schema gets a new template.
fn migrations_fingerprint() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    folders.sort();
    // FNV-1a: stable across runs and Rust versions, unlike DefaultHasher
    let mut hash: u64 = 0xcbf29ce484222325;
    for folder in folders {
        let text = std::fs::read(folder.join("migration.sql")).unwrap_or_default();
        for byte in folder.file_name().unwrap().as_encoded_bytes().iter().chain(&text) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x100000001b3);
        }
    }
    format!("{hash:016x}")
}

pub struct CliOutput {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl CliOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }
    /// Asserts exit 0 and nothing on stdout; returns stderr.
    pub fn status_only(&self) -> String {
        let stdout = self.ok();
        assert!(stdout.is_empty(), "status lines belong on stderr, found on stdout:\n{stdout}");
        self.stderr_text()
    }

    /// Asserts exit 0 and returns stdout.
    pub fn ok(&self) -> String {
        assert!(
            self.status.success(),
            "ctodb failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status.code(),
            self.stdout_text(),
            self.stderr_text()
        );
        self.stdout_text()
    }
}

impl From<Output> for CliOutput {
    fn from(out: Output) -> Self {
        CliOutput { status: out.status, stdout: out.stdout, stderr: out.stderr }
    }
}

/// A `ctodb` command with a clean environment: no PG* variables, no colour, run in a
/// scratch directory so that no .env is picked up.
pub fn ctodb_command(url: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctodb"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") || key.starts_with("DATABASE_") || key.starts_with("CTODB_") {
            cmd.env_remove(key);
        }
    }
    // a table's width is the test's to choose (COLUMNS), never the terminal's it runs in
    cmd.env("NO_COLOR", "1").env_remove("COLUMNS").current_dir(std::env::temp_dir());
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}

pub fn ctodb_at(url: &str, args: &[&str], dir: Option<&Path>) -> CliOutput {
    let mut cmd = ctodb_command(Some(url));
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.args(args).output().expect("the ctodb binary runs").into()
}

/// One test's own database, cloned from the migrated template.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A migrated database for this test.
    pub fn new(test: &str) -> TestDb {
        let template = template();
        let db = TestDb::empty_name(test);
        admin()
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&db.name),
                quote_ident(template)
            ))
            .expect("cloning the template database");
        db
    }

    /// A name for this test whose database does not exist (a leftover is dropped).
    pub fn empty_name(test: &str) -> TestDb {
        let name: String = format!("ctodb_t_{test}").chars().take(63).collect();
        admin()
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&name)))
            .expect("dropping a leftover test database");
        TestDb { url: url_for(&name), name }
    }

    pub fn client(&self) -> Client {
        let mut config = server_config();
        config.dbname(&self.name);
        config.connect(NoTls).expect("connecting to the test database")
    }

    /// Runs ctodb against this database.
    pub fn ctodb(&self, args: &[&str]) -> CliOutput {
        ctodb_at(&self.url, args, None)
    }

    /// Runs ctodb and returns stdout, asserting success.
    pub fn run(&self, args: &[&str]) -> String {
        self.ctodb(args).ok()
    }

    /// Runs a command whose output is status only (migrate, seed, refresh): asserts
    /// success and an empty stdout, and returns stderr, where the status lines go.
    pub fn run_status(&self, args: &[&str]) -> String {
        self.ctodb(args).status_only()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }

    /// Dates what a test wrote by hand after `instant` to a second before it (changes in
    /// bug_history, audit and import rows, projects and users created), for a test that
    /// builds a state now and reads it `--as-of` that earlier instant: as if it had been
    /// made then. Bugs keep their creation instants (tests place them around the instant).
    pub fn written_before(&self, instant: &str) {
        let before = "$1::text::timestamptz - interval '1 second'";
        let mut client = self.client();
        for statement in [
            format!("UPDATE bug_history SET changed_at = {before} WHERE changed_at > $1::text::timestamptz"),
            format!("UPDATE audit_log SET created_at = {before} WHERE created_at > $1::text::timestamptz"),
            format!(
                "UPDATE import_logs SET started_at = {before}, finished_at = least(finished_at, {before})
                 WHERE started_at > $1::text::timestamptz"
            ),
            format!("UPDATE projects SET created_at = {before} WHERE created_at > $1::text::timestamptz"),
            format!("UPDATE users SET created_at = {before} WHERE created_at > $1::text::timestamptz"),
        ] {
            client.execute(statement.as_str(), &[&instant]).unwrap();
        }
    }

    /// An ordered fingerprint of each table's rows: equal fingerprints, equal tables.
    pub fn fingerprint(&self, tables: &[&str]) -> Vec<String> {
        let mut client = self.client();
        tables
            .iter()
            .map(|table| {
                let sql = format!(
                    "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM {table} t"
                );
                client.query_one(&sql, &[]).unwrap().get(0)
            })
            .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept database {} for inspection", self.name);
            return;
        }
        if let Ok(mut admin) = server_config().connect(NoTls) {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&self.name)));
        }
    }
}

/// The role the tests connect as (the server's, not the OS's, when they differ).
pub fn admin_user() -> String {
    server_config().get_user().unwrap_or("postgres").to_string()
}

/// The TCP port of the test server (for URLs that must use TCP).
pub fn tcp_port() -> u16 {
    server_config().get_ports().first().copied().unwrap_or(5432)
}

/// A Python with pyarrow, duckdb and psycopg (from PyPI), for reading exports as other
/// tools do and comparing them with the database:
/// the virtual environment `.ci/run` makes in ~/.cache/ctodb-venv, made here when
/// missing (built under a temporary name and renamed, so concurrent tests never see
/// half of one).
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
            let venv = PathBuf::from(home).join(".cache/ctodb-venv");
            let python = venv.join("bin/python");
            let ready = |python: &Path| {
                Command::new(python)
                    .args(["-c", "import pyarrow, duckdb, psycopg, PIL, polars, pandas, pyspark"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !ready(&python) {
                let building = venv.with_file_name(format!("ctodb-venv-building-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&building);
                let made = Command::new("python3").arg("-m").arg("venv").arg(&building).status();
                assert!(made.is_ok_and(|s| s.success()), "python3 -m venv failed: install python3-venv");
                let requirements =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/requirements.txt");
                let installed = Command::new(building.join("bin/python"))
                    .args(["-m", "pip", "install", "-q", "-r"])
                    .arg(&requirements)
                    .status();
                assert!(
                    installed.is_ok_and(|s| s.success()),
                    "pip install -r {} failed",
                    requirements.display()
                );
                // an older environment without psycopg makes way for the new one
                if !ready(&python) {
                    let _ = std::fs::remove_dir_all(&venv);
                }
                if std::fs::rename(&building, &venv).is_err() {
                    // another test process finished first
                    let _ = std::fs::remove_dir_all(&building);
                }
            }
            assert!(
                ready(&python),
                "{} cannot import pyarrow, duckdb, psycopg, PIL, polars, pandas and pyspark",
                python.display()
            );
            // added later than the others: an environment made before gains it
            let has = |module: &str| {
                Command::new(&python)
                    .args(["-c", &format!("import {module}")])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !has("openpyxl") {
                let _ = Command::new(&python).args(["-m", "pip", "install", "-q", "openpyxl"]).status();
                assert!(has("openpyxl"), "pip install openpyxl failed");
            }
            python
        })
        .clone()
}

/// Runs a Python script with pyarrow and duckdb; returns its stdout, asserting success.
pub fn run_python(script: &str) -> String {
    run_python_with(&["-c", script])
}

/// Runs Python with these arguments (a script file and its arguments); returns stdout,
/// asserting success.
pub fn run_python_with(args: &[&str]) -> String {
    let out = Command::new(python()).args(args).output().expect("python runs");
    assert!(out.status.success(), "python failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stops the private cluster in a folder when dropped, so that a failed test leaves no
/// server running.
pub struct StopsCluster(pub PathBuf);

impl Drop for StopsCluster {
    fn drop(&mut self) {
        let _ = ctodb_command(None).env("CTODB_LOCAL", &self.0).args(["local", "stop"]).output();
    }
}

/// Waits until `done` holds, checking every 20 ms, and fails the test naming `what` if it
/// does not within `limit`: tests wait for events, not for fixed times.
pub fn eventually(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what} did not happen within {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The number of ctodb sessions on a database of the test server.
pub fn ctodb_sessions(database: &str) -> i64 {
    admin()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ctodb'",
            &[&database],
        )
        .unwrap()
        .get(0)
}

/// The newest migration's folder name: the schema version a migrated database records.
pub fn latest_migration() -> String {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("the migrations folder")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .max()
        .unwrap_or_default()
}

/// 12345 as ctodb prints counts: 12,345.
pub fn grouped(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Reads a child's stderr until a line holds `wanted`; what it read.
pub fn read_until(child: &mut std::process::Child, wanted: &str) -> String {
    use std::io::BufRead as _;
    let stderr = child.stderr.as_mut().expect("stderr piped");
    let mut reader = std::io::BufReader::new(stderr);
    let mut seen = String::new();
    while !seen.contains(wanted) {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "ended before saying {wanted:?}: {seen}");
        seen.push_str(&line);
    }
    seen
}

/// Starts `command` to pause at `step` (a debug build's fault point) until `resume`
/// exists (without one, until it is stopped); returns once it says it paused, with what
/// it said. Its stderr stays piped for the rest.
pub fn spawn_paused(
    mut command: Command,
    step: &str,
    resume: Option<&Path>,
) -> (std::process::Child, String) {
    command.env("CTODB_PAUSE_AT", step);
    if let Some(resume) = resume {
        command.env("CTODB_RESUME_FILE", resume);
    }
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the ctodb binary runs");
    let said = read_until(&mut child, &format!("pausing at {step}"));
    (child, said)
}

/// Every report and listing, as the read commands a test runs one after another.
pub fn every_report() -> Vec<Vec<&'static str>> {
    vec![
        vec!["projects", "--all"],
        vec!["project", "Atlas Payments"],
        vec!["bugs", "--all"],
        vec!["bug", "show", "2"],
        vec!["search", "checkout"],
        vec!["report", "portfolio"],
        vec!["report", "bugs"],
        vec!["report", "sla"],
        vec!["report", "aging"],
        vec!["report", "daily", "--project", "Atlas Payments"],
        vec!["report", "monthly"],
        vec!["report", "trends"],
        vec!["report", "engineering"],
        vec!["report", "workload"],
        vec!["report", "team"],
        vec!["report", "sync"],
        vec!["report", "imports"],
        vec!["stats"],
        vec!["migrate", "status"],
    ]
}

/// Waits for `child` at most `limit` (killing it and failing past that) and returns what it
/// printed.
pub fn finish_within(mut child: std::process::Child, limit: std::time::Duration, what: &str) -> CliOutput {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} did not end within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap().into()
}

pub fn openssl(dir: &Path, args: &[&str]) {
    let out =
        std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A self-signed CA in `dir`: `{name}.key` and `{name}.pem`.
pub fn certificate_authority(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// A CA and a certificate it signed for `localhost` (no IP address in it).
pub fn certificates(dir: &Path, ca: &str) {
    certificate_authority(dir, ca);
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName = DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
}
