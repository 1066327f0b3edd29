//! Connection service files, as libpq reads them: `service=NAME` in the connection string
//! or PGSERVICE names a section (`[NAME]`) of `key=value` lines in the user's file
//! (PGSERVICEFILE, else `~/.pg_service.conf`) or, when that file has no such section, the
//! system's (`PGSYSCONFDIR/pg_service.conf`, else Debian's `/etc/postgresql-common`). The
//! section's values fill what the connection string leaves out; the `PG*` variables come
//! after them.

use std::path::PathBuf;

use super::conninfo::{self, Options};

/// Where libpq on Debian looks for the system's service file without PGSYSCONFDIR.
const SYSTEM_CONFIG_DIR: &str = "/etc/postgresql-common";

/// Fills `options` from the service it (or PGSERVICE, read through `read`) names. The
/// error is libpq's sentence for the fault.
pub fn add_service(options: &mut Options, read: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let name = match options.remove("service") {
        Some(name) => name,
        None => match read("PGSERVICE").filter(|s| !s.is_empty()) {
            Some(name) => name,
            None => return Ok(()),
        },
    };
    let user_file = read("PGSERVICEFILE")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .or_else(|| read("HOME").map(|home| PathBuf::from(home).join(".pg_service.conf")));
    let system_file = PathBuf::from(read("PGSYSCONFDIR").unwrap_or_else(|| SYSTEM_CONFIG_DIR.into()))
        .join("pg_service.conf");
    for file in user_file.into_iter().chain([system_file]) {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        if let Some(section) = section(&text, &name, &file)? {
            for (keyword, value) in section {
                if !options.contains_key(keyword) {
                    options.insert(keyword, value);
                }
            }
            return Ok(());
        }
    }
    Err(format!("definition of service \"{name}\" not found"))
}

/// The settings of section `name` of a service file (None: no such section).
fn section(text: &str, name: &str, file: &std::path::Path) -> Result<Option<Options>, String> {
    let mut found: Option<Options> = None;
    let mut inside = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            inside = header.strip_suffix(']') == Some(name);
            if inside {
                found = Some(Options::new());
            }
            continue;
        }
        let Some(options) = found.as_mut().filter(|_| inside) else { continue };
        let bad = || format!("syntax error in service file \"{}\", line {}", file.display(), number + 1);
        let (keyword, value) = line.split_once('=').ok_or_else(bad)?;
        // as libpq: no blanks around '=' (a keyword with one is not a keyword)
        if keyword == "service" {
            return Err(format!(
                "nested service specifications not supported in service file \"{}\", line {}",
                file.display(),
                number + 1
            ));
        }
        conninfo::store_from_service(options, keyword, value.to_string()).map_err(|reason| {
            format!("service file \"{}\", line {}: {reason}", file.display(), number + 1)
        })?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_fills_what_the_string_left_out_and_the_user_file_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.conf");
        let system = dir.path().join("pg_service.conf");
        std::fs::write(
            &user,
            "# mine\n[prod]\nhost=db.example.com\nport=5433\ndbname=ctodb\n\n[other]\nhost=x\n",
        )
        .unwrap();
        std::fs::write(&system, "[prod]\nhost=system\n[shared]\nhost=shared.example.com\nuser=app\n")
            .unwrap();
        let read = |name: &str| match name {
            "PGSERVICEFILE" => Some(user.display().to_string()),
            "PGSYSCONFDIR" => Some(dir.path().display().to_string()),
            _ => None,
        };
        let mut options = Options::new();
        options.insert("service", "prod".into());
        options.insert("dbname", "given".into());
        add_service(&mut options, read).unwrap();
        let pairs: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(pairs, [("dbname", "given"), ("host", "db.example.com"), ("port", "5433")]);
        let mut options = Options::new();
        let with_service =
            |name: &str| if name == "PGSERVICE" { Some("shared".to_string()) } else { read(name) };
        add_service(&mut options, with_service).unwrap();
        assert_eq!(options.get("user").map(String::as_str), Some("app"));
        let mut options = Options::new();
        options.insert("service", "nowhere".into());
        assert_eq!(
            add_service(&mut options, read),
            Err("definition of service \"nowhere\" not found".into())
        );
        std::fs::write(&user, "[prod]\nsslcrl=/x\n").unwrap();
        let mut options = Options::new();
        options.insert("service", "prod".into());
        let refused = add_service(&mut options, read).unwrap_err();
        assert!(
            refused.starts_with("service file \"") && refused.contains("user.conf\", line 2: "),
            "{refused}"
        );
        assert!(refused.ends_with("certificate revocation lists are not supported by ctodb"), "{refused}");
    }
}
