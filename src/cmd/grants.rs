//! `ctodb grants --reader NAME --writer NAME [--owner NAME]`: the statements that make
//! roles ctodb's reader and writer in the target database, printed for the owner to run
//! (e.g. `ctodb grants --reader analyst | psql`). Nothing is run here.

use std::io::Write;

use anyhow::{Context as _, Result};

use super::{Context, Outcome};
use crate::cli::GrantsArgs;
use crate::db::privileges::{grant_statements, Grantees};

pub fn run(ctx: &Context, args: &GrantsArgs) -> Result<Outcome> {
    let grantees = Grantees {
        database: ctx.target.database(),
        reader: args.reader.as_deref(),
        writer: args.writer.as_deref(),
    };
    let mut text = String::from(
        "-- ctodb's roles, on ctodb's objects by name: the roles must exist (CREATE ROLE … LOGIN); \
         run as the owner of ctodb's tables with psql -v ON_ERROR_STOP=1, and again after every `ctodb migrate`\n",
    );
    for statement in grant_statements(&grantees) {
        text.push_str(&statement);
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write to standard output")?,
    }
    Ok(Outcome::Success)
}
