//! A snapshot's files opened together, so that a reader never mixes two snapshots: the
//! folder is opened once and every file the manifest lists is opened relative to that
//! folder handle (`openat`) before anything is read. An export that swaps a new snapshot
//! in meanwhile moves the old folder to another name, and the handles keep reading the old
//! one whole; when it has already removed a file of the old folder, opening fails with
//! NotFound and the whole open starts again on the new one.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::export::manifest::{Manifest, MANIFEST};

/// How many times an open that met a swap starts again.
const ATTEMPTS: usize = 3;

/// The manifest and an open handle to every file it lists.
pub struct SnapshotFiles {
    pub folder: PathBuf,
    pub manifest: Manifest,
    files: BTreeMap<String, File>,
}

/// A file of the folder, opened relative to the folder's handle.
#[cfg(target_os = "linux")]
fn open_at(folder: &File, name: &str) -> std::io::Result<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let c_name = std::ffi::CString::new(name)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a file name holds a NUL byte"))?;
    // SAFETY: the folder's descriptor is open for the call; the name is NUL-terminated;
    // the returned descriptor is owned by the File made from it and by nothing else
    let fd = unsafe { libc::openat(folder.as_raw_fd(), c_name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: see above
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Elsewhere the files are opened by the folder's path as it is now: a swap in between
/// is then noticed only by a missing file.
#[cfg(not(target_os = "linux"))]
fn open_at(_folder: &File, _name: &str) -> std::io::Result<File> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "openat"))
}

/// A name the manifest may list: a plain file name of the folder.
fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

impl SnapshotFiles {
    pub fn open(folder: &Path) -> Result<SnapshotFiles> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::open_once(folder) {
                Err(err) if attempt < ATTEMPTS && was_swapped(&err) => continue,
                other => return other,
            }
        }
    }

    fn open_once(folder: &Path) -> Result<SnapshotFiles> {
        let handle =
            File::open(folder).with_context(|| format!("cannot open the snapshot {}", folder.display()))?;
        let open = |name: &str| -> Result<File> {
            let opened = if cfg!(target_os = "linux") {
                open_at(&handle, name)
            } else {
                File::open(folder.join(name))
            };
            opened.with_context(|| format!("cannot read {}", folder.join(name).display()))
        };
        let mut text = String::new();
        open(MANIFEST)?
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read {}", folder.join(MANIFEST).display()))?;
        let manifest = Manifest::parse(&text, &folder.join(MANIFEST))?;
        let mut files = BTreeMap::new();
        for entry in manifest.files() {
            let name = entry["file"].as_str().unwrap_or_default();
            if !plain(name) {
                bail!(
                    "{} lists {name:?}, which is not a file of its folder",
                    folder.join(MANIFEST).display()
                );
            }
            files.insert(name.to_string(), open(name)?);
        }
        Ok(SnapshotFiles { folder: folder.to_path_buf(), manifest, files })
    }

    /// Whether the snapshot has the file.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// A handle to one of the snapshot's files (its own offset: read it from the start).
    pub fn file(&self, name: &str) -> Result<File> {
        let Some(file) = self.files.get(name) else {
            bail!("{} has no {name} (its manifest does not list it)", self.folder.display());
        };
        let mut copy =
            file.try_clone().with_context(|| format!("cannot read {}", self.path(name).display()))?;
        std::io::Seek::rewind(&mut copy)
            .with_context(|| format!("cannot read {}", self.path(name).display()))?;
        Ok(copy)
    }

    /// The path of a file, for messages.
    pub fn path(&self, name: &str) -> PathBuf {
        self.folder.join(name)
    }

    /// Re-hashes every file against the manifest: the problems, one line each.
    pub fn verify(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for entry in self.manifest.files() {
            let name = entry["file"].as_str().unwrap_or_default();
            let path = self.path(name);
            match self.file(name).and_then(sha256_of) {
                Ok((_, bytes)) if Some(bytes) != entry["bytes"].as_u64() => problems.push(format!(
                    "{}: {bytes} bytes, the manifest says {}",
                    path.display(),
                    entry["bytes"]
                )),
                Ok((digest, _)) if Some(digest.as_str()) != entry["sha256"].as_str() => {
                    problems.push(format!("{}: sha-256 {digest} does not match the manifest", path.display()))
                }
                Ok(_) => {}
                Err(err) => problems.push(format!("{}: {err:#}", path.display())),
            }
        }
        problems
    }
}

/// Whether an open failed because the folder was swapped or removed under it.
fn was_swapped(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::NotFound)
}

fn sha256_of(mut file: File) -> Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let read = file.read(&mut buffer).context("cannot read it")?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        bytes += read as u64;
    }
    Ok((crate::export::writer::hex(&hasher.finalize()), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder with a manifest listing one file holding `text`.
    fn snapshot(path: &Path, text: &str) {
        std::fs::create_dir(path).unwrap();
        std::fs::write(path.join("a.parquet"), text).unwrap();
        let digest = crate::export::writer::hex(&Sha256::digest(text.as_bytes()));
        let manifest = serde_json::json!({
            "as_of": "2026-11-25T12:00:00Z",
            "files": [{"file": "a.parquet", "rows": 1, "bytes": text.len(), "sha256": digest}],
        });
        std::fs::write(path.join(MANIFEST), manifest.to_string()).unwrap();
    }

    #[test]
    fn files_opened_together_read_one_snapshot_even_when_a_new_one_is_swapped_in() {
        let dir = tempfile::tempdir().unwrap();
        let (live, incoming) = (dir.path().join("snapshot=X"), dir.path().join(".snapshot=X.tmp-1"));
        snapshot(&live, "old");
        snapshot(&incoming, "new!");
        let opened = SnapshotFiles::open(&live).unwrap();
        // an export swaps the new folder in and removes the old one
        crate::export::place::swap_into_place(&incoming, &live, true).unwrap();
        let mut text = String::new();
        opened.file("a.parquet").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "old");
        assert!(opened.verify().is_empty(), "{:?}", opened.verify());
        let reopened = SnapshotFiles::open(&live).unwrap();
        text.clear();
        reopened.file("a.parquet").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "new!");
    }

    #[test]
    fn a_manifest_that_points_outside_its_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("snapshot=Y");
        snapshot(&folder, "x");
        let manifest = serde_json::json!({"as_of": "2026-11-25T12:00:00Z", "files": [{"file": "../secret"}]});
        std::fs::write(folder.join(MANIFEST), manifest.to_string()).unwrap();
        let err = SnapshotFiles::open(&folder).err().unwrap().to_string();
        assert!(err.ends_with("lists \"../secret\", which is not a file of its folder"), "{err}");
    }
}
