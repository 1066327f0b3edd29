//! Frames as Arrow record batches and Parquet files (`-f parquet`, and the report frames
//! of a snapshot), with the same types as the exported tables: money and other exact
//! values as Decimal128 with the column's scale, uuids with the UUID extension, instants
//! as UTC microseconds, dates, lists of strings, enum labels dictionary-encoded.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, FixedSizeBinaryBuilder, Float64Builder, Int64Builder,
    ListBuilder, StringBuilder, StringDictionaryBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::extension::Uuid as UuidExtension;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::render::plain;
use crate::frame::{Frame, Kind, Value};

/// Decimals are stored with up to 38 digits, at the largest scale the column holds.
const DECIMAL_PRECISION: u8 = 38;

fn mismatch(frame: &Frame, column: usize, value: &Value) -> String {
    format!(
        "frame {} column {} holds {value:?}, which is not a {:?}",
        frame.name, frame.columns[column].name, frame.columns[column].kind
    )
}

/// The scale of a decimal column: the one it declares, else the largest of its values'
/// (money at least 2).
fn decimal_scale(frame: &Frame, column: usize) -> u32 {
    let floor = if frame.columns[column].kind == Kind::Money { 2 } else { 0 };
    let floor = frame.columns[column].scale.unwrap_or(floor);
    frame
        .rows
        .iter()
        .filter_map(|row| match &row[column] {
            Value::Decimal(d) => Some(d.scale()),
            _ => None,
        })
        .fold(floor, u32::max)
}

fn days_since_epoch(date: &NaiveDate) -> i32 {
    (*date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// One column of a frame as an Arrow array and field.
/// The builders a column is filled with: each takes a NULL its own way.
trait AppendNull {
    fn null(&mut self);
}

macro_rules! append_null {
    ($($builder:ty),* $(,)?) => {
        $(impl AppendNull for $builder {
            fn null(&mut self) {
                self.append_null();
            }
        })*
    };
}

append_null!(
    StringBuilder,
    StringDictionaryBuilder<Int32Type>,
    Int64Builder,
    Float64Builder,
    Decimal128Builder,
    BooleanBuilder,
    FixedSizeBinaryBuilder,
    TimestampMicrosecondBuilder,
    Date32Builder,
    ListBuilder<StringBuilder>,
);

/// Fills a builder with column `i` of a frame: NULLs as NULLs, every other value by
/// `append`, which returns false for a value of another type than the column's.
fn fill<B: AppendNull>(
    frame: &Frame,
    i: usize,
    mut builder: B,
    mut append: impl FnMut(&mut B, &Value) -> Result<bool, String>,
) -> Result<B, String> {
    for value in frame.rows.iter().map(|row| &row[i]) {
        match value {
            Value::Null => builder.null(),
            other if !append(&mut builder, other)? => return Err(mismatch(frame, i, other)),
            _ => {}
        }
    }
    Ok(builder)
}

/// Appends the value a pattern binds, or says the value is of another type.
macro_rules! append {
    ($value:expr, $pattern:pat => $append:expr) => {
        match $value {
            $pattern => {
                $append;
                Ok(true)
            }
            _ => Ok(false),
        }
    };
}

fn column(frame: &Frame, i: usize) -> Result<(Field, ArrayRef), String> {
    let (data_type, array) = array(frame, i)?;
    // a report's columns may hold NULLs (an undefined valuation, a rate of nothing)
    let field = Field::new(frame.columns[i].name.as_str(), data_type, true);
    let field =
        if frame.columns[i].kind == Kind::Uuid { field.with_extension_type(UuidExtension) } else { field };
    Ok((field, array))
}

/// Column `i` of a frame as an Arrow array of its kind's type.
fn array(frame: &Frame, i: usize) -> Result<(DataType, ArrayRef), String> {
    Ok(match frame.columns[i].kind {
        Kind::Text => {
            let mut b = fill(frame, i, StringBuilder::new(), |b, v| {
                b.append_value(plain(v));
                Ok(true)
            })?;
            (DataType::Utf8, Arc::new(b.finish()))
        }
        Kind::Enum => {
            let mut b = fill(frame, i, StringDictionaryBuilder::<Int32Type>::new(), |b, v| {
                b.append(plain(v)).map(|_| true).map_err(|err| err.to_string())
            })?;
            (DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), Arc::new(b.finish()))
        }
        Kind::Int | Kind::Bytes | Kind::Id => {
            let mut b =
                fill(frame, i, Int64Builder::new(), |b, v| append!(v, Value::Int(n) => b.append_value(*n)))?;
            (DataType::Int64, Arc::new(b.finish()))
        }
        Kind::Float => {
            let mut b = fill(
                frame,
                i,
                Float64Builder::new(),
                |b, v| append!(v, Value::Float(x) => b.append_value(*x)),
            )?;
            (DataType::Float64, Arc::new(b.finish()))
        }
        Kind::Decimal | Kind::Money => decimal_array(frame, i)?,
        Kind::Bool => {
            let mut b = fill(
                frame,
                i,
                BooleanBuilder::new(),
                |b, v| append!(v, Value::Bool(x) => b.append_value(*x)),
            )?;
            (DataType::Boolean, Arc::new(b.finish()))
        }
        Kind::Uuid => {
            let mut b = fill(frame, i, FixedSizeBinaryBuilder::new(16), |b, v| match v {
                Value::Uuid(u) => b.append_value(u.as_bytes()).map(|_| true).map_err(|err| err.to_string()),
                _ => Ok(false),
            })?;
            (DataType::FixedSizeBinary(16), Arc::new(b.finish()))
        }
        Kind::Timestamp => {
            let builder = TimestampMicrosecondBuilder::new().with_timezone("UTC");
            let mut b = fill(
                frame,
                i,
                builder,
                |b, v| append!(v, Value::Timestamp(t) => b.append_value(t.timestamp_micros())),
            )?;
            (DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))), Arc::new(b.finish()))
        }
        Kind::Date => {
            let mut b = fill(
                frame,
                i,
                Date32Builder::new(),
                |b, v| append!(v, Value::Date(d) => b.append_value(days_since_epoch(d))),
            )?;
            (DataType::Date32, Arc::new(b.finish()))
        }
        Kind::List => {
            let mut b = fill(frame, i, ListBuilder::new(StringBuilder::new()), |b, v| {
                append!(v, Value::List(items) => {
                    for item in items {
                        b.values().append_value(item);
                    }
                    b.append(true);
                })
            })?;
            let item = Arc::new(Field::new("item", DataType::Utf8, true));
            (DataType::List(item), Arc::new(b.finish()))
        }
    })
}

/// An exact decimal column at its largest scale, with the column's own precision when the
/// database gave it and the values fit.
fn decimal_array(frame: &Frame, i: usize) -> Result<(DataType, ArrayRef), String> {
    let scale = decimal_scale(frame, i);
    let mut b = fill(frame, i, Decimal128Builder::new(), |b, v| match v {
        Value::Int(n) => {
            b.append_value(i128::from(*n) * 10i128.pow(scale));
            Ok(true)
        }
        Value::Decimal(d) => {
            let mut d = *d;
            d.rescale(scale);
            b.append_value(d.mantissa());
            Ok(true)
        }
        _ => Ok(false),
    })?;
    let precision =
        frame.columns[i].precision.filter(|p| u32::from(*p) >= scale).unwrap_or(DECIMAL_PRECISION);
    let data_type = DataType::Decimal128(precision, scale as i8);
    let array = b.finish().with_data_type(data_type.clone());
    Ok((data_type, Arc::new(array)))
}

/// A frame as one record batch.
pub fn record_batch(frame: &Frame) -> Result<RecordBatch, String> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = (0..frame.columns.len())
        .map(|i| column(frame, i))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|err| err.to_string())
}

/// A frame as a zstd-compressed Parquet file, in memory (report frames are small).
pub fn parquet_bytes(frame: &Frame) -> Result<Vec<u8>, String> {
    batch_bytes(&record_batch(frame)?)
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_created_by(format!("ctodb {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Record batches of one schema as a zstd-compressed Parquet file, in memory.
pub fn batches_bytes(schema: &Arc<Schema>, batches: &[RecordBatch]) -> Result<Vec<u8>, String> {
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(writer_properties()))
        .map_err(|err| err.to_string())?;
    for batch in batches {
        writer.write(batch).map_err(|err| err.to_string())?;
    }
    writer.into_inner().map_err(|err| err.to_string())
}

/// A record batch as a zstd-compressed Parquet file, in memory.
pub fn batch_bytes(batch: &RecordBatch) -> Result<Vec<u8>, String> {
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(writer_properties()))
        .map_err(|err| err.to_string())?;
    writer.write(batch).map_err(|err| err.to_string())?;
    writer.close().map_err(|err| err.to_string())?;
    Ok(buffer)
}

/// Rows a large frame is encoded in at a time.
const CHUNK_ROWS: usize = 50_000;

/// A frame as a zstd-compressed Parquet file, in memory, taking the frame: its rows are
/// encoded 50,000 at a time and each chunk let go once written, so that a large frame (the
/// export's open bugs: 435,000 rows at ten million bugs) is never held as values and as
/// Arrow at once. Every chunk has the schema of the whole frame (each exact column's
/// scale is fixed from all its values first). Returns the bytes, the rows and the schema.
pub fn frame_bytes(mut frame: Frame) -> Result<(Vec<u8>, usize, Arc<Schema>), String> {
    for i in 0..frame.columns.len() {
        if matches!(frame.columns[i].kind, Kind::Decimal | Kind::Money) {
            frame.columns[i].scale = Some(decimal_scale(&frame, i));
        }
    }
    let total = frame.rows.len();
    let mut rows = std::mem::take(&mut frame.rows).into_iter();
    let mut next_batch = |frame: &mut Frame| -> Result<(RecordBatch, bool), String> {
        frame.rows = rows.by_ref().take(CHUNK_ROWS).collect();
        let last = frame.rows.len() < CHUNK_ROWS;
        let batch = record_batch(frame)?;
        frame.rows = Vec::new();
        Ok((batch, last))
    };
    let (batch, mut last) = next_batch(&mut frame)?;
    let schema = batch.schema();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(writer_properties()))
        .map_err(|err| err.to_string())?;
    writer.write(&batch).map_err(|err| err.to_string())?;
    drop(batch);
    while !last {
        let (batch, end) = next_batch(&mut frame)?;
        writer.write(&batch).map_err(|err| err.to_string())?;
        last = end;
    }
    let buffer = writer.into_inner().map_err(|err| err.to_string())?;
    Ok((buffer, total, schema))
}
