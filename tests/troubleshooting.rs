//! The errors of README's "Troubleshooting", each met for real: the one line ctodb prints
//! names what is wrong and the fix, exit status 1.

use crate::common::cluster::TestCluster;
use crate::common::{admin, ctodb_at, quote_ident, url_for, TestDb};

/// The error line of a failed run (exit 1, nothing on stdout).
fn error_line(out: &crate::common::CliOutput) -> String {
    assert_eq!(out.code(), 1, "{}", out.stderr_text());
    assert_eq!(out.stdout_text(), "");
    let text = out.stderr_text();
    let line = text.lines().last().unwrap_or_default().to_string();
    assert!(line.starts_with("error: "), "{text}");
    line
}

#[test]
fn no_server_says_how_to_start_one() {
    let line = error_line(&ctodb_at("postgres://ada@127.0.0.1:1/ctodb", &["bugs"], None));
    assert!(
        line.starts_with("error: could not connect to PostgreSQL at 127.0.0.1:1: Connection refused"),
        "{line}"
    );
    assert!(
        line.ends_with(
            " — start the server (e.g. pg_ctlcluster 15 main start), run `ctodb local start` for a private \
             one, or point DATABASE_URL (or PGHOST/PGPORT) at one that runs"
        ),
        "{line}"
    );
}

#[test]
fn no_role_says_how_to_create_it() {
    let url =
        url_for("postgres").replacen(&format!("{}@", crate::common::admin_user()), "ctodb_nobody_here@", 1);
    let url = if url.contains("ctodb_nobody_here@") { url } else { format!("{url}&user=ctodb_nobody_here") };
    let line = error_line(&ctodb_at(&url, &["bugs"], None));
    assert!(line.starts_with("error: role \"ctodb_nobody_here\" does not exist on "), "{line}");
    assert!(
        line.contains(" — create it with: createuser --createdb ctodb_nobody_here (as a superuser"),
        "{line}"
    );
}

#[test]
fn a_missing_extension_names_the_package() {
    let db = TestDb::empty_name("missing_extension");
    admin().batch_execute(&format!("CREATE DATABASE {}", quote_ident(&db.name))).unwrap();
    let source = tempfile::tempdir().unwrap();
    let folder = source.path().join("20260101000000_needs_rum_like");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("migration.sql"), "CREATE EXTENSION ctodb_not_installed;\n").unwrap();
    let line = error_line(&db.ctodb(&["migrate", "--source", source.path().to_str().unwrap()]));
    assert_eq!(
        line,
        "error: the server lacks the extension ctodb_not_installed, which ctodb needs (migration \
         20260101000000_needs_rum_like) — install PostgreSQL's contrib modules on the server (Debian and \
         Ubuntu: apt-get install postgresql-contrib; RHEL and Fedora: dnf install postgresql-contrib), then \
         run `ctodb migrate` again"
    );
    // nothing was applied: the migration's transaction rolled back
    assert_eq!(db.count("SELECT count(*) FROM pg_extension WHERE extname = 'ctodb_not_installed'"), 0);
}

#[test]
fn an_unmigrated_database_says_to_migrate() {
    let db = TestDb::empty_name("unmigrated");
    admin().batch_execute(&format!("CREATE DATABASE {}", quote_ident(&db.name))).unwrap();
    let line = error_line(&db.ctodb(&["report", "portfolio"]));
    assert!(line.starts_with("error: the database has no ctodb schema ("), "{line}");
    assert!(line.ends_with("); run `ctodb migrate` first"), "{line}");
}

#[test]
fn tls_required_of_a_server_without_it_says_what_to_change() {
    let cluster = TestCluster::start(&["ssl = off"]);
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres?sslmode=require", cluster.port);
    let line = error_line(&ctodb_at(&url, &["bugs"], None));
    assert_eq!(
        line,
        format!(
            "error: PostgreSQL at 127.0.0.1:{} does not accept TLS connections, and sslmode=require requires \
             one — enable ssl on the server, or connect with sslmode=prefer (encrypt when the server can) or \
             sslmode=disable",
            cluster.port
        )
    );
}

/// A URL that declares a pooler (Prisma's `pgbouncer=true`); one told by its behaviour is
/// `connection::a_transaction_pooler_is_told_by_its_behaviour_and_refused_with_the_direct_url`.
#[test]
fn a_declared_pooler_is_refused_for_seed() {
    let db = TestDb::new("pooler_refused");
    let url = format!("{}{}pgbouncer=true", db.url, if db.url.contains('?') { '&' } else { '?' });
    let line = error_line(&ctodb_at(&url, &["seed"], None));
    assert!(line.contains("is declared a transaction-mode pooler (pgbouncer=true)"), "{line}");
    assert!(line.ends_with("run `ctodb seed` with a direct connection to the server"), "{line}");
    assert_eq!(db.count("SELECT count(*) FROM bugs"), 0);
    // the declaration is taken at its word for what changes the schema only: a read on
    // a server that behaves as a direct connection runs
    let read = ctodb_at(&url, &["users", "-f", "csv"], None);
    assert_eq!(read.code(), 0, "{}", read.stderr_text());
}

#[test]
fn an_existing_snapshot_says_force_or_another_id() {
    let db = TestDb::new("snapshot_exists");
    db.run_status(&["seed"]);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    db.run_status(&["export", "--dir", folder, "--id", "w1", "--as-of", "2026-11-25T12:00:00Z"]);
    let line =
        error_line(&db.ctodb(&["export", "--dir", folder, "--id", "w1", "--as-of", "2026-11-25T12:00:00Z"]));
    assert_eq!(
        line,
        format!(
            "error: {folder}/snapshot=w1 exists already; pass --force to replace it, or --id to export under \
             another name"
        )
    );
}
