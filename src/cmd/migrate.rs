//! `ctodb migrate [run|status|new|reset]`.

use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde_json::json;
use tokio_postgres::error::SqlState;

use super::{Context, Outcome};
use crate::cli::{MigrateAction, MigrateArgs};
use crate::db::migrate::{self, Migration, State};
use crate::db::{self, Db, DbError};
use crate::frame::{Column, Frame, Kind, Report, Value};
use crate::sql;

pub async fn run(ctx: &Context, args: MigrateArgs) -> Result<Outcome> {
    let source = args.source.as_deref();
    match args.action.unwrap_or(MigrateAction::Run) {
        MigrateAction::Run => apply(ctx, source).await,
        MigrateAction::Status => status(ctx, source).await,
        MigrateAction::New { name } => new(ctx, source, &name),
        MigrateAction::Reset { force } => reset(ctx, source, force).await,
    }
}

fn load(source: Option<&Path>) -> Result<Vec<Migration>> {
    match source {
        Some(dir) => migrate::from_dir(dir),
        None => Ok(migrate::embedded()),
    }
}

/// Creates the database when missing and applies the pending migrations of `source`
/// (default: those built in), saying what it applied.
pub async fn apply(ctx: &Context, source: Option<&Path>) -> Result<Outcome> {
    ctx.require_direct_connection("migrate")?;
    let migrations = load(source)?;
    let db = connect_creating(ctx).await?;
    let applied = run_migrations(&db, &migrations, "migrate", source).await?;
    let database = ctx.target.database();
    if applied.is_empty() {
        crate::ui::info(&format!(
            "database {database} is up to date ({}); nothing to do",
            count(migrations.len(), "migration applied", "migrations applied")
        ));
    } else {
        for m in &applied {
            crate::ui::info(&format!("applied {}", m.folder()));
        }
        crate::ui::info(&format!(
            "database {database} migrated: {} applied, {} in all",
            applied.len(),
            migrations.len()
        ));
    }
    Ok(Outcome::Success)
}

/// Runs the migrations on one dedicated connection and leaves the audit_log row.
async fn run_migrations(
    db: &Db,
    migrations: &[Migration],
    action: &str,
    source: Option<&Path>,
) -> Result<Vec<Migration>> {
    // A lost connection or a deadlock retries the whole run: applied migrations are
    // recorded in their own transactions, so a retry picks up where the failure was.
    let applied = db::with_retry("migrate", || async {
        let mut client = db.client().await?;
        migrate::run(&mut client, migrations).await
    })
    .await?;
    let client = db.client().await?;
    let changes = json!({
        "applied": applied.iter().map(Migration::folder).collect::<Vec<_>>(),
        "source": source.map_or_else(|| "embedded".to_string(), |dir| dir.display().to_string()),
    });
    let latest = migrations.last().map(|m| m.version.to_string());
    db::audit(&**client, None, action, "schema", latest.as_deref(), &changes).await?;
    Ok(applied)
}

/// Connects to the target, creating its database first when the server says it is
/// missing (through the `postgres` maintenance database).
async fn connect_creating(ctx: &Context) -> Result<Db> {
    let db = match Db::connect(&ctx.target, &ctx.pool).await {
        Err(DbError::MissingDatabase { .. }) => {
            create_database(ctx).await?;
            Db::connect(&ctx.target, &ctx.pool).await?
        }
        other => other?,
    };
    ctx.refuse_transaction_pooler(&db)?;
    Ok(db)
}

async fn create_database(ctx: &Context) -> Result<()> {
    let database = ctx.target.database().to_string();
    let maintenance = ctx.target.with_database("postgres");
    let admin = Db::connect(&maintenance, &ctx.pool)
        .await
        .context("while connecting to the maintenance database `postgres` to create the database")?;
    ctx.refuse_transaction_pooler(&admin)?;
    let client = admin.client().await?;
    let statement = db::query_one(&**client, &sql::CREATE_DATABASE_STATEMENT, &[&database]).await?;
    let statement: String = db::get(&statement, sql::CREATE_DATABASE_STATEMENT.name, "statement")?;
    match client.batch_execute(&statement).await {
        Ok(()) => {
            crate::ui::info(&format!("created database {database}"));
            Ok(())
        }
        // another `ctodb migrate` created it a moment ago
        Err(err)
            if err.code() == Some(&SqlState::DUPLICATE_DATABASE)
                || err.code() == Some(&SqlState::UNIQUE_VIOLATION) =>
        {
            Ok(())
        }
        Err(err) => Err(DbError::query("migrate/create database", err))
            .with_context(|| format!("could not create database {database}; create it yourself or connect as a user allowed to (CREATEDB)")),
    }
}

async fn status(ctx: &Context, source: Option<&Path>) -> Result<Outcome> {
    let migrations = load(source)?;
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let statuses = migrate::status(&client, &migrations).await?;
    crate::db::end_read(client).await?;
    let mut frame = Frame::new(
        "migrations",
        vec![
            Column::new("version", Kind::Id),
            Column::new("name", Kind::Text),
            Column::new("state", Kind::Text),
            Column::new("applied_at", Kind::Timestamp),
        ],
    )
    .when_empty("no migrations");
    for s in &statuses {
        let state = match s.state {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Drifted => "drifted",
            State::Unknown => "unknown",
        };
        frame.push(vec![
            Value::Int(s.version),
            Value::Text(s.name.clone()),
            Value::Text(state.into()),
            s.applied_at.map_or(Value::Null, Value::Timestamp),
        ]);
    }
    ctx.output.emit(&Report::single(frame))?;
    match migrate::refuse_drift(&statuses) {
        Ok(()) => Ok(Outcome::Success),
        Err(err) => {
            crate::ui::warn(&format!("{err:#}"));
            Ok(Outcome::ChecksFailed)
        }
    }
}

fn new(ctx: &Context, source: Option<&Path>, name: &str) -> Result<Outcome> {
    let valid =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!("migration name {name:?} must be snake_case: lower-case letters, digits and _");
    }
    let dir = source.unwrap_or(Path::new("migrations"));
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let folder = dir.join(format!("{stamp}_{name}"));
    std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let file = folder.join("migration.sql");
    std::fs::write(&file, format!("-- {name}\n"))
        .with_context(|| format!("cannot write {}", file.display()))?;
    // the new file's path is the result (`$EDITOR "$(ctodb migrate new add_x)"`)
    ctx.output.emit_line(&file.display().to_string())?;
    Ok(Outcome::Success)
}

async fn reset(ctx: &Context, source: Option<&Path>, force: bool) -> Result<Outcome> {
    if !force {
        bail!(
            "migrate reset drops every table of database {} and all its data; run `ctodb migrate reset --force` if you mean it",
            ctx.target.database()
        );
    }
    ctx.require_direct_connection("migrate reset")?;
    let migrations = load(source)?;
    let db = connect_creating(ctx).await?;
    {
        let mut client = db.client().await?;
        migrate::drop_everything(&mut client).await?;
    }
    let applied = run_migrations(&db, &migrations, "reset", source).await?;
    crate::ui::info(&format!(
        "database {} reset: everything dropped, {}",
        ctx.target.database(),
        count(applied.len(), "migration applied", "migrations applied")
    ));
    Ok(Outcome::Success)
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
