//! Seeding: the demo set or generated data, loaded inside the caller's transaction so
//! that a failed or interrupted seed leaves nothing behind (`ctodb seed` lives in
//! `cmd::seed`).

mod generate;
mod load;
mod vocabulary;

use std::time::Instant;

use anyhow::{bail, Result};
use chrono::{DateTime, Duration, Utc};
use tokio_postgres::Transaction;

use crate::db::{self, DbError};
use crate::sql;
use crate::ui;

pub use generate::{Counts, Offsets};

/// The data sets of `ctodb seed --profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// 6 users, 5 projects, 12 bugs written by hand, relative to --as-of
    Demo,
    /// 180 projects, 10,000 bugs, 50 users, ~50,000 daily metric rows
    Standard,
    /// 1,000 projects, 100,000 bugs, 200 users, 365 days of metrics
    Large,
    /// 10,000 projects, 1,000,000 bugs, 500 users, 3,650,000 daily metric rows
    Xl,
    /// 100,000 projects, 10,000,000 bugs, 5,000 users, 36,500,000 daily metric rows
    /// (about 30 GB; for the benchmarks in bench/, not for a laptop)
    Xxl,
}

impl Profile {
    fn counts(self) -> Counts {
        match self {
            // the demo's own numbers, for messages; it is not generated
            Profile::Demo => Counts { users: 6, projects: 5, bugs: 12, days: 30 },
            // 180 projects x 278 days = 50,040 daily rows
            Profile::Standard => Counts { users: 50, projects: 180, bugs: 10_000, days: 278 },
            Profile::Large => Counts { users: 200, projects: 1_000, bugs: 100_000, days: 365 },
            Profile::Xl => Counts { users: 500, projects: 10_000, bugs: 1_000_000, days: 365 },
            Profile::Xxl => Counts { users: 5_000, projects: 100_000, bugs: 10_000_000, days: 365 },
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Demo => "demo",
            Profile::Standard => "standard",
            Profile::Large => "large",
            Profile::Xl => "xl",
            Profile::Xxl => "xxl",
        }
    }
}

/// What a seed is asked to do, resolved from the options.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub profile: Profile,
    pub counts: Counts,
    pub rng_seed: u64,
    pub append: bool,
}

/// The counts a user may give in place of the profile's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    pub users: Option<u32>,
    pub projects: Option<u32>,
    pub bugs: Option<u32>,
    pub days: Option<u32>,
}

impl Plan {
    pub fn new(profile: Option<Profile>, overrides: Overrides, rng_seed: u64, append: bool) -> Result<Plan> {
        let overridden = overrides.projects.is_some()
            || overrides.bugs.is_some()
            || overrides.users.is_some()
            || overrides.days.is_some();
        let profile = profile.unwrap_or(if overridden { Profile::Standard } else { Profile::Demo });
        if profile == Profile::Demo && overridden {
            bail!("--projects, --bugs, --users and --days do not apply to --profile demo, which is written by hand; use --profile standard with them");
        }
        if profile == Profile::Demo && append {
            bail!("--append does not apply to --profile demo (its ids are fixed); append a generated profile instead");
        }
        let base = profile.counts();
        let counts = Counts {
            users: overrides.users.map_or(base.users, |n| n as usize),
            projects: overrides.projects.map_or(base.projects, |n| n as usize),
            bugs: overrides.bugs.map_or(base.bugs, |n| n as usize),
            days: overrides.days.map_or(base.days, |n| n as usize),
        };
        Ok(Plan { profile, counts, rng_seed, append })
    }
}

/// What the database holds before a seed.
#[derive(Debug, Clone, Copy)]
pub struct Existing {
    pub users: i64,
    pub projects: i64,
    pub bugs: i64,
    pub max_bug_number: i64,
}

impl Existing {
    pub fn is_empty(&self) -> bool {
        self.users == 0 && self.projects == 0 && self.bugs == 0
    }
}

pub async fn existing(tx: &Transaction<'_>) -> Result<Existing> {
    let row = db::query_one(tx, &sql::SEED_IS_EMPTY, &[]).await?;
    let get = |column| db::get::<i64>(&row, sql::SEED_IS_EMPTY.name, column);
    Ok(Existing {
        users: get("users")?,
        projects: get("projects")?,
        bugs: get("bugs")?,
        max_bug_number: get("max_bug_number")?,
    })
}

/// Loads the plan's rows into `tx` (which already holds `existing`), then rolls the bugs
/// up into monthly metrics and refreshes the search dictionary. Returns what was loaded.
pub async fn load(
    tx: &Transaction<'_>,
    plan: &Plan,
    existing: Existing,
    as_of: DateTime<Utc>,
) -> Result<Counts> {
    let as_of_text = as_of.to_rfc3339();
    db::query(tx, &sql::SET_AS_OF, &[&as_of_text]).await?;
    // the time written into created_at/updated_at of rolled-up rows: the demo's as-of, the
    // generated world's anchor, so that the same seed writes the same rows
    let mut written_at = as_of;
    let loaded = match plan.profile {
        Profile::Demo => {
            tx.batch_execute(&sql::SEED_DEMO.sql)
                .await
                .map_err(|err| DbError::query(sql::SEED_DEMO.name, err))?;
            plan.counts
        }
        _ => {
            let offsets = Offsets {
                users: existing.users as usize,
                projects: existing.projects as usize,
                bug_number: existing.max_bug_number,
            };
            let anchor = generated_anchor(as_of);
            written_at = anchor;
            let generator = generate::Generator::new(plan.rng_seed, anchor, plan.counts, offsets);
            load::generated(tx, &generator, existing.is_empty(), as_of).await?
        }
    };
    let step = Instant::now();
    db::execute(tx, &sql::MONTHLY_ROLLUP, &[&as_of, &written_at]).await?;
    ui::verbose(&format!("monthly roll-up in {:.2} s", step.elapsed().as_secs_f64()));
    db::query(tx, &sql::BUG_NUMBER_SEQUENCE, &[]).await?;
    db::execute(tx, &sql::SEARCH_REFRESH_WORDS, &[]).await?;
    Ok(loaded)
}

/// Generated data is anchored at midnight UTC of the as-of day, so that seeds made the
/// same day (or with the same --as-of date) are identical, and the data still looks
/// current.
fn generated_anchor(as_of: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = as_of.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    debug_assert!(as_of - midnight < Duration::days(1));
    midnight
}
