//! The database layer: the pool, connection errors users can act on, timed helper
//! queries, retries of transient failures, and cancellation on Ctrl-C.

pub mod copy;
pub mod migrate;
pub mod pooler;
pub mod privileges;
pub mod replica;
mod retry;
mod run;
mod tls;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use deadpool_postgres::{Connect, Hook, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use thiserror::Error;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, GenericClient, NoTls, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{PoolSettings, Target};
use crate::sql::{self, Helper};
use crate::ui;

pub use retry::with_retry;
pub use run::{once, Run};

#[derive(Debug, Error)]
pub enum DbError {
    #[error("could not connect to PostgreSQL at {server}: {reason} — start the server (e.g. pg_ctlcluster 15 main start), run `ctodb local start` for a private one, or point DATABASE_URL (or PGHOST/PGPORT) at one that runs")]
    Unreachable { server: String, reason: String },
    #[error("role \"{user}\" does not exist on {server} — create it with: createuser --createdb {user} (as a superuser, e.g. sudo -u postgres createuser --createdb {user}), connect as another role with PGUSER or DATABASE_URL, or use a private cluster of your own: ctodb local start, then CTODB_LOCAL=<its folder> for the commands after it")]
    NoRole { user: String, server: String },
    #[error("PostgreSQL at {server} does not accept TLS connections, and sslmode={mode} requires one — enable ssl on the server, or connect with sslmode=prefer (encrypt when the server can) or sslmode=disable")]
    TlsRefused { server: String, mode: String },
    #[error("the server lacks the extension {name}, which ctodb needs ({helper}) — install PostgreSQL's contrib modules on the server (Debian and Ubuntu: apt-get install postgresql-contrib; RHEL and Fedora: dnf install postgresql-contrib), then run `ctodb migrate` again")]
    MissingExtension { name: String, helper: String },
    #[error("timed out after {secs} s connecting to PostgreSQL at {server}; check the host and port, or raise DATABASE_CONNECTION_TIMEOUT")]
    ConnectTimeout { server: String, secs: u64 },
    #[error("password authentication failed for user \"{user}\" at {server}; check the password in DATABASE_URL or PGPASSWORD")]
    Auth { user: String, server: String },
    #[error("PostgreSQL at {server} asks for a password for user \"{user}\" and none was given; put it in DATABASE_URL or PGPASSWORD")]
    PasswordMissing { user: String, server: String },
    #[error("PostgreSQL at {server} refused user \"{user}\": {message} — {fix}")]
    Refused { user: String, server: String, message: String, fix: &'static str },
    #[error("database \"{database}\" does not exist on {server}; run `ctodb migrate` to create it")]
    MissingDatabase { database: String, server: String },
    #[error("no free database connection within {secs} s (DATABASE_CONNECTION_LIMIT={limit}); raise DATABASE_POOL_TIMEOUT or the limit")]
    PoolTimeout { secs: u64, limit: usize },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("the TLS certificate of {server} was not accepted ({reason}); with sslmode=verify-ca or verify-full, set sslrootcert (or PGSSLROOTCERT) to the CA file that signed it, or use sslmode=require to encrypt without checking")]
    Certificate { server: String, reason: String },
    #[error(
        "the connection to PostgreSQL was lost during {helper}; check the server and run the command again"
    )]
    ConnectionLost { helper: String },
    #[error("the connection to PostgreSQL was lost during {helper}, so whether it committed is unknown")]
    CommitUnknown { helper: String },
    #[error("{helper} was cancelled by the statement timeout (CTODB_STATEMENT_TIMEOUT); raise it or narrow the question")]
    StatementTimeout { helper: String },
    #[error("the standby cancelled {helper} to replay the primary's changes (a recovery conflict); on the standby set hot_standby_feedback = on and max_standby_streaming_delay = -1 (or longer than the read takes), or read from the primary with --primary")]
    RecoveryConflict { helper: String },
    #[error("{helper} failed: {message}; the role lacks a privilege this needs (`ctodb doctor` says which of ctodb's roles it holds, `ctodb grants` prints the GRANT statements)")]
    Privilege { helper: String, message: String },
    #[error("the database has no ctodb schema ({message}); run `ctodb migrate` first")]
    MissingSchema { message: String },
    #[error("{helper} failed: {message}")]
    Query { helper: String, message: String, code: Option<SqlState> },
    #[error("{helper} returned a value ctodb cannot read in column {column}: {reason}")]
    Decode { helper: String, column: String, reason: String },
    #[error("cannot set up the connection pool: {0}")]
    Pool(String),
}

impl DbError {
    /// Wraps an error of a named query or step.
    pub fn query(helper: &str, err: tokio_postgres::Error) -> DbError {
        match err.code() {
            Some(code) if *code == SqlState::QUERY_CANCELED => {
                DbError::StatementTimeout { helper: helper.to_string() }
            }
            // CREATE EXTENSION of an extension whose files the server does not have:
            // 'extension "x" is not available' (PostgreSQL 15 and later), 'could not open
            // extension control file ".../x.control"' (earlier)
            Some(_) if err.as_db_error().and_then(|db| missing_extension(db.message())).is_some() => {
                let name =
                    err.as_db_error().and_then(|db| missing_extension(db.message())).unwrap_or_default();
                DbError::MissingExtension { name, helper: helper.to_string() }
            }
            Some(code) if *code == SqlState::INSUFFICIENT_PRIVILEGE => {
                DbError::Privilege { helper: helper.to_string(), message: describe_db_error(&err) }
            }
            // a hot standby cancels a read whose snapshot needs rows the primary removed
            Some(code)
                if *code == SqlState::T_R_SERIALIZATION_FAILURE
                    && err
                        .as_db_error()
                        .is_some_and(|db| db.message().contains("conflict with recovery")) =>
            {
                DbError::RecoveryConflict { helper: helper.to_string() }
            }
            // a table, enum or function of the schema is missing: not migrated (yet)
            Some(code)
                if *code == SqlState::UNDEFINED_TABLE
                    || *code == SqlState::UNDEFINED_OBJECT
                    || *code == SqlState::UNDEFINED_FUNCTION =>
            {
                DbError::MissingSchema { message: describe_db_error(&err) }
            }
            Some(code) => DbError::Query {
                helper: helper.to_string(),
                message: describe_db_error(&err),
                code: Some(code.clone()),
            },
            // no SQLSTATE: the driver's own failure; a closed connection or an I/O error
            // below it (std::io::Error in the source chain) is a lost connection
            None if err.is_closed() || io_source(&err).is_some() => {
                if ENDED_BY_RECOVERY_CONFLICT.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    DbError::RecoveryConflict { helper: helper.to_string() }
                } else {
                    DbError::ConnectionLost { helper: helper.to_string() }
                }
            }
            None => DbError::Query { helper: helper.to_string(), message: err.to_string(), code: None },
        }
    }
}

/// One column of a row, or an error naming the helper and the column (a NULL where a
/// value was expected, a type ctodb does not read) instead of a panic.
pub fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    helper: &str,
    column: &str,
) -> Result<T, DbError> {
    row.try_get(column).map_err(|err| DbError::Decode {
        helper: helper.to_string(),
        column: column.to_string(),
        reason: decode_reason(&err),
    })
}

/// Why a value could not be read, in words (tokio-postgres says "error deserializing
/// column 3" and keeps the reason in its source).
pub fn decode_reason(err: &tokio_postgres::Error) -> String {
    match std::error::Error::source(err) {
        Some(source) if source.is::<postgres_types::WasNull>() => "it is NULL".to_string(),
        Some(source) if source.is::<postgres_types::WrongType>() => {
            format!("its type does not match ({source})")
        }
        Some(source) => source.to_string(),
        None => err.to_string(),
    }
}

/// The server's message, with its detail when it has one.
fn describe_db_error(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => err.to_string(),
    }
}

/// Tokens of every connection ctodb opened, so that Ctrl-C can cancel what runs on them.
static CANCEL_TOKENS: Mutex<Vec<CancelToken>> = Mutex::new(Vec::new());

fn register_cancel_token(token: CancelToken) {
    if let Ok(mut tokens) = CANCEL_TOKENS.lock() {
        tokens.push(token);
    }
}

/// Asks the server to cancel whatever ctodb's connections are running.
pub async fn cancel_running_queries() {
    let tokens: Vec<CancelToken> = match CANCEL_TOKENS.lock() {
        Ok(tokens) => tokens.clone(),
        Err(_) => return,
    };
    for token in tokens {
        // Cancel requests are not authenticated and carry no data; a plain socket will do.
        let _ = token.cancel_query(NoTls).await;
    }
}

type ConnectionTasks = Arc<Mutex<Vec<JoinHandle<()>>>>;

/// Every pool this process opened, for `close_all`.
static OPENED: Mutex<Vec<Db>> = Mutex::new(Vec::new());

/// Closes every pool this process opened (`Db::close`); called once a command has ended.
pub async fn close_all() {
    let opened = std::mem::take(&mut *OPENED.lock().unwrap_or_else(PoisonError::into_inner));
    for db in opened {
        db.close().await;
    }
}

/// Opens connections for the pool as deadpool's own connector does, except for who owns
/// the connection's task. deadpool aborts the task it is handed as soon as it drops a
/// client, which cuts the socket while the server may still be replying (tokio-postgres
/// closes a dropped statement without waiting for the reply): the server then logs
/// "could not send data to client: Broken pipe" and "connection to client lost", and a
/// session pooler throws its server connection away. So deadpool gets a stand-in task,
/// and the real one is kept in `tasks`: once its client is gone it reads the replies
/// still due, sends Terminate and ends, which `Db::close` waits for.
/// Set when a standby ended a connection for a recovery conflict (FATAL "terminating
/// connection due to conflict with recovery"), which its client sees as a lost connection.
static ENDED_BY_RECOVERY_CONFLICT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn is_recovery_conflict(err: &tokio_postgres::Error) -> bool {
    err.as_db_error().is_some_and(|db| db.message().contains("conflict with recovery"))
}

struct GracefulConnect {
    tls: MakeRustlsConnect,
    tasks: ConnectionTasks,
    /// one configuration per host, tried in order, each with its own password and its
    /// own connect timeout (libpq's fail-over)
    hosts: Vec<tokio_postgres::Config>,
}

impl Connect for GracefulConnect {
    fn connect(
        &self,
        pg: &tokio_postgres::Config,
    ) -> Pin<
        Box<
            dyn Future<Output = Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>>
                + Send
                + '_,
        >,
    > {
        let mut hosts = self.hosts.clone();
        let last = hosts.pop().unwrap_or_else(|| pg.clone());
        Box::pin(async move {
            let mut connected = None;
            for host in hosts {
                // the whole handshake, as libpq's connect_timeout (tokio-postgres bounds the
                // TCP connect only: a host that accepts and never answers would hold it)
                let limit = host.get_connect_timeout().copied().unwrap_or(Duration::from_secs(20));
                if let Ok(Ok(pair)) = tokio::time::timeout(limit, host.connect(self.tls.clone())).await {
                    connected = Some(pair);
                    break;
                }
            }
            let (client, connection) = match connected {
                Some(pair) => pair,
                // the last host's error is the one reported, as libpq's last attempt is (the
                // pool's create timeout bounds its handshake)
                None => last.connect(self.tls.clone()).await?,
            };
            let task = tokio::spawn(async move {
                // the client's next query finds the connection closed; a standby that
                // ended it for a recovery conflict said so here, first
                if let Err(err) = connection.await {
                    if is_recovery_conflict(&err) {
                        ENDED_BY_RECOVERY_CONFLICT.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
            self.tasks.lock().unwrap_or_else(PoisonError::into_inner).push(task);
            Ok((client, tokio::spawn(async {})))
        })
    }
}

/// A pool of connections to one target. Clones share the pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// The task of every connection the pool opened (`GracefulConnect`).
    tasks: ConnectionTasks,
    target: Target,
    settings: PoolSettings,
    /// a transaction-mode pooler stands between (`pooler`), with the server's own port
    pub transaction_pooler: Option<pooler::TransactionPooler>,
    /// the past instant reads show the database at (`--as-of` earlier than now)
    pub past: Option<DateTime<Utc>>,
    /// the search path was set at startup (a pooler may refuse startup options)
    path_at_startup: bool,
}

impl Db {
    /// Builds the pool and opens one connection, so that a bad target fails here with a
    /// message naming the cause.
    pub async fn connect(target: &Target, settings: &PoolSettings) -> Result<Db, DbError> {
        match Db::open(target, settings, true).await {
            // a pooler that takes no startup options (PgBouncer): connect without them,
            // and let the probe tell what it is
            Err(err) if err.to_string().contains("unsupported startup parameter") => {
                Db::open(target, settings, false).await
            }
            other => other,
        }
    }

    async fn open(target: &Target, settings: &PoolSettings, startup_options: bool) -> Result<Db, DbError> {
        let (ssl_mode, tls) = tls::connector(target)?;
        let mut settings = settings.clone();
        if let Some(timeout) = target.connect_timeout {
            settings.connect_timeout = timeout;
        }
        let mut options: Vec<String> = target.pg.get_options().map(str::to_string).into_iter().collect();
        if let Some(timeout) = settings.statement_timeout {
            options.push(format!("-c statement_timeout={}", timeout.as_millis()));
        }
        // ctodb's SQL names its tables without a schema; they are in public (the
        // summaries the triggers keep in ctodb), whatever search path the role has
        // (PostgreSQL 17's restricted one, or a schema of the user's own that holds a
        // table of the same name). pg_catalog and the session's own temporary tables stay
        // first, as always. A read at a past instant puts ctodb_as_of before them
        // (`read_only`). A transaction pooler refuses startup options.
        let path_at_startup = startup_options && !target.looks_like_pooler();
        if path_at_startup {
            options.push(format!("-c search_path={}", SEARCH_PATH.replace(' ', "")));
        }
        let adjust = |pg: &mut tokio_postgres::Config| {
            pg.ssl_mode(ssl_mode);
            pg.connect_timeout(settings.connect_timeout);
            if !options.is_empty() {
                pg.options(options.join(" "));
            }
        };
        let mut pg = target.pg.clone();
        adjust(&mut pg);
        let mut hosts = target.each_host();
        hosts.iter_mut().for_each(adjust);
        let host_count = hosts.len() as u32;
        let tasks = ConnectionTasks::default();
        let manager = Manager::from_connect(
            pg,
            GracefulConnect { tls, tasks: tasks.clone(), hosts },
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(settings.wait_timeout))
            // the connect timeout is enforced by tokio-postgres per address; this bounds
            // the whole handshake (TLS and authentication included), a little later so
            // that a refused or unreachable address is reported as such first
            // (per host: each host of a fail-over list gets its whole connect timeout)
            .create_timeout(Some(settings.connect_timeout * host_count + Duration::from_millis(250)))
            .post_create(Hook::sync_fn(|client, _| {
                register_cancel_token(client.cancel_token());
                Ok(())
            }))
            .build()
            .map_err(|err| DbError::Pool(err.to_string()))?;
        let mut db = Db {
            pool,
            tasks,
            target: target.clone(),
            settings,
            transaction_pooler: None,
            past: None,
            path_at_startup,
        };
        OPENED.lock().unwrap_or_else(PoisonError::into_inner).push(db.clone());
        let first = db.client().await?;
        let second = || async {
            // a second connection whatever the pool's size (the first is still held)
            db.pool.resize(db.settings.max_size.max(2));
            db.client().await
        };
        db.transaction_pooler = pooler::detect(&db.target, &first, second).await?;
        drop(first);
        db.pool.resize(db.settings.max_size);
        Ok(db)
    }

    /// A new pool to the same target: for work after an interrupt, when the connections
    /// of this one may be stuck in the middle of a cancelled statement.
    pub async fn reopen(&self) -> Result<Db, DbError> {
        Db::connect(&self.target, &self.settings).await
    }

    /// Closes the pool and lets each of its connections end cleanly: the replies still
    /// due are read, a Terminate message is sent, and the server sees a client leave,
    /// not a socket cut mid-reply (see `GracefulConnect`). Waits at most two seconds in
    /// all; the command's outcome is already decided, so nothing here is an error.
    pub async fn close(&self) {
        self.pool.close();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        let ended = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), ended).await;
    }

    /// A read-only transaction on `client` ([`read_only`]). A command that reads runs
    /// every statement in one: through a transaction pooler that is what keeps its
    /// statements on one server session, prepared and closed there.
    pub async fn read_only<'a>(
        &self,
        client: &'a mut tokio_postgres::Client,
    ) -> Result<tokio_postgres::Transaction<'a>, DbError> {
        read_only(client, &self.read_setup()).await
    }

    /// What each read-only transaction sets first ([`ReadSetup`]).
    pub fn read_setup(&self) -> ReadSetup {
        ReadSetup { settings: self.transaction_settings(), past: self.past, always_views: false }
    }

    /// The session settings a direct connection gets at startup (`open`), for each
    /// read-only transaction of a connection that could not take them then, set with
    /// `SET LOCAL` (it lasts until COMMIT). Through a session pooler that is the search
    /// path. Through a transaction pooler, which would carry a session `SET` over to other
    /// clients, it is every setting, and first the statements an earlier client left
    /// prepared on the server session go: a name of theirs could meet one of this
    /// process's (each numbers its own from s0), and no client can use a statement after
    /// its transaction there anyway.
    pub fn transaction_settings(&self) -> Option<String> {
        if self.transaction_pooler.is_none() {
            return (!self.path_at_startup).then(|| format!("SET LOCAL search_path = {SEARCH_PATH}"));
        }
        let mut settings = format!("DEALLOCATE ALL; SET LOCAL search_path = {SEARCH_PATH}");
        if let Some(timeout) = self.settings.statement_timeout {
            settings.push_str(&format!("; SET LOCAL statement_timeout = {}", timeout.as_millis()));
        }
        Some(settings)
    }

    /// A connection from the pool.
    pub async fn client(&self) -> Result<Object, DbError> {
        self.pool.get().await.map_err(|err| match err {
            PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => DbError::PoolTimeout {
                secs: self.settings.wait_timeout.as_secs(),
                limit: self.settings.max_size,
            },
            PoolError::Timeout(_) => DbError::ConnectTimeout {
                server: self.target.server(),
                secs: self.settings.connect_timeout.as_secs(),
            },
            PoolError::Backend(err) => connect_error(err, &self.target, &self.settings),
            other => DbError::Unreachable { server: self.target.server(), reason: other.to_string() },
        })
    }
}

/// Turns a failed connection attempt into the message for its cause.
fn connect_error(err: tokio_postgres::Error, target: &Target, settings: &PoolSettings) -> DbError {
    let server = target.server();
    let user = target.user().to_string();
    if let Some(db) = err.as_db_error() {
        return match *db.code() {
            SqlState::INVALID_PASSWORD => DbError::Auth { user, server },
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                if db.message() == format!("role \"{user}\" does not exist") =>
            {
                DbError::NoRole { user, server }
            }
            SqlState::INVALID_CATALOG_NAME => {
                DbError::MissingDatabase { database: target.database().to_string(), server }
            }
            _ => {
                let fix = if db.message().contains("no encryption") {
                    "the server lets this role in over TLS only; connect with sslmode=require (or verify-full)"
                } else if db.message().contains("pg_hba.conf") {
                    "no line of the server's pg_hba.conf lets this role in from here; ask its administrator to add one, or connect as another role"
                } else {
                    "ask the server's administrator, or connect as another role"
                };
                DbError::Refused { user, server, message: db.message().to_string(), fix }
            }
        };
    }
    // the I/O error under the failure: a timeout, or a TLS handshake that rejected the
    // server's certificate (rustls reports it inside the I/O error)
    let io = io_source(&err);
    if io.is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
        return DbError::ConnectTimeout { server, secs: settings.connect_timeout.as_secs() };
    }
    let reason = std::error::Error::source(&err).map_or_else(|| err.to_string(), |source| source.to_string());
    let rejected = io.and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref::<rustls::Error>());
    if matches!(rejected, Some(rustls::Error::InvalidCertificate(_))) {
        return DbError::Certificate { server, reason };
    }
    // sslmode=require (or stricter) and a server without TLS: tokio-postgres says so in
    // words only
    if err.to_string().contains("server does not support TLS")
        || reason.contains("server does not support TLS")
    {
        return DbError::TlsRefused { server, mode: target.ssl_mode.name().to_string() };
    }
    // tokio-postgres has no kind for this one: a configuration error with this message,
    // raised when the server asks for a password and none was given
    if err.to_string().contains("password missing") || reason.contains("password missing") {
        return DbError::PasswordMissing { user, server };
    }
    DbError::Unreachable { server, reason }
}

/// The extension a server's message says it lacks: 'extension "x" is not available'
/// (PostgreSQL 15 and later) or 'could not open extension control file ".../x.control"'.
fn missing_extension(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("extension \"") {
        let (name, tail) = rest.split_once('"')?;
        return tail.trim().starts_with("is not available").then(|| name.to_string());
    }
    if message.contains("extension control file") {
        let path = message.split('"').nth(1)?;
        return path.rsplit('/').next()?.strip_suffix(".control").map(str::to_string);
    }
    None
}

/// The I/O error a driver error was caused by, if any.
fn io_source(err: &tokio_postgres::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs a helper and returns its rows, timing it for `-v` and the slow-query log. The
/// log names the helper, never its parameter values.
pub async fn query(
    client: &impl GenericClient,
    helper: &Helper,
    params: Params<'_>,
) -> Result<Vec<Row>, DbError> {
    let started = Instant::now();
    let result = client.query(helper.sql.as_ref(), params).await;
    ui::query_timing(helper.name, started.elapsed());
    result.map_err(|err| DbError::query(helper.name, err))
}

/// Like [`query`], for a helper that returns exactly one row.
pub async fn query_one(
    client: &impl GenericClient,
    helper: &Helper,
    params: Params<'_>,
) -> Result<Row, DbError> {
    let started = Instant::now();
    let result = client.query_one(helper.sql.as_ref(), params).await;
    ui::query_timing(helper.name, started.elapsed());
    result.map_err(|err| DbError::query(helper.name, err))
}

/// Like [`query`], for a statement whose row count is the answer.
pub async fn execute(
    client: &impl GenericClient,
    helper: &Helper,
    params: Params<'_>,
) -> Result<u64, DbError> {
    let started = Instant::now();
    let result = client.execute(helper.sql.as_ref(), params).await;
    ui::query_timing(helper.name, started.elapsed());
    result.map_err(|err| DbError::query(helper.name, err))
}

/// Leaves the audit_log row of a write ctodb made. The actor is a user id when one is
/// known; the client address is what the server sees.
pub async fn audit(
    client: &impl GenericClient,
    actor: Option<uuid::Uuid>,
    action: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    changes: &serde_json::Value,
) -> Result<(), DbError> {
    let agent = format!("ctodb/{}", env!("CARGO_PKG_VERSION"));
    execute(client, &crate::sql::AUDIT_INSERT, &[&actor, &action, &entity_type, &entity_id, changes, &agent])
        .await
        .map(|_| ())
}

/// Like [`query`], also returning the prepared statement (its columns), so that an empty result still
/// has a header.
pub async fn query_with_columns(
    client: &impl GenericClient,
    helper: &Helper,
    params: Params<'_>,
) -> Result<(tokio_postgres::Statement, Vec<Row>), DbError> {
    let started = Instant::now();
    let result = async {
        let statement = client.prepare(&helper.sql).await?;
        let rows = client.query(&statement, params).await?;
        Ok((statement, rows))
    }
    .await;
    ui::query_timing(helper.name, started.elapsed());
    result.map_err(|err| DbError::query(helper.name, err))
}

/// The schemas ctodb's SQL finds its relations in: its tables in public, the summaries
/// its triggers keep in ctodb.
pub const SEARCH_PATH: &str = "public, ctodb";

/// What a read at a past instant reconstructs (the views of ctodb_as_of, migration
/// as_of), and what it takes from today, as a snapshot's manifest says.
pub const PAST_RECORDED: &str = "rows created after the as-of are left out; each bug's status, severity, \
     assignee, blocker flag, title, description, labels and project are those its history records at the \
     as-of; priorities, SLA states, health, ROI and the monthly roll-up's bug figures are computed at the as-of";
pub const PAST_TODAY: &str = "not recorded over time, so today's: a bug's revenue impact, reporter and SLA \
     hours set by hand; projects' financials, status and text; users' details; engineering hours; the \
     portfolio_metrics row of a day and the monthly_metrics updated_at a later refresh rewrote";

/// What a read-only transaction sets before its first query.
#[derive(Debug, Clone, Default)]
pub struct ReadSetup {
    /// the session settings a transaction pooler cannot take at startup
    /// (`Db::transaction_settings`)
    pub settings: Option<String>,
    /// a past instant to read the database at (sql/admin/read_as_of.sql)
    pub past: Option<DateTime<Utc>>,
    /// read the views of that instant even when the tables hold its state already (an
    /// export: its tables' files are the views', rows made later left out)
    pub always_views: bool,
}

/// A read-only transaction in which every query of a command sees the same snapshot of
/// the data (REPEATABLE READ), so that its frames agree with each other. `setup`'s
/// settings last for the transaction alone.
pub async fn read_only<'a>(
    client: &'a mut tokio_postgres::Client,
    setup: &ReadSetup,
) -> Result<tokio_postgres::Transaction<'a>, DbError> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await
        .map_err(|err| DbError::query("read/begin", err))?;
    if let Some(settings) = &setup.settings {
        tx.batch_execute(settings).await.map_err(|err| DbError::query("read/settings", err))?;
    }
    if let Some(past) = setup.past {
        let instant = past.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        query(&tx, &sql::READ_AS_OF, &[&instant, &setup.always_views, &SEARCH_PATH]).await?;
    }
    Ok(tx)
}

/// Ends a read-only transaction.
pub async fn end_read(tx: tokio_postgres::Transaction<'_>) -> Result<(), DbError> {
    tx.commit().await.map_err(|err| DbError::query("read/commit", err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_extension_is_read_from_either_message() {
        assert_eq!(missing_extension("extension \"pg_trgm\" is not available").as_deref(), Some("pg_trgm"));
        assert_eq!(
            missing_extension(
                "could not open extension control file \"/usr/share/postgresql/12/extension/rum.control\": No such file or directory"
            )
            .as_deref(),
            Some("rum")
        );
        assert_eq!(missing_extension("extension \"pg_trgm\" already exists"), None);
        assert_eq!(missing_extension("relation \"bugs\" does not exist"), None);
    }

    #[tokio::test]
    async fn every_connection_busy_stops_at_the_pool_timeout_naming_it() {
        let url = std::env::var("CTODB_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgresql:///postgres?host=/var/run/postgresql".to_string());
        let target =
            crate::config::resolve_target(Some(&url), || unreachable!("a URL is given")).expect("a test URL");
        let settings = PoolSettings {
            max_size: 1,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(1),
            statement_timeout: None,
            slow_query: Duration::from_secs(1),
        };
        let db = Db::connect(&target, &settings).await.expect("the test server answers");
        let _busy = db.client().await.expect("the one connection");
        let started = Instant::now();
        let Err(err) = db.client().await else { panic!("a second connection from a pool of one") };
        let waited = started.elapsed();
        assert_eq!(
            err.to_string(),
            "no free database connection within 1 s (DATABASE_CONNECTION_LIMIT=1); raise DATABASE_POOL_TIMEOUT or the limit"
        );
        assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(2), "{waited:?}");
    }

    #[tokio::test]
    async fn a_null_or_an_unexpected_type_is_an_error_naming_helper_and_column() {
        let client = crate::testing::connect("postgres").await;
        let sql = "SELECT NULL::int AS n, '10.0.0.1'::inet AS address, 7 AS seven";
        let row = client.query_one(sql, &[]).await.unwrap();
        let err = get::<i32>(&row, "test/helper", "n").unwrap_err().to_string();
        assert_eq!(err, "test/helper returned a value ctodb cannot read in column n: it is NULL");
        let err = get::<String>(&row, "test/helper", "address").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "test/helper returned a value ctodb cannot read in column address: its type does not match"
            ),
            "{err}"
        );
        let err = get::<i32>(&row, "test/helper", "eight").unwrap_err().to_string();
        assert!(err.starts_with("test/helper returned a value ctodb cannot read in column eight: "), "{err}");
        assert_eq!(get::<i32>(&row, "test/helper", "seven").unwrap(), 7);
        // a frame never shows a placeholder for a value it cannot decode: it fails
        let statement = client.prepare(sql).await.unwrap();
        let rows = client.query(&statement, &[]).await.unwrap();
        let err = crate::queries::rows::frame_from_rows("f", "test/helper", statement.columns(), rows)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("test/helper returned a value ctodb cannot read in column address: "),
            "{err}"
        );
    }
}
