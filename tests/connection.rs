//! Connection failures: each cause has its own message, arrives within the connection
//! timeout, exits 1 and never shows the password.

use std::time::{Duration, Instant};

use crate::common::{ctodb_command, tcp_port, CliOutput};

fn doctor_with(url: &str) -> (CliOutput, Duration) {
    let started = Instant::now();
    let out: CliOutput = ctodb_command(Some(url))
        .env("DATABASE_CONNECTION_TIMEOUT", "5")
        .args(["stats"])
        .output()
        .unwrap()
        .into();
    (out, started.elapsed())
}

fn assert_no_secret(out: &CliOutput, secret: &str) {
    assert!(!out.stdout_text().contains(secret), "password on stdout");
    assert!(!out.stderr_text().contains(secret), "password on stderr: {}", out.stderr_text());
}

#[test]
fn a_malformed_url_is_named_as_such() {
    let (out, _) = doctor_with("postgres://ada:pa55word@localhost:notaport/ctodb");
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().starts_with("error: invalid database URL: "), "{}", out.stderr_text());
    assert_no_secret(&out, "pa55word");
}

#[test]
fn an_unreachable_port_says_the_server_does_not_answer() {
    let (out, elapsed) = doctor_with("postgres://ada:pa55word@127.0.0.1:1/ctodb");
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text()
            .starts_with("error: could not connect to PostgreSQL at 127.0.0.1:1: Connection refused"),
        "{}",
        out.stderr_text()
    );
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert_no_secret(&out, "pa55word");
}

#[test]
fn a_wrong_password_is_named_and_not_shown() {
    let (cluster, role, _right) = crate::common::cluster::with_password_role();
    let port = cluster.port;
    let url = format!("postgres://{role}:wrong-secret-99@127.0.0.1:{port}/postgres");
    let (out, elapsed) = doctor_with(&url);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text().trim(),
        format!(
            "error: password authentication failed for user \"{role}\" at 127.0.0.1:{port}; \
             check the password in DATABASE_URL or PGPASSWORD"
        )
    );
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert_no_secret(&out, "wrong-secret-99");
}

#[test]
fn a_missing_database_points_to_migrate() {
    let url = crate::common::url_for("ctodb_t_surely_missing");
    let (out, _) = doctor_with(&url);
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text().contains("database \"ctodb_t_surely_missing\" does not exist on"),
        "{}",
        out.stderr_text()
    );
    assert!(out.stderr_text().trim_end().ends_with("run `ctodb migrate` to create it"));
}

#[test]
fn usage_errors_exit_2() {
    let out: CliOutput = ctodb_command(None).args(["stats", "--format", "xml"]).output().unwrap().into();
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr_text().contains("[possible values: table, csv, json, ndjson, parquet, xlsx]"),
        "{}",
        out.stderr_text()
    );
    // an --as-of of the future (or before 2000), and the owner or PUBLIC as a grantee
    for (args, said) in [
        (vec!["export", "--as-of", "2030-01-01"], "error: --as-of 2030-01-01T00:00:00Z is later than the clock ("),
        (vec!["report", "sla", "--as-of", "0001-01-01"], "error: --as-of 0001-01-01T00:00:00Z is before 2000-01-01"),
        (vec!["grants", "--writer", "public"], "error: invalid value 'public' for '--writer <ROLE>': \"public\" is every role (PUBLIC)"),
        (vec!["grants", "--reader", "pg_monitor"], "error: invalid value 'pg_monitor' for '--reader <ROLE>': \"pg_monitor\" is one of the server's own roles"),
        (vec!["grants", "--writer", "app", "--owner", "app"], "error: --writer: \"app\" is the owner of ctodb's tables"),
    ] {
        let out: CliOutput = ctodb_command(None).args(&args).output().unwrap().into();
        assert_eq!(out.code(), 2, "{args:?}: {}", out.stderr_text());
        assert!(out.stderr_text().starts_with(said), "{args:?}: {}", out.stderr_text());
        assert!(out.stdout_text().is_empty());
    }
}

/// The database URL of a test database over TCP, with extra query parameters.
fn tcp_url(database: &str, params: &str) -> String {
    let user = crate::common::admin_user();
    format!("postgres://{user}@127.0.0.1:{}/{database}?{params}", tcp_port())
}

fn doctor_connection_line(url: &str) -> CliOutput {
    ctodb_command(Some(url)).args(["doctor", "-f", "csv"]).output().unwrap().into()
}

#[test]
fn sslmodes_mean_what_libpq_means() {
    let db = crate::common::TestDb::new("tls_modes");
    let cert: String = crate::common::admin().query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    let ssl: String = crate::common::admin().query_one("SHOW ssl", &[]).unwrap().get(0);
    assert_eq!(
        ssl, "on",
        "the test server must have TLS on (Debian's default, with its snakeoil certificate)"
    );

    let required = doctor_connection_line(&tcp_url(&db.name, "sslmode=require")).ok();
    assert!(required.lines().nth(1).unwrap().contains("(TLSv1."), "{required}");
    let plain = doctor_connection_line(&tcp_url(&db.name, "sslmode=disable")).ok();
    assert!(plain.lines().nth(1).unwrap().contains("(no TLS,"), "{plain}");

    // verify-full without any root certificate (no sslrootcert, no ~/.postgresql/root.crt):
    // refused before connecting, as libpq 16 refuses it
    let home = tempfile::tempdir().unwrap();
    let refused: CliOutput = ctodb_command(Some(&tcp_url(&db.name, "sslmode=verify-full")))
        .env("HOME", home.path())
        .args(["doctor", "-f", "csv"])
        .output()
        .unwrap()
        .into();
    assert_eq!(refused.code(), 1);
    assert!(
        refused.stdout_text().contains(&format!(
            "root certificate file \"\"{}/.postgresql/root.crt\"\" does not exist; either provide the file",
            home.path().display()
        )),
        "{}",
        refused.stdout_text()
    );
    // with the certificate as root: verify-ca checks the chain only, so 127.0.0.1 passes...
    let chain = doctor_connection_line(&tcp_url(&db.name, &format!("sslmode=verify-ca&sslrootcert={cert}")));
    assert!(chain.ok().contains("(TLSv1."));
    // ...and verify-full also checks the name the certificate was made for
    let cn = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "multiline", "-in", &cert])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if cn.contains("commonName                = localhost") {
        let by_name = format!(
            "postgres://{}@localhost:{}/{}?sslmode=verify-full&sslrootcert={cert}",
            crate::common::admin_user(),
            tcp_port(),
            db.name
        );
        assert!(doctor_connection_line(&by_name).ok().contains("(TLSv1."));
    }
    let wrong_name =
        doctor_connection_line(&tcp_url(&db.name, &format!("sslmode=verify-full&sslrootcert={cert}")));
    assert_eq!(wrong_name.code(), 1);
    assert!(
        wrong_name.stdout_text().contains("certificate not valid for name"),
        "{}",
        wrong_name.stdout_text()
    );
}

#[test]
fn a_dot_env_file_supplies_the_url_and_the_environment_wins() {
    let db = crate::common::TestDb::new("dotenv");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), format!("DATABASE_URL={}\n", db.url)).unwrap();
    let from_file: CliOutput =
        ctodb_command(None).current_dir(dir.path()).args(["stats", "-f", "csv"]).output().unwrap().into();
    assert!(from_file.ok().starts_with("section,table_name,rows,"));
    let overridden: CliOutput = ctodb_command(Some("postgres://nobody@127.0.0.1:1/none"))
        .current_dir(dir.path())
        .args(["stats"])
        .output()
        .unwrap()
        .into();
    assert_eq!(overridden.code(), 1, "DATABASE_URL in the environment wins over .env");
}

#[test]
fn slow_queries_are_logged_by_name_without_their_values() {
    let db = crate::common::TestDb::new("slow_log");
    db.run(&["seed"]);
    let out: CliOutput = ctodb_command(Some(&db.url))
        .env("CTODB_SLOW_QUERY_MS", "0")
        .args(["bugs", "--assignee", "linus@ctodb.dev", "-f", "csv"])
        .output()
        .unwrap()
        .into();
    out.ok();
    let log = out.stderr_text();
    assert!(log.contains("ctodb: slow query team/find_user took "), "{log}");
    assert!(log.contains("ctodb: slow query bugs/page_runs took "), "{log}");
    assert!(!log.contains("linus"), "a parameter value reached the log: {log}");
}

#[test]
fn migrate_and_seed_refuse_a_url_that_declares_a_transaction_pooler() {
    for command in ["migrate", "seed"] {
        let out: CliOutput =
            ctodb_command(Some("postgres://app:pa55word@db.example.com:5432/postgres?pgbouncer=true"))
                .arg(command)
                .output()
                .unwrap()
                .into();
        assert_eq!(out.code(), 1);
        assert_eq!(
            out.stderr_text().trim(),
            format!(
                "error: db.example.com:5432 is declared a transaction-mode pooler (pgbouncer=true), where advisory \
                 locks, prepared statements and session settings do not last from one transaction to the next; run \
                 `ctodb {command}` with a direct connection to the server"
            )
        );
        assert_no_secret(&out, "pa55word");
    }
}

/// A PgBouncer of Debian's package in front of the test server, on a free port, in
/// `mode` (transaction or session); stopped when dropped.
struct Bouncer {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
}

impl Bouncer {
    fn start(mode: &str) -> Bouncer {
        let dir = tempfile::Builder::new().prefix("ctodb-pgbouncer-").tempdir_in("/tmp").unwrap();
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let port = crate::common::cluster::free_port();
        let user = crate::common::admin_user();
        std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).unwrap();
        std::fs::write(
            dir.path().join("pgbouncer.ini"),
            format!(
                "[databases]\n* = host=127.0.0.1 port={server}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
                 listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {dir}/users.txt\n\
                 pool_mode = {mode}\nlogfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n\
                 ignore_startup_parameters = extra_float_digits\nserver_round_robin = 1\n",
                server = tcp_port(),
                dir = dir.path().display()
            ),
        )
        .unwrap();
        let program = if std::path::Path::new("/usr/sbin/pgbouncer").exists() {
            "/usr/sbin/pgbouncer"
        } else {
            "pgbouncer"
        };
        let mut command = std::process::Command::new(program);
        // PgBouncer refuses to run as root: as root, it runs as the postgres user, who
        // writes its log and pid file in the folder
        if crate::common::os_user() == "root" {
            let status =
                std::process::Command::new("chown").arg("-R").arg("postgres:").arg(dir.path()).status();
            assert!(status.is_ok_and(|s| s.success()), "chown of PgBouncer's folder failed");
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(dir.path().join("pgbouncer.ini"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pgbouncer runs (Debian's pgbouncer package, which .ci/run installs)");
        crate::common::eventually("PgBouncer listens", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Bouncer { dir, port, child }
    }

    /// Makes the pooler open a second server session to `db`: a client holds the first
    /// in a transaction while another is served; both are idle afterwards.
    fn open_two_server_sessions(&self, db: &crate::common::TestDb) {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let url = self.url(&db.name);
        let sessions = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
            db.name
        );
        let mut holder = Command::new("psql")
            .args([url.as_str(), "-q", "-X", "-v", "ON_ERROR_STOP=1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = holder.stdin.take().unwrap();
        stdin.write_all(b"BEGIN;\nSELECT 1;\n").unwrap();
        stdin.flush().unwrap();
        crate::common::eventually("a server session held in a transaction", Duration::from_secs(10), || {
            db.count(&format!("{sessions} AND state = 'idle in transaction'")) == 1
        });
        let other = Command::new("psql")
            .args([url.as_str(), "-X", "-c", "SELECT 1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        crate::common::finish_within(other, Duration::from_secs(10), "psql beside the held transaction").ok();
        stdin.write_all(b"COMMIT;\n").unwrap();
        drop(stdin);
        crate::common::finish_within(holder, Duration::from_secs(10), "psql holding a transaction");
        assert_eq!(db.count(&sessions), 2, "the pooler's server sessions");
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{database}", crate::common::admin_user(), self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.dir;
    }
}

#[test]
fn through_a_transaction_pooler_reads_work_and_writes_are_refused_with_the_direct_url() {
    let db = crate::common::TestDb::new("pooler");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), "name,arr\nOrion Pooled,10\n").unwrap();
    let everything = || db.fingerprint(&["projects", "bugs", "import_logs", "audit_log", "bug_history"]);
    let before = everything();
    let bouncer = Bouncer::start("transaction");
    let pooled = bouncer.url(&db.name);
    let direct = format!("postgresql://{}@127.0.0.1:{}/{}", crate::common::admin_user(), tcp_port(), db.name);
    let run = |url: &str, args: &[&str]| -> CliOutput {
        ctodb_command(Some(url))
            .current_dir(dir.path())
            .args(args)
            .args(["--as-of", "2026-11-25T12:00:00Z"])
            .output()
            .unwrap()
            .into()
    };
    // two server sessions behind the pooler, which hands them out in turn
    // (server_round_robin): one held in a transaction while another client is served
    bouncer.open_two_server_sessions(&db);
    // every command that only reads answers as it does directly: each of its reads is one
    // transaction, so its prepared statements live and die on one server session (a
    // statement prepared outside a transaction would be looked for on the other one)
    for args in [
        vec!["report", "portfolio", "-f", "csv"],
        vec!["report", "sla", "-f", "json"],
        vec!["bugs", "--all", "-f", "csv"],
        vec!["bug", "show", "1", "-f", "json"],
        vec!["projects", "--all", "-f", "csv"],
        vec!["project", "Atlas Payments", "-f", "json"],
        vec!["search", "checkout timeout", "-f", "csv"],
        vec!["users", "-f", "csv"],
        vec!["migrate", "status", "-f", "csv"],
    ] {
        let through = run(&pooled, &args);
        assert_eq!(through.code(), 0, "{args:?} through a transaction pooler: {}", through.stderr_text());
        assert_eq!(through.stdout_text(), run(&direct, &args).ok(), "{args:?}");
    }
    let stats = run(&pooled, &["stats", "-f", "csv"]);
    assert!(stats.ok().starts_with("section,table_name,rows,"), "{}", stats.stdout_text());
    // an export reads every table in one transaction: the bugs it wrote are all the bugs
    run(&pooled, &["export", "--dir", "reports", "--id", "pooled"]).ok();
    let manifest =
        std::fs::read_to_string(dir.path().join("reports/snapshot=pooled/_manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let bugs = manifest["files"].as_array().unwrap().iter().find(|f| f["file"] == "bugs.parquet").unwrap();
    assert_eq!(bugs["rows"].as_i64(), Some(db.count("SELECT count(*) FROM bugs")));

    // a command that writes is refused before it writes, naming the direct URL
    for args in [
        vec!["migrate"],
        vec!["seed", "--append", "--bugs", "5"],
        vec!["refresh"],
        vec!["import", "csv", "p.csv", "--kind", "projects"],
        vec!["bug", "update", "1", "--status", "in_progress"],
    ] {
        let out: CliOutput =
            ctodb_command(Some(&pooled)).current_dir(dir.path()).args(&args).output().unwrap().into();
        assert_eq!(out.code(), 1, "{args:?} through a transaction pooler: {}", out.stderr_text());
        let command = if args[0] == "import" || args[0] == "bug" {
            format!("{} {}", args[0], args[1])
        } else {
            args[0].to_string()
        };
        assert_eq!(
            out.stderr_text(),
            format!(
                "error: 127.0.0.1:{} is a transaction-mode pooler (it hands server sessions from one connection \
                 to another between statements), where advisory locks, prepared statements and session settings do \
                 not last from one transaction to the next; run `ctodb {command}` with a direct connection to the \
                 server: {direct}\n",
                bouncer.port
            ),
            "{args:?}"
        );
    }
    assert_eq!(everything(), before, "something was written through the pooler");
    // the URL the sentence names works
    let out: CliOutput =
        ctodb_command(Some(&direct)).args(["report", "portfolio", "-f", "csv"]).output().unwrap().into();
    assert!(out.ok().contains("Atlas Payments"));
    drop(bouncer);

    // a session pooler on a port of its own is no transaction pooler: everything works,
    // the import once
    let bouncer = Bouncer::start("session");
    let pooled = bouncer.url(&db.name);
    let run = |args: &[&str]| -> CliOutput {
        ctodb_command(Some(&pooled)).current_dir(dir.path()).args(args).output().unwrap().into()
    };
    assert!(run(&["report", "portfolio", "-f", "csv"]).ok().contains("Atlas Payments"));
    run(&["import", "csv", "p.csv", "--kind", "projects", "-f", "csv"]).ok();
    run(&["import", "csv", "p.csv", "--kind", "projects", "-f", "csv"]).ok();
    assert_eq!(db.count("SELECT count(*) FROM projects WHERE name = 'Orion Pooled'"), 1);
    assert_eq!(db.count("SELECT count(*) FROM import_logs WHERE status = 'running'"), 0);
}

/// ctodb ends every connection as psql does: the replies still due are read and a
/// Terminate message is sent, so the server neither writes to a closed socket (a "could
/// not send data to client" line in its log) nor counts an abandoned session, and a
/// session pooler can hand the server connection to the next client.
#[test]
fn connections_end_with_a_terminate_message() {
    let db = crate::common::TestDb::new("clean_close");
    let mut client = db.client();
    let mut abandoned = || -> i64 {
        client.batch_execute("SELECT pg_stat_clear_snapshot()").unwrap();
        client
            .query_one(
                "SELECT sessions_abandoned FROM pg_stat_database WHERE datname = current_database()",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let before = abandoned();
    db.run(&["seed"]);
    db.run(&["bugs", "-f", "csv"]);
    db.run(&["report", "portfolio", "-f", "csv"]);
    let failed = db.ctodb(&["bugs", "--project", "no such project", "-f", "csv"]);
    assert_eq!(failed.code(), 1);
    // the server counts a session when its backend has gone: wait for ctodb's to go
    let mut watcher = db.client();
    for _ in 0..250 {
        let left: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ctodb'",
                &[],
            )
            .unwrap()
            .get(0);
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(abandoned(), before, "a ctodb session ended without a Terminate message");
}

/// `ctodb -v completions bash` in `dir` (no database needed): its exit status and stderr.
fn settings_read_in(dir: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out: CliOutput = ctodb_command(None)
        .current_dir(dir)
        .args(extra)
        .args(["-v", "completions", "bash"])
        .output()
        .unwrap()
        .into();
    (out.code(), out.stderr_text())
}

#[test]
fn only_the_working_folders_env_file_is_read_and_only_when_it_is_yours_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let top = tempfile::tempdir().unwrap();
    let env = top.path().join(".env");
    std::fs::write(
        &env,
        "DATABASE_URL=postgresql://evil@127.0.0.9:5999/x?sslmode=disable\nCTODB_USER=a@b.c\n",
    )
    .unwrap();
    let below = top.path().join("a/b");
    std::fs::create_dir_all(&below).unwrap();
    // a parent folder's file is never read: its server is not the target
    let (code, said) = settings_read_in(&below, &[]);
    assert_eq!((code, said.as_str()), (0, ""));
    let grants = |dir: &std::path::Path| -> String {
        let out: CliOutput =
            ctodb_command(None).current_dir(dir).args(["grants", "--reader", "r"]).output().unwrap().into();
        out.ok()
    };
    assert!(!grants(&below).contains("ON DATABASE \"x\""), "{}", grants(&below));
    assert!(grants(top.path()).contains("ON DATABASE \"x\""), "{}", grants(top.path()));
    // the working folder's is, and -v names what it set, never a value
    let (code, said) = settings_read_in(top.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(said, format!("settings from .env: DATABASE_URL, CTODB_USER\n"));
    // as is the file --env-file or CTODB_ENV_FILE names, from anywhere
    let (_, said) = settings_read_in(&below, &["--env-file", env.to_str().unwrap()]);
    assert_eq!(said, format!("settings from {}: DATABASE_URL, CTODB_USER\n", env.display()));
    let (code, said) = settings_read_in(&below, &["--env-file", "missing.env"]);
    assert_eq!(code, 1);
    assert_eq!(
        said,
        "error: cannot read the settings file missing.env: No such file or directory (os error 2)\n"
    );
    // a file its group or anyone may write is refused, whatever it says
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o664)).unwrap();
    let (code, said) = settings_read_in(top.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(said, "error: the settings file .env may be written by its group (mode 664); make it yours alone: chmod go-w .env\n");
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o646)).unwrap();
    let (_, said) = settings_read_in(top.path(), &[]);
    assert!(said.starts_with("error: the settings file .env may be written by anyone (mode 646)"), "{said}");
    // so is one that belongs to someone else
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let status = std::process::Command::new("chown").arg("nobody").arg(&env).status().unwrap();
    assert!(status.success(), "these tests run as root (as CI does), to give the file away");
    let (code, said) = settings_read_in(top.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        said.starts_with("error: the settings file .env belongs to another user (uid 65534, you are uid 0);"),
        "{said}"
    );
}

#[test]
fn a_password_typed_on_the_command_line_is_said_to_be_visible_once() {
    let url =
        format!("postgres://nobody:typed-secret@127.0.0.1:{}/none", crate::common::cluster::free_port());
    let typed: CliOutput =
        ctodb_command(None).args(["--database-url", &url, "stats"]).output().unwrap().into();
    let warning = "warning: a password on the command line (--database-url) is visible to every user of this \
                   machine (ps); put the URL in ./.env (mode 0600), or the password in ~/.pgpass or a service file";
    assert_eq!(typed.stderr_text().matches(warning).count(), 1, "{}", typed.stderr_text());
    assert_no_secret(&typed, "typed-secret");
    // from the environment (or .env) it is not on the command line
    let from_env: CliOutput = ctodb_command(Some(&url)).args(["stats"]).output().unwrap().into();
    assert!(!from_env.stderr_text().contains("visible to every user"), "{}", from_env.stderr_text());
}

#[test]
fn newcomers_mistakes_are_named_quiet_means_quiet() {
    // a .env line that cannot be read: named by file and line, never its text
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "CTODB_USER=a@b.c\nPGPASSWORD=two words secret\n").unwrap();
    let out: CliOutput =
        ctodb_command(None).current_dir(dir.path()).args(["completions", "bash"]).output().unwrap().into();
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text(),
        "error: .env, line 2: cannot read the setting; write NAME=value, quoting a value with spaces\n"
    );
    // an empty search, and a weekly page that is not HTML: usage errors
    for (args, said) in [
        (vec!["search", ""], "there is nothing to search for"),
        (vec!["search", "  --- "], "there is nothing to search for"),
        (vec!["report", "weekly", "--html", "week.pdf"], "week.pdf is not an .html file"),
    ] {
        let out: CliOutput = ctodb_command(None).args(&args).output().unwrap().into();
        assert_eq!(out.code(), 2, "{args:?}");
        assert!(out.stderr_text().contains(said), "{args:?}: {}", out.stderr_text());
    }
    // -q silences warnings (here the one about a password on the command line)
    let url =
        format!("postgres://nobody:typed-secret@127.0.0.1:{}/none", crate::common::cluster::free_port());
    let quiet: CliOutput =
        ctodb_command(None).args(["-q", "--database-url", &url, "stats"]).output().unwrap().into();
    assert_eq!(quiet.code(), 1);
    assert!(!quiet.stderr_text().contains("warning:"), "{}", quiet.stderr_text());
    assert!(quiet.stderr_text().starts_with("error: "), "{}", quiet.stderr_text());
}
