//! Which Arrow type each PostgreSQL column becomes (SPEC §8), from the catalog: numeric(p,s)
//! → Decimal128(p,s); uuid → its canonical text (`--uuid text`, the default: Spark cannot
//! read Parquet's UUID type and Polars shows it as bytes), or FixedSizeBinary(16) with the
//! UUID extension (the Parquet UUID logical type, `--uuid binary`); enums → dictionary-encoded strings; timestamptz → Timestamp(µs,
//! UTC); date → Date32; smallint, integer, bigint → Int16/32/64; boolean; text → Utf8;
//! text[] → List<Utf8>; jsonb and inet → Utf8. Any other type is an error naming the table
//! and the column.

use std::sync::Arc;

use anyhow::{bail, Result};
use arrow_schema::extension::Uuid as UuidExtension;
use arrow_schema::{DataType, Field, TimeUnit};
use tokio_postgres::Row;

use crate::db;
use crate::sql;

/// How uuids are stored (`--uuid`), recorded in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum UuidEncoding {
    /// canonical text (`8-4-4-4-12` lower-case hex): every engine reads it as an id
    #[default]
    Text,
    /// Parquet's UUID type (16 bytes): smaller, but Spark cannot read it
    Binary,
}

impl UuidEncoding {
    pub fn label(self) -> &'static str {
        match self {
            UuidEncoding::Text => "text",
            UuidEncoding::Binary => "binary",
        }
    }
}

/// How a column is decoded from binary COPY and stored in Arrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Bool,
    Int16,
    Int32,
    Int64,
    Decimal { precision: u8, scale: i8 },
    Uuid,
    UuidText,
    Text,
    Enum,
    Timestamp,
    Date,
    TextArray,
    Jsonb,
    Inet,
}

#[derive(Debug, Clone)]
pub struct ExportColumn {
    pub name: String,
    pub kind: ColumnKind,
    pub nullable: bool,
    /// An enum's labels, in the type's order: the dictionary its values are keys into.
    pub labels: Vec<String>,
}

impl ExportColumn {
    /// The column of sql/export/columns.sql's row, or an error for a type with no
    /// faithful Arrow form.
    pub fn from_catalog(table: &str, row: &Row, uuid: UuidEncoding) -> Result<ExportColumn> {
        let helper = sql::EXPORT_COLUMNS.name;
        let name: String = db::get(row, helper, "name")?;
        let type_name: String = db::get(row, helper, "type_name")?;
        let type_kind: String = db::get(row, helper, "type_kind")?;
        let element: Option<String> = db::get(row, helper, "element_type")?;
        let precision: Option<i32> = db::get(row, helper, "numeric_precision")?;
        let scale: Option<i32> = db::get(row, helper, "numeric_scale")?;
        let not_null: bool = db::get(row, helper, "not_null")?;
        let labels: Option<Vec<String>> = db::get(row, helper, "enum_labels")?;
        let kind = match (type_name.as_str(), type_kind.as_str(), element.as_deref()) {
            ("bool", _, _) => ColumnKind::Bool,
            ("int2", _, _) => ColumnKind::Int16,
            ("int4", _, _) => ColumnKind::Int32,
            ("int8", _, _) => ColumnKind::Int64,
            ("numeric", _, _) => match (precision, scale) {
                (Some(p), Some(s)) if (1..=38).contains(&p) && (0..=p).contains(&s) => {
                    ColumnKind::Decimal { precision: p as u8, scale: s as i8 }
                }
                _ => bail!(
                    "cannot export {table}.{name}: a numeric without precision and scale has no exact Parquet decimal type"
                ),
            },
            ("uuid", _, _) if uuid == UuidEncoding::Text => ColumnKind::UuidText,
            ("uuid", _, _) => ColumnKind::Uuid,
            ("text" | "varchar", _, _) => ColumnKind::Text,
            (_, "e", _) => ColumnKind::Enum,
            ("timestamptz", _, _) => ColumnKind::Timestamp,
            ("date", _, _) => ColumnKind::Date,
            ("_text" | "_varchar", _, Some("text" | "varchar")) => ColumnKind::TextArray,
            ("jsonb", _, _) => ColumnKind::Jsonb,
            ("inet", _, _) => ColumnKind::Inet,
            _ => bail!("cannot export {table}.{name}: ctodb has no Parquet form for type {type_name}"),
        };
        Ok(ExportColumn { name, kind, nullable: !not_null, labels: labels.unwrap_or_default() })
    }

    /// Whether the column's values are mostly distinct (ids, free text, instants, amounts),
    /// so that a Parquet dictionary would not pay for itself.
    pub fn mostly_distinct(&self) -> bool {
        // a key is distinct; a uuid that refers to another row (project_id, assignee_id)
        // repeats, and a dictionary stores each once (at xl, project_metrics with text
        // uuids: 152 MB with both uuid columns plain, 89 MB with project_id in a dictionary)
        if matches!(self.kind, ColumnKind::Uuid | ColumnKind::UuidText) {
            return self.name == "id";
        }
        matches!(
            self.kind,
            ColumnKind::Text
                | ColumnKind::Jsonb
                | ColumnKind::Inet
                | ColumnKind::Timestamp
                | ColumnKind::Decimal { .. }
                | ColumnKind::Int64
        )
    }

    /// The column's Arrow field.
    pub fn field(&self) -> Field {
        let data_type = match self.kind {
            ColumnKind::Bool => DataType::Boolean,
            ColumnKind::Int16 => DataType::Int16,
            ColumnKind::Int32 => DataType::Int32,
            ColumnKind::Int64 => DataType::Int64,
            ColumnKind::Decimal { precision, scale } => DataType::Decimal128(precision, scale),
            ColumnKind::Uuid => DataType::FixedSizeBinary(16),
            ColumnKind::Text | ColumnKind::UuidText | ColumnKind::Jsonb | ColumnKind::Inet => DataType::Utf8,
            ColumnKind::Enum => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            ColumnKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))),
            ColumnKind::Date => DataType::Date32,
            ColumnKind::TextArray => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        };
        let field = Field::new(&self.name, data_type, self.nullable);
        if self.kind == ColumnKind::Uuid {
            // FixedSizeBinary(16) carrying the extension is written as Parquet's UUID
            field.with_extension_type(UuidExtension)
        } else {
            field
        }
    }
}
