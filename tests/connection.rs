//! Connection failures: each cause has its own message, arrives within the connection
//! timeout, exits 1 and never shows the password.

use std::time::{Duration, Instant};

use crate::common::{ctodb_command, password_role, tcp_port, CliOutput};

fn doctor_with(url: &str) -> (CliOutput, Duration) {
    let started = Instant::now();
    let out: CliOutput = ctodb_command(Some(url))
        .env("DATABASE_CONNECTION_TIMEOUT", "5")
        .args(["stats"])
        .output()
        .unwrap()
        .into();
    (out, started.elapsed())
}

fn assert_no_secret(out: &CliOutput, secret: &str) {
    assert!(!out.stdout_text().contains(secret), "password on stdout");
    assert!(!out.stderr_text().contains(secret), "password on stderr: {}", out.stderr_text());
}

#[test]
fn a_malformed_url_is_named_as_such() {
    let (out, _) = doctor_with("postgres://ada:pa55word@localhost:notaport/ctodb");
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().starts_with("error: invalid database URL: "), "{}", out.stderr_text());
    assert_no_secret(&out, "pa55word");
}

#[test]
fn an_unreachable_port_says_the_server_does_not_answer() {
    let (out, elapsed) = doctor_with("postgres://ada:pa55word@127.0.0.1:1/ctodb");
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text()
            .starts_with("error: could not connect to PostgreSQL at 127.0.0.1:1: Connection refused"),
        "{}",
        out.stderr_text()
    );
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert_no_secret(&out, "pa55word");
}

#[test]
fn a_wrong_password_is_named_and_not_shown() {
    let (role, _right) = password_role();
    let url = format!("postgres://{role}:wrong-secret-99@127.0.0.1:{}/postgres", tcp_port());
    let (out, elapsed) = doctor_with(&url);
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text().trim(),
        format!(
            "error: password authentication failed for user \"{role}\" at 127.0.0.1:{}; \
             check the password in DATABASE_URL or PGPASSWORD",
            tcp_port()
        )
    );
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert_no_secret(&out, "wrong-secret-99");
}

#[test]
fn a_missing_database_points_to_migrate() {
    let url = crate::common::url_for("ctodb_t_surely_missing");
    let (out, _) = doctor_with(&url);
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_text().contains("database \"ctodb_t_surely_missing\" does not exist on"),
        "{}",
        out.stderr_text()
    );
    assert!(out.stderr_text().trim_end().ends_with("run `ctodb migrate` to create it"));
}

#[test]
fn usage_errors_exit_2() {
    let out: CliOutput = ctodb_command(None).args(["stats", "--format", "xml"]).output().unwrap().into();
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr_text().contains("[possible values: table, csv, json, ndjson]"),
        "{}",
        out.stderr_text()
    );
}
