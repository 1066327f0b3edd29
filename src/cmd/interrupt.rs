//! What a command leaves to do when a signal (SIGINT, SIGTERM) stops it: each command
//! registers its own hooks while it runs (`on_interrupt`), and `main` runs those still
//! registered once the command's future is dropped. Nothing here knows any command.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

type Hook = Box<dyn FnOnce(&'static str) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

static HOOKS: Mutex<Vec<(u64, Hook)>> = Mutex::new(Vec::new());
static NEXT: Mutex<u64> = Mutex::new(0);

/// A registered hook, until `done` says its work no longer needs it. Dropping it leaves
/// it registered: a signal drops the command's future, and with it this guard, before
/// the hooks run.
#[must_use = "call done() once the hook is no longer needed"]
pub struct Registered(u64);

impl Registered {
    /// Unregisters the hook.
    pub fn done(self) {
        HOOKS.lock().unwrap_or_else(PoisonError::into_inner).retain(|(id, _)| *id != self.0);
    }
}

/// Runs `hook` with the signal's name if a signal stops the command before `done` is
/// called on the returned guard.
pub fn on_interrupt<F, Fut>(hook: F) -> Registered
where
    F: FnOnce(&'static str) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let id = {
        let mut next = NEXT.lock().unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        *next
    };
    let hook: Hook = Box::new(move |signal| Box::pin(hook(signal)));
    HOOKS.lock().unwrap_or_else(PoisonError::into_inner).push((id, hook));
    Registered(id)
}

/// Runs the hooks still registered, in the order they were, each once.
pub async fn run_hooks(signal: &'static str) {
    let hooks = std::mem::take(&mut *HOOKS.lock().unwrap_or_else(PoisonError::into_inner));
    for (_, hook) in hooks {
        hook(signal).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hook_marked_done_does_not_run_and_a_dropped_one_runs_once() {
        static RAN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
        on_interrupt(|_| async { RAN.lock().unwrap().push("done") }).done();
        // dropped as a signal drops the command's future: still registered
        drop(on_interrupt(|signal| async move { RAN.lock().unwrap().push(signal) }));
        run_hooks("SIGTERM").await;
        run_hooks("SIGINT").await;
        assert_eq!(*RAN.lock().unwrap(), vec!["SIGTERM"]);
    }
}
