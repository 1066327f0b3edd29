//! Streams generated rows into the tables with binary COPY, inside the seed's
//! transaction. On a fresh database the secondary indexes, unique constraints and foreign
//! keys are dropped first and built again at the end (one sort per index instead of
//! millions of random insertions, one validating join per foreign key instead of a check
//! per row), and the bug defaults trigger is off: the generator writes sla_hours, due_at
//! and resolved_at consistently itself. All of it is transactional: a failed seed restores
//! every object with the rollback.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::generate::{Bug, Counts, DailyMetric, Generator, MonthlyEngineering, Project, User};
use crate::db::copy::CopyIn;
use crate::db::{self, DbError};
use crate::model::ImportSource;
use crate::sql;
use crate::ui;

const BULK_TABLES: &[&str] = &[
    "users",
    "projects",
    "ctodb.project_search",
    "bugs",
    "ctodb.bug_search",
    "project_metrics",
    "monthly_metrics",
];

/// One table a seed loads: its name, the columns its COPY sets, and a row's values in
/// that order.
struct Table<T> {
    name: &'static str,
    columns: &'static [&'static str],
    /// the progress bar's label
    label: &'static str,
    values: for<'r> fn(&'r T) -> Vec<&'r (dyn ToSql + Sync)>,
}

impl<T> Table<T> {
    /// Loads `rows` (`total` of them, for the progress bar) with one COPY.
    async fn load(
        &self,
        tx: &Transaction<'_>,
        total: usize,
        rows: impl IntoIterator<Item = T>,
    ) -> Result<()> {
        let mut copy = self.start(tx, total).await?;
        for row in rows {
            copy.write(&(self.values)(&row)).await?;
        }
        copy.finish().await?;
        Ok(())
    }

    async fn start(&self, tx: &Transaction<'_>, total: usize) -> Result<CopyIn, DbError> {
        CopyIn::start(tx, self.name, self.columns, ui::progress(total as u64, self.label)).await
    }
}

fn users<'a>() -> Table<&'a User> {
    Table {
        name: "users",
        columns: &[
            "id",
            "email",
            "name",
            "role",
            "is_active",
            "weekly_capacity_hours",
            "github_login",
            "created_at",
            "updated_at",
        ],
        label: "users",
        values: |u| {
            vec![
                &u.id,
                &u.email,
                &u.name,
                &u.role,
                &u.is_active,
                &u.weekly_capacity_hours,
                &u.github_login,
                &u.created_at,
                &u.created_at,
            ]
        },
    }
}

fn projects<'a>() -> Table<&'a Project> {
    Table {
        name: "projects",
        columns: &[
            "id",
            "name",
            "description",
            "status",
            "tags",
            "github_repo",
            "primary_language",
            "github_stars",
            "owner_id",
            "arr",
            "revenue_growth_rate",
            "operating_margin",
            "discount_rate",
            "terminal_growth_rate",
            "monthly_infra_cost",
            "complexity_score",
            "appeal_score",
            "created_at",
            "updated_at",
            "last_synced_at",
        ],
        label: "projects",
        values: |p| {
            vec![
                &p.id,
                &p.name,
                &p.description,
                &p.status,
                &p.tags,
                &p.github_repo,
                &p.primary_language,
                &p.github_stars,
                &p.owner_id,
                &p.arr,
                &p.revenue_growth_rate,
                &p.operating_margin,
                &p.discount_rate,
                &p.terminal_growth_rate,
                &p.monthly_infra_cost,
                &p.complexity_score,
                &p.appeal_score,
                &p.created_at,
                &p.created_at,
                &p.last_synced_at,
            ]
        },
    }
}

/// A bug with its priority score at the as-of.
const BUGS: Table<(Bug, Decimal)> = Table {
    name: "bugs",
    columns: &[
        "id",
        "bug_number",
        "project_id",
        "title",
        "description",
        "severity",
        "status",
        "is_blocker",
        "revenue_impact_daily",
        "sla_hours",
        "due_at",
        "reporter_id",
        "assignee_id",
        "labels",
        "source",
        "external_id",
        "created_at",
        "updated_at",
        "resolved_at",
        "priority_score",
    ],
    label: "bugs",
    values: |(b, score)| {
        vec![
            &b.id,
            &b.bug_number,
            &b.project_id,
            &b.title,
            &b.description,
            &b.severity,
            &b.status,
            &b.is_blocker,
            &b.revenue_impact_daily,
            &b.sla_hours,
            &b.due_at,
            &b.reporter_id,
            &b.assignee_id,
            &b.labels,
            &b.source,
            &b.external_id,
            &b.created_at,
            &b.updated_at,
            &b.resolved_at,
            score,
        ]
    },
};

/// A day's metrics with the project they belong to.
fn daily_metrics<'a>() -> Table<(DailyMetric, &'a Project)> {
    Table {
        name: "project_metrics",
        columns: &[
            "id",
            "project_id",
            "metric_date",
            "commits",
            "lines_added",
            "lines_deleted",
            "loc_total",
            "contributors",
            "open_pull_requests",
            "tech_stack",
            "created_at",
        ],
        label: "daily metrics",
        values: |(m, project)| {
            vec![
                &m.id,
                &project.id,
                &m.metric_date,
                &m.commits,
                &m.lines_added,
                &m.lines_deleted,
                &m.loc_total,
                &m.contributors,
                &m.open_pull_requests,
                &project.tech_stack,
                &m.created_at,
            ]
        },
    }
}

/// A month's engineering with the instant it is recorded at.
fn monthly_metrics<'a>() -> Table<(&'a MonthlyEngineering, DateTime<Utc>)> {
    Table {
        name: "monthly_metrics",
        columns: &[
            "id",
            "project_id",
            "month",
            "engineering_hours",
            "engineering_cost",
            "created_at",
            "updated_at",
        ],
        label: "monthly metrics",
        values: |(m, at)| {
            vec![&m.id, &m.project_id, &m.month, &m.engineering_hours, &m.engineering_cost, at, at]
        },
    }
}

pub async fn generated(
    tx: &Transaction<'_>,
    generator: &Generator,
    fresh: bool,
    as_of: DateTime<Utc>,
) -> Result<Counts> {
    let rebuild = if fresh { drop_for_bulk_load(tx).await? } else { Vec::new() };
    let counts = generator.counts;
    let users = generator.users();
    self::users().load(tx, users.len(), &users).await?;
    let projects = generator.projects(&users);
    self::projects().load(tx, projects.len(), &projects).await?;
    // in chunks: each chunk's priority scores at the as-of, computed as refresh computes
    // them, so that the first refresh after a seed has no score left to write
    let mut copy = BUGS.start(tx, counts.bugs).await?;
    let mut bugs = generator.bugs(&projects, &users).peekable();
    while bugs.peek().is_some() {
        let chunk: Vec<Bug> = bugs.by_ref().take(PRIORITY_CHUNK).collect();
        let scores = priorities(&chunk, as_of)?;
        for row in chunk.into_iter().zip(scores) {
            copy.write(&(BUGS.values)(&row)).await?;
        }
    }
    copy.finish().await?;
    let days = generator.daily_metrics(&projects).map(|m| {
        let project = &projects[m.project];
        (m, project)
    });
    daily_metrics().load(tx, counts.days * projects.len(), days).await?;
    let monthly = generator.monthly_engineering(&projects);
    monthly_metrics().load(tx, monthly.len(), monthly.iter().map(|m| (m, generator.anchor))).await?;
    import_logs(tx, generator, &users).await?;
    rebuild_objects(tx, rebuild).await?;
    Ok(counts)
}

/// Bugs scored at once: a Polars frame of this many rows is a few megabytes.
const PRIORITY_CHUNK: usize = 65_536;

/// The priority scores of `bugs` at `as_of`: the Polars rule refresh runs
/// (`analytics::priority`), over the same integer inputs refresh/open_bugs.sql gives it.
fn priorities(bugs: &[Bug], as_of: DateTime<Utc>) -> Result<Vec<Decimal>> {
    use polars::prelude::{df, IntoLazy};
    let micros = |t: &DateTime<Utc>| t.timestamp_micros();
    let frame = df!(
        "severity" => bugs.iter().map(|b| b.severity.label()).collect::<Vec<_>>(),
        "status" => bugs.iter().map(|b| b.status.label()).collect::<Vec<_>>(),
        "is_blocker" => bugs.iter().map(|b| b.is_blocker).collect::<Vec<_>>(),
        "revenue_cents" => bugs.iter().map(|b| cents(b.revenue_impact_daily)).collect::<Vec<_>>(),
        "sla_hours" => bugs.iter().map(|b| i64::from(b.sla_hours)).collect::<Vec<_>>(),
        "created_at" => bugs.iter().map(|b| micros(&b.created_at)).collect::<Vec<_>>(),
        "due_at" => bugs.iter().map(|b| micros(&b.due_at)).collect::<Vec<_>>(),
        "resolved_at" => bugs.iter().map(|b| b.resolved_at.as_ref().map(micros)).collect::<Vec<_>>(),
    )?;
    let scored =
        crate::analytics::priority::with_priority(frame.lazy(), as_of.timestamp_micros()).collect()?;
    let hundredths = crate::analytics::i64_values(&scored, "priority_hundredths")?;
    Ok(hundredths.into_iter().map(|h| Decimal::new(h.unwrap_or(0), 2)).collect())
}

/// Money in whole cents, as `(revenue_impact_daily * 100)::bigint` gives it.
fn cents(amount: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (amount * Decimal::from(100)).trunc().to_i64().unwrap_or(i64::MAX)
}

type ImportLogRow = (
    Uuid,
    ImportSource,
    &'static str,
    &'static str,
    i32,
    i32,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<Uuid>,
);

const IMPORT_LOGS: Table<ImportLogRow> = Table {
    name: "import_logs",
    columns: &[
        "id",
        "source",
        "target",
        "status",
        "rows_total",
        "rows_imported",
        "rows_failed",
        "started_at",
        "finished_at",
        "imported_by",
    ],
    label: "import logs",
    values: |(id, source, target, status, total, imported, failed, started, finished, by)| {
        vec![id, source, target, status, total, imported, failed, started, finished, by]
    },
};

/// A few import_logs rows so that `report sync` and `report imports` have history.
async fn import_logs(tx: &Transaction<'_>, generator: &Generator, users: &[User]) -> Result<()> {
    let by = users.first().map(|u| u.id);
    let bugs = generator.counts.bugs as i32;
    // (id suffix, source, target, status, rows total, imported, failed, hours ago)
    let runs = [
        (1, ImportSource::Github, "acme/*", "succeeded", 5000, 5000, 0, 26),
        (2, ImportSource::Csv, "bugs-backlog.csv", "partial", 1200, 1187, 13, 72),
        (3, ImportSource::Manual, "ctodb seed", "succeeded", bugs, bugs, 0, 1),
    ];
    // ids derived from the anchor day and the bugs already there, so that reseeding
    // another day, or appending again the same day, gives other rows
    let appended_after = u128::from(generator.bug_number_offset().unsigned_abs()) & 0xFFFF_FFFF_FFFF;
    let rows = runs.map(
        |(n, source, target, status, total, imported, failed, hours_ago): (u128, _, _, _, _, _, _, i64)| {
            let started = generator.anchor - chrono::Duration::hours(hours_ago);
            let finished = started + chrono::Duration::seconds(9);
            let id = Uuid::from_u128((generator.anchor.timestamp() as u128) << 64 | appended_after << 8 | n);
            (id, source, target, status, total, imported, failed, started, finished, by)
        },
    );
    IMPORT_LOGS.load(tx, rows.len(), rows).await
}

async fn drop_for_bulk_load(tx: &Transaction<'_>) -> Result<Vec<String>, DbError> {
    let tables: Vec<String> = BULK_TABLES.iter().map(|t| t.to_string()).collect();
    let rows = db::query(tx, &sql::BULK_LOAD_OBJECTS, &[&tables]).await?;
    let mut rebuild = Vec::with_capacity(rows.len() + 1);
    for row in &rows {
        let drop: String = db::get(row, sql::BULK_LOAD_OBJECTS.name, "drop_statement")?;
        tx.batch_execute(&drop).await.map_err(|err| DbError::query("seed/drop for bulk load", err))?;
        rebuild.push(db::get(row, sql::BULK_LOAD_OBJECTS.name, "create_statement")?);
    }
    tx.batch_execute(BUGS_DEFAULTS_OFF).await.map_err(|err| DbError::query("seed/trigger off", err))?;
    rebuild.push(BUGS_DEFAULTS_ON.to_string());
    // built in the reverse order of the drops: indexes, unique constraints, foreign keys
    rebuild.reverse();
    Ok(rebuild)
}

/// The generator writes what this trigger would (it checks that in its tests).
const BUGS_DEFAULTS_OFF: &str = "ALTER TABLE bugs DISABLE TRIGGER bugs_defaults";
const BUGS_DEFAULTS_ON: &str = "ALTER TABLE bugs ENABLE TRIGGER bugs_defaults";

async fn rebuild_objects(tx: &Transaction<'_>, statements: Vec<String>) -> Result<(), DbError> {
    if statements.is_empty() {
        return Ok(());
    }
    // Index builds sort in memory up to this much; the default 64 MB spills to disk.
    tx.batch_execute("SET LOCAL maintenance_work_mem = '512MB'")
        .await
        .map_err(|err| DbError::query("seed/maintenance_work_mem", err))?;
    let started = std::time::Instant::now();
    let count = statements.len();
    let bar = ui::progress(count as u64, "indexes, keys");
    for statement in statements {
        tx.batch_execute(&statement).await.map_err(|err| DbError::query("seed/rebuild", err))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    ui::verbose(&format!(
        "rebuilt {count} indexes, constraints and triggers in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
