//! The computed reports as output frames: the trends and engineering metrics of
//! `analytics`, column by column, with exact decimals (money as money).

use rust_decimal::Decimal;

use crate::analytics::engineering::EngineeringRow;
use crate::analytics::trends::{MonthTrends, MEASURES};
use crate::frame::{is_money, Column, Frame, Kind, Value};

fn decimal(value: Option<Decimal>) -> Value {
    value.map_or(Value::Null, Value::Decimal)
}

/// One row per month: each measure, its change in percent and its rolling mean.
pub fn trends(months: &[MonthTrends]) -> Frame {
    let mut columns = vec![Column::new("month", Kind::Date)];
    for (measure, places) in MEASURES {
        let kind = match (places, is_money(measure)) {
            (0, _) => Kind::Int,
            (_, true) => Kind::Money,
            _ => Kind::Decimal,
        };
        columns.push(Column::new(measure, kind).with_scale(places));
        columns.push(Column::new(&format!("{measure}_mom_pct"), Kind::Decimal).with_scale(2));
        columns.push(Column::new(&format!("{measure}_rolling_3"), Kind::Decimal).with_scale(places.max(2)));
    }
    let mut frame = Frame::new("trends", columns).when_empty("no months in the window");
    for month in months {
        let mut row = vec![Value::Date(month.month)];
        for ((_, places), trend) in MEASURES.iter().zip(&month.measures) {
            row.push(match (places, trend.value) {
                // counts are whole numbers, exact as they are
                (0, Some(count)) => count.try_into().map_or(Value::Decimal(count), Value::Int),
                (_, value) => decimal(value),
            });
            row.push(decimal(trend.mom_pct));
            row.push(decimal(trend.rolling_3));
        }
        frame.push(row);
    }
    frame
}

/// The inflow slope and the number of months it was fitted over.
pub fn inflow(months: usize, slope: Option<Decimal>) -> Frame {
    let mut frame = Frame::new(
        "inflow",
        vec![
            Column::new("months", Kind::Int),
            Column::new("bugs_opened_slope_per_month", Kind::Decimal).with_scale(4),
        ],
    );
    frame.push(vec![Value::Int(months as i64), decimal(slope)]);
    frame
}

/// One row per severity and one over all of them.
pub fn engineering(rows: &[EngineeringRow]) -> Frame {
    let mut frame = Frame::new(
        "engineering",
        vec![
            Column::new("severity", Kind::Text),
            Column::new("bugs_resolved", Kind::Int),
            Column::new("mean_resolution_hours", Kind::Decimal).with_scale(2),
            Column::new("sla_compliance", Kind::Decimal).with_scale(4),
            Column::new("resolved_per_100_hours", Kind::Decimal).with_scale(2),
            Column::new("cost_per_resolved_bug", Kind::Money).with_scale(2),
            Column::new("engineering_hours", Kind::Decimal).with_scale(2),
            Column::new("engineering_cost", Kind::Money).with_scale(2),
        ],
    );
    for row in rows {
        frame.push(vec![
            Value::from(row.severity.map_or("all", |s| s.label())),
            Value::Int(row.bugs_resolved),
            decimal(row.mean_resolution_hours),
            decimal(row.sla_compliance),
            decimal(row.resolved_per_100_hours),
            decimal(row.cost_per_resolved_bug),
            decimal(row.engineering_hours),
            decimal(row.engineering_cost),
        ]);
    }
    frame
}

/// The trends' months as sparklines, one a measure (tables on a terminal only).
pub fn sparklines(trends: &Frame) -> Frame {
    let mut frame = Frame::new(
        "sparklines",
        vec![
            Column::new("measure", Kind::Text),
            Column::new("months", Kind::Text),
            Column::new("last", Kind::Text),
        ],
    );
    for measure in ["bugs_opened", "bugs_resolved", "mttr_hours", "engineering_cost"] {
        let Some(i) = trends.column_index(measure) else { continue };
        let values: Vec<f64> = trends
            .rows
            .iter()
            .map(|row| match &row[i] {
                Value::Int(n) => *n as f64,
                Value::Decimal(d) => rust_decimal::prelude::ToPrimitive::to_f64(d).unwrap_or(0.0),
                _ => 0.0,
            })
            .collect();
        let last = trends.rows.last().map_or(String::new(), |row| super::render::plain(&row[i]));
        frame.push(vec![
            Value::from(measure),
            Value::Text(super::render::sparkline(&values)),
            Value::Text(last),
        ]);
    }
    frame
}
