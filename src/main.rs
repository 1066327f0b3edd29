//! ctodb: parse the command line, run the command, map the outcome to an exit status.

mod analytics;
mod cli;
mod cmd;
mod config;
mod db;
mod export;
mod model;
mod output;
mod queries;
mod seed;
mod sql;
#[cfg(test)]
mod testing;
mod ui;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A .env in the working directory fills in variables the environment does not set.
    let _ = dotenvy::dotenv();
    // clap prints usage errors itself and exits with status 2.
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = cmd::run(cli) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    match outcome {
        Some(Ok(cmd::Outcome::Success)) => ExitCode::SUCCESS,
        Some(Ok(cmd::Outcome::ChecksFailed)) => ExitCode::from(1),
        Some(Err(err)) => {
            eprintln!("error: {}", ui::redact(&format!("{err:#}")));
            ExitCode::from(1)
        }
        None => {
            // The command's future is dropped by now: its temporary files are gone and
            // its open transactions die with their connections. Stop the server's work too.
            runtime.block_on(db::cancel_running_queries());
            eprintln!("interrupted");
            ExitCode::from(130)
        }
    }
}
