//! `ctodb seed`: the demo set or generated data, loaded in one transaction so that a
//! failed or interrupted seed leaves nothing behind.

mod generate;
mod load;
mod vocabulary;

use std::time::Instant;

use anyhow::{bail, Result};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tokio_postgres::Transaction;

use crate::cli::{Profile, SeedArgs};
use crate::cmd::{Context, Outcome};
use crate::db::{self, DbError};
use crate::sql;
use crate::ui;

pub use generate::{Counts, Offsets};

impl Profile {
    fn counts(self) -> Counts {
        match self {
            // the demo's own numbers, for messages; it is not generated
            Profile::Demo => Counts { users: 6, projects: 5, bugs: 12, days: 30 },
            // 180 projects x 278 days = 50,040 daily rows
            Profile::Standard => Counts { users: 50, projects: 180, bugs: 10_000, days: 278 },
            Profile::Large => Counts { users: 200, projects: 1_000, bugs: 100_000, days: 365 },
            Profile::Xl => Counts { users: 500, projects: 10_000, bugs: 1_000_000, days: 365 },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Profile::Demo => "demo",
            Profile::Standard => "standard",
            Profile::Large => "large",
            Profile::Xl => "xl",
        }
    }
}

/// What a seed is asked to do, resolved from the options.
struct Plan {
    profile: Profile,
    counts: Counts,
    rng_seed: u64,
    append: bool,
}

fn plan(args: &SeedArgs) -> Result<Plan> {
    let overridden =
        args.projects.is_some() || args.bugs.is_some() || args.users.is_some() || args.days.is_some();
    let profile = args.profile.unwrap_or(if overridden { Profile::Standard } else { Profile::Demo });
    if profile == Profile::Demo && overridden {
        bail!("--projects, --bugs, --users and --days do not apply to --profile demo, which is written by hand; use --profile standard with them");
    }
    if profile == Profile::Demo && args.append {
        bail!("--append does not apply to --profile demo (its ids are fixed); append a generated profile instead");
    }
    let base = profile.counts();
    let counts = Counts {
        users: args.users.map_or(base.users, |n| n as usize),
        projects: args.projects.map_or(base.projects, |n| n as usize),
        bugs: args.bugs.map_or(base.bugs, |n| n as usize),
        days: args.days.map_or(base.days, |n| n as usize),
    };
    Ok(Plan { profile, counts, rng_seed: args.rng_seed, append: args.append })
}

pub async fn run(ctx: &Context, args: SeedArgs) -> Result<Outcome> {
    let plan = plan(&args)?;
    ctx.require_direct_connection("seed")?;
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client: &mut tokio_postgres::Client = &mut pooled;
    let started = Instant::now();
    let tx = client.transaction().await.map_err(|err| DbError::query("seed/begin", err))?;
    let existing = db::query_one(&tx, &sql::SEED_IS_EMPTY, &[]).await?;
    let (users, projects, bugs): (i64, i64, i64) =
        (existing.get("users"), existing.get("projects"), existing.get("bugs"));
    if (users > 0 || projects > 0 || bugs > 0) && !plan.append {
        bail!(
            "database {} already has data ({projects} projects, {bugs} bugs, {users} users); seed adds to it only with --append (or start over with `ctodb migrate reset --force`)",
            ctx.target.database()
        );
    }
    let as_of_text = ctx.as_of.to_rfc3339();
    db::query(&tx, &sql::SET_AS_OF, &[&as_of_text]).await?;

    // the time written into created_at/updated_at of rolled-up rows: the demo's as-of, the
    // generated world's anchor, so that the same seed writes the same rows
    let mut written_at = ctx.as_of;
    let loaded = match plan.profile {
        Profile::Demo => {
            tx.batch_execute(sql::SEED_DEMO.sql)
                .await
                .map_err(|err| DbError::query(sql::SEED_DEMO.name, err))?;
            plan.counts
        }
        _ => {
            let offsets = Offsets {
                users: users as usize,
                projects: projects as usize,
                bug_number: existing.get("max_bug_number"),
            };
            let anchor = generated_anchor(ctx.as_of);
            written_at = anchor;
            let generator = generate::Generator::new(plan.rng_seed, anchor, plan.counts, offsets);
            let fresh = users == 0 && projects == 0 && bugs == 0;
            load::generated(&tx, &generator, fresh).await?
        }
    };
    let step = Instant::now();
    db::execute(&tx, &sql::MONTHLY_ROLLUP, &[&ctx.as_of, &written_at]).await?;
    ui::verbose(&format!("monthly roll-up in {:.2} s", step.elapsed().as_secs_f64()));
    db::query(&tx, &sql::BUG_NUMBER_SEQUENCE, &[]).await?;
    db::execute(&tx, &sql::SEARCH_REFRESH_WORDS, &[]).await?;
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
    commit(tx).await?;
    ui::verbose(&format!("commit in {:.2} s", step.elapsed().as_secs_f64()));
    let step = Instant::now();
    ui::info("analyzing the loaded tables");
    // outside the transaction: VACUUM cannot run in one. It sets the visibility map that
    // index-only scans need, and fresh statistics for the planner.
    client
        .batch_execute("VACUUM (ANALYZE) users, projects, bugs, project_metrics, monthly_metrics, import_logs, bug_history")
        .await
        .map_err(|err| DbError::query("seed/vacuum analyze", err))?;
    ui::verbose(&format!("vacuum analyze in {:.2} s", step.elapsed().as_secs_f64()));
    ctx.output.message(&format!(
        "seeded {} (rng seed {}): {} users, {} projects, {} bugs, {} days of metrics in {:.1} s",
        plan.profile.name(),
        if plan.profile == Profile::Demo { "–".to_string() } else { plan.rng_seed.to_string() },
        loaded.users,
        loaded.projects,
        loaded.bugs,
        loaded.days,
        started.elapsed().as_secs_f64()
    ));
    Ok(Outcome::Success)
}

async fn commit(tx: Transaction<'_>) -> Result<(), DbError> {
    tx.commit().await.map_err(|err| DbError::query("seed/commit", err))
}

/// Generated data is anchored at midnight UTC of the as-of day, so that seeds made the
/// same day (or with the same --as-of date) are identical, and the data still looks
/// current.
fn generated_anchor(as_of: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = as_of.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    debug_assert!(as_of - midnight < Duration::days(1));
    midnight
}
