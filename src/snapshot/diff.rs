//! `ctodb diff`: what changed between two snapshots, from their Parquet files alone.
//!
//! - portfolio: each total of the stored overview then, now, the change and its percent;
//! - projects: the largest moves in valuation, ROI and health, and every project whose
//!   status changed or whose health crossed 50 or 80 (stored projects frame, by name);
//! - bugs: opened, resolved, reopened, newly breached, severity or blocker changed, from
//!   the bugs table of both snapshots joined by id (only the columns the comparison
//!   needs are read, so a million bugs stay within a few hundred megabytes).

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use rust_decimal::Decimal;

use super::Snapshot;
use crate::model::{BugStatus, Severity};
use crate::output::{Column, Frame, Kind, Value};

/// The three frames, and what `--fail-on` asks about.
pub struct Diff {
    pub portfolio: Frame,
    pub projects: Frame,
    pub bugs: Frame,
    /// a critical bug opened, or a bug became critical, between the snapshots
    pub new_critical: bool,
    /// a bug newly past its SLA
    pub new_breach: bool,
}

pub fn diff(from: &Snapshot, to: &Snapshot, top: usize) -> Result<Diff> {
    let portfolio = portfolio(from, to)?;
    let projects = projects(from, to, top)?;
    let (bugs, new_critical, new_breach) = bugs(from, to)?;
    Ok(Diff { portfolio, projects, bugs, new_critical, new_breach })
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

fn portfolio(from: &Snapshot, to: &Snapshot) -> Result<Frame> {
    let then = from.frame("portfolio", "portfolio")?;
    let now = to.frame("portfolio", "portfolio")?;
    let mut frame = Frame::new(
        "portfolio",
        vec![
            Column::new("metric", Kind::Text),
            // money and counts alike: exact decimals (JSON strings), right-aligned
            Column::new("then", Kind::Money),
            Column::new("now", Kind::Money),
            Column::new("change", Kind::Money),
            Column::new("change_pct", Kind::Decimal),
        ],
    );
    let metrics = [
        ("total_arr", "total_arr"),
        ("total_valuation", "total_valuation"),
        ("total_monthly_infra_cost", "total_monthly_infra_cost"),
        ("open_bugs", "open_bugs"),
        ("critical_open_bugs", "critical_open_bugs"),
        ("sla_breaches", "sla_breaches"),
        ("projects_active", "active"),
        ("projects_shipped", "shipped"),
        ("projects_deferred", "deferred"),
        ("projects_cancelled", "cancelled"),
    ];
    let first = |f: &Frame, column: &str| -> Option<Decimal> {
        let i = f.column_index(column)?;
        f.rows.first().and_then(|row| number(&row[i]))
    };
    for (metric, column) in metrics {
        let (a, b) = (first(&then, column), first(&now, column));
        let change = match (a, b) {
            (Some(a), Some(b)) => Value::Decimal(b - a),
            _ => Value::Null,
        };
        let pct = match (a, b) {
            (Some(a), Some(b)) => percent(a, b),
            _ => Value::Null,
        };
        let shown = |v: Option<Decimal>| v.map_or(Value::Null, Value::Decimal);
        frame.push(vec![Value::from(metric), shown(a), shown(b), change, pct]);
    }
    Ok(frame)
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
    let then = project_rows(&from.frame("projects", "projects")?);
    let now = project_rows(&to.frame("projects", "projects")?);
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
    for (name, reason) in chosen {
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

/// One bug as a snapshot holds it: what the comparison needs.
struct Bug {
    number: i64,
    project: [u8; 16],
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

/// The text of row `i` of a string column, plain or dictionary-encoded (the enums).
fn text_at(array: &ArrayRef, i: usize) -> Option<&str> {
    if array.is_null(i) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(i)),
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let dictionary = array.as_dictionary::<Int32Type>();
            let key = usize::try_from(dictionary.keys().value(i)).ok()?;
            Some(dictionary.values().as_string::<i32>().value(key))
        }
        _ => None,
    }
}

/// The columns of a table file, read in batches; `each` gets the batch's columns in the
/// order asked for.
fn read_columns(
    path: &Path,
    columns: &[&str],
    mut each: impl FnMut(&[ArrayRef], usize) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{} is not a Parquet file ctodb can read", path.display()))?;
    let schema = builder.schema().clone();
    let mut positions = Vec::new();
    for name in columns {
        match schema.index_of(name) {
            Ok(i) => positions.push(i),
            Err(_) => bail!("{} has no column {name}", path.display()),
        }
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), positions.clone());
    let reader = builder.with_projection(mask).with_batch_size(65_536).build()?;
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let arrays: Vec<ArrayRef> = columns
            .iter()
            .map(|name| batch.column_by_name(name).cloned())
            .collect::<Option<_>>()
            .with_context(|| format!("{}: a column went missing", path.display()))?;
        each(&arrays, batch.num_rows())?;
    }
    Ok(())
}

fn uuid_at(array: &ArrayRef, i: usize) -> Option<[u8; 16]> {
    if array.is_null(i) {
        return None;
    }
    array.as_fixed_size_binary().value(i).try_into().ok()
}

fn micros_at(array: &ArrayRef, i: usize) -> i64 {
    if array.is_null(i) {
        return i64::MAX;
    }
    array.as_primitive::<TimestampMicrosecondType>().value(i)
}

/// The bugs of a snapshot's bugs table, by id.
fn snapshot_bugs(snapshot: &Snapshot) -> Result<HashMap<[u8; 16], Bug>> {
    let path = snapshot.folder.join("bugs.parquet");
    if !path.is_file() {
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
    read_columns(&path, &columns, |arrays, rows| {
        for i in 0..rows {
            let (Some(id), Some(project)) = (uuid_at(&arrays[0], i), uuid_at(&arrays[2], i)) else {
                continue;
            };
            let severity = text_at(&arrays[4], i).and_then(Severity::from_label);
            let status = text_at(&arrays[5], i).and_then(BugStatus::from_label);
            let (Some(severity), Some(status)) = (severity, status) else {
                bail!("{}: bug row {i} has an unknown severity or status", path.display());
            };
            let priority = match arrays[7].data_type() {
                DataType::Decimal128(_, scale) if !arrays[7].is_null(i) => {
                    let mantissa = arrays[7].as_primitive::<Decimal128Type>().value(i);
                    let value = Decimal::try_from_i128_with_scale(mantissa, u32::from(*scale as u8))?;
                    (value * Decimal::from(100)).trunc().try_into().unwrap_or_default()
                }
                _ => 0,
            };
            bugs.insert(
                id,
                Bug {
                    number: arrays[1].as_primitive::<Int64Type>().value(i),
                    project,
                    title: text_at(&arrays[3], i).unwrap_or_default().to_string(),
                    severity,
                    status,
                    blocker: arrays[6].as_boolean().value(i),
                    priority,
                    due_at: micros_at(&arrays[8], i),
                    created_at: micros_at(&arrays[9], i),
                },
            );
        }
        Ok(())
    })?;
    Ok(bugs)
}

/// Project names by id, from a snapshot's projects table.
fn project_names(snapshot: &Snapshot) -> Result<HashMap<[u8; 16], String>> {
    let path = snapshot.folder.join("projects.parquet");
    let mut names = HashMap::new();
    read_columns(&path, &["id", "name"], |arrays, rows| {
        for i in 0..rows {
            if let (Some(id), Some(name)) = (uuid_at(&arrays[0], i), text_at(&arrays[1], i)) {
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
    let mut changes: Vec<(&'static str, &Bug, Option<&Bug>)> = Vec::new();
    for (id, bug) in &now {
        match then.get(id) {
            None => {
                changes.push(("opened", bug, None));
                if bug.breached_at(now_at) {
                    changes.push(("newly breached", bug, None));
                }
            }
            Some(old) => {
                if old.status.is_open() && !bug.status.is_open() && bug.status != BugStatus::Deferred {
                    changes.push(("resolved", bug, Some(old)));
                }
                if !old.status.is_open() && old.status != BugStatus::Deferred && bug.status.is_open() {
                    changes.push(("reopened", bug, Some(old)));
                }
                if bug.breached_at(now_at) && !old.breached_at(then_at) {
                    changes.push(("newly breached", bug, Some(old)));
                }
                if bug.severity != old.severity {
                    changes.push(("severity changed", bug, Some(old)));
                }
                if bug.blocker != old.blocker {
                    changes.push(("blocker changed", bug, Some(old)));
                }
            }
        }
    }
    let new_critical = changes.iter().any(|(change, bug, old)| {
        bug.severity == Severity::Critical
            && match (*change, old) {
                ("opened", _) => true,
                ("severity changed", Some(old)) => old.severity != Severity::Critical,
                _ => false,
            }
    });
    let new_breach = changes.iter().any(|(change, _, _)| *change == "newly breached");
    // critical and high first, then the most urgent, then by number
    changes.sort_by(|a, b| {
        a.1.severity
            .cmp(&b.1.severity)
            .then_with(|| b.1.priority.cmp(&a.1.priority))
            .then_with(|| a.1.number.cmp(&b.1.number))
            .then_with(|| a.0.cmp(b.0))
    });
    let mut frame = Frame::new(
        "bugs",
        vec![
            Column::new("change", Kind::Text),
            Column::new("bug", Kind::Int),
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
    for (change, bug, old) in changes {
        let label = |v: Option<&str>| v.map_or(Value::Null, Value::from);
        frame.push(vec![
            Value::from(change),
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
    Ok((frame.when_empty("no bug changed"), new_critical, new_breach))
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
