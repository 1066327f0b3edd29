//! Turns the trend inputs of metrics/trends.sql into the trend frames (Polars) and those
//! into output frames.

use anyhow::{Context as _, Result};
use polars::prelude::{df, IntoLazy};
use tokio_postgres::Row;

use crate::analytics::{self, trends};
use crate::output::{Column, Frame, Kind, Value};

pub fn frames(rows: &[Row]) -> Result<(Frame, Frame)> {
    let months: Vec<String> = rows.iter().map(|r| r.get("month")).collect();
    let input = df!(
        "month" => months.clone(),
        "bugs_opened" => rows.iter().map(|r| r.get::<_, i64>("bugs_opened")).collect::<Vec<_>>(),
        "bugs_resolved" => rows.iter().map(|r| r.get::<_, i64>("bugs_resolved")).collect::<Vec<_>>(),
        "resolution_hours_sum" => rows.iter().map(|r| r.get::<_, f64>("resolution_hours_sum")).collect::<Vec<_>>(),
        "engineering_hours" => rows.iter().map(|r| r.get::<_, f64>("engineering_hours")).collect::<Vec<_>>(),
        "engineering_cost" => rows.iter().map(|r| r.get::<_, f64>("engineering_cost")).collect::<Vec<_>>(),
    )
    .context("while preparing the trends")?;
    let computed =
        trends::monthly_trends(input.clone().lazy()).collect().context("while computing the trends")?;
    let slope = trends::inflow_slope(input.lazy()).collect().context("while computing the inflow slope")?;

    let names: Vec<String> =
        computed.get_column_names().iter().map(|n| n.to_string()).filter(|n| n != "month").collect();
    let mut columns = vec![Column::new("month", Kind::Date)];
    let mut values = Vec::new();
    for name in &names {
        let kind = if name.starts_with("engineering_cost") || name.starts_with("cost_per_resolved_bug") {
            Kind::Money
        } else {
            Kind::Float
        };
        columns.push(Column::new(name, kind));
        values.push(analytics::f64_values(&computed, name)?);
    }
    let mut frame = Frame::new("trends", columns).when_empty("no months in the window");
    for (i, month) in months.iter().enumerate() {
        let mut row =
            vec![chrono::NaiveDate::parse_from_str(month, "%Y-%m-%d").map_or(Value::Null, Value::Date)];
        for (name, column) in names.iter().zip(&values) {
            row.push(match column[i] {
                None => Value::Null,
                Some(x)
                    if name.starts_with("engineering_cost") || name.starts_with("cost_per_resolved_bug") =>
                {
                    rust_decimal::prelude::FromPrimitive::from_f64(x).map_or(
                        Value::Null,
                        |d: rust_decimal::Decimal| {
                            let mut cents = d.round_dp(2);
                            cents.rescale(2);
                            Value::Decimal(cents)
                        },
                    )
                }
                Some(x) => Value::Float(x),
            });
        }
        frame.push(row);
    }

    let mut summary = Frame::new(
        "inflow",
        vec![Column::new("months", Kind::Int), Column::new("bugs_opened_slope_per_month", Kind::Float)],
    );
    let count = analytics::i64_values(&slope, "months")?;
    let per_month = analytics::f64_values(&slope, "bugs_opened_slope_per_month")?;
    summary
        .push(vec![count[0].map_or(Value::Null, Value::Int), per_month[0].map_or(Value::Null, Value::Float)]);
    Ok((frame, summary))
}
