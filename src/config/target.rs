//! Connection options (keyword → value, `conninfo`) into the target ctodb connects to,
//! with libpq's rules: a host list and a port list that must fit each other, hostaddr
//! beside host, empty entries meaning the defaults, the database named after the user
//! when none is given.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{ChannelBinding, LoadBalanceHosts, TargetSessionAttrs};

use super::conninfo::{self, Options};
use super::passfile;
use super::{default_host_dir, os_user, ConfigError, Origin, SslMode, SslRoot, Target};

/// Where the options came from, for error messages: the keywords a `PG*` variable set.
pub struct Sources {
    pub from_environment: BTreeSet<&'static str>,
}

impl Sources {
    /// The error for a bad value: named by its variable when one set it, else as part of
    /// the database URL.
    fn invalid(&self, keyword: &str, value: &str, reason: &str) -> ConfigError {
        if self.from_environment.contains(keyword) {
            ConfigError::InvalidSetting {
                name: conninfo::variable_of(keyword).unwrap_or(keyword).to_string(),
                value: value.to_string(),
                reason: reason.to_string(),
            }
        } else {
            ConfigError::InvalidUrl(format!("{keyword}={value} is not valid: {reason}"))
        }
    }
}

/// Builds the target. `default_database` is the database when none is given (`ctodb`
/// without a URL, SPEC §2); with a URL, libpq's: the user's name.
pub fn target_from(
    options: &Options,
    sources: &Sources,
    origin: Origin,
    default_database: Option<&str>,
) -> Result<Target, ConfigError> {
    let get = |keyword: &str| options.get(keyword).map(String::as_str);
    let mut pg = tokio_postgres::Config::new();
    add_hosts(&mut pg, options, sources)?;

    let user = get("user").filter(|u| !u.is_empty()).map_or_else(os_user, str::to_string);
    pg.user(&user);
    let database = get("dbname").filter(|d| !d.is_empty()).or(default_database).unwrap_or(&user).to_string();
    pg.dbname(&database);
    // without a password, the password file is read per host as each is tried
    if let Some(password) = get("password").filter(|p| !p.is_empty()) {
        crate::ui::register_secret(password);
        pg.password(password);
    }
    let passfile = passfile::path(get("passfile"));
    let application = get("application_name").or(get("fallback_application_name")).unwrap_or("ctodb");
    pg.application_name(application);
    if let Some(options) = get("options").filter(|o| !o.is_empty()) {
        pg.options(options);
    }
    session_settings(&mut pg, options, sources)?;

    let ssl_root = ssl_root(get("sslrootcert"));
    let mut ssl_mode = match get("sslmode") {
        Some(mode) => SslMode::from_str(mode).map_err(|reason| sources.invalid("sslmode", mode, reason))?,
        // libpq 16: the system's roots mean checking the name too
        None if ssl_root == SslRoot::System => SslMode::VerifyFull,
        None => SslMode::Prefer,
    };
    if ssl_root == SslRoot::System && ssl_mode != SslMode::VerifyFull {
        let mode = get("sslmode").unwrap_or("");
        return Err(sources.invalid(
            "sslmode",
            mode,
            "a weaker sslmode than verify-full may not be used with sslrootcert=system (use verify-full)",
        ));
    }
    // libpq: with a root certificate present, require checks the chain as verify-ca does
    if ssl_mode == SslMode::Require && matches!(ssl_root, SslRoot::File(_)) {
        ssl_mode = SslMode::VerifyCa;
    }
    let connect_timeout = match get("connect_timeout").filter(|t| !t.trim().is_empty()) {
        None => None,
        Some(text) => {
            let secs: i64 = text
                .trim()
                .parse()
                .map_err(|_| sources.invalid("connect_timeout", text, "expected whole seconds"))?;
            // libpq: zero or less waits for ever (here: a day), and less than 2 s is 2 s
            Some(Duration::from_secs(match secs {
                ..=0 => super::MAX_TIMEOUT_SECS,
                1 => 2,
                n => (n as u64).min(super::MAX_TIMEOUT_SECS),
            }))
        }
    };
    Ok(Target {
        pg,
        ssl_mode,
        ssl_root,
        pgbouncer_flag: get("pgbouncer") == Some("true"),
        connect_timeout,
        origin,
        passfile,
    })
}

/// The root certificates: `sslrootcert` (a file, or `system`), else `~/.postgresql/root.crt`;
/// a file that does not exist is no root certificate (an error for the verifying modes).
fn ssl_root(given: Option<&str>) -> SslRoot {
    let file = match given.filter(|p| !p.is_empty()) {
        Some("system") => return SslRoot::System,
        Some(path) => PathBuf::from(path),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".postgresql/root.crt"),
            None => return SslRoot::Missing(PathBuf::from("~/.postgresql/root.crt")),
        },
    };
    if file.is_file() {
        SslRoot::File(file)
    } else {
        SslRoot::Missing(file)
    }
}

/// The hosts, with their ports and addresses, as libpq pairs them.
fn add_hosts(
    pg: &mut tokio_postgres::Config,
    options: &Options,
    sources: &Sources,
) -> Result<(), ConfigError> {
    let hosts: Vec<&str> = options.get("host").map(|h| conninfo::list(h)).unwrap_or_default();
    let addresses: Vec<&str> = options.get("hostaddr").map(|h| conninfo::list(h)).unwrap_or_default();
    let count = if addresses.is_empty() { hosts.len().max(1) } else { addresses.len() };
    if !addresses.is_empty() && !hosts.is_empty() && hosts.len() != addresses.len() {
        return Err(ConfigError::InvalidUrl(format!(
            "could not match {} host names to {} hostaddr values",
            hosts.len(),
            addresses.len()
        )));
    }
    let port_text = options.get("port").map(String::as_str).unwrap_or("");
    let ports = conninfo::list(port_text);
    if ports.len() != 1 && ports.len() != count {
        return Err(ConfigError::InvalidUrl(format!(
            "could not match {} port numbers to {count} hosts",
            ports.len()
        )));
    }
    for i in 0..count {
        let port = match ports.get(i).or(ports.first()).copied().unwrap_or("") {
            "" => 5432,
            text => text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                sources.invalid("port", port_text, "expected port numbers between 1 and 65535")
            })?,
        };
        pg.port(port);
        let host = hosts.get(i).copied().unwrap_or("");
        if addresses.is_empty() {
            match host {
                "" => match default_host_dir() {
                    Some(dir) => pg.host_path(dir),
                    None => pg.host("localhost"),
                },
                path if path.starts_with('/') => pg.host_path(path),
                name => pg.host(name),
            };
            continue;
        }
        let text = addresses[i];
        let address: IpAddr = text.parse().map_err(|_| {
            sources.invalid("hostaddr", text, "expected a numeric IPv4 or IPv6 address for every host")
        })?;
        pg.hostaddr(address);
        // the name, when there is one, is what a certificate is checked against
        if host.is_empty() || host.starts_with('/') {
            pg.host(text);
        } else {
            pg.host(host);
        }
    }
    Ok(())
}

/// The session and socket settings: target_session_attrs, load balancing, channel
/// binding, keepalives; and the options that ctodb takes only in the one value it
/// implements (UTF-8, no GSS encryption, the PostgreSQL TLS negotiation).
fn session_settings(
    pg: &mut tokio_postgres::Config,
    options: &Options,
    sources: &Sources,
) -> Result<(), ConfigError> {
    for (keyword, value) in options {
        let value = value.as_str();
        let bad = |reason: &str| sources.invalid(keyword, value, reason);
        let seconds = || {
            value.trim().parse::<u64>().map(Duration::from_secs).map_err(|_| bad("expected whole seconds"))
        };
        match *keyword {
            "target_session_attrs" => {
                pg.target_session_attrs(match value {
                    "any" => TargetSessionAttrs::Any,
                    "read-write" => TargetSessionAttrs::ReadWrite,
                    "read-only" => TargetSessionAttrs::ReadOnly,
                    _ => return Err(bad("ctodb takes any, read-write or read-only")),
                });
            }
            "load_balance_hosts" => {
                pg.load_balance_hosts(match value {
                    "disable" => LoadBalanceHosts::Disable,
                    "random" => LoadBalanceHosts::Random,
                    _ => return Err(bad("expected disable or random")),
                });
            }
            "channel_binding" => {
                pg.channel_binding(match value {
                    "disable" => ChannelBinding::Disable,
                    "prefer" => ChannelBinding::Prefer,
                    "require" => ChannelBinding::Require,
                    _ => return Err(bad("expected disable, prefer or require")),
                });
            }
            "keepalives" => {
                pg.keepalives(value.trim() != "0");
            }
            "keepalives_idle" => {
                pg.keepalives_idle(seconds()?);
            }
            "keepalives_interval" => {
                pg.keepalives_interval(seconds()?);
            }
            "keepalives_count" => {
                pg.keepalives_retries(value.trim().parse().map_err(|_| bad("expected a whole number"))?);
            }
            "tcp_user_timeout" => {
                let ms = value.trim().parse().map_err(|_| bad("expected milliseconds"))?;
                pg.tcp_user_timeout(Duration::from_millis(ms));
            }
            "client_encoding"
                if !matches!(value.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8" | "AUTO") =>
            {
                return Err(bad("ctodb speaks UTF8 only"));
            }
            "gssencmode" if !matches!(value, "disable" | "prefer") => {
                return Err(bad(
                    "GSSAPI encryption is not supported by ctodb (disable or prefer connect without it)",
                ));
            }
            "sslnegotiation" if value != "postgres" => {
                return Err(bad("ctodb negotiates TLS the PostgreSQL way only (postgres)"));
            }
            _ => {}
        }
    }
    Ok(())
}
