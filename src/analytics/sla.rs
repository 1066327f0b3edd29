//! The SLA rule (SPEC §6) in Polars, the Rust twin of the SQL function `ctodb_sla_state`
//! (a test runs both over every severity, status and boundary instant and compares them).
//!
//! Input columns: `status` (str, the schema label), `sla_hours` (i64), and instants as
//! microseconds since the epoch (i64): `created_at`, `due_at`, `resolved_at` (nullable).

use polars::prelude::*;

use crate::model::{BugStatus, SlaState};

/// An hour in microseconds.
pub const HOUR: i64 = 3_600_000_000;
/// 75% of an hour, in microseconds: a bug is at risk from sla_hours × this after creation.
const AT_RISK_PER_SLA_HOUR: i64 = 3 * HOUR / 4;

fn is_status(status: BugStatus) -> Expr {
    col("status").eq(lit(status.label()))
}

/// Whether the bug's status is an open one (pending, in_progress).
pub fn is_open() -> Expr {
    BugStatus::OPEN.iter().map(|status| is_status(*status)).reduce(Expr::or).unwrap_or(lit(false))
}

/// Adds `breached`, `at_risk` (bool) and `sla_state` (str):
/// breached: open and now > due_at, or resolved and resolved_at > due_at (deferred never);
/// at_risk: open, not breached, and now − created_at ≥ 0.75 × sla_hours (exactly
/// sla_hours × 45 minutes, a whole number of microseconds).
pub fn with_sla_state(bugs: LazyFrame, now_micros: i64) -> LazyFrame {
    let now = lit(now_micros);
    let open_breached = is_open().and(now.clone().gt(col("due_at")));
    let resolved_late = col("resolved_at").is_not_null().and(col("resolved_at").gt(col("due_at")));
    let breached =
        is_status(BugStatus::Deferred).not().and(open_breached.or(resolved_late)).fill_null(lit(false));
    let at_risk = is_open()
        .and(breached.clone().not())
        .and((now - col("created_at")).gt_eq(col("sla_hours") * lit(AT_RISK_PER_SLA_HOUR)))
        .fill_null(lit(false));
    let state = when(is_status(BugStatus::Deferred))
        .then(lit(SlaState::Deferred.label()))
        .when(breached.clone())
        .then(lit(SlaState::Breached.label()))
        .when(at_risk.clone())
        .then(lit(SlaState::AtRisk.label()))
        .when(is_open())
        .then(lit(SlaState::Ok.label()))
        .otherwise(lit(SlaState::Met.label()));
    bugs.with_columns([breached.alias("breached"), at_risk.alias("at_risk"), state.alias("sla_state")])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use crate::testing::ScratchDb;
    use chrono::{DateTime, Utc};

    const SECOND: i64 = 1_000_000;

    /// The instant the cases are judged at.
    const NOW: i64 = 1_790_000_000 * SECOND;

    /// One bug: (severity, sla_hours, status, created, resolved), µs, judged at NOW.
    type Case = (Severity, i64, BugStatus, i64, Option<i64>);

    /// Every severity (with its default SLA and with odd SLAs), every status, and ages
    /// around each boundary: 75% of the SLA, the due instant; resolutions around it.
    fn cases() -> Vec<Case> {
        let mut cases = Vec::new();
        for severity in Severity::ALL {
            for sla in [i64::from(severity.default_sla_hours()), 1, 5, 7] {
                let sla_span = sla * HOUR;
                let at_risk_age = sla * AT_RISK_PER_SLA_HOUR;
                let ages = [
                    -SECOND,
                    0,
                    at_risk_age - 1,
                    at_risk_age,
                    at_risk_age + 1,
                    sla_span - 1,
                    sla_span,
                    sla_span + 1,
                    sla_span + 100 * HOUR,
                ];
                for status in BugStatus::ALL {
                    for age in ages {
                        let created = NOW - age;
                        let due = created + sla_span;
                        let resolutions: &[Option<i64>] = if status.is_resolved() {
                            &[Some(due - 1), Some(due), Some(due + 1)]
                        } else {
                            &[None]
                        };
                        for resolved in resolutions {
                            cases.push((*severity, sla, *status, created, *resolved));
                        }
                    }
                }
            }
        }
        cases
    }

    fn instant(micros: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(micros).unwrap()
    }

    // multi-threaded: Polars refuses to collect on a current-thread runtime
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sql_sla_functions_and_the_polars_rule_agree_at_every_boundary() {
        let db = ScratchDb::new("sla_agreement").await;
        let cases = cases();
        let frame = df!(
            "status" => cases.iter().map(|c| c.2.label()).collect::<Vec<_>>(),
            "sla_hours" => cases.iter().map(|c| c.1).collect::<Vec<_>>(),
            "created_at" => cases.iter().map(|c| c.3).collect::<Vec<_>>(),
            "due_at" => cases.iter().map(|c| c.3 + c.1 * HOUR).collect::<Vec<_>>(),
            "resolved_at" => cases.iter().map(|c| c.4).collect::<Vec<_>>(),
        )
        .unwrap();
        let rust = with_sla_state(frame.lazy(), NOW).collect().unwrap();
        let rust_states = rust.column("sla_state").unwrap().str().unwrap().clone();
        let rows = db
            .client
            .query(
                "SELECT ctodb_sla_state(c.status, c.created_at, c.created_at + make_interval(hours => c.sla),
                                        c.sla, c.resolved_at, $6::timestamptz) AS state,
                        ctodb_default_sla_hours(c.severity) AS default_hours
                 FROM unnest($1::bug_status[], $2::timestamptz[], $3::int[], $4::timestamptz[], $5::bug_severity[])
                      WITH ORDINALITY AS c (status, created_at, sla, resolved_at, severity, n)
                 ORDER BY c.n",
                &[
                    &cases.iter().map(|c| c.2).collect::<Vec<_>>(),
                    &cases.iter().map(|c| instant(c.3)).collect::<Vec<_>>(),
                    &cases.iter().map(|c| c.1 as i32).collect::<Vec<_>>(),
                    &cases.iter().map(|c| c.4.map(instant)).collect::<Vec<_>>(),
                    &cases.iter().map(|c| c.0).collect::<Vec<_>>(),
                    &instant(NOW),
                ],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), cases.len());
        let mut states_seen = std::collections::BTreeSet::new();
        for (i, (case, row)) in cases.iter().zip(&rows).enumerate() {
            let sql_state: String = row.get("state");
            assert_eq!(rust_states.get(i), Some(sql_state.as_str()), "{case:?}");
            let default_hours: i32 = row.get("default_hours");
            assert_eq!(default_hours, case.0.default_sla_hours(), "{case:?}");
            states_seen.insert(sql_state);
        }
        // the cases reach every state
        let all: std::collections::BTreeSet<String> =
            SlaState::ALL.iter().map(|s| s.label().to_string()).collect();
        assert_eq!(states_seen, all);
        db.drop().await;
    }
}
