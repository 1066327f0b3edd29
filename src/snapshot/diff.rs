//! `ctodb diff`: what changed between two snapshots, from their Parquet files alone.
//!
//! - portfolio: each total of the stored overview then, now, the change and its percent;
//! - projects: the largest moves in valuation, ROI and health, and every project whose
//!   status changed or whose health crossed 50 or 80 (stored projects frame, by name);
//! - bugs: opened, resolved, reopened, newly breached, severity or blocker changed, from
//!   the bugs table of both snapshots joined by id (only the columns the comparison
//!   needs are read, so a million bugs stay within a few hundred megabytes).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use arrow_array::{Array, ArrayRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{read, Snapshot};
use crate::frame::{Column, Frame, Kind, Value};
use crate::model::{BugStatus, ProjectStatus, Severity};

/// The three frames, and what `--fail-on` asks about.
pub struct Diff {
    /// the money totals (ARR, valuation, infrastructure cost)
    pub portfolio: Frame,
    /// the counts (open, critical and breached bugs, projects of each status)
    pub counts: Frame,
    pub projects: Frame,
    pub bugs: Frame,
    /// a critical bug opened, or a bug became critical, between the snapshots
    pub new_critical: bool,
    /// a bug newly past its SLA
    pub new_breach: bool,
}

pub fn diff(from: &Snapshot, to: &Snapshot, top: usize) -> Result<Diff> {
    let (portfolio, counts) = portfolio(from, to)?;
    let projects = projects(from, to, top)?;
    let (bugs, new_critical, new_breach) = bugs(from, to)?;
    Ok(Diff { portfolio, counts, projects, bugs, new_critical, new_breach })
}

/// The change of `now` over `then` in percent, rounded half away from zero to 2 places;
/// none from zero.
fn percent(then: Decimal, now: Decimal) -> Value {
    use crate::analytics::exact;
    let change = exact::decimal(now - then) * exact::int(100);
    exact::round_ratio(&change, &exact::decimal(then.abs()), 2).map_or(Value::Null, Value::Decimal)
}

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Int(n) => Some(Decimal::from(*n)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

/// The portfolio's totals then and now: money in one frame (exact, two decimals), counts
/// in another (whole numbers), each metric named in words.
fn portfolio(from: &Snapshot, to: &Snapshot) -> Result<(Frame, Frame)> {
    let then = from.stored("portfolio", "portfolio")?;
    let now = to.stored("portfolio", "portfolio")?;
    let first = |f: &Frame, column: &str| -> Option<Decimal> {
        let i = f.column_index(column)?;
        f.rows.first().and_then(|row| number(&row[i]))
    };
    let frame = |name: &str, kind: Kind| {
        Frame::new(
            name,
            vec![
                Column::new("metric", Kind::Text),
                Column::new("then", kind),
                Column::new("now", kind),
                Column::new("change", kind),
                Column::new("change_pct", Kind::Decimal),
            ],
        )
    };
    let row = |metric: &str, column: &str, value: &dyn Fn(Decimal) -> Value| {
        let (a, b) = (first(&then, column), first(&now, column));
        let (change, pct) = match (a, b) {
            (Some(a), Some(b)) => (value(b - a), percent(a, b)),
            _ => (Value::Null, Value::Null),
        };
        let shown = |v: Option<Decimal>| v.map_or(Value::Null, value);
        vec![Value::from(metric), shown(a), shown(b), change, pct]
    };
    let mut money = frame("portfolio", Kind::Money);
    for column in ["total_arr", "total_valuation", "total_monthly_infra_cost"] {
        money.push(row(&crate::frame::words(column), column, &Value::Decimal));
    }
    // counts are whole numbers in every snapshot; one that is not would be shown as it is
    let count = |d: Decimal| {
        if d.fract().is_zero() {
            rust_decimal::prelude::ToPrimitive::to_i64(&d).map_or(Value::Decimal(d), Value::Int)
        } else {
            Value::Decimal(d)
        }
    };
    let mut counts = frame("counts", Kind::Int);
    for column in ["open_bugs", "critical_open_bugs", "sla_breaches"] {
        counts.push(row(&crate::frame::words(column), column, &count));
    }
    // the overview's count of projects of each status (a column named after the status)
    for status in ProjectStatus::ALL {
        counts.push(row(&format!("{} projects", status.label()), status.label(), &count));
    }
    Ok((money, counts))
}

/// One project's stored figures.
#[derive(Clone)]
struct ProjectRow {
    status: String,
    valuation: Option<Decimal>,
    roi: Option<Decimal>,
    health: Option<i64>,
}

fn project_rows(frame: &Frame) -> HashMap<String, ProjectRow> {
    let at = |name: &str| frame.column_index(name);
    let (name, status, valuation, roi, health) =
        (at("name"), at("status"), at("dcf_valuation"), at("roi_score"), at("health_score"));
    frame
        .rows
        .iter()
        .filter_map(|row| {
            let text = |i: Option<usize>| match i.map(|i| &row[i]) {
                Some(Value::Text(t)) => Some(t.clone()),
                _ => None,
            };
            let health = match health.map(|i| &row[i]) {
                Some(Value::Int(n)) => Some(*n),
                _ => None,
            };
            Some((
                text(name)?,
                ProjectRow {
                    status: text(status).unwrap_or_default(),
                    valuation: valuation.and_then(|i| number(&row[i])),
                    roi: roi.and_then(|i| number(&row[i])),
                    health,
                },
            ))
        })
        .collect()
}

/// One figure of a project whose moves are ranked.
type Figure = fn(&ProjectRow) -> Option<Decimal>;

fn projects(from: &Snapshot, to: &Snapshot, top: usize) -> Result<Frame> {
    let then = project_rows(&from.stored("projects", "projects")?);
    let now = project_rows(&to.stored("projects", "projects")?);
    let mut frame = Frame::new(
        "projects",
        vec![
            Column::new("project", Kind::Text),
            Column::new("change", Kind::Text),
            Column::new("status_then", Kind::Text),
            Column::new("status", Kind::Text),
            Column::new("valuation_then", Kind::Money),
            Column::new("valuation", Kind::Money),
            Column::new("valuation_change", Kind::Money),
            Column::new("roi_then", Kind::Decimal),
            Column::new("roi", Kind::Decimal),
            Column::new("health_then", Kind::Int),
            Column::new("health", Kind::Int),
        ],
    );
    for (name, reason) in chosen(&then, &now, top) {
        let (a, b) = (&then[&name], &now[&name]);
        let money = |v: Option<Decimal>| v.map_or(Value::Null, Value::Decimal);
        let change = match (a.valuation, b.valuation) {
            (Some(x), Some(y)) => Value::Decimal(y - x),
            _ => Value::Null,
        };
        frame.push(vec![
            Value::Text(name),
            Value::Text(reason),
            Value::Text(a.status.clone()),
            Value::Text(b.status.clone()),
            money(a.valuation),
            money(b.valuation),
            change,
            money(a.roi),
            money(b.roi),
            a.health.map_or(Value::Null, Value::Int),
            b.health.map_or(Value::Null, Value::Int),
        ]);
    }
    Ok(frame.when_empty("no project moved"))
}

/// The projects worth naming, each with why: every status change and every crossing of
/// 50 or 80 health, then the `top` largest moves in valuation, ROI and health.
fn chosen(
    then: &HashMap<String, ProjectRow>,
    now: &HashMap<String, ProjectRow>,
    top: usize,
) -> Vec<(String, String)> {
    let mut names: Vec<&String> = now.keys().filter(|name| then.contains_key(*name)).collect();
    names.sort();
    let mut chosen: Vec<(String, String)> = Vec::new();
    let mut choose = |name: &String, reason: String| match chosen.iter_mut().find(|(n, _)| n == name) {
        None => chosen.push((name.clone(), reason)),
        Some(entry) if !entry.1.split(", ").any(|r| r == reason) => {
            entry.1 = format!("{}, {reason}", entry.1)
        }
        Some(_) => {}
    };
    // every status change and every crossing of 50 or 80 health
    for name in &names {
        let (a, b) = (&then[*name], &now[*name]);
        if a.status != b.status {
            choose(name, "status".to_string());
        }
        if let (Some(x), Some(y)) = (a.health, b.health) {
            for line in [50, 80] {
                if (x < line) != (y < line) {
                    choose(name, format!("health crossed {line}"));
                }
            }
        }
    }
    // the largest moves, by size of the change
    let moves: [(&str, Figure); 3] =
        [("valuation", |p| p.valuation), ("roi", |p| p.roi), ("health", |p| p.health.map(Decimal::from))];
    for (label, get) in moves {
        let mut changed: Vec<(&String, Decimal)> = names
            .iter()
            .filter_map(|name| match (get(&then[*name]), get(&now[*name])) {
                (Some(a), Some(b)) if a != b => Some((*name, b - a)),
                _ => None,
            })
            .collect();
        changed.sort_by(|x, y| y.1.abs().cmp(&x.1.abs()).then_with(|| x.0.cmp(y.0)));
        for (name, _) in changed.into_iter().take(top) {
            choose(name, format!("top {label} move"));
        }
    }
    chosen
}

/// One bug as a snapshot holds it: what the comparison needs.
struct Bug {
    number: i64,
    project: Uuid,
    title: String,
    severity: Severity,
    status: BugStatus,
    blocker: bool,
    /// hundredths of a point
    priority: i64,
    due_at: i64,
    created_at: i64,
}

impl Bug {
    fn breached_at(&self, instant: i64) -> bool {
        self.status.is_open() && self.due_at < instant
    }
}

/// One batch of the columns `read_columns` was asked for, whose cells are read with
/// errors naming the file and the column.
struct Batch<'a> {
    arrays: Vec<ArrayRef>,
    columns: &'a [&'a str],
    path: &'a Path,
}

impl Batch<'_> {
    fn cell<'b, T>(
        &'b self,
        column: usize,
        i: usize,
        read: impl Fn(&'b dyn Array, usize) -> Result<T>,
    ) -> Result<T> {
        read(self.arrays[column].as_ref(), i)
            .with_context(|| format!("{}, column {}", self.path.display(), self.columns[column]))
    }
}

/// The columns of a table file of the snapshot, read in batches; `each` gets each batch
/// and its row count.
fn read_columns(
    snapshot: &Snapshot,
    name: &str,
    columns: &[&str],
    mut each: impl FnMut(&Batch<'_>, usize) -> Result<()>,
) -> Result<()> {
    let (file, path) = snapshot.file(name)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{} is not a Parquet file ctodb can read", path.display()))?;
    let schema = builder.schema().clone();
    let mut positions = Vec::new();
    for column in columns {
        match schema.index_of(column) {
            Ok(i) => positions.push(i),
            Err(_) => bail!("{} has no column {column}", path.display()),
        }
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), positions.clone());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()
        .with_context(|| format!("cannot read {}", path.display()))?;
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let arrays: Vec<ArrayRef> = columns
            .iter()
            .map(|column| batch.column_by_name(column).cloned())
            .collect::<Option<_>>()
            .with_context(|| format!("{}: a column went missing", path.display()))?;
        each(&Batch { arrays, columns, path: &path }, batch.num_rows())?;
    }
    Ok(())
}

/// The bugs of a snapshot's bugs table, by id.
fn snapshot_bugs(snapshot: &Snapshot) -> Result<HashMap<Uuid, Bug>> {
    if !snapshot.has("bugs.parquet") {
        bail!(
            "{} has no bugs.parquet (exported with --tables?); diff needs the bugs table",
            snapshot.folder.display()
        );
    }
    let columns = [
        "id",
        "bug_number",
        "project_id",
        "title",
        "severity",
        "status",
        "is_blocker",
        "priority_score",
        "due_at",
        "created_at",
    ];
    let mut bugs = HashMap::new();
    read_columns(snapshot, "bugs.parquet", &columns, |batch, rows| {
        for i in 0..rows {
            let (Some(id), Some(project)) =
                (batch.cell(0, i, read::uuid_at)?, batch.cell(2, i, read::uuid_at)?)
            else {
                continue;
            };
            let severity = batch.cell(4, i, read::text_at)?.and_then(Severity::from_label);
            let status = batch.cell(5, i, read::text_at)?.and_then(BugStatus::from_label);
            let (Some(severity), Some(status)) = (severity, status) else {
                bail!("{}: bug row {i} has an unknown severity or status", batch.path.display());
            };
            let priority = batch
                .cell(7, i, read::decimal_at)?
                .map(|value| (value * Decimal::from(100)).trunc().try_into().unwrap_or_default())
                .unwrap_or(0);
            let Some(number) = batch.cell(1, i, read::int_at)? else { continue };
            bugs.insert(
                id,
                Bug {
                    number,
                    project,
                    title: batch.cell(3, i, read::text_at)?.unwrap_or_default().to_string(),
                    severity,
                    status,
                    blocker: batch.cell(6, i, read::bool_at)?.unwrap_or(false),
                    priority,
                    // a missing instant sorts after every other
                    due_at: batch.cell(8, i, read::micros_at)?.unwrap_or(i64::MAX),
                    created_at: batch.cell(9, i, read::micros_at)?.unwrap_or(i64::MAX),
                },
            );
        }
        Ok(())
    })?;
    Ok(bugs)
}

/// Project names by id, from a snapshot's projects table.
fn project_names(snapshot: &Snapshot) -> Result<HashMap<Uuid, String>> {
    let mut names = HashMap::new();
    read_columns(snapshot, "projects.parquet", &["id", "name"], |batch, rows| {
        for i in 0..rows {
            if let (Some(id), Some(name)) =
                (batch.cell(0, i, read::uuid_at)?, batch.cell(1, i, read::text_at)?)
            {
                names.insert(id, name.to_string());
            }
        }
        Ok(())
    })?;
    Ok(names)
}

fn bugs(from: &Snapshot, to: &Snapshot) -> Result<(Frame, bool, bool)> {
    let (then_at, now_at) = (from.as_of.timestamp_micros(), to.as_of.timestamp_micros());
    let then = snapshot_bugs(from)?;
    let now = snapshot_bugs(to)?;
    let names = project_names(to)?;
    let mut changes = bug_changes(&then, &now, then_at, now_at);
    let new_critical = changes.iter().any(|(reasons, bug, old)| {
        bug.severity == Severity::Critical
            && (reasons.contains(&"opened")
                || reasons.contains(&"severity changed")
                    && old.is_some_and(|old| old.severity != Severity::Critical))
    });
    let new_breach = changes.iter().any(|(reasons, _, _)| reasons.contains(&"newly breached"));
    // critical and high first, then the most urgent, then by number
    changes.sort_by(|a, b| {
        a.1.severity
            .cmp(&b.1.severity)
            .then_with(|| b.1.priority.cmp(&a.1.priority))
            .then_with(|| a.1.number.cmp(&b.1.number))
    });
    let frame = bug_frame(changes, &names);
    Ok((frame.when_empty("no bug changed"), new_critical, new_breach))
}

/// What happened to each bug that changed between the two snapshots, one entry a bug:
/// (every reason, in workflow order, the bug now, the bug then).
type BugChange<'a> = (Vec<&'static str>, &'a Bug, Option<&'a Bug>);

fn bug_changes<'a>(
    then: &'a HashMap<Uuid, Bug>,
    now: &'a HashMap<Uuid, Bug>,
    then_at: i64,
    now_at: i64,
) -> Vec<BugChange<'a>> {
    let mut changes = Vec::new();
    for (id, bug) in now {
        let old = then.get(id);
        let mut reasons = Vec::new();
        match old {
            None => {
                reasons.push("opened");
                if bug.breached_at(now_at) {
                    reasons.push("newly breached");
                }
            }
            Some(old) => {
                if old.status.is_open() && !bug.status.is_open() && bug.status != BugStatus::Deferred {
                    reasons.push("resolved");
                }
                if !old.status.is_open() && old.status != BugStatus::Deferred && bug.status.is_open() {
                    reasons.push("reopened");
                }
                if bug.breached_at(now_at) && !old.breached_at(then_at) {
                    reasons.push("newly breached");
                }
                if bug.severity != old.severity {
                    reasons.push("severity changed");
                }
                if bug.blocker != old.blocker {
                    reasons.push("blocker changed");
                }
            }
        }
        if !reasons.is_empty() {
            changes.push((reasons, bug, old));
        }
    }
    changes
}

/// The bug changes as a frame, with each bug's project by name.
fn bug_frame(changes: Vec<BugChange<'_>>, names: &HashMap<Uuid, String>) -> Frame {
    let mut frame = Frame::new(
        "bugs",
        vec![
            Column::new("change", Kind::Text),
            Column::new("bug", Kind::Id),
            Column::new("severity", Kind::Enum),
            Column::new("severity_then", Kind::Enum),
            Column::new("status_then", Kind::Enum),
            Column::new("status", Kind::Enum),
            Column::new("blocker", Kind::Bool),
            Column::new("priority", Kind::Decimal),
            Column::new("project", Kind::Text),
            Column::new("title", Kind::Text),
            Column::new("created_at", Kind::Timestamp),
        ],
    );
    for (reasons, bug, old) in changes {
        let label = |v: Option<&str>| v.map_or(Value::Null, Value::from);
        frame.push(vec![
            Value::from(reasons.join(", ")),
            Value::Int(bug.number),
            Value::from(bug.severity.label()),
            label(old.map(|o| o.severity.label())),
            label(old.map(|o| o.status.label())),
            Value::from(bug.status.label()),
            Value::Bool(bug.blocker),
            Value::Decimal(Decimal::new(bug.priority, 2)),
            label(names.get(&bug.project).map(String::as_str)),
            Value::Text(bug.title.clone()),
            chrono::DateTime::from_timestamp_micros(bug.created_at).map_or(Value::Null, Value::Timestamp),
        ]);
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_changes_round_half_away_from_zero_and_none_from_zero() {
        assert_eq!(percent(Decimal::new(200, 0), Decimal::new(201, 0)), Value::Decimal(Decimal::new(50, 2)));
        assert_eq!(percent(Decimal::new(3, 0), Decimal::new(2, 0)), Value::Decimal(Decimal::new(-3333, 2)));
        // 1/8 = 12.5 % exactly; 1/16 = 6.25 %; 1/32 = 3.125 % → 3.13
        assert_eq!(percent(Decimal::new(32, 0), Decimal::new(33, 0)), Value::Decimal(Decimal::new(313, 2)));
        assert_eq!(percent(Decimal::new(32, 0), Decimal::new(31, 0)), Value::Decimal(Decimal::new(-313, 2)));
        assert_eq!(percent(Decimal::ZERO, Decimal::new(5, 0)), Value::Null);
    }
}
