//! Monthly trends (SPEC §6): per month, bugs opened and resolved, resolution rate, mean
//! time to resolve, engineering hours and cost, cost per resolved bug; for each, the
//! month-over-month change in percent and the 3-month rolling mean; and the least-squares
//! slope of bugs opened per month over the window.
//!
//! Input: one row per month in order, columns `month` (str), `bugs_opened`,
//! `bugs_resolved` (i64), `resolution_hours_sum` (f64: the sum of resolved_at - created_at
//! in hours over the bugs resolved that month), `engineering_hours`, `engineering_cost` (f64).

use polars::prelude::*;

use super::{ratio, round};

/// The measures that get a month-over-month change and a rolling mean, in output order.
pub const MEASURES: [&str; 7] = [
    "bugs_opened",
    "bugs_resolved",
    "resolution_rate",
    "mttr_hours",
    "engineering_hours",
    "engineering_cost",
    "cost_per_resolved_bug",
];

pub fn monthly_trends(months: LazyFrame) -> LazyFrame {
    let measures = months.with_columns([
        col("bugs_opened").cast(DataType::Float64),
        col("bugs_resolved").cast(DataType::Float64),
        round(ratio(col("bugs_resolved"), col("bugs_opened")), 4).alias("resolution_rate"),
        round(ratio(col("resolution_hours_sum"), col("bugs_resolved")), 2).alias("mttr_hours"),
        round(ratio(col("engineering_cost"), col("bugs_resolved")), 2).alias("cost_per_resolved_bug"),
    ]);
    let mut derived = Vec::new();
    for measure in MEASURES {
        let previous = col(measure).shift(lit(1));
        // no change from nothing: NULL when the previous month is 0 or unknown
        let change = when(previous.clone().neq(lit(0.0)))
            .then((col(measure) - previous.clone()) / previous.abs() * lit(100.0))
            .otherwise(lit(NULL).cast(DataType::Float64));
        derived.push(round(change, 2).alias(format!("{measure}_mom_pct")));
        let rolling = col(measure).rolling_mean(RollingOptionsFixedWindow {
            window_size: 3,
            min_periods: 3,
            ..Default::default()
        });
        derived.push(round(rolling, 2).alias(format!("{measure}_rolling_3")));
    }
    let mut order = vec![col("month")];
    for measure in MEASURES {
        order.push(col(measure));
        order.push(col(format!("{measure}_mom_pct")));
        order.push(col(format!("{measure}_rolling_3")));
    }
    measures.with_columns(derived).select(order)
}

/// Least-squares slope of bugs opened per month against the month's position (0, 1, …):
/// Σ(x - x̄)(y - ȳ) / Σ(x - x̄)². NULL with fewer than two months.
pub fn inflow_slope(months: LazyFrame) -> LazyFrame {
    let x = col("position");
    let y = col("bugs_opened").cast(DataType::Float64);
    let dx = x.clone() - x.clone().mean();
    let dy = y.clone() - y.mean();
    let slope = (dx.clone() * dy).sum() / (dx.clone() * dx).sum();
    months.with_row_index("position", None).with_column(col("position").cast(DataType::Float64)).select([
        len().alias("months"),
        round(when(len().gt_eq(lit(2))).then(slope).otherwise(lit(NULL).cast(DataType::Float64)), 4)
            .alias("bugs_opened_slope_per_month"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(opened: &[i64], resolved: &[i64], hours: &[f64], cost: &[f64]) -> LazyFrame {
        let names: Vec<String> = (1..=opened.len()).map(|m| format!("2026-{m:02}-01")).collect();
        df!(
            "month" => names,
            "bugs_opened" => opened,
            "bugs_resolved" => resolved,
            "resolution_hours_sum" => hours,
            "engineering_hours" => vec![100.0; opened.len()],
            "engineering_cost" => cost,
        )
        .unwrap()
        .lazy()
    }

    fn column(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
        crate::analytics::f64_values(frame, name).unwrap()
    }

    #[test]
    fn rates_changes_and_rolling_means() {
        // opened 10, 0, 20, 30; resolved 5, 2, 10, 15
        let t = monthly_trends(months(
            &[10, 0, 20, 30],
            &[5, 2, 10, 15],
            &[50.0, 8.0, 120.0, 150.0],
            &[1000.0, 1000.0, 2000.0, 1500.0],
        ))
        .collect()
        .unwrap();
        // 5/10; nothing opened in February: NULL, not a division error; 10/20; 15/30
        assert_eq!(column(&t, "resolution_rate"), vec![Some(0.5), None, Some(0.5), Some(0.5)]);
        // mttr = hours / resolved: 50/5, 8/2, 120/10, 150/15
        assert_eq!(column(&t, "mttr_hours"), vec![Some(10.0), Some(4.0), Some(12.0), Some(10.0)]);
        // cost per resolved bug: 1000/5, 1000/2, 2000/10, 1500/15
        assert_eq!(
            column(&t, "cost_per_resolved_bug"),
            vec![Some(200.0), Some(500.0), Some(200.0), Some(100.0)]
        );
        // opened month over month: -, (0-10)/10 = -100%, from 0: NULL, (30-20)/20 = +50%
        assert_eq!(column(&t, "bugs_opened_mom_pct"), vec![None, Some(-100.0), None, Some(50.0)]);
        // rolling mean of 3: only from the third month: (10+0+20)/3 = 10, (0+20+30)/3 = 16.67
        assert_eq!(column(&t, "bugs_opened_rolling_3"), vec![None, None, Some(10.0), Some(16.67)]);
    }

    #[test]
    fn a_window_shorter_than_three_months_has_no_rolling_mean() {
        let t = monthly_trends(months(&[4, 6], &[1, 3], &[1.0, 3.0], &[10.0, 30.0])).collect().unwrap();
        assert_eq!(column(&t, "bugs_resolved_rolling_3"), vec![None, None]);
        // (6-4)/4 = 50%
        assert_eq!(column(&t, "bugs_opened_mom_pct"), vec![None, Some(50.0)]);
    }

    #[test]
    fn slope_of_bug_inflow() {
        // y = 10, 0, 20, 30 at x = 0..3: x̄ = 1.5, ȳ = 15
        // Σ(x-x̄)(y-ȳ) = (-1.5)(-5) + (-0.5)(-15) + (0.5)(5) + (1.5)(15) = 7.5 + 7.5 + 2.5 + 22.5 = 40
        // Σ(x-x̄)² = 2.25 + 0.25 + 0.25 + 2.25 = 5 -> slope 8
        let s = inflow_slope(months(&[10, 0, 20, 30], &[0; 4], &[0.0; 4], &[0.0; 4])).collect().unwrap();
        assert_eq!(column(&s, "bugs_opened_slope_per_month"), vec![Some(8.0)]);
        let one = inflow_slope(months(&[7], &[0], &[0.0], &[0.0])).collect().unwrap();
        assert_eq!(column(&one, "bugs_opened_slope_per_month"), vec![None]);
    }
}
