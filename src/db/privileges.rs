//! ctodb's three roles: the reader (every command that only reads, `export` included),
//! the writer (refresh, imports, `bug update`: rows, never the schema) and the owner
//! (migrate, seed, reset). What the current role lacks of each (sql/admin/privileges.sql),
//! and the GRANT statements that make a role one of them (`ctodb grants`).

use tokio_postgres::GenericClient;

use super::DbError;
use crate::sql;

/// One of ctodb's roles; each holds what the one before it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Reader,
    Writer,
    Owner,
}

impl Role {
    pub const fn label(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Owner => "owner",
        }
    }

    fn from_label(label: &str) -> Role {
        match label {
            "reader" => Role::Reader,
            "writer" => Role::Writer,
            _ => Role::Owner,
        }
    }
}

/// A privilege the current role lacks, and the role it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub role: Role,
    pub object: String,
    pub privilege: String,
}

/// What kind of object a grant is on (its GRANT keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Table,
    Sequence,
    Function,
}

impl Kind {
    const fn keyword(self) -> &'static str {
        match self {
            Kind::Table => "TABLE",
            Kind::Sequence => "SEQUENCE",
            Kind::Function => "FUNCTION",
        }
    }
}

/// Privileges of the reader or the writer on one of ctodb's objects, by name. The writer
/// holds the reader's privileges too.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub role: Role,
    pub kind: Kind,
    pub object: &'static str,
    pub privileges: &'static [&'static str],
    /// the columns the privileges are limited to (none: the whole table)
    pub columns: &'static [&'static str],
}

const fn read(object: &'static str) -> Grant {
    Grant { role: Role::Reader, kind: Kind::Table, object, privileges: &["SELECT"], columns: &[] }
}

/// The writer's privileges on a table.
const fn write(object: &'static str, privileges: &'static [&'static str]) -> Grant {
    Grant { role: Role::Writer, kind: Kind::Table, object, privileges, columns: &[] }
}

/// The writer's INSERT, UPDATE and DELETE on a table of rows it keeps.
const fn rows(object: &'static str) -> Grant {
    write(object, &["INSERT", "UPDATE", "DELETE"])
}

const fn other(kind: Kind, object: &'static str, privilege: &'static [&'static str]) -> Grant {
    Grant { role: Role::Writer, kind, object, privileges: privilege, columns: &[] }
}

/// The columns an import fills in when it ends (import/log_finish.sql); the row-level
/// policy of import_logs lets them change only while the row is `running`.
const IMPORT_LOG_END: &[&str] = &[
    "status",
    "rows_total",
    "rows_inserted",
    "rows_updated",
    "rows_unchanged",
    "rows_imported",
    "rows_failed",
    "errors",
    "timings",
    "finished_at",
];

/// Every privilege `ctodb grants` gives and the pre-check of a command asks for: one list,
/// on ctodb's own objects by name (never a whole schema, which other applications may
/// share). History and audit are append-only for the writer; the rows it must finish
/// (an import's log row, a run record 30 days old) are limited by row-level policies
/// (migration least_privilege_holds); neither role may change the schema or the
/// migrations table.
pub const GRANTS: &[Grant] = &[
    read("public.users"),
    read("public.projects"),
    read("public.bugs"),
    read("public.project_metrics"),
    read("public.monthly_metrics"),
    read("public.portfolio_metrics"),
    read("public.bug_history"),
    read("public.import_logs"),
    read("public.audit_log"),
    read("public.search_words"),
    read("ctodb.schema_migrations"),
    read("ctodb.bug_counts"),
    read("ctodb.bug_resolutions"),
    read("ctodb.assignee_resolutions"),
    read("ctodb.table_rows"),
    read("ctodb.bug_search"),
    read("ctodb.project_search"),
    read("ctodb.runs"),
    read("ctodb.github_sync"),
    read("ctodb.search_words_built"),
    read("ctodb.import_changes"),
    read("ctodb.import_undone"),
    // the database at a past instant (--as-of): views named as the tables they stand for
    read("ctodb_as_of.users"),
    read("ctodb_as_of.projects"),
    read("ctodb_as_of.bugs"),
    read("ctodb_as_of.project_metrics"),
    read("ctodb_as_of.monthly_metrics"),
    read("ctodb_as_of.portfolio_metrics"),
    read("ctodb_as_of.bug_history"),
    read("ctodb_as_of.import_logs"),
    read("ctodb_as_of.audit_log"),
    read("ctodb_as_of.bug_counts"),
    read("ctodb_as_of.bug_resolutions"),
    read("ctodb_as_of.assignee_resolutions"),
    rows("public.users"),
    rows("public.projects"),
    rows("public.bugs"),
    rows("public.project_metrics"),
    rows("public.monthly_metrics"),
    rows("public.portfolio_metrics"),
    // the summaries and documents the tables' triggers keep, as the writer
    rows("ctodb.bug_counts"),
    rows("ctodb.bug_resolutions"),
    rows("ctodb.assignee_resolutions"),
    rows("ctodb.table_rows"),
    rows("ctodb.bug_search"),
    rows("ctodb.project_search"),
    rows("ctodb.github_sync"),
    write("public.bug_history", &["INSERT"]),
    write("public.audit_log", &["INSERT"]),
    write("public.import_logs", &["INSERT"]),
    write("ctodb.import_undone", &["INSERT"]),
    Grant {
        role: Role::Writer,
        kind: Kind::Table,
        object: "public.import_logs",
        privileges: &["UPDATE"],
        columns: IMPORT_LOG_END,
    },
    // pruning run records 30 days old: DELETE, and the row lock (FOR UPDATE) before it
    write("ctodb.runs", &["INSERT", "DELETE"]),
    Grant {
        role: Role::Writer,
        kind: Kind::Table,
        object: "ctodb.runs",
        privileges: &["UPDATE"],
        columns: &["committed_at"],
    },
    other(Kind::Sequence, "public.bugs_bug_number_seq", &["USAGE"]),
    other(Kind::Sequence, "ctodb.search_text_changes", &["USAGE"]),
    other(Kind::Function, "ctodb.refresh_search_words(boolean)", &["EXECUTE"]),
    other(Kind::Function, "ctodb.apply_bug_scores(uuid[], numeric[])", &["EXECUTE"]),
    other(Kind::Function, "ctodb.import_run_rows(uuid)", &["EXECUTE"]),
    other(Kind::Function, "ctodb.import_undo_conflicts(uuid)", &["EXECUTE"]),
    other(Kind::Function, "ctodb.undo_import(uuid)", &["EXECUTE"]),
];

/// Everything the current role lacks, reader's first.
pub async fn missing(client: &impl GenericClient) -> Result<Vec<Missing>, DbError> {
    let helper = sql::PRIVILEGES.name;
    // one array element per (grant, privilege)
    let each = || GRANTS.iter().flat_map(|g| g.privileges.iter().map(move |p| (g, *p)));
    let roles: Vec<&str> = each().map(|(g, _)| g.role.label()).collect();
    let kinds: Vec<&str> = each().map(|(g, _)| g.kind.keyword()).collect();
    let objects: Vec<&str> = each().map(|(g, _)| g.object).collect();
    let privileges: Vec<&str> = each().map(|(_, p)| p).collect();
    let columns: Vec<String> = each().map(|(g, _)| g.columns.join(",")).collect();
    super::query(client, &sql::PRIVILEGES, &[&roles, &kinds, &objects, &privileges, &columns])
        .await?
        .iter()
        .map(|row| {
            Ok(Missing {
                role: Role::from_label(&super::get::<String>(row, helper, "role")?),
                object: super::get(row, helper, "object")?,
                privilege: super::get(row, helper, "privilege")?,
            })
        })
        .collect()
}

/// The first privilege of `role` (or of a role below it) the current role lacks.
pub fn first_lacking(missing: &[Missing], role: Role) -> Option<&Missing> {
    missing.iter().find(|m| m.role <= role)
}

/// The roles the current role may act as, by what it lacks.
pub fn roles_held(missing: &[Missing]) -> Vec<Role> {
    [Role::Reader, Role::Writer, Role::Owner]
        .into_iter()
        .filter(|role| first_lacking(missing, *role).is_none())
        .collect()
}

/// The names `ctodb grants` makes roles of.
pub struct Grantees<'a> {
    pub database: &'a str,
    pub reader: Option<&'a str>,
    pub writer: Option<&'a str>,
}

/// Why a name cannot be made a reader or a writer: `public` (PUBLIC, every role), a
/// role of the server's own (`pg_*`), or the owner, who holds everything already and
/// would lose it to the REVOKE that starts the statements.
pub fn refused_grantee(name: &str, owner: Option<&str>) -> Option<String> {
    if name.eq_ignore_ascii_case("public") {
        Some(format!("{name:?} is every role (PUBLIC); name one role"))
    } else if name.to_ascii_lowercase().starts_with("pg_") {
        Some(format!("{name:?} is one of the server's own roles (pg_*); name a role of your own"))
    } else if name.is_empty() {
        Some("the role's name is empty".to_string())
    } else if owner == Some(name) {
        Some(format!("{name:?} is the owner of ctodb's tables, which holds every privilege already"))
    } else {
        None
    }
}

/// An identifier quoted as PostgreSQL quotes one.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The privileges of a grant as GRANT writes them, their columns included.
fn privilege_text(grant: &Grant) -> String {
    let columns =
        if grant.columns.is_empty() { String::new() } else { format!(" ({})", grant.columns.join(", ")) };
    grant.privileges.iter().map(|p| format!("{p}{columns}")).collect::<Vec<_>>().join(", ")
}

/// The statements, to be run by the owner (or a superuser), that make the reader and the
/// writer: what each held of ctodb's objects is revoked first (an earlier version granted
/// more, schema-wide), then each object's privileges are granted by name.
pub fn grant_statements(grantees: &Grantees<'_>) -> Vec<String> {
    let database = quote_ident(grantees.database);
    let mut statements = Vec::new();
    let mut objects: Vec<(Kind, &str)> = Vec::new();
    for grant in GRANTS {
        if !objects.contains(&(grant.kind, grant.object)) {
            objects.push((grant.kind, grant.object));
        }
    }
    for (role, name) in [(Role::Reader, grantees.reader), (Role::Writer, grantees.writer)] {
        let Some(name) = name else { continue };
        let quoted = quote_ident(name);
        statements.push(format!("-- {} {}", role.label(), quoted));
        for kind in [Kind::Table, Kind::Sequence, Kind::Function] {
            let names: Vec<&str> = objects.iter().filter(|(k, _)| *k == kind).map(|(_, n)| *n).collect();
            statements.push(format!("REVOKE ALL ON {} {} FROM {quoted};", kind.keyword(), names.join(", ")));
        }
        statements.push(format!("GRANT CONNECT ON DATABASE {database} TO {quoted};"));
        statements.push(format!("GRANT USAGE ON SCHEMA public, ctodb, ctodb_as_of TO {quoted};"));
        if role == Role::Writer {
            // imports and refresh stage rows in temporary tables
            statements.push(format!("GRANT TEMPORARY ON DATABASE {database} TO {quoted};"));
        }
        for (kind, object) in &objects {
            let privileges: Vec<String> = GRANTS
                .iter()
                .filter(|g| g.kind == *kind && g.object == *object && g.role <= role)
                .map(privilege_text)
                .collect();
            if !privileges.is_empty() {
                statements.push(format!(
                    "GRANT {} ON {} {object} TO {quoted};",
                    privileges.join(", "),
                    kind.keyword()
                ));
            }
        }
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_the_writer_gets_what_the_reader_gets() {
        let statements = grant_statements(&Grantees {
            database: "ctodb",
            reader: Some("analyst"),
            writer: Some("night \"job\""),
        });
        assert_eq!(statements[0], "-- reader \"analyst\"");
        assert!(statements.contains(&"GRANT CONNECT ON DATABASE \"ctodb\" TO \"analyst\";".to_string()));
        assert!(statements.contains(&"GRANT SELECT ON TABLE public.bugs TO \"analyst\";".to_string()));
        assert!(statements.contains(
            &"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.bugs TO \"night \"\"job\"\"\";"
                .to_string()
        ));
        assert!(statements.contains(
            &"GRANT SELECT, INSERT ON TABLE public.audit_log TO \"night \"\"job\"\"\";".to_string()
        ));
        assert!(statements.contains(
            &"GRANT SELECT, INSERT, DELETE, UPDATE (committed_at) ON TABLE ctodb.runs TO \"night \"\"job\"\"\";"
                .to_string()
        ));
        assert!(statements.iter().all(|s| !s.contains("ALL TABLES") && !s.contains("ALTER DEFAULT")));
        assert!(statements.iter().all(|s| !s.contains("schema_migrations")
            || s.starts_with("REVOKE")
            || s.contains("GRANT SELECT ON")));
        let missing = |role, object: &str| Missing { role, object: object.into(), privilege: "X".into() };
        assert_eq!(roles_held(&[missing(Role::Owner, "public.bugs")]), vec![Role::Reader, Role::Writer]);
        assert_eq!(roles_held(&[missing(Role::Writer, "public.bugs")]), vec![Role::Reader]);
        assert!(roles_held(&[missing(Role::Reader, "public.bugs")]).is_empty());
    }

    #[test]
    fn public_the_servers_roles_and_the_owner_are_refused() {
        for name in ["public", "PUBLIC", "Public", "pg_read_all_data", "PG_monitor", ""] {
            assert!(refused_grantee(name, None).is_some(), "{name}");
        }
        assert_eq!(
            refused_grantee("ctodb_owner", Some("ctodb_owner")).as_deref(),
            Some("\"ctodb_owner\" is the owner of ctodb's tables, which holds every privilege already")
        );
        assert_eq!(refused_grantee("analyst", Some("ctodb_owner")), None);
        assert_eq!(refused_grantee("publican", None), None);
    }
}
