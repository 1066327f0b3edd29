//! One type per report column in every snapshot (SPEC §8). `frame_types.json` declares the
//! Arrow type of each column of each stored report frame: what this version's export writes
//! whatever a week holds (tests compare a fresh export of an empty and of a seeded week
//! with it). Snapshots written by earlier versions may hold another type (a column whose
//! values were all NULL one week was written as `Decimal128(38, 0)`): `snapshots --verify`
//! names each such column, and `snapshots upgrade` rewrites those files to the declared
//! types, converting every value exactly, into a copy of the snapshot that replaces it in
//! one step (the unchanged files hard-linked, the manifest updated).

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, bail, Context, Result};
use arrow_array::types::{Decimal128Type, DecimalType};
use arrow_array::{new_null_array, Array, ArrayRef, Decimal128Array, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::export::manifest::{FileEntry, Manifest};
use crate::export::place;

/// Each stored frame's file and, by column, its declared Arrow type as the manifest
/// writes it (`DataType`'s display).
fn declared() -> &'static BTreeMap<String, BTreeMap<String, String>> {
    static DECLARED: OnceLock<BTreeMap<String, BTreeMap<String, String>>> = OnceLock::new();
    DECLARED.get_or_init(|| serde_json::from_str(include_str!("frame_types.json")).unwrap_or_default())
}

/// The declared type of a stored frame's column, when ctodb declares that column.
pub fn declared_type(file: &str, column: &str) -> Option<&'static str> {
    declared().get(file)?.get(column).map(String::as_str)
}

/// A column of a stored frame written with another type than the declared one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub file: String,
    pub column: String,
    pub written: String,
    pub declared: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: column {} is {}, declared {}", self.file, self.column, self.written, self.declared)
    }
}

/// The columns of a snapshot's report frames whose type, as its manifest records it,
/// is not the declared one. Columns ctodb no longer declares (or does not declare yet)
/// are left alone: they are a change of columns, which every reader merges by name.
pub fn drifts(manifest: &Manifest) -> Vec<Drift> {
    let mut found = Vec::new();
    for entry in manifest.files() {
        let file = entry["file"].as_str().unwrap_or_default();
        for field in entry["schema"].as_array().into_iter().flatten() {
            let (Some(column), Some(written)) = (field["name"].as_str(), field["type"].as_str()) else {
                continue;
            };
            if let Some(wanted) = declared_type(file, column).filter(|wanted| *wanted != written) {
                found.push(Drift {
                    file: file.to_string(),
                    column: column.to_string(),
                    written: written.to_string(),
                    declared: wanted.to_string(),
                });
            }
        }
    }
    found
}

/// Rewrites the drifted frames of the snapshot `id` in `dir` to their declared types
/// and returns what it changed (nothing to do: an empty list, the snapshot untouched).
/// Holds the ID's lock, so that no export of the ID runs meanwhile; the new snapshot
/// replaces the old one in one exchange of names (`place::swap_into_place`).
pub fn upgrade(dir: &Path, id: &str) -> Result<Vec<Drift>> {
    let _lock = place::IdLock::acquire(dir, id)?;
    let folder = crate::export::snapshot_folder(dir, id);
    let manifest = Manifest::read(&folder)?;
    let drifted = drifts(&manifest);
    if drifted.is_empty() {
        return Ok(drifted);
    }
    let temp = place::TempFolder::new(dir, id)?;
    let mut document = manifest.document.clone();
    for entry in document["files"].as_array_mut().into_iter().flatten() {
        let name = entry["file"].as_str().unwrap_or_default().to_string();
        let from = folder.join(&name);
        let to = temp.path.join(&name);
        if !drifted.iter().any(|d| d.file == name) {
            // unchanged: the same file under the new folder (a copy where links fail)
            std::fs::hard_link(&from, &to)
                .or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
                .with_context(|| format!("cannot link {} into {}", from.display(), temp.path.display()))?;
            continue;
        }
        let (schema, batches) = converted(&from)?;
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let bytes = crate::output::parquet::batches_bytes(&schema, &batches)
            .map_err(|err| anyhow!("cannot write {} as Parquet: {err}", to.display()))?;
        let written = crate::export::write_frame_file(&to, &bytes, rows)?;
        *entry = FileEntry::new(&written, &schema).into_json();
    }
    document["upgraded"] = serde_json::json!({
        "ctodb_version": env!("CARGO_PKG_VERSION"),
        "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "columns": drifted.iter().map(|d| format!("{}.{}: {} to {}", d.file, d.column, d.written, d.declared)).collect::<Vec<_>>(),
    });
    Manifest { document }.write(&temp.path)?;
    temp.sync()?;
    // the temporary folder then names the replaced snapshot, removed when it is dropped
    place::swap_into_place(&temp.path, &folder, true)?;
    Ok(drifted)
}

/// A stored frame's file with every column in its declared type: its schema and batches.
fn converted(path: &Path) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|builder| builder.build())
        .with_context(|| format!("cannot read {} as Parquet", path.display()))?;
    let written = reader.schema();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut fields = Vec::new();
    for field in written.fields() {
        let target = match declared_type(&name, field.name()) {
            Some(text) => DataType::from_str(text).map_err(|err| {
                anyhow!("the declared type {text} of {name}.{} is not a type: {err}", field.name())
            })?,
            None => field.data_type().clone(),
        };
        fields.push(
            Field::new(field.name(), target, field.is_nullable()).with_metadata(field.metadata().clone()),
        );
    }
    let schema = Arc::new(Schema::new(fields));
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let columns = batch
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(column, field)| {
                convert(column, field.data_type())
                    .map_err(|why| anyhow!("{}, column {}: {why}", path.display(), field.name()))
            })
            .collect::<Result<Vec<_>>>()?;
        batches.push(
            RecordBatch::try_new(schema.clone(), columns)
                .with_context(|| format!("cannot convert {}", path.display()))?,
        );
    }
    Ok((schema, batches))
}

/// A column in the declared type, each value exactly: a column of NULLs in any type; a
/// decimal at another scale or precision when every value fits (a value with more places
/// than the declared scale, or more digits than its precision, is refused, never rounded).
fn convert(array: &ArrayRef, to: &DataType) -> Result<ArrayRef, String> {
    if array.data_type() == to {
        return Ok(array.clone());
    }
    if array.null_count() == array.len() {
        return Ok(new_null_array(to, array.len()));
    }
    match (array.data_type(), to) {
        (DataType::Decimal128(_, from_scale), DataType::Decimal128(precision, scale)) => {
            let decimals = array
                .as_any()
                .downcast_ref::<Decimal128Array>()
                .ok_or_else(|| format!("not a decimal column ({})", array.data_type()))?;
            let shift = i32::from(*scale) - i32::from(*from_scale);
            let limit = 10i128.checked_pow(u32::from(*precision)).unwrap_or(i128::MAX);
            let factor = 10i128.checked_pow(shift.unsigned_abs()).ok_or("the scales differ too much")?;
            let values = decimals
                .iter()
                .map(|value| {
                    value
                        .map(|v| {
                            let moved = if shift >= 0 {
                                v.checked_mul(factor)
                            } else {
                                (v % factor == 0).then_some(v / factor)
                            };
                            let text = || Decimal128Type::format_decimal(v, 38, *from_scale);
                            match moved {
                                Some(m) if m.abs() < limit => Ok(m),
                                Some(_) | None if shift >= 0 => {
                                    Err(format!("{} has more digits than {to} holds", text()))
                                }
                                _ => Err(format!("{} has more places than {to} keeps", text())),
                            }
                        })
                        .transpose()
                })
                .collect::<Result<Vec<Option<i128>>, String>>()?;
            let converted = Decimal128Array::from(values)
                .with_precision_and_scale(*precision, *scale)
                .map_err(|err| err.to_string())?;
            Ok(Arc::new(converted))
        }
        (from, to) => Err(format!("holds values of {from}, which ctodb does not convert to {to}")),
    }
}

/// Each snapshot of `dir` that `ids` names (all when none), upgraded in turn.
pub fn upgrade_all(dir: &Path, ids: &[String]) -> Result<Vec<(String, Vec<Drift>)>> {
    let mut listed: Vec<String> = super::Snapshot::list(dir)?.into_iter().map(|s| s.id).collect();
    if !ids.is_empty() {
        for id in ids {
            if !listed.contains(id) {
                bail!("{} holds no snapshot {id} (`ctodb snapshots` lists them)", dir.display());
            }
        }
        listed.retain(|id| ids.contains(id));
    }
    listed.into_iter().map(|id| upgrade(dir, &id).map(|done| (id, done))).collect()
}
