//! `ctodb bugs` and `ctodb bug show N`.

use anyhow::{bail, Result};
use clap::ValueEnum;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{fetch_frame, label, page_footer, resolve_project, resolve_user, Context, Outcome};
use crate::cli::{BugSort, BugStatus, BugsArgs, Severity};
use crate::db;
use crate::output::{Column, Frame, Kind, Report, Style, Value};
use crate::sql::{self, Helper};

const OPEN: [BugStatus; 2] = [BugStatus::Pending, BugStatus::InProgress];
const ALL: [BugStatus; 6] = [
    BugStatus::Pending,
    BugStatus::InProgress,
    BugStatus::Verified,
    BugStatus::Shipped,
    BugStatus::Closed,
    BugStatus::Deferred,
];

/// The filters of the bug pages (bugs/page_runs.sql, page_merge.sql, page_all.sql) and bugs/count.sql, as bound parameters.
pub struct BugFilter {
    pub severities: Option<Vec<String>>,
    pub statuses: Vec<String>,
    pub project: Option<Uuid>,
    pub assignee: Option<Uuid>,
    pub unassigned: bool,
    pub blocker: bool,
    pub breached: bool,
    pub at_risk: bool,
}

impl BugFilter {
    pub fn open() -> BugFilter {
        BugFilter {
            severities: None,
            statuses: OPEN.iter().map(label).collect(),
            project: None,
            assignee: None,
            unassigned: false,
            blocker: false,
            breached: false,
            at_risk: false,
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
            && ALL.iter().all(|status| self.statuses.contains(&label(status)))
            && !self.breached
            && !self.at_risk
    }

    /// Whether a page reads bugs of this status and severity (labels).
    fn wants(&self, status: &str, severity: &str) -> bool {
        self.statuses.iter().any(|wanted| wanted == status)
            && self.severities.as_ref().is_none_or(|wanted| wanted.iter().any(|wanted| wanted == severity))
            && (!(self.breached || self.at_risk) || OPEN.iter().any(|open| label(open) == status))
    }

    /// The page helper for these filters and this page. Every status and severity: one
    /// walk (bugs/page_all). Otherwise the runs of the pairs asked for: bugs/page_runs
    /// reads up to limit + offset entries of every run but plans one run for all, the
    /// merge (bugs/page_merge) reads about limit + offset entries in all but plans each
    /// run. Measured at xl (BENCHMARKS.md), the two are level at page 20 whichever of
    /// them serves pages of 2,000 to 12,000 entries, and the merge wins deeper (page 100
    /// of two severities over every status: 2.7 ms against 16.8 ms), hence the merge
    /// once the runs would read more than 2,000 entries.
    fn page_helper(&self, limit: i64, offset: i64) -> &'static Helper {
        const RUNS_READ_AT_MOST: i64 = 2_000;
        if self.walks_every_status() {
            return &sql::BUGS_PAGE_ALL;
        }
        let pairs = ALL
            .iter()
            .flat_map(|status| Severity::value_variants().iter().map(move |severity| (status, severity)))
            .filter(|(status, severity)| self.wants(&label(*status), &label(*severity)))
            .count() as i64;
        if pairs * (limit + offset) <= RUNS_READ_AT_MOST {
            &sql::BUGS_PAGE_RUNS
        } else {
            sql::bugs_page_merge(|status, severity| self.wants(status, severity))
        }
    }

    /// One page of matching bugs, sorted, with the total for the footer. The page comes
    /// from one run per status and severity asked for (bugs/page_runs, bugs/page_merge) or
    /// from one walk down the sort key (bugs/page_all): see `page_helper`.
    pub async fn page(
        &self,
        client: &impl GenericClient,
        ctx: &Context,
        sort: BugSort,
        limit: i64,
        offset: i64,
    ) -> Result<Frame> {
        let filters: [&(dyn ToSql + Sync); 9] = [
            &self.severities,
            &self.statuses,
            &self.project,
            &self.assignee,
            &self.unassigned,
            &self.blocker,
            &self.breached,
            &self.at_risk,
            &ctx.as_of,
        ];
        // at-risk bugs are due within a quarter of the longest open SLA: the bound lets
        // their runs read only the bugs due that soon (bugs/open_sla_max.sql)
        let horizon: Option<i32> =
            if self.at_risk { db::query_one(client, &sql::OPEN_SLA_MAX, &[]).await?.get(0) } else { None };
        let mut params = filters.to_vec();
        params.extend([&limit as &(dyn ToSql + Sync), &offset]);
        let sort = label(&sort);
        params.extend([&sort as &(dyn ToSql + Sync), &horizon]);
        let helper = self.page_helper(limit, offset);
        let mut frame = fetch_frame(client, helper, &params, "bugs").await?.when_empty("no bugs match");
        let total: i64 = if self.only_severity_and_status() {
            db::query_one(client, &sql::BUGS_COUNT_SUMMARY, &[&self.severities, &self.statuses]).await?.get(0)
        } else {
            let mut params = filters.to_vec();
            params.push(&horizon);
            db::query_one(client, &sql::BUGS_COUNT, &params).await?.get(0)
        };
        frame.footer = page_footer(offset as u64, frame.rows.len(), total);
        Ok(frame)
    }
}

pub async fn list(ctx: &Context, args: BugsArgs) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let statuses: &[BugStatus] = if args.all {
        &ALL
    } else if args.status.is_empty() {
        &OPEN
    } else {
        &args.status
    };
    let filter = BugFilter {
        severities: (!args.severity.is_empty()).then(|| args.severity.iter().map(label).collect()),
        statuses: statuses.iter().map(label).collect(),
        project: match &args.project {
            Some(project) => Some(resolve_project(&**client, project).await?.0),
            None => None,
        },
        assignee: match &args.assignee {
            Some(email) => Some(resolve_user(&**client, email).await?),
            None => None,
        },
        unassigned: args.unassigned,
        blocker: args.blocker,
        breached: args.breached,
        at_risk: args.at_risk,
    };
    let limit = i64::from(args.page.limit);
    let offset = i64::from(args.page.page - 1) * limit;
    let frame = filter.page(&**client, ctx, args.sort, limit, offset).await?;
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// The open bugs of one project by priority (ctodb project NAME).
pub async fn open_bugs_of(
    client: &impl GenericClient,
    ctx: &Context,
    project: Uuid,
    limit: i64,
) -> Result<Frame> {
    let filter = BugFilter { project: Some(project), ..BugFilter::open() };
    filter.page(client, ctx, BugSort::Priority, limit, 0).await
}

pub async fn show(ctx: &Context, number: i64) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let bug = fetch_frame(&**client, &sql::BUG_SHOW, &[&number, &ctx.as_of], "bug").await?;
    let Some(id_column) = bug.column_index("id") else { bail!("bugs/show returned no id column") };
    let id = match bug.rows.first().map(|row| &row[id_column]) {
        Some(crate::output::Value::Uuid(id)) => *id,
        _ => bail!("no bug #{number} (`ctodb bugs --all` lists them)"),
    };
    let history = fetch_frame(&**client, &sql::BUG_HISTORY, &[&id], "history").await?;
    let inputs = db::query(&**client, &sql::BUG_PRIORITY_INPUTS, &[&number]).await?;
    let breakdown = priority_breakdown(&inputs, ctx)?;
    let mut report = Report::default();
    report.push(bug.titled(format!("Bug #{number}")).styled(Style::Record));
    report.push(
        breakdown
            .titled(format!("Priority at {}", ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
    );
    report.push(history.titled("History").when_empty("no recorded changes"));
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}

/// The priority score term by term (SPEC §6), as computed by refresh.
fn priority_breakdown(inputs: &[tokio_postgres::Row], ctx: &Context) -> Result<Frame> {
    let scored = super::refresh::priority_frame(inputs, ctx.as_of.timestamp_micros())?;
    let mut frame = Frame::new(
        "priority_breakdown",
        vec![
            Column::new("term", Kind::Text),
            Column::new("rule", Kind::Text),
            Column::new("points", Kind::Float),
        ],
    );
    let terms = [
        ("severity", "critical 40, high 30, medium 15, low 5", "severity_points"),
        ("revenue", "min(30, revenue_impact_daily / 1000)", "revenue_points"),
        ("blocker", "20 if a blocker", "blocker_points"),
        ("age", "min(10, whole days open)", "age_points"),
        ("sla", "10 if breached, 5 if at risk", "sla_points"),
        ("priority_score", "round(min(100, sum), 2); 0 unless open", "priority_score"),
    ];
    for (term, rule, column) in terms {
        let points = crate::analytics::f64_values(&scored, column)?.first().copied().flatten();
        frame.push(vec![Value::from(term), Value::from(rule), points.map_or(Value::Null, Value::Float)]);
    }
    Ok(frame)
}
