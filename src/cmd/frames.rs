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
        "month" => rows.iter().map(|r| r.get::<_, String>("month")).collect::<Vec<_>>(),
        "bugs_opened" => rows.iter().map(|r| r.get::<_, i64>("bugs_opened")).collect::<Vec<_>>(),
        "bugs_resolved" => rows.iter().map(|r| r.get::<_, i64>("bugs_resolved")).collect::<Vec<_>>(),
        "resolution_hours_sum" => rows.iter().map(|r| r.get::<_, f64>("resolution_hours_sum")).collect::<Vec<_>>(),
        "engineering_hours" => rows.iter().map(|r| r.get::<_, f64>("engineering_hours")).collect::<Vec<_>>(),
        "engineering_cost" => rows.iter().map(|r| r.get::<_, f64>("engineering_cost")).collect::<Vec<_>>(),
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
        "severity" => rows.iter().map(|r| r.get::<_, String>("severity")).collect::<Vec<_>>(),
        "bugs_resolved" => rows.iter().map(|r| r.get::<_, i64>("bugs_resolved")).collect::<Vec<_>>(),
        "resolution_hours" => rows.iter().map(|r| r.get::<_, f64>("resolution_hours")).collect::<Vec<_>>(),
        "within_sla" => rows.iter().map(|r| r.get::<_, i64>("within_sla")).collect::<Vec<_>>(),
        "engineering_hours" => rows.iter().map(|r| r.get::<_, f64>("engineering_hours")).collect::<Vec<_>>(),
        "engineering_cost" => rows.iter().map(|r| r.get::<_, f64>("engineering_cost")).collect::<Vec<_>>(),
    )
    .context("while preparing the engineering metrics")?;
    let metrics = engineering::engineering_metrics(input.lazy())
        .and_then(|lazy| lazy.collect())
        .context("while computing the engineering metrics")?;
    to_output(&metrics, "engineering")
}
