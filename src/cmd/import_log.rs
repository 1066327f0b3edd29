//! The import_logs row of one import run (SPEC §9): written `running` when the run starts
//! (on its own, so that a failed import is recorded too), finished inside the import's
//! own transaction when it writes (the row and the data commit together), or marked
//! failed on its own connection when it does not. The connection that wrote the row
//! holds a session lock named after it until the run ends, so the next import can tell a
//! run whose process is gone (`queries::import_runs`).

use anyhow::{anyhow, Result};
use deadpool_postgres::Object;
use serde_json::json;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::db::{self, Db, DbError};
use crate::import::fields::ImportKind;
use crate::import::{self, Summary};
use crate::model::ImportSource;
use crate::queries::import_runs;
use crate::{sql, ui};

/// The log row of one run, and the connection that holds its lock.
pub struct Log {
    pub id: Uuid,
    actor: Option<Uuid>,
    holder: Object,
    /// an interrupt (SIGINT, SIGTERM) marks the row failed unless the import has
    /// finished: its transaction dies with its connection, its record should not stay
    /// "running"
    _on_interrupt: super::interrupt::Registered,
}

/// Records the import `id` as failed once a signal stopped it.
async fn interrupted(db: Db, id: Uuid, actor: Option<Uuid>, signal: &str) {
    match db.reopen().await {
        Ok(fresh) => record_failure(&fresh, id, actor, &anyhow!("interrupted ({signal})")).await,
        Err(err) => ui::warn(&format!("could not record the interrupted import in import_logs: {err}")),
    }
}

impl Log {
    /// Marks failed the runs whose process is gone, then records this one as running.
    pub async fn start(
        db: &Db,
        source: ImportSource,
        target: &str,
        kind: Option<ImportKind>,
        actor: Option<Uuid>,
    ) -> Result<Log> {
        let kind = kind.map(ImportKind::table);
        let (holder, id) = db::with_retry("import log", || async {
            let holder = db.client().await?;
            for gone in import_runs::abandoned(&**holder, true).await? {
                ui::info(&format!(
                    "marked failed the import of {} started {} (import_logs {}): its process ended before it finished",
                    gone.target,
                    gone.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    gone.id
                ));
            }
            let row = db::query_one(&**holder, &sql::IMPORT_LOG_START, &[&source, &target, &kind, &actor]).await?;
            let id: Uuid = db::get(&row, sql::IMPORT_LOG_START.name, "id")?;
            Ok((holder, id))
        })
        .await?;
        let db = db.clone();
        let hook = super::interrupt::on_interrupt(move |signal| interrupted(db, id, actor, signal));
        Ok(Log { id, actor, holder, _on_interrupt: hook })
    }

    /// Finishes the row as succeeded (or partial, with rejected rows) and leaves the
    /// audit_log row, in the import's transaction.
    pub async fn succeed_in(&self, tx: &impl GenericClient, summary: &Summary) -> Result<(), DbError> {
        let status = if summary.rejected() == 0 { "succeeded" } else { "partial" };
        write(tx, self.id, self.actor, status, summary).await
    }

    /// The run is over and its row says how: lets go of the lock.
    pub async fn close(self) {
        let Log { id, holder, _on_interrupt: hook, .. } = self;
        // the row says how the run ended: an interrupt from now on leaves it so
        hook.done();
        // a lock that cannot be released goes with the connection at the end of the command
        let _ = db::query(&**holder, &sql::IMPORT_LOG_RELEASE, &[&id]).await;
    }

    /// Records a run that stopped on an error (or, failed, on bad rows), then closes it.
    pub async fn fail(self, db: &Db, err: &anyhow::Error) {
        record_failure(db, self.id, self.actor, err).await;
        self.close().await;
    }

    /// Records an all-or-nothing import refused for its bad rows, then closes it.
    pub async fn refuse(self, db: &Db, summary: &Summary) -> Result<()> {
        let result = db::with_retry("import log", || async {
            let client = db.client().await?;
            Ok(write(&**client, self.id, self.actor, "failed", summary).await?)
        })
        .await;
        self.close().await;
        result
    }
}

/// Marks the run failed with the error's message; a failure to do so is a warning, the
/// import's own error being the one to report.
async fn record_failure(db: &Db, id: Uuid, actor: Option<Uuid>, err: &anyhow::Error) {
    let mut summary = Summary::default();
    let message = ui::redact(&format!("{err:#}"));
    summary.problems.listed.push(import::Problem { line: 0, column: None, message });
    let result = db::with_retry("import log", || async {
        let client = db.client().await?;
        Ok(write(&**client, id, actor, "failed", &summary).await?)
    })
    .await;
    if let Err(log_err) = result {
        ui::warn(&format!("could not record the failed import in import_logs: {log_err:#}"));
    }
}

/// The log row's figures and the audit_log row. A failed run imported nothing.
async fn write(
    client: &impl GenericClient,
    id: Uuid,
    actor: Option<Uuid>,
    status: &str,
    summary: &Summary,
) -> Result<(), DbError> {
    let errors: Vec<serde_json::Value> = summary.problems.listed.iter().map(|p| p.to_json()).collect();
    let timings = json!({
        "read_ms": summary.read_ms,
        "merge_ms": summary.merge_ms,
        "total_ms": summary.read_ms + summary.merge_ms,
    });
    let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    let (inserted, updated, unchanged) = if status == "failed" {
        (0, 0, 0)
    } else {
        (int(summary.counts.inserted), int(summary.counts.updated), int(summary.counts.unchanged))
    };
    let errors = serde_json::Value::Array(errors);
    let (total, rejected) = (int(summary.total), int(summary.rejected()));
    let changed = db::execute(
        client,
        &sql::IMPORT_LOG_FINISH,
        &[&id, &status, &total, &inserted, &updated, &unchanged, &rejected, &errors, &timings],
    )
    .await?;
    // a row no longer running was finished already (the import committed before an
    // interrupt): it keeps its outcome and its one audit row
    if changed == 0 {
        return Ok(());
    }
    let changes = json!({
        "status": status,
        "rows": summary.total,
        "inserted": inserted,
        "updated": updated,
        "unchanged": unchanged,
        "failed": summary.rejected(),
    });
    db::audit(client, actor, "import", "import_log", Some(&id.to_string()), &changes).await
}
