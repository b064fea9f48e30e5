//! Runs a blocking call on its own thread and gives up waiting after a deadline, so a keyring
//! that never answers (an unlock prompt nobody sees, a stopped daemon) cannot hang the app.
//!
//! Leaves out cancelling the call: a thread stuck in D-Bus cannot be interrupted. Instead the
//! caller stops waiting, and an `undo` step runs on the worker if the abandoned call finishes
//! later, so a write that lands after the caller was told "timed out" is taken back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The call did not finish before the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

enum Slot<T> {
    Waiting,
    Done(T),
    /// The caller gave up; whatever the worker produces now is the worker's to clean up.
    Abandoned,
}

/// Counts calls that were abandoned but are still running. While one is, the keyring is
/// evidently stuck (the store also serialises calls behind one mutex), so new calls fail at
/// once instead of each waiting out the full timeout.
#[derive(Clone, Default)]
pub(crate) struct StuckCalls(Arc<AtomicUsize>);

impl StuckCalls {
    pub(crate) fn any(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
}

/// Runs `op` on a new thread and waits at most `timeout` for it. If the wait ends first,
/// `undo` is applied to the result when it eventually arrives.
pub(crate) fn run_bounded<T, Op, Undo>(
    timeout: Duration,
    stuck: &StuckCalls,
    op: Op,
    undo: Undo,
) -> Result<T, Elapsed>
where
    T: Send + 'static,
    Op: FnOnce() -> T + Send + 'static,
    Undo: FnOnce(T) + Send + 'static,
{
    let shared = Arc::new((Mutex::new(Slot::Waiting), Condvar::new()));
    let worker_shared = Arc::clone(&shared);
    let worker_stuck = stuck.clone();
    let spawned = thread::Builder::new().name("twofold-keyring".into()).spawn(move || {
        let result = op();
        let (lock, ready) = &*worker_shared;
        let mut slot = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if matches!(*slot, Slot::Abandoned) {
            drop(slot);
            undo(result);
            worker_stuck.0.fetch_sub(1, Ordering::SeqCst);
        } else {
            *slot = Slot::Done(result);
            ready.notify_all();
        }
    });
    if spawned.is_err() {
        // No thread means no call was made; report it like an unanswered keyring.
        return Err(Elapsed);
    }

    let deadline = Instant::now() + timeout;
    let (lock, ready) = &*shared;
    let mut slot = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        if matches!(*slot, Slot::Done(_)) {
            return match std::mem::replace(&mut *slot, Slot::Abandoned) {
                Slot::Done(value) => Ok(value),
                _ => Err(Elapsed),
            };
        }
        let now = Instant::now();
        if now >= deadline {
            // Decided under the lock: the worker either already stored its result (handled
            // above) or will see `Abandoned` and undo.
            *slot = Slot::Abandoned;
            stuck.0.fetch_add(1, Ordering::SeqCst);
            return Err(Elapsed);
        }
        slot = ready
            .wait_timeout(slot, deadline - now)
            .map(|(guard, _)| guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_quick_call_returns_its_value() {
        let stuck = StuckCalls::default();
        let value = run_bounded(Duration::from_secs(5), &stuck, || 42, |_| {});
        assert_eq!(value, Ok(42));
        assert!(!stuck.any());
    }

    #[test]
    fn a_call_that_never_answers_times_out_and_its_late_result_is_undone() {
        let stuck = StuckCalls::default();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (undone_tx, undone_rx) = mpsc::channel::<u32>();
        let result = run_bounded(
            Duration::from_millis(50),
            &stuck,
            move || {
                // Blocks until the test lets it go, like a keyring waiting for a prompt.
                let _ = release_rx.recv();
                7
            },
            move |late| {
                let _ = undone_tx.send(late);
            },
        );
        assert_eq!(result, Err(Elapsed));
        assert!(stuck.any(), "the abandoned call is still running");
        release_tx.send(()).unwrap();
        assert_eq!(undone_rx.recv().unwrap(), 7);
        // The worker decrements after undo; wait for the thread's bookkeeping.
        while stuck.any() {
            thread::yield_now();
        }
    }
}
