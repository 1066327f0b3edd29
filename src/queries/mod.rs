//! Query objects shared by commands: each runs hand-written SQL (`sql`) with named,
//! typed parameters and returns frames or typed inputs for the analytics. Commands
//! gather options and call these; no command reaches into another command's file.

pub mod bug_filter;
pub mod import_runs;
pub mod inputs;
pub mod rows;
pub mod search;

use anyhow::Result;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::db;
use crate::frame::Frame;
use crate::sql::{self, Helper};

pub use bug_filter::{BugFilter, BugSort};

/// Runs a helper and turns its rows into a frame named `name`, each row read as it
/// arrives: a large result (the export's 435,000 open bugs at ten million) is never held
/// as the driver's rows and as values at once.
pub async fn fetch_frame(
    client: &impl GenericClient,
    helper: &Helper,
    params: &[&(dyn ToSql + Sync)],
    name: &str,
) -> Result<Frame> {
    use futures_util::TryStreamExt;
    let started = std::time::Instant::now();
    let failed = |err| db::DbError::query(helper.name, err);
    let statement = client.prepare(&helper.sql).await.map_err(failed)?;
    let stream = client.query_raw(&statement, params.iter().copied()).await.map_err(failed)?;
    futures_util::pin_mut!(stream);
    let mut frame = rows::empty_frame(name, statement.columns());
    while let Some(row) = stream.try_next().await.map_err(failed)? {
        let values = rows::read_row(&frame.columns, helper.name, &row)?;
        frame.rows.push(values);
    }
    crate::ui::query_timing(helper.name, started.elapsed());
    Ok(frame)
}

/// The order of `ctodb projects`, as projects/list.sql takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProjectSort {
    /// best ROI score first
    Roi,
    /// largest ARR first
    Arr,
    /// highest DCF valuation first
    Valuation,
    /// least healthy first
    Health,
    /// by name
    Name,
}

impl ProjectSort {
    /// The sort key bound to projects/list.sql's $2.
    pub const fn key(self) -> &'static str {
        match self {
            ProjectSort::Roi => "roi",
            ProjectSort::Arr => "arr",
            ProjectSort::Valuation => "valuation",
            ProjectSort::Health => "health",
            ProjectSort::Name => "name",
        }
    }
}

/// The project a user means by NAME-or-ID, or an error naming the closest one.
pub async fn resolve_project(client: &impl GenericClient, typed: &str) -> Result<(Uuid, String)> {
    let id = Uuid::parse_str(typed).ok();
    let rows = db::query(client, &sql::PROJECT_FIND, &[&typed, &id]).await?;
    if let Some(row) = rows.first() {
        return Ok((
            db::get(row, sql::PROJECT_FIND.name, "id")?,
            db::get(row, sql::PROJECT_FIND.name, "name")?,
        ));
    }
    let closest = db::query(client, &sql::PROJECT_CLOSEST, &[&typed]).await?;
    match closest.first() {
        Some(row) => {
            let name: String = db::get(row, sql::PROJECT_CLOSEST.name, "name")?;
            anyhow::bail!(
                "no project named {typed:?}; did you mean {name:?}? (`ctodb projects --all` lists them)"
            )
        }
        None => {
            anyhow::bail!("no project named {typed:?}: the database has no projects yet (try `ctodb seed`)")
        }
    }
}

/// The person `--as` names (None when none is named), or an error saying there is none.
pub async fn resolve_actor(client: &impl GenericClient, email: Option<&str>) -> Result<Option<Uuid>> {
    match email {
        Some(email) => Ok(Some(resolve_user(client, email).await?)),
        None => Ok(None),
    }
}

/// The user with this e-mail, or an error saying there is none.
pub async fn resolve_user(client: &impl GenericClient, email: &str) -> Result<Uuid> {
    let rows = db::query(client, &sql::FIND_USER, &[&email]).await?;
    match rows.first() {
        Some(row) => Ok(db::get(row, sql::FIND_USER.name, "id")?),
        None => anyhow::bail!("no user with e-mail {email:?} (`ctodb report workload` lists active users)"),
    }
}
