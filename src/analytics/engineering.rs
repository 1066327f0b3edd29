//! Engineering metrics (SPEC §6): mean resolution hours and SLA compliance by severity,
//! and over all bugs: bugs resolved per 100 engineering hours and cost per resolved bug.
//! Exact inputs, each value rounded from its exact value.

use rust_decimal::Decimal;

use super::exact;
use crate::model::Severity;

/// The bugs of one severity resolved in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityInputs {
    pub severity: Severity,
    pub bugs_resolved: i64,
    /// Σ (resolved_at − created_at) in seconds, exact.
    pub resolution_seconds: Decimal,
    pub within_sla: i64,
}

/// One row of the report: a severity, or every severity (`severity` None) with the
/// effort rates, which only exist over all bugs.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineeringRow {
    pub severity: Option<Severity>,
    pub bugs_resolved: i64,
    pub mean_resolution_hours: Option<Decimal>,
    pub sla_compliance: Option<Decimal>,
    pub resolved_per_100_hours: Option<Decimal>,
    pub cost_per_resolved_bug: Option<Decimal>,
    pub engineering_hours: Option<Decimal>,
    pub engineering_cost: Option<Decimal>,
}

fn mean_hours(seconds: Decimal, resolved: i64) -> Option<Decimal> {
    exact::round_ratio(&exact::decimal(seconds), &exact::int(resolved.saturating_mul(3600)), 2)
}

fn compliance(within: i64, resolved: i64) -> Option<Decimal> {
    exact::round_ratio(&exact::int(within), &exact::int(resolved), 4)
}

/// One row per severity, then the row over all of them with the window's engineering
/// hours and cost.
pub fn engineering_metrics(
    per_severity: &[SeverityInputs],
    engineering_hours: Decimal,
    engineering_cost: Decimal,
) -> Vec<EngineeringRow> {
    let mut rows: Vec<EngineeringRow> = per_severity
        .iter()
        .map(|s| EngineeringRow {
            severity: Some(s.severity),
            bugs_resolved: s.bugs_resolved,
            mean_resolution_hours: mean_hours(s.resolution_seconds, s.bugs_resolved),
            sla_compliance: compliance(s.within_sla, s.bugs_resolved),
            resolved_per_100_hours: None,
            cost_per_resolved_bug: None,
            engineering_hours: None,
            engineering_cost: None,
        })
        .collect();
    let resolved: i64 = per_severity.iter().map(|s| s.bugs_resolved).sum();
    let seconds: Decimal = per_severity.iter().map(|s| s.resolution_seconds).sum();
    let within: i64 = per_severity.iter().map(|s| s.within_sla).sum();
    rows.push(EngineeringRow {
        severity: None,
        bugs_resolved: resolved,
        mean_resolution_hours: mean_hours(seconds, resolved),
        sla_compliance: compliance(within, resolved),
        resolved_per_100_hours: exact::round_ratio(
            &exact::int(resolved.saturating_mul(100)),
            &exact::decimal(engineering_hours),
            2,
        ),
        cost_per_resolved_bug: exact::round_ratio(
            &exact::decimal(engineering_cost),
            &exact::int(resolved),
            2,
        ),
        engineering_hours: Some(engineering_hours),
        engineering_cost: Some(engineering_cost),
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn severity(severity: Severity, resolved: i64, hours: &str, within: i64) -> SeverityInputs {
        SeverityInputs {
            severity,
            bugs_resolved: resolved,
            resolution_seconds: d(hours) * Decimal::from(3600),
            within_sla: within,
        }
    }

    #[test]
    fn rates_by_severity_and_over_all() {
        let input = [
            severity(Severity::Critical, 2, "6", 2),
            severity(Severity::High, 0, "0", 0),
            severity(Severity::Medium, 3, "150", 1),
            severity(Severity::Low, 5, "2000", 4),
        ];
        let out = engineering_metrics(&input, d("400"), d("48000.00"));
        // critical 6/2 = 3 h, high: nothing resolved (NULL), medium 150/3 = 50, low 2000/5 = 400;
        // all: 2156/10 = 215.6
        let means: Vec<Option<Decimal>> = out.iter().map(|r| r.mean_resolution_hours).collect();
        assert_eq!(
            means,
            vec![Some(d("3.00")), None, Some(d("50.00")), Some(d("400.00")), Some(d("215.60"))]
        );
        // 2/2, -, 1/3, 4/5; all 7/10
        let compliance: Vec<Option<Decimal>> = out.iter().map(|r| r.sla_compliance).collect();
        assert_eq!(
            compliance,
            vec![Some(d("1.0000")), None, Some(d("0.3333")), Some(d("0.8000")), Some(d("0.7000"))]
        );
        // 100 x 10 / 400 h = 2.5 per 100 hours; 48,000 / 10 = 4,800 per resolved bug
        assert_eq!(out[4].resolved_per_100_hours, Some(d("2.50")));
        assert_eq!(out[4].cost_per_resolved_bug, Some(d("4800.00")));
        assert_eq!(out[4].severity, None);
    }

    #[test]
    fn ties_round_up() {
        // 18 s over 1 bug = 0.005 h exactly -> 0.01
        let out = engineering_metrics(
            &[SeverityInputs {
                severity: Severity::High,
                bugs_resolved: 1,
                resolution_seconds: d("18"),
                within_sla: 1,
            }],
            d("800"),
            d("0.05"),
        );
        assert_eq!(out[0].mean_resolution_hours, Some(d("0.01")));
        // 100 x 1 / 800 = 0.125 -> 0.13; 0.05 / 1 = 0.05
        assert_eq!(out[1].resolved_per_100_hours, Some(d("0.13")));
        assert_eq!(out[1].cost_per_resolved_bug, Some(d("0.05")));
        // compliance 1/16 = 0.0625 exactly (no tie at 4 places); 1/32 = 0.03125 -> 0.0313
        assert_eq!(compliance(1, 32), Some(d("0.0313")));
    }
}
