//! The command line: clap definitions only. Dispatch lives in `cmd`.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::export::writer::Codec;
use crate::import::fields::ImportKind;
use crate::model::{BugStatus, ProjectStatus, Severity};
use crate::output::Format;
use crate::queries::{BugFilter, BugSort, ProjectSort};
use crate::report::{self, FromSnapshot, Page};
use crate::seed::Profile;

/// The version line: the crate version, the version of the formulas (SPEC §6), the
/// schema the binary migrates to (its last migration) and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (formulas: 1, schema: ",
    env!("CTODB_SCHEMA_VERSION"),
    ", commit: ",
    env!("CTODB_COMMIT"),
    ")"
);

/// Every environment variable ctodb reads, shown by `ctodb --help` (README's
/// configuration table lists the same names; a test checks both against the source).
const ENVIRONMENT: &str = "\
Environment (also read from ./.env, never a parent folder's, or --env-file):
  CTODB_ENV_FILE               the settings file to read instead of ./.env,
                               as --env-file
  DATABASE_URL                 the primary: a libpq URL or keyword/value string
  DATABASE_READ_URL            a streaming replica for the commands that only
                               read
  CTODB_MAX_REPLICA_LAG        seconds a replica may be behind before reads
                               leave it [300]
  CTODB_READ_FALLBACK          primary|fail: what a read does when the replica
                               lags [primary]
  DATABASE_CONNECTION_LIMIT    connections in the pool [10]
  DATABASE_CONNECTION_TIMEOUT  seconds to connect [20]
  DATABASE_POOL_TIMEOUT        seconds to wait for a free connection [10]
  CTODB_STATEMENT_TIMEOUT      milliseconds before the server cancels a
                               statement [none]
  CTODB_SLOW_QUERY_MS          log queries slower than this to stderr [1000]
  CTODB_USER                   who makes changes (e-mail), as --as
  CTODB_EXPORT_DIR             the snapshots' folder [reports]
  CTODB_LOCAL                  a private cluster's folder (ctodb local), used
                               when no URL is set
  NO_COLOR                     no colour in tables, as --no-color
  PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGPASSFILE PGDATABASE PGSSLMODE
  PGSSLROOTCERT PGSSLNEGOTIATION PGSSLCOMPRESSION PGSSLSNI PGCHANNELBINDING
  PGGSSENCMODE PGCONNECT_TIMEOUT PGAPPNAME PGOPTIONS PGCLIENTENCODING
  PGTARGETSESSIONATTRS PGLOADBALANCEHOSTS
                               what the URL leaves out, as libpq reads them
  PGSERVICE PGSERVICEFILE PGSYSCONFDIR
                               a section of a service file, as libpq reads it
  PGSSLCERT PGSSLKEY PGSSLCERTMODE PGSSLCRL PGSSLCRLDIR PGSSLMINPROTOCOLVERSION
  PGSSLMAXPROTOCOLVERSION PGREQUIREPEER PGREQUIREAUTH PGKRBSRVNAME PGGSSLIB
  PGGSSDELEGATION PGDATESTYLE PGTZ PGGEQO PGREQUIRESSL
                               refused when set: ctodb does not do what they
                               ask

Connection: --database-url or DATABASE_URL, else CTODB_LOCAL, else the PG*
variables; with nothing set, the local socket /var/run/postgresql and the
database `ctodb`.

Examples:
  ctodb quickstart                  create, migrate, seed the demo, refresh,
                                    show the portfolio
  ctodb report portfolio            the Monday-morning overview
  ctodb bugs --breached --sort due  open bugs past their SLA, most overdue
                                    first
  ctodb completions bash > ~/.local/share/bash-completion/completions/ctodb";

#[derive(Debug, Parser)]
#[command(
    name = "ctodb",
    version = VERSION,
    about = "Run the numbers on a portfolio of software projects kept in PostgreSQL",
    after_help = "Environment variables and examples: ctodb --help",
    after_long_help = ENVIRONMENT
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalOptions {
    /// PostgreSQL URL, e.g. postgres://user:password@host:5432/ctodb?sslmode=require
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// whether --database-url was typed on the command line (every user sees it in `ps`)
    #[arg(skip)]
    pub database_url_typed: bool,

    /// A streaming replica for the commands that only read (reports, listings, search,
    /// stats, export); writes go to DATABASE_URL. See CTODB_MAX_REPLICA_LAG
    #[arg(long, env = "DATABASE_READ_URL", global = true, hide_env_values = true, value_name = "URL")]
    pub read_url: Option<String>,

    /// Read from the primary (DATABASE_URL) even when DATABASE_READ_URL names a replica
    #[arg(long, global = true)]
    pub primary: bool,

    /// Output format [default: table on a terminal, csv when piped]
    #[arg(short, long, value_enum, global = true)]
    pub format: Option<Format>,

    /// Write results to FILE (atomically) instead of standard output
    #[arg(short, long, value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,

    /// Read as of this instant (RFC 3339, or a UTC date) [default: the clock]: ages,
    /// SLAs and trends at it; an earlier one leaves out what was created later, gives
    /// bugs the status, severity, assignee, blocker and text their history records then
    /// and computes every score then (revenue impact, SLA hours set by hand, projects'
    /// financials and status are today's: ctodb keeps no history of them)
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_as_of, global = true)]
    pub as_of: Option<DateTime<Utc>>,

    /// Take an --as-of later than the clock (or before 2000): ages and SLAs computed at
    /// that instant over today's data
    #[arg(long, global = true)]
    pub allow_future: bool,

    /// Only these columns, in this order (names as in the header, comma-separated)
    #[arg(long, value_name = "A,B,…", value_delimiter = ',', global = true)]
    pub columns: Option<Vec<String>>,

    /// Instants in tables (and the weekly page) in the local time zone (TZ), with their
    /// offset; CSV, JSON, ndjson, Parquet and workbooks keep UTC
    #[arg(long, global = true)]
    pub local_time: bool,

    /// CSV text as is: no `'` before a cell a spreadsheet would run as a formula
    /// (=, +, -, @, tab, carriage return)
    #[arg(long, global = true)]
    pub csv_raw: bool,

    /// No colour in tables (also when NO_COLOR is set to anything but empty, as
    /// no-color.org says)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Print only results and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print each query's name and time on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Read settings from FILE instead of the working folder's .env (read before the
    /// command line; a file others may write is refused)
    #[arg(long, value_name = "FILE", env = "CTODB_ENV_FILE", global = true)]
    pub env_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create the database if needed and apply pending migrations
    #[command(
        after_help = "Examples:\n  ctodb migrate\n  ctodb migrate status\n  ctodb migrate new add_bug_labels"
    )]
    Migrate(MigrateArgs),
    /// Check connection, server, schema, statistics and index use; exit 1 on any failure
    #[command(
        after_help = "Examples:\n  ctodb doctor\n  DATABASE_URL=postgres://analyst@db2/ctodb ctodb doctor"
    )]
    Doctor,
    /// Rows and size per table, and how often each index is used
    #[command(after_help = "Examples:\n  ctodb stats\n  ctodb stats -f csv > sizes.csv")]
    Stats,
    /// Fill the database with the demo set or generated data (binary COPY, one transaction)
    #[command(
        after_help = "Examples:\n  ctodb seed                                  # the demo: 5 projects, 12 bugs, 6 people\n  ctodb seed --profile xl                     # 10,000 projects, 1,000,000 bugs\n  ctodb seed --projects 50 --bugs 5000 --rng-seed 7"
    )]
    Seed(SeedArgs),
    /// Projects with valuation, scores and open bugs
    #[command(
        after_help = "Examples:\n  ctodb projects\n  ctodb projects --all --sort valuation\n  ctodb projects --wide -f csv > projects.csv"
    )]
    Projects(ProjectsArgs),
    /// One project: its numbers, open bugs by priority, last 30 days of metrics; or
    /// `project delete NAME`
    #[command(
        after_help = "Examples:\n  ctodb project \"Atlas Payments\"\n  ctodb project \"atlas payments\" -f json\n  ctodb project delete \"Ada Lovelace\"          # a project made by mistake"
    )]
    Project(ProjectArgs),
    /// Bugs matching filters, most urgent first (open bugs unless --status or --all)
    #[command(
        after_help = "Examples:\n  ctodb bugs --severity critical\n  ctodb bugs --breached --sort due\n  ctodb bugs --project \"Atlas Payments\" --assignee linus@ctodb.dev -f csv"
    )]
    Bugs(BugsArgs),
    /// One bug
    #[command(subcommand)]
    Bug(BugCommand),
    /// Ranked fuzzy search across projects and bugs (typo tolerant)
    #[command(
        after_help = "Examples:\n  ctodb search \"payment timeout\"\n  ctodb search \"lgoin timout\" --bugs --limit 5"
    )]
    Search(SearchArgs),
    /// Reports: portfolio, bugs, sla, aging, daily, monthly, trends, engineering, workload, team, sync, imports, weekly
    #[command(subcommand)]
    Report(ReportCommand),
    /// Recompute priorities, valuations, ROI, health, monthly roll-ups and today's snapshot
    #[command(
        after_help = "Examples:\n  ctodb refresh\n  ctodb refresh --as-of 2026-11-25T06:00:00Z\n  0 6 * * *  cd /srv/ctodb && ctodb -q refresh     # nightly, from cron"
    )]
    Refresh,
    /// First run: create and migrate the database, seed the demo if empty, refresh, show the portfolio
    #[command(after_help = "Examples:\n  ctodb quickstart\n  ctodb quickstart > portfolio.csv")]
    Quickstart,
    /// Every user with every stored field (e-mail, name, role, active, capacity, GitHub login)
    #[command(after_help = "Examples:\n  ctodb users\n  ctodb users -f csv > users.csv")]
    Users,
    /// Bring data in: CSV files of projects, bugs, users or daily metrics, and GitHub's API JSON
    #[command(subcommand)]
    Import(ImportCommand),
    /// A private PostgreSQL cluster made from the installed server binaries, for a machine
    /// where no server runs: start, stop, status, url, destroy
    #[command(
        after_help = "Examples:\n  ctodb local start\n  ctodb local start --port 5499\n  ctodb local status"
    )]
    Local(LocalArgs),
    /// Write a Parquet snapshot of every table into DIR/snapshot=ID/ (one database snapshot)
    #[command(
        after_help = "Examples:\n  ctodb export\n  ctodb export --if-missing --dir /srv/reports    # weekly, from cron\n  ctodb export --id before-migration --tables bugs,projects --reports none"
    )]
    Export(ExportArgs),
    /// What changed between two snapshots (default: the two newest in DIR), from their
    /// files alone: portfolio totals, project moves, bugs opened, resolved, breached…
    #[command(
        after_help = "Examples:\n  ctodb diff\n  ctodb diff 2026-W47 2026-W48 --top 5\n  ctodb diff --fail-on new-critical -f csv > changes.csv"
    )]
    Diff(DiffArgs),
    /// List the snapshots in DIR; --verify re-hashes every file against its manifest
    #[command(
        after_help = "Examples:\n  ctodb snapshots\n  ctodb snapshots --verify\n  ctodb snapshots prune --keep 8 --keep-monthly 12"
    )]
    Snapshots(SnapshotsArgs),
    /// Print the GRANT statements that make roles ctodb's reader (every read and export)
    /// and writer (refresh, imports, bug update); run them as the owner
    #[command(
        after_help = "Examples:\n  ctodb grants --reader analyst --writer etl | psql -v ON_ERROR_STOP=1 ctodb\n  ctodb grants --reader analyst --owner ctodb_owner\n\nThe roles must exist first (createuser analyst; createuser etl)."
    )]
    Grants(GrantsArgs),
    /// Print a shell's completion script for ctodb
    #[command(after_help = "Examples:
  ctodb completions bash > ~/.local/share/bash-completion/completions/ctodb
  ctodb completions zsh > ~/.zfunc/_ctodb        # with fpath+=~/.zfunc before compinit
  ctodb completions fish > ~/.config/fish/completions/ctodb.fish")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print ctodb's manual page (roff), or write one page per command into DIR
    #[command(after_help = "Examples:
  ctodb man | man -l -
  ctodb man --dir ~/.local/share/man/man1      # then: man ctodb-report-portfolio")]
    Man(ManArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write ctodb.1 and a page for every command (ctodb-report-sla.1, …) into DIR
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProjectArgs {
    /// project name (any case) or id
    #[arg(required = true)]
    pub name: Option<String>,
    #[command(subcommand)]
    pub action: Option<ProjectAction>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ProjectAction {
    /// Delete a project with its daily and monthly metrics; refused while it has bugs,
    /// unless --with-bugs (which deletes them and their history too)
    #[command(
        after_help = "Examples:\n  ctodb project delete \"Ada Lovelace\"\n  ctodb project delete \"Old Pilot\" --with-bugs --as grace@ctodb.dev"
    )]
    Delete(ProjectDeleteArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ProjectDeleteArgs {
    /// project name (any case) or id
    pub name: String,
    /// Delete its bugs (and their history) with it
    #[arg(long)]
    pub with_bugs: bool,
    /// Who deletes it (e-mail), recorded in the audit log
    #[arg(long = "as", value_name = "EMAIL", env = "CTODB_USER")]
    pub actor: Option<String>,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("grantee").required(true).multiple(true).args(["reader", "writer"])))]
pub struct GrantsArgs {
    /// The role to make a reader (not PUBLIC, a pg_* role or the owner)
    #[arg(long, value_name = "ROLE", value_parser = grantee)]
    pub reader: Option<String>,
    /// The role to make a writer (it can read too)
    #[arg(long, value_name = "ROLE", value_parser = grantee)]
    pub writer: Option<String>,
    /// The role that owns ctodb's tables and runs migrate, which is refused as reader or
    /// writer (it holds every privilege already)
    #[arg(long, value_name = "ROLE")]
    pub owner: Option<String>,
}

impl GrantsArgs {
    /// The reader or writer named that may not be one (the owner), as a usage error.
    pub fn refused(&self) -> Option<String> {
        [("--reader", &self.reader), ("--writer", &self.writer)].into_iter().find_map(|(option, name)| {
            let why = crate::db::privileges::refused_grantee(name.as_deref()?, self.owner.as_deref())?;
            Some(format!("{option}: {why}"))
        })
    }
}

fn grantee(name: &str) -> Result<String, String> {
    match crate::db::privileges::refused_grantee(name, None) {
        Some(why) => Err(why),
        None => Ok(name.to_string()),
    }
}

/// What a command does with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// only reads, printing nothing until its queries are done: it runs again whole
    /// after a transient failure (a lost connection, a terminated backend)
    Reads,
    /// writes rows, each write once (`db::once`): the writer role
    Writes,
    /// changes the schema or bulk-loads (drops and rebuilds indexes): the owner role
    Owns,
    /// reads everything in one snapshot and writes files; retries itself
    Copies,
    /// reads to diagnose: a failure is its finding, reported rather than retried
    Diagnoses,
    /// none: snapshot files, or a private cluster's server process
    Elsewhere,
}

impl Access {
    /// Whether the command only reads the database, so that it may read a replica.
    pub fn reads_only(self) -> bool {
        matches!(self, Access::Reads | Access::Copies)
    }

    /// The role a command that writes needs (checked before it starts).
    pub fn role(self) -> Option<crate::db::privileges::Role> {
        match self {
            Access::Writes => Some(crate::db::privileges::Role::Writer),
            Access::Owns => Some(crate::db::privileges::Role::Owner),
            _ => None,
        }
    }
}

impl Command {
    /// What the command does with the database (declared here for every command).
    pub fn access(&self) -> Access {
        match self {
            Command::Stats
            | Command::Projects(_)
            | Command::Project(ProjectArgs { action: None, .. })
            | Command::Bugs(_)
            | Command::Bug(BugCommand::Show { .. })
            | Command::Search(_)
            | Command::Report(_)
            | Command::Users => Access::Reads,
            Command::Migrate(MigrateArgs { action: Some(MigrateAction::Status), .. }) => Access::Reads,
            Command::Migrate(MigrateArgs { action: Some(MigrateAction::New { .. }), .. }) => {
                Access::Elsewhere
            }
            Command::Migrate(_) | Command::Seed(_) | Command::Quickstart => Access::Owns,
            Command::Bug(BugCommand::Update(_))
            | Command::Refresh
            | Command::Import(_)
            | Command::Project(ProjectArgs { action: Some(_), .. }) => Access::Writes,
            Command::Export(_) => Access::Copies,
            Command::Doctor => Access::Diagnoses,
            Command::Diff(_)
            | Command::Snapshots(_)
            | Command::Local(_)
            | Command::Grants(_)
            | Command::Completions { .. }
            | Command::Man(_) => Access::Elsewhere,
        }
    }

    /// Whether this call reads exported snapshots alone (`diff`, `snapshots`, a report or
    /// listing with `--snapshot`): it needs no server and no connection setting.
    pub fn reads_only_snapshots(&self) -> bool {
        match self {
            Command::Diff(_) | Command::Snapshots(_) => true,
            Command::Report(report) => report.snapshot().is_some(),
            Command::Bugs(args) => args.from.snapshot.is_some(),
            Command::Projects(args) => args.from.snapshot.is_some(),
            _ => false,
        }
    }

    /// The command's words, for messages (`import csv`, `bug update`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Migrate(MigrateArgs { action: Some(MigrateAction::Reset { .. }), .. }) => {
                "migrate reset"
            }
            Command::Migrate(_) => "migrate",
            Command::Doctor => "doctor",
            Command::Stats => "stats",
            Command::Seed(_) => "seed",
            Command::Projects(_) => "projects",
            Command::Project(ProjectArgs { action: Some(ProjectAction::Delete(_)), .. }) => "project delete",
            Command::Project(_) => "project",
            Command::Bugs(_) => "bugs",
            Command::Bug(BugCommand::Show { .. }) => "bug show",
            Command::Bug(BugCommand::Update(_)) => "bug update",
            Command::Search(_) => "search",
            Command::Report(_) => "report",
            Command::Refresh => "refresh",
            Command::Quickstart => "quickstart",
            Command::Users => "users",
            Command::Import(ImportCommand::Csv(_)) => "import csv",
            Command::Import(ImportCommand::Github(_)) => "import github",
            Command::Import(ImportCommand::Undo(_)) => "import undo",
            Command::Local(_) => "local",
            Command::Export(_) => "export",
            Command::Diff(_) => "diff",
            Command::Snapshots(_) => "snapshots",
            Command::Grants(_) => "grants",
            Command::Completions { .. } => "completions",
            Command::Man(_) => "man",
        }
    }

    /// The async runtime's workers the command runs best on: the export reads a binary
    /// COPY, which arrives as one message a row that the driver's connection task hands
    /// to the reading task; on one worker that hand-off stays on one thread (on two, a
    /// million cross-thread wake-ups cost the bugs table 5–10%). Other commands keep a
    /// worker per core (the seed generates rows while its COPY is sent).
    pub fn workers(&self) -> Option<usize> {
        match self {
            Command::Export(_) => Some(1),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Folder of the snapshots
    #[arg(long, value_name = "DIR", env = "CTODB_EXPORT_DIR", default_value = "reports")]
    pub dir: PathBuf,
    /// Snapshot ID, the folder's name after `snapshot=` [default: the ISO week of --as-of, e.g. 2026-W48]
    #[arg(long, value_parser = check_snapshot_id)]
    pub id: Option<String>,
    /// Only these tables, comma-separated (the report frames are chosen with --reports)
    /// [default: all nine]
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...",
          value_parser = clap::builder::PossibleValuesParser::new(crate::export::TABLES))]
    pub tables: Vec<String>,
    /// The computed report frames to write beside the tables: all, none, or some of
    /// them [default: all]
    #[arg(long, value_delimiter = ',', value_name = "REPORT,...|all|none",
          value_parser = clap::builder::PossibleValuesParser::new(
              ["all", "none"].into_iter().chain(report::STORED)))]
    pub reports: Vec<String>,
    /// How uuids are stored: canonical text, which every engine reads (Spark, Polars,
    /// pandas, DuckDB), or Parquet's 16-byte UUID type
    #[arg(long, value_enum, default_value_t = crate::export::UuidEncoding::Text)]
    pub uuid: crate::export::UuidEncoding,
    /// Parquet compression
    #[arg(long, value_enum, default_value_t = Codec::Zstd)]
    pub compression: Codec,
    /// Replace an existing snapshot of the same ID (once the new one is complete)
    #[arg(long, conflicts_with = "if_missing")]
    pub force: bool,
    /// Keep an existing snapshot of the same ID and exit 0 (for cron: a second run in the
    /// same week leaves the week's snapshot as it was taken)
    #[arg(long)]
    pub if_missing: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotsArgs {
    /// Folder of the snapshots
    #[arg(long, value_name = "DIR", env = "CTODB_EXPORT_DIR", default_value = "reports", global = true)]
    pub dir: PathBuf,
    /// Re-hash every file against its manifest and check each report column's type
    /// against the declared one; exit 1 on any mismatch
    #[arg(long)]
    pub verify: bool,
    #[command(subcommand)]
    pub action: Option<SnapshotsCommand>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SnapshotsCommand {
    /// Remove old snapshots, each whole: keep the N newest by as-of (and with
    /// --keep-monthly the newest of each of the last M months); never the newest
    #[command(
        after_help = "Examples:\n  ctodb snapshots prune --keep 8 --dry-run\n  ctodb snapshots prune --keep 8 --keep-monthly 12"
    )]
    Prune(PruneArgs),
    /// Rewrite the report frames of snapshots written by an earlier version to the types
    /// this version declares (each value exactly), replacing each snapshot in one step
    #[command(after_help = "Examples:\n  ctodb snapshots --verify\n  ctodb snapshots upgrade 2026-W48")]
    Upgrade(UpgradeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    /// The snapshots to upgrade [default: every one in the folder]
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    /// How many of the newest snapshots to keep (at least 1)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: u32,
    /// Also keep the newest snapshot of each of the M most recent months that have one
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub keep_monthly: u32,
    /// Say what would be removed, and remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The earlier snapshot: an ID in DIR (2026-W47) or a folder [default: the second newest]
    pub from: Option<String>,
    /// The later snapshot [default: the newest]
    pub to: Option<String>,
    /// Folder of the snapshots
    #[arg(long, value_name = "DIR", env = "CTODB_EXPORT_DIR", default_value = "reports")]
    pub dir: PathBuf,
    /// How many of the largest moves in valuation, ROI and health to list
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub top: u32,
    /// Exit 3 when a critical bug was opened or became critical (new-critical), or a bug
    /// went past its SLA (new-breach); the frames are printed either way
    #[arg(long, value_enum, value_name = "CONDITION")]
    pub fail_on: Vec<FailOn>,
    /// Also draw the largest valuation moves into FILE.svg or FILE.png
    #[arg(long, value_name = "FILE", value_parser = report::chart_path)]
    pub chart: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    NewCritical,
    NewBreach,
}

fn check_snapshot_id(id: &str) -> Result<String, String> {
    crate::export::check_id(id).map(|_| id.to_string())
}

#[derive(Debug, Clone, Args)]
#[command(mut_arg("limit", |arg| arg.help(
    "Rows per page [default: 50 in a table; in csv, json, ndjson, parquet or xlsx every project, up to 100,000]"
)))]
pub struct ProjectsArgs {
    /// Only these statuses (repeatable) [default: active]
    #[arg(long, value_enum)]
    pub status: Vec<ProjectStatus>,
    /// Every status
    #[arg(long, conflicts_with = "status")]
    pub all: bool,
    /// Order of the list
    #[arg(long, value_enum, default_value_t = ProjectSort::Roi)]
    pub sort: ProjectSort,
    /// Every stored column (id, description, tags, rates, scores, timestamps…), as
    /// `ctodb import csv --kind projects` takes them back
    #[arg(long, conflicts_with = "snapshot")]
    pub wide: bool,
    #[command(flatten)]
    pub page: Page,
    #[command(flatten)]
    pub from: FromSnapshot,
}

#[derive(Debug, Clone, Args)]
pub struct BugsArgs {
    /// Only these severities (repeatable)
    #[arg(long, value_enum)]
    pub severity: Vec<Severity>,
    /// Only these statuses (repeatable) [default: pending and in_progress]
    #[arg(long, value_enum)]
    pub status: Vec<BugStatus>,
    /// Every status
    #[arg(long, conflicts_with = "status")]
    pub all: bool,
    /// Only bugs of this project (name or id)
    #[arg(long)]
    pub project: Option<String>,
    /// Only bugs assigned to this person (e-mail)
    #[arg(long, conflicts_with = "unassigned")]
    pub assignee: Option<String>,
    /// Only bugs nobody is assigned to
    #[arg(long)]
    pub unassigned: bool,
    /// Only blockers
    #[arg(long)]
    pub blocker: bool,
    /// Only open bugs past their SLA due instant
    #[arg(long, conflicts_with = "at_risk")]
    pub breached: bool,
    /// Only open bugs past 75% of their SLA and not yet breached
    #[arg(long)]
    pub at_risk: bool,
    /// Order of the list
    #[arg(long, value_enum, default_value_t = BugSort::Priority)]
    pub sort: BugSort,
    /// Every stored column (id, description, SLA hours, reporter, labels, source,
    /// external id, timestamps…), as `ctodb import csv --kind bugs` takes them back
    #[arg(long, conflicts_with = "snapshot")]
    pub wide: bool,
    #[command(flatten)]
    pub page: Page,
    #[command(flatten)]
    pub from: FromSnapshot,
}

impl BugsArgs {
    /// The filters of `ctodb bugs`: the statuses of --status, every one with --all, the
    /// open ones without either.
    pub fn filter(&self) -> BugFilter {
        use crate::queries::bug_filter::Who;
        let statuses = if self.all {
            BugStatus::ALL.to_vec()
        } else if self.status.is_empty() {
            BugStatus::OPEN.to_vec()
        } else {
            self.status.clone()
        };
        BugFilter {
            severities: (!self.severity.is_empty()).then(|| self.severity.clone()),
            statuses,
            project: self.project.clone().map(Who::Named),
            assignee: self.assignee.clone().map(Who::Named),
            unassigned: self.unassigned,
            blocker: self.blocker,
            breached: self.breached,
            at_risk: self.at_risk,
            wide: self.wide,
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum BugCommand {
    /// One bug with its SLA state and full history
    #[command(after_help = "Examples:\n  ctodb bug show 2\n  ctodb bug show 2 -f json")]
    Show {
        /// the bug's number (`248555`, or as written elsewhere: `#248555`, `248,555`)
        #[arg(value_parser = parse_bug_number)]
        number: i64,
    },
    /// Move a bug through its workflow or change its severity, assignee or blocker flag
    #[command(
        after_help = "Examples:\n  ctodb bug update 2 --status verified --as grace@ctodb.dev\n  ctodb bug update 7 --severity critical --blocker\n  ctodb bug update 4 --assignee ada@ctodb.dev\n  ctodb bug update 9 --status in_progress --correct \"verified by mistake\""
    )]
    Update(BugUpdateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BugUpdateArgs {
    /// the bug's number (`248555`, `#248555` or `248,555`)
    #[arg(value_parser = parse_bug_number)]
    pub number: i64,
    /// New status: pending → in_progress → verified → shipped → closed; an open bug may
    /// be deferred, a deferred one goes back to pending
    #[arg(long, value_enum)]
    pub status: Option<BugStatus>,
    /// New severity
    #[arg(long, value_enum)]
    pub severity: Option<Severity>,
    /// Assign to this person (e-mail)
    #[arg(long, conflicts_with = "unassign")]
    pub assignee: Option<String>,
    /// Leave the bug unassigned
    #[arg(long)]
    pub unassign: bool,
    /// Mark it a blocker
    #[arg(long, conflicts_with = "no_blocker")]
    pub blocker: bool,
    /// Mark it not a blocker
    #[arg(long)]
    pub no_blocker: bool,
    /// Who makes the change (e-mail), recorded in the history and audit log
    #[arg(long = "as", value_name = "EMAIL", env = "CTODB_USER")]
    pub actor: Option<String>,
    /// Move to --status whatever the workflow allows, to correct a mistake (a bug set to
    /// verified by accident goes back to in_progress); REASON goes into the history
    #[arg(long, value_name = "REASON", requires = "status", value_parser = reason)]
    pub correct: Option<String>,
}

fn reason(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("say why, e.g. --correct \"verified by mistake\"".to_string()),
        reason => Ok(reason.to_string()),
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// Import a CSV file: every row or, when one is bad, none (unless --skip-invalid);
    /// rows are matched by natural key, so importing a file twice changes nothing
    #[command(
        after_help = "Examples:\n  ctodb import csv bugs.csv --kind bugs --dry-run\n  ctodb import csv bugs.csv --kind bugs --skip-invalid\n  ctodb projects --wide -f csv | ctodb import csv - --kind projects"
    )]
    Csv(ImportCsvArgs),
    /// Import repositories (as projects) and issues with a bug or severity label (as
    /// bugs) saved from GitHub's REST API with `gh api --paginate`
    #[command(
        after_help = "Examples:\n  gh api --paginate /orgs/acme/repos > repos.json\n  gh api --paginate '/repos/acme/api/issues?state=all' > api.json\n  ctodb import github --repos repos.json --issues api.json --dry-run"
    )]
    Github(ImportGithubArgs),
    /// Revert one import run: the rows it inserted deleted, the fields it changed
    /// restored; refused, naming the rows, when later changes touched them
    #[command(
        after_help = "RUN is the run's id, or its first characters, as `ctodb report imports` lists it.\n\nExamples:\n  ctodb report imports\n  ctodb import undo 3f2a9c1e"
    )]
    Undo(ImportUndoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ImportUndoArgs {
    /// The import run: its id or the first characters of it (at least 4)
    #[arg(value_name = "RUN", value_parser = run_prefix)]
    pub run: String,
    /// Who undoes it (e-mail), recorded in the bug history and the audit log
    #[arg(long = "as", value_name = "EMAIL", env = "CTODB_USER")]
    pub actor: Option<String>,
}

fn run_prefix(text: &str) -> Result<String, String> {
    let text = text.trim().to_lowercase();
    if text.len() < 4 || text.len() > 36 || !text.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(
            "give the run's id (from `ctodb report imports`) or at least its first 4 characters".into()
        );
    }
    Ok(text)
}

#[derive(Debug, Clone, Args)]
pub struct ImportCsvArgs {
    /// The CSV file, with a header row; - reads standard input
    pub file: PathBuf,
    /// What the rows are
    #[arg(long, value_enum)]
    pub kind: ImportKind,
    /// Check every row and list each row it would insert and each field it would change
    /// (line, old and new value), writing nothing; the counts go to stderr
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows and write the bad ones, with their line and reason, to
    /// FILE.rejects.csv
    #[arg(long)]
    pub skip_invalid: bool,
    /// Ignore columns that are not the kind's (instead of refusing the file)
    #[arg(long)]
    pub ignore_unknown: bool,
    /// Field delimiter: one ASCII character, or `tab`
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Who imports (e-mail), recorded in import_logs, the bug history and the audit log
    #[arg(long = "as", value_name = "EMAIL", env = "CTODB_USER")]
    pub actor: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ImportGithubArgs {
    /// Repositories: `gh api --paginate /orgs/ORG/repos > repos.json`
    #[arg(long, value_name = "FILE")]
    pub repos: PathBuf,
    /// Issues of one repository: `gh api --paginate '/repos/O/R/issues?state=all'` (repeatable)
    #[arg(long, value_name = "FILE")]
    pub issues: Vec<PathBuf>,
    /// Which labels give which severity, e.g. `critical=p0,sev0;high=p1;medium=p2;low=p3`
    /// [default: critical, P0, sev0, sev1 → critical; P1, high, sev2 → high; P2, medium →
    /// medium; P3, low → low; other bugs medium]
    #[arg(long, value_name = "MAP")]
    pub severity_labels: Option<String>,
    /// Say what would change, writing nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Who imports (e-mail), recorded in import_logs and the audit log
    #[arg(long = "as", value_name = "EMAIL", env = "CTODB_USER")]
    pub actor: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct LocalArgs {
    /// What to do with the cluster
    #[arg(value_enum)]
    pub action: LocalAction,
    /// The cluster's folder [default: $XDG_DATA_HOME/ctodb/pg or ~/.local/share/ctodb/pg;
    /// as root /var/lib/ctodb/pg]
    #[arg(long, value_name = "DIR", env = "CTODB_LOCAL")]
    pub data: Option<PathBuf>,
    /// Also listen on TCP at localhost:N (the socket in the folder takes the same number)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// destroy: really delete the folder and every database in it
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LocalAction {
    /// create the cluster when missing and start it
    Start,
    /// stop it (fast shutdown)
    Stop,
    /// version, folder, socket, size, settings and whether it runs
    Status,
    /// the URL that reaches it
    Url,
    /// stop it and delete its folder (needs --force)
    Destroy,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [byte] if byte.is_ascii() && !matches!(byte, b'"' | b'\r' | b'\n') => Ok(*byte),
            _ => Err(format!(
                "{text:?} is not one ASCII character (other than a quote or a line break), or `tab`"
            )),
        },
    }
}

#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// What to look for, e.g. "login timeout" (typos are corrected)
    #[arg(value_parser = search_text)]
    pub text: String,
    /// Only projects
    #[arg(long, conflicts_with = "bugs")]
    pub projects: bool,
    /// Only bugs
    #[arg(long)]
    pub bugs: bool,
    /// Most results per kind
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
}

/// Each report's options are its own (`report::<name>::Args`).
#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// One self-contained HTML page for the week: portfolio, what changed since the
    /// previous snapshot, top priorities, SLA breaches, bug ages, trend charts (printable, offline)
    #[command(
        after_help = "Examples:\n  ctodb report weekly --html week.html\n  ctodb report weekly --html week.html --snapshot 2026-W48"
    )]
    Weekly(report::weekly::Args),
    /// The overview: projects, money, open/critical/breached bugs, top projects and bugs
    #[command(
        after_help = "Examples:\n  ctodb report portfolio\n  ctodb report portfolio --chart valuation.svg\n  ctodb report portfolio -o portfolio.xlsx"
    )]
    Portfolio(report::portfolio::Args),
    /// Bug counts by severity x status, open/resolved, breach rate
    #[command(after_help = "Examples:\n  ctodb report bugs\n  ctodb report bugs -f json")]
    Bugs(report::statistics::Args),
    /// Breached and at-risk open bugs, compliance by severity
    #[command(after_help = "Examples:\n  ctodb report sla\n  ctodb report sla --snapshot 2026-W48")]
    Sla(report::sla::Args),
    /// Open bugs of each severity by age, the oldest of each, the share past SLA
    #[command(after_help = "Examples:\n  ctodb report aging\n  ctodb report aging -f csv")]
    Aging(report::aging::Args),
    /// A project's daily metrics
    #[command(
        after_help = "Examples:\n  ctodb report daily --project \"Atlas Payments\"\n  ctodb report daily --project \"Atlas Payments\" --days 7 -f csv"
    )]
    Daily(report::daily::Args),
    /// Monthly metrics of one project or the whole portfolio
    #[command(
        after_help = "Examples:\n  ctodb report monthly\n  ctodb report monthly --project \"Beacon Analytics\""
    )]
    Monthly(report::monthly::Args),
    /// Monthly trends: opened, resolved, resolution rate, MTTR, cost; changes, rolling means, inflow slope
    #[command(after_help = "Examples:\n  ctodb report trends\n  ctodb report trends --chart trends.png")]
    Trends(report::trends::Args),
    /// Resolution speed, SLA compliance and cost per resolved bug
    #[command(after_help = "Examples:\n  ctodb report engineering\n  ctodb report engineering --months 6")]
    Engineering(report::engineering::Args),
    /// Each person's open work
    #[command(
        after_help = "Examples:\n  ctodb report workload\n  ctodb report workload --user ada@ctodb.dev"
    )]
    Workload(report::workload::Args),
    /// What each person resolved recently
    #[command(after_help = "Examples:\n  ctodb report team\n  ctodb report team --days 7")]
    Team(report::team::Args),
    /// Last import per source; projects never or long not synced
    #[command(after_help = "Examples:\n  ctodb report sync\n  ctodb report sync --stale-days 14")]
    Sync(report::sync::Args),
    /// Import history, newest first
    #[command(after_help = "Examples:\n  ctodb report imports\n  ctodb report imports --limit 5")]
    Imports(report::imports::Args),
}

impl ReportCommand {
    /// The snapshot this call reads (`--snapshot`), if any.
    pub fn snapshot(&self) -> Option<&str> {
        let from = match self {
            ReportCommand::Weekly(args) => &args.from,
            ReportCommand::Portfolio(args) => &args.from,
            ReportCommand::Bugs(args) => &args.from,
            ReportCommand::Sla(args) => &args.from,
            ReportCommand::Aging(args) => &args.from,
            ReportCommand::Daily(args) => &args.from,
            ReportCommand::Monthly(args) => &args.from,
            ReportCommand::Trends(args) => &args.from,
            ReportCommand::Engineering(args) => &args.from,
            ReportCommand::Workload(args) => &args.from,
            ReportCommand::Team(args) => &args.from,
            ReportCommand::Sync(args) => &args.from,
            ReportCommand::Imports(args) => &args.from,
        };
        from.snapshot.as_deref()
    }
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Data set to load [default: demo, or standard when a count is given]
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Number of projects (overrides the profile)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub projects: Option<u32>,
    /// Number of bugs (overrides the profile)
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=50_000_000))]
    pub bugs: Option<u32>,
    /// Number of users (overrides the profile)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub users: Option<u32>,
    /// Days of history: bug ages and daily metrics (overrides the profile)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: Option<u32>,
    /// Seed of the generator: the same seed and counts give identical rows
    #[arg(long, default_value_t = 42)]
    pub rng_seed: u64,
    /// Add to a database that already has data instead of refusing
    #[arg(long)]
    pub append: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,

    /// Read migrations from this folder instead of those built into ctodb
    #[arg(long, value_name = "DIR", global = true)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (the default)
    #[command(after_help = "Examples:\n  ctodb migrate run\n  ctodb migrate --source ./migrations")]
    Run,
    /// List applied, pending and drifted migrations; exit 1 on drift
    #[command(after_help = "Examples:\n  ctodb migrate status")]
    Status,
    /// Create migrations/<UTC timestamp>_NAME/migration.sql
    #[command(
        after_help = "For developers of ctodb: migrations are built into the binary, so an installed ctodb\napplies only those it was built with.\n\nExamples:\n  ctodb migrate new add_bug_labels"
    )]
    New {
        /// snake_case name of the change, e.g. add_bug_labels
        name: String,
    },
    /// Drop every table and re-apply all migrations (destroys all data)
    #[command(after_help = "Examples:\n  ctodb migrate reset --force && ctodb seed")]
    Reset {
        /// Required: confirms that all data may be destroyed
        #[arg(long)]
        force: bool,
    },
}

/// Accepts RFC 3339 (`2026-11-25T09:00:00Z`), `2026-11-25 09:00:00` (UTC) or a date
/// (midnight UTC).
/// Why `--as-of` names an instant no data can be as of: later than the clock (5 minutes of
/// skew allowed) or before 2000-01-01; None when it is fine.
pub fn as_of_out_of_range(as_of: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let skew = chrono::Duration::minutes(5);
    let earliest =
        NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if as_of > now + skew {
        Some(format!(
            "--as-of {} is later than the clock ({}): there is no data of that instant yet; pass \
             --allow-future to compute ages and SLAs at it over today's data",
            stamp(as_of),
            stamp(now)
        ))
    } else if earliest.is_some_and(|earliest| as_of < earliest) {
        Some(format!(
            "--as-of {} is before 2000-01-01, earlier than any data ctodb keeps; pass --allow-future to take it anyway",
            stamp(as_of)
        ))
    } else {
        None
    }
}

/// Search words: at least one letter or digit.
fn search_text(text: &str) -> Result<String, String> {
    if text.chars().any(char::is_alphanumeric) {
        Ok(text.to_string())
    } else {
        Err("there is nothing to search for; give a word, e.g. ctodb search \"login timeout\"".to_string())
    }
}

/// A bug number as people copy it: `248555`, `#248555`, or with the separators a
/// spreadsheet or an older listing put in (`248,555`, `248 555`, `248_555`).
pub fn parse_bug_number(text: &str) -> Result<i64, String> {
    let digits: String =
        text.trim().trim_start_matches('#').chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
    match digits.parse::<i64>() {
        Ok(n) if n > 0 && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => Ok(n),
        _ => Err(format!("{text:?} is not a bug number (the number `ctodb bugs` shows, e.g. 248555)")),
    }
}

pub fn parse_as_of(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for pattern in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err("expected an RFC 3339 timestamp such as 2026-11-25T09:00:00Z, or a date such as 2026-11-25".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn bug_numbers_are_taken_as_people_copy_them() {
        for text in ["248555", "#248555", "248,555", "248 555", "248_555", " 248555 "] {
            assert_eq!(parse_bug_number(text), Ok(248555), "{text}");
        }
        for text in ["", "#", "-5", "0", "2x", "1.5", "12e3"] {
            assert!(parse_bug_number(text).is_err(), "{text}");
        }
    }

    #[test]
    fn an_as_of_later_than_the_clock_or_before_2000_is_refused() {
        let now = parse_as_of("2026-12-07T12:00:00Z").unwrap();
        let at = |text| as_of_out_of_range(parse_as_of(text).unwrap(), now);
        assert_eq!(at("2026-12-07T12:05:00Z"), None, "5 minutes of skew");
        assert_eq!(
            at("2026-12-07T12:05:01Z").as_deref(),
            Some(
                "--as-of 2026-12-07T12:05:01Z is later than the clock (2026-12-07T12:00:00Z): there is no data of \
                 that instant yet; pass --allow-future to compute ages and SLAs at it over today's data"
            )
        );
        assert_eq!(at("2000-01-01"), None);
        assert_eq!(
            at("1999-12-31T23:59:59Z").as_deref(),
            Some("--as-of 1999-12-31T23:59:59Z is before 2000-01-01, earlier than any data ctodb keeps; pass --allow-future to take it anyway")
        );
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_version_line_carries_the_formula_and_schema_versions() {
        let last = crate::db::migrate::embedded().last().map(|m| m.folder()).unwrap_or_default();
        assert!(VERSION.contains(&format!(
            "(formulas: {}, schema: {last}, commit: ",
            crate::analytics::FORMULA_VERSION
        )));
    }

    /// The environment variables named in ctodb's source (as a quoted literal), except the
    /// debug builds' fault points, the test suite's own and those build.rs sets at compile time.
    fn variables_read() -> std::collections::BTreeSet<String> {
        const NOT_FOR_USERS: &[&str] = &[
            "CTODB_CRASH_AT",
            "CTODB_PAUSE_AT",
            "CTODB_RESUME_FILE",
            "CTODB_TEST_DATABASE_URL",
            "CTODB_COMMIT",
            "CTODB_SCHEMA_VERSION",
            // a file of a cluster's data folder, not a variable
            "PG_VERSION",
        ];
        let mut names = std::collections::BTreeSet::new();
        let mut folders = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for quoted in text.split('"').skip(1).step_by(2) {
                    let is_name = quoted.len() > 2
                        && quoted.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                        && ["CTODB_", "DATABASE_", "PG", "NO_COLOR"].iter().any(|p| quoted.starts_with(p));
                    if is_name && !NOT_FOR_USERS.contains(&quoted) {
                        names.insert(quoted.to_string());
                    }
                }
            }
        }
        names
    }

    #[test]
    fn every_environment_variable_read_is_in_help_and_in_readme() {
        let names = variables_read();
        assert!(names.len() > 30, "{names:?}");
        let help = Cli::command().render_long_help().to_string();
        let readme = include_str!("../README.md");
        let table = readme.split("## Configuration").nth(1).unwrap_or_default();
        for name in &names {
            assert!(help.contains(name.as_str()), "{name} is read but `ctodb --help` does not name it");
            assert!(
                table.contains(name.as_str()),
                "{name} is read but README's configuration does not name it"
            );
        }
    }

    #[test]
    fn every_command_has_examples_in_its_help() {
        fn walk(command: &mut clap::Command, path: &str, missing: &mut Vec<String>) {
            let name = format!("{path} {}", command.get_name()).trim().to_string();
            let leaf = command.get_subcommands().next().is_none();
            if leaf && command.get_name() != "help" {
                let help = command.render_help().to_string();
                if !help.contains("Examples:\n  ctodb ") && !help.contains("Examples:\n  gh ") {
                    missing.push(name.clone());
                }
            }
            for sub in command.get_subcommands_mut().filter(|sub| sub.get_name() != "help") {
                walk(sub, &name, missing);
            }
        }
        let mut missing = Vec::new();
        let mut command = Cli::command();
        command.build();
        walk(&mut command, "", &mut missing);
        assert!(missing.is_empty(), "commands without examples: {missing:?}");
    }

    #[test]
    fn as_of_accepts_rfc3339_and_dates() {
        assert_eq!(
            parse_as_of("2026-11-25T10:00:00+01:00").unwrap().to_rfc3339(),
            "2026-11-25T09:00:00+00:00"
        );
        assert_eq!(parse_as_of("2026-11-25").unwrap().to_rfc3339(), "2026-11-25T00:00:00+00:00");
        assert!(parse_as_of("yesterday").is_err());
    }
}
