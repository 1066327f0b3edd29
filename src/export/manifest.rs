//! `_manifest.json` beside a snapshot's files: ctodb and formula versions, the source
//! database (never a password), the as-of instant, start and end, and per file its rows,
//! bytes, sha-256 and Arrow schema. `ctodb snapshots` lists snapshots from it and
//! `--verify` re-hashes every file against it.

use std::path::Path;

use anyhow::{Context, Result};
use arrow_schema::Schema;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::writer::Written;
use super::ExportPlan;

pub const MANIFEST: &str = "_manifest.json";

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub name: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
    pub schema: Value,
}

impl FileEntry {
    pub fn new(written: &Written, schema: &Schema) -> FileEntry {
        let fields: Vec<Value> = schema
            .fields()
            .iter()
            .map(|field| {
                let mut entry = json!({
                    "name": field.name(),
                    "type": field.data_type().to_string(),
                    "nullable": field.is_nullable(),
                });
                if let Some(extension) = field.extension_type_name() {
                    entry["extension"] = json!(extension);
                }
                entry
            })
            .collect();
        FileEntry {
            name: written.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            rows: written.rows,
            bytes: written.bytes,
            sha256: written.sha256.clone(),
            schema: Value::Array(fields),
        }
    }
}

impl FileEntry {
    /// The file's entry in `_manifest.json`.
    pub fn into_json(self) -> Value {
        json!({"file": self.name, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256, "schema": self.schema})
    }
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub document: Value,
}

impl Manifest {
    pub fn new(
        plan: &ExportPlan,
        schema_version: &str,
        source: &crate::db::replica::Standby,
        (started_at, finished_at): (DateTime<Utc>, DateTime<Utc>),
        files: Vec<FileEntry>,
    ) -> Manifest {
        let files: Vec<Value> = files.into_iter().map(FileEntry::into_json).collect();
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        // read from a hot standby: how far it had replayed the primary's WAL
        let standby = source.standby.then(|| {
            json!({
                "replay_lsn": source.replay_lsn,
                "replay_timestamp": source.replayed_at.map(stamp),
            })
        });
        let mut manifest = Manifest {
            document: json!({
                "ctodb_version": env!("CARGO_PKG_VERSION"),
                "formulas": crate::analytics::FORMULA_VERSION,
                "database": plan.database,
                "snapshot": plan.id,
                "schema_version": schema_version,
                "uuid": plan.uuid.label(),
                "as_of": stamp(plan.as_of),
                "started_at": stamp(started_at),
                "finished_at": stamp(finished_at),
                "compression": format!("{:?}", plan.codec).to_lowercase(),
                "files": files,
            }),
        };
        if let Some(standby) = standby {
            manifest.document["standby"] = standby;
        }
        manifest
    }

    /// Writes `_manifest.json` into `folder`, synced.
    pub fn write(&self, folder: &Path) -> Result<()> {
        let path = folder.join(MANIFEST);
        let text = serde_json::to_string_pretty(&self.document)? + "\n";
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", path.display()))
    }

    pub fn read(folder: &Path) -> Result<Manifest> {
        let path = folder.join(MANIFEST);
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Manifest::parse(&text, &path)
    }

    /// The manifest in `text`, read from `path` (named in the error).
    pub fn parse(text: &str, path: &Path) -> Result<Manifest> {
        let document =
            serde_json::from_str(text).with_context(|| format!("{} is not valid JSON", path.display()))?;
        Ok(Manifest { document })
    }

    pub fn files(&self) -> impl Iterator<Item = &Value> {
        self.document["files"].as_array().into_iter().flatten()
    }

    /// The column names a file's schema lists.
    pub fn columns(&self, file: &str) -> Option<Vec<String>> {
        let entry = self.files().find(|f| f["file"] == file)?;
        let fields = entry["schema"].as_array()?;
        Some(fields.iter().filter_map(|f| f["name"].as_str().map(str::to_string)).collect())
    }

    /// What the files of `later` hold that those of `self` do not, and the reverse: one
    /// line per table file whose columns differ (a migration between the snapshots).
    pub fn column_changes(&self, later: &Manifest) -> Vec<String> {
        let mut changes = Vec::new();
        for file in later.files().filter_map(|f| f["file"].as_str()) {
            let (Some(before), Some(after)) = (self.columns(file), later.columns(file)) else { continue };
            let added: Vec<&str> = after.iter().filter(|c| !before.contains(c)).map(String::as_str).collect();
            let gone: Vec<&str> = before.iter().filter(|c| !after.contains(c)).map(String::as_str).collect();
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("new columns {}", added.join(", ")));
            }
            if !gone.is_empty() {
                parts.push(format!("columns no longer there {}", gone.join(", ")));
            }
            if !parts.is_empty() {
                changes.push(format!("{file}: {}", parts.join("; ")));
            }
        }
        changes
    }

    pub fn rows(&self) -> u64 {
        self.files().filter_map(|f| f["rows"].as_u64()).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.files().filter_map(|f| f["bytes"].as_u64()).sum()
    }
}
