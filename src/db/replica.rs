//! Reads from a streaming replica (DATABASE_READ_URL): whether a command that only reads
//! may run there, decided before it starts. A standby whose last replayed commit is older
//! than CTODB_MAX_REPLICA_LAG while the primary has written since is behind (one that has
//! replayed no commit since it started, while the primary has written, counts as behind:
//! its lag cannot be told); so is one that does not answer. Then the read goes to the primary, or fails
//! (CTODB_READ_FALLBACK=fail).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Db, DbError};
use crate::config::{Fallback, PoolSettings, ReadSettings, Target};
use crate::sql;

/// What the replica is, as it says itself.
#[derive(Debug, Clone)]
pub struct Standby {
    /// in recovery: a hot standby (false: the read URL names a primary)
    pub standby: bool,
    pub replay_lsn: Option<String>,
    /// the commit instant of the last transaction replayed
    pub replayed_at: Option<DateTime<Utc>>,
    pub server_now: DateTime<Utc>,
}

impl Standby {
    /// The state of the server `db` connects to.
    pub async fn of(db: &Db) -> Result<Standby, DbError> {
        let client = db.client().await?;
        Standby::read(&**client).await
    }

    /// The state of the server `client` is connected to, in its transaction if any.
    pub async fn read(client: &impl tokio_postgres::GenericClient) -> Result<Standby, DbError> {
        let row = super::query_one(client, &sql::REPLICA_STATE, &[]).await?;
        let helper = sql::REPLICA_STATE.name;
        Ok(Standby {
            standby: super::get(&row, helper, "standby")?,
            replay_lsn: super::get(&row, helper, "replay_lsn")?,
            replayed_at: super::get(&row, helper, "replayed_at")?,
            server_now: super::get(&row, helper, "server_now")?,
        })
    }

    /// How long ago the last replayed commit was made, by the standby's clock.
    pub fn since_last_commit(&self) -> Option<Duration> {
        self.replayed_at.map(|at| (self.server_now - at).to_std().unwrap_or_default())
    }
}

/// How far a standby is behind its primary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lag {
    /// the read URL names a server that is not in recovery
    NotStandby,
    /// the primary has written nothing the standby has not replayed
    CaughtUp,
    /// at most this far: its last replayed commit is this old
    AtMost(Duration),
    /// further than allowed: the last replayed commit is this old (None: none was
    /// replayed since the standby started) and the primary has written this many bytes
    /// of WAL since
    Behind { since: Option<Duration>, bytes: i64 },
}

impl Lag {
    pub fn describe(self) -> String {
        match self {
            Lag::NotStandby => "not a standby".to_string(),
            Lag::CaughtUp => "caught up with the primary".to_string(),
            Lag::AtMost(since) => format!("at most {} behind the primary", seconds(since)),
            Lag::Behind { since: Some(since), bytes } => {
                format!("{} behind the primary ({bytes} bytes of WAL not replayed)", seconds(since))
            }
            Lag::Behind { since: None, bytes } => format!(
                "behind the primary by an unknown time (no commit replayed since it started; {bytes} bytes of WAL not replayed)"
            ),
        }
    }
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{:.0} s", secs.round())
    }
}

/// The standby's lag: its own clock first, and the primary (`primary`, opened only when
/// the last replayed commit is older than `max_lag`) to tell an idle primary from a
/// standby that fell behind.
pub async fn lag(
    standby: &Standby,
    primary: &Target,
    pool: &PoolSettings,
    max_lag: Duration,
) -> Result<Lag, DbError> {
    if !standby.standby {
        return Ok(Lag::NotStandby);
    }
    let since = standby.since_last_commit();
    if let Some(since) = since.filter(|since| *since <= max_lag) {
        return Ok(Lag::AtMost(since));
    }
    let Some(replay_lsn) = &standby.replay_lsn else { return Ok(Lag::CaughtUp) };
    let primary = Db::connect(primary, pool).await?;
    let client = primary.client().await?;
    let row = super::query_one(&**client, &sql::PRIMARY_AHEAD, &[replay_lsn]).await?;
    let bytes: i64 = super::get(&row, sql::PRIMARY_AHEAD.name, "bytes_ahead")?;
    drop(client);
    primary.close().await;
    Ok(if bytes > 0 { Lag::Behind { since, bytes } } else { Lag::CaughtUp })
}

/// Where a read runs, and the line that says why on stderr.
#[derive(Clone)]
pub struct Route {
    pub target: Target,
    pub on_replica: bool,
    pub note: String,
}

/// Where a command that only reads runs: the replica when there is one, it answers and
/// it is not too far behind; else the primary, or an error with CTODB_READ_FALLBACK=fail.
pub async fn route(primary: &Target, read: &ReadSettings, pool: &PoolSettings) -> anyhow::Result<Route> {
    let Some(replica) = &read.replica else {
        return Ok(Route { target: primary.clone(), on_replica: false, note: String::new() });
    };
    let server = replica.server();
    let why_not = match check(replica, primary, pool, read.max_lag).await {
        Ok(lag @ Lag::Behind { .. }) => format!(
            "the replica at {server} is {}, more than CTODB_MAX_REPLICA_LAG={} s",
            lag.describe(),
            read.max_lag.as_secs()
        ),
        Ok(lag) => {
            return Ok(Route {
                target: replica.clone(),
                on_replica: true,
                note: format!("reading from the replica at {server} ({})", lag.describe()),
            })
        }
        Err(err) => format!("the replica at {server} does not answer ({err})"),
    };
    match read.fallback {
        Fallback::Primary => Ok(Route {
            target: primary.clone(),
            on_replica: false,
            note: format!("{why_not}; reading from the primary at {}", primary.server()),
        }),
        Fallback::Fail => anyhow::bail!("{why_not}; not reading from the primary (CTODB_READ_FALLBACK=fail)"),
    }
}

async fn check(
    replica: &Target,
    primary: &Target,
    pool: &PoolSettings,
    max_lag: Duration,
) -> Result<Lag, DbError> {
    let db = Db::connect(replica, pool).await?;
    let standby = Standby::of(&db).await;
    db.close().await;
    lag(&standby?, primary, pool, max_lag).await
}
