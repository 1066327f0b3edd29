//! `ctodb report …`: each report is a unit of `report`; this file chooses where it reads
//! from (a snapshot given with --snapshot, else the database in one read-only
//! transaction) and hands the result to the output layer.

use anyhow::Result;

use super::{Context, Outcome};
use crate::cli::ReportCommand;
use crate::report::{self, aging, daily, engineering, imports, monthly, portfolio, sla, statistics};
use crate::report::{sync, team, trends, workload, At, Unit};
use crate::{db, ui};

pub async fn run(ctx: &Context, command: ReportCommand) -> Result<Outcome> {
    match command {
        ReportCommand::Weekly(args) => weekly(ctx, args).await,
        ReportCommand::Portfolio(args) => emit::<portfolio::Portfolio>(ctx, args).await,
        ReportCommand::Bugs(args) => emit::<statistics::Statistics>(ctx, args).await,
        ReportCommand::Sla(args) => emit::<sla::Sla>(ctx, args).await,
        ReportCommand::Aging(args) => emit::<aging::Aging>(ctx, args).await,
        ReportCommand::Daily(args) => emit::<daily::Daily>(ctx, args).await,
        ReportCommand::Monthly(args) => emit::<monthly::Monthly>(ctx, args).await,
        ReportCommand::Trends(args) => emit::<trends::Trends>(ctx, args).await,
        ReportCommand::Engineering(args) => emit::<engineering::Engineering>(ctx, args).await,
        ReportCommand::Workload(args) => emit::<workload::Workload>(ctx, args).await,
        ReportCommand::Team(args) => emit::<team::Team>(ctx, args).await,
        ReportCommand::Sync(args) => emit::<sync::Syncs>(ctx, args).await,
        ReportCommand::Imports(args) => emit::<imports::Imports>(ctx, args).await,
    }
}

/// A report from the snapshot --snapshot names, else from the database; printed.
pub async fn emit<U: Unit>(ctx: &Context, args: U::Args) -> Result<Outcome> {
    let at = At { as_of: ctx.as_of, sparklines: ctx.output.sparklines() };
    let report = match U::snapshot(&args) {
        Some(id) => {
            let snapshot = super::open_snapshot(ctx, id)?;
            U::from_snapshot(&args, &snapshot, &At { as_of: snapshot.as_of, ..at })?
        }
        None => {
            let db = ctx.connect().await?;
            let mut pooled = db.client().await?;
            let tx = db.read_only(&mut pooled).await?;
            let report = U::live(&args, &tx, &at).await?;
            db::end_read(tx).await?;
            report
        }
    };
    ctx.output.emit(&report)?;
    Ok(Outcome::Success)
}

/// `report weekly`: the page, written to its file all at once.
async fn weekly(ctx: &Context, args: report::weekly::Args) -> Result<Outcome> {
    let dir = super::export_dir();
    let text = match &args.from.snapshot {
        Some(id) => report::weekly::from_snapshot(&super::open_snapshot(ctx, id)?, &dir)?,
        None => {
            let db = ctx.connect().await?;
            let mut pooled = db.client().await?;
            let tx = db.read_only(&mut pooled).await?;
            let text = report::weekly::live(&tx, ctx.as_of, &dir).await?;
            db::end_read(tx).await?;
            text
        }
    };
    crate::output::write_atomically(&args.html, |out| out.write_all(text.as_bytes()))?;
    ui::info(&format!("wrote {}", args.html.display()));
    Ok(Outcome::Success)
}
