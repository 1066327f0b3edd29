//! ctodb's three roles with real roles, on a throwaway cluster (roles are the server's,
//! not a database's): the GRANT statements `ctodb grants` prints make a reader that runs
//! every read and `export`, and a writer that runs refresh, imports and `bug update`; a
//! command above a role's privileges fails before writing, naming what it lacks.

use crate::common::cluster::TestCluster;
use crate::common::{ctodb_command, CliOutput};

const AS_OF: &str = "2026-11-25T12:00:00Z";

fn url(cluster: &TestCluster, user: &str) -> String {
    format!("postgresql://{user}@/ctodb?host={}&port={}", cluster.socket_dir().display(), cluster.port)
}

fn ctodb(url: &str, dir: &std::path::Path, args: &[&str]) -> CliOutput {
    ctodb_command(Some(url)).current_dir(dir).args(args).output().unwrap().into()
}

/// Every row of every table of ctodb, to tell that nothing was written.
fn everything(cluster: &TestCluster) -> String {
    let mut admin = cluster.admin("ctodb");
    let tables: Vec<String> = admin
        .query(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname IN ('public', 'ctodb') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    tables
        .iter()
        .map(|table| {
            let sql = format!("SELECT '{table}' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t");
            admin.query_one(&sql, &[]).unwrap().get::<_, String>(0)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_reader_reads_the_writer_writes_and_each_is_refused_above_its_role() {
    let cluster = TestCluster::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let owner = url(&cluster, "postgres");
    for args in [vec!["migrate"], vec!["seed", "--as-of", AS_OF], vec!["refresh", "--as-of", AS_OF]] {
        ctodb(&owner, dir.path(), &args).status_only();
    }
    cluster.admin("ctodb").batch_execute("CREATE ROLE analyst LOGIN; CREATE ROLE nightly LOGIN").unwrap();
    let grants = ctodb(
        &owner,
        dir.path(),
        &["grants", "--reader", "analyst", "--writer", "nightly", "--owner", "postgres"],
    )
    .ok();
    assert!(
        grants.contains("GRANT SELECT ON ALL TABLES IN SCHEMA public, ctodb TO \"analyst\";"),
        "{grants}"
    );
    cluster.admin("ctodb").batch_execute(&grants).unwrap();
    let (reader, writer) = (url(&cluster, "analyst"), url(&cluster, "nightly"));

    // every command that only reads, as the reader
    let reads = crate::common::every_report()
        .into_iter()
        .chain([vec!["users"], vec!["export", "--dir", "reports", "--id", "by-reader"]]);
    for args in reads {
        let mut all = args.clone();
        all.extend(["--as-of", AS_OF, "-f", "csv"]);
        let out = ctodb(&reader, dir.path(), &all);
        assert_eq!(out.code(), 0, "{args:?} as the reader: {}", out.stderr_text());
    }
    assert!(dir.path().join("reports/snapshot=by-reader/_manifest.json").is_file());

    // what writes, as the reader: refused before anything is written
    std::fs::write(dir.path().join("p.csv"), "name,arr\nOrion Writer,10\n").unwrap();
    let before = everything(&cluster);
    let refusal =
        "error: role \"analyst\" lacks DELETE on ctodb.assignee_resolutions: `ctodb {command}` writes \
                   rows, which needs ctodb's writer role; `ctodb grants --writer analyst` prints the GRANT \
                   statements, to run as the owner\n";
    for (command, args) in [
        ("refresh", vec!["refresh"]),
        ("bug update", vec!["bug", "update", "1", "--status", "in_progress"]),
        ("import csv", vec!["import", "csv", "p.csv", "--kind", "projects"]),
    ] {
        let out = ctodb(&reader, dir.path(), &args);
        assert_eq!(out.code(), 1, "{args:?}");
        assert_eq!(out.stderr_text(), refusal.replace("{command}", command));
    }
    let out = ctodb(&reader, dir.path(), &["seed", "--append", "--bugs", "5"]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().starts_with("error: role \"analyst\" lacks DELETE on ctodb.assignee_resolutions: `ctodb seed` changes the schema or bulk-loads tables, which needs ctodb's owner role; run it as the role that owns ctodb's tables"), "{}", out.stderr_text());
    assert_eq!(everything(&cluster), before, "the reader wrote something");
    let doctor = ctodb(&reader, dir.path(), &["doctor", "-f", "csv"]).stdout_text();
    let role = doctor.lines().find(|l| l.contains(",role,")).unwrap_or_default().to_string();
    assert!(
        role.starts_with("true,role,")
            && role.ends_with(
                ",analyst acts as reader; not as writer: it lacks DELETE on ctodb.assignee_resolutions"
            ),
        "{doctor}"
    );

    // the writer writes rows, and is refused what only the owner may
    ctodb(&writer, dir.path(), &["refresh", "--as-of", AS_OF]).status_only();
    ctodb(&writer, dir.path(), &["bug", "update", "1", "--status", "in_progress", "--as", "linus@ctodb.dev"])
        .status_only();
    ctodb(&writer, dir.path(), &["import", "csv", "p.csv", "--kind", "projects"]).ok();
    let projects: i64 = cluster
        .admin("ctodb")
        .query_one("SELECT count(*) FROM projects WHERE name = 'Orion Writer'", &[])
        .unwrap()
        .get(0);
    assert_eq!(projects, 1);
    let before = everything(&cluster);
    for (command, args) in [("seed", vec!["seed", "--append", "--bugs", "5"]), ("migrate", vec!["migrate"])] {
        let out = ctodb(&writer, dir.path(), &args);
        assert_eq!(out.code(), 1, "{args:?}");
        assert_eq!(
            out.stderr_text(),
            format!("error: role \"nightly\" lacks membership in postgres, its owner on public.bugs: `ctodb {command}` changes the schema or bulk-loads tables, which needs ctodb's owner role; run it as the role that owns ctodb's tables\n")
        );
    }
    assert_eq!(everything(&cluster), before, "the writer changed something it may not");
    let doctor = ctodb(&writer, dir.path(), &["doctor", "-f", "csv"]).stdout_text();
    assert!(
        doctor.contains("nightly acts as reader and writer; not as owner: it lacks membership in postgres, its owner on public.bugs"),
        "{doctor}"
    );
}
