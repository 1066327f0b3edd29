//! Project revenue projection, DCF valuation, ROI and health (SPEC §6), exact.
//!
//! The inputs are the exact decimals of the database. The DCF discounts by powers of
//! (1 + r), whose quotients have no finite decimal, so every step is an exact rational
//! (`exact`) and only the result is rounded, half away from zero: a valuation that is
//! exactly x.xx5 rounds up whatever the path to it.

use rust_decimal::Decimal;

use num_bigint::BigInt;
use num_traits::Zero;

use super::exact;
#[cfg(test)]
use super::exact::Exact;

/// The five explicit years of the DCF.
const YEARS: u32 = 5;

/// What a project's valuation and ROI are computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuationInputs {
    pub arr: Decimal,
    pub revenue_growth_rate: Decimal,
    pub operating_margin: Decimal,
    pub discount_rate: Decimal,
    pub terminal_growth_rate: Decimal,
    pub monthly_infra_cost: Decimal,
    /// Σ engineering_cost of the 12 calendar months before the month of now.
    pub engineering_cost_12m: Decimal,
    pub complexity_score: i64,
    pub appeal_score: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Valuation {
    /// round(arr × (1 + g), 2)
    pub revenue_projection_12m: Option<Decimal>,
    /// round(DCF, 2); None when r ≤ tg (undefined)
    pub dcf_valuation: Option<Decimal>,
    /// 12 × monthly_infra_cost + engineering_cost_12m, exact
    pub annual_cost: Decimal,
    /// round(dcf_valuation / max(annual_cost, 1) × appeal / complexity, 4)
    pub roi_score: Option<Decimal>,
}

/// The DCF as one fraction of integers, or None when r ≤ tg. Every input is an integer
/// over a power of ten (arr = A/a, infra = C/c, g = gn/gd, margin = mn/md, r = rn/rd,
/// tg = tn/td), so with 1 + g = G/gd and 1 + r = R/rd every term has a denominator that
/// divides base R^5 (r − tg), base = a c gd^5 md: the terms are summed over that one
/// denominator, and nothing is divided (or reduced by a gcd) before the one rounding.
fn dcf_fraction(p: &ValuationInputs) -> Option<(BigInt, BigInt)> {
    if p.discount_rate <= p.terminal_growth_rate {
        return None;
    }
    let (arr, a) = exact::parts(p.arr);
    let (infra, c) = exact::parts(p.monthly_infra_cost);
    let (gn, gd) = exact::parts(p.revenue_growth_rate);
    let (mn, md) = exact::parts(p.operating_margin);
    let (rn, rd) = exact::parts(p.discount_rate);
    let (tn, td) = exact::parts(p.terminal_growth_rate);
    let growth = &gd + &gn; // (1 + g) = growth / gd
    let discount = &rd + &rn; // (1 + r) = discount / rd
                              // fcf_t = (arr growth^t mn c − 12 infra a gd^t md) / (a c gd^t md): keep the numerator
                              // over the common denominator a c gd^5 md by scaling with gd^(5−t)
    let fcf_numerator = |t: u32| -> BigInt {
        (&arr * growth.pow(t) * &mn * &c - BigInt::from(12) * &infra * &a * gd.pow(t) * &md)
            * gd.pow(YEARS - t)
    };
    // Σ fcf_t / (1+r)^t = Σ fcf_numerator(t) rd^t discount^(5−t) / (base discount^5)
    let base = &a * &c * gd.pow(YEARS) * &md;
    let mut explicit = BigInt::zero();
    for t in 1..=YEARS {
        explicit += fcf_numerator(t) * rd.pow(t) * discount.pow(YEARS - t);
    }
    // terminal / (1+r)^5 = fcf_5 (1 + tg) / (r − tg) / (1+r)^5
    //   = fcf_numerator(5) (td + tn) rd^5 / (base discount^5 (r − tg) td)
    // with r − tg = (rn td − tn rd) / (rd td)
    let spread = &rn * &td - &tn * &rd;
    let terminal = fcf_numerator(YEARS) * (&td + &tn) * rd.pow(YEARS + 1);
    // explicit / (base discount^5) + terminal / (base discount^5 spread)
    let numerator = explicit * &spread + terminal;
    let denominator = base * discount.pow(YEARS) * spread;
    Some((numerator, denominator))
}

/// revenue_t = arr (1+g)^t; fcf_t = revenue_t × margin − 12 infra;
/// terminal = fcf_5 (1+tg) / (r − tg); dcf = Σ fcf_t / (1+r)^t + terminal / (1+r)^5.
/// The exact value, or None when r ≤ tg.
#[cfg(test)]
pub fn dcf_exact(p: &ValuationInputs) -> Option<Exact> {
    if p.discount_rate <= p.terminal_growth_rate {
        return None;
    }
    let one = exact::int(1);
    let growth = &one + exact::decimal(p.revenue_growth_rate);
    let discount = &one + exact::decimal(p.discount_rate);
    let margin = exact::decimal(p.operating_margin);
    let annual_infra = exact::int(12) * exact::decimal(p.monthly_infra_cost);
    let mut revenue = exact::decimal(p.arr);
    let mut discount_factor = one.clone();
    let mut present_value = exact::int(0);
    let mut fcf = exact::int(0);
    for _ in 0..YEARS {
        revenue *= &growth;
        discount_factor *= &discount;
        fcf = &revenue * &margin - &annual_infra;
        present_value += &fcf / &discount_factor;
    }
    let r = exact::decimal(p.discount_rate);
    let tg = exact::decimal(p.terminal_growth_rate);
    let terminal = fcf * (&one + &tg) / (r - tg);
    Some(present_value + terminal / discount_factor)
}

pub fn valuation(p: &ValuationInputs) -> Valuation {
    let projection = exact::decimal(p.arr) * (exact::int(1) + exact::decimal(p.revenue_growth_rate));
    let dcf_valuation = dcf_fraction(p).and_then(|(n, d)| exact::round_fraction(&n, &d, 2));
    let annual_cost = Decimal::from(12) * p.monthly_infra_cost + p.engineering_cost_12m;
    // ROI divides the stored (rounded) valuation, as SPEC §6 names dcf_valuation:
    // (dn/dd) (an/ad) / ((cn/cd) complexity) = dn an cd / (dd ad cn complexity)
    let roi_score = dcf_valuation.and_then(|dcf| {
        let (dn, dd) = exact::parts(dcf);
        let (an, ad) = exact::parts(p.appeal_score);
        let (cn, cd) = exact::parts(annual_cost.max(Decimal::ONE));
        exact::round_fraction(&(dn * an * cd), &(dd * ad * cn * BigInt::from(p.complexity_score)), 4)
    });
    Valuation { revenue_projection_12m: exact::round(&projection, 2), dcf_valuation, annual_cost, roi_score }
}

/// What a project's health is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthInputs {
    pub open_critical: i64,
    pub open_breached: i64,
    pub open_bugs: i64,
    /// a project_metrics row with commits > 0 in (today − 14 days, today]
    pub recent_commits: bool,
}

/// 100, minus 15 per open critical bug (at most 45), minus 5 per open breached bug (at most
/// 25), minus 20 without commits in the last 14 days, minus 10 with more than 20 open
/// bugs; clamped to 0..100.
pub fn health(h: HealthInputs) -> i16 {
    let critical = h.open_critical.saturating_mul(15).min(45);
    let breached = h.open_breached.saturating_mul(5).min(25);
    let idle = if h.recent_commits { 0 } else { 20 };
    let crowded = if h.open_bugs > 20 { 10 } else { 0 };
    // every deduction is at most 45, so the difference cannot overflow
    (100 - critical.max(0) - breached.max(0) - idle - crowded).clamp(0, 100) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn project(
        arr: &str,
        growth: &str,
        margin: &str,
        discount: &str,
        terminal: &str,
        infra: &str,
    ) -> ValuationInputs {
        ValuationInputs {
            arr: d(arr),
            revenue_growth_rate: d(growth),
            operating_margin: d(margin),
            discount_rate: d(discount),
            terminal_growth_rate: d(terminal),
            monthly_infra_cost: d(infra),
            engineering_cost_12m: Decimal::ZERO,
            complexity_score: 1,
            appeal_score: d("1"),
        }
    }

    #[test]
    fn dcf_of_a_growing_project() {
        // arr 1,000,000, g 10%, margin 20%, infra 5,000/month (60,000/year), r 10%, tg 2%
        // revenue: 1,100,000  1,210,000  1,331,000  1,464,100  1,610,510
        // fcf:       160,000    182,000    206,200    232,820    262,102
        // pv: 145,454.545 + 150,413.223 + 154,921.112 + 159,019.193 + 162,744.721 = 772,552.794
        // terminal: 262,102 x 1.02 / 0.08 = 3,341,800.5; / 1.1^5 = 2,074,995.188
        // dcf = 2,847,547.98
        let p = ValuationInputs {
            engineering_cost_12m: d("240000"),
            complexity_score: 3,
            appeal_score: d("6"),
            ..project("1000000", "0.10", "0.20", "0.10", "0.02", "5000")
        };
        let v = valuation(&p);
        assert_eq!(v.revenue_projection_12m, Some(d("1100000.00")));
        assert_eq!(v.dcf_valuation, Some(d("2847547.98")));
        // annual cost 60,000 + 240,000 = 300,000; roi = 2,847,547.98 / 300,000 x 6 / 3 = 18.9836532
        assert_eq!(v.annual_cost, d("300000"));
        assert_eq!(v.roi_score, Some(d("18.9837")));
    }

    #[test]
    fn a_dcf_that_is_exactly_a_tie_rounds_up() {
        // r = 0, tg = -0.5: no discounting, terminal = fcf_5 x 0.5 / 0.5 = fcf_5
        // arr 1.00, g 0, margin 0.0025, no infra: fcf_t = 0.0025 each year
        // dcf = 5 x 0.0025 + 0.0025 = 0.015 exactly -> 0.02 (a float sum gives 0.01499...)
        let p = project("1.00", "0", "0.0025", "0", "-0.5", "0");
        assert_eq!(dcf_exact(&p), Some(Exact::new(15.into(), 1000.into())));
        assert_eq!(valuation(&p).dcf_valuation, Some(d("0.02")));
        // the same, negative: margin -0.0025 -> -0.015 -> -0.02
        let p = project("1.00", "0", "-0.0025", "0", "-0.5", "0");
        assert_eq!(valuation(&p).dcf_valuation, Some(d("-0.02")));
    }

    #[test]
    fn revenue_projection_ties_round_up() {
        // 10.50 x 1.0001 = 10.501050 -> 10.50; 0.50 x 1.0100 = 0.505 -> 0.51
        assert_eq!(
            valuation(&project("10.50", "0.0001", "0", "0.1", "0", "0")).revenue_projection_12m,
            Some(d("10.50"))
        );
        assert_eq!(
            valuation(&project("0.50", "0.01", "0", "0.1", "0", "0")).revenue_projection_12m,
            Some(d("0.51"))
        );
    }

    #[test]
    fn roi_ties_round_up() {
        // arr 0.01, g 0, margin 1, r 0, tg -0.5, no infra: fcf_t = 0.01, terminal = fcf_5,
        // dcf = 6 x 0.01 = 0.06; annual cost 0 -> 1; appeal 0.03, complexity 4:
        // roi = 0.06 x 0.03 / 4 = 0.00045 exactly, a tie at the 4th place -> 0.0005
        let p = ValuationInputs {
            complexity_score: 4,
            appeal_score: d("0.03"),
            ..project("0.01", "0", "1", "0", "-0.5", "0")
        };
        let v = valuation(&p);
        assert_eq!(v.dcf_valuation, Some(d("0.06")));
        assert_eq!(v.roi_score, Some(d("0.0005")));
    }

    #[test]
    fn dcf_is_undefined_when_discount_does_not_exceed_terminal_growth() {
        let v = valuation(&project("500000", "0.1", "0.2", "0.03", "0.03", "100"));
        assert_eq!(v.dcf_valuation, None);
        assert_eq!(v.roi_score, None);
        assert_eq!(v.revenue_projection_12m, Some(d("550000.00")));
    }

    #[test]
    fn zero_arr_gives_a_negative_valuation_from_costs_alone() {
        // fcf_t = -12,000 every year; r 12%, tg 3%
        // pv = -12,000 x (1/1.12 + ... + 1/1.12^5) = -12,000 x 3.604776 = -43,257.31
        // terminal = -12,000 x 1.03 / 0.09 = -137,333.33; / 1.12^5 = -77,926.62
        // dcf = -121,183.94
        let p =
            ValuationInputs { appeal_score: d("10"), ..project("0", "0.1", "0.2", "0.12", "0.03", "1000") };
        let v = valuation(&p);
        assert_eq!(v.dcf_valuation, Some(d("-121183.94")));
        assert_eq!(v.revenue_projection_12m, Some(d("0.00")));
        // cost 12,000: -121,183.94 / 12,000 x 10 / 1 = -100.986617 -> -100.9866
        assert_eq!(v.roi_score, Some(d("-100.9866")));
    }

    #[test]
    fn roi_with_zero_cost_divides_by_one() {
        // no infra, no engineering: annual cost 0 -> max(0, 1) = 1
        // fcf_t = 100 x 0.5 = 50 a year; pv = 50 x 3.790787 (r 10%) = 189.54;
        // terminal = 50 / 0.1 = 500 / 1.61051 = 310.46; dcf = 500.00; roi = 500 x 4 / 2 = 1000
        let p = ValuationInputs {
            complexity_score: 2,
            appeal_score: d("4"),
            ..project("100", "0", "0.5", "0.1", "0", "0")
        };
        let v = valuation(&p);
        assert_eq!(v.dcf_valuation, Some(d("500.00")));
        assert_eq!(v.roi_score, Some(d("1000.0000")));
    }

    #[test]
    fn the_integer_fraction_equals_the_rational_dcf_on_random_inputs() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2_000 {
            let p = ValuationInputs {
                arr: Decimal::new(rng.gen_range(0..100_000_000_000), 2),
                revenue_growth_rate: Decimal::new(rng.gen_range(-9_999..50_000), 4),
                operating_margin: Decimal::new(rng.gen_range(-20_000..=10_000), 4),
                discount_rate: Decimal::new(rng.gen_range(-9_999..5_000), 4),
                terminal_growth_rate: Decimal::new(rng.gen_range(-9_999..5_000), 4),
                monthly_infra_cost: Decimal::new(rng.gen_range(0..1_000_000_000), 2),
                ..project("0", "0", "0", "0", "0", "0")
            };
            let rational = dcf_exact(&p).and_then(|v| exact::round(&v, 2));
            let fraction = dcf_fraction(&p).and_then(|(n, d)| exact::round_fraction(&n, &d, 2));
            assert_eq!(fraction, rational, "{p:?}");
        }
    }

    #[test]
    fn health_deductions_are_capped_and_clamped() {
        let h = |open_critical, open_breached, open_bugs, recent_commits| {
            health(HealthInputs { open_critical, open_breached, open_bugs, recent_commits })
        };
        assert_eq!(h(0, 0, 0, true), 100);
        // 100 - 15 - 10 - 10 = 65
        assert_eq!(h(1, 2, 21, true), 65);
        // 100 - 45 - 25 - 20 - 10 = 0
        assert_eq!(h(5, 9, 30, false), 0);
        // 100 - 45 = 55; exactly 20 open bugs is not "more than 20"
        assert_eq!(h(4, 0, 20, true), 55);
        assert_eq!(h(0, 0, 21, true), 90);
    }
}
