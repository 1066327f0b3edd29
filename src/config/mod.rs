//! Where ctodb connects and how: the database URL or the libpq variables, TLS mode, pool
//! sizes and timeouts (SPEC §2). Nothing here talks to the network.

mod conninfo;
pub mod env_file;
mod passfile;
mod service;
mod target;

use std::{env, path::PathBuf, str::FromStr, time::Duration};

use thiserror::Error;
use tokio_postgres::config::Host;

/// The default local socket directory of Debian/Ubuntu PostgreSQL packages.
const LOCAL_SOCKET_DIR: &str = "/var/run/postgresql";
const DEFAULT_DATABASE: &str = "ctodb";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("invalid database URL: {0}; expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    InvalidUrl(String),
    #[error("invalid {name}={value:?}: {reason}")]
    InvalidSetting { name: String, value: String, reason: String },
    /// a setting ctodb does not honour, or a service it cannot find
    #[error("{0}")]
    Refused(String),
}

/// libpq's sslmode values, as libpq means them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = &'static str;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "disable" => Ok(SslMode::Disable),
            // allow is prefer with the order reversed; ctodb treats it as prefer.
            "allow" | "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            _ => Err("expected disable, prefer, require, verify-ca or verify-full"),
        }
    }
}

impl SslMode {
    /// The mode as sslmode spells it.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where the root certificates come from, as libpq 16 takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SslRoot {
    /// `sslrootcert=FILE`, or `~/.postgresql/root.crt` when it exists
    File(PathBuf),
    /// `sslrootcert=system`: the system's trusted roots (and verify-full)
    System,
    /// no root certificate: the file that was looked for (given, or the default)
    Missing(PathBuf),
}

/// A resolved connection target. `pg` holds everything tokio-postgres understands; TLS
/// modes it does not know (verify-ca, verify-full) are kept beside it.
#[derive(Clone)]
pub struct Target {
    pub pg: tokio_postgres::Config,
    pub ssl_mode: SslMode,
    /// the root certificates a verifying sslmode checks the server's chain against
    pub ssl_root: SslRoot,
    /// `pgbouncer=true` in the URL, as Prisma and Supabase write it.
    pub pgbouncer_flag: bool,
    /// `connect_timeout` of the URL or PGCONNECT_TIMEOUT, which replaces
    /// DATABASE_CONNECTION_TIMEOUT for this target
    pub connect_timeout: Option<Duration>,
    /// where the target came from
    pub origin: Origin,
    /// the password file (`passfile`, PGPASSFILE, else ~/.pgpass) for a target without a
    /// password: looked up for each host and port as it is tried (`each_host`)
    pub passfile: Option<PathBuf>,
}

/// Where a target came from: what the user configured, or the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// --database-url, DATABASE_URL or .env
    Url,
    /// PGHOST, PGPORT, PGUSER, PGPASSWORD or PGDATABASE
    Environment,
    /// ctodb's private cluster: CTODB_LOCAL, or the default one when no server runs
    LocalCluster,
    /// nothing configured: the local socket or localhost, as the OS user
    Default,
    /// nothing read: the call reads a snapshot and contacts no server
    Offline,
}

impl Target {
    pub fn database(&self) -> &str {
        self.pg.get_dbname().unwrap_or(DEFAULT_DATABASE)
    }

    pub fn user(&self) -> &str {
        self.pg.get_user().unwrap_or("")
    }

    /// The password, so that error output can be scrubbed of it.
    pub fn password(&self) -> Option<String> {
        self.pg
            .get_password()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .filter(|password| !password.is_empty())
    }

    /// Where the server is, for messages: `host:port` or the socket path (each of them,
    /// comma-separated, when there are several). Never the password.
    pub fn server(&self) -> String {
        let ports = self.pg.get_ports();
        let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let hosts = self.pg.get_hosts();
        if hosts.is_empty() {
            return format!("localhost:{}", port(0));
        }
        let described: Vec<String> = hosts
            .iter()
            .enumerate()
            .map(|(i, host)| match host {
                Host::Tcp(host) if host.contains(':') => format!("[{host}]:{}", port(i)),
                Host::Tcp(host) => format!("{host}:{}", port(i)),
                Host::Unix(path) => format!("{}/.s.PGSQL.{}", path.display(), port(i)),
            })
            .collect();
        described.join(",")
    }

    /// Describes the target without secrets: `user@server/database`.
    pub fn describe(&self) -> String {
        format!("{}@{}/{}", self.user(), self.server(), self.database())
    }

    /// Whether the URL says a transaction-mode pooler stands between (`pgbouncer=true`);
    /// without it, `db::pooler` tells by how the server behaves.
    pub fn looks_like_pooler(&self) -> bool {
        self.pgbouncer_flag
    }

    /// One configuration per host, in the order they are tried (shuffled with
    /// load_balance_hosts=random, as libpq does): each with its own port and address, and
    /// without a password given, the password file's line for that very host and port.
    pub fn each_host(&self) -> Vec<tokio_postgres::Config> {
        let mut hosts: Vec<tokio_postgres::Config> =
            (0..self.pg.get_hosts().len().max(1)).map(|i| self.single_host(i)).collect();
        if self.pg.get_load_balance_hosts() == tokio_postgres::config::LoadBalanceHosts::Random {
            // a spread, not a secret: the clock's nanoseconds seed it
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
            rand::seq::SliceRandom::shuffle(hosts.as_mut_slice(), &mut rng);
        }
        hosts
    }

    /// The i-th host's configuration: every setting of `pg` but the other hosts.
    fn single_host(&self, i: usize) -> tokio_postgres::Config {
        let pg = &self.pg;
        let mut one = tokio_postgres::Config::new();
        if let Some(host) = pg.get_hosts().get(i) {
            match host {
                Host::Tcp(name) => one.host(name),
                Host::Unix(path) => one.host_path(path),
            };
        }
        if let Some(address) = pg.get_hostaddrs().get(i) {
            one.hostaddr(*address);
        }
        if let Some(port) = pg.get_ports().get(i).or(pg.get_ports().first()) {
            one.port(*port);
        }
        if let Some(user) = pg.get_user() {
            one.user(user);
        }
        if let Some(database) = pg.get_dbname() {
            one.dbname(database);
        }
        if let Some(options) = pg.get_options() {
            one.options(options);
        }
        if let Some(application) = pg.get_application_name() {
            one.application_name(application);
        }
        one.ssl_mode(pg.get_ssl_mode());
        one.ssl_negotiation(pg.get_ssl_negotiation());
        if let Some(timeout) = pg.get_connect_timeout() {
            one.connect_timeout(*timeout);
        }
        if let Some(timeout) = pg.get_tcp_user_timeout() {
            one.tcp_user_timeout(*timeout);
        }
        one.keepalives(pg.get_keepalives());
        one.keepalives_idle(pg.get_keepalives_idle());
        if let Some(interval) = pg.get_keepalives_interval() {
            one.keepalives_interval(interval);
        }
        if let Some(retries) = pg.get_keepalives_retries() {
            one.keepalives_retries(retries);
        }
        one.target_session_attrs(pg.get_target_session_attrs());
        one.channel_binding(pg.get_channel_binding());
        match pg.get_password() {
            Some(password) => {
                one.password(password);
            }
            None => {
                let host = one.get_hosts().first().cloned();
                let port = one.get_ports().first().copied().unwrap_or(5432);
                let found = host.and_then(|host| {
                    passfile::lookup(self.passfile.as_deref(), &host, port, self.database(), self.user())
                });
                if let Some(password) = found {
                    crate::ui::register_secret(&password);
                    one.password(password);
                }
            }
        }
        one
    }

    /// The same server and credentials, another database (the `postgres` maintenance one).
    pub fn with_database(&self, database: &str) -> Target {
        let mut other = self.clone();
        other.pg.dbname(database);
        other
    }
}

/// Pool and statement settings from the environment.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    pub connect_timeout: Duration,
    pub wait_timeout: Duration,
    pub statement_timeout: Option<Duration>,
    pub slow_query: Duration,
}

impl PoolSettings {
    /// The defaults, for a call that contacts no server (nothing is read from the
    /// environment, so a malformed setting there does not matter to it).
    pub fn unused() -> PoolSettings {
        PoolSettings {
            max_size: 1,
            connect_timeout: Duration::from_secs(20),
            wait_timeout: Duration::from_secs(10),
            statement_timeout: None,
            slow_query: Duration::from_millis(1000),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        let max_size = env_number("DATABASE_CONNECTION_LIMIT", 10)?;
        if max_size == 0 {
            return Err(ConfigError::InvalidSetting {
                name: "DATABASE_CONNECTION_LIMIT".into(),
                value: "0".into(),
                reason: "the pool needs at least one connection".into(),
            });
        }
        let statement_timeout = match env::var("CTODB_STATEMENT_TIMEOUT") {
            Ok(value) if !value.trim().is_empty() => {
                let ms = parse_number("CTODB_STATEMENT_TIMEOUT", &value)?;
                // the server's setting is a 32-bit count of milliseconds
                if ms > i32::MAX as u64 {
                    return Err(ConfigError::InvalidSetting {
                        name: "CTODB_STATEMENT_TIMEOUT".into(),
                        value,
                        reason: "expected milliseconds, at most 2147483647 (about 24 days)".into(),
                    });
                }
                Some(Duration::from_millis(ms))
            }
            _ => None,
        };
        Ok(PoolSettings {
            max_size: max_size as usize,
            connect_timeout: Duration::from_secs(env_seconds("DATABASE_CONNECTION_TIMEOUT", 20)?),
            wait_timeout: Duration::from_secs(env_seconds("DATABASE_POOL_TIMEOUT", 10)?),
            statement_timeout,
            slow_query: Duration::from_millis(env_number("CTODB_SLOW_QUERY_MS", 1000)?),
        })
    }
}

/// What to do when the replica may not be read from (too far behind, or unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// read from the primary, saying so on stderr
    Primary,
    /// fail with exit status 1
    Fail,
}

/// Where reads go: the replica of DATABASE_READ_URL (or --read-url) unless it is further
/// behind than CTODB_MAX_REPLICA_LAG, and what to do then (CTODB_READ_FALLBACK).
#[derive(Clone)]
pub struct ReadSettings {
    pub replica: Option<Target>,
    pub max_lag: Duration,
    pub fallback: Fallback,
}

/// CTODB_MAX_REPLICA_LAG's default: five minutes.
const DEFAULT_MAX_LAG_SECS: u64 = 300;

impl ReadSettings {
    /// No replica, for a call that contacts no server.
    pub fn unused() -> ReadSettings {
        ReadSettings {
            replica: None,
            max_lag: Duration::from_secs(DEFAULT_MAX_LAG_SECS),
            fallback: Fallback::Primary,
        }
    }

    /// The replica from `url` (completed by the libpq variables, as the primary's URL
    /// is), and the lag and fallback settings from the environment.
    pub fn resolve(url: Option<&str>) -> Result<ReadSettings, ConfigError> {
        let replica = match url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => Some(resolve_target(Some(url), || unreachable!("a URL is given")).map_err(
                |err| match err {
                    ConfigError::InvalidUrl(reason) => ConfigError::InvalidSetting {
                        name: "DATABASE_READ_URL".into(),
                        value: "(the read URL)".into(),
                        reason,
                    },
                    other => other,
                },
            )?),
            None => None,
        };
        let max_lag = Duration::from_secs(env_seconds("CTODB_MAX_REPLICA_LAG", DEFAULT_MAX_LAG_SECS)?);
        let fallback = match env::var("CTODB_READ_FALLBACK").ok().as_deref().map(str::trim) {
            None | Some("") | Some("primary") => Fallback::Primary,
            Some("fail") => Fallback::Fail,
            Some(other) => {
                return Err(ConfigError::InvalidSetting {
                    name: "CTODB_READ_FALLBACK".into(),
                    value: other.to_string(),
                    reason: "expected primary (read from the primary instead) or fail".into(),
                })
            }
        };
        Ok(ReadSettings { replica, max_lag, fallback })
    }
}

/// The longest timeout in seconds ctodb takes: a day. Waiting longer is waiting forever,
/// and larger values overflow the clocks' arithmetic.
const MAX_TIMEOUT_SECS: u64 = 86_400;

/// A timeout in whole seconds, at most a day.
fn env_seconds(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    let secs = env_number(name, default)?;
    if secs > MAX_TIMEOUT_SECS {
        return Err(ConfigError::InvalidSetting {
            name: name.into(),
            value: secs.to_string(),
            reason: "expected seconds, at most 86400 (a day)".into(),
        });
    }
    Ok(secs)
}

fn env_number(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match env::var(name) {
        Ok(value) if !value.trim().is_empty() => parse_number(name, &value),
        _ => Ok(default),
    }
}

fn parse_number(name: &'static str, value: &str) -> Result<u64, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::InvalidSetting {
        name: name.into(),
        value: value.to_string(),
        reason: "expected a whole non-negative number".into(),
    })
}

/// Where a private cluster listens: its folder (which holds its socket) and its port.
/// Config does not know where clusters live: `local` finds ctodb's default one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateCluster {
    pub dir: PathBuf,
    pub port: u16,
}

impl PrivateCluster {
    fn socket(&self) -> PathBuf {
        self.dir.join(format!(".s.PGSQL.{}", self.port))
    }
}

/// SPEC §2's order: the URL (flag, DATABASE_URL or .env), completed by the libpq
/// variables as libpq completes it; CTODB_LOCAL (a private cluster's folder); the libpq
/// variables alone; with nothing configured, the local socket when a server listens there,
/// else ctodb's default private cluster (`private`, asked only then) when it runs, else
/// localhost. Without a URL the database defaults to `ctodb`.
pub fn resolve_target(
    url: Option<&str>,
    private: impl Fn() -> PrivateCluster,
) -> Result<Target, ConfigError> {
    let read = |name: &str| env::var(name).ok();
    conninfo::refuse_unsupported_variables(read).map_err(ConfigError::Refused)?;
    if let Some(url) = url.map(str::trim).filter(|url| !url.is_empty()) {
        register_url_password(url);
        let mut options = conninfo::parse(url).map_err(ConfigError::InvalidUrl)?;
        service::add_service(&mut options, read).map_err(ConfigError::Refused)?;
        let from_environment = conninfo::add_environment(&mut options, read);
        return target::target_from(&options, &target::Sources { from_environment }, Origin::Url, None);
    }
    if std::env::var_os("CTODB_LOCAL").is_some_and(|dir| !dir.is_empty()) {
        return Ok(cluster_target(&private()));
    }
    let configured =
        conninfo::environment_configures(read) || read("PGSERVICE").is_some_and(|s| !s.is_empty());
    let mut options = conninfo::Options::new();
    service::add_service(&mut options, read).map_err(ConfigError::Refused)?;
    let from_environment = conninfo::add_environment(&mut options, read);
    let sources = target::Sources { from_environment };
    let mut target = target::target_from(&options, &sources, Origin::Environment, Some(DEFAULT_DATABASE))?;
    if !configured {
        target.origin = Origin::Default;
        let system_socket = PathBuf::from(LOCAL_SOCKET_DIR).join(".s.PGSQL.5432");
        if !system_socket.exists() {
            let private = private();
            if private.socket().exists() {
                return Ok(cluster_target(&private));
            }
        }
    }
    Ok(target)
}

/// The target of a call that reads a snapshot: no server, nothing read from the
/// configuration (`Db::connect` refuses it).
pub fn offline_target() -> Target {
    Target {
        pg: tokio_postgres::Config::new(),
        ssl_mode: SslMode::Disable,
        ssl_root: SslRoot::Missing(PathBuf::new()),
        pgbouncer_flag: false,
        connect_timeout: None,
        origin: Origin::Offline,
        passfile: None,
    }
}

/// The private cluster's socket, as the OS user, database ctodb (or PGDATABASE).
pub fn cluster_target(cluster: &PrivateCluster) -> Target {
    let mut pg = tokio_postgres::Config::new();
    // its database is ctodb's, or the one PGDATABASE names, as for any other server
    let database =
        env::var("PGDATABASE").ok().filter(|d| !d.is_empty()).unwrap_or_else(|| DEFAULT_DATABASE.to_string());
    pg.host_path(&cluster.dir).port(cluster.port).user(os_user()).dbname(&database);
    pg.application_name("ctodb");
    Target {
        pg,
        ssl_mode: SslMode::Disable,
        ssl_root: SslRoot::Missing(PathBuf::new()),
        pgbouncer_flag: false,
        connect_timeout: None,
        origin: Origin::LocalCluster,
        passfile: None,
    }
}

/// Whether a URL (or keyword/value string) itself holds a password.
pub fn url_gives_password(url: &str) -> bool {
    conninfo::parse(url).is_ok_and(|options| options.get("password").is_some_and(|p| !p.is_empty()))
}

/// Remembers the password a URL carries, as written and decoded, before anything else
/// reads the URL, so that no message can show it.
fn register_url_password(url: &str) {
    // (keyword/value pairs have their password registered when they are read)
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    // the text between any ':' and the next '@' of the part before the query: the password
    // as libpq reads it, and as a person may have meant it in a URL that is mangled (where
    // a parser could take it for a port or a host and quote it in an error)
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    for (colon, _) in before_query.match_indices(':') {
        let after = &before_query[colon + 1..];
        if let Some(at) = after.find('@') {
            crate::ui::register_secret(&after[..at]);
        }
    }
    // ?password=…, as written (a value that is not valid percent-encoding included)
    for parameter in query.split('&') {
        if let Some(value) = parameter.strip_prefix("password=") {
            crate::ui::register_secret(value);
        }
    }
}

fn default_host_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(LOCAL_SOCKET_DIR);
    dir.is_dir().then_some(dir)
}

/// The operating-system user, as libpq takes it: $USER or $LOGNAME, else the passwd
/// entry of the process's uid.
pub fn os_user() -> String {
    env::var("USER")
        .or_else(|_| env::var("LOGNAME"))
        .ok()
        .filter(|user| !user.is_empty())
        .or_else(passwd_user)
        .unwrap_or_else(|| "postgres".to_string())
}

fn passwd_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's real user
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// Any URL: a target or an error, never a panic, and the password in neither
        /// the error nor the description of the server.
        #[test]
        fn any_url_parses_or_is_refused_without_showing_its_password(
            scheme in "(postgres|postgresql|http|)(://)?",
            user in "[a-z%@:]{0,8}",
            password in "[a-zA-Z0-9]{12}",
            rest in "\\PC{0,40}",
        ) {
            let url = format!("{scheme}{user}:{password}@{rest}");
            match parse_url(&url) {
                Ok(target) => proptest::prop_assert!(!target.server().contains(&password)),
                Err(err) => proptest::prop_assert!(!crate::ui::redact(&err.to_string()).contains(&password)),
            }
        }
    }

    use super::*;

    /// A target from a URL alone, whatever the test process's environment holds.
    fn parse_url(url: &str) -> Result<Target, ConfigError> {
        register_url_password(url);
        let options = conninfo::parse(url).map_err(ConfigError::InvalidUrl)?;
        let sources = target::Sources { from_environment: Default::default() };
        target::target_from(&options, &sources, Origin::Url, None)
    }

    #[test]
    fn malformed_passwords_are_never_quoted_even_unredacted() {
        for (url, secret) in [
            ("postgresql://u@h/db?password=50%off", "50%off"),
            ("postgresql://u:50%zz@h/db", "50%zz"),
            ("postgresql://u:pa ss@h/db", "pa ss"),
            ("postgresql://u@h/db?password=50%off&sslmode=bogus", "50%off"),
            ("postgresql://u@h/db?sslmode=bogus&password=50%25off", "50%25off"),
            ("host=h password=50%off port=x", "50%off"),
        ] {
            let err = conninfo::parse(url)
                .map_err(ConfigError::InvalidUrl)
                .and_then(|options| {
                    let sources = target::Sources { from_environment: Default::default() };
                    target::target_from(&options, &sources, Origin::Url, None)
                })
                .err()
                .unwrap_or_else(|| panic!("{url} was accepted"));
            assert!(!err.to_string().contains(secret), "{url}: {err}");
        }
    }

    #[test]
    fn url_keeps_verify_modes_that_tokio_postgres_does_not_know() {
        let target =
            parse_url("postgres://alice:s3cret@db.example.com:5433/prod?sslmode=verify-full").unwrap();
        assert_eq!(target.ssl_mode, SslMode::VerifyFull);
        assert_eq!(target.server(), "db.example.com:5433");
        assert_eq!(target.database(), "prod");
        assert_eq!(target.password().as_deref(), Some("s3cret"));
        assert_eq!(target.describe(), "alice@db.example.com:5433/prod");
    }

    #[test]
    fn pooler_port_and_flag_are_detected() {
        // a port is no proof: Supavisor's 6543 and PgBouncer's 6432 are told by behaviour
        assert!(!parse_url("postgres://u@h:6543/d").unwrap().looks_like_pooler());
        assert!(parse_url("postgres://u@h:5432/d?pgbouncer=true").unwrap().looks_like_pooler());
        assert!(!parse_url("postgres://u@h:5432/d").unwrap().looks_like_pooler());
    }

    #[test]
    fn malformed_urls_are_rejected_without_echoing_them() {
        let err = parse_url("mysql://root:hunter2@x/y").err().unwrap().to_string();
        assert!(err.starts_with("invalid database URL"), "{err}");
        assert!(!err.contains("hunter2"));
        let err = parse_url("postgres://u:hunter2@h:notaport/d").err().unwrap().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse_url("postgres://u@h/d?sslmode=maybe").err().unwrap().to_string();
        assert_eq!(
            err,
            "invalid database URL: sslmode=maybe is not valid: expected disable, prefer, \
             require, verify-ca or verify-full; expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        );
    }
}
