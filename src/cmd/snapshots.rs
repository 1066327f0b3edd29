//! `ctodb snapshots [--verify]`: the snapshots of the export folder, from their manifests;
//! `--verify` re-hashes every file and exits 1 on any mismatch. No database needed.

use anyhow::{Context as _, Result};

use super::{Context, Outcome};
use crate::cli::{PruneArgs, SnapshotsArgs, SnapshotsCommand};
use crate::export::manifest::Manifest;
use crate::frame::{Column, Frame, Kind, Report, Value};
use crate::snapshot::folder::SnapshotFiles;
use crate::snapshot::upgrade;
use crate::ui;

pub fn run(ctx: &Context, args: SnapshotsArgs) -> Result<Outcome> {
    match &args.action {
        Some(SnapshotsCommand::Prune(prune)) => return run_prune(ctx, &args.dir, prune),
        Some(SnapshotsCommand::Upgrade(upgrade)) => return run_upgrade(ctx, &args.dir, &upgrade.ids),
        None => {}
    }
    let mut folders: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("cannot read the export folder {}", args.dir.display()))?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix("snapshot=").map(|id| (id.to_string(), entry.path()))
        })
        .collect();
    folders.sort();
    let mut columns = vec![
        Column::new("snapshot", Kind::Text),
        Column::new("as_of", Kind::Text),
        Column::new("files", Kind::Int),
        Column::new("rows", Kind::Int),
        Column::new("bytes", Kind::Bytes),
        Column::new("formulas", Kind::Int),
        Column::new("schema_version", Kind::Text),
        Column::new("uuid", Kind::Text),
    ];
    if args.verify {
        columns.push(Column::new("verified", Kind::Bool));
    }
    let mut frame = Frame::new("snapshots", columns).when_empty("no snapshots");
    let mut failed = false;
    for (id, folder) in folders {
        // with --verify every file is opened at once, so a swap cannot mix two snapshots
        let opened = if args.verify {
            SnapshotFiles::open(&folder).map(|files| (files.manifest.clone(), Some(files)))
        } else {
            Manifest::read(&folder).map(|manifest| (manifest, None))
        };
        let (manifest, files) = match opened {
            Ok(opened) => opened,
            Err(err) => {
                ui::warn(&format!("{err:#}"));
                failed |= args.verify;
                continue;
            }
        };
        let mut row = vec![
            Value::Text(id.clone()),
            Value::Text(manifest.document["as_of"].as_str().unwrap_or_default().to_string()),
            Value::Int(manifest.files().count() as i64),
            Value::Int(manifest.rows() as i64),
            Value::Int(manifest.bytes() as i64),
            manifest.document["formulas"].as_i64().map_or(Value::Null, Value::Int),
            // snapshots written before these were recorded: no schema version, binary uuids
            Value::Text(manifest.document["schema_version"].as_str().unwrap_or("unknown").to_string()),
            Value::Text(manifest.document["uuid"].as_str().unwrap_or("binary").to_string()),
        ];
        if let Some(files) = files {
            let mut problems = files.verify();
            // a report column of another type than declared (an earlier version's)
            let drifted = upgrade::drifts(&manifest);
            if !drifted.is_empty() {
                problems.push(format!(
                    "{}: {}; `ctodb snapshots upgrade {id}` rewrites them to the declared types",
                    folder.display(),
                    drifted.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                ));
            }
            for problem in &problems {
                ui::warn(problem);
            }
            failed |= !problems.is_empty();
            row.push(Value::Bool(problems.is_empty()));
        }
        frame.push(row);
    }
    ctx.output.emit(&Report::single(frame))?;
    Ok(if failed { Outcome::ChecksFailed } else { Outcome::Success })
}

/// `snapshots prune`: each snapshot with what became of it.
fn run_prune(ctx: &Context, dir: &std::path::Path, args: &PruneArgs) -> Result<Outcome> {
    use crate::snapshot::prune::{prune, Fate};
    crate::export::place::remove_leftovers(dir, "");
    let fates = prune(dir, args.keep as usize, args.keep_monthly as usize, args.dry_run)?;
    let mut frame = Frame::new(
        "prune",
        vec![
            Column::new("snapshot", Kind::Text),
            Column::new("as_of", Kind::Timestamp),
            Column::new("action", Kind::Text),
        ],
    )
    .when_empty("no snapshots");
    let removed = fates.iter().filter(|(_, fate)| *fate != Fate::Kept).count();
    for (snapshot, fate) in &fates {
        frame.push(vec![
            Value::Text(snapshot.id.clone()),
            Value::Timestamp(snapshot.as_of),
            Value::from(fate.label()),
        ]);
    }
    let verb = if args.dry_run { "would remove" } else { "removed" };
    ui::info(&format!("{verb} {removed} of {} snapshots in {}", fates.len(), dir.display()));
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// `snapshots upgrade`: each column rewritten, by snapshot.
fn run_upgrade(ctx: &Context, dir: &std::path::Path, ids: &[String]) -> Result<Outcome> {
    let done = upgrade::upgrade_all(dir, ids)?;
    let mut frame = Frame::new(
        "upgrade",
        vec![
            Column::new("snapshot", Kind::Text),
            Column::new("file", Kind::Text),
            Column::new("column", Kind::Text),
            Column::new("was", Kind::Text),
            Column::new("now", Kind::Text),
        ],
    )
    .when_empty("every snapshot holds the declared types already");
    let upgraded = done.iter().filter(|(_, drifts)| !drifts.is_empty()).count();
    for (id, drifts) in &done {
        for drift in drifts {
            frame.push(vec![
                Value::Text(id.clone()),
                Value::Text(drift.file.clone()),
                Value::Text(drift.column.clone()),
                Value::Text(drift.written.clone()),
                Value::Text(drift.declared.clone()),
            ]);
        }
    }
    ui::info(&format!("upgraded {upgraded} of {} snapshots in {}", done.len(), dir.display()));
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}
