//! `ctodb projects` and `ctodb project NAME`.

use anyhow::Result;
use tokio_postgres::types::ToSql;

use super::{Context, Outcome};
use crate::cli::ProjectsArgs;
use crate::db;
use crate::frame::{Column, Frame, Kind, Report, Style, Value};
use crate::model::ProjectStatus;
use crate::output::{sparkline, Format};
use crate::queries::bug_filter::Who;
use crate::queries::{fetch_frame, resolve_project, BugFilter, BugSort};
use crate::report::{daily, listings};
use crate::sql;
use crate::ui;

pub async fn list(ctx: &Context, args: ProjectsArgs) -> Result<Outcome> {
    let statuses: &[ProjectStatus] = if args.all {
        ProjectStatus::ALL
    } else if args.status.is_empty() {
        &[ProjectStatus::Active]
    } else {
        &args.status
    };
    // a machine format lists every project (a spreadsheet round trip), a table one page
    let rows = args.page.limit.unwrap_or(if ctx.output.format == Format::Table { 50 } else { 100_000 });
    let limit = i64::from(rows);
    let offset = i64::from(args.page.page - 1) * limit;
    if let Some(id) = &args.from.snapshot {
        let frame = listings::stored_project_page(
            &super::open_snapshot(ctx, id)?,
            statuses,
            args.sort,
            limit,
            offset,
        )?;
        ctx.output.emit(&Report::single(frame))?;
        return Ok(Outcome::Success);
    }
    let statuses: Vec<&str> = statuses.iter().map(|s| s.label()).collect();
    let sort = args.sort.key();
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let params: [&(dyn ToSql + Sync); 5] = [&statuses, &sort, &ctx.as_of, &limit, &offset];
    let helper = if args.wide {
        &sql::PROJECTS_WIDE
    } else if limit >= LONG_PAGE {
        &sql::PROJECTS_LIST_ALL
    } else {
        &sql::PROJECTS_LIST
    };
    let frame = fetch_frame(&client, helper, &params, "projects").await?;
    let row = db::query_one(&client, &sql::PROJECTS_COUNT, &[&statuses]).await?;
    let total: i64 = db::get(&row, sql::PROJECTS_COUNT.name, "total")?;
    // a row holds its statement, closed when the last row goes: inside the transaction
    drop(row);
    let mut frame = frame.when_empty("no projects match");
    if ctx.output.sparklines() && !args.wide {
        add_sparklines(&client, &mut frame, &ctx.as_of).await?;
    }
    db::end_read(client).await?;
    frame.paged(offset, total);
    if args.status.is_empty() && !args.all {
        ui::info("active projects only: --all lists every status, --status S one of them");
    }
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// From this many rows a page counts open bugs in one pass over them rather than probing
/// each project's (measured at xl: the probes cost 8.5 µs a project, the pass 12 ms).
const LONG_PAGE: i64 = 1000;

/// A last column on a terminal: bugs opened in each of the last 12 months.
async fn add_sparklines(
    client: &tokio_postgres::Transaction<'_>,
    frame: &mut Frame,
    as_of: &chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let Some(name_at) = frame.column_index("name") else { return Ok(()) };
    let names: Vec<String> = frame
        .rows
        .iter()
        .filter_map(|row| match &row[name_at] {
            Value::Text(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let rows = db::query(client, &sql::PROJECTS_OPENED_BY_MONTH, &[&names, as_of]).await?;
    let helper = sql::PROJECTS_OPENED_BY_MONTH.name;
    let mut lines = std::collections::HashMap::new();
    for row in &rows {
        let opened: Vec<i64> = db::get(row, helper, "opened")?;
        let values: Vec<f64> = opened.iter().map(|n| *n as f64).collect();
        lines.insert(db::get::<String>(row, helper, "name")?, sparkline(&values));
    }
    frame.columns.push(Column::new("opened_12m", Kind::Text));
    for row in &mut frame.rows {
        let line = match &row[name_at] {
            Value::Text(name) => lines.get(name).cloned(),
            _ => None,
        };
        row.push(line.map_or(Value::Null, Value::Text));
    }
    Ok(())
}

pub async fn show(ctx: &Context, name: &str) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let (id, name) = resolve_project(&client, name).await?;
    let mut report = Report::default();
    let detail = fetch_frame(&client, &sql::PROJECT_DETAIL, &[&id, &ctx.as_of], "project").await?;
    report.push(detail.titled(name.clone()).styled(Style::Record));
    let open_bugs = BugFilter { project: Some(Who::Known(id)), ..BugFilter::open() };
    let open = open_bugs.page(&client, ctx.as_of, BugSort::Priority, 50, 0).await?;
    report.push(open.titled("Open bugs by priority").when_empty("no open bugs"));
    let metrics = daily::metrics(&client, id, ctx.as_of, 30).await?;
    db::end_read(client).await?;
    report.push(metrics.titled("Last 30 days").when_empty("no daily metrics in the last 30 days"));
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}

/// `ctodb project delete NAME [--with-bugs]`: the project, its metrics and, when asked,
/// its bugs, in one transaction with an audit_log row; refused while it has bugs unless
/// `--with-bugs`, naming how many.
pub async fn delete(ctx: &Context, args: &crate::cli::ProjectDeleteArgs) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let run = db::Run::new("project delete");
    let (name, deleted) = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        let actor = crate::queries::resolve_actor(&tx, args.actor.as_deref()).await?;
        let (id, name) = resolve_project(&tx, &args.name).await?;
        db::query_one(&tx, &sql::PROJECT_LOCK_FOR_DELETE, &[&id]).await?;
        let row = db::query_one(&tx, &sql::PROJECT_DELETE, &[&id, &args.with_bugs]).await?;
        let helper = sql::PROJECT_DELETE.name;
        let count = |column| db::get::<i64>(&row, helper, column);
        let (bugs, daily, monthly, projects) =
            (count("bugs")?, count("daily_rows")?, count("monthly_rows")?, count("projects")?);
        if projects == 0 {
            anyhow::bail!(
                "project {name:?} has {bugs} bug{}; `ctodb project delete {:?} --with-bugs` deletes them and their \
                 history with it (`ctodb bugs --project {:?} --all` lists them)",
                if bugs == 1 { "" } else { "s" },
                args.name,
                args.name
            );
        }
        let changes = serde_json::json!({ "name": name, "bugs": bugs, "daily_rows": daily, "monthly_rows": monthly });
        db::audit(&tx, actor, "project delete", "project", Some(&id.to_string()), &changes).await?;
        run.commit(tx, &changes).await?;
        Ok((name, changes))
    })
    .await?;
    super::report_committed(&format!(
        "deleted project {name:?}: {} bugs, {} daily and {} monthly metric rows with it",
        deleted["bugs"], deleted["daily_rows"], deleted["monthly_rows"]
    ));
    Ok(Outcome::Success)
}
