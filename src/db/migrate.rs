//! The migration runner shared by `ctodb migrate`, `doctor` and the tests.
//!
//! Order of a run: take the advisory lock, make sure the bookkeeping table exists, refuse
//! when an applied migration was edited (checksum drift) or is unknown to this binary,
//! apply the pending ones each in one transaction together with its bookkeeping row,
//! release the lock. The lock lives on a session of its own and is released when that
//! session ends, so no early return can leave it held.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

use super::DbError;
use crate::sql;

/// The bookkeeping table lives outside `public` so that the schema holds exactly the
/// application's tables, and `migrate reset` can drop one without the other.
const BOOKKEEPING: &str = "
    CREATE SCHEMA IF NOT EXISTS ctodb;
    CREATE TABLE IF NOT EXISTS ctodb.schema_migrations (
        version      bigint PRIMARY KEY,
        name         text NOT NULL,
        checksum     bytea NOT NULL,
        applied_at   timestamptz NOT NULL DEFAULT now(),
        execution_ms bigint NOT NULL
    );";

/// Key of the session advisory lock that serialises concurrent `ctodb migrate` runs
/// (the bytes of "ctodbmig").
const LOCK_KEY: i64 = 0x6374_6f64_626d_6967;

const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    pub name: String,
    pub sql: String,
    pub checksum: Vec<u8>,
}

impl Migration {
    fn parse(folder: &str, sql: String) -> Result<Migration> {
        let (version, name) = folder
            .split_once('_')
            .with_context(|| format!("migration folder {folder:?} is not named <UTC timestamp>_<name>"))?;
        let version = version.parse().ok().filter(|_| version.len() == 14).with_context(|| {
            format!("migration folder {folder:?} must start with a 14-digit UTC timestamp")
        })?;
        Ok(Migration { version, name: name.to_string(), checksum: checksum(&sql), sql })
    }

    pub fn folder(&self) -> String {
        format!("{}_{}", self.version, self.name)
    }
}

/// SHA-256 of the text with line endings normalised, so that a checkout with CRLF
/// endings is not mistaken for an edit.
pub fn checksum(sql: &str) -> Vec<u8> {
    let normalised = sql.replace("\r\n", "\n").replace('\r', "\n");
    Sha256::digest(normalised.as_bytes()).to_vec()
}

/// The migrations compiled into this binary.
pub fn embedded() -> Vec<Migration> {
    EMBEDDED
        .iter()
        .map(|(folder, sql)| {
            Migration::parse(folder, sql.to_string())
                .expect("build.rs refuses to build with a misnamed migration folder")
        })
        .collect()
}

/// The migrations of a folder laid out as `<dir>/<timestamp>_<name>/migration.sql`.
pub fn from_dir(dir: &Path) -> Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the migrations folder {}", dir.display()))?;
    let mut migrations = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file = entry.path().join("migration.sql");
        if !file.is_file() {
            continue;
        }
        let sql =
            std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        migrations.push(Migration::parse(&entry.file_name().to_string_lossy(), sql)?);
    }
    migrations.sort_by_key(|m| m.version);
    Ok(migrations)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the file changed since.
    Drifted,
    /// Applied to the database, unknown to this binary (a newer ctodb ran here).
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub version: i64,
    pub name: String,
    pub state: State,
    pub applied_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Compares the migrations with what the database recorded.
pub async fn status(client: &impl GenericClient, migrations: &[Migration]) -> Result<Vec<Status>> {
    let applied = applied(client).await?;
    let mut rows: Vec<Status> = migrations
        .iter()
        .map(|m| {
            let (state, applied_at) = match applied.get(&m.version) {
                None => (State::Pending, None),
                Some(row) if row.checksum != m.checksum => (State::Drifted, Some(row.applied_at)),
                Some(row) => (State::Applied, Some(row.applied_at)),
            };
            Status { version: m.version, name: m.name.clone(), state, applied_at }
        })
        .collect();
    for (version, row) in &applied {
        if !migrations.iter().any(|m| m.version == *version) {
            rows.push(Status {
                version: *version,
                name: row.name.clone(),
                state: State::Unknown,
                applied_at: Some(row.applied_at),
            });
        }
    }
    rows.sort_by_key(|s| s.version);
    Ok(rows)
}

struct AppliedRow {
    name: String,
    checksum: Vec<u8>,
    applied_at: chrono::DateTime<chrono::Utc>,
}

async fn applied(client: &impl GenericClient) -> Result<BTreeMap<i64, AppliedRow>> {
    let exists = crate::db::query_one(client, &sql::MIGRATIONS_TABLE_EXISTS, &[]).await?;
    if !crate::db::get::<bool>(&exists, sql::MIGRATIONS_TABLE_EXISTS.name, "present")? {
        return Ok(BTreeMap::new());
    }
    let rows = crate::db::query(client, &sql::MIGRATIONS_APPLIED, &[]).await?;
    let helper = sql::MIGRATIONS_APPLIED.name;
    rows.iter()
        .map(|row| {
            Ok((
                crate::db::get(row, helper, "version")?,
                AppliedRow {
                    name: crate::db::get(row, helper, "name")?,
                    checksum: crate::db::get(row, helper, "checksum")?,
                    applied_at: crate::db::get(row, helper, "applied_at")?,
                },
            ))
        })
        .collect()
}

/// Refuses to go on when the recorded history and the files disagree.
pub fn refuse_drift(statuses: &[Status]) -> Result<()> {
    let mut problems = String::new();
    for s in statuses {
        match s.state {
            State::Drifted => {
                let _ = write!(
                    problems,
                    "{}{}_{} was edited after it was applied",
                    if problems.is_empty() { "" } else { "; " },
                    s.version,
                    s.name
                );
            }
            State::Unknown => {
                let _ = write!(
                    problems,
                    "{}{}_{} is applied but unknown to this ctodb (a newer version migrated this database)",
                    if problems.is_empty() { "" } else { "; " },
                    s.version,
                    s.name
                );
            }
            State::Applied | State::Pending => {}
        }
    }
    if !problems.is_empty() {
        bail!("refusing to migrate: {problems}; restore the original migration files or run `ctodb migrate reset --force` on a database you can lose");
    }
    Ok(())
}

/// Applies the pending migrations under the advisory lock; returns those it applied.
pub async fn run(client: &mut tokio_postgres::Client, migrations: &[Migration]) -> Result<Vec<Migration>> {
    lock(client).await?;
    let result = apply_pending(client, migrations).await;
    // Released here on success and failure alike; if this session dies instead, the
    // server releases the lock with it.
    let unlock = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await;
    let applied = result?;
    unlock.map_err(|err| DbError::query("migrate/unlock", err))?;
    Ok(applied)
}

async fn lock(client: &tokio_postgres::Client) -> Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(|err| DbError::query("migrate/lock", err))?;
    Ok(())
}

async fn apply_pending(
    client: &mut tokio_postgres::Client,
    migrations: &[Migration],
) -> Result<Vec<Migration>> {
    client.batch_execute(BOOKKEEPING).await.map_err(|err| DbError::query("migrate/bookkeeping", err))?;
    let statuses = status(client, migrations).await?;
    refuse_drift(&statuses)?;
    let mut applied = Vec::new();
    for migration in migrations {
        let pending = statuses.iter().any(|s| s.version == migration.version && s.state == State::Pending);
        if !pending {
            continue;
        }
        let started = Instant::now();
        let tx = client.transaction().await.map_err(|err| DbError::query("migrate/begin", err))?;
        tx.batch_execute(&migration.sql)
            .await
            .map_err(|err| DbError::query(&format!("migration {}", migration.folder()), err))?;
        let elapsed_ms = started.elapsed().as_millis() as i64;
        crate::db::execute(
            &tx,
            &sql::MIGRATIONS_RECORD,
            &[&migration.version, &migration.name, &migration.checksum, &elapsed_ms],
        )
        .await?;
        tx.commit().await.map_err(|err| DbError::query("migrate/commit", err))?;
        applied.push(migration.clone());
    }
    Ok(applied)
}

/// Drops every object of the application and the bookkeeping, under the lock, in one
/// transaction; the caller re-applies the migrations afterwards.
pub async fn drop_everything(client: &mut tokio_postgres::Client) -> Result<()> {
    lock(client).await?;
    let result = async {
        let tx = client.transaction().await.map_err(|err| DbError::query("migrate/begin", err))?;
        tx.batch_execute(&sql::RESET_SCHEMA.sql)
            .await
            .map_err(|err| DbError::query(sql::RESET_SCHEMA.name, err))?;
        tx.commit().await.map_err(|err| DbError::query("migrate/commit", err))?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_do_not_change_the_checksum() {
        assert_eq!(checksum("a;\nb;\n"), checksum("a;\r\nb;\r\n"));
        assert_ne!(checksum("a;\nb;\n"), checksum("a;\nc;\n"));
    }

    #[test]
    fn folders_must_carry_a_timestamp_and_a_name() {
        let m = Migration::parse("20261125000000_init", "SELECT 1;".into()).unwrap();
        assert_eq!((m.version, m.name.as_str()), (20261125000000, "init"));
        assert!(Migration::parse("init", String::new()).is_err());
        assert!(Migration::parse("2026_init", String::new()).is_err());
    }

    #[test]
    fn the_embedded_migrations_are_in_order() {
        let versions: Vec<i64> = embedded().iter().map(|m| m.version).collect();
        let mut sorted = versions.clone();
        sorted.sort();
        assert_eq!(versions, sorted);
        assert!(!versions.is_empty());
    }
}
