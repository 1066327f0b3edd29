//! The database half of an import: rows arrive by binary COPY in a temporary table, are
//! matched to existing rows by natural key, checked against the table (duplicates in the
//! file, values another row holds, new rows missing what they need), and merged with one
//! statement that reports how many rows it inserted and updated.
//!
//! The statements are composed from `fields`' column names (a fixed set, chosen by
//! which of them a file carries); no value of a file ever becomes SQL text.

use indicatif::ProgressBar;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use super::fields::{sql_type, ImportKind};
use super::Problem;
use crate::db::copy::CopyIn;
use crate::db::{self, DbError};
use crate::sql::Helper;

/// The staging table's name; it lives until the transaction ends.
const STAGING: &str = "import_rows";

/// Which columns an import sets, and how its rows find the rows they update.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: ImportKind,
    /// natural keys, tried in order; a row takes the first that finds a row
    pub keys: Vec<&'static [&'static str]>,
    /// columns an update writes (and compares, to tell updated from unchanged)
    pub update: Vec<&'static str>,
    /// columns an insert writes; the others take their defaults
    pub insert: Vec<&'static str>,
}

impl Plan {
    fn staged(&self, column: &str) -> bool {
        self.insert.contains(&column) || self.update.contains(&column)
    }
}

/// A statement composed for this run, logged under `name`.
fn composed(name: &'static str, sql: String) -> Helper {
    Helper { name, sql: std::borrow::Cow::Owned(sql) }
}

/// Whether two values of a column are one: GitHub's logins and `owner/name` whatever their
/// case (the unique indexes on lower() say the same), other columns exactly.
fn same(column: &str, left: &str, right: &str) -> String {
    if matches!(column, "github_repo" | "github_login") {
        format!("lower({left}.{column}) = lower({right}.{column})")
    } else {
        format!("{left}.{column} = {right}.{column}")
    }
}

/// A column as it identifies a row (see `same`).
fn identity(column: &str) -> String {
    if matches!(column, "github_repo" | "github_login") {
        format!("lower({column})")
    } else {
        column.to_string()
    }
}

/// The staging column holding, for each row, the precision its file wrote instants at
/// (microseconds: 1,000,000 for whole seconds; NULL: exact). An instant that equals the
/// stored one at that precision is the stored one: a spreadsheet's re-save of an unedited
/// file changes nothing.
const INSTANT_UNIT: &str = "instant_unit_us";

/// Every column of the staging table, in COPY order: the line, the kind's fields, then
/// the precision of the row's instants.
pub fn staging_columns(kind: ImportKind) -> Vec<&'static str> {
    std::iter::once("line")
        .chain(kind.fields().iter().map(|field| field.name))
        .chain([INSTANT_UNIT])
        .collect()
}

fn is_instant(kind: ImportKind, column: &str) -> bool {
    kind.fields().iter().any(|f| f.name == column && matches!(f.ty, super::fields::FieldType::Timestamp))
}

/// Whether a matched row's stored value of `column` is the staged one: exactly, or for
/// an instant, within the precision the file wrote it at.
fn unchanged(kind: ImportKind, column: &str) -> String {
    if is_instant(kind, column) {
        format!(
            "(t.{column} IS NOT DISTINCT FROM s.{column} OR (s.{INSTANT_UNIT} IS NOT NULL \
             AND abs(extract(epoch FROM t.{column} - s.{column})) * 1000000 < s.{INSTANT_UNIT}))"
        )
    } else {
        format!("t.{column} IS NOT DISTINCT FROM s.{column}")
    }
}

/// Creates the staging table and opens the COPY into it.
pub async fn start_copy(
    tx: &Transaction<'_>,
    kind: ImportKind,
    progress: ProgressBar,
) -> Result<CopyIn, DbError> {
    let columns: Vec<String> =
        kind.fields().iter().map(|field| format!("{} {}", field.name, sql_type(field.ty))).collect();
    let create = composed(
        "import/staging",
        format!(
            "CREATE TEMPORARY TABLE {STAGING} (line bigint NOT NULL, target_id uuid, {}, {INSTANT_UNIT} bigint) \
             ON COMMIT DROP",
            columns.join(", ")
        ),
    );
    db::execute(tx, &create, &[]).await?;
    CopyIn::start(tx, STAGING, &staging_columns(kind), progress).await
}

/// Locks the target table against other writers (readers go on), then finds, for each
/// staged row, the row it updates.
pub async fn match_rows(tx: &Transaction<'_>, plan: &Plan) -> Result<(), DbError> {
    let table = plan.kind.table();
    db::execute(tx, &composed("import/analyze", format!("ANALYZE {STAGING}")), &[]).await?;
    let lock = composed("import/lock", format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"));
    db::execute(tx, &lock, &[]).await?;
    for key in &plan.keys {
        if !key.iter().all(|column| plan.staged(column)) {
            continue;
        }
        let on: Vec<String> = key.iter().map(|column| same(column, "t", "s")).collect();
        let set = composed(
            "import/match",
            format!(
                "UPDATE {STAGING} s SET target_id = t.id FROM {table} t \
                 WHERE s.target_id IS NULL AND {}",
                on.join(" AND ")
            ),
        );
        db::execute(tx, &set, &[]).await?;
    }
    // a keyless bug row (its external id derived from project, title and creation
    // instant, read::bug_identity) is also the bug that has those three now: one whose
    // title was corrected through its number keeps the key derived from the old title
    if plan.kind == ImportKind::Bugs && ["project_id", "title", "created_at"].iter().all(|c| plan.staged(c)) {
        let set = composed(
            "import/match_keyless",
            format!(
                "UPDATE {STAGING} s SET target_id = t.id FROM bugs t \
                 WHERE s.target_id IS NULL AND s.external_id ~ '^csv:[0-9a-f]{{32}}$' \
                   AND t.created_at = s.created_at AND t.project_id = s.project_id AND t.title = s.title"
            ),
        );
        db::execute(tx, &set, &[]).await?;
    }
    Ok(())
}

/// What the table says is wrong with staged rows, each with its line.
pub async fn problems(tx: &Transaction<'_>, plan: &Plan) -> Result<Vec<Problem>, DbError> {
    let kind = plan.kind;
    let noun = kind.noun();
    let mut checks: Vec<String> = Vec::new();
    // two rows of the file for one row of the table
    checks.push(format!(
        "SELECT line, NULL::text, format('updates the same {noun} as line %s', first) \
         FROM (SELECT line, first_value(line) OVER w AS first, row_number() OVER w AS n \
               FROM {STAGING} WHERE target_id IS NOT NULL \
               WINDOW w AS (PARTITION BY target_id ORDER BY line)) d WHERE n > 1"
    ));
    checks.extend(unique_checks(plan));
    // what a new row cannot do without; a bug whose number names no bug is said on the
    // number's column (it would be inserted with that number, and lacks what a new bug needs)
    for column in kind.required_for_insert() {
        let header = kind.field(column).and_then(|field| field.aliases.first()).copied().unwrap_or(column);
        let (at, why) = if kind == ImportKind::Bugs {
            (
                format!("CASE WHEN bug_number IS NULL THEN '{header}' ELSE 'bug' END"),
                format!(
                    "CASE WHEN bug_number IS NULL THEN 'matches no bug, and a new bug needs a value here' \
                     ELSE format('there is no bug #%s to update, and a new one needs a {header}', bug_number) END"
                ),
            )
        } else {
            (format!("'{header}'"), format!("'matches no {noun}, and a new {noun} needs a value here'"))
        };
        checks.push(format!(
            "SELECT line, {at}, {why} FROM {STAGING} WHERE target_id IS NULL AND {}",
            if plan.insert.contains(column) { format!("{column} IS NULL") } else { "true".to_string() }
        ));
    }
    if kind == ImportKind::Bugs {
        checks.extend(bug_checks(plan));
    }
    let sql = format!(
        "SELECT line, col, message FROM ({}) p (line, col, message) ORDER BY line",
        checks.join(" UNION ALL ")
    );
    let rows = db::query(tx, &composed("import/check", sql), &[]).await?;
    let helper = "import/check";
    rows.iter()
        .map(|row| {
            let line: i64 = db::get(row, helper, "line")?;
            Ok(Problem {
                line: u64::try_from(line).unwrap_or_default(),
                column: db::get(row, helper, "col")?,
                message: db::get(row, helper, "message")?,
            })
        })
        .collect()
}

/// Unique values taken twice in the file, or held by another row of the table.
fn unique_checks(plan: &Plan) -> Vec<String> {
    let (kind, table, noun) = (plan.kind, plan.kind.table(), plan.kind.noun());
    let mut checks = Vec::new();
    let mut uniques: Vec<Vec<&str>> = kind.unique().iter().map(|column| vec![*column]).collect();
    if kind == ImportKind::Bugs {
        uniques.push(vec!["source", "external_id"]);
    }
    for unique in uniques.iter().filter(|unique| unique.iter().all(|column| plan.staged(column))) {
        let label = unique.last().copied().unwrap_or_default();
        let partition = unique.iter().map(|column| identity(column)).collect::<Vec<_>>().join(", ");
        let not_null: Vec<String> = unique.iter().map(|column| format!("{column} IS NOT NULL")).collect();
        checks.push(format!(
            "SELECT line, '{label}', format('%s is also on line %s', {label}, first) \
             FROM (SELECT line, {label}, first_value(line) OVER w AS first, row_number() OVER w AS n \
                   FROM {STAGING} WHERE {} WINDOW w AS (PARTITION BY {partition} ORDER BY line)) d \
             WHERE n > 1",
            not_null.join(" AND ")
        ));
        let on: Vec<String> = unique.iter().map(|column| same(column, "t", "s")).collect();
        checks.push(format!(
            "SELECT s.line, '{label}', format('%s already belongs to another {noun}', s.{label}) \
             FROM {STAGING} s JOIN {table} t ON {} WHERE t.id IS DISTINCT FROM s.target_id",
            on.join(" AND ")
        ));
    }
    checks
}

/// The bugs' own checks: a keyless row that looks like a bug with an edited title, and a
/// bug resolved before it was created.
fn bug_checks(plan: &Plan) -> Vec<String> {
    let mut checks = Vec::new();
    // a row without a number or an external id is keyed by its project, title and
    // creation instant (read::bug_identity); with its title corrected it would become a
    // second bug. A keyless new row that meets a bug of the same project and instant with
    // another title, which no row of the file updates, is taken for that bug edited.
    if ["project_id", "title", "created_at"].iter().all(|c| plan.staged(c)) {
        checks.push(format!(
            "SELECT s.line, 'title', format('looks like bug #%s with an edited title: add its `bug` number to update it', \
                    min(t.bug_number)) \
             FROM {STAGING} s JOIN bugs t ON t.created_at = s.created_at AND t.project_id = s.project_id \
             WHERE s.target_id IS NULL AND s.external_id ~ '^csv:[0-9a-f]{{32}}$' \
               AND t.title IS DISTINCT FROM s.title \
               AND NOT EXISTS (SELECT 1 FROM {STAGING} m WHERE m.target_id = t.id) \
             GROUP BY s.line"
        ));
    }
    // a bug is not resolved before it was created, whichever side each instant comes from
    if plan.staged("resolved_at") || plan.staged("created_at") {
        let side = |column: &str| {
            if plan.update.contains(&column) {
                format!("s.{column}")
            } else {
                format!("coalesce(t.{column}, s.{column})")
            }
        };
        checks.push(format!(
            "SELECT s.line, 'resolved_at', format('%s is before the bug was created (%s)', {r}, {c}) \
             FROM {STAGING} s LEFT JOIN bugs t ON t.id = s.target_id WHERE {r} < {c}",
            r = side("resolved_at"),
            c = side("created_at"),
        ));
    }
    checks
}

/// Drops the staging table before another import stages in the same transaction.
pub async fn drop_staging(tx: &Transaction<'_>) -> Result<(), DbError> {
    db::execute(tx, &composed("import/drop", format!("DROP TABLE {STAGING}")), &[]).await.map(|_| ())
}

/// Drops the rows of these lines from the staging table (`--skip-invalid`).
pub async fn discard(tx: &Transaction<'_>, lines: &[i64]) -> Result<(), DbError> {
    let sql = composed("import/discard", format!("DELETE FROM {STAGING} WHERE line = ANY($1)"));
    db::execute(tx, &sql, &[&lines]).await.map(|_| ())
}

/// The value an insert writes for a column: the staged one, or for the keys a new one
/// where the row has none.
fn insert_value(kind: ImportKind, column: &str) -> String {
    match (kind, column) {
        (_, "id") => "coalesce(s.id, gen_random_uuid())".to_string(),
        (ImportKind::Bugs, "bug_number") => {
            "coalesce(s.bug_number, nextval(pg_get_serial_sequence('bugs', 'bug_number')))".to_string()
        }
        _ => format!("s.{column}"),
    }
}

/// Whether a matched row differs from its staged row in the columns an update writes.
fn differs(plan: &Plan) -> String {
    let same: Vec<String> = plan.update.iter().map(|column| unchanged(plan.kind, column)).collect();
    format!("NOT ({})", same.join(" AND "))
}

/// Rows inserted, updated (matched and different), unchanged (matched and equal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// One change a dry run would make: a row inserted (no field), or one field of a row
/// updated, old and new as text (a project or person by name or e-mail).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub line: i64,
    pub action: String,
    pub row: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Every change the merge would make, by line of the file, writing nothing (`--dry-run`).
/// Column names come from the plan (the kind's fixed field table), never from the file.
pub async fn changes(tx: &Transaction<'_>, plan: &Plan) -> Result<Vec<Change>, DbError> {
    let kind = plan.kind;
    let table = kind.table();
    let label = |alias: &str| {
        match kind {
        ImportKind::Projects => format!("{alias}.name"),
        ImportKind::Users => format!("{alias}.email"),
        ImportKind::Bugs => format!("coalesce('#' || {alias}.bug_number, left({alias}.title, 60))"),
        ImportKind::Metrics => format!(
            "concat_ws(' ', (SELECT p.name FROM projects p WHERE p.id = {alias}.project_id), {alias}.metric_date)"
        ),
    }
    };
    let decimal_scale = |column: &str| {
        kind.fields().iter().find(|f| f.name == column).and_then(|f| match f.ty {
            super::fields::FieldType::Decimal { scale, .. } => Some(scale),
            _ => None,
        })
    };
    let shown = |alias: &str, column: &str| match column {
        "project_id" => format!("(SELECT p.name FROM projects p WHERE p.id = {alias}.{column})"),
        "owner_id" | "reporter_id" | "assignee_id" => {
            format!("(SELECT u.email FROM users u WHERE u.id = {alias}.{column})")
        }
        // a decimal as the column stores it (1250000.5 of the file is 1250000.50)
        _ => match decimal_scale(column) {
            Some(scale) => format!("round({alias}.{column}, {scale})::text"),
            None => format!("{alias}.{column}::text"),
        },
    };
    let mut parts = vec![format!(
        "SELECT s.line, 'insert' AS action, {} AS row, NULL::text AS field, NULL::text AS old, NULL::text AS new \
         FROM {STAGING} s WHERE s.target_id IS NULL",
        label("s")
    )];
    for column in &plan.update {
        parts.push(format!(
            "SELECT s.line, 'update', {}, '{column}', {}, {} FROM {STAGING} s JOIN {table} t ON t.id = s.target_id \
             WHERE NOT ({})",
            label("t"),
            shown("t", column),
            shown("s", column),
            unchanged(kind, column)
        ));
    }
    let sql = format!("{} ORDER BY line, field NULLS FIRST", parts.join(" UNION ALL "));
    let helper = composed("import/changes", sql);
    let rows = db::query(tx, &helper, &[]).await?;
    rows.iter()
        .map(|row| {
            Ok(Change {
                line: db::get(row, helper.name, "line")?,
                action: db::get(row, helper.name, "action")?,
                row: db::get::<Option<String>>(row, helper.name, "row")?.unwrap_or_default(),
                field: db::get(row, helper.name, "field")?,
                old: db::get(row, helper.name, "old")?,
                new: db::get(row, helper.name, "new")?,
            })
        })
        .collect()
}

/// What the merge would do, writing nothing (`--dry-run`).
pub async fn count(tx: &Transaction<'_>, plan: &Plan) -> Result<Counts, DbError> {
    let table = plan.kind.table();
    let updated = if plan.update.is_empty() { "false".to_string() } else { differs(plan) };
    let sql = format!(
        "SELECT count(*) FILTER (WHERE s.target_id IS NULL) AS inserted, \
                count(*) FILTER (WHERE t.id IS NOT NULL AND {updated}) AS updated, \
                count(*) FILTER (WHERE t.id IS NOT NULL AND NOT ({updated})) AS unchanged \
         FROM {STAGING} s LEFT JOIN {table} t ON t.id = s.target_id"
    );
    let helper = composed("import/count", sql);
    let row = db::query_one(tx, &helper, &[]).await?;
    counts(&row, helper.name)
}

fn counts(row: &tokio_postgres::Row, helper: &str) -> Result<Counts, DbError> {
    let get =
        |column: &str| db::get::<i64>(row, helper, column).map(|n| u64::try_from(n).unwrap_or_default());
    Ok(Counts { inserted: get("inserted")?, updated: get("updated")?, unchanged: get("unchanged")? })
}

/// Writes the staged rows: one statement updating the rows that differ and inserting the
/// rows that match nothing.
pub async fn merge(tx: &Transaction<'_>, plan: &Plan) -> Result<Counts, DbError> {
    let kind = plan.kind;
    let table = kind.table();
    let update = if plan.update.is_empty() {
        "SELECT 1 WHERE false".to_string()
    } else {
        // a column that compares equal keeps its stored value (an instant with its own
        // microseconds, not the seconds a spreadsheet kept)
        let set: Vec<String> = plan
            .update
            .iter()
            .map(|column| {
                format!(
                    "{column} = CASE WHEN {} THEN t.{column} ELSE s.{column} END",
                    unchanged(kind, column)
                )
            })
            .collect();
        format!(
            "UPDATE {table} t SET {} FROM {STAGING} s WHERE t.id = s.target_id AND {} RETURNING 1",
            set.join(", "),
            differs(plan)
        )
    };
    let values: Vec<String> = plan.insert.iter().map(|column| insert_value(kind, column)).collect();
    let sql = format!(
        "WITH updated AS ({update}), \
              inserted AS (INSERT INTO {table} ({}) SELECT {} FROM {STAGING} s \
                           WHERE s.target_id IS NULL ORDER BY s.line RETURNING 1) \
         SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM updated) AS updated, \
                (SELECT count(*) FROM {STAGING} WHERE target_id IS NOT NULL) \
                - (SELECT count(*) FROM updated) AS unchanged",
        plan.insert.join(", "),
        values.join(", ")
    );
    let helper = composed("import/merge", sql);
    let row = db::query_one(tx, &helper, &[] as &[&(dyn ToSql + Sync)]).await?;
    counts(&row, helper.name)
}
