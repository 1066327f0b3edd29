//! Bug priority score and SLA state (SPEC §6), over a frame of bugs, in exact integers.
//!
//! Input columns: `severity` and `status` (str, the schema labels), `is_blocker` (bool),
//! `revenue_cents` (i64: revenue_impact_daily × 100, exact), `sla_hours` (i64), and
//! instants as microseconds since the epoch (i64): `created_at`, `due_at`, `resolved_at`
//! (nullable).
//!
//! Every term is a whole number of hundred-thousandths of a point ("units"): the revenue
//! term, revenue_impact_daily / 1000 points, is exactly `revenue_cents` units. The sum is
//! rounded to hundredths from that exact value, so 5 + 15.00/1000 = 5.015 scores 5.02
//! (half away from zero), where a float would land on 5.01.

use polars::prelude::*;
use rust_decimal::Decimal;

use crate::model::Severity;

/// Units per point: the scale at which every term is a whole number.
pub const UNITS_PER_POINT: i64 = 100_000;
const DAY: i64 = 24 * super::sla::HOUR;

/// The severity term, in points.
pub const fn severity_points(severity: Severity) -> i64 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 30,
        Severity::Medium => 15,
        Severity::Low => 5,
    }
}

/// A number of units as the exact decimal number of points (0.015, 40).
pub fn points(units: i64) -> Decimal {
    Decimal::new(units, 5).normalize()
}

/// A score in hundredths as the decimal stored in `priority_score` (5.02).
pub fn score(hundredths: i64) -> Decimal {
    Decimal::new(hundredths, 2)
}

fn units(points: i64) -> Expr {
    lit(points * UNITS_PER_POINT)
}

/// Adds the terms of the priority score in units (`severity_units`, `revenue_units`,
/// `blocker_units`, `age_units`, `sla_units`), their capped sum `priority_units` and the
/// score in hundredths `priority_hundredths`. Open bugs only score; every other bug
/// scores 0 (and so do its terms).
pub fn with_priority(bugs: LazyFrame, now_micros: i64) -> LazyFrame {
    let open = super::sla::is_open();
    let zero_unless_open = |term: Expr| when(open.clone()).then(term).otherwise(lit(0i64));
    let mut severity = lit(0i64);
    for level in Severity::ALL.iter().rev() {
        severity = when(col("severity").eq(lit(level.label())))
            .then(units(severity_points(*level)))
            .otherwise(severity);
    }
    // revenue_impact_daily / 1000 points = cents / 100,000 points = cents units, at most 30
    let revenue = col("revenue_cents").clip_max(units(30));
    let blocker = when(col("is_blocker")).then(units(20)).otherwise(lit(0i64));
    // whole days open, at most 10; a bug created after "now" (an --as-of in the past) has
    // no age yet
    let age_days = (lit(now_micros) - col("created_at")).floor_div(lit(DAY)).clip(lit(0i64), lit(10i64));
    let age = age_days * lit(UNITS_PER_POINT);
    let sla = when(col("breached")).then(units(10)).when(col("at_risk")).then(units(5)).otherwise(lit(0i64));
    super::sla::with_sla_state(bugs, now_micros)
        .with_columns([
            zero_unless_open(severity).cast(DataType::Int64).alias("severity_units"),
            zero_unless_open(revenue).cast(DataType::Int64).alias("revenue_units"),
            zero_unless_open(blocker).cast(DataType::Int64).alias("blocker_units"),
            zero_unless_open(age).cast(DataType::Int64).alias("age_units"),
            zero_unless_open(sla).cast(DataType::Int64).alias("sla_units"),
        ])
        .with_column(
            (col("severity_units")
                + col("revenue_units")
                + col("blocker_units")
                + col("age_units")
                + col("sla_units"))
            .clip_max(units(100))
            .alias("priority_units"),
        )
        // units are 10^-5 points, hundredths 10^-2: divide by 1,000, halves up (never negative)
        .with_column(
            ((col("priority_units") + lit(UNITS_PER_POINT / 200)).floor_div(lit(UNITS_PER_POINT / 100)))
                .alias("priority_hundredths"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analytics::sla::HOUR;
    use crate::model::BugStatus;

    const NOW: i64 = 1_800_000_000_000_000; // an instant, in microseconds
    const SECOND: i64 = 1_000_000;

    /// One bug created `age` microseconds before NOW, scored.
    fn score_of(
        severity: Severity,
        status: BugStatus,
        age: i64,
        revenue_cents: i64,
        blocker: bool,
        resolved_after: Option<i64>,
    ) -> DataFrame {
        let sla = i64::from(severity.default_sla_hours());
        let created = NOW - age;
        let frame = df!(
            "severity" => [severity.label()],
            "status" => [status.label()],
            "is_blocker" => [blocker],
            "revenue_cents" => [revenue_cents],
            "sla_hours" => [sla],
            "created_at" => [created],
            "due_at" => [created + sla * HOUR],
            "resolved_at" => [resolved_after.map(|after| created + after)],
        )
        .unwrap();
        with_priority(frame.lazy(), NOW).collect().unwrap()
    }

    fn int(frame: &DataFrame, column: &str) -> i64 {
        frame.column(column).unwrap().i64().unwrap().get(0).unwrap()
    }

    fn priority(frame: &DataFrame) -> Decimal {
        score(int(frame, "priority_hundredths"))
    }

    fn flag(frame: &DataFrame, column: &str) -> bool {
        frame.column(column).unwrap().bool().unwrap().get(0).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    use BugStatus::*;
    use Severity::*;

    #[test]
    fn a_tie_rounds_half_away_from_zero() {
        // low, pending, under a day old, 15.00 a day: 5 + 15/1000 = 5.015 exactly -> 5.02
        let bug = score_of(Low, Pending, HOUR, 1_500, false, None);
        assert_eq!(int(&bug, "priority_units"), 501_500);
        assert_eq!(priority(&bug), dec("5.02"));
        // 1,234.565 a day: 30 + 1.234565 -> 31.234565 -> 31.23; 1,235.00: 31.235 -> 31.24
        assert_eq!(priority(&score_of(High, Pending, HOUR, 123_456, false, None)), dec("31.23"));
        assert_eq!(priority(&score_of(High, Pending, HOUR, 123_500, false, None)), dec("31.24"));
        // 4.99 a day: 5 + 0.00499 = 5.00499 -> 5.00; 5.00 a day: 5.005 -> 5.01
        assert_eq!(priority(&score_of(Low, Pending, HOUR, 499, false, None)), dec("5.00"));
        assert_eq!(priority(&score_of(Low, Pending, HOUR, 500, false, None)), dec("5.01"));
    }

    #[test]
    fn exactly_at_the_due_instant_is_not_breached_but_at_risk() {
        // critical, created 4 h ago: now == due_at
        let bug = score_of(Critical, Pending, 4 * HOUR, 0, false, None);
        assert!(!flag(&bug, "breached"));
        assert!(flag(&bug, "at_risk"));
        // 40 severity + 0 revenue + 0 blocker + floor(4/24)=0 age + 5 at risk = 45
        assert_eq!(priority(&bug), dec("45.00"));
    }

    #[test]
    fn one_microsecond_past_due_is_breached() {
        let bug = score_of(Critical, InProgress, 4 * HOUR + 1, 0, false, None);
        assert!(flag(&bug, "breached"));
        assert!(!flag(&bug, "at_risk"));
        // 40 + 10 breached = 50
        assert_eq!(priority(&bug), dec("50.00"));
    }

    #[test]
    fn exactly_at_75_percent_of_the_sla_is_at_risk() {
        // medium: 72 h SLA, 0.75 x 72 = 54 h
        let at = score_of(Medium, Pending, 54 * HOUR, 0, false, None);
        assert!(flag(&at, "at_risk"));
        // 15 + floor(54/24)=2 + 5 = 22
        assert_eq!(priority(&at), dec("22.00"));
        let before = score_of(Medium, Pending, 54 * HOUR - 1, 0, false, None);
        assert!(!flag(&before, "at_risk"));
        // 15 + 2 = 17
        assert_eq!(priority(&before), dec("17.00"));
    }

    #[test]
    fn revenue_points_stop_at_30() {
        // high, 1 h old: 30 + min(30, 45000/1000=45)=30 = 60
        assert_eq!(priority(&score_of(High, Pending, HOUR, 4_500_000, false, None)), dec("60.00"));
        let bug = score_of(High, Pending, HOUR, 2_999_999, false, None);
        // 29,999.99 / 1000 = 29.99999 points, exactly
        assert_eq!(points(int(&bug, "revenue_units")), dec("29.99999"));
        assert_eq!(priority(&bug), dec("60.00"));
    }

    #[test]
    fn the_score_stops_at_100() {
        // critical blocker, 30 days old, breached: 40 + 30 + 20 + 10 + 10 = 110 -> 100
        let bug = score_of(Critical, Pending, 30 * DAY, 9_000_000, true, None);
        assert_eq!(points(int(&bug, "age_units")), dec("10"));
        assert_eq!(priority(&bug), dec("100.00"));
    }

    #[test]
    fn deferred_and_resolved_bugs_score_zero() {
        let deferred = score_of(Critical, Deferred, 100 * HOUR, 5_000_000, true, None);
        assert_eq!(priority(&deferred), dec("0.00"));
        assert!(!flag(&deferred, "breached"), "deferred bugs are outside the SLA");
        let closed_late = score_of(Low, Closed, 800 * HOUR, 0, false, Some(750 * HOUR));
        assert_eq!(priority(&closed_late), dec("0.00"));
        assert!(flag(&closed_late, "breached"), "resolved after 750 h of a 720 h SLA");
        let closed_in_time = score_of(Low, Closed, 800 * HOUR, 0, false, Some(700 * HOUR));
        assert!(!flag(&closed_in_time, "breached"));
        let closed_at_due = score_of(Low, Shipped, 800 * HOUR, 0, false, Some(720 * HOUR));
        assert!(!flag(&closed_at_due, "breached"), "resolved exactly at the due instant is in time");
    }

    #[test]
    fn age_points_are_whole_days_up_to_10() {
        // low, one microsecond short of 3 days: floor = 2; 5 + 2 = 7
        assert_eq!(priority(&score_of(Low, Pending, 3 * DAY - 1, 0, false, None)), dec("7.00"));
        // exactly 3 days: 5 + 3 = 8
        assert_eq!(priority(&score_of(Low, Pending, 3 * DAY, 0, false, None)), dec("8.00"));
        // 11 days: min(10, 11) = 10; 5 + 10 = 15
        assert_eq!(priority(&score_of(Low, Pending, 11 * DAY, 0, false, None)), dec("15.00"));
        // created 5 s after "now": no age, no SLA state, 5
        assert_eq!(priority(&score_of(Low, Pending, -5 * SECOND, 0, false, None)), dec("5.00"));
    }
}
