//! Connection strings read as libpq reads them (SPEC §2): a URI
//! (`postgresql://user:password@host1:port1,host2/dbname?key=value&…`) or keyword/value
//! pairs (`host=/tmp port=5433 dbname=ctodb`). The URI's query parameters replace what its
//! authority said; every value may be percent-encoded; a keyword neither libpq nor ctodb
//! knows is an error, as it is to libpq. Options the string leaves out come from the
//! `PG*` variables, as libpq takes them. This module only reads text into keyword →
//! value pairs; `config` turns them into a connection target.

use std::collections::BTreeMap;

/// A connection option: its keyword and the variable libpq takes its default from.
struct Keyword {
    name: &'static str,
    variable: Option<&'static str>,
}

const fn kw(name: &'static str, variable: Option<&'static str>) -> Keyword {
    Keyword { name, variable }
}

/// libpq's keywords that ctodb reads (`config::target_from` says what each does). The
/// other keywords libpq knows are refused with the reason (`UNSUPPORTED`), never ignored.
const KEYWORDS: &[Keyword] = &[
    kw("host", Some("PGHOST")),
    kw("hostaddr", Some("PGHOSTADDR")),
    kw("port", Some("PGPORT")),
    kw("dbname", Some("PGDATABASE")),
    kw("user", Some("PGUSER")),
    kw("password", Some("PGPASSWORD")),
    kw("passfile", Some("PGPASSFILE")),
    kw("sslmode", Some("PGSSLMODE")),
    kw("sslrootcert", Some("PGSSLROOTCERT")),
    kw("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    kw("application_name", Some("PGAPPNAME")),
    kw("fallback_application_name", None),
    kw("options", Some("PGOPTIONS")),
    kw("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    kw("load_balance_hosts", Some("PGLOADBALANCEHOSTS")),
    kw("channel_binding", Some("PGCHANNELBINDING")),
    kw("keepalives", None),
    kw("keepalives_idle", None),
    kw("keepalives_interval", None),
    kw("keepalives_count", None),
    kw("tcp_user_timeout", None),
    kw("client_encoding", Some("PGCLIENTENCODING")),
    kw("gssencmode", Some("PGGSSENCMODE")),
    kw("sslnegotiation", Some("PGSSLNEGOTIATION")),
    kw("sslcompression", Some("PGSSLCOMPRESSION")),
    kw("sslsni", Some("PGSSLSNI")),
    // a section of a service file (config/service.rs reads it, and PGSERVICE)
    kw("service", None),
    // Prisma's and Supabase's own parameters, which their URLs carry: ctodb reads
    // connect_timeout and pgbouncer (a transaction pooler); the others concern only Prisma
    kw("pgbouncer", None),
    kw("connection_limit", None),
    kw("pool_timeout", None),
    kw("socket_timeout", None),
    kw("schema", None),
];

/// libpq keywords ctodb does not implement: a string that uses one is refused, since
/// connecting without what it asks for (a client certificate, a revocation list, a
/// service file…) would not be the connection the user described.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("sslcert", "client certificates are not supported by ctodb"),
    ("sslkey", "client certificates are not supported by ctodb"),
    ("sslpassword", "client certificates are not supported by ctodb"),
    ("sslcertmode", "client certificates are not supported by ctodb"),
    ("sslcrl", "certificate revocation lists are not supported by ctodb"),
    ("sslcrldir", "certificate revocation lists are not supported by ctodb"),
    ("ssl_min_protocol_version", "ctodb always negotiates TLS 1.2 or 1.3"),
    ("ssl_max_protocol_version", "ctodb always negotiates TLS 1.2 or 1.3"),
    ("requirepeer", "ctodb does not check the peer of a socket connection"),
    ("require_auth", "ctodb does not restrict the authentication methods"),
    ("krbsrvname", "Kerberos/GSSAPI authentication is not supported by ctodb"),
    ("gsslib", "Kerberos/GSSAPI authentication is not supported by ctodb"),
    ("gssdelegation", "Kerberos/GSSAPI authentication is not supported by ctodb"),
    ("replication", "ctodb does not open replication connections"),
    ("scram_client_key", "ctodb authenticates with the password"),
    ("scram_server_key", "ctodb authenticates with the password"),
];

/// Variables libpq reads that ctodb does not honour, and why: one that is set is refused,
/// never ignored (a revocation list or a client certificate the user counts on).
const UNSUPPORTED_VARIABLES: &[(&str, &str)] = &[
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLCERTMODE", "sslcertmode"),
    ("PGSSLCRL", "sslcrl"),
    ("PGSSLCRLDIR", "sslcrldir"),
    ("PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"),
    ("PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"),
    ("PGREQUIREPEER", "requirepeer"),
    ("PGREQUIREAUTH", "require_auth"),
    ("PGKRBSRVNAME", "krbsrvname"),
    ("PGGSSLIB", "gsslib"),
    ("PGGSSDELEGATION", "gssdelegation"),
];

/// Session settings libpq sends from these variables; ctodb computes dates and times in
/// UTC itself and sets its own session.
const SESSION_VARIABLES: &[&str] = &["PGDATESTYLE", "PGTZ", "PGGEQO", "PGREQUIRESSL"];

/// The first set variable that libpq reads and ctodb does not honour, as a sentence.
pub fn refuse_unsupported_variables(read: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    for (variable, keyword) in UNSUPPORTED_VARIABLES {
        if read(variable).is_some_and(|v| !v.is_empty()) {
            let reason = UNSUPPORTED.iter().find(|(k, _)| k == keyword).map_or("not supported", |(_, r)| r);
            return Err(format!("{variable} is set, but {reason}; unset it to run ctodb"));
        }
    }
    for variable in SESSION_VARIABLES {
        if read(variable).is_some_and(|v| !v.is_empty()) {
            return Err(format!(
                "{variable} is set, but ctodb sets its own session (dates and times in UTC, TLS by sslmode); \
                 unset it to run ctodb"
            ));
        }
    }
    Ok(())
}

/// Stores one setting of a service file's section, refusing what a connection string
/// would refuse.
pub fn store_from_service(options: &mut Options, keyword: &str, value: String) -> Result<(), String> {
    store(options, keyword, value).map_err(|refused| refused.describe("service file keyword", keyword))
}

/// The options a connection string gave, by keyword (decoded).
pub type Options = BTreeMap<&'static str, String>;

/// Reads a connection string: a URI when it starts with `postgresql://` or `postgres://`,
/// else keyword/value pairs. The error is libpq's sentence for the fault.
pub fn parse(text: &str) -> Result<Options, String> {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    for prefix in ["postgresql://", "postgres://"] {
        if lower.starts_with(prefix) {
            return parse_uri(text, prefix.len());
        }
    }
    if !text.contains('=') {
        return Err(
            "it must start with postgres:// or postgresql://, or be keyword=value pairs (host=… dbname=…)"
                .into(),
        );
    }
    parse_pairs(text)
}

/// Why a keyword was not stored.
enum Refused {
    /// neither libpq nor ctodb knows it
    Unknown,
    /// libpq knows it, ctodb does not do what it asks (the sentence says why)
    Unsupported(String),
}

impl Refused {
    /// libpq's sentence for an unknown keyword of `form`, which names the keyword only
    /// when it is a word (anything else may be a mangled URL and its password).
    fn describe(self, form: &str, keyword: &str) -> String {
        match self {
            Refused::Unsupported(sentence) => sentence,
            Refused::Unknown if keyword.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                format!("invalid {form} \"{keyword}\"")
            }
            Refused::Unknown => format!("a {form} is not a keyword (keyword=value)"),
        }
    }
}

/// Stores one option, or refuses a keyword ctodb does not take.
fn store(options: &mut Options, keyword: &str, value: String) -> Result<(), Refused> {
    // libpq's older spellings
    let (keyword, value) = match (keyword, value.as_str()) {
        ("requiressl", v) => ("sslmode", if v.starts_with('1') { "require" } else { "prefer" }.to_string()),
        ("ssl", "true") => ("sslmode", "require".to_string()),
        _ => (keyword, value),
    };
    if let Some(known) = KEYWORDS.iter().find(|k| k.name == keyword) {
        options.insert(known.name, value);
        return Ok(());
    }
    match UNSUPPORTED.iter().find(|(name, _)| *name == keyword) {
        Some((name, reason)) => {
            Err(Refused::Unsupported(format!("the connection option \"{name}\" is not supported: {reason}")))
        }
        None => Err(Refused::Unknown),
    }
}

/// Stores an option of the URI's authority (user, password, host, port, dbname).
fn store_known(options: &mut Options, keyword: &'static str, value: String) {
    options.insert(keyword, value);
}

/// `postgresql://[user[:password]@][host][:port][,…][/dbname][?key=value&…]`, in the
/// order libpq reads it: the authority first, then the query, whose values replace it.
fn parse_uri(uri: &str, prefix: usize) -> Result<Options, String> {
    let mut options = Options::new();
    let rest = &uri[prefix..];
    // user information: up to an '@' met before any '/'
    let credentials_end = rest.find(['@', '/']).filter(|&i| rest.as_bytes()[i] == b'@');
    let netloc = match credentials_end {
        Some(at) => {
            let credentials = &rest[..at];
            let (user, password) = match credentials.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (credentials, None),
            };
            if !user.is_empty() {
                store_known(&mut options, "user", decode(user)?);
            }
            if let Some(password) = password.filter(|p| !p.is_empty()) {
                store_known(&mut options, "password", decode_password(password)?);
            }
            &rest[at + 1..]
        }
        None => rest,
    };
    let (hosts, ports, after) = parse_netlocs(uri, netloc)?;
    if !hosts.is_empty() {
        store_known(&mut options, "host", decode(&hosts)?);
    }
    if !ports.is_empty() {
        store_known(&mut options, "port", decode(&ports)?);
    }
    let query = match after.strip_prefix('/') {
        Some(path) => {
            let (dbname, query) = match path.split_once('?') {
                Some((dbname, query)) => (dbname, Some(query)),
                None => (path, None),
            };
            // an empty dbname is left unset, so PGDATABASE still applies
            if !dbname.is_empty() {
                store_known(&mut options, "dbname", decode(dbname)?);
            }
            query
        }
        None => after.strip_prefix('?'),
    };
    for parameter in query.into_iter().flat_map(|q| q.split('&')) {
        let Some((keyword, value)) = parameter.split_once('=') else {
            return Err(format!("missing key/value separator \"=\" in URI query parameter: \"{parameter}\""));
        };
        if value.contains('=') {
            return Err(format!("extra key/value separator \"=\" in URI query parameter: \"{keyword}\""));
        }
        let keyword = decode(keyword)?;
        let value = if keyword == "password" { decode_password(value)? } else { decode(value)? };
        store(&mut options, &keyword, value)
            .map_err(|refused| refused.describe("URI query parameter:", &keyword))?;
    }
    Ok(options)
}

/// The comma-separated `host[:port]` list of a URI (IPv6 addresses in brackets): the
/// hosts and ports as libpq keeps them (comma-joined, an empty entry where one was left
/// out), and the rest of the URI.
fn parse_netlocs<'a>(uri: &str, mut rest: &'a str) -> Result<(String, String, &'a str), String> {
    let (mut hosts, mut ports) = (String::new(), String::new());
    loop {
        let host;
        if let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return Err(format!(
                    "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"{uri}\""
                ));
            };
            if close == 0 {
                return Err(format!("IPv6 host address may not be empty in URI: \"{uri}\""));
            }
            host = &inner[..close];
            rest = &inner[close + 1..];
            if let Some(c) = rest.chars().next().filter(|c| !matches!(c, ':' | '/' | '?' | ',')) {
                return Err(format!(
                    "unexpected character \"{c}\" in URI (expected \":\" or \"/\"): \"{uri}\""
                ));
            }
        } else {
            let end = rest.find([':', '/', '?', ',']).unwrap_or(rest.len());
            host = &rest[..end];
            rest = &rest[end..];
        }
        hosts.push_str(host);
        if let Some(after_colon) = rest.strip_prefix(':') {
            let end = after_colon.find(['/', '?', ',']).unwrap_or(after_colon.len());
            ports.push_str(&after_colon[..end]);
            rest = &after_colon[end..];
        }
        match rest.strip_prefix(',') {
            Some(next) => {
                rest = next;
                hosts.push(',');
                ports.push(',');
            }
            None => return Ok((hosts, ports, rest)),
        }
    }
}

/// Percent-decoding as libpq does it: spaces around the value are dropped, a space
/// inside it is an error, `%00` is forbidden.
/// A password's percent-decoding, whose errors never quote the password.
fn decode_password(text: &str) -> Result<String, String> {
    decode(text).map_err(|_| {
        "the password is not valid percent-encoding (write a % in it as %25, a space as %20)".to_string()
    })
}

fn decode(text: &str) -> Result<String, String> {
    let trimmed = text.trim_matches(' ');
    if trimmed.contains(' ') {
        return Err(format!(
            "unexpected spaces found in \"{text}\", use percent-encoded spaces (%20) instead"
        ));
    }
    let bytes = trimmed.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).and_then(|pair| std::str::from_utf8(pair).ok());
        let Some(byte) = hex.and_then(|pair| u8::from_str_radix(pair, 16).ok()) else {
            return Err(format!("invalid percent-encoded token: \"{text}\""));
        };
        if byte == 0 {
            return Err(format!("forbidden value %00 in percent-encoded value: \"{text}\""));
        }
        out.push(byte);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| format!("\"{text}\" does not decode to UTF-8 text"))
}

/// `keyword = value` pairs separated by whitespace; a value may be single-quoted, with
/// `\'` and `\\` inside, as libpq writes them.
fn parse_pairs(text: &str) -> Result<Options, String> {
    let mut options = Options::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(options);
        }
        let mut keyword = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            keyword.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            let named = keyword.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return Err(if named {
                format!("missing \"=\" after \"{keyword}\" in connection info string")
            } else {
                "it must start with postgres:// or postgresql://, or be keyword=value pairs (host=… dbname=…)"
                    .into()
            });
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted string in connection info string".into()),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        store(&mut options, &keyword, value)
            .map_err(|refused| refused.describe("connection option", &keyword))?;
    }
}

/// Fills what the string left unset from the `PG*` variables, as libpq's defaults do (a
/// variable set to an empty value counts as set). `read` looks a variable up. Returns the
/// keywords a variable filled.
pub fn add_environment(
    options: &mut Options,
    read: impl Fn(&str) -> Option<String>,
) -> std::collections::BTreeSet<&'static str> {
    let mut filled = std::collections::BTreeSet::new();
    for keyword in KEYWORDS {
        if options.contains_key(keyword.name) {
            continue;
        }
        if let Some(value) = keyword.variable.and_then(&read) {
            options.insert(keyword.name, value);
            filled.insert(keyword.name);
        }
    }
    filled
}

/// The variable that supplies a keyword's default (`port` → `PGPORT`).
pub fn variable_of(keyword: &str) -> Option<&'static str> {
    KEYWORDS.iter().find(|k| k.name == keyword).and_then(|k| k.variable)
}

/// Whether any variable that configures a connection is set (non-empty).
pub fn environment_configures(read: impl Fn(&str) -> Option<String>) -> bool {
    KEYWORDS
        .iter()
        .filter_map(|k| k.variable)
        .filter(|name| {
            matches!(*name, "PGHOST" | "PGHOSTADDR" | "PGPORT" | "PGUSER" | "PGPASSWORD" | "PGDATABASE")
        })
        .any(|name| read(name).is_some_and(|v| !v.is_empty()))
}

/// A comma-separated list as libpq splits it (`host`, `hostaddr`, `port`): an empty entry
/// stays, meaning the default.
pub fn list(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&'static str, &str)]) -> Options {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn the_query_replaces_the_authority() {
        assert_eq!(
            parse("postgresql://postgres@localhost/db?host=/some/dir&port=55481").unwrap(),
            opts(&[("user", "postgres"), ("host", "/some/dir"), ("port", "55481"), ("dbname", "db")])
        );
        assert_eq!(
            parse("postgresql://localhost/db?user=postgres&port=55481&host=127.0.0.1").unwrap(),
            opts(&[("user", "postgres"), ("host", "127.0.0.1"), ("port", "55481"), ("dbname", "db")])
        );
    }

    #[test]
    fn several_hosts_keep_an_empty_port_where_one_was_left_out() {
        assert_eq!(
            parse("postgres://a:5433,[::1],b:7/x").unwrap(),
            opts(&[("host", "a,::1,b"), ("port", "5433,,7"), ("dbname", "x")])
        );
        // nothing given: neither host nor port is set, so PGHOST and PGPORT still apply
        assert_eq!(parse("postgresql:///x").unwrap(), opts(&[("dbname", "x")]));
        assert_eq!(parse("postgresql://").unwrap(), opts(&[]));
    }

    #[test]
    fn everything_is_percent_decoded_and_credentials_may_hold_anything() {
        assert_eq!(
            parse("postgresql://us%40er:p%3Aw@%2Fvar%2Frun%2Fpostgresql:5433/d%20b?application_name=a%26b")
                .unwrap(),
            opts(&[
                ("user", "us@er"),
                ("password", "p:w"),
                ("host", "/var/run/postgresql"),
                ("port", "5433"),
                ("dbname", "d b"),
                ("application_name", "a&b"),
            ])
        );
    }

    #[test]
    fn keyword_value_pairs_with_quotes() {
        assert_eq!(
            parse("host=/tmp port = 5433 dbname='my db' password='it\\'s'").unwrap(),
            opts(&[("host", "/tmp"), ("port", "5433"), ("dbname", "my db"), ("password", "it's")])
        );
    }

    #[test]
    fn unknown_and_unsupported_keywords_are_refused() {
        assert_eq!(
            parse("postgres://h/d?colour=red").unwrap_err(),
            "invalid URI query parameter: \"colour\""
        );
        assert_eq!(parse("host=h colour=red").unwrap_err(), "invalid connection option \"colour\"");
        assert_eq!(
            parse("postgres://h/d?sslcert=/c.pem").unwrap_err(),
            "the connection option \"sslcert\" is not supported: client certificates are not supported by ctodb"
        );
        assert_eq!(
            parse("postgres://h/d?ssl=true").unwrap(),
            opts(&[("host", "h"), ("dbname", "d"), ("sslmode", "require")])
        );
        assert_eq!(
            parse("postgres://h/d?port").unwrap_err(),
            "missing key/value separator \"=\" in URI query parameter: \"port\""
        );
        assert_eq!(
            parse("postgres://h/d?a=b=c").unwrap_err(),
            "extra key/value separator \"=\" in URI query parameter: \"a\""
        );
        assert_eq!(parse("postgres://h/d%zz").unwrap_err(), "invalid percent-encoded token: \"d%zz\"");
        assert_eq!(parse("postgres://[::1/d").unwrap_err(), "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgres://[::1/d\"");
    }

    #[test]
    fn the_environment_fills_only_what_the_string_left_unset() {
        let mut options = parse("postgresql://127.0.0.1/db").unwrap();
        let env = |name: &str| match name {
            "PGPORT" => Some("5599".to_string()),
            "PGHOST" => Some("/elsewhere".to_string()),
            "PGUSER" => Some("".to_string()),
            _ => None,
        };
        add_environment(&mut options, env);
        assert_eq!(options, opts(&[("host", "127.0.0.1"), ("port", "5599"), ("dbname", "db"), ("user", "")]));
        assert!(environment_configures(env));
        assert!(!environment_configures(|_| None));
    }
}
