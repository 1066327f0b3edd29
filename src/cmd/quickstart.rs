//! `ctodb quickstart`: the first command a newcomer runs. Creates and migrates the
//! database when needed, seeds the demo when it is empty, refreshes, and prints the
//! portfolio report.

use anyhow::Result;

use super::{migrate, refresh, report, seed, Context, Outcome};
use crate::cli::{MigrateAction, MigrateArgs, ReportCommand, SeedArgs};
use crate::db;
use crate::sql;

pub async fn run(ctx: &Context) -> Result<Outcome> {
    migrate::run(ctx, MigrateArgs { action: Some(MigrateAction::Run), source: None }).await?;
    let empty = {
        let db = ctx.connect().await?;
        let client = db.client().await?;
        let row = db::query_one(&**client, &sql::SEED_IS_EMPTY, &[]).await?;
        db::get::<i64>(&row, sql::SEED_IS_EMPTY.name, "projects")? == 0
    };
    if empty {
        let demo = SeedArgs {
            profile: Some(crate::seed::Profile::Demo),
            projects: None,
            bugs: None,
            users: None,
            days: None,
            rng_seed: 42,
            append: false,
        };
        seed::run(ctx, demo).await?;
    } else {
        crate::ui::info("the database already has projects: not seeding");
    }
    refresh::run(ctx).await?;
    report::run(ctx, ReportCommand::Portfolio { from: crate::cli::FromSnapshot { snapshot: None } }).await
}
