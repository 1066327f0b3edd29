//! Snapshot files back into values: a stored report frame as an output frame (the inverse
//! of `output::parquet`, column kinds from the Arrow types, money by its name as for query
//! results), and the cell readers `diff` uses on the tables.
//!
//! A file may have been rewritten by another tool (pandas, Spark, DuckDB) with other
//! physical types for the same values: dictionaries with other key types, large or view
//! strings, other integer widths, timestamps in other units, Date64, large lists. Each
//! cell reader accepts every such form and turns anything else, or a value out of range,
//! into an error the caller names with the file and column; nothing here panics.

use std::fs::File;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use chrono::{DateTime, NaiveDate, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;

use crate::frame::{is_money, Column, Frame, Kind, Value};

/// Text of a plain, large or view string array.
fn plain_text(array: &dyn Array, i: usize) -> Option<&str> {
    if let Some(strings) = array.as_string_opt::<i32>() {
        return Some(strings.value(i));
    }
    if let Some(strings) = array.as_string_opt::<i64>() {
        return Some(strings.value(i));
    }
    array.as_string_view_opt().map(|strings| strings.value(i))
}

fn is_text(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The text of row `i` of a string column, plain or dictionary-encoded (whatever the key
/// type); None for a NULL.
pub fn text_at(array: &dyn Array, i: usize) -> Result<Option<&str>> {
    if array.is_null(i) {
        return Ok(None);
    }
    if let Some(dictionary) = array.as_any_dictionary_opt() {
        let key = int_at(dictionary.keys(), i)?.ok_or_else(|| anyhow!("row {i} has no dictionary key"))?;
        let values = dictionary.values();
        let key = usize::try_from(key)
            .ok()
            .filter(|key| *key < values.len())
            .ok_or_else(|| anyhow!("row {i}'s dictionary key {key} is beyond the dictionary"))?;
        return plain_text(values.as_ref(), key)
            .map(Some)
            .ok_or_else(|| anyhow!("a dictionary of {} is not text", values.data_type()));
    }
    plain_text(array, i).map(Some).ok_or_else(|| anyhow!("{} is not text", array.data_type()))
}

/// An integer of any width; an unsigned one beyond i64 is an error.
pub fn int_at(array: &dyn Array, i: usize) -> Result<Option<i64>> {
    if array.is_null(i) {
        return Ok(None);
    }
    let value: i64 = match array.data_type() {
        DataType::Int8 => array.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(i).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(i).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(i).into(),
        DataType::UInt64 => {
            let value = array.as_primitive::<UInt64Type>().value(i);
            i64::try_from(value).map_err(|_| anyhow!("{value} is beyond a 64-bit integer"))?
        }
        other => bail!("{other} is not an integer"),
    };
    Ok(Some(value))
}

pub fn bool_at(array: &dyn Array, i: usize) -> Result<Option<bool>> {
    if array.is_null(i) {
        return Ok(None);
    }
    array
        .as_boolean_opt()
        .map(|b| Some(b.value(i)))
        .ok_or_else(|| anyhow!("{} is not a flag", array.data_type()))
}

/// An exact decimal (Decimal128 at its scale).
pub fn decimal_at(array: &dyn Array, i: usize) -> Result<Option<Decimal>> {
    if array.is_null(i) {
        return Ok(None);
    }
    let DataType::Decimal128(_, scale) = array.data_type() else {
        bail!("{} is not an exact decimal", array.data_type())
    };
    let scale = u32::try_from(*scale)
        .map_err(|_| anyhow!("a negative scale ({scale}) is not a decimal ctodb reads"))?;
    let mantissa = array.as_primitive::<Decimal128Type>().value(i);
    Ok(Some(
        Decimal::try_from_i128_with_scale(mantissa, scale)
            .map_err(|err| anyhow!("{mantissa}e-{scale}: {err}"))?,
    ))
}

/// An instant in microseconds since the Unix epoch, from a timestamp of any unit; one
/// beyond what the microsecond range holds is an error.
pub fn micros_at(array: &dyn Array, i: usize) -> Result<Option<i64>> {
    if array.is_null(i) {
        return Ok(None);
    }
    let out_of_range = || anyhow!("the timestamp of row {i} is beyond the range ctodb reads");
    let micros = match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => array
            .as_primitive::<TimestampSecondType>()
            .value(i)
            .checked_mul(1_000_000)
            .ok_or_else(out_of_range)?,
        DataType::Timestamp(TimeUnit::Millisecond, _) => array
            .as_primitive::<TimestampMillisecondType>()
            .value(i)
            .checked_mul(1_000)
            .ok_or_else(out_of_range)?,
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            array.as_primitive::<TimestampMicrosecondType>().value(i)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            array.as_primitive::<TimestampNanosecondType>().value(i).div_euclid(1_000)
        }
        other => bail!("{other} is not a timestamp"),
    };
    Ok(Some(micros))
}

fn instant_at(array: &dyn Array, i: usize) -> Result<Option<DateTime<Utc>>> {
    match micros_at(array, i)? {
        None => Ok(None),
        Some(micros) => DateTime::from_timestamp_micros(micros)
            .map(Some)
            .ok_or_else(|| anyhow!("the timestamp of row {i} is beyond the range ctodb reads")),
    }
}

fn date_at(array: &dyn Array, i: usize) -> Result<Option<NaiveDate>> {
    if array.is_null(i) {
        return Ok(None);
    }
    let days: i64 = match array.data_type() {
        DataType::Date32 => array.as_primitive::<Date32Type>().value(i).into(),
        DataType::Date64 => array.as_primitive::<Date64Type>().value(i).div_euclid(86_400_000),
        other => bail!("{other} is not a date"),
    };
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::try_days(days)?))
        .map(Some)
        .ok_or_else(|| {
            anyhow!("the date of row {i} ({days} days from 1970-01-01) is beyond the range ctodb reads")
        })
}

/// A uuid: the Parquet UUID type (16 bytes) or its canonical text.
pub fn uuid_at(array: &dyn Array, i: usize) -> Result<Option<uuid::Uuid>> {
    if array.is_null(i) {
        return Ok(None);
    }
    if let Some(bytes) = array.as_fixed_size_binary_opt() {
        return uuid::Uuid::from_slice(bytes.value(i)).map(Some).map_err(|err| anyhow!("row {i}: {err}"));
    }
    match text_at(array, i)? {
        Some(text) => {
            uuid::Uuid::parse_str(text).map(Some).map_err(|err| anyhow!("row {i}: {text:?}: {err}"))
        }
        None => Ok(None),
    }
}

fn list_at(array: &dyn Array, i: usize) -> Result<Option<Vec<String>>> {
    if array.is_null(i) {
        return Ok(None);
    }
    let items = if let Some(list) = array.as_list_opt::<i32>() {
        list.value(i)
    } else if let Some(list) = array.as_list_opt::<i64>() {
        list.value(i)
    } else {
        bail!("{} is not a list", array.data_type())
    };
    let mut out = Vec::with_capacity(items.len());
    for j in 0..items.len() {
        out.push(text_at(items.as_ref(), j)?.unwrap_or_default().to_string());
    }
    Ok(Some(out))
}

/// The kind of value a stored column holds.
fn kind(field: &Field) -> Result<Kind> {
    let integer = |t: &DataType| t.is_integer();
    Ok(match field.data_type() {
        t if integer(t) => Kind::of_integer(field.name()),
        DataType::Float32 | DataType::Float64 => Kind::Float,
        DataType::Decimal128(_, _) if is_money(field.name()) => Kind::Money,
        DataType::Decimal128(_, _) => Kind::Decimal,
        DataType::Boolean => Kind::Bool,
        t if is_text(t) => Kind::Text,
        DataType::Dictionary(_, values) if is_text(values) => Kind::Enum,
        DataType::Timestamp(_, _) => Kind::Timestamp,
        DataType::Date32 | DataType::Date64 => Kind::Date,
        DataType::List(item) | DataType::LargeList(item) if is_text(item.data_type()) => Kind::List,
        DataType::FixedSizeBinary(16) => Kind::Uuid,
        other => bail!("it has type {other}, which no frame of ctodb holds"),
    })
}

fn value(array: &dyn Array, kind: Kind, i: usize) -> Result<Value> {
    let or_null = |value: Option<Value>| value.unwrap_or(Value::Null);
    Ok(match kind {
        Kind::Int | Kind::Bytes | Kind::Id => or_null(int_at(array, i)?.map(Value::Int)),
        Kind::Float => {
            if array.is_null(i) {
                Value::Null
            } else if let Some(floats) = array.as_primitive_opt::<Float64Type>() {
                Value::Float(floats.value(i))
            } else if let Some(floats) = array.as_primitive_opt::<Float32Type>() {
                Value::Float(floats.value(i).into())
            } else {
                bail!("{} is not a float", array.data_type())
            }
        }
        Kind::Money | Kind::Decimal => or_null(decimal_at(array, i)?.map(Value::Decimal)),
        Kind::Bool => or_null(bool_at(array, i)?.map(Value::Bool)),
        Kind::Text | Kind::Enum => or_null(text_at(array, i)?.map(|t| Value::Text(t.to_string()))),
        Kind::Timestamp => or_null(instant_at(array, i)?.map(Value::Timestamp)),
        Kind::Date => or_null(date_at(array, i)?.map(Value::Date)),
        Kind::List => or_null(list_at(array, i)?.map(Value::List)),
        Kind::Uuid => or_null(uuid_at(array, i)?.map(Value::Uuid)),
    })
}

/// The frame stored in `file` (found at `path`, named in errors), named `name`.
pub fn frame(file: File, path: &Path, name: &str) -> Result<Frame> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{} is not a Parquet file ctodb can read", path.display()))?;
    let schema = reader.schema().clone();
    let kinds: Vec<Kind> = schema
        .fields()
        .iter()
        .map(|f| kind(f).with_context(|| format!("{}, column {}", path.display(), f.name())))
        .collect::<Result<_>>()?;
    // a stored decimal keeps the precision and scale it was written with, so that it is
    // written again with the same type (-f parquet of a snapshot's frame)
    let columns = schema
        .fields()
        .iter()
        .zip(&kinds)
        .map(|(f, k)| {
            let mut column = Column::new(f.name(), *k);
            if let DataType::Decimal128(precision, scale) = f.data_type() {
                column.precision = Some(*precision);
                column.scale = u32::try_from(*scale).ok();
            }
            column
        })
        .collect();
    let mut frame = Frame::new(name, columns);
    let batches = reader.build().with_context(|| format!("cannot read {}", path.display()))?;
    for batch in batches {
        let batch: RecordBatch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let mut cells: Vec<Vec<Value>> = Vec::with_capacity(batch.num_columns());
        for ((array, kind), field) in batch.columns().iter().zip(&kinds).zip(schema.fields()) {
            let column = (0..batch.num_rows())
                .map(|i| value(array.as_ref(), *kind, i))
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("{}, column {}", path.display(), field.name()))?;
            cells.push(column);
        }
        for row in 0..batch.num_rows() {
            frame.push(cells.iter().map(|column| column[row].clone()).collect());
        }
    }
    Ok(frame)
}
