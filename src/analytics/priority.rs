//! Bug priority score and SLA state (SPEC §6), over a frame of bugs.
//!
//! Input columns: `severity` (str), `status` (str), `is_blocker` (bool),
//! `revenue_impact_daily` (f64), `sla_hours` (i32 or i64), and instants as microseconds
//! since the epoch (i64): `created_at`, `due_at`, `resolved_at` (nullable).

use polars::prelude::*;

/// Microseconds in an hour and a day.
const HOUR: f64 = 3_600_000_000.0;
const DAY: f64 = 24.0 * HOUR;

fn is_open() -> Expr {
    col("status").eq(lit("pending")).or(col("status").eq(lit("in_progress")))
}

/// breached: open and now > due_at, or resolved and resolved_at > due_at (deferred never);
/// at_risk: open, not breached, and now - created_at >= 0.75 * sla_hours.
pub fn with_sla_state(bugs: LazyFrame, now_micros: i64) -> LazyFrame {
    let now = lit(now_micros);
    let open_breached = is_open().and(now.clone().gt(col("due_at")));
    let resolved_late = col("resolved_at").is_not_null().and(col("resolved_at").gt(col("due_at")));
    let breached = col("status").neq(lit("deferred")).and(open_breached.or(resolved_late));
    let age_hours = (now - col("created_at")).cast(DataType::Float64) / lit(HOUR);
    let at_risk = is_open()
        .and(breached.clone().not())
        .and(age_hours.gt_eq(lit(0.75) * col("sla_hours").cast(DataType::Float64)));
    bugs.with_columns([
        breached.fill_null(lit(false)).alias("breached"),
        at_risk.fill_null(lit(false)).alias("at_risk"),
    ])
}

/// Adds the terms of the priority score and the score itself. Open bugs only score; every
/// other bug scores 0 (and so do its terms).
pub fn with_priority(bugs: LazyFrame, now_micros: i64) -> LazyFrame {
    let open = is_open();
    let zero_unless_open = |term: Expr| when(open.clone()).then(term).otherwise(lit(0.0));
    let severity_points = when(col("severity").eq(lit("critical")))
        .then(lit(40.0))
        .when(col("severity").eq(lit("high")))
        .then(lit(30.0))
        .when(col("severity").eq(lit("medium")))
        .then(lit(15.0))
        .otherwise(lit(5.0));
    let revenue_points = (col("revenue_impact_daily") / lit(1000.0)).clip_max(lit(30.0));
    let blocker_points = when(col("is_blocker")).then(lit(20.0)).otherwise(lit(0.0));
    // a bug created after "now" (an --as-of in the past) has no age yet
    let age_days = (lit(now_micros) - col("created_at")).cast(DataType::Float64) / lit(DAY);
    let age_points = age_days.floor().clip(lit(0.0), lit(10.0));
    let sla_points =
        when(col("breached")).then(lit(10.0)).when(col("at_risk")).then(lit(5.0)).otherwise(lit(0.0));
    with_sla_state(bugs, now_micros)
        .with_columns([
            zero_unless_open(severity_points).alias("severity_points"),
            zero_unless_open(revenue_points).alias("revenue_points"),
            zero_unless_open(blocker_points).alias("blocker_points"),
            zero_unless_open(age_points).alias("age_points"),
            zero_unless_open(sla_points).alias("sla_points"),
        ])
        .with_column(
            (col("severity_points")
                + col("revenue_points")
                + col("blocker_points")
                + col("age_points")
                + col("sla_points"))
            .clip_max(lit(100.0))
            .round(2, RoundMode::HalfAwayFromZero)
            .alias("priority_score"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000; // an instant, in microseconds

    fn hours(h: f64) -> i64 {
        (h * HOUR) as i64
    }

    /// One bug created `age_hours` before NOW, scored.
    fn score(
        severity: &str,
        status: &str,
        age_hours: f64,
        revenue: f64,
        blocker: bool,
        resolved_after: Option<f64>,
    ) -> DataFrame {
        let sla: i64 = match severity {
            "critical" => 4,
            "high" => 24,
            "medium" => 72,
            _ => 720,
        };
        let created = NOW - hours(age_hours);
        let frame = df!(
            "severity" => [severity],
            "status" => [status],
            "is_blocker" => [blocker],
            "revenue_impact_daily" => [revenue],
            "sla_hours" => [sla],
            "created_at" => [created],
            "due_at" => [created + hours(sla as f64)],
            "resolved_at" => [resolved_after.map(|h| created + hours(h))],
        )
        .unwrap();
        with_priority(frame.lazy(), NOW).collect().unwrap()
    }

    fn get(frame: &DataFrame, column: &str) -> f64 {
        frame.column(column).unwrap().f64().unwrap().get(0).unwrap()
    }

    fn flag(frame: &DataFrame, column: &str) -> bool {
        frame.column(column).unwrap().bool().unwrap().get(0).unwrap()
    }

    #[test]
    fn exactly_at_the_due_instant_is_not_breached_but_at_risk() {
        // critical, created 4 h ago: now == due_at
        let bug = score("critical", "pending", 4.0, 0.0, false, None);
        assert!(!flag(&bug, "breached"));
        assert!(flag(&bug, "at_risk"));
        // 40 severity + 0 revenue + 0 blocker + floor(4/24)=0 age + 5 at risk = 45
        assert_eq!(get(&bug, "priority_score"), 45.0);
    }

    #[test]
    fn one_second_past_due_is_breached() {
        let bug = score("critical", "in_progress", 4.0 + 1.0 / 3600.0, 0.0, false, None);
        assert!(flag(&bug, "breached"));
        assert!(!flag(&bug, "at_risk"));
        // 40 + 10 breached = 50
        assert_eq!(get(&bug, "priority_score"), 50.0);
    }

    #[test]
    fn exactly_at_75_percent_of_the_sla_is_at_risk() {
        // medium: 72 h SLA, 0.75 x 72 = 54 h
        let at = score("medium", "pending", 54.0, 0.0, false, None);
        assert!(flag(&at, "at_risk"));
        // 15 + floor(54/24)=2 + 5 = 22
        assert_eq!(get(&at, "priority_score"), 22.0);
        let before = score("medium", "pending", 54.0 - 1.0 / 3600.0, 0.0, false, None);
        assert!(!flag(&before, "at_risk"));
        // 15 + 2 = 17
        assert_eq!(get(&before, "priority_score"), 17.0);
    }

    #[test]
    fn revenue_points_stop_at_30() {
        // high, 1 h old: 30 + min(30, 45000/1000=45)=30 + 0 = 60
        assert_eq!(get(&score("high", "pending", 1.0, 45_000.0, false, None), "priority_score"), 60.0);
        // 30 + 1234.56/1000 = 31.23456 -> 31.23
        assert_eq!(get(&score("high", "pending", 1.0, 1_234.56, false, None), "priority_score"), 31.23);
    }

    #[test]
    fn the_score_stops_at_100() {
        // critical blocker, 30 days old, breached: 40 + 30 + 20 + 10 + 10 = 110 -> 100
        let bug = score("critical", "pending", 720.0, 90_000.0, true, None);
        assert_eq!(get(&bug, "age_points"), 10.0);
        assert_eq!(get(&bug, "priority_score"), 100.0);
    }

    #[test]
    fn deferred_and_resolved_bugs_score_zero() {
        let deferred = score("critical", "deferred", 100.0, 50_000.0, true, None);
        assert_eq!(get(&deferred, "priority_score"), 0.0);
        assert!(!flag(&deferred, "breached"), "deferred bugs are outside the SLA");
        let closed_late = score("low", "closed", 800.0, 0.0, false, Some(750.0));
        assert_eq!(get(&closed_late, "priority_score"), 0.0);
        assert!(flag(&closed_late, "breached"), "resolved after 750 h of a 720 h SLA");
        let closed_in_time = score("low", "closed", 800.0, 0.0, false, Some(700.0));
        assert!(!flag(&closed_in_time, "breached"));
    }

    #[test]
    fn age_points_are_whole_days_up_to_10() {
        // low, 71.9 h old: floor(2.99) = 2; 5 + 2 = 7
        assert_eq!(get(&score("low", "pending", 71.9, 0.0, false, None), "priority_score"), 7.0);
        // 11 days: min(10, 11) = 10; 5 + 10 = 15
        assert_eq!(get(&score("low", "pending", 264.0, 0.0, false, None), "priority_score"), 15.0);
    }
}
