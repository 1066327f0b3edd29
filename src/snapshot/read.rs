//! A stored report frame (one Parquet file) back as an output frame: the inverse of
//! `output::parquet`, column kinds from the Arrow types (money by its name, as for query
//! results).

use std::fs::File;
use std::path::Path;

use anyhow::{bail, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use chrono::{DateTime, NaiveDate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;

use crate::output::{is_money, Column, Frame, Kind, Value};

fn kind(field: &Field) -> Result<Kind> {
    Ok(match field.data_type() {
        DataType::Int16 | DataType::Int32 | DataType::Int64 if field.name().ends_with("_bytes") => {
            Kind::Bytes
        }
        DataType::Int16 | DataType::Int32 | DataType::Int64 => Kind::Int,
        DataType::Float64 => Kind::Float,
        DataType::Decimal128(_, _) if is_money(field.name()) => Kind::Money,
        DataType::Decimal128(_, _) => Kind::Decimal,
        DataType::Boolean => Kind::Bool,
        DataType::Utf8 => Kind::Text,
        DataType::Dictionary(_, _) => Kind::Enum,
        DataType::Timestamp(TimeUnit::Microsecond, _) => Kind::Timestamp,
        DataType::Date32 => Kind::Date,
        DataType::List(_) => Kind::List,
        DataType::FixedSizeBinary(16) => Kind::Uuid,
        other => bail!("column {} has type {other}, which no report frame holds", field.name()),
    })
}

fn values(array: &ArrayRef, kind: Kind, out: &mut Vec<Value>) -> Result<()> {
    for i in 0..array.len() {
        if array.is_null(i) {
            out.push(Value::Null);
            continue;
        }
        out.push(match (kind, array.data_type()) {
            (Kind::Int | Kind::Bytes, DataType::Int16) => {
                Value::Int(array.as_primitive::<Int16Type>().value(i).into())
            }
            (Kind::Int | Kind::Bytes, DataType::Int32) => {
                Value::Int(array.as_primitive::<Int32Type>().value(i).into())
            }
            (Kind::Int | Kind::Bytes, _) => Value::Int(array.as_primitive::<Int64Type>().value(i)),
            (Kind::Float, _) => Value::Float(array.as_primitive::<Float64Type>().value(i)),
            (Kind::Money | Kind::Decimal, DataType::Decimal128(_, scale)) => {
                let mantissa = array.as_primitive::<Decimal128Type>().value(i);
                Value::Decimal(Decimal::try_from_i128_with_scale(mantissa, *scale as u32)?)
            }
            (Kind::Bool, _) => Value::Bool(array.as_boolean().value(i)),
            (Kind::Text, _) => Value::Text(array.as_string::<i32>().value(i).to_string()),
            (Kind::Enum, _) => {
                let dictionary = array.as_dictionary::<Int32Type>();
                let labels = dictionary.values().as_string::<i32>();
                Value::Text(labels.value(dictionary.keys().value(i) as usize).to_string())
            }
            (Kind::Timestamp, _) => {
                let micros = array.as_primitive::<TimestampMicrosecondType>().value(i);
                Value::Timestamp(DateTime::from_timestamp_micros(micros).unwrap_or_default())
            }
            (Kind::Date, _) => {
                let days = array.as_primitive::<Date32Type>().value(i);
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                Value::Date(epoch + chrono::Duration::days(days.into()))
            }
            (Kind::List, _) => {
                let list = array.as_list::<i32>().value(i);
                let items = list.as_string::<i32>();
                Value::List((0..items.len()).map(|j| items.value(j).to_string()).collect())
            }
            (Kind::Uuid, _) => Value::Uuid(uuid::Uuid::from_slice(array.as_fixed_size_binary().value(i))?),
            (kind, data_type) => bail!("cannot read {data_type} as {kind:?}"),
        });
    }
    Ok(())
}

/// The frame stored in `path`, named `name`.
pub fn frame(path: &Path, name: &str) -> Result<Frame> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
    let schema = reader.schema().clone();
    let kinds: Vec<Kind> = schema.fields().iter().map(|f| kind(f)).collect::<Result<_>>()?;
    let columns = schema.fields().iter().zip(&kinds).map(|(f, k)| Column::new(f.name(), *k)).collect();
    let mut frame = Frame::new(name, columns);
    for batch in reader.build()? {
        let batch: RecordBatch = batch?;
        let mut cells: Vec<Vec<Value>> = Vec::with_capacity(batch.num_columns());
        for (array, kind) in batch.columns().iter().zip(&kinds) {
            let mut column = Vec::with_capacity(batch.num_rows());
            values(array, *kind, &mut column)?;
            cells.push(column);
        }
        for row in 0..batch.num_rows() {
            frame.push(cells.iter().map(|column| column[row].clone()).collect());
        }
    }
    Ok(frame)
}
