//! The `.env` file: settings for one working folder (a cron job's `cd /srv/ctodb`).
//! Only the working folder's `.env` is read, never a parent's (dotenv's walk upwards let
//! anyone who can write `/tmp` or a checkout choose the server, and PGPASSWORD went
//! there), or the file `--env-file FILE` / `CTODB_ENV_FILE` names. A file another user
//! owns, or that group or others may write, is refused: whoever can change it chooses
//! where ctodb connects. Variables already in the environment win.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// What was read: the file, and the names of the variables it set (never their values).
#[derive(Debug, Default)]
pub struct Loaded {
    pub file: Option<PathBuf>,
    pub names: Vec<String>,
}

/// The file `--env-file FILE` (or `--env-file=FILE`) names among the arguments: read here,
/// before the command line is parsed, since the file supplies values the parser reads.
pub fn named_in(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            return None;
        }
        if arg == "--env-file" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--env-file=")) {
            return Some(PathBuf::from(value));
        }
    }
    None
}

/// Loads the named file (which must exist), else `./.env` when there is one. Sets each
/// variable the environment does not already have.
pub fn load(named: Option<PathBuf>) -> Result<Loaded, String> {
    let named =
        named.or_else(|| std::env::var_os("CTODB_ENV_FILE").filter(|v| !v.is_empty()).map(PathBuf::from));
    let (file, required) = match named {
        Some(file) => (file, true),
        None => (PathBuf::from(".env"), false),
    };
    let metadata = match std::fs::metadata(&file) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Loaded::default()),
        Err(err) => return Err(format!("cannot read the settings file {}: {err}", file.display())),
    };
    check_trusted(&file, &metadata)?;
    let entries = dotenvy::from_path_iter(&file)
        .map_err(|err| format!("cannot read the settings file {}: {}", file.display(), describe(&err)))?;
    let mut loaded = Loaded { file: Some(file.clone()), names: Vec::new() };
    for entry in entries {
        let (name, value) = entry.map_err(|err| match &err {
            // the line's number, never its text (it may hold a password)
            dotenvy::Error::LineParse(line, _) => format!(
                "{}, line {}: cannot read the setting; write NAME=value, quoting a value with spaces",
                file.display(),
                line_number(&file, line),
            ),
            other => format!("{}: {}", file.display(), describe(other)),
        })?;
        if std::env::var_os(&name).is_none() {
            // single-threaded still: main calls this before it starts the runtime
            std::env::set_var(&name, value);
            loaded.names.push(name);
        }
    }
    Ok(loaded)
}

/// The number of the file's first line that holds `line` (dotenvy names the faulty line,
/// or the value in it, by its text).
fn line_number(file: &Path, line: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let wanted = line.lines().next().unwrap_or("").trim();
    text.lines()
        .position(|l| !wanted.is_empty() && l.contains(wanted))
        .map_or_else(|| "?".to_string(), |i| (i + 1).to_string())
}

/// Refuses a file that someone other than this user could have written.
fn check_trusted(file: &Path, metadata: &std::fs::Metadata) -> Result<(), String> {
    if !metadata.is_file() {
        return Err(format!("the settings file {} is not a regular file", file.display()));
    }
    let me = crate::files::effective_uid();
    if metadata.uid() != me {
        return Err(format!(
            "the settings file {} belongs to another user (uid {}, you are uid {me}); ctodb reads only \
             a file of yours, since whoever writes it chooses the server your password goes to",
            file.display(),
            metadata.uid()
        ));
    }
    if metadata.mode() & 0o022 != 0 {
        return Err(format!(
            "the settings file {} may be written by {} (mode {:o}); make it yours alone: chmod go-w {}",
            file.display(),
            if metadata.mode() & 0o002 != 0 { "anyone" } else { "its group" },
            metadata.mode() & 0o777,
            file.display()
        ));
    }
    Ok(())
}

/// dotenvy's error without the line's text (it may hold a password).
fn describe(err: &dotenvy::Error) -> String {
    match err {
        dotenvy::Error::LineParse(_, index) => format!("cannot parse the line at character {index}"),
        dotenvy::Error::Io(io) => io.to_string(),
        other => other.to_string().split(':').next().unwrap_or("malformed").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_is_found_among_the_arguments_in_either_spelling() {
        assert_eq!(named_in(&args(&["ctodb", "--env-file", "a.env", "bugs"])), Some("a.env".into()));
        assert_eq!(named_in(&args(&["ctodb", "bugs", "--env-file=b.env"])), Some("b.env".into()));
        assert_eq!(named_in(&args(&["ctodb", "bugs", "--", "--env-file=b.env"])), None);
        assert_eq!(named_in(&args(&["ctodb", "bugs"])), None);
    }
}
