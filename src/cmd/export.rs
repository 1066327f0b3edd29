//! `ctodb export`: a Parquet snapshot of every table, from one database snapshot, written
//! into DIR/snapshot=ID/ all at once or not at all.

use std::time::Instant;

use anyhow::Result;

use super::{Context, Outcome};
use crate::cli::ExportArgs;
use crate::db;
use crate::export::{self, ExportPlan};
use crate::report;
use crate::ui;

pub async fn run(ctx: &Context, args: ExportArgs) -> Result<Outcome> {
    let plan = ExportPlan {
        dir: args.dir,
        id: args.id.unwrap_or_else(|| export::week_id(ctx.as_of)),
        tables: export::tables(&args.tables).map_err(anyhow::Error::msg)?,
        reports: export::reports(&args.reports, &report::STORED).map_err(anyhow::Error::msg)?,
        uuid: args.uuid,
        codec: args.compression,
        force: args.force,
        if_missing: args.if_missing,
        as_of: ctx.as_of,
        database: ctx.target.describe(),
    };
    // an unwritable folder, an export of the same ID under way or an existing snapshot
    // fails before any query runs; the ID's lock is held until the export ends
    let kept = || {
        let folder = export::snapshot_folder(&plan.dir, &plan.id);
        ui::info(&format!("{} exists already; kept it (--if-missing)", folder.display()));
        Ok(Outcome::Success)
    };
    let _lock = match export::prepare(&plan)? {
        export::Prepared::Go(lock) => lock,
        export::Prepared::Exists => return kept(),
    };
    let started = Instant::now();
    let db = ctx.connect().await?;
    // from scratch again if the connection is lost: each try writes its own temporary
    // folder, removed when it fails
    let exported = db::with_retry("export", || async {
        let mut pooled = db.client().await?;
        export::export(
            &mut pooled,
            &db::ReadSetup { always_views: true, ..db.read_setup() },
            &plan,
            &report::Stored,
        )
        .await
    })
    .await?;
    let manifest = match exported {
        export::Exported::Written(manifest) => manifest,
        export::Exported::KeptExisting => return kept(),
    };
    ui::info(&format!(
        "exported {} to {}: {} files, {} rows, {:.1} MB in {:.1} s",
        plan.id,
        export::snapshot_folder(&plan.dir, &plan.id).display(),
        manifest.files().count(),
        manifest.rows(),
        manifest.bytes() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ));
    Ok(Outcome::Success)
}
