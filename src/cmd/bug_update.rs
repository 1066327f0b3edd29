//! `ctodb bug update N`: a bug moves through its workflow (SPEC §9), or changes severity,
//! assignee or blocker flag, in one transaction: the row locked, the transition checked,
//! the change written (bug_history rows by the trigger, attributed to the actor) and an
//! audit_log row.

use anyhow::{bail, Result};
use serde_json::json;
use uuid::Uuid;

use super::{Context, Outcome};
use crate::cli::BugUpdateArgs;
use crate::db;
use crate::model::{BugStatus, Severity};
use crate::queries::resolve_actor;
use crate::sql;
use crate::ui;

pub async fn run(ctx: &Context, args: BugUpdateArgs) -> Result<Outcome> {
    let blocker = match (args.blocker, args.no_blocker) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let reassign = args.assignee.is_some() || args.unassign;
    if args.status.is_none() && args.severity.is_none() && blocker.is_none() && !reassign {
        bail!("nothing to change: give --status, --severity, --assignee or --unassign, --blocker or --no-blocker");
    }
    let db = ctx.connect().await?;
    let run = db::Run::new("bug update");
    let changes = db::once(&db, &run, || async {
        let mut pooled = db.client().await?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = run.begin(client).await?;
        let actor = resolve_actor(&tx, args.actor.as_deref()).await?;
        let assignee: Option<Uuid> = resolve_actor(&tx, args.assignee.as_deref()).await?;
        let before = Before::locked(&tx, args.number).await?;
        match (args.status, &args.correct) {
            (Some(next), None) => allowed(args.number, before.status, next)?,
            // a correction may go anywhere; the history says it was one, and why
            (Some(_), Some(reason)) => {
                db::query(&tx, &sql::SET_VIA, &[&format!("bug update --correct: {reason}")]).await?;
            }
            (None, _) => {}
        }
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        let set_assignee = reassign;
        db::execute(
            &tx,
            &sql::BUG_UPDATE,
            &[&before.id, &args.status, &args.severity, &blocker, &set_assignee, &assignee],
        )
        .await?;
        let mut changes = before.changes(&args, blocker);
        if let (Some(reason), Some(map)) = (&args.correct, changes.as_object_mut()) {
            map.insert("correction".into(), json!(reason));
        }
        db::audit(&tx, actor, "bug update", "bug", Some(&args.number.to_string()), &changes).await?;
        run.commit(tx, &changes).await?;
        Ok(changes)
    })
    .await?;
    let summary: Vec<String> = changes
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(field, _)| *field != "correction")
        .map(|(field, change)| format!("{field} {} → {}", plain(&change[0]), plain(&change[1])))
        .collect();
    let correction =
        args.correct.as_ref().map(|reason| format!(" (a correction: {reason})")).unwrap_or_default();
    if summary.is_empty() {
        ui::info(&format!("bug #{}: nothing changed", args.number));
    } else {
        super::report_committed(&format!("bug #{}: {}{correction}", args.number, summary.join(", ")));
    }
    Ok(Outcome::Success)
}

/// The bug as it was, locked for the update.
struct Before {
    id: Uuid,
    status: BugStatus,
    severity: Severity,
    blocker: bool,
    assignee: Option<String>,
}

impl Before {
    async fn locked(tx: &tokio_postgres::Transaction<'_>, number: i64) -> Result<Before> {
        let rows = db::query(tx, &sql::BUG_LOCK, &[&number]).await?;
        let Some(row) = rows.first() else {
            bail!("no bug #{number} (`ctodb bugs --all` lists them)");
        };
        let helper = sql::BUG_LOCK.name;
        Ok(Before {
            id: db::get(row, helper, "id")?,
            status: db::get(row, helper, "status")?,
            severity: db::get(row, helper, "severity")?,
            blocker: db::get(row, helper, "is_blocker")?,
            assignee: db::get(row, helper, "assignee")?,
        })
    }

    /// What the update changes, field by field as [before, after], for the audit log
    /// and the summary line.
    fn changes(&self, args: &BugUpdateArgs, blocker: Option<bool>) -> serde_json::Value {
        let mut changes = serde_json::Map::new();
        if let Some(next) = args.status.filter(|next| *next != self.status) {
            changes.insert("status".into(), json!([self.status.label(), next.label()]));
        }
        if let Some(next) = args.severity.filter(|next| *next != self.severity) {
            changes.insert("severity".into(), json!([self.severity.label(), next.label()]));
        }
        if let Some(next) = blocker.filter(|next| *next != self.blocker) {
            changes.insert("is_blocker".into(), json!([self.blocker, next]));
        }
        let new_assignee = args.assignee.as_ref().map(|email| email.to_lowercase());
        if (args.assignee.is_some() || args.unassign) && new_assignee != self.assignee {
            changes.insert("assignee".into(), json!([self.assignee, new_assignee]));
        }
        serde_json::Value::Object(changes)
    }
}

/// Refuses a move the workflow does not allow, naming those it does.
fn allowed(number: i64, status: BugStatus, next: BugStatus) -> Result<()> {
    if next == status || status.next().contains(&next) {
        return Ok(());
    }
    let allowed: Vec<&str> = status.next().iter().map(|s| s.label()).collect();
    let allowed = match allowed.as_slice() {
        [] => "nowhere: it is final".to_string(),
        [one] => one.to_string(),
        many => many.join(" or "),
    };
    bail!(
        "bug #{number} cannot go from {status} to {next}; from {status} it can go to {allowed} (to correct a \
         mistake, add --correct \"why\")"
    )
}

/// A JSON value as a person reads it: strings unquoted, null as "nobody".
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "nobody".to_string(),
        other => other.to_string(),
    }
}
