//! Where a snapshot's folder goes (SPEC §8): one writer per snapshot ID (a lock file in
//! DIR), the finished folder swapped into place in one step, and what an export that died
//! left behind cleaned by the next one. At every moment `DIR/snapshot=ID` is absent, the
//! old complete snapshot or the new complete one, never nothing in between and never a
//! mix.
//!
//! On Linux the swap is `renameat2` with `RENAME_EXCHANGE` (the old snapshot moves to the
//! temporary name, then is removed) or `RENAME_NOREPLACE` for a new ID. Elsewhere the old
//! folder is renamed aside first and the new one renamed into place: a reader that looks in
//! between finds no snapshot, and a crash in between leaves the old one under its
//! temporary name, where the next export of the ID finds and removes it.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::ui;

/// The lock of one snapshot ID in an export folder (`DIR/.snapshot=ID.lock`), held while
/// the export runs. The kernel lets go of it when the process ends, however it ends; an
/// export that ends removes the file while it still holds the lock, and a taker checks
/// that the file it locked is still the one at the path, so that a file removed under it
/// is never mistaken for the lock.
pub struct IdLock {
    path: PathBuf,
    _file: File,
}

fn lock_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!(".snapshot={id}.lock"))
}

/// The temporary names of an ID's unfinished, replaced or pruned folders:
/// `.snapshot=ID.tmp-…`, `.snapshot=ID.pruned-…` (and `.snapshot=ID.old-…` of earlier
/// versions).
fn is_leftover_of(name: &str, id: &str) -> bool {
    name.strip_prefix(&format!(".snapshot={id}.")).is_some_and(|rest| {
        rest.starts_with("tmp-") || rest.starts_with("old-") || rest.starts_with("pruned-")
    })
}

/// Whether an open file is the one a path names now.
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

impl IdLock {
    /// Takes the ID's lock, or says who holds it.
    pub fn acquire(dir: &Path, id: &str) -> Result<IdLock> {
        let path = lock_path(dir, id);
        loop {
            // never through a link planted in the folder, never another user's file
            let mut file = crate::files::open_own(&path)
                .with_context(|| format!("cannot take the lock file {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let by = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
                    bail!(
                        "another export is writing snapshot={id} in {}{by}; wait for it to finish, or export under another --id",
                        dir.display()
                    );
                }
                Err(std::fs::TryLockError::Error(err)) => {
                    return Err(err).with_context(|| format!("cannot lock {}", path.display()));
                }
            }
            // the holder before us removed the file as we opened it: take the new one
            if !same_file(&file, &path) {
                continue;
            }
            // who holds it, for the message above (the lock is the fact, this only a note)
            let _ = file.set_len(0).and_then(|_| writeln!(file, "{}", std::process::id()));
            return Ok(IdLock { path, _file: file });
        }
    }
}

impl Drop for IdLock {
    fn drop(&mut self) {
        // removed while still held (the file closes after this), see the type's comment
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The folder a snapshot of `id` is written into before it is swapped into place
/// (`.snapshot=ID.tmp-PID`, a name `remove_leftovers` knows), removed when dropped: a
/// write that failed, or the snapshot a swap replaced (which then bears this name).
pub struct TempFolder {
    pub path: PathBuf,
}

impl TempFolder {
    /// Makes the folder afresh (a leftover of this process's id goes first).
    pub fn new(dir: &Path, id: &str) -> Result<TempFolder> {
        let temp = TempFolder { path: dir.join(format!(".snapshot={id}.tmp-{}", std::process::id())) };
        let _ = std::fs::remove_dir_all(&temp.path);
        std::fs::create_dir_all(&temp.path)
            .with_context(|| format!("cannot create {}", temp.path.display()))?;
        Ok(temp)
    }

    /// Syncs the folder, so that its entries outlast a crash before the swap.
    pub fn sync(&self) -> Result<()> {
        File::open(&self.path)
            .and_then(|folder| folder.sync_all())
            .with_context(|| format!("cannot sync {}", self.path.display()))
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes what exports that died left in `dir`: the unfinished or replaced folders of
/// `id` (whose lock the caller holds), and those of any other ID whose lock is free.
pub fn remove_leftovers(dir: &Path, id: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(other) = name.strip_prefix(".snapshot=").and_then(|rest| {
            [".tmp-", ".old-", ".pruned-"]
                .iter()
                .find_map(|mark| rest.rfind(mark))
                .map(|end| rest[..end].to_string())
        }) else {
            continue;
        };
        if !is_leftover_of(&name, &other) {
            continue;
        }
        // an export of that ID that is still running holds its lock
        let _held = if other == id {
            None
        } else {
            match IdLock::acquire(dir, &other) {
                Ok(lock) => Some(lock),
                Err(_) => continue,
            }
        };
        ui::verbose(&format!("removing {}, left by an export that did not finish", entry.path().display()));
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

/// Moves the finished folder `temp` to `target`. When `target` exists it is replaced only
/// with `force` (checked here, at the swap, not when the export began) and then removed.
pub fn swap_into_place(temp: &Path, target: &Path, force: bool) -> Result<()> {
    let refuse = || {
        anyhow::anyhow!(
            "{} exists already; pass --force to replace it, or --id to export under another name",
            target.display()
        )
    };
    if target.exists() && !force {
        return Err(refuse());
    }
    match rename_no_replace(temp, target) {
        Ok(()) => return sync_parent(target),
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(err).with_context(|| format!("cannot move the snapshot into {}", target.display()));
        }
        Err(_) if !force => return Err(refuse()),
        Err(_) => {}
    }
    exchange(temp, target)
        .with_context(|| format!("cannot swap the new snapshot into {}", target.display()))?;
    crate::fault::point("export:swapped");
    sync_parent(target)?;
    // `temp` now names the replaced snapshot; what cannot be removed now, the next
    // export of the ID removes
    if let Err(err) = std::fs::remove_dir_all(temp) {
        ui::warn(&format!("cannot remove the replaced snapshot at {}: {err}", temp.display()));
    }
    Ok(())
}

fn sync_parent(path: &Path) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    File::open(parent)
        .and_then(|folder| folder.sync_all())
        .with_context(|| format!("cannot sync {}", parent.display()))
}

#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |path: &Path| {
        std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD makes them relative to the
    // working directory as rename(2) would.
    let result = unsafe {
        libc::syscall(libc::SYS_renameat2, libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), flags)
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(target_os = "linux")]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    renameat2(from, to, libc::RENAME_NOREPLACE)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    renameat2(a, b, libc::RENAME_EXCHANGE)
}

#[cfg(not(target_os = "linux"))]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.exists() {
        return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
    }
    std::fs::rename(from, to)
}

/// Without an atomic exchange: the old folder aside (under a leftover name of the ID),
/// the new one in, the old one back under `a`'s name for the caller to remove.
#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("old-swap");
    std::fs::rename(b, &aside)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_of_an_id_is_refused_until_the_first_is_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = IdLock::acquire(dir.path(), "2026-W48").unwrap();
        let err = IdLock::acquire(dir.path(), "2026-W48").err().unwrap().to_string();
        assert_eq!(
            err,
            format!(
                "another export is writing snapshot=2026-W48 in {} (process {}); wait for it to finish, or export under another --id",
                dir.path().display(),
                std::process::id()
            )
        );
        assert!(IdLock::acquire(dir.path(), "2026-W49").is_ok());
        drop(first);
        assert!(IdLock::acquire(dir.path(), "2026-W48").is_ok());
    }

    #[test]
    fn the_swap_exchanges_whole_folders_and_refuses_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, target) = (dir.path().join(".snapshot=X.tmp-1"), dir.path().join("snapshot=X"));
        std::fs::create_dir(&temp).unwrap();
        std::fs::write(temp.join("f"), "new").unwrap();
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("f"), "old").unwrap();
        let err = swap_into_place(&temp, &target, false).unwrap_err().to_string();
        assert!(
            err.ends_with("exists already; pass --force to replace it, or --id to export under another name")
        );
        assert_eq!(std::fs::read_to_string(target.join("f")).unwrap(), "old");
        swap_into_place(&temp, &target, true).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("f")).unwrap(), "new");
        assert!(!temp.exists(), "the replaced folder is removed");
    }

    #[test]
    fn leftovers_of_free_ids_go_and_those_of_a_running_export_stay() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".snapshot=A.tmp-11", ".snapshot=B.tmp-12", ".snapshot=C.old-13", "snapshot=A"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let running = IdLock::acquire(dir.path(), "B").unwrap();
        let _mine = IdLock::acquire(dir.path(), "A").unwrap();
        remove_leftovers(dir.path(), "A");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        left.sort();
        assert_eq!(left, vec![".snapshot=B.tmp-12", "snapshot=A"]);
        drop(running);
    }
}
