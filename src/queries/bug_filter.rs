//! The bug filter: one query object for every list of bugs (`ctodb bugs`, the open bugs
//! of `ctodb project`, the lists of `report sla`, the probes of `doctor`), live or from a
//! snapshot. Live, it chooses the page helper (bugs/page_runs, page_merge or page_all) and
//! binds the named filters as the helpers' parameters; over a snapshot's stored open bugs
//! the same filters are one Polars expression (`stored_rows`).

use std::borrow::Cow;

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::db;
use crate::frame::Frame;
use crate::model::{BugStatus, Severity};
use crate::sql::{self, Helper};

/// The order of a bug list, as the page helpers take it ($12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BugSort {
    /// highest priority score first
    Priority,
    /// newest first
    Created,
    /// earliest SLA due instant first
    Due,
}

impl BugSort {
    pub const fn key(self) -> &'static str {
        match self {
            BugSort::Priority => "priority",
            BugSort::Created => "created",
            BugSort::Due => "due",
        }
    }
}

/// A project or a person as the user named it, or as ctodb already knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    /// a project's name or id, a person's e-mail: looked up when the list is read
    Named(String),
    Known(Uuid),
}

/// What a narrow table of bugs keeps first: which bug, how bad, where it stands, how
/// urgent; then whose and where, then the rest.
pub const BUG_COLUMNS_FIRST: &[&str] = &[
    "bug",
    "severity",
    "status",
    "priority",
    "title",
    "sla_state",
    "hours_left",
    "hours_overdue",
    "project",
    "assignee",
    "due_at",
    "blocker",
];

/// Which bugs a list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct BugFilter {
    /// None: every severity.
    pub severities: Option<Vec<Severity>>,
    pub statuses: Vec<BugStatus>,
    pub project: Option<Who>,
    pub assignee: Option<Who>,
    pub unassigned: bool,
    pub blocker: bool,
    /// open and past the due instant
    pub breached: bool,
    /// open, past 75% of the SLA, not past due
    pub at_risk: bool,
    /// every stored column of each bug (bugs/wide_rows) instead of the listing's
    pub wide: bool,
}

/// The values bound to a page helper ($1..$13) and to bugs/count ($1..$9, $10), by name.
#[derive(Debug, Clone)]
pub struct BugPageParams {
    severities: Option<Vec<String>>,
    statuses: Vec<String>,
    project: Option<Uuid>,
    assignee: Option<Uuid>,
    unassigned: bool,
    blocker: bool,
    breached: bool,
    at_risk: bool,
    as_of: DateTime<Utc>,
    limit: i64,
    offset: i64,
    sort: &'static str,
    /// the longest open SLA in hours (bugs/open_sla_max.sql), bounding at-risk runs
    horizon: Option<i32>,
}

impl BugPageParams {
    fn filters(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.severities,
            &self.statuses,
            &self.project,
            &self.assignee,
            &self.unassigned,
            &self.blocker,
            &self.breached,
            &self.at_risk,
            &self.as_of,
        ]
    }

    /// The parameters of bugs/page_runs, page_merge and page_all.
    pub fn page(&self) -> Vec<&(dyn ToSql + Sync)> {
        let mut params = self.filters();
        params.extend([&self.limit as &(dyn ToSql + Sync), &self.offset, &self.sort, &self.horizon]);
        params
    }

    /// The parameters of bugs/count.
    pub fn count(&self) -> Vec<&(dyn ToSql + Sync)> {
        let mut params = self.filters();
        params.push(&self.horizon);
        params
    }

    /// The parameters of bugs/count_summary.
    pub fn summary_count(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![&self.severities, &self.statuses]
    }
}

impl BugFilter {
    /// Open bugs of every severity, nothing else filtered.
    pub fn open() -> BugFilter {
        BugFilter {
            severities: None,
            statuses: BugStatus::OPEN.to_vec(),
            project: None,
            assignee: None,
            unassigned: false,
            blocker: false,
            breached: false,
            at_risk: false,
            wide: false,
        }
    }

    /// The project and the person as ids, looked up by name, id or e-mail when named.
    async fn resolve(&self, client: &impl GenericClient) -> Result<(Option<Uuid>, Option<Uuid>)> {
        let project = match &self.project {
            Some(Who::Named(name)) => Some(super::resolve_project(client, name).await?.0),
            Some(Who::Known(id)) => Some(*id),
            None => None,
        };
        let assignee = match &self.assignee {
            Some(Who::Named(email)) => Some(super::resolve_user(client, email).await?),
            Some(Who::Known(id)) => Some(*id),
            None => None,
        };
        Ok((project, assignee))
    }

    /// The project and the person when ctodb knows them already (`Who::Known`), for a
    /// caller that binds parameters without a connection (doctor's EXPLAINs).
    pub fn known(&self) -> (Option<Uuid>, Option<Uuid>) {
        let id = |who: &Option<Who>| match who {
            Some(Who::Known(id)) => Some(*id),
            _ => None,
        };
        (id(&self.project), id(&self.assignee))
    }

    /// The bound values for one page at `as_of`, with the project and person resolved.
    #[allow(clippy::too_many_arguments)]
    pub fn params(
        &self,
        (project, assignee): (Option<Uuid>, Option<Uuid>),
        as_of: DateTime<Utc>,
        sort: BugSort,
        limit: i64,
        offset: i64,
        horizon: Option<i32>,
    ) -> BugPageParams {
        BugPageParams {
            severities: self.severities.as_ref().map(|s| s.iter().map(|s| s.label().to_string()).collect()),
            statuses: self.statuses.iter().map(|s| s.label().to_string()).collect(),
            project,
            assignee,
            unassigned: self.unassigned,
            blocker: self.blocker,
            breached: self.breached,
            at_risk: self.at_risk,
            as_of,
            limit,
            offset,
            sort: sort.key(),
            horizon,
        }
    }

    /// Counts of these filters come from the maintained summary, not from a scan.
    fn only_severity_and_status(&self) -> bool {
        self.project.is_none()
            && self.assignee.is_none()
            && !self.unassigned
            && !self.blocker
            && !self.breached
            && !self.at_risk
    }

    /// Every status and every severity: one walk down the sort key (bugs/page_all) beats
    /// a merge of 24 runs. Measured at xl, the walk also wins with a project, an assignee,
    /// blockers or unassigned bugs on top; breached and at-risk bugs are open ones, which
    /// the merge reaches through two statuses.
    fn walks_every_status(&self) -> bool {
        self.severities.is_none()
            && BugStatus::ALL.iter().all(|status| self.statuses.contains(status))
            && !self.breached
            && !self.at_risk
    }

    /// Whether a page reads bugs of this status and severity.
    pub fn wants(&self, status: BugStatus, severity: Severity) -> bool {
        self.statuses.contains(&status)
            && self.severities.as_ref().is_none_or(|wanted| wanted.contains(&severity))
            && (!(self.breached || self.at_risk) || status.is_open())
    }

    /// The page helper for these filters and this page. Every status and severity: one
    /// walk (bugs/page_all). Otherwise the runs of the pairs asked for: bugs/page_runs
    /// reads up to limit + offset entries of every run but plans one run for all, the
    /// merge (bugs/page_merge) reads about limit + offset entries in all but plans each
    /// run. Measured at xl (BENCHMARKS.md), the two are level at page 20 whichever of
    /// them serves pages of 2,000 to 12,000 entries, and the merge wins deeper (page 100
    /// of two severities over every status: 2.7 ms against 16.8 ms), hence the merge
    /// once the runs would read more than 2,000 entries.
    pub fn page_helper(&self, limit: i64, offset: i64) -> Cow<'static, Helper> {
        const RUNS_READ_AT_MOST: i64 = 2_000;
        if self.walks_every_status() {
            return Cow::Borrowed(if self.wide { &sql::BUGS_WIDE_ALL } else { &sql::BUGS_PAGE_ALL });
        }
        let pairs = BugStatus::ALL
            .iter()
            .flat_map(|status| Severity::ALL.iter().map(move |severity| (*status, *severity)))
            .filter(|(status, severity)| self.wants(*status, *severity))
            .count() as i64;
        if pairs.saturating_mul(limit.saturating_add(offset)) > RUNS_READ_AT_MOST {
            Cow::Owned(sql::bugs_page_merge(|status, severity| self.wants(status, severity), self.wide))
        } else if self.wide {
            Cow::Borrowed(&sql::BUGS_WIDE_RUNS)
        } else {
            Cow::Borrowed(&sql::BUGS_PAGE_RUNS)
        }
    }

    /// One page of matching bugs, sorted, with the total for the footer. The page comes
    /// from one run per status and severity asked for (bugs/page_runs, bugs/page_merge) or
    /// from one walk down the sort key (bugs/page_all): see `page_helper`.
    pub async fn page(
        &self,
        client: &impl GenericClient,
        as_of: DateTime<Utc>,
        sort: BugSort,
        limit: i64,
        offset: i64,
    ) -> Result<Frame> {
        // at-risk bugs are due within a quarter of the longest open SLA: the bound lets
        // their runs read only the bugs due that soon (bugs/open_sla_max.sql)
        let horizon: Option<i32> = if self.at_risk {
            let row = db::query_one(client, &sql::OPEN_SLA_MAX, &[]).await?;
            db::get(&row, sql::OPEN_SLA_MAX.name, "horizon")?
        } else {
            None
        };
        let who = self.resolve(client).await?;
        let params = self.params(who, as_of, sort, limit, offset, horizon);
        let views: bool =
            db::get(&db::query_one(client, &sql::READS_VIEWS, &[]).await?, sql::READS_VIEWS.name, "views")?;
        let helper = if views {
            Cow::Borrowed(if self.wide { &sql::BUGS_WIDE_ALL } else { &sql::BUGS_PAGE_ALL })
        } else {
            self.page_helper(limit, offset)
        };
        let mut frame = super::fetch_frame(client, &helper, &params.page(), "bugs")
            .await?
            .when_empty("no bugs match")
            .prioritised(BUG_COLUMNS_FIRST);
        let (count, count_params) = if self.only_severity_and_status() {
            (&sql::BUGS_COUNT_SUMMARY, params.summary_count())
        } else {
            (&sql::BUGS_COUNT, params.count())
        };
        let row = db::query_one(client, count, &count_params).await?;
        let total: i64 = db::get(&row, count.name, "total")?;
        frame.paged(offset, total);
        Ok(frame)
    }

    /// The same filters over a snapshot's stored open bugs (the `open_bugs` frame: columns
    /// severity, status, project, assignee, blocker, sla_state), as one Polars
    /// expression. `project_name` turns the project the user named into the stored name.
    pub fn stored_rows(
        &self,
        project_name: impl Fn(&str) -> Result<String>,
    ) -> Result<polars::prelude::Expr> {
        use polars::prelude::{col, lit, Expr};
        if let Some(status) = self.statuses.iter().find(|s| !s.is_open()) {
            anyhow::bail!(
                "a snapshot keeps the open bugs only (pending, in_progress), not {status} ones; ask the database instead"
            );
        }
        let any_of = |column: &str, labels: Vec<&'static str>| -> Expr {
            labels.into_iter().map(|l| col(column).eq(lit(l))).reduce(|a, b| a.or(b)).unwrap_or(lit(true))
        };
        let mut filter = lit(true);
        if let Some(severities) = &self.severities {
            filter = filter.and(any_of("severity", severities.iter().map(|s| s.label()).collect()));
        }
        if self.statuses != BugStatus::OPEN {
            filter = filter.and(any_of("status", self.statuses.iter().map(|s| s.label()).collect()));
        }
        match &self.project {
            Some(Who::Named(name)) => filter = filter.and(col("project").eq(lit(project_name(name)?))),
            Some(Who::Known(_)) => anyhow::bail!("a snapshot names its projects; give the project's name"),
            None => {}
        }
        match &self.assignee {
            Some(Who::Named(email)) => filter = filter.and(col("assignee").eq(lit(email.to_lowercase()))),
            Some(Who::Known(_)) => anyhow::bail!("a snapshot names its people by e-mail; give the e-mail"),
            None => {}
        }
        if self.unassigned {
            filter = filter.and(col("assignee").is_null());
        }
        if self.blocker {
            filter = filter.and(col("blocker"));
        }
        if self.breached {
            filter = filter.and(col("sla_state").eq(lit(crate::model::SlaState::Breached.label())));
        }
        if self.at_risk {
            filter = filter.and(col("sla_state").eq(lit(crate::model::SlaState::AtRisk.label())));
        }
        Ok(filter.fill_null(lit(false)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breached_and_at_risk_lists_read_open_statuses_only() {
        let every = BugFilter { statuses: BugStatus::ALL.to_vec(), breached: true, ..BugFilter::open() };
        assert!(every.wants(BugStatus::Pending, Severity::Low));
        assert!(!every.wants(BugStatus::Closed, Severity::Low));
        let critical = BugFilter { severities: Some(vec![Severity::Critical]), ..BugFilter::open() };
        assert!(critical.wants(BugStatus::InProgress, Severity::Critical));
        assert!(!critical.wants(BugStatus::InProgress, Severity::High));
    }

    #[test]
    fn every_status_walks_one_index_and_deep_pages_merge() {
        let all = BugFilter { statuses: BugStatus::ALL.to_vec(), ..BugFilter::open() };
        assert_eq!(all.page_helper(50, 0).name, "bugs/page_all");
        // 8 open pairs x 50 = 400 entries: runs; page 100 (8 x 5,000): the merge
        assert_eq!(BugFilter::open().page_helper(50, 0).name, "bugs/page_runs");
        assert_eq!(BugFilter::open().page_helper(50, 4_950).name, "bugs/page_merge");
    }

    #[test]
    fn parameters_are_bound_by_name_in_the_helpers_order() {
        let filter = BugFilter { severities: Some(vec![Severity::High]), blocker: true, ..BugFilter::open() };
        let params =
            filter.params(filter.known(), DateTime::<Utc>::UNIX_EPOCH, BugSort::Due, 50, 100, Some(720));
        assert_eq!(params.page().len(), 13);
        assert_eq!(params.count().len(), 10);
        assert_eq!(params.statuses, vec!["pending", "in_progress"]);
        assert_eq!(params.severities, Some(vec!["high".to_string()]));
        assert_eq!(params.sort, "due");
    }
}
