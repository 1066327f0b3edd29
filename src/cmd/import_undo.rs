//! `ctodb import undo RUN`: reverts one import run from its journal (ctodb.import_changes,
//! written by the import's own transaction): the rows it inserted deleted, the fields it
//! changed restored, in one transaction with an audit_log row. Refused, naming the rows,
//! when a later change touched any of them: an undo never reverts a person's work.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Context, Outcome};
use crate::cli::ImportUndoArgs;
use crate::db;
use crate::frame::{Column, Frame, Kind, Report, Value};
use crate::sql;

/// At most this many touched rows are named in the refusal.
const NAMED: usize = 10;

pub async fn run(ctx: &Context, args: ImportUndoArgs) -> Result<Outcome> {
    let db = ctx.connect().await?;
    let run = db::Run::new("import undo");
    // the outcome is what the audit row holds, so that a run whose COMMIT went unanswered
    // reports the same from the run record (`db::once`)
    let changes = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        let actor = crate::queries::resolve_actor(&tx, args.actor.as_deref()).await?;
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        let (id, target) = find(&tx, &args.run).await?;
        db::query_one(&tx, &sql::IMPORT_UNDO_LOCK, &[&id]).await?;
        refuse_touched(&tx, id).await?;
        let helper = sql::IMPORT_UNDO_APPLY.name;
        let mut tables = Vec::new();
        for row in db::query(&tx, &sql::IMPORT_UNDO_APPLY, &[&id]).await? {
            let table: String = db::get(&row, helper, "table_name")?;
            let deleted: i64 = db::get(&row, helper, "deleted")?;
            let restored: i64 = db::get(&row, helper, "restored")?;
            tables.push(serde_json::json!({"table": table, "deleted": deleted, "restored": restored}));
        }
        db::query_one(&tx, &sql::IMPORT_UNDO_RECORD, &[&id, &actor]).await?;
        let changes = serde_json::json!({ "run": id.to_string(), "target": target, "tables": tables });
        db::audit(&tx, actor, "import undo", "import", Some(&id.to_string()), &changes).await?;
        run.commit(tx, &changes).await?;
        Ok(changes)
    })
    .await?;
    let mut frame = Frame::new(
        "undone",
        vec![
            Column::new("table", Kind::Text),
            Column::new("deleted", Kind::Int),
            Column::new("restored", Kind::Int),
        ],
    );
    let (mut deleted, mut restored) = (0, 0);
    for table in changes["tables"].as_array().into_iter().flatten() {
        let count = |key: &str| table[key].as_i64().unwrap_or_default();
        deleted += count("deleted");
        restored += count("restored");
        let name = table["table"].as_str().unwrap_or_default().to_string();
        frame.push(vec![Value::Text(name), Value::Int(count("deleted")), Value::Int(count("restored"))]);
    }
    super::report_committed(&format!(
        "undid import run {} ({}): {deleted} rows deleted, {restored} rows restored",
        changes["run"].as_str().unwrap_or_default(),
        changes["target"].as_str().unwrap_or_default()
    ));
    ctx.output.emit(&Report::single(frame))?;
    Ok(Outcome::Success)
}

/// The run the user means, refused when it is ambiguous, unknown, not applied, already
/// undone or older than the journal.
async fn find(tx: &tokio_postgres::Transaction<'_>, typed: &str) -> Result<(Uuid, String)> {
    let helper = sql::IMPORT_UNDO_FIND.name;
    let rows = db::query(tx, &sql::IMPORT_UNDO_FIND, &[&typed]).await?;
    let row = match rows.as_slice() {
        [] => bail!("no import run {typed} (`ctodb report imports` lists them with their ids)"),
        [_, _, ..] => bail!(
            "more than one import run begins with {typed}; give more of its id (`ctodb report imports` lists them)"
        ),
        [row] => row,
    };
    let id: Uuid = db::get(row, helper, "id")?;
    let target: String = db::get(row, helper, "target")?;
    let status: String = db::get(row, helper, "status")?;
    if let Some(when) = db::get::<Option<DateTime<Utc>>>(row, helper, "undone_at")? {
        bail!("import run {id} ({target}) was undone already, at {}", when.format("%Y-%m-%d %H:%M:%S UTC"));
    }
    if !matches!(status.as_str(), "succeeded" | "partial") {
        bail!("import run {id} ({target}) is {status}: it wrote nothing, so there is nothing to undo");
    }
    if !db::get::<bool>(row, helper, "journalled")? {
        bail!(
            "import run {id} ({target}) changed no row, or ran before ctodb kept what each import changes \
             (migration 20261207150000_import_undo): there is nothing it can undo"
        );
    }
    Ok((id, target))
}

/// Refuses the undo when later changes touched rows of the run, naming them.
async fn refuse_touched(tx: &tokio_postgres::Transaction<'_>, id: Uuid) -> Result<()> {
    let helper = sql::IMPORT_UNDO_CONFLICTS.name;
    let rows = db::query(tx, &sql::IMPORT_UNDO_CONFLICTS, &[&id]).await?;
    if rows.is_empty() {
        return Ok(());
    }
    // one entry a row, its reasons together (the rows come ordered by table and label)
    let mut touched: Vec<(String, Vec<String>)> = Vec::new();
    for row in &rows {
        let table: String = db::get(row, helper, "table_name")?;
        let label: String = db::get(row, helper, "label")?;
        let reason: String = db::get(row, helper, "reason")?;
        let name = format!("{table} {label}");
        match touched.last_mut() {
            Some((last, reasons)) if *last == name => reasons.push(reason),
            _ => touched.push((name, vec![reason])),
        }
    }
    let named: Vec<String> = touched
        .iter()
        .take(NAMED)
        .map(|(name, reasons)| format!("{name} ({})", reasons.join("; ")))
        .collect();
    let more = match touched.len().saturating_sub(NAMED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    bail!(
        "import run {id} cannot be undone: later changes touched {} of its rows: {}{more}; an undo would revert \
         them, so change those rows back (or by hand) first",
        touched.len(),
        named.join(", ")
    )
}
