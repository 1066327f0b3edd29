//! Engineering metrics (SPEC §6): mean resolution hours and SLA compliance by severity,
//! and over all bugs: bugs resolved per 100 engineering hours and cost per resolved bug.
//!
//! Input: one row per severity with `severity` (str), `bugs_resolved`, `within_sla` (i64),
//! `resolution_hours` (f64: the summed hours of the bugs resolved), and the window's
//! `engineering_hours` and `engineering_cost` (f64, the same on every row).

use polars::prelude::*;

use super::{ratio, round};

/// One row per severity, then an `all` row with the totals and the effort rates.
pub fn engineering_metrics(per_severity: LazyFrame) -> PolarsResult<LazyFrame> {
    let by_severity = per_severity.clone().select([
        col("severity"),
        col("bugs_resolved"),
        round(ratio(col("resolution_hours"), col("bugs_resolved")), 2).alias("mean_resolution_hours"),
        round(ratio(col("within_sla"), col("bugs_resolved")), 4).alias("sla_compliance"),
        lit(NULL).cast(DataType::Float64).alias("resolved_per_100_hours"),
        lit(NULL).cast(DataType::Float64).alias("cost_per_resolved_bug"),
        lit(NULL).cast(DataType::Float64).alias("engineering_hours"),
        lit(NULL).cast(DataType::Float64).alias("engineering_cost"),
    ]);
    let resolved = col("bugs_resolved").sum();
    let all = per_severity.select([
        lit("all").alias("severity"),
        resolved.clone(),
        round(ratio(col("resolution_hours").sum(), resolved.clone()), 2).alias("mean_resolution_hours"),
        round(ratio(col("within_sla").sum(), resolved.clone()), 4).alias("sla_compliance"),
        round(ratio(lit(100.0) * resolved.clone(), col("engineering_hours").first()), 2)
            .alias("resolved_per_100_hours"),
        round(ratio(col("engineering_cost").first(), resolved), 2).alias("cost_per_resolved_bug"),
        col("engineering_hours").first(),
        col("engineering_cost").first(),
    ]);
    concat([by_severity, all], UnionArgs::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::f64_values;

    #[test]
    fn rates_by_severity_and_over_all() {
        let input = df!(
            "severity" => ["critical", "high", "medium", "low"],
            "bugs_resolved" => [2i64, 0, 3, 5],
            "resolution_hours" => [6.0, 0.0, 150.0, 2000.0],
            "within_sla" => [2i64, 0, 1, 4],
            "engineering_hours" => [400.0; 4],
            "engineering_cost" => [48_000.0; 4],
        )
        .unwrap();
        let out = engineering_metrics(input.lazy()).unwrap().collect().unwrap();
        // critical 6/2 = 3 h, high: nothing resolved (NULL), medium 150/3 = 50, low 2000/5 = 400;
        // all: 2156/10 = 215.6
        assert_eq!(
            f64_values(&out, "mean_resolution_hours").unwrap(),
            vec![Some(3.0), None, Some(50.0), Some(400.0), Some(215.6)]
        );
        // 2/2, -, 1/3, 4/5; all 7/10
        assert_eq!(
            f64_values(&out, "sla_compliance").unwrap(),
            vec![Some(1.0), None, Some(0.3333), Some(0.8), Some(0.7)]
        );
        // 100 x 10 / 400 h = 2.5 per 100 hours; 48,000 / 10 = 4,800 per resolved bug
        assert_eq!(f64_values(&out, "resolved_per_100_hours").unwrap()[4], Some(2.5));
        assert_eq!(f64_values(&out, "cost_per_resolved_bug").unwrap()[4], Some(4800.0));
    }
}
