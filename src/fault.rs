//! Fault points for the tests (debug builds only; release builds compile them to nothing).
//! At a named step, `CTODB_CRASH_AT=<step>` stops the process dead (abort, as kill -9
//! would: no destructor runs, no temporary file is removed), and `CTODB_PAUSE_AT=<step>`
//! waits there (`pause_point`), so that a test can act at exactly that step.

fn named(variable: &str, step: &str) -> bool {
    cfg!(debug_assertions) && std::env::var(variable).is_ok_and(|at| at == step)
}

/// A step where a crash can be injected: `export:written`, `export:swapped`.
pub fn point(step: &str) {
    if named("CTODB_CRASH_AT", step) {
        eprintln!("ctodb: crashing at {step} (CTODB_CRASH_AT)");
        std::process::abort();
    }
}

/// A step where a crash or a pause can be injected: `import:merged`,
/// `import:committed`, `export:first-table`, `refresh:locked`, `github:read`. The pause lasts until the file CTODB_RESUME_FILE names exists
/// (at most a minute), or ten seconds without one.
pub async fn pause_point(step: &str) {
    point(step);
    if !named("CTODB_PAUSE_AT", step) {
        return;
    }
    eprintln!("ctodb: pausing at {step} (CTODB_PAUSE_AT)");
    let Some(resume) = std::env::var_os("CTODB_RESUME_FILE") else {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        return;
    };
    let started = std::time::Instant::now();
    while !std::path::Path::new(&resume).exists() && started.elapsed() < std::time::Duration::from_secs(60) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
