//! TOTP time for tests: the current 30-second step and waits that line a test up with step
//! boundaries, so code sequences are deterministic. These waits follow the wall clock the
//! portal also reads (same machine); they never stand in for waiting on an event.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The TOTP period the portal issues.
pub const PERIOD: u64 = 30;

/// Seconds since the Unix epoch, with the fraction.
pub fn now_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs_f64()
}

/// Whole seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    now_f64() as u64
}

/// The time step that `unix` falls in.
pub fn step_of(unix: u64) -> u64 {
    unix / PERIOD
}

/// First second of `step`.
pub fn start_of(step: u64) -> u64 {
    step * PERIOD
}

/// Makes sure at least `needed` seconds remain in the current step (waiting for the next step
/// to begin if not) and returns the current step. `needed` must be below the period.
pub async fn room_in_current_step(needed: u64) -> u64 {
    assert!(needed < PERIOD, "a step is only {PERIOD} s long");
    let now = now_f64();
    let left = PERIOD as f64 - now % PERIOD as f64;
    if left < needed as f64 {
        sleep_until(start_of(step_of(now as u64) + 1)).await;
    }
    step_of(now_unix())
}

/// Waits until a step later than `step` has begun (at most one period) and returns it.
pub async fn step_after(step: u64) -> u64 {
    sleep_until(start_of(step + 1)).await;
    step_of(now_unix())
}

async fn sleep_until(unix: u64) {
    let now = now_f64();
    if (unix as f64) > now {
        // A few milliseconds past the boundary so that whole-second readings agree.
        tokio::time::sleep(Duration::from_secs_f64(unix as f64 - now + 0.005)).await;
    }
}
