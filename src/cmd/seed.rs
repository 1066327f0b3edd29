//! `ctodb seed`: the demo set or generated data, loaded in one transaction so that a
//! failed or interrupted seed leaves nothing behind.

use std::time::Instant;

use anyhow::{bail, Result};
use serde_json::json;

use super::{Context, Outcome};
use crate::cli::SeedArgs;
use crate::db::{self, DbError};
use crate::seed::{self, Overrides, Plan, Profile};
use crate::ui;

pub async fn run(ctx: &Context, args: SeedArgs) -> Result<Outcome> {
    let overrides =
        Overrides { users: args.users, projects: args.projects, bugs: args.bugs, days: args.days };
    load(ctx, Plan::new(args.profile, overrides, args.rng_seed, args.append)?).await?;
    Ok(Outcome::Success)
}

/// Loads what `plan` says in one transaction, written once, then vacuums the tables and
/// says what it loaded.
pub async fn load(ctx: &Context, plan: Plan) -> Result<()> {
    ctx.require_direct_connection("seed")?;
    let db = ctx.connect().await?;
    let started = Instant::now();
    // one transaction, run again whole if the connection is lost on the way, and looked
    // up, not run again, if it is lost during the COMMIT
    let run = db::Run::new("seed");
    let loaded = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        let existing = seed::existing(&tx).await?;
        if !existing.is_empty() && !plan.append {
            bail!(
                "database {} already has data ({} projects, {} bugs, {} users); seed adds to it only with --append (or start over with `ctodb migrate reset --force`)",
                ctx.target.database(),
                existing.projects,
                existing.bugs,
                existing.users
            );
        }
        let loaded = seed::load(&tx, &plan, existing, ctx.as_of).await?;
        let changes = json!({
            "profile": plan.profile.name(),
            "users": loaded.users,
            "projects": loaded.projects,
            "bugs": loaded.bugs,
            "days": loaded.days,
            "rng_seed": plan.rng_seed,
            "append": plan.append,
        });
        db::audit(&tx, None, "seed", "database", Some(ctx.target.database()), &changes).await?;
        let step = Instant::now();
        run.commit(tx, &loaded).await?;
        ui::verbose(&format!("commit in {:.2} s", step.elapsed().as_secs_f64()));
        Ok(loaded)
    })
    .await?;
    let summary = format!(
        "seeded {} (rng seed {}): {} users, {} projects, {} bugs, {} days of metrics",
        plan.profile.name(),
        if plan.profile == Profile::Demo { "–".to_string() } else { plan.rng_seed.to_string() },
        loaded.users,
        loaded.projects,
        loaded.bugs,
        loaded.days,
    );
    super::committed(&summary);
    let mut pooled = db.client().await?;
    let client: &mut tokio_postgres::Client = &mut pooled;
    let step = Instant::now();
    ui::info("analyzing the loaded tables");
    // outside the transaction: VACUUM cannot run in one. It sets the visibility map that
    // index-only scans need, and fresh statistics for the planner.
    client
        .batch_execute("VACUUM (ANALYZE) users, projects, ctodb.project_search, bugs, ctodb.bug_search, project_metrics, monthly_metrics, import_logs, bug_history")
        .await
        .map_err(|err| DbError::query("seed/vacuum analyze", err))?;
    ui::verbose(&format!("vacuum analyze in {:.2} s", step.elapsed().as_secs_f64()));
    super::report_committed(&format!("{summary} in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(())
}
