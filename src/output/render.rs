//! How single values read: plain (CSV, JSON strings) and for people (tables).

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::SecondsFormat;
use rust_decimal::Decimal;

use crate::frame::{Kind, Value};

/// The machine form: RFC 3339 UTC timestamps, plain decimals, lists joined with `;`.
pub fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => plain_float(*x),
        Value::Decimal(d) => d.to_string(),
        Value::Text(s) => s.clone(),
        Value::Uuid(u) => u.to_string(),
        Value::Timestamp(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        Value::Date(d) => d.to_string(),
        Value::List(items) => items.join(";"),
    }
}

/// A binary float as people read it: at most six decimals, no trailing zeros, so that
/// 1.0485360000000001 reads 1.048536 (the exact values ctodb computes are decimals; a
/// float here is a measurement, such as a similarity).
pub fn plain_float(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let text = format!("{x:.6}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// The form for a person reading a table.
/// Whether a person reads instants in the local time zone (`--local-time`): one setting
/// for the process, made once when the output is resolved.
static LOCAL_TIME: AtomicBool = AtomicBool::new(false);

pub fn show_local_time(local: bool) {
    LOCAL_TIME.store(local, Ordering::Relaxed);
}

pub fn human(value: &Value, kind: Kind) -> String {
    match (value, kind) {
        (Value::Null, _) => "–".to_string(),
        (Value::Decimal(d), Kind::Money) => group_thousands(&d.round_dp(2), 2),
        (Value::Int(n), Kind::Bytes) => human_bytes(*n),
        (Value::Int(n), Kind::Id) => n.to_string(),
        (Value::Int(n), _) => group_thousands(&Decimal::from(*n), 0),
        (Value::Float(x), _) if x.is_finite() => {
            let decimals = if x.abs() >= 100.0 { 1 } else { 2 };
            format!("{x:.decimals$}")
        }
        (Value::Bool(b), _) => if *b { "yes" } else { "no" }.to_string(),
        (Value::Timestamp(t), _) if LOCAL_TIME.load(Ordering::Relaxed) => {
            t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M%:z").to_string()
        }
        (Value::Timestamp(t), _) => t.format("%Y-%m-%d %H:%M").to_string(),
        (Value::List(items), _) => items.join(", "),
        _ => plain(value),
    }
}

/// `1234567.5` with 2 decimals → `1,234,567.50`.
pub fn group_thousands(value: &Decimal, decimals: u32) -> String {
    let text = format!("{:.*}", decimals as usize, value);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_is_grouped_with_two_decimals() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(group_thousands(&d("1234567.5"), 2), "1,234,567.50");
        assert_eq!(group_thousands(&d("-1000"), 2), "-1,000.00");
        assert_eq!(group_thousands(&d("999.99"), 2), "999.99");
        assert_eq!(group_thousands(&d("100"), 0), "100");
    }

    #[test]
    fn floats_print_without_binary_noise() {
        assert_eq!(plain_float(1.0485360000000001), "1.048536");
        assert_eq!(plain_float(0.1 + 0.2), "0.3");
        assert_eq!(plain_float(2.0), "2");
        assert_eq!(plain_float(-0.0000001), "0");
        assert_eq!(plain_float(f64::NAN), "");
    }

    #[test]
    fn sizes_are_humanised() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(8192), "8.0 kB");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MB");
    }
}

/// A row of numbers as bars of eight heights (▁▂▃▄▅▆▇█), scaled from zero to the largest.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = values.iter().copied().fold(0f64, f64::max);
    values
        .iter()
        .map(|v| {
            if top <= 0.0 || !v.is_finite() {
                BARS[0]
            } else {
                BARS[((v.max(0.0) / top) * 7.0).round() as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod sparkline_tests {
    use super::sparkline;

    #[test]
    fn sparklines_scale_from_zero_to_the_largest() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 7.0]), "▁▂▃█");
        assert_eq!(sparkline(&[0.0, 0.0]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
