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

/// Everything the current role lacks, reader's first.
pub async fn missing(client: &impl GenericClient) -> Result<Vec<Missing>, DbError> {
    let helper = sql::PRIVILEGES.name;
    super::query(client, &sql::PRIVILEGES, &[])
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
    /// the role that owns ctodb's tables (and runs migrate); default privileges are
    /// given for the tables it creates later
    pub owner: Option<&'a str>,
}

/// An identifier quoted as PostgreSQL quotes one.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statements, to be run by the owner (or a superuser), that make the reader and the
/// writer. The writer is given the reader's privileges too.
pub fn grant_statements(grantees: &Grantees<'_>) -> Vec<String> {
    let database = quote_ident(grantees.database);
    let schemas = "public, ctodb";
    let mut statements = Vec::new();
    let future = |statements: &mut Vec<String>, role: &str, what: &str, on: &str| {
        if let Some(owner) = grantees.owner {
            statements.push(format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {schemas} GRANT {what} ON {on} TO {role};",
                quote_ident(owner)
            ));
        }
    };
    for role in [grantees.reader, grantees.writer].into_iter().flatten() {
        let role = quote_ident(role);
        statements.push(format!("GRANT CONNECT ON DATABASE {database} TO {role};"));
        statements.push(format!("GRANT USAGE ON SCHEMA {schemas} TO {role};"));
        statements.push(format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schemas} TO {role};"));
        future(&mut statements, &role, "SELECT", "TABLES");
    }
    if let Some(writer) = grantees.writer {
        let writer = quote_ident(writer);
        statements.push(format!("GRANT TEMPORARY ON DATABASE {database} TO {writer};"));
        statements
            .push(format!("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schemas} TO {writer};"));
        statements.push(format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schemas} TO {writer};"));
        statements
            .push(format!("GRANT EXECUTE ON FUNCTION ctodb.refresh_search_words(boolean) TO {writer};"));
        future(&mut statements, &writer, "INSERT, UPDATE, DELETE", "TABLES");
        future(&mut statements, &writer, "USAGE", "SEQUENCES");
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
            owner: None,
        });
        assert_eq!(statements[0], "GRANT CONNECT ON DATABASE \"ctodb\" TO \"analyst\";");
        assert!(statements.contains(
            &"GRANT SELECT ON ALL TABLES IN SCHEMA public, ctodb TO \"night \"\"job\"\"\";".to_string()
        ));
        assert!(statements.iter().all(|s| !s.starts_with("ALTER DEFAULT")));
        let missing = |role, object: &str| Missing { role, object: object.into(), privilege: "X".into() };
        assert_eq!(roles_held(&[missing(Role::Owner, "public.bugs")]), vec![Role::Reader, Role::Writer]);
        assert_eq!(roles_held(&[missing(Role::Writer, "public.bugs")]), vec![Role::Reader]);
        assert!(roles_held(&[missing(Role::Reader, "public.bugs")]).is_empty());
    }
}
