//! `ctodb projects` and `ctodb project NAME`.

use anyhow::Result;
use tokio_postgres::types::ToSql;

use super::{fetch_frame, label, page_footer, resolve_project, Context, Outcome};
use crate::cli::{ProjectStatus, ProjectsArgs};
use crate::db::{self};
use crate::output::{Report, Style};
use crate::sql;

pub async fn list(ctx: &Context, args: ProjectsArgs) -> Result<Outcome> {
    let statuses: Vec<String> = if args.all {
        [ProjectStatus::Active, ProjectStatus::Shipped, ProjectStatus::Deferred, ProjectStatus::Cancelled]
            .iter()
            .map(label)
            .collect()
    } else if args.status.is_empty() {
        vec![label(&ProjectStatus::Active)]
    } else {
        args.status.iter().map(label).collect()
    };
    let sort = label(&args.sort);
    let limit = i64::from(args.page.limit);
    let offset = i64::from(args.page.page - 1) * limit;
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let params: [&(dyn ToSql + Sync); 5] = [&statuses, &sort, &ctx.as_of, &limit, &offset];
    let frame = fetch_frame(&**client, &sql::PROJECTS_LIST, &params, "projects").await?;
    let total: i64 = db::query_one(&**client, &sql::PROJECTS_COUNT, &[&statuses]).await?.get(0);
    let mut frame = frame.when_empty("no projects match");
    frame.footer = page_footer(offset as u64, frame.rows.len(), total);
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

pub async fn show(ctx: &Context, name: &str) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let client = db.client().await?;
    let (id, name) = resolve_project(&**client, name).await?;
    let mut report = Report::default();
    let detail = fetch_frame(&**client, &sql::PROJECT_DETAIL, &[&id, &ctx.as_of], "project").await?;
    report.push(detail.titled(name.clone()).styled(Style::Record));
    let open = super::bugs::open_bugs_of(&**client, ctx, id, 50).await?;
    report.push(open.titled("Open bugs by priority").when_empty("no open bugs"));
    let today = ctx.as_of.date_naive();
    let days = 30i32;
    let metrics = fetch_frame(&**client, &sql::DAILY_METRICS, &[&id, &today, &days], "daily_metrics").await?;
    report.push(metrics.titled("Last 30 days").when_empty("no daily metrics in the last 30 days"));
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}
