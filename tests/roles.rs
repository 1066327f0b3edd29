//! ctodb's three roles with real roles, on a throwaway cluster set up as a careful admin
//! does: the owner of ctodb's database is not a superuser, and the reader and the writer
//! get exactly what `ctodb grants` prints. What each role may do is asked of the server
//! itself (permission denied, rows affected), not of ctodb's own pre-check; and a writer
//! trying to run code as the owner gets nowhere.

use crate::common::cluster::TestCluster;
use crate::common::{ctodb_command, CliOutput};

const AS_OF: &str = "2026-11-25T12:00:00Z";
const OWNER: &str = "ctodb_owner";
const READER: &str = "analyst";
const WRITER: &str = "nightly";

fn url(cluster: &TestCluster, user: &str) -> String {
    format!("postgresql://{user}@/ctodb?host={}&port={}", cluster.socket_dir().display(), cluster.port)
}

fn ctodb(url: &str, dir: &std::path::Path, args: &[&str]) -> CliOutput {
    ctodb_command(Some(url)).current_dir(dir).args(args).output().unwrap().into()
}

fn connect(cluster: &TestCluster, user: &str) -> postgres::Client {
    postgres::Config::new()
        .host_path(cluster.socket_dir())
        .port(cluster.port)
        .user(user)
        .dbname("ctodb")
        .connect(postgres::NoTls)
        .unwrap_or_else(|err| panic!("connecting as {user}: {err}"))
}

/// A cluster with the owner (LOGIN, not a superuser, owning the database ctodb), the
/// reader and the writer; migrated, seeded and refreshed as the owner, and the statements
/// `ctodb grants` printed run as the owner. Returns the cluster, a scratch folder and the
/// printed statements.
fn careful_setup(settings: &[&str]) -> (TestCluster, tempfile::TempDir, String) {
    let cluster = TestCluster::start(settings);
    let mut admin = cluster.admin("postgres");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
             CREATE ROLE {READER} LOGIN; CREATE ROLE {WRITER} LOGIN;"
        ))
        .unwrap();
    admin.batch_execute(&format!("CREATE DATABASE ctodb OWNER {OWNER}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let owner = url(&cluster, OWNER);
    for args in [vec!["migrate"], vec!["seed", "--as-of", AS_OF], vec!["refresh", "--as-of", AS_OF]] {
        ctodb(&owner, dir.path(), &args).status_only();
    }
    let grants =
        ctodb(&owner, dir.path(), &["grants", "--reader", READER, "--writer", WRITER, "--owner", OWNER]).ok();
    connect(&cluster, OWNER).batch_execute(&grants).unwrap();
    (cluster, dir, grants)
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

/// ctodb's tables (and the dictionary view), schema-qualified, with a column of each.
fn ctodb_relations(cluster: &TestCluster) -> Vec<(String, String, char)> {
    cluster
        .admin("ctodb")
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), a.attname::text, c.relkind::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN LATERAL (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0
                           AND NOT attisdropped ORDER BY attnum LIMIT 1) a ON true
             WHERE n.nspname IN ('public', 'ctodb') AND c.relkind IN ('r', 'm') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get::<_, String>(2).chars().next().unwrap_or('r')))
        .collect()
}

/// The SQLSTATE the server answers `sql` with ("00000" when it succeeds), in a
/// transaction rolled back afterwards, and the rows it affected.
fn attempt(client: &mut postgres::Client, sql: &str) -> (String, u64) {
    let mut tx = client.transaction().unwrap();
    let outcome = match tx.execute(sql, &[]) {
        Ok(rows) => ("00000".to_string(), rows),
        Err(err) => (err.code().map(|c| c.code().to_string()).unwrap_or_else(|| err.to_string()), 0),
    };
    tx.rollback().unwrap();
    outcome
}

const DENIED: &str = "42501";

fn assert_denied(client: &mut postgres::Client, who: &str, sql: &str) {
    let (state, _) = attempt(client, sql);
    assert_eq!(state, DENIED, "{who} was not refused by the server: {sql}");
}

/// Schema changes neither role may make.
const DDL: &[&str] = &[
    "CREATE TABLE public.planted (i int)",
    "CREATE TABLE ctodb.planted (i int)",
    "ALTER TABLE public.bugs ADD COLUMN planted int",
    "ALTER TABLE public.bug_history DISABLE TRIGGER ALL",
    "DROP TABLE public.audit_log",
    "CREATE INDEX planted ON public.bugs (title)",
    "CREATE FUNCTION public.planted() RETURNS int LANGUAGE sql RETURN 1",
    "CREATE OR REPLACE FUNCTION public.ctodb_bug_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "DROP TRIGGER bugs_history ON public.bugs",
    "ALTER TABLE public.import_logs DISABLE ROW LEVEL SECURITY",
    "REFRESH MATERIALIZED VIEW public.search_words",
    "TRUNCATE public.bugs",
];

#[test]
fn the_reader_reads_the_writer_writes_and_each_is_refused_above_its_role() {
    let (cluster, dir, grants) = careful_setup(&[]);
    assert!(grants.contains(&format!("GRANT SELECT ON TABLE public.bugs TO \"{READER}\";")), "{grants}");
    assert!(!grants.contains("ALL TABLES") && !grants.contains("DEFAULT PRIVILEGES"), "{grants}");
    let (reader, writer) = (url(&cluster, READER), url(&cluster, WRITER));

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

    // the writer writes rows (an import with a rejected row too), and is refused what
    // only the owner may
    ctodb(&writer, dir.path(), &["refresh", "--as-of", "2026-11-27T12:00:00Z"]).status_only();
    ctodb(&writer, dir.path(), &["bug", "update", "1", "--status", "in_progress", "--as", "linus@ctodb.dev"])
        .status_only();
    ctodb(&writer, dir.path(), &["import", "csv", "p.csv", "--kind", "projects"]).ok();
    std::fs::write(dir.path().join("q.csv"), "name,arr\nOrion Second,10\nOrion Bad,-5\n").unwrap();
    let out = ctodb(&writer, dir.path(), &["import", "csv", "q.csv", "--kind", "projects", "--skip-invalid"]);
    assert_eq!(out.code(), 0, "{}", out.stderr_text());
    let mut admin = cluster.admin("ctodb");
    let projects: i64 = admin
        .query_one("SELECT count(*) FROM projects WHERE name IN ('Orion Writer', 'Orion Second')", &[])
        .unwrap()
        .get(0);
    assert_eq!(projects, 2);
    let logs: Vec<String> = admin
        .query("SELECT status FROM import_logs WHERE target ~ '(^|/)[pq]\\.csv$' ORDER BY started_at", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(logs, ["succeeded", "partial"]);
    let before = everything(&cluster);
    for (command, args) in [("seed", vec!["seed", "--append", "--bugs", "5"]), ("migrate", vec!["migrate"])] {
        let out = ctodb(&writer, dir.path(), &args);
        assert_eq!(out.code(), 1, "{args:?}");
        assert_eq!(
            out.stderr_text(),
            format!("error: role \"nightly\" lacks membership in ctodb_owner, its owner on public.bugs: `ctodb {command}` changes the schema or bulk-loads tables, which needs ctodb's owner role; run it as the role that owns ctodb's tables\n")
        );
    }
    assert_eq!(everything(&cluster), before, "the writer changed something it may not");
    let doctor = ctodb(&writer, dir.path(), &["doctor", "-f", "csv"]).stdout_text();
    assert!(
        doctor.contains("nightly acts as reader and writer; not as owner: it lacks membership in ctodb_owner, its owner on public.bugs"),
        "{doctor}"
    );
}

#[test]
fn the_server_refuses_each_role_what_it_may_not_do() {
    let (cluster, dir, _) = careful_setup(&[]);
    // a finished import and a run record, for the writer to try to rewrite
    std::fs::write(dir.path().join("p.csv"), "name,arr\nOrion Writer,10\n").unwrap();
    ctodb(&url(&cluster, WRITER), dir.path(), &["import", "csv", "p.csv", "--kind", "projects"]).ok();
    let relations = ctodb_relations(&cluster);
    assert!(relations.len() >= 20, "{relations:?}");

    let mut reader = connect(&cluster, READER);
    for (table, column, kind) in &relations {
        let (state, _) = attempt(&mut reader, &format!("SELECT count(*) FROM {table}"));
        assert_eq!(state, "00000", "the reader cannot read {table}");
        if *kind == 'm' {
            continue;
        }
        for sql in [
            format!("INSERT INTO {table} DEFAULT VALUES"),
            format!("UPDATE {table} SET {column} = {column}"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table}"),
        ] {
            assert_denied(&mut reader, "the reader", &sql);
        }
    }
    for sql in DDL {
        assert_denied(&mut reader, "the reader", sql);
    }

    let mut writer = connect(&cluster, WRITER);
    for sql in DDL {
        assert_denied(&mut writer, "the writer", sql);
    }
    for table in ["public.bug_history", "public.audit_log", "ctodb.schema_migrations"] {
        let (_, column, _) = relations.iter().find(|(t, _, _)| t == table).unwrap();
        assert_denied(&mut writer, "the writer", &format!("UPDATE {table} SET {column} = {column}"));
        assert_denied(&mut writer, "the writer", &format!("DELETE FROM {table}"));
    }
    assert_denied(&mut writer, "the writer", "INSERT INTO ctodb.schema_migrations DEFAULT VALUES");
    assert_denied(&mut writer, "the writer", "DELETE FROM public.import_logs");
    assert_denied(&mut writer, "the writer", "UPDATE public.import_logs SET target = 'rewritten'");
    assert_denied(&mut writer, "the writer", "UPDATE ctodb.runs SET outcome = 'null'");
    for table in relations.iter().filter(|(_, _, kind)| *kind == 'r').map(|(t, _, _)| t) {
        assert_denied(&mut writer, "the writer", &format!("TRUNCATE {table}"));
    }
    // rows ctodb finishes: only a running import's log row, only run records 30 days old
    assert_eq!(attempt(&mut writer, "UPDATE public.import_logs SET status = 'failed'"), ("00000".into(), 0));
    assert_eq!(attempt(&mut writer, "DELETE FROM ctodb.runs"), ("00000".into(), 0));
    let runs: i64 = cluster.admin("ctodb").query_one("SELECT count(*) FROM ctodb.runs", &[]).unwrap().get(0);
    assert!(runs >= 1);

    // the history switch: set by hand, it hides nothing
    let history = |cluster: &TestCluster| -> i64 {
        cluster.admin("ctodb").query_one("SELECT count(*) FROM bug_history", &[]).unwrap().get(0)
    };
    let before = history(&cluster);
    writer
        .batch_execute(
            "BEGIN; SET LOCAL ctodb.refresh = on;
             UPDATE bugs SET status = CASE WHEN status = 'deferred' THEN 'pending' ELSE 'deferred' END::bug_status,
                             priority_score = 1 WHERE bug_number = 3;
             UPDATE bugs SET title = 'renamed by hand' WHERE bug_number = 4; COMMIT",
        )
        .unwrap();
    let recorded: Vec<String> = cluster
        .admin("ctodb")
        .query(
            "SELECT b.bug_number || ' ' || h.field FROM bug_history h JOIN bugs b ON b.id = h.bug_id
             ORDER BY h.changed_at DESC, 1 LIMIT 3",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(history(&cluster), before + 3);
    let mut sorted = recorded.clone();
    sorted.sort();
    assert_eq!(sorted, ["3 priority_score", "3 status", "4 title"]);
    // and the scores the refresh writes through its function are still not history
    let before = history(&cluster);
    ctodb(&url(&cluster, WRITER), dir.path(), &["refresh", "--as-of", "2026-12-03T12:00:00Z"]).status_only();
    assert_eq!(history(&cluster), before, "the nightly refresh wrote history");
}

#[test]
fn a_writer_cannot_run_code_as_the_owner() {
    let (cluster, _dir, _) = careful_setup(&[]);
    // every SECURITY DEFINER function of ctodb fixes its search path with pg_temp last
    let definers: Vec<(String, Vec<String>)> = cluster
        .admin("ctodb")
        .query(
            "SELECT p.oid::regprocedure::text, coalesce(p.proconfig, '{}')
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE p.prosecdef AND n.nspname IN ('public', 'ctodb') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        definers.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
        [
            "ctodb.apply_bug_scores(uuid[],numeric[])",
            "ctodb.journal_import()",
            "ctodb.refresh_search_words(boolean)"
        ]
    );
    for (name, config) in &definers {
        assert_eq!(config, &["search_path=pg_catalog, pg_temp"], "{name}");
    }

    // the attack of issue 35: temporary objects named as the owner's SQL names its own,
    // in front of the real ones
    let mut writer = connect(&cluster, WRITER);
    writer
        .batch_execute(
            "CREATE FUNCTION pg_temp.payload() RETURNS text LANGUAGE plpgsql AS $$
             BEGIN EXECUTE 'CREATE TABLE public.pwned AS SELECT current_user::text AS ran_as'; RETURN 'x'; END $$;
             CREATE TEMP VIEW projects AS SELECT pg_temp.payload() AS name;
             CREATE TEMP VIEW bug_search AS SELECT pg_temp.payload()::tsvector AS search_vector;
             CREATE TEMP VIEW bugs AS SELECT * FROM public.bugs WHERE pg_temp.payload() IS NOT NULL;
             CREATE TEMP VIEW search_words_built AS SELECT 0::bigint AS changes WHERE pg_temp.payload() IS NOT NULL;
             CREATE TEMP TABLE refresh_bug_scores (id uuid, priority_score numeric);
             ALTER TABLE refresh_bug_scores ENABLE ROW LEVEL SECURITY;
             CREATE POLICY p ON refresh_bug_scores USING (pg_temp.payload() IS NOT NULL);
             GRANT ALL ON projects, bug_search, bugs, search_words_built, refresh_bug_scores TO PUBLIC;
             GRANT EXECUTE ON FUNCTION pg_temp.payload() TO PUBLIC;
             INSERT INTO ctodb.bug_search VALUES (999999, 'planted')",
        )
        .unwrap();
    let rebuilt: bool = writer.query_one("SELECT ctodb.refresh_search_words(false)", &[]).unwrap().get(0);
    assert!(rebuilt);
    let row = writer
        .query_one(
            "SELECT scored, zeroed FROM ctodb.apply_bug_scores(ARRAY[(SELECT id FROM public.bugs WHERE bug_number = 1)], ARRAY[1.5])",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    let mut admin = cluster.admin("ctodb");
    let pwned: Option<String> =
        admin.query_one("SELECT to_regclass('public.pwned')::text", &[]).unwrap().get(0);
    assert_eq!(pwned, None, "the writer ran code as the owner");
    // the dictionary was built from the real tables (the planted document's word is in it)
    let planted: i64 =
        admin.query_one("SELECT count(*) FROM search_words WHERE word = 'planted'", &[]).unwrap().get(0);
    assert_eq!(planted, 1);
}

#[test]
fn migrations_and_commands_work_under_postgresql_17s_restricted_search_path() {
    let cluster = TestCluster::start(&[]);
    let mut admin = cluster.admin("postgres");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {OWNER} LOGIN NOSUPERUSER; ALTER ROLE {OWNER} SET search_path = pg_catalog, pg_temp;"
        ))
        .unwrap();
    admin.batch_execute(&format!("CREATE DATABASE ctodb OWNER {OWNER}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let owner = url(&cluster, OWNER);
    for args in
        [vec!["migrate"], vec!["seed", "--as-of", AS_OF], vec!["refresh", "--as-of", "2026-11-26T12:00:00Z"]]
    {
        ctodb(&owner, dir.path(), &args).status_only();
    }
    let found = ctodb(&owner, dir.path(), &["search", "checkout", "-f", "csv", "--bugs"]).ok();
    assert!(found.contains("\nbug,1,Checkout double-charges the card on retry,"), "{found}");
    let portfolio = ctodb(&owner, dir.path(), &["report", "portfolio", "-f", "csv", "--as-of", AS_OF]).ok();
    assert!(portfolio.contains("Atlas Payments"), "{portfolio}");
    std::fs::write(dir.path().join("p.csv"), "name,description\nOrion Restricted,quartzite checkout\n")
        .unwrap();
    ctodb(&owner, dir.path(), &["import", "csv", "p.csv", "--kind", "projects"]).ok();
    // what PostgreSQL 17 and later run with that path whoever asks: the dictionary's
    // REFRESH, index builds (every index expression evaluated again), ANALYZE
    let mut client = connect(&cluster, OWNER);
    let path: String = client.query_one("SHOW search_path", &[]).unwrap().get(0);
    assert_eq!(path, "pg_catalog, pg_temp");
    for statement in [
        "REFRESH MATERIALIZED VIEW public.search_words",
        "REINDEX SCHEMA public",
        "REINDEX SCHEMA ctodb",
        "ANALYZE",
    ] {
        client.batch_execute(statement).unwrap_or_else(|err| panic!("{statement}: {err}"));
    }
    let found: i64 = client
        .query_one("SELECT count(*) FROM public.search_words WHERE word = 'quartzit'", &[])
        .unwrap()
        .get(0);
    assert_eq!(found, 0, "quartzite is in a project's description, not its name");
    let found: i64 = client
        .query_one("SELECT count(*) FROM public.search_words WHERE word = 'restricted'", &[])
        .unwrap()
        .get(0);
    assert_eq!(found, 1);
}
