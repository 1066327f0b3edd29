//! `ctodb diff [FROM] [TO]`: what changed between two snapshots (`snapshot::diff`), with
//! no database; `--fail-on` turns a new critical bug or a new SLA breach into exit 3.

use anyhow::{bail, Result};

use super::{Context, Outcome};
use crate::cli::{DiffArgs, FailOn};
use crate::frame::Report;
use crate::output::chart;
use crate::snapshot::{diff, Snapshot};
use crate::ui;

pub fn run(ctx: &Context, args: DiffArgs) -> Result<Outcome> {
    let (from, to) = match (&args.from, &args.to) {
        (Some(from), Some(to)) => (Snapshot::open(from, &args.dir)?, Snapshot::open(to, &args.dir)?),
        (Some(from), None) => {
            let Some(newest) = Snapshot::list(&args.dir)?.pop() else {
                bail!("no snapshot in {} to compare {from} with", args.dir.display())
            };
            (Snapshot::open(from, &args.dir)?, newest.open()?)
        }
        (None, _) => {
            let mut all = Snapshot::list(&args.dir)?;
            if all.len() < 2 {
                bail!(
                    "{} holds {} snapshot{}; diff needs two (`ctodb export` makes one a week), or name FROM and TO",
                    args.dir.display(),
                    all.len(),
                    if all.len() == 1 { "" } else { "s" }
                );
            }
            match (all.pop(), all.pop()) {
                (Some(to), Some(from)) => (from.open()?, to.open()?),
                _ => bail!("{} holds fewer than two snapshots", args.dir.display()),
            }
        }
    };
    if from.as_of > to.as_of {
        ui::warn(&format!(
            "{} is later than {}: the changes read backwards",
            from.folder.display(),
            to.folder.display()
        ));
    }
    if let (Some(a), Some(b)) = (from.formulas, to.formulas) {
        if a != b {
            ui::warn(&format!(
                "the snapshots were computed with different formulas (version {a} and {b}): valuations, ROI, health \
                 and priorities may differ for that reason alone"
            ));
        }
    }
    for change in from.manifest().column_changes(to.manifest()) {
        ui::info(&format!("{change} (the schema changed between the snapshots)"));
    }
    let stamp = |s: &Snapshot| s.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ui::info(&format!("changes from {} to {}", stamp(&from), stamp(&to)));
    let changes = diff::diff(&from, &to, args.top as usize)?;
    if let Some(path) = &args.chart {
        chart::write(&chart::moves(&changes.projects, 15).svg(), path)?;
    }
    let mut report = Report::default();
    report.push(changes.portfolio.titled("Portfolio"));
    report.push(changes.counts.titled("Counts"));
    report.push(changes.projects.titled("Projects"));
    report.push(changes.bugs.titled("Bugs"));
    ctx.output.emit(&report)?;
    let failed: Vec<&str> = args
        .fail_on
        .iter()
        .filter_map(|condition| match condition {
            FailOn::NewCritical if changes.new_critical => {
                Some("a critical bug was opened or became critical")
            }
            FailOn::NewBreach if changes.new_breach => Some("a bug went past its SLA"),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        return Ok(Outcome::Success);
    }
    ui::warn(&format!("--fail-on: {}", failed.join("; ")));
    Ok(Outcome::ConditionMet)
}
