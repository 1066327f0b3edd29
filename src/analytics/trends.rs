//! Monthly trends (SPEC §6): per month, bugs opened and resolved, resolution rate, mean
//! time to resolve, engineering hours and cost, cost per resolved bug; for each, the
//! month-over-month change in percent and the 3-month rolling mean; and the least-squares
//! slope of bugs opened per month over the window.
//!
//! Every measure is kept exact (a rational of the exact inputs); changes, rolling means
//! and the slope are computed from the exact measures, and each printed value is rounded
//! from its own exact value, half away from zero.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use num_traits::Signed;

use super::exact::{self, Exact};

/// One month of inputs, in window order.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthInputs {
    pub month: NaiveDate,
    pub bugs_opened: i64,
    pub bugs_resolved: i64,
    /// Σ (resolved_at − created_at) in seconds over the bugs resolved that month, exact.
    pub resolution_seconds: Decimal,
    pub engineering_hours: Decimal,
    pub engineering_cost: Decimal,
}

/// The measures, in output order, with the decimals each is printed with.
pub const MEASURES: [(&str, u32); 7] = [
    ("bugs_opened", 0),
    ("bugs_resolved", 0),
    ("resolution_rate", 4),
    ("mttr_hours", 2),
    ("engineering_hours", 2),
    ("engineering_cost", 2),
    ("cost_per_resolved_bug", 2),
];

/// One measure in one month: its value, its change from the month before in percent,
/// and its mean over this month and the two before, each rounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub value: Option<Decimal>,
    pub mom_pct: Option<Decimal>,
    pub rolling_3: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthTrends {
    pub month: NaiveDate,
    /// In the order of `MEASURES`.
    pub measures: Vec<Trend>,
}

/// The exact measures of one month, in the order of `MEASURES`; None where undefined
/// (a rate with nothing opened, a mean with nothing resolved).
fn measures(m: &MonthInputs) -> [Option<Exact>; 7] {
    let opened = exact::int(m.bugs_opened);
    let resolved = exact::int(m.bugs_resolved);
    let seconds = exact::decimal(m.resolution_seconds);
    let cost = exact::decimal(m.engineering_cost);
    [
        Some(opened.clone()),
        Some(resolved.clone()),
        exact::ratio(&resolved, &opened),
        exact::ratio(&seconds, &(&resolved * exact::int(3600))),
        Some(exact::decimal(m.engineering_hours)),
        Some(cost.clone()),
        exact::ratio(&cost, &resolved),
    ]
}

pub fn monthly_trends(months: &[MonthInputs]) -> Vec<MonthTrends> {
    let exact_measures: Vec<[Option<Exact>; 7]> = months.iter().map(measures).collect();
    let hundred = exact::int(100);
    months
        .iter()
        .enumerate()
        .map(|(t, month)| {
            let measures = MEASURES
                .iter()
                .enumerate()
                .map(|(k, (_, places))| {
                    let value = exact_measures[t][k].as_ref();
                    let previous = t.checked_sub(1).and_then(|p| exact_measures[p][k].as_ref());
                    // no change from nothing: NULL when the previous month is 0 or unknown
                    let mom_pct = match (value, previous) {
                        (Some(now), Some(before)) => {
                            exact::ratio(&((now - before) * &hundred), &before.abs())
                                .and_then(|change| exact::round(&change, 2))
                        }
                        _ => None,
                    };
                    let rolling_3 = (t >= 2)
                        .then(|| {
                            let window: Option<Vec<&Exact>> =
                                (t - 2..=t).map(|i| exact_measures[i][k].as_ref()).collect();
                            let sum: Exact = window?.into_iter().sum();
                            exact::round(&(sum / exact::int(3)), (*places).max(2))
                        })
                        .flatten();
                    Trend { value: value.and_then(|v| exact::round(v, *places)), mom_pct, rolling_3 }
                })
                .collect();
            MonthTrends { month: month.month, measures }
        })
        .collect()
}

/// Least-squares slope of bugs opened per month against the month's position (0, 1, …):
/// Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², exact (both sums are rationals of the counts), rounded to
/// 4 decimals. None with fewer than two months.
pub fn inflow_slope(opened: &[i64]) -> Option<Decimal> {
    let n = opened.len() as i64;
    if n < 2 {
        return None;
    }
    let mean_x = exact::ratio(&exact::int(n * (n - 1) / 2), &exact::int(n))?;
    let mean_y = exact::ratio(&opened.iter().map(|y| exact::int(*y)).sum(), &exact::int(n))?;
    let mut covariance = exact::int(0);
    let mut variance = exact::int(0);
    for (x, y) in opened.iter().enumerate() {
        let dx = exact::int(x as i64) - &mean_x;
        covariance += &dx * (exact::int(*y) - &mean_y);
        variance += &dx * &dx;
    }
    exact::round_ratio(&covariance, &variance, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn months(opened: &[i64], resolved: &[i64], seconds: &[&str], cost: &[&str]) -> Vec<MonthInputs> {
        (0..opened.len())
            .map(|i| MonthInputs {
                month: NaiveDate::from_ymd_opt(2026, i as u32 + 1, 1).unwrap(),
                bugs_opened: opened[i],
                bugs_resolved: resolved[i],
                resolution_seconds: d(seconds[i]),
                engineering_hours: d("100"),
                engineering_cost: d(cost[i]),
            })
            .collect()
    }

    fn column(
        trends: &[MonthTrends],
        measure: &str,
        part: fn(&Trend) -> Option<Decimal>,
    ) -> Vec<Option<Decimal>> {
        let k = MEASURES.iter().position(|(name, _)| *name == measure).unwrap();
        trends.iter().map(|m| part(&m.measures[k])).collect()
    }

    fn some(values: &[&str]) -> Vec<Option<Decimal>> {
        values.iter().map(|v| if *v == "-" { None } else { Some(d(v)) }).collect()
    }

    #[test]
    fn rates_changes_and_rolling_means() {
        // opened 10, 0, 20, 30; resolved 5, 2, 10, 15; hours 50, 8, 120, 150 (in seconds x 3600)
        let t = monthly_trends(&months(
            &[10, 0, 20, 30],
            &[5, 2, 10, 15],
            &["180000", "28800", "432000", "540000"],
            &["1000", "1000", "2000", "1500"],
        ));
        // 5/10; nothing opened in February: NULL, not a division error; 10/20; 15/30
        assert_eq!(column(&t, "resolution_rate", |m| m.value), some(&["0.5000", "-", "0.5000", "0.5000"]));
        // mttr = hours / resolved: 50/5, 8/2, 120/10, 150/15
        assert_eq!(column(&t, "mttr_hours", |m| m.value), some(&["10.00", "4.00", "12.00", "10.00"]));
        // cost per resolved bug: 1000/5, 1000/2, 2000/10, 1500/15
        assert_eq!(
            column(&t, "cost_per_resolved_bug", |m| m.value),
            some(&["200.00", "500.00", "200.00", "100.00"])
        );
        // opened month over month: -, (0-10)/10 = -100%, from 0: NULL, (30-20)/20 = +50%
        assert_eq!(column(&t, "bugs_opened", |m| m.mom_pct), some(&["-", "-100.00", "-", "50.00"]));
        // rolling mean of 3: only from the third month: (10+0+20)/3 = 10, (0+20+30)/3 = 16.666…
        assert_eq!(column(&t, "bugs_opened", |m| m.rolling_3), some(&["-", "-", "10.00", "16.67"]));
        // a rate's rolling mean needs all three months defined: February has none
        assert_eq!(column(&t, "resolution_rate", |m| m.rolling_3), some(&["-", "-", "-", "-"]));
    }

    #[test]
    fn changes_and_means_come_from_exact_values_and_ties_round_up() {
        // mttr 1/3 h, then 1/2 h: the change is (1/2 - 1/3) / (1/3) = 50% exactly, where the
        // rounded values 0.33 and 0.50 would give 51.52%
        let t = monthly_trends(&months(&[1, 1], &[3, 2], &["3600", "3600"], &["0", "0"]));
        assert_eq!(column(&t, "mttr_hours", |m| m.value), some(&["0.33", "0.50"]));
        assert_eq!(column(&t, "mttr_hours", |m| m.mom_pct), some(&["-", "50.00"]));
        // cost per resolved bug 0.125 a bug (0.25 / 2): a tie -> 0.13
        let t = monthly_trends(&months(&[1], &[2], &["0"], &["0.25"]));
        assert_eq!(column(&t, "cost_per_resolved_bug", |m| m.value), some(&["0.13"]));
        // resolution rate 1/8 = 0.125 -> 0.1250, and opened 8 -> 9 is +12.5% exactly
        let t = monthly_trends(&months(&[8, 9], &[1, 0], &["0", "0"], &["0", "0"]));
        assert_eq!(column(&t, "resolution_rate", |m| m.value), some(&["0.1250", "0.0000"]));
        assert_eq!(column(&t, "bugs_opened", |m| m.mom_pct), some(&["-", "12.50"]));
        // 1000 -> 1000.05 engineering hours is +0.005% exactly: a tie -> 0.01
        let mut two = months(&[1, 1], &[0, 0], &["0", "0"], &["0", "0"]);
        two[0].engineering_hours = d("1000");
        two[1].engineering_hours = d("1000.05");
        let t = monthly_trends(&two);
        assert_eq!(column(&t, "engineering_hours", |m| m.mom_pct), some(&["-", "0.01"]));
    }

    #[test]
    fn a_window_shorter_than_three_months_has_no_rolling_mean() {
        let t = monthly_trends(&months(&[4, 6], &[1, 3], &["3600", "10800"], &["10", "30"]));
        assert_eq!(column(&t, "bugs_resolved", |m| m.rolling_3), some(&["-", "-"]));
        // (6-4)/4 = 50%
        assert_eq!(column(&t, "bugs_opened", |m| m.mom_pct), some(&["-", "50.00"]));
    }

    fn opened(months: &[MonthInputs]) -> Vec<i64> {
        months.iter().map(|m| m.bugs_opened).collect()
    }

    #[test]
    fn slope_of_bug_inflow() {
        // y = 10, 0, 20, 30 at x = 0..3: x̄ = 1.5, ȳ = 15
        // Σ(x-x̄)(y-ȳ) = (-1.5)(-5) + (-0.5)(-15) + (0.5)(5) + (1.5)(15) = 7.5 + 7.5 + 2.5 + 22.5 = 40
        // Σ(x-x̄)² = 2.25 + 0.25 + 0.25 + 2.25 = 5 -> slope 8
        let four = months(&[10, 0, 20, 30], &[0; 4], &["0"; 4], &["0"; 4]);
        assert_eq!(inflow_slope(&opened(&four)), Some(d("8.0000")));
        assert_eq!(inflow_slope(&opened(&four[..1])), None);
        // y = 0, 0, 0, 0, 0, 0, 0, 1 over 8 months: x̄ = 3.5, Σ(x-x̄)(y-ȳ) = (7 - 3.5) x 1 = 3.5,
        // Σ(x-x̄)² = 42: slope = 1/12 = 0.083333… -> 0.0833
        let eight = months(&[0, 0, 0, 0, 0, 0, 0, 1], &[0; 8], &["0"; 8], &["0"; 8]);
        assert_eq!(inflow_slope(&opened(&eight)), Some(d("0.0833")));
        // y = 0, 1: slope 1
        let two = months(&[0, 1], &[0; 2], &["0"; 2], &["0"; 2]);
        assert_eq!(inflow_slope(&opened(&two)), Some(d("1.0000")));
    }
}
