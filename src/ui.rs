//! What ctodb says on stderr besides results: warnings, `-v` query timings, the slow-query
//! log, progress bars. Results themselves go through `output`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static VERBOSE: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);
static SLOW_QUERY_MS: AtomicU64 = AtomicU64::new(1000);

pub fn configure(verbose: bool, quiet: bool, slow_query: Duration) {
    VERBOSE.store(verbose, Ordering::Relaxed);
    QUIET.store(quiet, Ordering::Relaxed);
    SLOW_QUERY_MS.store(slow_query.as_millis() as u64, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A line for `-v`.
pub fn verbose(message: &str) {
    if VERBOSE.load(Ordering::Relaxed) {
        eprintln!("ctodb: {message}");
    }
}

/// A line the user should see unless they asked for `-q`.
pub fn info(message: &str) {
    if !is_quiet() {
        eprintln!("{message}");
    }
}

/// A warning: always shown, even with `-q`.
/// A warning on stderr; `-q` silences it too (errors are never silenced).
pub fn warn(message: &str) {
    if !is_quiet() {
        eprintln!("warning: {message}");
    }
}

/// Every helper reports its time here: printed with `-v`, and logged when slower than
/// CTODB_SLOW_QUERY_MS whatever the verbosity. Parameter values never reach this.
pub fn query_timing(helper: &str, elapsed: Duration) {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if VERBOSE.load(Ordering::Relaxed) {
        eprintln!("ctodb: query {helper} took {ms:.1} ms");
    } else if elapsed.as_millis() as u64 >= SLOW_QUERY_MS.load(Ordering::Relaxed) {
        eprintln!("ctodb: slow query {helper} took {ms:.0} ms");
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with `-q`.
pub fn progress(total: u64, label: &str) -> ProgressBar {
    bar(total, label, "{prefix:>16} [{bar:30}] {human_pos}/{human_len} rows  {per_sec:0}  {msg} eta {eta}")
}

/// A bar of `total` with `template`, on stderr unless `-q` or stderr is not a terminal.
fn bar(total: u64, label: &str, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if is_quiet() || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_string());
    bar
}

/// Files this large or larger get a progress bar while they are read (imports).
const FILE_PROGRESS_MIN_BYTES: u64 = 4 << 20;

/// A reader that advances a progress bar by the bytes read through it: a bar for a
/// regular file of 4 MiB or more, on stderr, hidden when stderr is not a terminal or with
/// `-q` (smaller files and pipes read too fast to need one, or have no known length).
pub struct ProgressRead<R> {
    inner: R,
    bar: Option<ProgressBar>,
}

impl<R> ProgressRead<R> {
    pub fn new(inner: R, path: &std::path::Path, label: &str) -> ProgressRead<R> {
        let size = std::fs::metadata(path).ok().filter(|m| m.is_file()).map_or(0, |m| m.len());
        let bar = (size >= FILE_PROGRESS_MIN_BYTES).then(|| {
            bar(size, label, "{prefix:>16} [{bar:30}] {bytes}/{total_bytes}  {bytes_per_sec}  eta {eta}")
        });
        ProgressRead { inner, bar }
    }
}

impl<R: std::io::Read> std::io::Read for ProgressRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            if n == 0 {
                bar.finish_and_clear();
            } else {
                bar.inc(n as u64);
            }
        }
        Ok(n)
    }
}

impl<R> Drop for ProgressRead<R> {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remembers a password so that no message can show it.
pub fn register_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    if let Ok(mut secrets) = SECRETS.lock() {
        secrets.push(secret.to_string());
    }
}

/// Replaces every registered secret in a message with `***`. A secret of fewer than four
/// characters is replaced only where it stands alone (not inside a word: a password `x`
/// leaves "expected" readable).
pub fn redact(message: &str) -> String {
    let mut text = message.to_string();
    if let Ok(secrets) = SECRETS.lock() {
        for secret in secrets.iter() {
            text = if secret.chars().count() >= 4 {
                text.replace(secret.as_str(), "***")
            } else {
                redact_token(&text, secret)
            };
        }
    }
    text
}

/// `text` with each occurrence of `secret` that no letter or digit touches replaced.
fn redact_token(text: &str, secret: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(secret) {
        let after = &rest[at + secret.len()..];
        out.push_str(&rest[..at]);
        let alone = !word(out.chars().next_back()) && !word(after.chars().next());
        out.push_str(if alone { "***" } else { secret });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_token;

    #[test]
    fn a_short_secret_is_hidden_where_it_stands_alone_only() {
        assert_eq!(redact_token("password x; expected y", "x"), "password ***; expected y");
        assert_eq!(redact_token("\"ab\" then abc and ab", "ab"), "\"***\" then abc and ***");
    }
}
