//! `ctodb stats`: rows and size per table, and index usage.

use anyhow::Result;

use super::{Context, Outcome};
use crate::db;
use crate::frame::Report;
use crate::sql;

pub async fn run(ctx: &Context) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let mut report = Report::default();
    for (helper, name, title) in
        [(&sql::TABLE_STATS, "tables", "Tables"), (&sql::INDEX_USAGE, "indexes", "Index usage")]
    {
        let (statement, rows) = db::query_with_columns(&client, helper, &[]).await?;
        report.push(
            crate::queries::rows::frame_from_rows(name, helper.name, statement.columns(), rows)?
                .titled(title),
        );
    }
    db::end_read(client).await?;
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}
