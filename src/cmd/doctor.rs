//! `ctodb doctor`: ✓/✗ lines with the time each check took; exit 1 when any fails.

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::Result;
use rust_decimal::Decimal;

use super::{Context, Outcome};
use crate::db::migrate::{self, Migration};
use crate::db::{self, Db};
use crate::frame::{Column, Frame, Kind, Report, Style, Value};
use crate::sql;
use crate::ui;

use super::doctor_queries::{explain_uses_index, run_helpers, search_worst_case, Probe, SEARCH_TARGET_MS};

/// Below this many bugs the planner rightly scans tables; index checks then run with
/// sequential scans disabled.
const SMALL_TABLE_ROWS: i64 = 10_000;

/// Oldest server with everything the schema uses (gen_random_uuid built in, stored
/// generated columns).
const MIN_SERVER_VERSION: i32 = 130000;
const REQUIRED_EXTENSIONS: [&str; 2] = ["pg_trgm", "fuzzystrmatch"];
/// A table this large that was never analyzed leaves the planner guessing.
const ANALYZE_THRESHOLD_ROWS: i64 = 1000;

struct Checklist {
    frame: Frame,
    failed: bool,
}

impl Checklist {
    fn new() -> Checklist {
        Checklist {
            frame: Frame::new(
                "checks",
                vec![
                    Column::new("ok", Kind::Bool),
                    Column::new("check", Kind::Text),
                    Column::new("ms", Kind::Decimal),
                    Column::new("detail", Kind::Text),
                ],
            )
            .styled(Style::Checklist),
            failed: false,
        }
    }

    fn record(&mut self, check: &str, started: Instant, result: Result<String, String>) {
        // milliseconds to a tenth: what a health check's timing means
        let ms =
            Decimal::new(i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX), 3).round_dp(1);
        let (ok, detail) = match result {
            Ok(detail) => (true, detail),
            Err(problem) => (false, problem),
        };
        self.failed |= !ok;
        self.frame.push(vec![
            Value::Bool(ok),
            Value::Text(check.to_string()),
            Value::Decimal(ms),
            Value::Text(detail),
        ]);
    }
}

pub async fn run(ctx: &Context) -> Result<Outcome> {
    let mut checks = Checklist::new();
    let started = Instant::now();
    let db = match ctx.connect().await {
        Ok(db) => db,
        Err(err) => {
            checks.record("connection", started, Err(format!("{err:#}")));
            return finish(ctx, checks);
        }
    };
    let connected = round_trip(&db).await;
    checks.record(
        "connection",
        started,
        connected.map(|(ms, tls)| format!("{} ({tls}, {ms:.1} ms round trip)", ctx.target.describe())),
    );
    if checks.failed {
        return finish(ctx, checks);
    }

    server_checks(&db, &mut checks).await;
    let started = Instant::now();
    let result = role_check(ctx, &db).await;
    checks.record("role", started, result);
    let migrations = migrate::embedded();
    let started = Instant::now();
    let result = migrations_check(&db, &migrations).await;
    checks.record("migrations", started, result);

    let started = Instant::now();
    let result = schema_check(&db, &migrations).await;
    checks.record("schema", started, result);

    let started = Instant::now();
    let (result, bug_rows) = statistics_check(&db).await;
    checks.record("table statistics", started, result);

    // the read half (every helper, index use, the search) runs where reads go
    let read_db = replica_check(ctx, &mut checks).await.unwrap_or_else(|| db.clone());
    let probe = Probe::new(ctx.as_of);
    let mut client = read_db.client().await?;
    for (check, area) in [
        ("project helpers", "project"),
        ("bug helpers", "bug"),
        ("metrics helpers", "metrics"),
        ("portfolio helpers", "portfolio"),
        ("search helpers", "search"),
        ("sync helpers", "sync"),
    ] {
        let started = Instant::now();
        let result = run_helpers(&mut client, &probe, area).await.map(|(detail, slow)| {
            for warning in slow {
                ui::warn(&warning);
            }
            detail
        });
        checks.record(check, started, result);
    }
    let started = Instant::now();
    let result = imports_check(&db).await;
    checks.record("imports", started, result);
    let small = bug_rows < SMALL_TABLE_ROWS;
    for (name, helper, params, expected) in probe.hot_queries() {
        let started = Instant::now();
        let result = explain_uses_index(&mut client, helper, &params, expected, small).await;
        checks.record(&format!("index: {name}"), started, result);
    }

    let started = Instant::now();
    let result = worst_search(&mut client).await;
    checks.record("search worst case", started, result);

    finish(ctx, checks)
}

/// The replica of DATABASE_READ_URL, when there is one: its lag and whether reads go
/// there (a replica that does not answer, or lags, fails the check). The replica's pool
/// when reads go there.
async fn replica_check(ctx: &Context, checks: &mut Checklist) -> Option<Db> {
    let replica = ctx.read.replica.as_ref()?;
    let started = Instant::now();
    let routed = match crate::db::replica::route(&ctx.target, &ctx.read, &ctx.pool).await {
        Ok(route) if route.on_replica => {
            Db::connect(&route.target, &ctx.pool).await.map_err(|err| err.to_string())
        }
        Ok(route) => Err(route.note),
        Err(err) => Err(format!("{err:#}")),
    };
    match routed {
        Ok(db) => {
            let lag = match crate::db::replica::Standby::of(&db).await {
                Ok(state) => crate::db::replica::lag(&state, &ctx.target, &ctx.pool, ctx.read.max_lag)
                    .await
                    .map_or_else(|err| err.to_string(), |lag| lag.describe()),
                Err(err) => err.to_string(),
            };
            checks.record("replica", started, Ok(format!("{} ({lag}); reads go there", replica.describe())));
            Some(db)
        }
        Err(why) => {
            checks.record("replica", started, Err(why));
            None
        }
    }
}

/// Which of ctodb's roles the current role holds: reader (every read), writer (refresh,
/// imports, bug update), owner (migrate, seed); what it lacks for the next one. Fails only
/// when it cannot even read.
async fn role_check(ctx: &Context, db: &Db) -> Result<String, String> {
    use crate::db::privileges::{self, Role};
    let client = db.client().await.map_err(|err| err.to_string())?;
    let missing = privileges::missing(&**client).await.map_err(|err| err.to_string())?;
    let held = privileges::roles_held(&missing);
    let user = ctx.target.user();
    let names: Vec<&str> = held.iter().map(|role| role.label()).collect();
    let next = [Role::Reader, Role::Writer, Role::Owner].into_iter().find(|role| !held.contains(role));
    let lacks = next.and_then(|role| privileges::first_lacking(&missing, role).map(|m| (role, m)));
    let detail = match (names.as_slice(), lacks) {
        (_, None) => format!("{user} may read, write and own (every command)"),
        ([], Some((_, m))) => {
            return Err(format!("{user} may not read: it lacks {} on {}", m.privilege, m.object))
        }
        (held, Some((role, m))) => format!(
            "{user} acts as {}; not as {}: it lacks {} on {}",
            held.join(" and "),
            role.label(),
            m.privilege,
            m.object
        ),
    };
    Ok(detail)
}

/// The server's version, and the extensions ctodb needs.
async fn server_checks(db: &Db, checks: &mut Checklist) {
    let started = Instant::now();
    let (version, version_num, extensions) = match server_info(db).await {
        Ok(server) => server,
        Err(problem) => return checks.record("server", started, Err(problem)),
    };
    let server = if version_num >= MIN_SERVER_VERSION {
        Ok(format!("PostgreSQL {version}"))
    } else {
        Err(format!("PostgreSQL {version} is too old; ctodb needs 13 or newer"))
    };
    checks.record("server", started, server);
    let started = Instant::now();
    let missing: Vec<&str> =
        REQUIRED_EXTENSIONS.into_iter().filter(|ext| !extensions.iter().any(|e| e == ext)).collect();
    let present = if missing.is_empty() {
        Ok(REQUIRED_EXTENSIONS.join(", "))
    } else {
        Err(format!("missing {}; run `ctodb migrate`", missing.join(", ")))
    };
    checks.record("extensions", started, present);
}

/// The full-text search for the data's most common words, against its time target.
async fn worst_search(client: &mut tokio_postgres::Client) -> Result<String, String> {
    match search_worst_case(client).await {
        Ok(Some(worst)) => {
            let measured = format!(
                "\"{}\": {} matches in {:.1} ms; costliest plan node {}",
                worst.text, worst.matches, worst.ms, worst.costliest
            );
            if worst.ms > SEARCH_TARGET_MS {
                ui::warn(&format!(
                    "{} is over its {SEARCH_TARGET_MS} ms target for the most common words: {measured}",
                    sql::SEARCH_BUGS_FULLTEXT.name
                ));
                Ok(format!("over the {SEARCH_TARGET_MS} ms target: {measured}"))
            } else {
                Ok(measured)
            }
        }
        Ok(None) => Ok("no words to search for yet".to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// Imports whose process died while they ran (their log row stays `running` until the
/// next import marks it failed): named, as a warning, since nothing is wrong now.
async fn imports_check(db: &Db) -> Result<String, String> {
    let client = db.client().await.map_err(|e| e.to_string())?;
    let gone = crate::queries::import_runs::abandoned(&**client, false).await.map_err(|e| e.to_string())?;
    if gone.is_empty() {
        return Ok("none left running by a process that is gone".to_string());
    }
    let named: Vec<String> = gone
        .iter()
        .map(|g| {
            format!(
                "{} (started {}, import_logs {})",
                g.target,
                g.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                g.id
            )
        })
        .collect();
    let detail = format!(
        "{} left running by a process that is gone: {}; the next import marks {} failed",
        gone.len(),
        named.join(", "),
        if gone.len() == 1 { "it" } else { "them" }
    );
    ui::warn(&format!("imports: {detail}"));
    Ok(detail)
}

fn finish(ctx: &Context, checks: Checklist) -> Result<Outcome> {
    let failed = checks.failed;
    ctx.output.emit(&Report::single(checks.frame))?;
    Ok(if failed { Outcome::ChecksFailed } else { Outcome::Success })
}

/// The round trip of a trivial query, in ms, and how the session is encrypted.
async fn round_trip(db: &Db) -> Result<(f64, String), String> {
    let client = db.client().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    client.simple_query("SELECT 1").await.map_err(|e| e.to_string())?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let row = db::query_one(&**client, &sql::CONNECTION_INFO, &[]).await.map_err(|e| e.to_string())?;
    let helper = sql::CONNECTION_INFO.name;
    let ssl: bool = db::get(&row, helper, "ssl").map_err(|e| e.to_string())?;
    let version: Option<String> = db::get(&row, helper, "tls_version").map_err(|e| e.to_string())?;
    let tls = match (ssl, version) {
        (true, Some(version)) => version,
        (true, None) => "TLS".to_string(),
        (false, _) => "no TLS".to_string(),
    };
    Ok((ms, tls))
}

async fn server_info(db: &Db) -> Result<(String, i32, Vec<String>), String> {
    let client = db.client().await.map_err(|e| e.to_string())?;
    let row = db::query_one(&**client, &sql::SERVER_INFO, &[]).await.map_err(|e| e.to_string())?;
    let helper = sql::SERVER_INFO.name;
    Ok((
        db::get(&row, helper, "version").map_err(|e| e.to_string())?,
        db::get(&row, helper, "version_num").map_err(|e| e.to_string())?,
        db::get(&row, helper, "extensions").map_err(|e| e.to_string())?,
    ))
}

async fn migrations_check(db: &Db, migrations: &[Migration]) -> Result<String, String> {
    let client = db.client().await.map_err(|e| e.to_string())?;
    let statuses = migrate::status(&**client, migrations).await.map_err(|e| format!("{e:#}"))?;
    migrate::refuse_drift(&statuses).map_err(|e| format!("{e:#}"))?;
    let pending: Vec<String> = statuses
        .iter()
        .filter(|s| s.state == migrate::State::Pending)
        .map(|s| format!("{}_{}", s.version, s.name))
        .collect();
    if pending.is_empty() {
        Ok(format!("{} applied, none pending, no drift", statuses.len()))
    } else {
        Err(format!("{} pending ({}); run `ctodb migrate`", pending.len(), pending.join(", ")))
    }
}

async fn schema_check(db: &Db, migrations: &[Migration]) -> Result<String, String> {
    let expected = expected_objects(migrations);
    let client = db.client().await.map_err(|e| e.to_string())?;
    let rows = db::query(&**client, &sql::SCHEMA_OBJECTS, &[]).await.map_err(|e| e.to_string())?;
    let helper = sql::SCHEMA_OBJECTS.name;
    let present: BTreeSet<(String, String)> = rows
        .iter()
        .map(|row| Ok((db::get(row, helper, "kind")?, db::get(row, helper, "name")?)))
        .collect::<Result<_, db::DbError>>()
        .map_err(|e| e.to_string())?;
    let missing: Vec<String> = expected
        .iter()
        .filter(|object| !present.contains(*object))
        .map(|(kind, name)| format!("{kind} {name}"))
        .collect();
    let count = |kind: &str| expected.iter().filter(|(k, _)| k == kind).count();
    if missing.is_empty() {
        Ok(format!("{} tables, {} enums, {} indexes present", count("table"), count("enum"), count("index")))
    } else {
        Err(format!(
            "missing {}; run `ctodb migrate reset --force` on a scratch database, or recreate them",
            missing.join(", ")
        ))
    }
}

/// The statistics check, and the number of bugs (for the index checks).
async fn statistics_check(db: &Db) -> (Result<String, String>, i64) {
    let rows = match db.client().await {
        Ok(client) => db::query(&**client, &sql::TABLE_HEALTH, &[]).await,
        Err(err) => Err(err),
    };
    match rows {
        Ok(rows) => {
            let helper = sql::TABLE_HEALTH.name;
            let bugs = rows
                .iter()
                .find(|row| db::get::<String>(row, helper, "table_name").is_ok_and(|name| name == "bugs"))
                .and_then(|row| db::get(row, helper, "live_rows").ok())
                .unwrap_or(0);
            (judge_statistics(&rows), bugs)
        }
        Err(err) => (Err(err.to_string()), 0),
    }
}

fn judge_statistics(rows: &[tokio_postgres::Row]) -> Result<String, String> {
    let mut total_rows = 0i64;
    let mut never_analyzed = Vec::new();
    let helper = sql::TABLE_HEALTH.name;
    for row in rows {
        let live: i64 = db::get(row, helper, "live_rows").map_err(|e| e.to_string())?;
        total_rows += live;
        let analyzed: Option<chrono::DateTime<chrono::Utc>> =
            db::get(row, helper, "last_analyzed").map_err(|e| e.to_string())?;
        if live >= ANALYZE_THRESHOLD_ROWS && analyzed.is_none() {
            never_analyzed.push(db::get::<String>(row, helper, "table_name").map_err(|e| e.to_string())?);
        }
    }
    if never_analyzed.is_empty() {
        Ok(format!("{} tables, about {total_rows} live rows", rows.len()))
    } else {
        Err(format!(
            "never analyzed: {}; run ANALYZE so the planner knows their size",
            never_analyzed.join(", ")
        ))
    }
}

/// The tables, enums and indexes the migrations create (minus those they drop), read
/// from their text: `CREATE TABLE name`, `CREATE TYPE name AS ENUM`, `CREATE [UNIQUE]
/// INDEX name`.
pub fn expected_objects(migrations: &[Migration]) -> BTreeSet<(String, String)> {
    let mut objects = BTreeSet::new();
    for migration in migrations {
        let text: String = migration
            .sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .replace('(', " ( ");
        let words: Vec<&str> = text.split_whitespace().collect();
        for i in 0..words.len() {
            let (verb, rest) = match words[i] {
                "create" => (true, &words[i + 1..]),
                "drop" => (false, &words[i + 1..]),
                _ => continue,
            };
            let rest: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|w| !matches!(*w, "unique" | "concurrently" | "if" | "not" | "exists"))
                .take(4)
                .collect();
            let kind = match rest.first() {
                Some(&"table") => "table",
                Some(&"index") => "index",
                Some(&"type") if verb && rest.get(2..4) == Some(&["as", "enum"][..]) => "enum",
                Some(&"type") if !verb => "enum",
                _ => continue,
            };
            let Some(name) = rest.get(1) else { continue };
            let name =
                name.trim_start_matches("public.").trim_matches('"').trim_end_matches([';', ',']).to_string();
            // objects of other schemas (the ctodb bookkeeping and summaries, and the indexes
            // on their tables) are not the app's
            let table =
                if kind == "index" { rest.get(3).map(|t| t.trim_start_matches("public.")) } else { None };
            if name.contains('.') || table.is_some_and(|t| t.contains('.')) {
                continue;
            }
            if verb {
                objects.insert((kind.to_string(), name));
            } else {
                objects.remove(&(kind.to_string(), name));
            }
        }
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_migration_creates_9_tables_5_enums_and_at_least_34_indexes() {
        let objects = expected_objects(&migrate::embedded());
        let count = |kind: &str| objects.iter().filter(|(k, _)| k == kind).count();
        assert_eq!(count("table"), 9);
        assert_eq!(count("enum"), 5);
        assert!(count("index") >= 34, "{} indexes", count("index"));
        assert!(objects.contains(&("index".into(), "bugs_title_trgm_idx".into())));
    }

    #[test]
    fn dropped_objects_are_not_expected() {
        let m = |sql: &str| Migration { version: 1, name: "x".into(), sql: sql.into(), checksum: vec![] };
        let objects = expected_objects(&[
            m("CREATE TABLE a (id int); CREATE INDEX a_idx ON a (id); -- CREATE TABLE comment"),
            m("DROP INDEX IF EXISTS a_idx;"),
        ]);
        assert_eq!(objects.into_iter().collect::<Vec<_>>(), vec![("table".to_string(), "a".to_string())]);
    }
}
