//! Imports whose process is gone. An import's log row is `running` from its start, and
//! its connection holds a session lock named after the row (sql/import/log_start.sql)
//! until it ends; a `running` row whose lock is free was left by a process that died.
//! The next import marks such rows failed; doctor lists them.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::db::{self, DbError};
use crate::sql;

/// An import left `running` by a process that is gone.
#[derive(Debug, Clone)]
pub struct Abandoned {
    pub id: Uuid,
    pub target: String,
    pub started_at: DateTime<Utc>,
}

/// The `running` imports whose process is gone. With `mark`, each is marked failed while
/// its lock is held, so that no other import can claim it at the same time.
pub async fn abandoned(client: &impl GenericClient, mark: bool) -> Result<Vec<Abandoned>, DbError> {
    let rows = db::query(client, &sql::IMPORT_LOG_RUNNING, &[]).await?;
    let helper = sql::IMPORT_LOG_RUNNING.name;
    let mut gone = Vec::new();
    for row in &rows {
        let id: Uuid = db::get(row, helper, "id")?;
        let free = db::query_one(client, &sql::IMPORT_LOG_OWNER_GONE, &[&id]).await?;
        if !db::get::<bool>(&free, sql::IMPORT_LOG_OWNER_GONE.name, "gone")? {
            continue;
        }
        let marked = if mark {
            db::execute(client, &sql::IMPORT_LOG_ABANDONED, &[&id]).await.map(|_| ())
        } else {
            Ok(())
        };
        db::query(client, &sql::IMPORT_LOG_RELEASE, &[&id]).await?;
        marked?;
        gone.push(Abandoned {
            id,
            target: db::get(row, helper, "target")?,
            started_at: db::get(row, helper, "started_at")?,
        });
    }
    Ok(gone)
}
