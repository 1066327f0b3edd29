//! `ctodb users`: every user with every stored field, so that people can be edited in a
//! spreadsheet and imported back.

use anyhow::Result;

use super::{Context, Outcome};
use crate::frame::Report;
use crate::queries::fetch_frame;
use crate::sql;

pub async fn run(ctx: &Context) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let mut pooled = db.client().await?;
    let client = db.read_only(&mut pooled).await?;
    let frame = fetch_frame(&client, &sql::USERS_LIST, &[], "users").await?.when_empty("no users yet");
    crate::db::end_read(client).await?;
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}
