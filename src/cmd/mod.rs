//! One file per command: gather inputs, call queries and analytics, hand the result to
//! the output layer.

mod bugs;
mod doctor;
mod doctor_queries;
mod frames;
mod migrate;
mod projects;
mod quickstart;
mod refresh;
mod report;
mod search;
mod stats;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::cli::{Cli, Command};
use crate::config::{self, PoolSettings, Target};
use crate::db::Db;
use crate::output::Output;
use crate::ui;

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// doctor found a failing check, migrate status found drift: exit 1, already reported.
    ChecksFailed,
}

/// What every command may need, resolved once from the global options.
pub struct Context {
    pub target: Target,
    pub pool: PoolSettings,
    pub output: Output,
    /// "now" for every age, SLA and trend: --as-of or the clock.
    pub as_of: DateTime<Utc>,
}

impl Context {
    pub async fn connect(&self) -> Result<Db> {
        Ok(Db::connect(&self.target, &self.pool).await?)
    }

    /// Refuses a transaction-mode pooler for commands that need session features.
    pub fn require_direct_connection(&self, command: &str) -> Result<()> {
        if self.target.looks_like_pooler() {
            anyhow::bail!(
                "{} looks like a transaction-mode pooler (port 6543 or pgbouncer=true), where \
                 advisory locks and prepared statements break; run `ctodb {command}` with a \
                 direct connection (usually port 5432)",
                self.target.server()
            );
        }
        Ok(())
    }
}

pub async fn run(cli: Cli) -> Result<Outcome> {
    let pool = PoolSettings::from_env()?;
    let global = cli.global;
    ui::configure(global.verbose, global.quiet, pool.slow_query);
    let target = config::resolve_target(global.database_url.as_deref())?;
    if let Some(password) = target.password() {
        ui::register_secret(&password);
    }
    let ctx = Context {
        target,
        pool,
        output: Output::resolve(global.format, global.output, global.no_color),
        as_of: global.as_of.unwrap_or_else(Utc::now),
    };
    let outcome = match cli.command {
        Command::Migrate(args) => migrate::run(&ctx, args).await,
        Command::Doctor => doctor::run(&ctx).await,
        Command::Stats => stats::run(&ctx).await,
        Command::Seed(args) => crate::seed::run(&ctx, args).await,
        Command::Projects(args) => projects::list(&ctx, args).await,
        Command::Project { name } => projects::show(&ctx, &name).await,
        Command::Bugs(args) => bugs::list(&ctx, args).await,
        Command::Bug(crate::cli::BugCommand::Show { number }) => bugs::show(&ctx, number).await,
        Command::Search(args) => search::run(&ctx, args).await,
        Command::Report(command) => report::run(&ctx, command).await,
        Command::Refresh => refresh::run(&ctx).await,
        Command::Quickstart => quickstart::run(&ctx).await,
    };
    crate::db::close_all().await;
    outcome
}

/// Runs a helper and turns its rows into a frame named `name`.
pub async fn fetch_frame(
    client: &impl tokio_postgres::GenericClient,
    helper: &crate::sql::Helper,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    name: &str,
) -> Result<crate::output::Frame> {
    let (statement, rows) = crate::db::query_with_columns(client, helper, params).await?;
    Ok(crate::output::Frame::from_rows(name, statement.columns(), &rows))
}

/// The database label of a clap value (`in_progress`, `critical`).
pub fn label<T: clap::ValueEnum>(value: &T) -> String {
    value.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
}

/// The project a user means by NAME-or-ID, or an error naming the closest one.
pub async fn resolve_project(
    client: &impl tokio_postgres::GenericClient,
    typed: &str,
) -> Result<(uuid::Uuid, String)> {
    let id = uuid::Uuid::parse_str(typed).ok();
    let rows = crate::db::query(client, &crate::sql::PROJECT_FIND, &[&typed, &id]).await?;
    if let Some(row) = rows.first() {
        return Ok((row.get("id"), row.get("name")));
    }
    let closest = crate::db::query(client, &crate::sql::PROJECT_CLOSEST, &[&typed]).await?;
    match closest.first() {
        Some(row) => anyhow::bail!(
            "no project named {typed:?}; did you mean {:?}? (`ctodb projects --all` lists them)",
            row.get::<_, String>("name")
        ),
        None => {
            anyhow::bail!("no project named {typed:?}: the database has no projects yet (try `ctodb seed`)")
        }
    }
}

/// The user with this e-mail, or an error saying there is none.
pub async fn resolve_user(client: &impl tokio_postgres::GenericClient, email: &str) -> Result<uuid::Uuid> {
    let rows = crate::db::query(client, &crate::sql::FIND_USER, &[&email]).await?;
    match rows.first() {
        Some(row) => Ok(row.get("id")),
        None => anyhow::bail!("no user with e-mail {email:?} (`ctodb report workload` lists active users)"),
    }
}

/// "rows 51–100 of 1,234" for a page that starts after `offset` rows.
pub fn page_footer(offset: u64, shown: usize, total: i64) -> Option<String> {
    (shown > 0).then(|| {
        let total = crate::output::group_thousands(&rust_decimal::Decimal::from(total), 0);
        format!("rows {}–{} of {total}", offset + 1, offset + shown as u64)
    })
}
