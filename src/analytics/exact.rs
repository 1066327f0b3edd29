//! Exact arithmetic for the formulas whose value is a fraction with no finite decimal
//! (the DCF's discounting, ROI, means, rates, changes, slopes): the inputs are exact
//! decimals, every step is a rational of big integers, and only the final value is
//! rounded, half away from zero (SPEC §6). A tie such as 5.015 is therefore decided by
//! the exact value, never by a binary float that lands just below or above it.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};
use rust_decimal::Decimal;

/// An exact rational number.
pub type Exact = BigRational;

/// The exact value of a decimal.
pub fn decimal(value: Decimal) -> Exact {
    Exact::new(BigInt::from(value.mantissa()), BigInt::from(10u32).pow(value.scale()))
}

/// The exact value of an integer.
pub fn int(value: i64) -> Exact {
    Exact::from_integer(BigInt::from(value))
}

/// numerator / denominator, or None when the denominator is zero.
pub fn ratio(numerator: &Exact, denominator: &Exact) -> Option<Exact> {
    (!denominator.is_zero()).then(|| numerator / denominator)
}

/// Rounds half away from zero to `places` decimals: the decimal with that scale nearest
/// to `value`, the one further from zero when two are equally near. None when the result
/// does not fit a decimal (28 digits).
pub fn round(value: &Exact, places: u32) -> Option<Decimal> {
    round_fraction(value.numer(), value.denom(), places)
}

/// Rounds the fraction numerator / denominator of two integers half away from zero to
/// `places` decimals: one integer division, no reduction (a `BigRational` reduces by the
/// gcd after every step, which costs more than the whole formula). None when the
/// denominator is zero or the result does not fit a decimal.
pub fn round_fraction(numerator: &BigInt, denominator: &BigInt, places: u32) -> Option<Decimal> {
    if denominator.is_zero() {
        return None;
    }
    // |n|/|d| rounded half up at `places` is floor((2 |n| 10^places + |d|) / 2|d|)
    let scaled = numerator.abs() * BigInt::from(10u32).pow(places);
    let d = denominator.abs();
    let doubled: BigInt = scaled * 2 + &d;
    let magnitude = doubled.div_floor(&(d * 2));
    let negative = numerator.is_negative() != denominator.is_negative() && !magnitude.is_zero();
    let signed = if negative { -magnitude } else { magnitude };
    Decimal::try_from_i128_with_scale(signed.to_i128()?, places).ok()
}

/// A decimal as an integer numerator over 10^scale.
pub fn parts(value: Decimal) -> (BigInt, BigInt) {
    (BigInt::from(value.mantissa()), BigInt::from(10u32).pow(value.scale()))
}

/// Rounds numerator / denominator, None when the denominator is zero or the result does
/// not fit.
pub fn round_ratio(numerator: &Exact, denominator: &Exact, places: u32) -> Option<Decimal> {
    round(&ratio(numerator, denominator)?, places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn ties_round_away_from_zero() {
        // 5 + 15.00/1000 = 5.015 exactly: 5.02, where a binary float gives 5.01
        let score = int(5) + decimal(d("15.00")) / int(1000);
        assert_eq!(round(&score, 2), Some(d("5.02")));
        assert_eq!(round(&decimal(d("-5.015")), 2), Some(d("-5.02")));
        assert_eq!(round(&decimal(d("2.5")), 0), Some(d("3")));
        assert_eq!(round(&decimal(d("-2.5")), 0), Some(d("-3")));
        // just below and above a tie
        assert_eq!(round(&decimal(d("5.01499999999")), 2), Some(d("5.01")));
        assert_eq!(round(&decimal(d("5.01500000001")), 2), Some(d("5.02")));
    }

    #[test]
    fn results_carry_the_scale_asked_for() {
        assert_eq!(round(&int(10), 2).unwrap().to_string(), "10.00");
        assert_eq!(round(&decimal(d("0.5")), 4).unwrap().to_string(), "0.5000");
    }

    #[test]
    fn thirds_round_to_the_nearest() {
        assert_eq!(round_ratio(&int(1), &int(3), 4), Some(d("0.3333")));
        assert_eq!(round_ratio(&int(2), &int(3), 4), Some(d("0.6667")));
        assert_eq!(round_ratio(&int(-2), &int(3), 2), Some(d("-0.67")));
        assert_eq!(round_ratio(&int(1), &int(0), 2), None);
    }

    #[test]
    fn fractions_of_integers_round_like_rationals() {
        let b = |n: i64| BigInt::from(n);
        assert_eq!(round_fraction(&b(5015), &b(1000), 2), Some(d("5.02")));
        assert_eq!(round_fraction(&b(-5015), &b(1000), 2), Some(d("-5.02")));
        assert_eq!(round_fraction(&b(5015), &b(-1000), 2), Some(d("-5.02")));
        assert_eq!(round_fraction(&b(-1), &b(3), 2), Some(d("-0.33")));
        assert_eq!(round_fraction(&b(-1), &b(1000), 2), Some(d("0.00")));
        assert_eq!(round_fraction(&b(1), &b(0), 2), None);
        for (n, den) in [(7i64, 9i64), (-22, 7), (123456789, 1000), (1, 8)] {
            assert_eq!(round_fraction(&b(n), &b(den), 4), round_ratio(&int(n), &int(den), 4));
        }
    }

    #[test]
    fn too_large_for_a_decimal_is_none() {
        assert_eq!(round(&int(10).pow(30), 2), None);
    }
}

#[cfg(test)]
mod sql_tests {
    use super::*;
    use crate::testing::ScratchDb;
    use rand::{Rng, SeedableRng};

    /// ctodb_round_ratio, the SQL helpers' rounding, against `round_ratio` on ties and on
    /// random numerators and denominators of every sign and scale.
    #[tokio::test]
    async fn the_sql_rounding_agrees_with_the_exact_rounding() {
        let db = ScratchDb::new("round_ratio").await;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut cases: Vec<(Decimal, Decimal, i32)> = vec![
            (Decimal::new(5015, 3), Decimal::ONE, 2),
            (Decimal::new(-5015, 3), Decimal::ONE, 2),
            (Decimal::new(18, 0), Decimal::new(3600, 0), 2),
            (Decimal::new(1, 0), Decimal::new(32, 0), 4),
            (Decimal::new(1, 0), Decimal::new(-8, 0), 2),
            (Decimal::new(7, 0), Decimal::ZERO, 2),
            (Decimal::new(45, 0), Decimal::new(86400, 0), 1),
        ];
        for _ in 0..2_000 {
            let numerator = Decimal::new(rng.gen_range(-10_000_000_000..10_000_000_000), rng.gen_range(0..7));
            let denominator = Decimal::new(rng.gen_range(-100_000..100_000), rng.gen_range(0..3));
            cases.push((numerator, denominator, rng.gen_range(0..5)));
        }
        let numerators: Vec<Decimal> = cases.iter().map(|c| c.0).collect();
        let denominators: Vec<Decimal> = cases.iter().map(|c| c.1).collect();
        let places: Vec<i32> = cases.iter().map(|c| c.2).collect();
        let rows = db
            .client
            .query(
                "SELECT ctodb_round_ratio(n, d, p) FROM unnest($1::numeric[], $2::numeric[], $3::int[])
                        WITH ORDINALITY AS c (n, d, p, i) ORDER BY i",
                &[&numerators, &denominators, &places],
            )
            .await
            .unwrap();
        for (case, row) in cases.iter().zip(&rows) {
            let sql: Option<Decimal> = row.get(0);
            let rust = round_ratio(&decimal(case.0), &decimal(case.1), case.2 as u32);
            assert_eq!(sql.map(|d| d.to_string()), rust.map(|d| d.to_string()), "{case:?}");
        }
        // the ties above: 5.015, -5.015, 0.005 h, 1/32, -1/8 and 45 s in days
        let ties: Vec<Option<String>> =
            rows[..7].iter().map(|row| row.get::<_, Option<Decimal>>(0).map(|d| d.to_string())).collect();
        let expected = ["5.02", "-5.02", "0.01", "0.0313", "-0.13"].map(|s| Some(s.to_string()));
        assert_eq!(ties[..5], expected);
        assert_eq!(ties[5], None, "a zero denominator gives NULL");
        assert_eq!(ties[6].as_deref(), Some("0.0"), "45 s is 0.0005 days");
        db.drop().await;
    }
}
