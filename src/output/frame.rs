//! The data every command hands to the output layer: named, typed columns and rows of
//! values. Queries and analytics build frames; only `output` turns them into text.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::Type;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::DbError;

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

/// How a column is rendered: alignment and grouping in tables, quoting in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Float,
    Decimal,
    /// Exact money: thousands separators in tables, a string in JSON.
    Money,
    Bool,
    Uuid,
    Timestamp,
    Date,
    List,
    /// A size in bytes: humanised in tables, a plain number elsewhere.
    Bytes,
    /// A label of one of the schema's enums, shown as text.
    Enum,
}

impl Kind {
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Float | Kind::Decimal | Kind::Money | Kind::Bytes)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Text(String),
    Uuid(Uuid),
    Timestamp(DateTime<Utc>),
    Date(NaiveDate),
    List(Vec<String>),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_string())
    }
}
impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Decimal> for Value {
    fn from(d: Decimal) -> Self {
        Value::Decimal(d)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// The decimals of an exact column when they are known up front (a computed rate),
    /// so that a Parquet schema does not depend on which values a run happened to have.
    pub scale: Option<u32>,
    /// The digits of an exact column when its type says so (numeric(5,2) from the
    /// database): Parquet writes that precision rather than the widest.
    pub precision: Option<u8>,
}

impl Column {
    pub fn new(name: &str, kind: Kind) -> Column {
        Column { name: name.to_string(), kind, scale: None, precision: None }
    }

    pub fn with_scale(mut self, scale: u32) -> Column {
        self.scale = Some(scale);
        self
    }

    /// A column of a query's result: numeric(p,s) keeps its precision and scale (the
    /// type modifier is (p << 16 | s) + 4; -1, or a negative scale, says nothing).
    fn of_result(column: &tokio_postgres::Column) -> Column {
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
}

/// How a frame reads best in a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A grid with a header row.
    Grid,
    /// One record shown as `field  value` lines.
    Record,
    /// ✓/✗ lines (columns: ok, check, ms, detail).
    Checklist,
}

#[derive(Debug, Clone)]
pub struct Frame {
    /// The section's key in JSON and ndjson when a report has several.
    pub name: String,
    /// A heading above the table.
    pub title: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Shown in a table when there are no rows ("no bugs match").
    pub empty: String,
    /// Shown under a table ("rows 1–50 of 1,234"); on stderr for other formats.
    pub footer: Option<String>,
    pub style: Style,
}

impl Frame {
    pub fn new(name: &str, columns: Vec<Column>) -> Frame {
        Frame {
            name: name.to_string(),
            title: None,
            columns,
            rows: Vec::new(),
            empty: format!("no {} found", name.replace('_', " ")),
            footer: None,
            style: Style::Grid,
        }
    }

    /// A frame from the results of `helper`: the column kinds follow the PostgreSQL types
    /// (and the money naming convention), so a helper's SELECT list decides its output. A
    /// value that cannot be read is an error naming the helper and the column.
    pub fn from_rows(
        name: &str,
        helper: &str,
        columns: &[tokio_postgres::Column],
        rows: &[Row],
    ) -> Result<Frame, DbError> {
        let columns: Vec<Column> = columns.iter().map(Column::of_result).collect();
        let mut frame = Frame::new(name, columns);
        frame.rows = rows
            .iter()
            .map(|row| {
                frame
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, column)| {
                        read_value(row, i, column.kind).map_err(|err| DbError::Decode {
                            helper: helper.to_string(),
                            column: column.name.clone(),
                            reason: crate::db::decode_reason(&err),
                        })
                    })
                    .collect::<Result<Vec<Value>, DbError>>()
            })
            .collect::<Result<_, _>>()?;
        Ok(frame)
    }

    pub fn titled(mut self, title: impl Into<String>) -> Frame {
        self.title = Some(title.into());
        self
    }

    /// The same frame under another section name (for JSON keys).
    pub fn renamed(mut self, name: &str) -> Frame {
        self.name = name.to_string();
        self
    }

    pub fn when_empty(mut self, message: impl Into<String>) -> Frame {
        self.empty = message.into();
        self
    }

    pub fn styled(mut self, style: Style) -> Frame {
        self.style = style;
        self
    }

    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Money columns by name: the database types say NUMERIC, the meaning is in the name.
pub fn is_money(name: &str) -> bool {
    matches!(
        name,
        "arr"
            | "total_arr"
            | "monthly_infra_cost"
            | "total_monthly_infra_cost"
            | "revenue_impact_daily"
            | "revenue_projection_12m"
            | "dcf_valuation"
            | "total_valuation"
            | "engineering_cost"
            | "annual_cost"
            | "cost_per_resolved_bug"
            | "revenue_at_risk_daily"
    ) || name.ends_with("_cost")
}

fn kind_of(name: &str, ty: &Type) -> Kind {
    match *ty {
        Type::BOOL => Kind::Bool,
        Type::INT2 | Type::INT4 | Type::INT8 if name.ends_with("_bytes") => Kind::Bytes,
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => Kind::Int,
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
        Kind::Int | Kind::Bytes => match *ty {
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

/// What a command hands to the output layer: one or more frames, and warnings that go to
/// stderr whatever the format.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub frames: Vec<Frame>,
}

impl Report {
    pub fn single(frame: Frame) -> Report {
        Report { frames: vec![frame] }
    }

    pub fn push(&mut self, frame: Frame) {
        self.frames.push(frame);
    }
}
