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
fn column(frame: &Frame, i: usize) -> Result<(Field, ArrayRef), String> {
    let name = frame.columns[i].name.as_str();
    let values = frame.rows.iter().map(|row| &row[i]);
    let array: (DataType, ArrayRef) = match frame.columns[i].kind {
        Kind::Text => {
            let mut b = StringBuilder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    other => b.append_value(plain(other)),
                }
            }
            (DataType::Utf8, Arc::new(b.finish()))
        }
        Kind::Enum => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    other => {
                        b.append(plain(other)).map_err(|err| err.to_string())?;
                    }
                }
            }
            (DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), Arc::new(b.finish()))
        }
        Kind::Int | Kind::Bytes => {
            let mut b = Int64Builder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Int(n) => b.append_value(*n),
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            (DataType::Int64, Arc::new(b.finish()))
        }
        Kind::Float => {
            let mut b = Float64Builder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Float(x) => b.append_value(*x),
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            (DataType::Float64, Arc::new(b.finish()))
        }
        Kind::Decimal | Kind::Money => {
            let scale = decimal_scale(frame, i);
            let mut b = Decimal128Builder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Int(n) => b.append_value(i128::from(*n) * 10i128.pow(scale)),
                    Value::Decimal(d) => {
                        let mut d = *d;
                        d.rescale(scale);
                        b.append_value(d.mantissa());
                    }
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            // the column's own precision when the database gave it, and the values fit
            let precision =
                frame.columns[i].precision.filter(|p| u32::from(*p) >= scale).unwrap_or(DECIMAL_PRECISION);
            let data_type = DataType::Decimal128(precision, scale as i8);
            let array = b.finish().with_data_type(data_type.clone());
            (data_type, Arc::new(array))
        }
        Kind::Bool => {
            let mut b = BooleanBuilder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Bool(x) => b.append_value(*x),
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            (DataType::Boolean, Arc::new(b.finish()))
        }
        Kind::Uuid => {
            let mut b = FixedSizeBinaryBuilder::new(16);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Uuid(u) => b.append_value(u.as_bytes()).map_err(|err| err.to_string())?,
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            (DataType::FixedSizeBinary(16), Arc::new(b.finish()))
        }
        Kind::Timestamp => {
            let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Timestamp(t) => b.append_value(t.timestamp_micros()),
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            (DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))), Arc::new(b.finish()))
        }
        Kind::Date => {
            let mut b = Date32Builder::new();
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Date(d) => b.append_value(days_since_epoch(d)),
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            (DataType::Date32, Arc::new(b.finish()))
        }
        Kind::List => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::List(items) => {
                        for item in items {
                            b.values().append_value(item);
                        }
                        b.append(true);
                    }
                    other => return Err(mismatch(frame, i, other)),
                }
            }
            let item = Arc::new(Field::new("item", DataType::Utf8, true));
            (DataType::List(item), Arc::new(b.finish()))
        }
    };
    let (data_type, array) = array;
    // a report's columns may hold NULLs (an undefined valuation, a rate of nothing)
    let field = Field::new(name, data_type, true);
    let field =
        if frame.columns[i].kind == Kind::Uuid { field.with_extension_type(UuidExtension) } else { field };
    Ok((field, array))
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

/// A record batch as a zstd-compressed Parquet file, in memory.
pub fn batch_bytes(batch: &RecordBatch) -> Result<Vec<u8>, String> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_created_by(format!("ctodb {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut buffer = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties)).map_err(|err| err.to_string())?;
    writer.write(batch).map_err(|err| err.to_string())?;
    writer.close().map_err(|err| err.to_string())?;
    Ok(buffer)
}
