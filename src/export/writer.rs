//! The Parquet side of an export: a thread that takes record batches from a bounded
//! channel and writes them with arrow-rs' `ArrowWriter`, so that encoding runs on one core
//! while the async side decodes COPY data on the other. The file is hashed (sha-256) and
//! counted as it is written, and fsynced when complete.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

/// Rows per row group: bounds what the writer holds in memory (a row group is encoded in
/// memory until it is flushed) while keeping row groups large enough for readers.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// `--compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Codec {
    Zstd,
    Snappy,
    None,
}

impl Codec {
    fn parquet(self) -> Compression {
        match self {
            // level 1: most of zstd's ratio at a fraction of its default level's time
            Codec::Zstd => Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()),
            Codec::Snappy => Compression::SNAPPY,
            Codec::None => Compression::UNCOMPRESSED,
        }
    }
}

/// What was written: rows, bytes and the sha-256 of the file.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// A file that hashes and counts what goes through it.
struct HashingFile {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.file.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes every batch the channel brings into `path`, until the sending side is dropped.
/// The columns of `plain` are written without dictionary encoding: for a column of
/// mostly distinct values (ids, titles, instants) building the dictionary costs time and
/// then falls back to plain pages anyway.
pub fn write_parquet(
    path: &Path,
    schema: SchemaRef,
    batches: Receiver<RecordBatch>,
    codec: Codec,
    plain: &[String],
) -> Result<Written> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let sink = io::BufWriter::with_capacity(1 << 20, HashingFile { file, hasher: Sha256::new(), bytes: 0 });
    let mut properties = WriterProperties::builder();
    for column in plain {
        properties = properties.set_column_dictionary_enabled(ColumnPath::from(column.as_str()), false);
    }
    let properties = properties
        // min/max per row group (what engines prune with), not per page
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_compression(codec.parquet())
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("ctodb {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = ArrowWriter::try_new(sink, schema, Some(properties))
        .with_context(|| format!("cannot start {}", path.display()))?;
    let mut rows = 0u64;
    for batch in batches {
        rows += batch.num_rows() as u64;
        writer.write(&batch).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let sink = writer.into_inner().with_context(|| format!("cannot finish {}", path.display()))?;
    let hashing = sink
        .into_inner()
        .map_err(|err| err.into_error())
        .with_context(|| format!("cannot write {}", path.display()))?;
    hashing.file.sync_all().with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Written {
        path: path.to_path_buf(),
        rows,
        bytes: hashing.bytes,
        sha256: hex(&hashing.hasher.finalize()),
    })
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
