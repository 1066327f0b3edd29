//! A GitHub re-sync that keeps what people decided in ctodb (SPEC §9). Each synced bug
//! keeps what upstream said at the last sync (`Upstream`, in `ctodb.github_sync`); a field
//! is taken from upstream only when upstream changed it since then, so a severity set by
//! hand, a bug moved on with `bug update`, an assignee chosen in ctodb stay until upstream
//! changes that field again. Status follows upstream's state along the workflow: closed
//! as completed → closed, resolved when upstream closed it; closed as not planned or as a
//! duplicate → deferred (not resolved); reopened → pending. Pure functions, no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{BugStatus, Severity};

/// What upstream said of an issue, in the terms compared from one sync to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// `owner/name`, lower-case
    pub repo: String,
    /// `open` or `closed`
    pub state: String,
    /// `completed`, `not_planned`, `duplicate`, `reopened` or none
    pub state_reason: Option<String>,
    pub title: String,
    /// sha-256 of the body as ctodb stores it (empty when there is none)
    pub body_sha256: String,
    /// the severity its labels give
    pub severity: String,
    pub labels: Vec<String>,
    /// logins, lower-case
    pub reporter: Option<String>,
    pub assignee: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A bug's fields a sync may write.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    pub project: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub status: BugStatus,
    pub labels: Vec<String>,
    pub reporter: Option<Uuid>,
    pub assignee: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The status and resolution instant upstream's state gives a new bug.
pub fn initial_status(upstream: &Upstream, created_at: DateTime<Utc>) -> (BugStatus, Option<DateTime<Utc>>) {
    follow(BugStatus::Pending, None, upstream, created_at)
}

/// Where a bug of status `status` goes when upstream's state became `upstream`'s.
fn follow(
    status: BugStatus,
    resolved_at: Option<DateTime<Utc>>,
    upstream: &Upstream,
    created_at: DateTime<Utc>,
) -> (BugStatus, Option<DateTime<Utc>>) {
    match (upstream.state.as_str(), upstream.state_reason.as_deref()) {
        // closed without a fix: out of the SLA, not resolved; a bug already resolved in
        // ctodb stays resolved (the workflow has no way back from there but reopening)
        ("closed", Some("not_planned" | "duplicate")) if status.is_open() => (BugStatus::Deferred, None),
        ("closed", Some("not_planned" | "duplicate")) => (status, resolved_at),
        ("closed", _) => {
            let at = upstream.closed_at.map(|at| at.max(created_at)).or(resolved_at);
            (BugStatus::Closed, at.or(Some(created_at)))
        }
        // open (or reopened): an open bug keeps its place in the workflow
        _ if status.is_open() => (status, resolved_at),
        _ => (BugStatus::Pending, None),
    }
}

/// What upstream said at the last sync, when ctodb has no record of it (a bug synced by
/// an earlier version, which wrote upstream's values on every sync, or seeded): upstream's
/// fields as they are now, so that what people changed stays, and the state the bug's
/// status stands for, so that an issue closed or reopened upstream still moves the bug.
pub fn assumed(current: &Fields, now: &Upstream) -> Upstream {
    let closed = current.status == BugStatus::Closed;
    Upstream {
        state: if closed { "closed" } else { "open" }.to_string(),
        state_reason: now.state_reason.clone().filter(|_| closed && now.state == "closed"),
        closed_at: if closed { current.resolved_at } else { None },
        ..now.clone()
    }
}

/// The fields to store: upstream's where upstream changed them since `before`, the
/// current ones elsewhere.
pub fn merge(
    current: &Fields,
    before: &Upstream,
    now: &Upstream,
    proposed: &Fields,
    created_at: DateTime<Utc>,
) -> Fields {
    fn pick<T: Clone>(changed: bool, upstream: &T, ours: &T) -> T {
        if changed {
            upstream.clone()
        } else {
            ours.clone()
        }
    }
    let state_changed = before.state != now.state
        || before.state_reason != now.state_reason
        || (now.state == "closed" && before.closed_at != now.closed_at);
    let (status, resolved_at) = if state_changed {
        follow(current.status, current.resolved_at, now, created_at)
    } else {
        (current.status, current.resolved_at)
    };
    Fields {
        project: pick(before.repo != now.repo, &proposed.project, &current.project),
        title: pick(before.title != now.title, &proposed.title, &current.title),
        description: pick(before.body_sha256 != now.body_sha256, &proposed.description, &current.description),
        severity: pick(before.severity != now.severity, &proposed.severity, &current.severity),
        status,
        labels: pick(before.labels != now.labels, &proposed.labels, &current.labels),
        reporter: pick(before.reporter != now.reporter, &proposed.reporter, &current.reporter),
        assignee: pick(before.assignee != now.assignee, &proposed.assignee, &current.assignee),
        resolved_at,
    }
}

/// The fingerprint of a body as ctodb stores it.
pub fn body_sha256(body: Option<&str>) -> String {
    use sha2::Digest;
    crate::export::writer::hex(&sha2::Sha256::digest(body.unwrap_or("").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn upstream(state: &str, reason: Option<&str>) -> Upstream {
        Upstream {
            repo: "acme/api".into(),
            state: state.into(),
            state_reason: reason.map(str::to_string),
            title: "Login fails".into(),
            body_sha256: body_sha256(Some("steps")),
            severity: "medium".into(),
            labels: vec!["bug".into()],
            reporter: Some("ada".into()),
            assignee: None,
            closed_at: (state == "closed").then(|| at("2026-11-20T10:00:00Z")),
        }
    }

    fn fields(status: BugStatus, severity: Severity) -> Fields {
        Fields {
            project: Uuid::nil(),
            title: "Login fails".into(),
            description: Some("steps".into()),
            severity,
            status,
            labels: vec!["bug".into()],
            reporter: None,
            assignee: None,
            resolved_at: None,
        }
    }

    const CREATED: &str = "2026-11-01T00:00:00Z";

    #[test]
    fn unchanged_upstream_reverts_nothing_people_did() {
        let before = upstream("open", None);
        let mut triaged = fields(BugStatus::Shipped, Severity::Critical);
        triaged.resolved_at = Some(at("2026-11-10T00:00:00Z"));
        triaged.assignee = Some(Uuid::from_u128(7));
        let proposed = fields(BugStatus::Pending, Severity::Medium);
        let merged = merge(&triaged, &before, &before.clone(), &proposed, at(CREATED));
        assert_eq!(merged, triaged);
    }

    #[test]
    fn a_relabel_upstream_changes_the_severity_only() {
        let before = upstream("open", None);
        let mut now = before.clone();
        now.severity = "high".into();
        now.labels = vec!["bug".into(), "P1".into()];
        let current = fields(BugStatus::InProgress, Severity::Low);
        let mut proposed = fields(BugStatus::Pending, Severity::High);
        proposed.labels = now.labels.clone();
        let merged = merge(&current, &before, &now, &proposed, at(CREATED));
        assert_eq!(merged.severity, Severity::High);
        assert_eq!(merged.labels, now.labels);
        assert_eq!(merged.status, BugStatus::InProgress);
    }

    #[test]
    fn every_state_reason_moves_the_status_along_the_workflow() {
        let created = at(CREATED);
        let current = fields(BugStatus::InProgress, Severity::High);
        let open = upstream("open", None);
        let closed = |reason| merge(&current, &open, &upstream("closed", reason), &current, created);
        // completed, or no reason (older issues): closed, resolved when upstream closed it
        for reason in [Some("completed"), None] {
            let merged = closed(reason);
            assert_eq!(
                (merged.status, merged.resolved_at),
                (BugStatus::Closed, Some(at("2026-11-20T10:00:00Z")))
            );
        }
        // not planned, duplicate: deferred, not resolved (out of MTTR and compliance)
        for reason in [Some("not_planned"), Some("duplicate")] {
            let merged = closed(reason);
            assert_eq!((merged.status, merged.resolved_at), (BugStatus::Deferred, None));
        }
        // reopened: a closed or deferred bug is pending again
        for status in [BugStatus::Closed, BugStatus::Deferred, BugStatus::Verified] {
            let mut was = fields(status, Severity::High);
            was.resolved_at = Some(at("2026-11-20T10:00:00Z")).filter(|_| status.is_resolved());
            let merged = merge(
                &was,
                &upstream("closed", Some("completed")),
                &upstream("open", Some("reopened")),
                &was,
                created,
            );
            assert_eq!((merged.status, merged.resolved_at), (BugStatus::Pending, None), "{status:?}");
        }
        // a new issue: the same rules from pending
        assert_eq!(initial_status(&upstream("open", None), created), (BugStatus::Pending, None));
        assert_eq!(
            initial_status(&upstream("closed", Some("duplicate")), created),
            (BugStatus::Deferred, None)
        );
        assert_eq!(
            initial_status(&upstream("closed", Some("completed")), created),
            (BugStatus::Closed, Some(at("2026-11-20T10:00:00Z")))
        );
    }

    #[test]
    fn without_a_record_upstream_fields_are_taken_as_unchanged_and_its_state_from_the_status() {
        let mut current = fields(BugStatus::Verified, Severity::Critical);
        current.title = "Login fails on Safari".into();
        let now = upstream("open", None);
        let before = assumed(&current, &now);
        let merged =
            merge(&current, &before, &now, &fields(BugStatus::Pending, Severity::Medium), at(CREATED));
        assert_eq!(merged, current);
        let now = upstream("closed", Some("completed"));
        let merged = merge(&current, &assumed(&current, &now), &now, &current, at(CREATED));
        assert_eq!(merged.status, BugStatus::Closed);
    }

    #[test]
    fn a_bug_resolved_in_ctodb_is_not_deferred_by_a_not_planned_close() {
        let mut shipped = fields(BugStatus::Shipped, Severity::High);
        shipped.resolved_at = Some(at("2026-11-10T00:00:00Z"));
        let merged = merge(
            &shipped,
            &upstream("open", None),
            &upstream("closed", Some("not_planned")),
            &shipped,
            at(CREATED),
        );
        assert_eq!((merged.status, merged.resolved_at), (BugStatus::Shipped, shipped.resolved_at));
    }
}
