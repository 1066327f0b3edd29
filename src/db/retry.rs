//! Retry of transient failures (SPEC §10): serialization failures, deadlocks, lost
//! connections and administrator shutdowns. Only whole transactions are retried: the
//! closure passed in must begin and commit its own transaction, so a retry never
//! repeats half of one.

use std::future::Future;
use std::time::Duration;

use tokio_postgres::error::SqlState;

use super::DbError;
use crate::ui;

const MAX_RETRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

fn is_transient(err: &anyhow::Error) -> bool {
    let Some(err) = err.downcast_ref::<DbError>() else {
        return false;
    };
    match err {
        DbError::ConnectionLost { .. } | DbError::Unreachable { .. } | DbError::RecoveryConflict { .. } => {
            true
        }
        DbError::Query { code: Some(code), .. } => {
            *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::ADMIN_SHUTDOWN
                || code.code().starts_with("08")
        }
        _ => false,
    }
}

/// Runs `attempt` and runs it again, up to three more times with doubling backoff, while
/// it fails with a transient error.
pub async fn with_retry<T, F, Fut>(what: &str, mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut retries = 0;
    loop {
        match attempt().await {
            Err(err) if retries < MAX_RETRIES && is_transient(&err) => {
                retries += 1;
                let wait = jittered(backoff);
                let line = format!(
                    "{what}: {err}; trying again ({retries} of {MAX_RETRIES}) in {} ms",
                    wait.as_millis()
                );
                // a server that never answered gets its one error at the end; a failure
                // in the middle of the work is worth a line of its own
                if matches!(err.downcast_ref::<DbError>(), Some(DbError::Unreachable { .. })) {
                    ui::verbose(&line);
                } else {
                    ui::info(&line);
                }
                tokio::time::sleep(wait).await;
                backoff *= 2;
            }
            other => return other,
        }
    }
}

/// The backoff scaled by a factor between 0.5 and 1.5, so that clients that failed
/// together do not all come back at the same instant.
fn jittered(backoff: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let factor = 0.5 + f64::from(nanos % 1000) / 1000.0;
    backoff.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn deadlock() -> anyhow::Error {
        anyhow::Error::new(DbError::Query {
            helper: "t".into(),
            message: "deadlock detected".into(),
            code: Some(SqlState::T_R_DEADLOCK_DETECTED),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_three_times_then_reported() {
        let calls = Cell::new(0);
        let result: anyhow::Result<()> = with_retry("t", || {
            calls.set(calls.get() + 1);
            async { Err(deadlock()) }
        })
        .await;
        assert!(result.unwrap_err().downcast_ref::<DbError>().is_some());
        assert_eq!(calls.get(), 4, "one attempt and three retries");
    }

    #[tokio::test(start_paused = true)]
    async fn a_constraint_violation_is_not_retried() {
        let calls = Cell::new(0);
        let result: anyhow::Result<()> = with_retry("t", || {
            calls.set(calls.get() + 1);
            async {
                Err(anyhow::Error::new(DbError::Query {
                    helper: "t".into(),
                    message: "duplicate key".into(),
                    code: Some(SqlState::UNIQUE_VIOLATION),
                }))
            }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn success_after_a_serialization_failure() {
        let calls = Cell::new(0);
        let result = with_retry("t", || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n == 1 {
                    Err(anyhow::Error::new(DbError::Query {
                        helper: "t".into(),
                        message: "could not serialize".into(),
                        code: Some(SqlState::T_R_SERIALIZATION_FAILURE),
                    }))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 2);
    }
}
