//! Connect where the user said, as libpq does (SPEC §2): two running servers (the test
//! server and a throwaway cluster) each hold databases of the same names, each marked
//! with its own user row; for a corpus of URL forms and PG* settings, ctodb must reach the
//! database psql reaches, or fail where psql fails.

use std::process::Command;

use crate::common::cluster::TestCluster;
use crate::common::{admin, ctodb_command, quote_ident, url_for};

const DATABASES: [&str; 2] = ["ctodb_twin_a", "ctodb_twin_b"];

/// Variables set for one run.
type Env = Vec<(&'static str, String)>;

/// A connection string (None: the variables alone), the variables, and where psql goes
/// ("twin a", "system b", or "fails…").
type Case = (Option<String>, Env, &'static str);

/// Migrates `database` with ctodb at `url` and marks it with one user: `marker@twin.test`.
fn prepare(url: &str, marker: &str) {
    let out = ctodb_command(Some(url)).arg("migrate").output().unwrap();
    assert!(out.status.success(), "migrate {url}: {}", String::from_utf8_lossy(&out.stderr));
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .execute(
            "INSERT INTO users (email, name, role) VALUES ($1, 'marker', 'cto')",
            &[&format!("{marker}@twin.test")],
        )
        .unwrap();
}

/// The marker of the database a connection reached, or None when it failed.
fn reached(output: std::process::Output) -> Option<String> {
    let text = String::from_utf8_lossy(&output.stdout);
    let marker = text.lines().find_map(|line| line.split('@').next().filter(|_| line.contains("@twin.test")));
    output.status.success().then(|| marker.unwrap_or("(no marker)").to_string())
}

fn psql(conninfo: Option<&str>, env: &[(&str, String)]) -> Option<String> {
    let mut cmd = Command::new("psql");
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    cmd.env("PGCONNECT_TIMEOUT", "5").args(["-X", "-A", "-t", "-c", "SELECT email FROM users"]);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    if let Some(conninfo) = conninfo {
        cmd.arg(conninfo);
    }
    reached(cmd.output().expect("psql runs"))
}

fn ctodb(conninfo: Option<&str>, env: &[(&str, String)]) -> Option<String> {
    let mut cmd = ctodb_command(conninfo);
    cmd.env("DATABASE_CONNECTION_TIMEOUT", "5").args(["users", "-f", "csv"]);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    reached(cmd.output().expect("ctodb runs"))
}

#[test]
fn urls_and_pg_variables_reach_the_server_psql_reaches() {
    let twin = TestCluster::start(&[]);
    let p = twin.port.to_string();
    let d = twin.socket_dir().display().to_string();
    let encoded = d.replace('/', "%2F");
    let system = crate::common::tcp_port().to_string();
    let mut system_admin = admin();
    for database in DATABASES {
        system_admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(database)))
            .unwrap();
        prepare(&url_for(database), &format!("system-{database}"));
        let twin_url = format!("postgresql://postgres@/{database}?host={d}&port={p}");
        prepare(&twin_url, &format!("twin-{database}"));
    }
    let none: Env = Vec::new();
    let env =
        |pairs: &[(&'static str, &str)]| -> Env { pairs.iter().map(|(k, v)| (*k, v.to_string())).collect() };
    // service files: the user's (PGSERVICEFILE) and the system's (PGSYSCONFDIR)
    let services = tempfile::tempdir().unwrap();
    let user_file = services.path().join("user_services.conf");
    std::fs::write(
        &user_file,
        format!("# the twin\n[twin]\nhost={d}\nport={p}\nuser=postgres\ndbname=ctodb_twin_a\n\n[tcp]\nhost=127.0.0.1\nport={p}\n[spaced]\nhost = 127.0.0.1\n"),
    )
    .unwrap();
    std::fs::write(
        services.path().join("pg_service.conf"),
        format!("[twin]\nhost=nowhere.invalid\n[system_b]\nhost=127.0.0.1\nport={system}\nuser=postgres\ndbname=ctodb_twin_b\n"),
    )
    .unwrap();
    let user_file = user_file.display().to_string();
    let sysconf = services.path().display().to_string();
    // (connection string, environment, where psql goes, for the reader of a failure)
    let cases: Vec<Case> = vec![
        // the measured faults: the query's host and port replace the authority's
        (
            Some(format!("postgresql://postgres@localhost/ctodb_twin_a?host={d}&port={p}")),
            none.clone(),
            "twin a",
        ),
        (
            Some(format!("postgresql://localhost/ctodb_twin_a?user=postgres&port={p}&host=127.0.0.1")),
            none.clone(),
            "twin a",
        ),
        (Some(format!("postgresql://postgres@127.0.0.1:{p}/ctodb_twin_a")), none.clone(), "twin a"),
        (Some(format!("postgresql://postgres@127.0.0.1:{system}/ctodb_twin_a")), none.clone(), "system a"),
        (Some(format!("postgresql://postgres@{encoded}:{p}/ctodb_twin_b")), none.clone(), "twin b"),
        (
            Some("postgresql://postgres@%2Fvar%2Frun%2Fpostgresql/ctodb_twin_b".into()),
            none.clone(),
            "system b",
        ),
        // dbname and user in the query replace the path's and the user information's
        (
            Some(format!("postgresql://nobody@127.0.0.1:{p}/ctodb_twin_a?dbname=ctodb_twin_b&user=postgres")),
            none.clone(),
            "twin b",
        ),
        // no user anywhere: the OS user, whom only the test server knows
        (Some(format!("postgresql://127.0.0.1:{p}/ctodb_twin_a")), none.clone(), "fails"),
        // the environment fills what the URL leaves out, and only that
        (
            Some("postgresql:///ctodb_twin_a".into()),
            env(&[("PGHOST", &d), ("PGPORT", &p), ("PGUSER", "postgres")]),
            "twin a",
        ),
        (
            Some("postgresql://127.0.0.1/ctodb_twin_a".into()),
            env(&[("PGPORT", &p), ("PGUSER", "postgres")]),
            "twin a",
        ),
        (
            Some(format!("postgresql://127.0.0.1:{system}/ctodb_twin_a")),
            env(&[("PGPORT", &p), ("PGUSER", "postgres")]),
            "system a",
        ),
        (
            Some("postgresql://postgres@127.0.0.1".into()),
            env(&[("PGPORT", &p), ("PGDATABASE", "ctodb_twin_b")]),
            "twin b",
        ),
        (
            Some(format!("postgresql://postgres@/ctodb_twin_a?port={p}")),
            none.clone(),
            "fails: no such socket",
        ),
        // several hosts: the first that answers, ports paired as libpq pairs them
        (
            Some(format!("postgresql://postgres@127.0.0.1:1,127.0.0.1:{p}/ctodb_twin_a")),
            none.clone(),
            "twin a",
        ),
        (
            Some(format!("postgresql://postgres@127.0.0.1,127.0.0.1/ctodb_twin_a?port=1,{p}")),
            none.clone(),
            "twin a",
        ),
        (
            Some(format!("postgresql://postgres@127.0.0.1,127.0.0.1,127.0.0.1/ctodb_twin_a?port=1,{p}")),
            none.clone(),
            "fails: 2 ports, 3 hosts",
        ),
        (
            Some(format!("postgresql://postgres@/ctodb_twin_a?host={d},127.0.0.1&port={p}")),
            none.clone(),
            "twin a",
        ),
        // keyword/value strings
        (Some(format!("host={d} port={p} user=postgres dbname=ctodb_twin_b")), none.clone(), "twin b"),
        (
            Some(format!("host=127.0.0.1 port={p} dbname=ctodb_twin_a")),
            env(&[("PGUSER", "postgres")]),
            "twin a",
        ),
        (
            Some(format!("hostaddr=127.0.0.1 port={p} user=postgres dbname=ctodb_twin_a")),
            none.clone(),
            "twin a",
        ),
        // service files: the section fills what the string leaves out, before the variables
        (Some("service=twin".into()), env(&[("PGSERVICEFILE", &user_file)]), "twin a"),
        (None, env(&[("PGSERVICE", "twin"), ("PGSERVICEFILE", &user_file)]), "twin a"),
        (
            Some("postgresql:///ctodb_twin_b?service=twin".into()),
            env(&[("PGSERVICEFILE", &user_file), ("PGPORT", &system)]),
            "twin b",
        ),
        (
            Some("service=tcp dbname=ctodb_twin_a".into()),
            env(&[("PGSERVICEFILE", &user_file), ("PGPORT", &system), ("PGUSER", "postgres")]),
            "twin a",
        ),
        (
            None,
            env(&[("PGSERVICE", "system_b"), ("PGSERVICEFILE", &user_file), ("PGSYSCONFDIR", &sysconf)]),
            "system b",
        ),
        (Some("service=spaced".into()), env(&[("PGSERVICEFILE", &user_file)]), "fails: blanks around ="),
        (
            Some("service=absent".into()),
            env(&[("PGSERVICEFILE", &user_file), ("PGSYSCONFDIR", &sysconf)]),
            "fails",
        ),
        // no URL: the PG* variables alone
        (
            None,
            env(&[
                ("PGHOST", "127.0.0.1"),
                ("PGPORT", &p),
                ("PGUSER", "postgres"),
                ("PGDATABASE", "ctodb_twin_b"),
            ]),
            "twin b",
        ),
        (
            None,
            env(&[("PGHOST", &d), ("PGPORT", &p), ("PGUSER", "postgres"), ("PGDATABASE", "ctodb_twin_a")]),
            "twin a",
        ),
        (
            None,
            env(&[("PGPORT", &system), ("PGUSER", "postgres"), ("PGDATABASE", "ctodb_twin_a")]),
            "system a",
        ),
    ];
    let mut mismatches = Vec::new();
    for (conninfo, env, expected) in &cases {
        let by_psql = psql(conninfo.as_deref(), env);
        let by_ctodb = ctodb(conninfo.as_deref(), env);
        let agreed = match (&by_psql, expected.starts_with("fails")) {
            (None, true) => true,
            (Some(marker), false) => marker.replace('-', " ").replace("ctodb_twin_", "") == *expected,
            _ => false,
        };
        assert!(agreed, "psql itself did not reach {expected} with {conninfo:?} {env:?}: {by_psql:?}");
        if by_psql != by_ctodb {
            mismatches.push(format!("{conninfo:?} {env:?}: psql {by_psql:?}, ctodb {by_ctodb:?}"));
        }
    }
    assert!(mismatches.is_empty(), "ctodb went elsewhere than psql:\n{}", mismatches.join("\n"));
    for database in DATABASES {
        let _ = system_admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(database)));
    }
}

#[test]
fn the_password_file_is_read_for_each_host_tried_as_psql_reads_it() {
    let (cluster, role, password) = crate::common::cluster::with_password_role();
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    let dead = crate::common::cluster::free_port();
    // the first host's line has another password: sending it to the second host fails
    std::fs::write(
        &passfile,
        format!("127.0.0.1:{dead}:*:{role}:not-this-one\n127.0.0.1:{}:*:{role}:{password}\n", cluster.port),
    )
    .unwrap();
    std::fs::set_permissions(&passfile, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    cluster.admin("postgres").batch_execute("CREATE DATABASE ctodb_pass").unwrap();
    let url = format!("postgresql://{role}@127.0.0.1:{dead},127.0.0.1:{}/ctodb_pass", cluster.port);
    let passfile_env = vec![("PGPASSFILE", passfile.display().to_string())];
    let by_psql = Command::new("psql")
        .env("PGPASSFILE", &passfile)
        .args(["-X", "-A", "-t", "-c", "SELECT current_user", &url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&by_psql.stdout).trim(), role, "psql itself: {by_psql:?}");
    let out = ctodb_command(Some(&url)).envs(passfile_env).args(["migrate"]).output().unwrap();
    assert!(out.status.success(), "ctodb: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(password));
}

#[test]
fn each_host_gets_its_own_connect_timeout() {
    // a host that accepts the connection and never answers, then the real one
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let twin = TestCluster::start(&[]);
    let url = format!("postgresql://postgres@127.0.0.1:{silent_port},127.0.0.1:{}/postgres", twin.port);
    let started = std::time::Instant::now();
    let out = ctodb_command(Some(&url))
        .env("DATABASE_CONNECTION_TIMEOUT", "2")
        .args(["doctor", "-f", "csv"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("127.0.0.1:{}", twin.port)) || stdout.contains("connection"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("true,connection,")),
        "the second host was not reached after the first timed out ({took:?}):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took >= std::time::Duration::from_secs(2), "the silent host was not waited for: {took:?}");
    drop(silent);
}

/// A CA (ca1) and a server certificate it signed for `localhost`, and a second CA (ca2);
/// returns the folder holding ca1.pem, ca2.pem, server.pem and server.key.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("ctodb-tls-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    crate::common::certificates(dir.path(), "ca1");
    crate::common::certificate_authority(dir.path(), "ca2");
    dir
}

#[test]
fn tls_modes_and_root_certificates_answer_as_psql_answers() {
    let certs = certificates();
    let file = |name: &str| certs.path().join(name).display().to_string();
    let key = certs.path().join("server.key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let settings = [
        "ssl = on".to_string(),
        format!("ssl_cert_file = '{}'", file("server.pem")),
        format!("ssl_key_file = '{}'", file("server.key")),
    ];
    let probe = TestCluster::start(&[]);
    probe.give_to_owner(&[&key]);
    drop(probe);
    let cluster = TestCluster::start(&settings.iter().map(String::as_str).collect::<Vec<_>>());
    let port = cluster.port;
    // HOME folders: one without ~/.postgresql/root.crt, one with the right CA there, one
    // with the other CA there
    let homes = tempfile::tempdir().unwrap();
    let home = |name: &str, ca: Option<&str>| -> String {
        let dir = homes.path().join(name);
        std::fs::create_dir_all(dir.join(".postgresql")).unwrap();
        if let Some(ca) = ca {
            std::fs::copy(certs.path().join(ca), dir.join(".postgresql/root.crt")).unwrap();
        }
        dir.display().to_string()
    };
    let (bare, right_home, other_home) =
        (home("bare", None), home("right", Some("ca1.pem")), home("other", Some("ca2.pem")));
    let mut mismatches = Vec::new();
    let mut answers = Vec::new();
    for mode in ["prefer", "require", "verify-ca", "verify-full", ""] {
        for (host, root, home) in [
            ("localhost", Some(file("ca1.pem")), &bare),
            ("127.0.0.1", Some(file("ca1.pem")), &bare),
            ("localhost", Some(file("ca2.pem")), &bare),
            ("localhost", None, &bare),
            ("127.0.0.1", None, &right_home),
            ("localhost", None, &other_home),
            ("localhost", Some("system".to_string()), &bare),
        ] {
            let mut url = format!("postgresql://postgres@{host}:{port}/postgres?connect_timeout=5");
            if !mode.is_empty() {
                url.push_str(&format!("&sslmode={mode}"));
            }
            if let Some(root) = &root {
                url.push_str(&format!("&sslrootcert={root}"));
            }
            let system = root.as_deref() == Some("system");
            // psql here is libpq 15, which reads `system` as a file name; libpq 16 (SPEC §2)
            // means the system's roots and verify-full, refusing a weaker mode: the test
            // CA is not among the system's roots, so every such case is refused
            let by_psql = !system
                && Command::new("psql")
                    .env_clear()
                    .env("HOME", home)
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .args(["-X", "-A", "-t", "-c", "SELECT 1", &url])
                    .output()
                    .unwrap()
                    .status
                    .success();
            let out =
                ctodb_command(Some(&url)).env("HOME", home).args(["doctor", "-f", "csv"]).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let by_ctodb = stdout.lines().any(|l| l.starts_with("true,connection,"));
            let stderr = String::from_utf8_lossy(&out.stderr);
            if system && !matches!(mode, "" | "verify-full") {
                assert!(
                    stderr.contains(&format!("invalid database URL: sslmode={mode} is not valid: a weaker sslmode than verify-full may not be used with sslrootcert=system (use verify-full)")),
                    "{mode}: {stderr}"
                );
            }
            let case = format!(
                "sslmode={mode:<11} host={host:<9} root={:<8} home={}",
                root.as_deref().map_or("-", |r| if r == "system" {
                    "system"
                } else if r.ends_with("ca1.pem") {
                    "ca1"
                } else {
                    "ca2"
                }),
                home.rsplit('/').next().unwrap_or("")
            );
            answers.push(format!("{case}: {}", if by_psql { "connects" } else { "refused" }));
            if by_psql != by_ctodb {
                mismatches.push(format!("{case}: psql {by_psql}, ctodb {by_ctodb}: {stdout}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "ctodb answered otherwise than psql:\n{}\n\nall of psql's answers:\n{}",
        mismatches.join("\n"),
        answers.join("\n")
    );
    // the cases that matter most, as psql answered them
    for expected in [
        "sslmode=verify-ca   host=127.0.0.1 root=ca1      home=bare: connects",
        "sslmode=verify-full host=127.0.0.1 root=ca1      home=bare: refused",
        "sslmode=verify-ca   host=localhost root=ca2      home=bare: refused",
        "sslmode=verify-ca   host=localhost root=-        home=bare: refused",
        "sslmode=require     host=localhost root=-        home=other: refused",
        "sslmode=require     host=127.0.0.1 root=-        home=right: connects",
        "sslmode=            host=localhost root=system   home=bare: refused",
        "sslmode=require     host=localhost root=system   home=bare: refused",
        "sslmode=            host=localhost root=ca2      home=bare: connects",
    ] {
        assert!(answers.iter().any(|a| a == expected), "{expected} not among:\n{}", answers.join("\n"));
    }
}
