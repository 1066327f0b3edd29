//! The formulas of SPEC §6 as pure functions over Polars frames (lazy API): no I/O, no
//! clock; "now" is always a parameter. Commands load the inputs with SQL, call these,
//! and hand the results to `output` or write them back.

pub mod engineering;
pub mod priority;
pub mod trends;
pub mod valuation;

/// The version of the formulas; any change to one of them bumps it. Printed by
/// `ctodb --version` (cli::VERSION) and stored with every snapshot.
pub const FORMULA_VERSION: u32 = 1;

use polars::prelude::{lit, when, DataFrame, DataType, Expr, PolarsResult, RoundMode, NULL};

/// Rounds as the spec's round() means it: half away from zero.
pub(crate) fn round(expr: Expr, decimals: u32) -> Expr {
    expr.round(decimals, RoundMode::HalfAwayFromZero)
}

/// numerator / denominator as floats, NULL when the denominator is not positive.
pub(crate) fn ratio(numerator: Expr, denominator: Expr) -> Expr {
    when(denominator.clone().gt(lit(0)))
        .then(numerator.cast(DataType::Float64) / denominator.cast(DataType::Float64))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// The values of a float column, by position.
pub fn f64_values(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let column = frame.column(name)?.cast(&polars::prelude::DataType::Float64)?;
    let values = column.f64()?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}

/// The values of an integer column, by position.
pub fn i64_values(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let column = frame.column(name)?.cast(&polars::prelude::DataType::Int64)?;
    let values = column.i64()?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}
