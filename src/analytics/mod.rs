//! The formulas of SPEC §6 as pure functions: no I/O, no clock; "now" is always a
//! parameter. Commands load the inputs with SQL, call these, and hand the results to
//! `output` or write them back.
//!
//! Exactness: every input is an exact decimal or integer and stays exact up to the
//! rounding. The bug formulas run in Polars over integer columns (cents, microseconds,
//! hundred-thousandths of a point); the project formulas, trends and engineering rates,
//! whose exact values are fractions with no finite decimal, run over exact rationals
//! (`exact`).

pub mod engineering;
pub mod exact;
pub mod priority;
pub mod sla;
pub mod trends;
pub mod valuation;

/// The version of the formulas; any change to one of them bumps it. Printed by
/// `ctodb --version` (cli::VERSION) and stored with every snapshot. Rounding from exact
/// values made the implementation meet SPEC §6; the formulas themselves did not change.
pub const FORMULA_VERSION: u32 = 1;

use polars::prelude::{DataFrame, PolarsResult};

/// The values of an integer column, by position.
pub fn i64_values(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let column = frame.column(name)?.cast(&polars::prelude::DataType::Int64)?;
    let values = column.i64()?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}
