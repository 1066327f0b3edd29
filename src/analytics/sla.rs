//! The SLA rule (SPEC §6) in Polars, the Rust twin of the SQL function `ctodb_sla_state`
//! (a test runs both over every severity, status and boundary instant and compares them).
//!
//! Input columns: `status` (str, the schema label), `sla_hours` (i64), and instants as
//! microseconds since the epoch (i64): `created_at`, `due_at`, `resolved_at` (nullable).

use polars::prelude::*;

use crate::model::BugStatus;

/// An hour in microseconds.
pub const HOUR: i64 = 3_600_000_000;
/// 75% of an hour, in microseconds: a bug is at risk from sla_hours × this after creation.
const AT_RISK_PER_SLA_HOUR: i64 = 3 * HOUR / 4;

/// The SLA state of a bug at an instant, with the labels `ctodb_sla_state` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// open, within 75% of its SLA
    Ok,
    /// open, past 75% of its SLA, not past due
    AtRisk,
    /// open and past due, or resolved after its due instant
    Breached,
    /// resolved by its due instant
    Met,
    /// outside the SLA
    Deferred,
}

impl SlaState {
    #[cfg(test)]
    pub const ALL: [SlaState; 5] = [SlaState::Ok, SlaState::AtRisk, SlaState::Breached, SlaState::Met, SlaState::Deferred];

    pub const fn label(self) -> &'static str {
        match self {
            SlaState::Ok => "ok",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::Met => "met",
            SlaState::Deferred => "deferred",
        }
    }
}

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
    let breached = is_status(BugStatus::Deferred).not().and(open_breached.or(resolved_late)).fill_null(lit(false));
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
