//! Rows of a query into a frame: each column's kind from its PostgreSQL type (and the
//! money naming convention), numeric(p,s) with its precision and scale, every value read
//! or an error naming the helper and the column.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::Type;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::DbError;
use crate::frame::{is_money, Column, Frame, Kind, Value};

/// The label of any PostgreSQL enum value (its binary form is the label's bytes).
struct EnumLabel(String);

impl<'a> tokio_postgres::types::FromSql<'a> for EnumLabel {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(EnumLabel(std::str::from_utf8(raw)?.to_string()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), tokio_postgres::types::Kind::Enum(_))
    }
}

/// A column of a query's result: numeric(p,s) keeps its precision and scale (the type
/// modifier is (p << 16 | s) + 4; -1, or a negative scale, says nothing).
fn column_of(column: &tokio_postgres::Column) -> Column {
    let mut out = Column::new(column.name(), kind_of(column.name(), column.type_()));
    let modifier = column.type_modifier();
    if *column.type_() == tokio_postgres::types::Type::NUMERIC && modifier >= 4 {
        let (precision, scale) = (((modifier - 4) >> 16) & 0xffff, (modifier - 4) & 0xffff);
        if (1..=38).contains(&precision) && scale <= precision {
            out.precision = Some(precision as u8);
            out.scale = Some(scale as u32);
        }
    }
    out
}

/// A frame from the results of `helper`: the column kinds follow the PostgreSQL types
/// (and the money naming convention), so a helper's SELECT list decides its output. A
/// value that cannot be read is an error naming the helper and the column.
pub fn frame_from_rows(
    name: &str,
    helper: &str,
    columns: &[tokio_postgres::Column],
    rows: Vec<Row>,
) -> Result<Frame, DbError> {
    let mut frame = empty_frame(name, columns);
    frame.rows.reserve(rows.len());
    for row in rows {
        let values = read_row(&frame.columns, helper, &row)?;
        frame.rows.push(values);
    }
    Ok(frame)
}

/// A frame with the columns of a statement's results and no rows yet.
pub fn empty_frame(name: &str, columns: &[tokio_postgres::Column]) -> Frame {
    Frame::new(name, columns.iter().map(column_of).collect())
}

/// One row's values, read as `columns` say.
pub fn read_row(columns: &[Column], helper: &str, row: &Row) -> Result<Vec<Value>, DbError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            read_value(row, i, column.kind).map_err(|err| DbError::Decode {
                helper: helper.to_string(),
                column: column.name.clone(),
                reason: crate::db::decode_reason(&err),
            })
        })
        .collect()
}

fn kind_of(name: &str, ty: &Type) -> Kind {
    match *ty {
        Type::BOOL => Kind::Bool,
        Type::INT2 | Type::INT4 | Type::INT8 => Kind::of_integer(name),
        Type::OID => Kind::Int,
        Type::FLOAT4 | Type::FLOAT8 => Kind::Float,
        Type::NUMERIC if is_money(name) => Kind::Money,
        Type::NUMERIC => Kind::Decimal,
        Type::UUID => Kind::Uuid,
        Type::TIMESTAMPTZ => Kind::Timestamp,
        Type::DATE => Kind::Date,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::NAME_ARRAY => Kind::List,
        _ => match ty.kind() {
            // the schema's enums read as their labels
            tokio_postgres::types::Kind::Enum(_) => Kind::Enum,
            _ => Kind::Text,
        },
    }
}

fn read_value(row: &Row, i: usize, kind: Kind) -> Result<Value, tokio_postgres::Error> {
    let ty = row.columns()[i].type_();
    let value = match kind {
        Kind::Bool => row.try_get::<_, Option<bool>>(i).map(|v| v.map(Value::Bool)),
        Kind::Int | Kind::Bytes | Kind::Id => match *ty {
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map(|v| v.map(|n| Value::Int(n.into()))),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map(|v| v.map(|n| Value::Int(n.into()))),
            Type::OID => row.try_get::<_, Option<u32>>(i).map(|v| v.map(|n| Value::Int(n.into()))),
            _ => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
        },
        Kind::Float => match *ty {
            Type::FLOAT4 => row.try_get::<_, Option<f32>>(i).map(|v| v.map(|n| Value::Float(n.into()))),
            _ => row.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Float)),
        },
        Kind::Decimal | Kind::Money => row.try_get::<_, Option<Decimal>>(i).map(|v| v.map(Value::Decimal)),
        Kind::Uuid => row.try_get::<_, Option<Uuid>>(i).map(|v| v.map(Value::Uuid)),
        Kind::Timestamp => row.try_get::<_, Option<DateTime<Utc>>>(i).map(|v| v.map(Value::Timestamp)),
        Kind::Date => row.try_get::<_, Option<NaiveDate>>(i).map(|v| v.map(Value::Date)),
        Kind::List => row.try_get::<_, Option<Vec<String>>>(i).map(|v| v.map(Value::List)),
        Kind::Enum => row.try_get::<_, Option<EnumLabel>>(i).map(|v| v.map(|label| Value::Text(label.0))),
        Kind::Text => match *ty {
            Type::JSON | Type::JSONB => row
                .try_get::<_, Option<serde_json::Value>>(i)
                .map(|v| v.map(|json| Value::Text(json.to_string()))),
            _ => row.try_get::<_, Option<String>>(i).map(|v| v.map(Value::Text)),
        },
    };
    Ok(value?.unwrap_or(Value::Null))
}
