//! One file per command: gather inputs, call queries and analytics, hand the result to
//! the output layer.

mod bug_update;
mod bugs;
mod diff;
mod doctor;
mod doctor_queries;
mod export;
mod grants;
mod import;
mod import_log;
mod import_undo;
mod interrupt;
mod local;
mod migrate;
mod projects;
mod quickstart;
mod refresh;
mod report;
mod search;
mod seed;
mod shell;
mod snapshots;
mod stats;
mod users;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::cli::{Access, Cli, Command, ProjectAction, ProjectArgs};
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
    /// a `--fail-on` condition of `diff` held: exit 3, already reported.
    ConditionMet,
}

/// The export folder of the commands without a --dir: CTODB_EXPORT_DIR, else `reports/`.
pub fn export_dir() -> std::path::PathBuf {
    std::env::var_os("CTODB_EXPORT_DIR").map_or_else(|| std::path::PathBuf::from("reports"), Into::into)
}

/// The snapshot `--snapshot ID|PATH` names: a folder, or an ID in CTODB_EXPORT_DIR
/// (default `reports/`).
pub fn open_snapshot(ctx: &Context, id_or_path: &str) -> Result<crate::snapshot::Snapshot> {
    let snapshot = crate::snapshot::Snapshot::open(id_or_path, &export_dir())?;
    if ctx.as_of_given && ctx.as_of != snapshot.as_of {
        ui::warn(&format!(
            "--as-of {} is not the snapshot's as-of; its numbers are those of {}",
            ctx.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            snapshot.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(snapshot)
}

/// What every command may need, resolved once from the global options.
#[derive(Clone)]
pub struct Context {
    pub target: Target,
    pub pool: PoolSettings,
    pub output: Output,
    /// "now" for every age, SLA and trend: --as-of or the clock.
    pub as_of: DateTime<Utc>,
    /// whether --as-of was given
    pub as_of_given: bool,
    /// DATABASE_READ_URL and how reads may use it
    pub read: config::ReadSettings,
    /// the primary, when `target` is the replica a read was routed to
    pub primary: Option<Target>,
    /// the command's name, for messages (`import csv`)
    pub command: &'static str,
    /// what the command does with the database (`Command::access`)
    pub access: crate::cli::Access,
}

impl Context {
    /// A pool to the target. Through a transaction-mode pooler (`db::pooler`) only a
    /// command that reads alone goes on (each of its reads is one transaction,
    /// `Db::read_only`); any other is refused before anything is read or written.
    pub async fn connect(&self) -> Result<Db> {
        if self.target.origin == config::Origin::Offline {
            anyhow::bail!("`ctodb {}` reads a snapshot here and contacts no server", self.command);
        }
        let mut db = Db::connect(&self.target, &self.pool).await?;
        if !self.access.reads_only() {
            self.refuse_transaction_pooler(&db)?;
        }
        // an --as-of in the past: every read shows the database as it was then
        if self.reads_the_past() {
            db.past = Some(self.as_of);
        }
        Ok(db)
    }

    /// Whether the database is read as it was at an earlier --as-of (`db::Db::past`).
    pub fn reads_the_past(&self) -> bool {
        self.as_of_given && self.as_of < Utc::now()
    }

    /// Refuses the command when a transaction-mode pooler stands between (`db::pooler`).
    pub fn refuse_transaction_pooler(&self, db: &Db) -> Result<()> {
        match db.transaction_pooler {
            Some(pooler) => anyhow::bail!(crate::db::pooler::refusal(&self.target, pooler, self.command)),
            None => Ok(()),
        }
    }

    /// Refuses a target the URL declares a transaction-mode pooler (`pgbouncer=true`, as
    /// Prisma's URLs say it) before connecting, for the commands that change the schema.
    pub fn require_direct_connection(&self, command: &str) -> Result<()> {
        if self.target.looks_like_pooler() {
            anyhow::bail!(
                "{} is declared a transaction-mode pooler (pgbouncer=true), where advisory locks, \
                 prepared statements and session settings do not last from one transaction to the next; \
                 run `ctodb {command}` with a direct connection to the server",
                self.target.server()
            );
        }
        Ok(())
    }
}

/// Runs the commands that need neither a configuration nor a database (completions, the
/// manual) and returns their exit status; None for every other command.
pub fn offline(command: &Command) -> Option<std::process::ExitCode> {
    shell::run(command).map(|result| match result {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(1)
        }
    })
}

/// NO_COLOR as no-color.org defines it: any value but the empty one, `0` included.
fn no_color_set() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

pub async fn run(cli: Cli) -> Result<Outcome> {
    // a call that reads snapshots alone reads no connection setting and contacts no
    // server: a malformed DATABASE_URL or a stopped replica is nothing to it
    let offline = cli.command.reads_only_snapshots();
    let pool = if offline { PoolSettings::unused() } else { PoolSettings::from_env()? };
    let global = cli.global;
    ui::configure(global.verbose, global.quiet, pool.slow_query);
    let target = if offline {
        config::offline_target()
    } else {
        config::resolve_target(global.database_url.as_deref(), || {
            crate::local::Cluster::at_default().address()
        })?
    };
    if let Some(password) = target.password() {
        ui::register_secret(&password);
        if global.database_url_typed && global.database_url.as_deref().is_some_and(config::url_gives_password)
        {
            ui::warn(
                "a password on the command line (--database-url) is visible to every user of this machine \
                 (ps); put the URL in ./.env (mode 0600), or the password in ~/.pgpass or a service file",
            );
        }
    }
    let read = if offline {
        config::ReadSettings::unused()
    } else {
        config::ReadSettings::resolve(global.read_url.as_deref())?
    };
    if let Some(password) = read.replica.as_ref().and_then(|replica| replica.password()) {
        ui::register_secret(&password);
    }
    let mut ctx = Context {
        target,
        pool,
        output: Output::resolve(
            global.format,
            global.output,
            global.no_color || no_color_set(),
            global.csv_raw,
            global.local_time,
            global.columns.clone(),
        )?,
        as_of: global.as_of.unwrap_or_else(Utc::now),
        as_of_given: global.as_of.is_some(),
        read,
        primary: None,
        command: cli.command.name(),
        access: cli.command.access(),
    };
    // a command that only reads runs on the replica, unless --primary or it lags
    let access = ctx.access;
    if access.reads_only() && !global.primary && ctx.read.replica.is_some() {
        let route = crate::db::replica::route(&ctx.target, &ctx.read, &ctx.pool).await?;
        ui::info(&route.note);
        if route.on_replica {
            ctx.primary = Some(std::mem::replace(&mut ctx.target, route.target));
        }
    }
    if let Some(role) = access.role() {
        require_role(&ctx, cli.command.name(), role).await?;
    }
    let outcome = if access == Access::Reads {
        let command = cli.command;
        crate::db::with_retry("reading", || dispatch(&ctx, command.clone())).await
    } else {
        dispatch(&ctx, cli.command).await
    };
    crate::db::close_all().await;
    outcome
}

/// Refuses a command whose role (writer, owner) the current role does not hold, naming
/// the first privilege it lacks, before anything is written. A database that does not
/// exist yet (migrate creates it) or a server that does not answer is left to the
/// command, which says so itself.
async fn require_role(ctx: &Context, command: &str, role: crate::db::privileges::Role) -> Result<()> {
    use crate::db::privileges::{self, Role};
    let Ok(db) = ctx.connect().await else { return Ok(()) };
    let client = db.client().await?;
    let missing = privileges::missing(&**client).await?;
    let Some(lacking) = privileges::first_lacking(&missing, role) else { return Ok(()) };
    let user = ctx.target.user();
    let (what, fix) = match role {
        Role::Owner => (
            "changes the schema or bulk-loads tables",
            "run it as the role that owns ctodb's tables".to_string(),
        ),
        _ => (
            "writes rows",
            format!("`ctodb grants --writer {user}` prints the GRANT statements, to run as the owner"),
        ),
    };
    anyhow::bail!(
        "role \"{user}\" lacks {} on {}: `ctodb {command}` {what}, which needs ctodb's {} role; {fix}",
        lacking.privilege,
        lacking.object,
        role.label()
    )
}

/// The summary of a write that has committed and is not reported yet.
static COMMITTED: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Remembers the summary of a write that has just committed, so that a signal arriving
/// before it is printed still reports what was written.
fn committed(summary: &str) {
    *COMMITTED.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(summary.to_string());
}

/// Prints the summary of a committed write, once.
fn report_committed(summary: &str) {
    COMMITTED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    ui::info(summary);
}

/// What is left to do once a signal stopped the command: the hooks it registered run
/// (an import's log row says so), and a write that committed before the signal says what
/// it wrote.
pub async fn interrupted(signal: &'static str) {
    interrupt::run_hooks(signal).await;
    if let Some(summary) = COMMITTED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
        eprintln!("{summary}");
        eprintln!("(this had committed before {signal} arrived)");
    }
}

async fn dispatch(ctx: &Context, command: Command) -> Result<Outcome> {
    match command {
        Command::Migrate(args) => migrate::run(ctx, args).await,
        Command::Doctor => doctor::run(ctx).await,
        Command::Stats => stats::run(ctx).await,
        Command::Seed(args) => seed::run(ctx, args).await,
        Command::Projects(args) => projects::list(ctx, args).await,
        Command::Project(ProjectArgs { action: Some(ProjectAction::Delete(args)), .. }) => {
            projects::delete(ctx, &args).await
        }
        Command::Project(ProjectArgs { name, .. }) => {
            projects::show(ctx, name.as_deref().unwrap_or_default()).await
        }
        Command::Bugs(args) => bugs::list(ctx, args).await,
        Command::Bug(crate::cli::BugCommand::Show { number }) => bugs::show(ctx, number).await,
        Command::Bug(crate::cli::BugCommand::Update(args)) => bug_update::run(ctx, args).await,
        Command::Search(args) => search::run(ctx, args).await,
        Command::Report(command) => report::run(ctx, command).await,
        Command::Refresh => refresh::run(ctx).await,
        Command::Quickstart => quickstart::run(ctx).await,
        Command::Export(args) => export::run(ctx, args).await,
        Command::Import(command) => import::run(ctx, command).await,
        Command::Local(args) => local::run(ctx, args),
        Command::Users => users::run(ctx).await,
        Command::Snapshots(args) => snapshots::run(ctx, args),
        Command::Diff(args) => diff::run(ctx, args),
        Command::Grants(args) => grants::run(ctx, &args),
        Command::Completions { shell: which } => shell::completions(which),
        Command::Man(args) => shell::man(&args),
    }
}
