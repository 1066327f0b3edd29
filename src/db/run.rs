//! Writes that happen exactly once (SPEC §10). A transaction whose COMMIT was sent and
//! never answered may have committed or not; running it again blindly would load a seed
//! twice or write a second audit row. So every writing run has an id, recorded with its
//! outcome in `ctodb.runs` inside its own transaction (sql/runs/record.sql). After a
//! connection lost at COMMIT, [`once`] looks the id up on a new connection: committed →
//! the recorded outcome is the result; not committed → the run goes again.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_postgres::{Client, Transaction};
use uuid::Uuid;

use super::{retry, Db, DbError};
use crate::sql;
use crate::ui;

/// One writing run of a command: its id and the command's name.
#[derive(Debug, Clone)]
pub struct Run {
    id: Uuid,
    command: &'static str,
}

impl Run {
    pub fn new(command: &'static str) -> Run {
        Run { id: Uuid::new_v4(), command }
    }

    /// The key of the advisory lock the run's transaction holds (sql/runs/mark.sql).
    fn key(&self) -> i64 {
        let bytes = self.id.as_bytes();
        i64::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]])
    }

    /// Begins one attempt's transaction, marked with the run's lock so that its server
    /// session can be found after a lost COMMIT.
    pub async fn begin<'a>(&self, client: &'a mut Client) -> Result<Transaction<'a>, DbError> {
        let begin = format!("{}/begin", self.command);
        let tx = client.transaction().await.map_err(|err| DbError::query(&begin, err))?;
        super::query(&tx, &sql::RUN_MARK, &[&self.key(), &self.command]).await?;
        Ok(tx)
    }

    /// Records the run with its outcome and commits. A connection lost during the COMMIT
    /// is `DbError::CommitUnknown`, which [`once`] resolves.
    pub async fn commit<T: Serialize>(&self, tx: Transaction<'_>, outcome: &T) -> Result<(), DbError> {
        let outcome = serde_json::to_value(outcome).map_err(|err| DbError::Query {
            helper: sql::RUN_RECORD.name.to_string(),
            message: format!("cannot record the outcome: {err}"),
            code: None,
        })?;
        super::execute(&tx, &sql::RUN_RECORD, &[&self.id, &self.command, &outcome]).await?;
        let commit = format!("{}/commit", self.command);
        tx.commit().await.map_err(|err| match DbError::query(&commit, err) {
            DbError::ConnectionLost { helper } => DbError::CommitUnknown { helper },
            other => other,
        })
    }
}

/// How many commits in a row may be lost before the run gives up.
const MAX_UNKNOWN_COMMITS: u32 = 3;

/// Runs `attempt` (a whole transaction begun with [`Run::begin`] and ended with
/// [`Run::commit`], or rolled back) with the retries of [`retry::with_retry`]; when its
/// COMMIT goes unanswered, returns the outcome the run recorded if it committed, and runs
/// it again if it did not.
pub async fn once<T, F, Fut>(db: &Db, run: &Run, mut attempt: F) -> anyhow::Result<T>
where
    T: DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut unknown = 0;
    loop {
        let err = match retry::with_retry(run.command, &mut attempt).await {
            Err(err) if unknown < MAX_UNKNOWN_COMMITS && is_commit_unknown(&err) => err,
            other => return other,
        };
        unknown += 1;
        ui::info(&format!("{}: {err}; looking up whether it committed", run.command));
        match settle(db, run).await? {
            Some(outcome) => {
                ui::info(&format!("{}: it had committed; it is not run again", run.command));
                return serde_json::from_value(outcome).map_err(|err| {
                    anyhow::anyhow!(
                        "{} committed, but its recorded outcome cannot be read: {err}",
                        run.command
                    )
                });
            }
            None => ui::info(&format!("{}: it had not committed; running it again", run.command)),
        }
    }
}

fn is_commit_unknown(err: &anyhow::Error) -> bool {
    matches!(err.downcast_ref::<DbError>(), Some(DbError::CommitUnknown { .. }))
}

/// The outcome of a run whose COMMIT went unanswered: Some(outcome) when it committed,
/// None when it did not. Ends the run's server session first if it still waits in its
/// transaction, then claims the run's id, which waits for that transaction to end.
async fn settle(db: &Db, run: &Run) -> anyhow::Result<Option<serde_json::Value>> {
    let what = format!("{} lookup", run.command);
    retry::with_retry(&what, || async {
        let mut pooled = db.client().await?;
        let client: &mut Client = &mut pooled;
        super::query(&*client, &sql::RUN_END_SESSION, &[&run.key()]).await?;
        let tx = client.transaction().await.map_err(|err| DbError::query(&what, err))?;
        let claimed = super::query(&tx, &sql::RUN_CLAIM, &[&run.id, &run.command]).await?;
        tx.rollback().await.map_err(|err| DbError::query(&what, err))?;
        if !claimed.is_empty() {
            return Ok(None);
        }
        let row = super::query_one(&*client, &sql::RUN_OUTCOME, &[&run.id]).await?;
        Ok(Some(super::get::<serde_json::Value>(&row, sql::RUN_OUTCOME.name, "outcome")?))
    })
    .await
}
