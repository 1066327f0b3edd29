//! `ctodb quickstart`: the first command a newcomer runs. Creates and migrates the
//! database when needed, seeds the demo when it is empty, refreshes, and prints the
//! portfolio report.

use anyhow::Result;

use super::{migrate, refresh, report, Context, Outcome};
use crate::cli::{MigrateAction, MigrateArgs, ReportCommand, SeedArgs};
use crate::db;
use crate::sql;

pub async fn run(ctx: &Context) -> Result<Outcome> {
    migrate::run(ctx, MigrateArgs { action: Some(MigrateAction::Run), source: None }).await?;
    let empty = {
        let db = ctx.connect().await?;
        let client = db.client().await?;
        let row = db::query_one(&**client, &sql::SEED_IS_EMPTY, &[]).await?;
        row.get::<_, i64>("projects") == 0
    };
    if empty {
        let demo = SeedArgs {
            profile: Some(crate::cli::Profile::Demo),
            projects: None,
            bugs: None,
            users: None,
            days: None,
            rng_seed: 42,
            append: false,
        };
        crate::seed::run(ctx, demo).await?;
    } else {
        ctx.output.message("the database already has projects: not seeding");
    }
    refresh::run(ctx).await?;
    report::run(ctx, ReportCommand::Portfolio).await
}
