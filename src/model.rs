//! The schema's domain model, defined once: the five enums of SPEC §4 with their
//! PostgreSQL labels, which bug statuses are open and which resolved, and the default SLA
//! by severity. Every layer (CLI values, SQL parameters and columns, analytics, seed,
//! output, imports and exports) takes labels from here; none types one by hand.
//!
//! Each enum converts to and from its PostgreSQL type in both directions (postgres-types'
//! derive), so a helper can bind `Severity::Critical` or read a `bug_severity` column
//! without a `::text` cast; and it is a clap value whose names are the labels.

use std::fmt;

use postgres_types::{FromSql, ToSql};

/// Defines a schema enum: its variants with their labels (in the order of the
/// PostgreSQL type), the type's name, `ALL`, `label()`, `from_label()`, `Display` and
/// clap's `ValueEnum` (with optional extra spellings a user may type).
macro_rules! schema_enum {
    (
        $(#[$meta:meta])*
        $name:ident as $pg:tt {
            $($(#[$variant_meta:meta])* $variant:ident => $label:tt $(| $alias:tt)*),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ToSql, FromSql)]
        #[postgres(name = $pg)]
        pub enum $name {
            $($(#[$variant_meta])* #[postgres(name = $label)] $variant),+
        }

        // one API for every enum, whether or not each of them uses all of it yet
        #[allow(dead_code)]
        impl $name {
            /// Every value, in the order of the PostgreSQL enum.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The PostgreSQL label.
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            /// The value of a PostgreSQL label (exact spelling).
            pub fn from_label(label: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|value| value.label() == label)
            }

            /// Every label, comma-separated, for messages that list the valid values.
            pub fn labels() -> String {
                Self::ALL.iter().map(|value| value.label()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                let value = clap::builder::PossibleValue::new(self.label());
                Some(match self {
                    $($name::$variant => value$(.alias($alias))*),+
                })
            }
        }
    };
}

schema_enum! {
    /// `bug_severity`, most severe first.
    Severity as "bug_severity" {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
    }
}

schema_enum! {
    /// `bug_status`: the workflow pending → in_progress → verified → shipped → closed,
    /// and deferred beside it.
    BugStatus as "bug_status" {
        Pending => "pending",
        InProgress => "in_progress" | "in-progress",
        Verified => "verified",
        Shipped => "shipped",
        Closed => "closed",
        Deferred => "deferred",
    }
}

schema_enum! {
    /// `project_status`.
    ProjectStatus as "project_status" {
        Active => "active",
        Shipped => "shipped",
        Deferred => "deferred",
        Cancelled => "cancelled",
    }
}

schema_enum! {
    /// `user_role`.
    UserRole as "user_role" {
        Cto => "cto",
        Manager => "manager",
        Engineer => "engineer",
        SeniorEngineer => "senior_engineer" | "senior-engineer",
        QaEngineer => "qa_engineer" | "qa-engineer",
    }
}

schema_enum! {
    /// `import_source`: where a row came from.
    ImportSource as "import_source" {
        Csv => "csv",
        Github => "github",
        Manual => "manual",
    }
}

impl Severity {
    /// The SLA a bug of this severity gets when none is given (SPEC §6), in hours: the
    /// same numbers as the SQL function `ctodb_default_sla_hours`.
    pub const fn default_sla_hours(self) -> i32 {
        match self {
            Severity::Critical => 4,
            Severity::High => 24,
            Severity::Medium => 72,
            Severity::Low => 720,
        }
    }
}

#[allow(dead_code)]
impl BugStatus {
    /// The statuses of open bugs: they score, they can breach their SLA.
    pub const OPEN: [BugStatus; 2] = [BugStatus::Pending, BugStatus::InProgress];
    /// The statuses of resolved bugs: resolved_at is set.
    pub const RESOLVED: [BugStatus; 3] = [BugStatus::Verified, BugStatus::Shipped, BugStatus::Closed];

    pub const fn is_open(self) -> bool {
        matches!(self, BugStatus::Pending | BugStatus::InProgress)
    }

    /// The statuses a bug may move to from this one (SPEC §9): pending → in_progress →
    /// verified → shipped → closed, any open status → deferred, deferred → pending.
    pub const fn next(self) -> &'static [BugStatus] {
        match self {
            BugStatus::Pending => &[BugStatus::InProgress, BugStatus::Deferred],
            BugStatus::InProgress => &[BugStatus::Verified, BugStatus::Deferred],
            BugStatus::Verified => &[BugStatus::Shipped],
            BugStatus::Shipped => &[BugStatus::Closed],
            BugStatus::Closed => &[],
            BugStatus::Deferred => &[BugStatus::Pending],
        }
    }

    pub const fn is_resolved(self) -> bool {
        matches!(self, BugStatus::Verified | BugStatus::Shipped | BugStatus::Closed)
    }
}

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
    pub const ALL: [SlaState; 5] =
        [SlaState::Ok, SlaState::AtRisk, SlaState::Breached, SlaState::Met, SlaState::Deferred];

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn labels_round_trip_and_follow_the_schema_order() {
        assert_eq!(Severity::labels(), "critical, high, medium, low");
        assert_eq!(BugStatus::labels(), "pending, in_progress, verified, shipped, closed, deferred");
        assert_eq!(ProjectStatus::labels(), "active, shipped, deferred, cancelled");
        assert_eq!(UserRole::labels(), "cto, manager, engineer, senior_engineer, qa_engineer");
        assert_eq!(ImportSource::labels(), "csv, github, manual");
        for status in BugStatus::ALL {
            assert_eq!(BugStatus::from_label(status.label()), Some(*status));
        }
        assert_eq!(BugStatus::from_label("In_Progress"), None, "labels are exact");
    }

    #[test]
    fn the_cli_accepts_labels_and_the_dashed_spelling() {
        assert_eq!(BugStatus::from_str("in_progress", false), Ok(BugStatus::InProgress));
        assert_eq!(BugStatus::from_str("in-progress", false), Ok(BugStatus::InProgress));
        assert_eq!(Severity::from_str("critical", false), Ok(Severity::Critical));
        assert!(Severity::from_str("urgent", false).is_err());
    }

    #[test]
    fn open_and_resolved_statuses_partition_all_but_deferred() {
        for status in BugStatus::ALL {
            let sets = [status.is_open(), status.is_resolved(), *status == BugStatus::Deferred];
            assert_eq!(sets.iter().filter(|&&b| b).count(), 1, "{status}");
            assert_eq!(status.is_open(), BugStatus::OPEN.contains(status));
            assert_eq!(status.is_resolved(), BugStatus::RESOLVED.contains(status));
        }
    }

    #[tokio::test]
    async fn the_sql_workflow_and_the_rust_one_agree_on_every_move() {
        let db = crate::testing::ScratchDb::new("workflow_rule").await;
        for from in BugStatus::ALL {
            for to in BugStatus::ALL {
                let row = db
                    .client
                    .query_one(
                        "SELECT ctodb_status_step($1::text::bug_status, $2::text::bug_status)",
                        &[&from.label(), &to.label()],
                    )
                    .await
                    .unwrap();
                let sql: bool = row.get(0);
                assert_eq!(sql, from == to || from.next().contains(to), "{from} → {to}");
            }
        }
        db.drop().await;
    }

    #[test]
    fn default_sla_by_severity() {
        let hours: Vec<i32> = Severity::ALL.iter().map(|s| s.default_sla_hours()).collect();
        assert_eq!(hours, [4, 24, 72, 720]);
    }
}
