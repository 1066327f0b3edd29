//! Reading snapshots back: a snapshot's stored report frames as output frames, with the
//! filters, sorts and pages of the live commands applied to them with Polars, so that
//! `report portfolio --snapshot 2026-W48` prints what `report portfolio` printed at that
//! as-of, with no database at all. The files are read with arrow-rs (`read`), which the
//! export already needs, rather than with Polars' Parquet reader (about 100 more crates).

pub mod diff;
pub mod folder;
pub mod prune;
mod read;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};

use crate::analytics::trends;
use crate::export::manifest::Manifest;
use crate::frame::{Frame, Value};
use crate::model::{BugStatus, ProjectStatus, Severity};
use crate::output::page_footer;
use crate::queries::{BugSort, ProjectSort};

/// An exported snapshot on disk, every file of it open (`folder`), so that what is read
/// is one snapshot whatever an export does meanwhile.
pub struct Snapshot {
    pub folder: PathBuf,
    pub as_of: DateTime<Utc>,
    /// the formula version its numbers were computed with (the manifest's `formulas`)
    pub formulas: Option<u64>,
    files: folder::SnapshotFiles,
}

/// A snapshot found in an export folder, not opened yet.
pub struct Listed {
    pub id: String,
    pub folder: PathBuf,
    pub as_of: DateTime<Utc>,
}

impl Listed {
    pub fn open(&self) -> Result<Snapshot> {
        Snapshot::at(&self.folder)
    }
}

/// The as-of instant a manifest records.
fn manifest_as_of(manifest: &Manifest, folder: &Path) -> Result<DateTime<Utc>> {
    manifest.document["as_of"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("{}: the manifest has no as_of instant", folder.display()))
}

/// The filters of `ctodb bugs` over a snapshot's open bugs.
#[derive(Debug, Clone, Default)]
pub struct BugQuery {
    pub severities: Vec<Severity>,
    pub statuses: Vec<BugStatus>,
    pub project: Option<String>,
    pub assignee: Option<String>,
    pub unassigned: bool,
    pub blocker: bool,
    pub breached: bool,
    pub at_risk: bool,
}

fn text<'a>(frame: &'a Frame, row: &'a [Value], column: &str) -> Option<&'a str> {
    match frame.column_index(column).map(|i| &row[i]) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

fn value<'a>(frame: &Frame, row: &'a [Value], column: &str) -> &'a Value {
    frame.column_index(column).map_or(&Value::Null, |i| &row[i])
}

/// Orders two values of one column; NULLs last whichever the direction.
fn compare(a: &Value, b: &Value, descending: bool) -> Ordering {
    let order = match (a, b) {
        (Value::Null, Value::Null) => return Ordering::Equal,
        (Value::Null, _) => return Ordering::Greater,
        (_, Value::Null) => return Ordering::Less,
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        _ => Ordering::Equal,
    };
    if descending {
        order.reverse()
    } else {
        order
    }
}

/// A column of a frame as a Polars column, for filtering and sorting: integers, exact
/// decimals as integers at the column's largest scale (so their order is exact), instants
/// as microseconds, text, flags.
fn polars_column(frame: &Frame, name: &str) -> Result<polars::prelude::Column> {
    use polars::prelude::{Column as PolarsColumn, NamedFrom, Series};
    let Some(i) = frame.column_index(name) else {
        bail!("the stored frame {} has no column {name}", frame.name)
    };
    let values: Vec<&Value> = frame.rows.iter().map(|row| &row[i]).collect();
    let scale =
        values.iter().filter_map(|v| if let Value::Decimal(d) = v { Some(d.scale()) } else { None }).max();
    let series = match values.iter().find(|v| !matches!(v, Value::Null)) {
        Some(Value::Text(_)) => Series::new(
            name.into(),
            values
                .iter()
                .map(|v| if let Value::Text(t) = v { Some(t.as_str()) } else { None })
                .collect::<Vec<_>>(),
        ),
        Some(Value::Bool(_)) => Series::new(
            name.into(),
            values.iter().map(|v| if let Value::Bool(b) = v { Some(*b) } else { None }).collect::<Vec<_>>(),
        ),
        _ => {
            let integers: Vec<Option<i64>> = values
                .iter()
                .map(|v| match v {
                    Value::Int(n) => Some(*n),
                    Value::Timestamp(t) => Some(t.timestamp_micros()),
                    Value::Decimal(d) => {
                        let mut d = *d;
                        d.rescale(scale.unwrap_or(0));
                        i64::try_from(d.mantissa()).ok()
                    }
                    _ => None,
                })
                .collect();
            Series::new(name.into(), integers)
        }
    };
    Ok(PolarsColumn::from(series))
}

/// The rows of `frame` that `filter` keeps, in the order of `sort` (column, descending),
/// NULLs last: computed with Polars over the columns they name.
fn select_rows(
    mut frame: Frame,
    columns: &[&str],
    filter: polars::prelude::Expr,
    sort: &[(&str, bool)],
) -> Result<Frame> {
    use polars::prelude::{col, DataFrame, IntoLazy, SortMultipleOptions};
    let mut data: Vec<polars::prelude::Column> = Vec::new();
    for name in columns {
        data.push(polars_column(&frame, name)?);
    }
    let rows = frame.rows.len();
    let frame_data = DataFrame::new(rows, data)?;
    let options = SortMultipleOptions::default()
        .with_order_descending_multi(sort.iter().map(|(_, descending)| *descending))
        .with_nulls_last(true)
        .with_maintain_order(true);
    let chosen = frame_data
        .lazy()
        .with_row_index("position", None)
        .filter(filter)
        .sort_by_exprs(sort.iter().map(|(name, _)| col(*name)).collect::<Vec<_>>(), options)
        .select([col("position")])
        .collect()?;
    let positions = chosen.column("position")?.idx()?.clone();
    // each position comes once: move the rows out instead of copying them
    let mut rows = std::mem::take(&mut frame.rows);
    frame.rows = positions.into_no_null_iter().map(|i| std::mem::take(&mut rows[i as usize])).collect();
    Ok(frame)
}

/// Keeps one page of a frame's rows and sets its footer.
fn paged(mut frame: Frame, limit: i64, offset: i64) -> Frame {
    let total = frame.rows.len() as i64;
    let rows: Vec<Vec<Value>> =
        frame.rows.drain(..).skip(offset.max(0) as usize).take(limit.max(0) as usize).collect();
    frame.rows = rows;
    frame.footer = page_footer(offset, frame.rows.len(), total);
    frame
}

impl Snapshot {
    /// A snapshot by path (a folder with a manifest), or by ID in `dir`.
    pub fn open(id_or_path: &str, dir: &Path) -> Result<Snapshot> {
        let as_path = PathBuf::from(id_or_path);
        let folder = if as_path.join(crate::export::manifest::MANIFEST).is_file() {
            as_path
        } else {
            crate::export::snapshot_folder(dir, id_or_path)
        };
        if !folder.is_dir() {
            bail!(
                "no snapshot {id_or_path:?}: {} does not exist (`ctodb snapshots --dir {}` lists them)",
                folder.display(),
                dir.display()
            );
        }
        Snapshot::at(&folder)
    }

    /// The snapshot in `folder`, its files opened together.
    fn at(folder: &Path) -> Result<Snapshot> {
        let files = folder::SnapshotFiles::open(folder)?;
        let as_of = manifest_as_of(&files.manifest, folder)?;
        let formulas = files.manifest.document["formulas"].as_u64();
        Ok(Snapshot { folder: folder.to_path_buf(), as_of, formulas, files })
    }

    /// The snapshots of `dir` (folders `snapshot=ID` with a manifest), oldest first by
    /// their as-of instant, from their manifests alone.
    pub fn list(dir: &Path) -> Result<Vec<Listed>> {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the export folder {}", dir.display()))?;
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix("snapshot=") else { continue };
            let folder = entry.path();
            let Ok(as_of) = Manifest::read(&folder).and_then(|m| manifest_as_of(&m, &folder)) else {
                continue;
            };
            found.push(Listed { id: id.to_string(), folder, as_of });
        }
        found.sort_by(|a, b| a.as_of.cmp(&b.as_of).then_with(|| a.id.cmp(&b.id)));
        Ok(found)
    }

    /// A file of the snapshot, open since the snapshot was, and its path for messages.
    pub fn file(&self, name: &str) -> Result<(std::fs::File, PathBuf)> {
        Ok((self.files.file(name)?, self.files.path(name)))
    }

    /// The snapshot's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.files.manifest
    }

    /// Whether the snapshot has the file.
    pub fn has(&self, name: &str) -> bool {
        self.files.has(name)
    }

    /// A table of the snapshot (`<table>.parquet`) as a frame: for the small ones.
    pub fn table(&self, table: &str) -> Result<Frame> {
        let (file, path) = self.file(&format!("{table}.parquet"))?;
        read::frame(file, &path, table)
    }

    /// A stored report frame (`report_<name>.parquet`) under another section name.
    fn frame(&self, name: &str, section: &str) -> Result<Frame> {
        let (file, path) = self.file(&format!("report_{name}.parquet"))?;
        read::frame(file, &path, section)
    }

    /// `report portfolio`: the overview, the five best projects by ROI, the five most
    /// urgent open bugs.
    pub fn portfolio(&self) -> Result<Vec<Frame>> {
        let overview = self.frame("portfolio", "overview")?;
        let projects = self.frame("projects", "top_projects")?;
        let mut top = projects.clone();
        top.rows.retain(|row| !matches!(value(&projects, row, "roi_score"), Value::Null));
        top.rows.sort_by(|a, b| {
            compare(value(&projects, a, "roi_score"), value(&projects, b, "roi_score"), true)
                .then_with(|| compare(value(&projects, a, "name"), value(&projects, b, "name"), false))
        });
        top.rows.truncate(5);
        let top = select(&top, &["name", "status", "arr", "dcf_valuation", "roi_score", "health_score"]);
        let bugs = self.frame("open_bugs", "top_bugs")?;
        let mut urgent = select(&bugs, &["bug", "severity", "priority", "title", "project", "sla_state"]);
        urgent.rows.truncate(5);
        Ok(vec![overview, top, urgent])
    }

    /// `report sla`: compliance by severity, then the breached and the at-risk open bugs
    /// by due instant, one page of each.
    pub fn sla(&self, limit: i64, offset: i64) -> Result<Vec<Frame>> {
        let compliance = self.frame("sla", "sla_compliance")?;
        let mut lists = vec![compliance];
        for state in ["breached", "at_risk"] {
            let query = BugQuery {
                breached: state == "breached",
                at_risk: state == "at_risk",
                ..BugQuery::default()
            };
            lists.push(self.bugs(&query, BugSort::Due, limit, offset)?.renamed(state));
        }
        Ok(lists)
    }

    /// `report trends` over the stored 12 months of the whole portfolio, and the inflow
    /// slope of those months.
    pub fn trends(&self) -> Result<(Frame, Frame)> {
        let months = self.frame("trends", "trends")?;
        let opened: Vec<i64> = months
            .rows
            .iter()
            .map(|row| match value(&months, row, "bugs_opened") {
                Value::Int(n) => *n,
                _ => 0,
            })
            .collect();
        let inflow = crate::output::computed::inflow(opened.len(), trends::inflow_slope(&opened));
        Ok((months, inflow))
    }

    pub fn engineering(&self) -> Result<Frame> {
        self.frame("engineering", "engineering")
    }

    /// `ctodb projects` over the stored projects.
    pub fn projects(
        &self,
        statuses: &[ProjectStatus],
        sort: ProjectSort,
        limit: i64,
        offset: i64,
    ) -> Result<Frame> {
        use polars::prelude::{col, lit};
        let frame = self.frame("projects", "projects")?;
        let (key, descending) = match sort {
            ProjectSort::Roi => ("roi_score", true),
            ProjectSort::Arr => ("arr", true),
            ProjectSort::Valuation => ("dcf_valuation", true),
            ProjectSort::Health => ("health_score", false),
            ProjectSort::Name => ("name", false),
        };
        let wanted = statuses
            .iter()
            .map(|s| col("status").eq(lit(s.label())))
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false));
        let chosen =
            select_rows(frame, &["status", key, "name"], wanted, &[(key, descending), ("name", false)])?;
        Ok(paged(chosen.when_empty("no projects match"), limit, offset))
    }

    /// The stored name of the project a user means: its name in any case.
    fn project_name(&self, typed: &str) -> Result<String> {
        let projects = self.frame("projects", "projects")?;
        projects
            .rows
            .iter()
            .filter_map(|row| text(&projects, row, "name"))
            .find(|name| name.eq_ignore_ascii_case(typed))
            .map(str::to_string)
            .with_context(|| format!("no project named {typed:?} in the snapshot"))
    }

    /// `ctodb bugs` over the stored open bugs (a snapshot keeps the open ones only).
    pub fn bugs(&self, query: &BugQuery, sort: BugSort, limit: i64, offset: i64) -> Result<Frame> {
        if let Some(status) = query.statuses.iter().find(|s| !s.is_open()) {
            bail!("a snapshot keeps the open bugs only (pending, in_progress), not {status} ones; ask the database instead");
        }
        use polars::prelude::{col, lit, Expr};
        let frame = self.frame("open_bugs", "bugs")?;
        let any_of = |column: &str, labels: Vec<&'static str>| -> Expr {
            labels.into_iter().map(|l| col(column).eq(lit(l))).reduce(|a, b| a.or(b)).unwrap_or(lit(true))
        };
        let mut filter = lit(true);
        if !query.severities.is_empty() {
            filter = filter.and(any_of("severity", query.severities.iter().map(|s| s.label()).collect()));
        }
        if !query.statuses.is_empty() {
            filter = filter.and(any_of("status", query.statuses.iter().map(|s| s.label()).collect()));
        }
        if let Some(project) = &query.project {
            filter = filter.and(col("project").eq(lit(self.project_name(project)?)));
        }
        if let Some(email) = &query.assignee {
            filter = filter.and(col("assignee").eq(lit(email.to_lowercase())));
        }
        if query.unassigned {
            filter = filter.and(col("assignee").is_null());
        }
        if query.blocker {
            filter = filter.and(col("blocker"));
        }
        if query.breached {
            filter = filter.and(col("sla_state").eq(lit("breached")));
        }
        if query.at_risk {
            filter = filter.and(col("sla_state").eq(lit("at_risk")));
        }
        let (key, descending) = match sort {
            BugSort::Priority => ("priority", true),
            BugSort::Created => ("created_at", true),
            BugSort::Due => ("due_at", false),
        };
        let columns = ["severity", "status", "project", "assignee", "blocker", "sla_state", key, "bug"];
        let chosen =
            select_rows(frame, &columns, filter.fill_null(lit(false)), &[(key, descending), ("bug", false)])?;
        Ok(paged(chosen.when_empty("no bugs match"), limit, offset))
    }
}

/// Some columns of a frame, in this order.
fn select(frame: &Frame, columns: &[&str]) -> Frame {
    let positions: Vec<usize> = columns.iter().filter_map(|c| frame.column_index(c)).collect();
    let mut chosen = Frame::new(&frame.name, positions.iter().map(|i| frame.columns[*i].clone()).collect());
    chosen.rows = frame.rows.iter().map(|row| positions.iter().map(|i| row[*i].clone()).collect()).collect();
    chosen
}
