//! Project revenue projection, DCF valuation, ROI and health (SPEC §6).
//!
//! Input columns: `arr`, `revenue_growth_rate`, `operating_margin`, `discount_rate`,
//! `terminal_growth_rate`, `monthly_infra_cost`, `appeal_score`, `engineering_cost_12m`
//! (f64), `complexity_score` (i64); for health: `open_critical`, `open_breached`,
//! `open_bugs` (i64) and `recent_commits` (bool: a metrics row with commits > 0 in the 14
//! days up to today).

use polars::prelude::*;

use super::round;

/// The five explicit years of the DCF.
const YEARS: i32 = 5;

/// revenue_t = arr (1+g)^t; fcf_t = revenue_t margin - 12 infra;
/// terminal = fcf_5 (1+tg) / (r - tg); dcf = Σ fcf_t / (1+r)^t + terminal / (1+r)^5,
/// NULL when r ≤ tg.
fn dcf() -> Expr {
    let growth = lit(1.0) + col("revenue_growth_rate");
    let discount = lit(1.0) + col("discount_rate");
    let annual_infra = lit(12.0) * col("monthly_infra_cost");
    let mut revenue = col("arr");
    let mut discount_factor = lit(1.0);
    let mut present_value = lit(0.0);
    let mut fcf = lit(0.0);
    for _ in 0..YEARS {
        revenue = revenue * growth.clone();
        discount_factor = discount_factor * discount.clone();
        fcf = revenue.clone() * col("operating_margin") - annual_infra.clone();
        present_value = present_value + fcf.clone() / discount_factor.clone();
    }
    let terminal =
        fcf * (lit(1.0) + col("terminal_growth_rate")) / (col("discount_rate") - col("terminal_growth_rate"));
    let value = present_value + terminal / discount_factor;
    when(col("discount_rate").gt(col("terminal_growth_rate")))
        .then(round(value, 2))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

pub fn with_valuation(projects: LazyFrame) -> LazyFrame {
    let annual_cost = lit(12.0) * col("monthly_infra_cost") + col("engineering_cost_12m");
    projects
        .with_columns([
            round(col("arr") * (lit(1.0) + col("revenue_growth_rate")), 2).alias("revenue_projection_12m"),
            dcf().alias("dcf_valuation"),
            annual_cost.alias("annual_cost"),
        ])
        .with_column(
            round(
                col("dcf_valuation") / col("annual_cost").clip_min(lit(1.0)) * col("appeal_score")
                    / col("complexity_score").cast(DataType::Float64),
                4,
            )
            .alias("roi_score"),
        )
}

/// 100, minus 15 per open critical bug (at most 45), minus 5 per open breached bug (at most
/// 25), minus 20 without commits in the last 14 days, minus 10 with more than 20 open
/// bugs; clamped to 0..100.
pub fn with_health(projects: LazyFrame) -> LazyFrame {
    let critical = (lit(15) * col("open_critical")).clip_max(lit(45));
    let breached = (lit(5) * col("open_breached")).clip_max(lit(25));
    let idle = when(col("recent_commits")).then(lit(0)).otherwise(lit(20));
    let crowded = when(col("open_bugs").gt(lit(20))).then(lit(10)).otherwise(lit(0));
    projects.with_column(
        (lit(100) - critical - breached - idle - crowded)
            .clip(lit(0), lit(100))
            .cast(DataType::Int64)
            .alias("health_score"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Project {
        arr: f64,
        growth: f64,
        margin: f64,
        discount: f64,
        terminal: f64,
        infra: f64,
        engineering: f64,
        complexity: i64,
        appeal: f64,
    }

    fn valued(p: Project) -> DataFrame {
        let frame = df!(
            "arr" => [p.arr],
            "revenue_growth_rate" => [p.growth],
            "operating_margin" => [p.margin],
            "discount_rate" => [p.discount],
            "terminal_growth_rate" => [p.terminal],
            "monthly_infra_cost" => [p.infra],
            "engineering_cost_12m" => [p.engineering],
            "complexity_score" => [p.complexity],
            "appeal_score" => [p.appeal],
        )
        .unwrap();
        with_valuation(frame.lazy()).collect().unwrap()
    }

    fn get(frame: &DataFrame, column: &str) -> Option<f64> {
        frame.column(column).unwrap().f64().unwrap().get(0)
    }

    #[test]
    fn dcf_of_a_growing_project() {
        // arr 1,000,000, g 10%, margin 20%, infra 5,000/month (60,000/year), r 10%, tg 2%
        // revenue: 1,100,000  1,210,000  1,331,000  1,464,100  1,610,510
        // fcf:       160,000    182,000    206,200    232,820    262,102
        // pv: 145,454.545 + 150,413.223 + 154,921.112 + 159,019.193 + 162,744.721 = 772,552.794
        // terminal: 262,102 x 1.02 / 0.08 = 3,341,800.5; / 1.1^5 = 2,074,995.188
        // dcf = 2,847,547.98
        let p = valued(Project {
            arr: 1_000_000.0,
            growth: 0.10,
            margin: 0.20,
            discount: 0.10,
            terminal: 0.02,
            infra: 5_000.0,
            engineering: 240_000.0,
            complexity: 3,
            appeal: 6.0,
        });
        assert_eq!(get(&p, "revenue_projection_12m"), Some(1_100_000.0));
        assert_eq!(get(&p, "dcf_valuation"), Some(2_847_547.98));
        // annual cost 60,000 + 240,000 = 300,000; roi = 2,847,547.98 / 300,000 x 6 / 3 = 18.98365
        assert_eq!(get(&p, "roi_score"), Some(18.9837));
    }

    #[test]
    fn dcf_is_undefined_when_discount_does_not_exceed_terminal_growth() {
        let p = valued(Project {
            arr: 500_000.0,
            growth: 0.1,
            margin: 0.2,
            discount: 0.03,
            terminal: 0.03,
            infra: 100.0,
            engineering: 0.0,
            complexity: 2,
            appeal: 5.0,
        });
        assert_eq!(get(&p, "dcf_valuation"), None);
        assert_eq!(get(&p, "roi_score"), None);
        assert_eq!(get(&p, "revenue_projection_12m"), Some(550_000.0));
    }

    #[test]
    fn zero_arr_gives_a_negative_valuation_from_costs_alone() {
        // fcf_t = -12,000 every year; r 12%, tg 3%
        // pv = -12,000 x (1/1.12 + ... + 1/1.12^5) = -12,000 x 3.604776 = -43,257.31
        // terminal = -12,000 x 1.03 / 0.09 = -137,333.33; / 1.12^5 = -77,926.62
        // dcf = -121,183.94
        let p = valued(Project {
            arr: 0.0,
            growth: 0.1,
            margin: 0.2,
            discount: 0.12,
            terminal: 0.03,
            infra: 1_000.0,
            engineering: 0.0,
            complexity: 1,
            appeal: 10.0,
        });
        assert_eq!(get(&p, "dcf_valuation"), Some(-121_183.94));
        assert_eq!(get(&p, "revenue_projection_12m"), Some(0.0));
        // cost 12,000: -121,183.94 / 12,000 x 10 / 1 = -100.98662
        assert_eq!(get(&p, "roi_score"), Some(-100.9866));
    }

    #[test]
    fn roi_with_zero_cost_divides_by_one() {
        // no infra, no engineering: annual cost 0 -> max(0, 1) = 1
        // fcf_t = revenue_t x 0.5 with revenue 100 flat (g 0): 50 a year
        // pv = 50 x 3.790787 (r 10%) = 189.54; terminal = 50 x 1 / 0.1 = 500 / 1.61051 = 310.46
        // dcf = 500.00; roi = 500 / 1 x 4 / 2 = 1000
        let p = valued(Project {
            arr: 100.0,
            growth: 0.0,
            margin: 0.5,
            discount: 0.1,
            terminal: 0.0,
            infra: 0.0,
            engineering: 0.0,
            complexity: 2,
            appeal: 4.0,
        });
        assert_eq!(get(&p, "dcf_valuation"), Some(500.0));
        assert_eq!(get(&p, "roi_score"), Some(1000.0));
    }

    #[test]
    fn health_deductions_are_capped_and_clamped() {
        let frame = df!(
            "open_critical" => [0i64, 1, 5, 4],
            "open_breached" => [0i64, 2, 9, 0],
            "open_bugs" => [0i64, 21, 30, 4],
            "recent_commits" => [true, true, false, true],
        )
        .unwrap();
        let health = with_health(frame.lazy()).collect().unwrap();
        let scores = crate::analytics::i64_values(&health, "health_score").unwrap();
        // 100; 100-15-10-10 = 65; 100-45-25-20-10 = 0; 100-45 = 55
        assert_eq!(scores, vec![Some(100), Some(65), Some(0), Some(55)]);
    }
}
