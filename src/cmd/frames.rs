//! Glue between the analytics (Polars frames) and the output layer: query rows into
//! DataFrames, computed DataFrames into output frames.

use anyhow::{Context as _, Result};
use polars::prelude::{df, DataFrame, DataType, IntoLazy};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use tokio_postgres::Row;

use crate::analytics::{self, engineering, trends};
use crate::output::{is_money, Column, Frame, Kind, Value};

/// A computed DataFrame as an output frame: strings as text, integers as integers, floats
/// as floats except money columns, which become exact decimals with two places.
pub fn to_output(data: &DataFrame, name: &str) -> Result<Frame> {
    let mut columns = Vec::new();
    let mut values: Vec<Vec<Value>> = vec![Vec::new(); data.height()];
    for series in data.columns() {
        let column = series.name().to_string();
        let kind = match series.dtype() {
            DataType::String => Kind::Text,
            DataType::Int32 | DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Kind::Int,
            _ if is_money(&column) => Kind::Money,
            _ => Kind::Float,
        };
        let cells: Vec<Value> = match kind {
            Kind::Text => {
                let text = series.str()?;
                (0..text.len())
                    .map(|i| text.get(i).map_or(Value::Null, |s| Value::Text(s.to_string())))
                    .collect()
            }
            Kind::Int => analytics::i64_values(data, &column)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, Value::Int))
                .collect(),
            Kind::Money => analytics::f64_values(data, &column)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, money))
                .collect(),
            _ => analytics::f64_values(data, &column)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, Value::Float))
                .collect(),
        };
        for (row, cell) in values.iter_mut().zip(cells) {
            row.push(cell);
        }
        columns.push(Column::new(&column, kind));
    }
    let mut frame = Frame::new(name, columns);
    frame.rows = values;
    Ok(frame)
}

/// One column of query rows, for a DataFrame.
pub fn column<'a, T: tokio_postgres::types::FromSql<'a>>(rows: &'a [Row], name: &str) -> Vec<T> {
    rows.iter().map(|row| row.get::<_, T>(name)).collect()
}

/// Money computed in floating point, as the exact two-place decimal shown and stored.
fn money(amount: f64) -> Value {
    Decimal::from_f64(amount).map_or(Value::Null, |d| {
        let mut cents = d.round_dp(2);
        cents.rescale(2);
        Value::Decimal(cents)
    })
}

/// The trend frames of metrics/trends.sql rows: one row per month, and the inflow slope.
pub fn trends(rows: &[Row]) -> Result<(Frame, Frame)> {
    let input = df!(
        "month" => column::<String>(rows, "month"),
        "bugs_opened" => column::<i64>(rows, "bugs_opened"),
        "bugs_resolved" => column::<i64>(rows, "bugs_resolved"),
        "resolution_hours_sum" => column::<f64>(rows, "resolution_hours_sum"),
        "engineering_hours" => column::<f64>(rows, "engineering_hours"),
        "engineering_cost" => column::<f64>(rows, "engineering_cost"),
    )
    .context("while preparing the trends")?;
    let monthly =
        trends::monthly_trends(input.clone().lazy()).collect().context("while computing the trends")?;
    let slope = trends::inflow_slope(input.lazy()).collect().context("while computing the inflow slope")?;
    Ok((to_output(&monthly, "trends")?.when_empty("no months in the window"), to_output(&slope, "inflow")?))
}

/// The engineering metrics of metrics/engineering.sql rows.
pub fn engineering(rows: &[Row]) -> Result<Frame> {
    let input = df!(
        "severity" => column::<String>(rows, "severity"),
        "bugs_resolved" => column::<i64>(rows, "bugs_resolved"),
        "resolution_hours" => column::<f64>(rows, "resolution_hours"),
        "within_sla" => column::<i64>(rows, "within_sla"),
        "engineering_hours" => column::<f64>(rows, "engineering_hours"),
        "engineering_cost" => column::<f64>(rows, "engineering_cost"),
    )
    .context("while preparing the engineering metrics")?;
    let metrics = engineering::engineering_metrics(input.lazy())
        .and_then(|lazy| lazy.collect())
        .context("while computing the engineering metrics")?;
    to_output(&metrics, "engineering")
}
