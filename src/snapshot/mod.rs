//! Reading snapshots back: a snapshot's files, opened together, its stored report frames
//! and tables as frames (`read`), and queries over them (`select`). Each report reads the
//! frames it stored (`report::*`), so that `report portfolio --snapshot 2026-W48` prints what
//! `report portfolio` printed at that as-of, with no database at all. The files are read
//! with arrow-rs, which the export already needs, rather than with Polars' Parquet reader
//! (about 100 more crates).

pub mod diff;
pub mod folder;
pub mod prune;
mod read;
pub mod select;
pub mod upgrade;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};

use crate::export::manifest::Manifest;
use crate::frame::Frame;

/// An exported snapshot on disk, every file of it open (`folder`), so that what is read
/// is one snapshot whatever an export does meanwhile.
pub struct Snapshot {
    pub folder: PathBuf,
    pub as_of: DateTime<Utc>,
    /// the formula version its numbers were computed with (the manifest's `formulas`)
    pub formulas: Option<u64>,
    files: folder::SnapshotFiles,
}

/// A snapshot found in an export folder, not opened yet.
pub struct Listed {
    pub id: String,
    pub folder: PathBuf,
    pub as_of: DateTime<Utc>,
}

impl Listed {
    pub fn open(&self) -> Result<Snapshot> {
        Snapshot::at(&self.folder)
    }
}

/// The as-of instant a manifest records.
fn manifest_as_of(manifest: &Manifest, folder: &Path) -> Result<DateTime<Utc>> {
    manifest.document["as_of"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("{}: the manifest has no as_of instant", folder.display()))
}

impl Snapshot {
    /// A snapshot by path (a folder with a manifest), or by ID in `dir`.
    pub fn open(id_or_path: &str, dir: &Path) -> Result<Snapshot> {
        let as_path = PathBuf::from(id_or_path);
        let folder = if as_path.join(crate::export::manifest::MANIFEST).is_file() {
            as_path
        } else {
            crate::export::snapshot_folder(dir, id_or_path)
        };
        if !folder.is_dir() {
            bail!(
                "no snapshot {id_or_path:?}: {} does not exist (`ctodb snapshots --dir {}` lists them)",
                folder.display(),
                dir.display()
            );
        }
        Snapshot::at(&folder)
    }

    /// The snapshot in `folder`, its files opened together.
    fn at(folder: &Path) -> Result<Snapshot> {
        let files = folder::SnapshotFiles::open(folder)?;
        let as_of = manifest_as_of(&files.manifest, folder)?;
        let formulas = files.manifest.document["formulas"].as_u64();
        Ok(Snapshot { folder: folder.to_path_buf(), as_of, formulas, files })
    }

    /// The snapshots of `dir` (folders `snapshot=ID` with a manifest), oldest first by
    /// their as-of instant, from their manifests alone.
    pub fn list(dir: &Path) -> Result<Vec<Listed>> {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the export folder {}", dir.display()))?;
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix("snapshot=") else { continue };
            let folder = entry.path();
            let Ok(as_of) = Manifest::read(&folder).and_then(|m| manifest_as_of(&m, &folder)) else {
                continue;
            };
            found.push(Listed { id: id.to_string(), folder, as_of });
        }
        found.sort_by(|a, b| a.as_of.cmp(&b.as_of).then_with(|| a.id.cmp(&b.id)));
        Ok(found)
    }

    /// A file of the snapshot, open since the snapshot was, and its path for messages.
    pub fn file(&self, name: &str) -> Result<(std::fs::File, PathBuf)> {
        Ok((self.files.file(name)?, self.files.path(name)))
    }

    /// The snapshot's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.files.manifest
    }

    /// Whether the snapshot has the file.
    pub fn has(&self, name: &str) -> bool {
        self.files.has(name)
    }

    /// A table of the snapshot (`<table>.parquet`) as a frame: for the small ones.
    pub fn table(&self, table: &str) -> Result<Frame> {
        let (file, path) = self.file(&format!("{table}.parquet"))?;
        read::frame(file, &path, table)
    }

    /// A stored report frame (`report_<name>.parquet`) under another section name.
    pub fn stored(&self, name: &str, section: &str) -> Result<Frame> {
        let (file, path) = self.file(&format!("report_{name}.parquet"))?;
        read::frame(file, &path, section)
    }
}
