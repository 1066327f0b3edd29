//! The tabular result every layer passes around: named, typed columns and rows of values.
//! Queries (`queries::rows`), analytics and snapshots build frames; `output` renders them;
//! `export` and `snapshot` store and read them. It knows no database and no format.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

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
    /// An identifier that is a number (a bug number, a version, a year, a port): never
    /// grouped with thousands separators, so that it can be typed back.
    Id,
    /// A label of one of the schema's enums, shown as text.
    Enum,
}

impl Kind {
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Float | Kind::Decimal | Kind::Money | Kind::Bytes | Kind::Id)
    }

    /// The kind of an integer column, by its name: sizes (`*_bytes`) and identifiers
    /// (`bug`, `oldest_bug`, `*_number`, `version`, `year`, `port`, `pid`) are told apart
    /// from counts. One rule for frames read from queries and from snapshots.
    pub fn of_integer(name: &str) -> Kind {
        if name.ends_with("_bytes") {
            Kind::Bytes
        } else if name == "bug"
            || name.ends_with("_bug")
            || name.ends_with("_number")
            || matches!(name, "number" | "version" | "year" | "port" | "pid")
        {
            Kind::Id
        } else {
            Kind::Int
        }
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
    /// Which rows of a longer list these are: the output says so ("rows 1–50 of
    /// 1,234") under a table, on stderr for other formats.
    pub page: Option<Window>,
    pub style: Style,
    /// The columns a narrow table keeps first, most important first (the others after
    /// them in their order); empty: the columns' own order.
    pub priority: Vec<&'static str>,
}

impl Frame {
    pub fn new(name: &str, columns: Vec<Column>) -> Frame {
        Frame {
            name: name.to_string(),
            title: None,
            columns,
            rows: Vec::new(),
            empty: format!("no {} found", name.replace('_', " ")),
            page: None,
            style: Style::Grid,
            priority: Vec::new(),
        }
    }

    /// Which columns a table too narrow for all of them keeps first.
    pub fn prioritised(mut self, columns: &[&'static str]) -> Frame {
        self.priority = columns.to_vec();
        self
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

    /// Marks the rows as one page, starting after `offset` rows, of `total`.
    pub fn paged(&mut self, offset: i64, total: i64) {
        self.page = Some(Window { offset, total });
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A page of a longer list: how many rows come before it, and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: i64,
    pub total: i64,
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

/// A column's or metric's name in words, for people: underscores become spaces and the
/// acronyms capitals (`total_arr` → "total ARR", `sla_breaches` → "SLA breaches",
/// `change_pct` → "change %").
pub fn words(name: &str) -> String {
    name.split('_')
        .filter(|word| !word.is_empty())
        .map(|word| match word {
            "arr" | "sla" | "roi" | "mttr" | "dcf" | "id" | "csv" | "url" => word.to_ascii_uppercase(),
            "pct" => "%".to_string(),
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_read_as_words() {
        assert_eq!(super::words("total_arr"), "total ARR");
        assert_eq!(super::words("sla_breaches"), "SLA breaches");
        assert_eq!(super::words("change_pct"), "change %");
        assert_eq!(super::words("roi_score"), "ROI score");
        assert_eq!(super::words("open_bugs"), "open bugs");
    }
}
