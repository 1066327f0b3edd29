//! ctodb: parse the command line, run the command, map the outcome to an exit status.

mod analytics;
mod cli;
mod cmd;
mod config;
mod db;
mod export;
mod fault;
mod files;
mod frame;
mod import;
mod local;
mod model;
mod output;
mod queries;
mod refresh;
mod report;
mod seed;
mod snapshot;
mod spreadsheet;
mod sql;
#[cfg(test)]
mod testing;
mod ui;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    // The working folder's .env (or --env-file's) fills in variables the environment does
    // not set; it is read before the command line, whose defaults it supplies.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let env_file = match config::env_file::load(config::env_file::named_in(&args)) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("error: {}", ui::redact(&message));
            return ExitCode::from(1);
        }
    };
    let url_typed =
        args.iter().any(|a| a == "--database-url" || a.to_string_lossy().starts_with("--database-url="));
    // clap prints usage errors itself and exits with status 2.
    let mut cli = cli::Cli::parse_from(args);
    cli.global.database_url_typed = url_typed;
    refuse_usage(&cli);
    if cli.global.verbose {
        say_settings(&env_file);
    }
    // completions and the manual need neither a database nor a configuration
    if let Some(status) = cmd::offline(&cli.command) {
        return status;
    }
    // Multi-threaded whatever the command: Polars and block_in_place need that runtime.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = cli.command.workers() {
        builder.worker_threads(workers);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    // the handlers are installed before the command starts: a signal that arrives while
    // the command runs a long stretch without yielding is caught all the same
    let outcome = runtime.block_on(async {
        let stops = Stops::install();
        tokio::select! {
            biased;
            signal = stops.next() => Err(signal),
            result = cmd::run(cli) => Ok(result),
        }
    });
    match outcome {
        Ok(Ok(cmd::Outcome::Success)) => ExitCode::SUCCESS,
        Ok(Ok(cmd::Outcome::ChecksFailed)) => ExitCode::from(1),
        Ok(Ok(cmd::Outcome::ConditionMet)) => ExitCode::from(3),
        Ok(Err(err)) => {
            eprintln!("error: {}", ui::redact(&format!("{err:#}")));
            ExitCode::from(1)
        }
        Err(signal) => {
            // The command's future is dropped by now: its temporary files are gone and
            // its open transactions die with their connections. Stop the server's work too.
            runtime.block_on(db::cancel_running_queries());
            runtime.block_on(cmd::interrupted(signal.name()));
            eprintln!("interrupted ({})", signal.name());
            ExitCode::from(signal.exit_status())
        }
    }
}

/// The usage errors clap cannot see (status 2, printed as clap prints its own): `-o FILE`
/// whose extension names no format or another one than `-f`, an `--as-of` no data can
/// be as of, a grantee that may not be one.
fn refuse_usage(cli: &cli::Cli) {
    if let Err(message) = output::Output::format_of(cli.global.format, cli.global.output.as_deref()) {
        cli::Cli::command().error(clap::error::ErrorKind::InvalidValue, message).exit();
    }
    if let Some(as_of) = cli.global.as_of.filter(|_| !cli.global.allow_future) {
        if let Some(message) = cli::as_of_out_of_range(as_of, chrono::Utc::now()) {
            cli::Cli::command().error(clap::error::ErrorKind::ValueValidation, message).exit();
        }
    }
    if let cli::Command::Grants(args) = &cli.command {
        if let Some(message) = args.refused() {
            cli::Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message).exit();
        }
    }
}

/// `-v`: which settings file was read and which variables it set (never their values).
fn say_settings(env_file: &config::env_file::Loaded) {
    if let Some(file) = &env_file.file {
        let names = if env_file.names.is_empty() {
            "none that the environment lacked".to_string()
        } else {
            env_file.names.join(", ")
        };
        eprintln!("settings from {}: {names}", file.display());
    }
}

/// The signals that stop a command as Ctrl-C does.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Interrupt,
    Terminate,
}

impl Stop {
    fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number, as shells report a process a signal ended.
    fn exit_status(self) -> u8 {
        match self {
            Stop::Interrupt => 130,
            Stop::Terminate => 143,
        }
    }
}

/// The handlers of SIGINT (Ctrl-C) and SIGTERM, installed when made.
struct Stops {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Stops {
    fn install() -> Stops {
        use tokio::signal::unix::{signal, SignalKind};
        // a signal without a handler keeps its default action
        Stops {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// Resolves when either arrives.
    async fn next(mut self) -> Stop {
        let interrupt = async {
            match self.interrupt.as_mut() {
                Some(stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let terminate = async {
            match self.terminate.as_mut() {
                Some(stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = interrupt => Stop::Interrupt,
            _ = terminate => Stop::Terminate,
        }
    }
}
