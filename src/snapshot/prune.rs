//! Retention (`ctodb snapshots prune`): the newest N snapshots by as-of are kept, and with
//! `--keep-monthly M` the newest of each of the M most recent months too (weeks for the
//! recent past, months for the years before: what a weekly history kept for years needs);
//! the newest snapshot is never removed. Each removal is whole: under the ID's export lock
//! the folder is first renamed to a dot-name (no reader or engine's glob sees it any more),
//! then deleted; an interrupted prune leaves complete snapshots and dot-folders that the
//! next prune or export removes.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::Datelike;

use super::{Listed, Snapshot};
use crate::export::place::IdLock;
use crate::ui;

/// What prune does with one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Kept,
    Removed,
    /// --dry-run
    WouldRemove,
}

impl Fate {
    pub fn label(self) -> &'static str {
        match self {
            Fate::Kept => "kept",
            Fate::Removed => "removed",
            Fate::WouldRemove => "would remove",
        }
    }
}

/// The snapshots to keep: indexes into `listed` (oldest first).
fn kept(listed: &[Listed], keep: usize, keep_monthly: usize) -> BTreeSet<usize> {
    let mut kept: BTreeSet<usize> = (listed.len().saturating_sub(keep.max(1))..listed.len()).collect();
    let mut months = BTreeSet::new();
    for (i, snapshot) in listed.iter().enumerate().rev() {
        let month = (snapshot.as_of.year(), snapshot.as_of.month());
        if months.len() >= keep_monthly && !months.contains(&month) {
            break;
        }
        if months.insert(month) {
            kept.insert(i);
        }
    }
    kept
}

/// Prunes `dir`; returns each snapshot with its fate, oldest first.
pub fn prune(dir: &Path, keep: usize, keep_monthly: usize, dry_run: bool) -> Result<Vec<(Listed, Fate)>> {
    let listed = Snapshot::list(dir)?;
    let kept = kept(&listed, keep, keep_monthly);
    let mut fates = Vec::new();
    for (i, snapshot) in listed.into_iter().enumerate() {
        let fate = match (kept.contains(&i), dry_run) {
            (true, _) => Fate::Kept,
            (false, true) => Fate::WouldRemove,
            (false, false) => {
                remove(dir, &snapshot)?;
                Fate::Removed
            }
        };
        fates.push((snapshot, fate));
    }
    Ok(fates)
}

/// Removes one snapshot whole, under its ID's lock.
fn remove(dir: &Path, snapshot: &Listed) -> Result<()> {
    let _lock = IdLock::acquire(dir, &snapshot.id)?;
    let hidden = dir.join(format!(".snapshot={}.pruned-{}", snapshot.id, std::process::id()));
    std::fs::rename(&snapshot.folder, &hidden)
        .with_context(|| format!("cannot move {} aside to remove it", snapshot.folder.display()))?;
    crate::fault::point("prune:hidden");
    std::fs::remove_dir_all(&hidden).with_context(|| format!("cannot remove {}", hidden.display()))?;
    ui::verbose(&format!("removed {}", snapshot.folder.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn listed(days: &[&str]) -> Vec<Listed> {
        days.iter()
            .map(|day| Listed {
                id: day.to_string(),
                folder: Path::new("/nowhere").join(day),
                as_of: DateTime::parse_from_rfc3339(&format!("{day}T06:00:00Z")).unwrap().with_timezone(&Utc),
            })
            .collect()
    }

    #[test]
    fn the_newest_n_and_the_newest_of_recent_months_are_kept() {
        let weeks = listed(&[
            "2026-08-03",
            "2026-08-31",
            "2026-09-07",
            "2026-09-28",
            "2026-10-05",
            "2026-10-26",
            "2026-11-02",
            "2026-11-23",
            "2026-11-30",
        ]);
        let days = |set: BTreeSet<usize>| set.into_iter().map(|i| weeks[i].id.clone()).collect::<Vec<_>>();
        assert_eq!(days(kept(&weeks, 2, 0)), ["2026-11-23", "2026-11-30"]);
        // and the newest of November, October, September
        assert_eq!(days(kept(&weeks, 2, 3)), ["2026-09-28", "2026-10-26", "2026-11-23", "2026-11-30"]);
        // never fewer than the newest
        assert_eq!(days(kept(&weeks, 0, 0)), ["2026-11-30"]);
        assert_eq!(days(kept(&weeks, 20, 0)).len(), 9);
    }
}
