//! `ctodb completions SHELL` and `ctodb man [--dir DIR]`: what a shell and `man` need,
//! made from the command-line definition itself (so they never disagree with `--help`).
//! Neither reads a configuration or a database.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use super::Outcome;
use crate::cli::{Cli, Command, ManArgs};

/// Runs `completions` or `man`; any other command is not one of these (None).
pub fn run(command: &Command) -> Option<Result<Outcome>> {
    match command {
        Command::Completions { shell } => Some(completions(*shell)),
        Command::Man(args) => Some(man(args)),
        _ => None,
    }
}

pub fn completions(shell: clap_complete::Shell) -> Result<Outcome> {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ctodb", &mut buffer);
    write_stdout(&buffer)
}

pub fn man(args: &ManArgs) -> Result<Outcome> {
    let command = Cli::command();
    match &args.dir {
        None => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(command).render(&mut buffer).context("cannot render the manual page")?;
            write_stdout(&buffer)
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
            crate::ui::info(&format!("wrote {} manual pages into {}", count_pages(dir), dir.display()));
            Ok(Outcome::Success)
        }
    }
}

fn count_pages(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.file_name().to_string_lossy().starts_with("ctodb"))
                .count()
        })
        .unwrap_or(0)
}

fn write_stdout(bytes: &[u8]) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write to standard output")?,
    }
    Ok(Outcome::Success)
}
