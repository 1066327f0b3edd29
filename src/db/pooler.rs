//! A transaction-mode pooler (PgBouncer, Supavisor, pgcat…), told by how the server
//! behaves rather than by its port: between two transactions a session's server process
//! changes, or two client connections share one. There, advisory locks, prepared
//! statements and session settings do not last from one transaction to the next, which
//! ctodb's exactly-once writes and its import log rely on; so a command that writes
//! through one is refused with the direct URL to use instead. A command that reads runs
//! each of its reads as one transaction (`Db::read_only`), which a pooler keeps on one
//! server session.
//!
//! The probe costs nothing on a direct connection: the server's own port (its `port`
//! setting) is the one connected to. Only when it differs (a pooler, or a forwarded
//! port) does a second connection ask which server processes serve the two.

use tokio_postgres::Client;

use super::DbError;
use crate::config::Target;
use crate::sql;

/// What the probe found: the server's own port, when a transaction pooler stands between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionPooler {
    pub server_port: u16,
}

/// The server process and port, by the simple query protocol: a prepared statement is
/// what a transaction pooler breaks (its name may meet another client's on the server
/// session it lands on).
async fn probe(client: &Client) -> Result<(i32, i32), DbError> {
    let helper = sql::SESSION_PROBE.name;
    let messages =
        client.simple_query(&sql::SESSION_PROBE.sql).await.map_err(|err| DbError::query(helper, err))?;
    let row = messages
        .iter()
        .find_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .ok_or_else(|| DbError::Query { helper: helper.to_string(), message: "no row".into(), code: None })?;
    let number = |column: &str| -> Result<i32, DbError> {
        row.try_get(column).ok().flatten().and_then(|text| text.parse().ok()).ok_or_else(|| DbError::Query {
            helper: helper.to_string(),
            message: format!("no {column} in the answer"),
            code: None,
        })
    };
    Ok((number("pid")?, number("port")?))
}

/// Probes with the pool's first connection and, when needed, a second one `second`
/// opens. None: a direct connection or a session pooler.
pub async fn detect<F, Fut>(
    target: &Target,
    first: &Client,
    second: F,
) -> Result<Option<TransactionPooler>, DbError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<deadpool_postgres::Object, DbError>>,
{
    let (pid, port) = probe(first).await?;
    let server_port = u16::try_from(port).unwrap_or(0);
    let ports = target.pg.get_ports();
    // (a URL's `pgbouncer=true` is not taken for proof here: it refuses migrate and seed
    // before they connect, `Context::require_direct_connection`)
    if !ports.is_empty() && ports.iter().all(|p| *p == server_port) {
        return Ok(None);
    }
    // something stands between: two connections sharing one server process, or one whose
    // process changed between two statements, is a transaction (or statement) pooler.
    // The two ask in an order that is not a strict alternation (one, then each twice in a
    // row): a pooler that hands its idle server sessions out in turn (PgBouncer's
    // server_round_robin) gives alternating askers the same session each time, and one
    // that reuses the last session gives every asker the same one.
    let other = second().await?;
    let (mut firsts, mut seconds) = (vec![pid], Vec::new());
    for asker in [2, 1, 1, 2, 2, 1] {
        match asker {
            1 => firsts.push(probe(first).await?.0),
            _ => seconds.push(probe(&other).await?.0),
        }
    }
    Ok(pooled(&firsts, &seconds).then_some(TransactionPooler { server_port }))
}

/// Whether the server processes two connections saw, statement after statement, are
/// those of a transaction pooler: either connection's changed, or they met.
fn pooled(firsts: &[i32], seconds: &[i32]) -> bool {
    let changed = |pids: &[i32]| pids.windows(2).any(|pair| pair[0] != pair[1]);
    changed(firsts) || changed(seconds) || firsts.iter().any(|pid| seconds.contains(pid))
}

/// The sentence that refuses `command` through the pooler, naming the direct URL.
pub fn refusal(target: &Target, pooler: TransactionPooler, command: &str) -> String {
    format!(
        "{} is a transaction-mode pooler (it hands server sessions from one connection to another between statements), where \
         advisory locks, prepared statements and session settings do not last from one transaction to the \
         next; run `ctodb {command}` with a direct connection to the server: {}",
        target.server(),
        direct_url(target, pooler.server_port)
    )
}

/// The target's URL with the server's own port, without a password.
fn direct_url(target: &Target, port: u16) -> String {
    use tokio_postgres::config::Host;
    let user = target.user();
    let database = target.database();
    match target.pg.get_hosts().first() {
        Some(Host::Unix(dir)) => {
            format!("postgresql://{user}@/{database}?host={}&port={port}", dir.display())
        }
        Some(Host::Tcp(host)) if host.contains(':') => {
            format!("postgresql://{user}@[{host}]:{port}/{database}")
        }
        Some(Host::Tcp(host)) => format!("postgresql://{user}@{host}:{port}/{database}"),
        None => format!("postgresql://{user}@localhost:{port}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::pooled;

    #[test]
    fn a_pooler_is_a_process_that_changes_or_is_shared() {
        // direct, or a session pooler: each connection keeps its own process
        assert!(!pooled(&[10, 10, 10, 10], &[11, 11, 11]));
        // two connections served by one process (a pooler reusing its last session)
        assert!(pooled(&[10, 10, 10, 10], &[10, 10, 10]));
        // sessions handed out in turn, asked 1 2 1 1 2 2 1: the second ask in a row moves
        assert!(pooled(&[10, 10, 11, 10], &[11, 10, 11]));
        assert!(pooled(&[10, 12, 10, 10], &[11, 11, 11]));
    }
}
