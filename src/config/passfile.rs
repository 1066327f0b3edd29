//! The password file, as libpq reads it when no password is given: `passfile` or
//! PGPASSFILE, else `~/.pgpass`; lines `host:port:database:user:password` (`*` matches
//! anything, `\\` escapes `:` and `\\`); the first line that matches the first host wins.
//! A file that others may read is ignored with a warning, as libpq does.

use std::path::PathBuf;

use tokio_postgres::config::Host;

/// The password the file holds for this connection, if any.
pub fn lookup(
    passfile: Option<&str>,
    pg: &tokio_postgres::Config,
    database: &str,
    user: &str,
) -> Option<String> {
    let path = match passfile.filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let metadata = std::fs::metadata(&path).ok()?;
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
    let text = std::fs::read_to_string(&path).ok()?;
    // libpq matches a socket connection against "localhost"
    let host = match pg.get_hosts().first()? {
        Host::Tcp(name) => name.clone(),
        Host::Unix(_) => "localhost".to_string(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432).to_string();
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
        let mut pg = tokio_postgres::Config::new();
        pg.host("h").port(5432);
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        assert_eq!(lookup(file.to_str(), &pg, "d", "u"), None);
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        assert_eq!(lookup(file.to_str(), &pg, "d", "u").as_deref(), Some("pw"));
    }
}
