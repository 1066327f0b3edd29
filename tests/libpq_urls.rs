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
