//! Files ctodb keeps in folders other users may write (an export folder, a cluster
//! folder under /tmp): opened without following a symbolic link (a link planted there
//! would make ctodb truncate or overwrite the file it points to), and only when they are
//! regular files of this user's.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Opens `path` for reading and writing, creating it (mode 0600) when missing, never
/// through a symbolic link and never truncating; refuses what is not a regular file of
/// this user's.
pub fn open_own(path: &Path) -> std::io::Result<File> {
    let file = open_no_link(path)?;
    check_own(path, &file)?;
    Ok(file)
}

/// As [`open_own`], whoever owns the file (a private cluster's folder, which ctodb gives
/// to the `postgres` user when it runs as root); only a regular file.
pub fn open_no_link(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|err| explain(path, err))?;
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::other(format!("{} is not a regular file", path.display())));
    }
    Ok(file)
}

/// Creates `path` new (mode `mode`), failing when anything, a link included, is there.
pub fn create_new(path: &Path, mode: u32) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Whether `path` is a regular file (not a link to one).
pub fn is_plain_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// The user this process acts as.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail
    unsafe { libc::geteuid() }
}

fn check_own(path: &Path, file: &File) -> std::io::Result<()> {
    let metadata = file.metadata()?;
    if !metadata.file_type().is_file() || metadata.uid() != effective_uid() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file of yours; ctodb writes only its own files there (remove it, or choose another folder)",
            path.display()
        )));
    }
    Ok(())
}

fn explain(path: &Path, err: std::io::Error) -> std::io::Error {
    if err.raw_os_error() == Some(libc::ELOOP) {
        std::io::Error::other(format!(
            "{} is a symbolic link; ctodb never writes through one planted in a shared folder (remove it)",
            path.display()
        ))
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_link_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = open_own(&link).unwrap_err();
        assert!(err.to_string().ends_with(
            "is a symbolic link; ctodb never writes through one planted in a shared folder (remove it)"
        ));
        assert!(create_new(&link, 0o600).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!is_plain_file(&link));
        assert!(is_plain_file(&victim));
        let own = dir.path().join("own");
        open_own(&own).unwrap();
        let mode = std::fs::metadata(&own).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
