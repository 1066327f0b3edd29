//! The password file, as libpq reads it when no password is given: `passfile` or
//! PGPASSFILE, else `~/.pgpass`; lines `host:port:database:user:password` (`*` matches
//! anything, `\\` escapes `:` and `\\`); the first line that matches the first host wins.
//! A file that others may read is ignored with a warning, as libpq does.

use std::path::{Path, PathBuf};

use tokio_postgres::config::Host;

/// The password file: `passfile` (or PGPASSFILE, read into it), else `~/.pgpass`.
pub fn path(passfile: Option<&str>) -> Option<PathBuf> {
    match passfile.filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => Some(PathBuf::from(std::env::var_os("HOME")?).join(".pgpass")),
    }
}

/// The socket folder libpq was built with (Debian's); a connection through it matches a
/// `localhost` line, through any other folder only a line naming that folder.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The password the file holds for this host and port, if any.
pub fn lookup(path: Option<&Path>, host: &Host, port: u16, database: &str, user: &str) -> Option<String> {
    let path = path?;
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() {
        return None;
    }
    if std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o077 != 0 {
        crate::ui::warn(&format!(
            "password file {} has group or world access; it is ignored (chmod 0600 it)",
            path.display()
        ));
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let host = match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(dir) if dir == Path::new(DEFAULT_SOCKET_DIR) => "localhost".to_string(),
        Host::Unix(dir) => dir.display().to_string(),
    };
    let port = port.to_string();
    text.lines().find_map(|line| matching(line, [&host, &port, database, user]))
}

/// The password of a line whose four first fields match, or None.
fn matching(line: &str, wanted: [&str; 4]) -> Option<String> {
    if line.starts_with('#') {
        return None;
    }
    let fields = split(line);
    if fields.len() < 5 {
        return None;
    }
    let fits = fields.iter().zip(wanted).all(|(field, value)| field == "*" || field == value);
    fits.then(|| fields[4..].join(":"))
}

/// The fields of a line: split at unescaped colons, escapes removed.
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().into_iter().for_each(|f| f.extend(chars.next())),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().into_iter().for_each(|f| f.push(c)),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_line_gives_the_password_with_wildcards_and_escapes() {
        assert_eq!(
            matching("db.example.com:5432:ctodb:alice:s3cret", ["db.example.com", "5432", "ctodb", "alice"]),
            Some("s3cret".into())
        );
        assert_eq!(matching("*:*:*:alice:a\\:b\\\\c", ["h", "1", "d", "alice"]), Some("a:b\\c".into()));
        assert_eq!(matching("*:*:*:bob:x", ["h", "1", "d", "alice"]), None);
        assert_eq!(matching("# *:*:*:*:x", ["h", "1", "d", "alice"]), None);
        assert_eq!(matching("h:1:d", ["h", "1", "d", "alice"]), None);
    }

    #[test]
    fn a_file_others_may_read_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:*:pw\n").unwrap();
        let host = Host::Tcp("h".into());
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        assert_eq!(lookup(Some(&file), &host, 5432, "d", "u"), None);
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        assert_eq!(lookup(Some(&file), &host, 5432, "d", "u").as_deref(), Some("pw"));
    }

    #[test]
    fn each_host_and_port_has_its_line_and_only_the_default_socket_is_localhost() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "h1:5432:*:u:one\nh2:5433:*:u:two\nlocalhost:5432:*:u:local\n/tmp/sockets:5432:*:u:tmp\n",
        )
        .unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let find = |host: Host, port| lookup(Some(&file), &host, port, "d", "u");
        assert_eq!(find(Host::Tcp("h1".into()), 5432).as_deref(), Some("one"));
        assert_eq!(find(Host::Tcp("h2".into()), 5433).as_deref(), Some("two"));
        assert_eq!(find(Host::Tcp("h2".into()), 5432), None);
        assert_eq!(find(Host::Unix("/var/run/postgresql".into()), 5432).as_deref(), Some("local"));
        assert_eq!(find(Host::Unix("/tmp/sockets".into()), 5432).as_deref(), Some("tmp"));
        assert_eq!(find(Host::Unix("/srv/other".into()), 5432), None);
    }
}
