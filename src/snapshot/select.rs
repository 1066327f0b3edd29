//! Queries over stored frames, with Polars: the rows a filter keeps in a given order, a
//! page of them, some of their columns. The reports and listings that read a snapshot use
//! these on its stored frames.

use std::cmp::Ordering;

use anyhow::{bail, Result};

use crate::frame::{Frame, Value};

pub fn text<'a>(frame: &'a Frame, row: &'a [Value], column: &str) -> Option<&'a str> {
    match frame.column_index(column).map(|i| &row[i]) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

pub fn value<'a>(frame: &Frame, row: &'a [Value], column: &str) -> &'a Value {
    frame.column_index(column).map_or(&Value::Null, |i| &row[i])
}

/// Orders two values of one column; NULLs last whichever the direction.
pub fn compare(a: &Value, b: &Value, descending: bool) -> Ordering {
    let order = match (a, b) {
        (Value::Null, Value::Null) => return Ordering::Equal,
        (Value::Null, _) => return Ordering::Greater,
        (_, Value::Null) => return Ordering::Less,
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        _ => Ordering::Equal,
    };
    if descending {
        order.reverse()
    } else {
        order
    }
}

/// A column of a frame as a Polars column, for filtering and sorting: integers, exact
/// decimals as integers at the column's largest scale (so their order is exact), instants
/// as microseconds, text, flags.
fn polars_column(frame: &Frame, name: &str) -> Result<polars::prelude::Column> {
    use polars::prelude::{Column as PolarsColumn, NamedFrom, Series};
    let Some(i) = frame.column_index(name) else {
        bail!("the stored frame {} has no column {name}", frame.name)
    };
    let values: Vec<&Value> = frame.rows.iter().map(|row| &row[i]).collect();
    let scale =
        values.iter().filter_map(|v| if let Value::Decimal(d) = v { Some(d.scale()) } else { None }).max();
    let series = match values.iter().find(|v| !matches!(v, Value::Null)) {
        Some(Value::Text(_)) => Series::new(
            name.into(),
            values
                .iter()
                .map(|v| if let Value::Text(t) = v { Some(t.as_str()) } else { None })
                .collect::<Vec<_>>(),
        ),
        Some(Value::Bool(_)) => Series::new(
            name.into(),
            values.iter().map(|v| if let Value::Bool(b) = v { Some(*b) } else { None }).collect::<Vec<_>>(),
        ),
        _ => {
            let integers: Vec<Option<i64>> = values
                .iter()
                .map(|v| match v {
                    Value::Int(n) => Some(*n),
                    Value::Timestamp(t) => Some(t.timestamp_micros()),
                    Value::Decimal(d) => {
                        let mut d = *d;
                        d.rescale(scale.unwrap_or(0));
                        i64::try_from(d.mantissa()).ok()
                    }
                    _ => None,
                })
                .collect();
            Series::new(name.into(), integers)
        }
    };
    Ok(PolarsColumn::from(series))
}

/// The rows of `frame` that `filter` keeps, in the order of `sort` (column, descending),
/// NULLs last: computed with Polars over the columns they name.
pub fn select_rows(
    mut frame: Frame,
    columns: &[&str],
    filter: polars::prelude::Expr,
    sort: &[(&str, bool)],
) -> Result<Frame> {
    use polars::prelude::{col, DataFrame, IntoLazy, SortMultipleOptions};
    let mut data: Vec<polars::prelude::Column> = Vec::new();
    for name in columns {
        data.push(polars_column(&frame, name)?);
    }
    let rows = frame.rows.len();
    let frame_data = DataFrame::new(rows, data)?;
    let options = SortMultipleOptions::default()
        .with_order_descending_multi(sort.iter().map(|(_, descending)| *descending))
        .with_nulls_last(true)
        .with_maintain_order(true);
    let chosen = frame_data
        .lazy()
        .with_row_index("position", None)
        .filter(filter)
        .sort_by_exprs(sort.iter().map(|(name, _)| col(*name)).collect::<Vec<_>>(), options)
        .select([col("position")])
        .collect()?;
    let positions = chosen.column("position")?.idx()?.clone();
    // each position comes once: move the rows out instead of copying them
    let mut rows = std::mem::take(&mut frame.rows);
    frame.rows = positions.into_no_null_iter().map(|i| std::mem::take(&mut rows[i as usize])).collect();
    Ok(frame)
}

/// Keeps one page of a frame's rows and sets its footer.
pub fn paged(mut frame: Frame, limit: i64, offset: i64) -> Frame {
    let total = frame.rows.len() as i64;
    let rows: Vec<Vec<Value>> =
        frame.rows.drain(..).skip(offset.max(0) as usize).take(limit.max(0) as usize).collect();
    frame.rows = rows;
    frame.paged(offset, total);
    frame
}

/// Some columns of a frame, in this order.
pub fn select(frame: &Frame, columns: &[&str]) -> Frame {
    let positions: Vec<usize> = columns.iter().filter_map(|c| frame.column_index(c)).collect();
    let mut chosen = Frame::new(&frame.name, positions.iter().map(|i| frame.columns[*i].clone()).collect());
    chosen.rows = frame.rows.iter().map(|row| positions.iter().map(|i| row[*i].clone()).collect()).collect();
    chosen
}
