//! The inputs of the formulas, read from their helpers' rows into what `analytics` takes:
//! a Polars frame of bugs (exact integers), and typed rows of exact decimals for
//! projects, months and severities. Every value is read with `db::get`, so a NULL or an
//! unexpected type is an error naming the helper and the column, never a panic.

use anyhow::Result;
use polars::prelude::{df, DataFrame};
use rust_decimal::Decimal;
use tokio_postgres::Row;

use crate::analytics::engineering::SeverityInputs;
use crate::analytics::trends::MonthInputs;
use crate::analytics::valuation::{HealthInputs, ValuationInputs};
use crate::db;
use crate::model::{BugStatus, Severity};
use crate::sql::Helper;

/// One column of every row.
fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    rows: &'a [Row],
    helper: &Helper,
    name: &str,
) -> Result<Vec<T>> {
    Ok(rows.iter().map(|row| db::get(row, helper.name, name)).collect::<Result<_, _>>()?)
}

/// The bugs of refresh/open_bugs.sql or bugs/priority_inputs.sql as the frame
/// `analytics::priority` scores, in row order.
pub fn priority_frame(rows: &[Row], helper: &Helper) -> Result<DataFrame> {
    let severity: Vec<Severity> = column(rows, helper, "severity")?;
    let status: Vec<BugStatus> = column(rows, helper, "status")?;
    Ok(df!(
        "severity" => severity.iter().map(|s| s.label()).collect::<Vec<_>>(),
        "status" => status.iter().map(|s| s.label()).collect::<Vec<_>>(),
        "is_blocker" => column::<bool>(rows, helper, "is_blocker")?,
        "revenue_cents" => column::<i64>(rows, helper, "revenue_cents")?,
        "sla_hours" => column::<i64>(rows, helper, "sla_hours")?,
        "created_at" => column::<i64>(rows, helper, "created_at")?,
        "due_at" => column::<i64>(rows, helper, "due_at")?,
        "resolved_at" => column::<Option<i64>>(rows, helper, "resolved_at")?,
    )?)
}

/// A project's inputs from refresh/project_inputs.sql.
pub fn project(row: &Row, helper: &Helper) -> Result<(ValuationInputs, HealthInputs)> {
    let decimal = |name: &str| -> Result<Decimal> { Ok(db::get(row, helper.name, name)?) };
    let count = |name: &str| -> Result<i64> { Ok(db::get(row, helper.name, name)?) };
    Ok((
        ValuationInputs {
            arr: decimal("arr")?,
            revenue_growth_rate: decimal("revenue_growth_rate")?,
            operating_margin: decimal("operating_margin")?,
            discount_rate: decimal("discount_rate")?,
            terminal_growth_rate: decimal("terminal_growth_rate")?,
            monthly_infra_cost: decimal("monthly_infra_cost")?,
            engineering_cost_12m: decimal("engineering_cost_12m")?,
            complexity_score: count("complexity_score")?,
            appeal_score: decimal("appeal_score")?,
        },
        HealthInputs {
            open_critical: count("open_critical")?,
            open_breached: count("open_breached")?,
            open_bugs: count("open_bugs")?,
            recent_commits: db::get(row, helper.name, "recent_commits")?,
        },
    ))
}

/// The months of metrics/trends.sql, in window order.
pub fn months(rows: &[Row], helper: &Helper) -> Result<Vec<MonthInputs>> {
    rows.iter()
        .map(|row| {
            Ok(MonthInputs {
                month: db::get(row, helper.name, "month")?,
                bugs_opened: db::get(row, helper.name, "bugs_opened")?,
                bugs_resolved: db::get(row, helper.name, "bugs_resolved")?,
                resolution_seconds: db::get(row, helper.name, "resolution_seconds")?,
                engineering_hours: db::get(row, helper.name, "engineering_hours")?,
                engineering_cost: db::get(row, helper.name, "engineering_cost")?,
            })
        })
        .collect()
}

/// The severities of metrics/engineering.sql, and the window's engineering hours and
/// cost (the same on every row; zero without rows).
pub fn engineering(rows: &[Row], helper: &Helper) -> Result<(Vec<SeverityInputs>, Decimal, Decimal)> {
    let severities = rows
        .iter()
        .map(|row| {
            Ok(SeverityInputs {
                severity: db::get(row, helper.name, "severity")?,
                bugs_resolved: db::get(row, helper.name, "bugs_resolved")?,
                resolution_seconds: db::get(row, helper.name, "resolution_seconds")?,
                within_sla: db::get(row, helper.name, "within_sla")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (hours, cost) = match rows.first() {
        Some(row) => {
            (db::get(row, helper.name, "engineering_hours")?, db::get(row, helper.name, "engineering_cost")?)
        }
        None => (Decimal::ZERO, Decimal::ZERO),
    };
    Ok((severities, hours, cost))
}
