//! Who may enter a private cluster, and which folders ctodb may take over (SPEC §10).
//!
//! - The socket folder is the cluster's own folder, 0700: only its owner reaches the
//!   socket (`local all all trust` behind it).
//! - TCP, when asked for, takes a password (scram-sha-256): a generated one, kept in
//!   `pgpass` in the folder (mode 0600, libpq's password-file format), which a URL names
//!   with `passfile=` and psql and ctodb both read.
//! - ctodb changes the modes or owner of a folder, or deletes it, only when it is its own:
//!   new, empty, or marked by the `.ctodb-cluster` file ctodb writes into each cluster
//!   folder it makes (clusters of earlier versions are recognised by their settings file
//!   and marked).

use std::fs;
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context as _, Result};

/// The file that marks a folder as a ctodb cluster.
pub const MARKER: &str = ".ctodb-cluster";
/// The password file of the cluster's TCP listener.
pub const PASSFILE: &str = "pgpass";

/// Whether the folder carries ctodb's marker: a regular file, never a link to one.
fn is_marked(dir: &Path) -> bool {
    crate::files::is_plain_file(&dir.join(MARKER))
}

/// Refuses a folder holding a symbolic link (ctodb makes none): one planted there would
/// have ctodb write, chmod or chown what it points to.
fn check_no_links(dir: &Path) -> Result<()> {
    for folder in [dir.to_path_buf(), dir.join("data")] {
        let Ok(entries) = fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                bail!(
                    "{} is a symbolic link, which ctodb never makes in a cluster folder; it touches nothing \
                     there until it is removed",
                    entry.path().display()
                );
            }
        }
    }
    Ok(())
}

/// Refuses a folder ctodb did not make and that is not empty, or that holds a link.
pub fn check_folder(dir: &Path) -> Result<()> {
    let Ok(metadata) = fs::symlink_metadata(dir) else { return Ok(()) };
    if !metadata.is_dir() {
        bail!("--data {} is not a folder", dir.display());
    }
    check_no_links(dir)?;
    if is_marked(dir) {
        return Ok(());
    }
    if made_by_an_earlier_ctodb(dir) {
        return mark(dir);
    }
    let empty = fs::read_dir(dir).map(|mut entries| entries.next().is_none()).unwrap_or(false);
    if !empty {
        bail!(
            "--data {} holds files and is not a ctodb cluster (it has no {MARKER}); ctodb changes or deletes only \
             folders it made: choose a new or empty folder",
            dir.display()
        );
    }
    Ok(())
}

/// A cluster an earlier ctodb made: its settings file starts with ctodb's comment.
fn made_by_an_earlier_ctodb(dir: &Path) -> bool {
    fs::read_to_string(dir.join("data/postgresql.auto.conf"))
        .is_ok_and(|text| text.starts_with("# ctodb local: settings for a private analytics cluster"))
}

/// Marks the folder as a ctodb cluster (a new file: never through a link).
pub fn mark(dir: &Path) -> Result<()> {
    let path = dir.join(MARKER);
    if is_marked(dir) {
        return Ok(());
    }
    let mut file =
        crate::files::create_new(&path, 0o644).with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, b"a private PostgreSQL cluster made by `ctodb local`\n")
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Refuses to delete a folder that is not a ctodb cluster, or that holds a link.
pub fn check_deletable(dir: &Path) -> Result<()> {
    if fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
        bail!("{} is not a folder; `ctodb local destroy` deletes only folders ctodb made", dir.display());
    }
    if dir.exists() {
        check_no_links(dir)?;
    }
    if dir.exists() && !is_marked(dir) && !made_by_an_earlier_ctodb(dir) {
        bail!(
            "{} is not a ctodb cluster (it has no {MARKER}); `ctodb local destroy` deletes only folders ctodb made",
            dir.display()
        );
    }
    Ok(())
}

/// A new password: 32 hexadecimal characters from the kernel's random source.
pub fn generate_password() -> Result<String> {
    let mut bytes = [0u8; 16];
    fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for the cluster's password")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the password file (0600, created so: never readable by others even for a
/// moment): the password for `user` at localhost, 127.0.0.1 and ::1 on `port`.
pub fn write_passfile(dir: &Path, port: u16, user: &str, password: &str) -> Result<()> {
    let path = dir.join(PASSFILE);
    let escape = |text: &str| text.replace('\\', "\\\\").replace(':', "\\:");
    let text: String = ["localhost", "127.0.0.1", "\\:\\:1"]
        .iter()
        .map(|host| format!("{host}:{port}:*:{}:{password}\n", escape(user)))
        .collect();
    let _ = fs::remove_file(&path);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// The password the file holds, if there is one.
pub fn read_password(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join(PASSFILE)).ok()?;
    text.lines().next()?.rsplit(':').next().map(str::to_string).filter(|p| !p.is_empty())
}

/// pg_hba.conf: the owner over the socket (the 0700 folder keeps everyone else out);
/// TCP on localhost with the password only.
pub fn hba(tcp: bool) -> String {
    let mut text = String::from(
        "# written by ctodb local: the folder's owner over its socket (the folder is 0700);\n\
         # TCP, when on, on localhost with the generated password (pgpass in the folder)\n\
         local all all trust\n",
    );
    if tcp {
        text.push_str("host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n");
    }
    text
}

/// Whether `pid` is the postmaster of `data`: a live process (not a zombie) whose working
/// folder is that data folder, as a postmaster's is. None when /proc cannot tell (another
/// user's process, no /proc).
pub fn is_postmaster_of(pid: u32, data: &Path) -> Option<bool> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    let Some(stat) = stat else {
        // no such process, or no /proc at all
        return if Path::new("/proc/self/stat").exists() { Some(false) } else { None };
    };
    let state = stat.rfind(')').and_then(|close| stat[close + 1..].trim_start().chars().next());
    if matches!(state, Some('Z' | 'X') | None) {
        return Some(false);
    }
    let cwd = fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    let data = fs::canonicalize(data).ok()?;
    Some(cwd == data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_empty_or_marked_folders_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_folder(&dir.path().join("new")).is_ok());
        assert!(check_folder(dir.path()).is_ok(), "empty");
        fs::write(dir.path().join("thesis.tex"), "years of work").unwrap();
        let err = check_folder(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("holds files and is not a ctodb cluster (it has no .ctodb-cluster); ctodb changes or deletes only folders it made: choose a new or empty folder"), "{err}");
        assert!(check_deletable(dir.path()).is_err());
        mark(dir.path()).unwrap();
        assert!(check_folder(dir.path()).is_ok() && check_deletable(dir.path()).is_ok());
    }

    #[test]
    fn the_password_file_is_the_owners_alone_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        write_passfile(dir.path(), 5599, "root", "0123abcd").unwrap();
        let mode = fs::metadata(dir.path().join(PASSFILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_password(dir.path()).as_deref(), Some("0123abcd"));
        let text = fs::read_to_string(dir.path().join(PASSFILE)).unwrap();
        assert!(text.starts_with("localhost:5599:*:root:0123abcd\n"), "{text}");
    }

    #[test]
    fn a_process_is_the_postmaster_of_its_working_folder_only() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(is_postmaster_of(std::process::id(), &here), Some(true));
        assert_eq!(is_postmaster_of(std::process::id(), Path::new("/")), Some(here == Path::new("/")));
        assert_eq!(is_postmaster_of(u32::MAX - 1, &here), Some(false));
    }
}
