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
use crate::queries::resolve_user;
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
        let actor = match &args.actor {
            Some(email) => Some(resolve_user(&tx, email).await?),
            None => None,
        };
        let assignee: Option<Uuid> = match &args.assignee {
            Some(email) => Some(resolve_user(&tx, email).await?),
            None => None,
        };
        let rows = db::query(&tx, &sql::BUG_LOCK, &[&args.number]).await?;
        let Some(row) = rows.first() else {
            bail!("no bug #{} (`ctodb bugs --all` lists them)", args.number);
        };
        let helper = sql::BUG_LOCK.name;
        let id: Uuid = db::get(row, helper, "id")?;
        let status: BugStatus = db::get(row, helper, "status")?;
        let severity: Severity = db::get(row, helper, "severity")?;
        let was_blocker: bool = db::get(row, helper, "is_blocker")?;
        let old_assignee: Option<String> = db::get(row, helper, "assignee")?;
        if let Some(next) = args.status {
            if next != status && !status.next().contains(&next) {
                let allowed: Vec<&str> = status.next().iter().map(|s| s.label()).collect();
                let allowed = match allowed.as_slice() {
                    [] => "nowhere: it is final".to_string(),
                    [one] => one.to_string(),
                    many => many.join(" or "),
                };
                bail!(
                    "bug #{} cannot go from {status} to {next}; from {status} it can go to {allowed}",
                    args.number
                );
            }
        }
        if let Some(actor) = actor {
            db::query(&tx, &sql::SET_ACTOR, &[&actor.to_string()]).await?;
        }
        let set_assignee = reassign;
        db::execute(
            &tx,
            &sql::BUG_UPDATE,
            &[&id, &args.status, &args.severity, &blocker, &set_assignee, &assignee],
        )
        .await?;
        let mut changes = serde_json::Map::new();
        if let Some(next) = args.status.filter(|next| *next != status) {
            changes.insert("status".into(), json!([status.label(), next.label()]));
        }
        if let Some(next) = args.severity.filter(|next| *next != severity) {
            changes.insert("severity".into(), json!([severity.label(), next.label()]));
        }
        if let Some(next) = blocker.filter(|next| *next != was_blocker) {
            changes.insert("is_blocker".into(), json!([was_blocker, next]));
        }
        let new_assignee = args.assignee.as_ref().map(|email| email.to_lowercase());
        if reassign && new_assignee != old_assignee {
            changes.insert("assignee".into(), json!([old_assignee, new_assignee]));
        }
        let changes = serde_json::Value::Object(changes);
        db::audit(&tx, actor, "bug update", "bug", Some(&args.number.to_string()), &changes).await?;
        run.commit(tx, &changes).await?;
        Ok(changes)
    })
    .await?;
    let summary: Vec<String> = changes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(field, change)| format!("{field} {} → {}", plain(&change[0]), plain(&change[1])))
        .collect();
    if summary.is_empty() {
        ui::info(&format!("bug #{}: nothing changed", args.number));
    } else {
        super::report_committed(&format!("bug #{}: {}", args.number, summary.join(", ")));
    }
    Ok(Outcome::Success)
}

/// A JSON value as a person reads it: strings unquoted, null as "nobody".
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "nobody".to_string(),
        other => other.to_string(),
    }
}
