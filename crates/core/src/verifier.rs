//! Checking a submitted TOTP code: the acceptance window, replay rejection and per-user
//! lockout after consecutive failures.
//!
//! A pure function from (secret, code, time, state) to (verdict, new state). Leaves out the
//! clock, persisting the state (the store records it atomically per user), throttling per
//! client address (the portal's job, since it knows the address) and audit logging.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::otp::{self, Algorithm};
use crate::secret::Secret;

/// Tunables of the verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierPolicy {
    /// How many steps before the current one still count (RFC 6238 §5.2 recommends at most
    /// one step of network/typing delay). Future steps are never accepted.
    pub steps_back: u64,
    /// Consecutive failures that lock the user.
    pub max_failures: u32,
    /// How long the first lock lasts, in seconds; each further lock without an accepted code
    /// in between lasts twice as long as the one before, up to `max_lock_seconds`.
    pub lock_seconds: u64,
    /// The longest a lock lasts.
    pub max_lock_seconds: u64,
}

/// One step back, lock after 5 failures; the first lock lasts 15 minutes, then 30, 60, …
/// up to a day.
///
/// Why 5: with two acceptable codes per attempt out of 10^6, five guesses give an attacker
/// who already has the password a 1-in-100,000 chance per lock period, while NIST SP 800-63B
/// only caps attempts at 100; a user who mistypes five times in a row is rare. Why locks
/// that expire by themselves: a permanent lock would let anyone who knows a username lock
/// that user out for good, and an admin can still unlock earlier. Why doubling: a fixed
/// 15-minute lock leaves 96 lock periods, 480 guesses, a day (about 1 in 1,000 per day);
/// doubling leaves 7 lock periods (35 guesses) on the first day and 5 guesses on each day
/// after (see docs/RELIABILITY.md for the figures).
impl Default for VerifierPolicy {
    fn default() -> Self {
        VerifierPolicy {
            steps_back: 1,
            max_failures: 5,
            lock_seconds: 900,
            max_lock_seconds: 86_400,
        }
    }
}

impl VerifierPolicy {
    /// How long the lock after `previous_locks` earlier ones (since the last accepted code)
    /// lasts.
    pub fn lock_duration(&self, previous_locks: u32) -> u64 {
        let factor = 1u64.checked_shl(previous_locks.min(63)).unwrap_or(u64::MAX);
        self.lock_seconds.saturating_mul(factor).min(self.max_lock_seconds.max(self.lock_seconds))
    }
}

/// Per-user verifier memory, persisted between sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VerifierState {
    /// Time step of the last accepted code; codes at or before it are replays.
    pub last_accepted_step: Option<u64>,
    /// Failures since the last accepted code (or since the last lock expired).
    pub consecutive_failures: u32,
    /// Unix time the current lock ends, if any.
    pub locked_until: Option<u64>,
    /// Locks since the last accepted code (or admin unlock): each lasts twice the one before.
    pub locks: u32,
}

impl VerifierState {
    /// Whether codes are refused at `unix` without being looked at.
    pub fn is_locked(&self, unix: u64) -> bool {
        self.locked_until.is_some_and(|until| until > unix)
    }

    /// Admin unlock: clears failures, the lock and the lock count. The last accepted step is
    /// kept, so unlocking can never re-open a replay.
    pub fn unlocked(self) -> Self {
        VerifierState { consecutive_failures: 0, locked_until: None, locks: 0, ..self }
    }

    /// An expired lock: failures start again, but the lock count stays, so the next lock
    /// lasts longer.
    fn lock_expired(self) -> Self {
        VerifierState { consecutive_failures: 0, locked_until: None, ..self }
    }
}

/// The outcome of one code submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The code is right and new: `step` is now the last accepted step.
    Accepted { step: u64 },
    /// Wrong code. `locked_until` is set if this failure locked the user.
    Rejected { failures: u32, locked_until: Option<u64> },
    /// A right code for a step already used: refused, and not counted as a failure. A user
    /// who submits the same code twice (a double click, a second tab) must not lock
    /// themselves out, and an observer who saw a code typed learns nothing by retrying it:
    /// only codes of already used steps get here, and a used step never opens again.
    Replayed,
    /// The user is locked; the code was not checked.
    Locked { until: u64 },
    /// Not a code at all (wrong length or not digits). Counts as a failure like a wrong code,
    /// so malformed input cannot be used for unthrottled probing; the new state tells whether
    /// it locked the user. Exception: if the verifier's own parameters are invalid (digits
    /// outside 6..=8, zero period) nothing can match, and the state is left unchanged since
    /// the fault is not the user's.
    Malformed,
}

/// Verifies `code` against the TOTP for `secret` at `unix`.
///
/// The code is trimmed and inner spaces removed (people type "123 456"). The candidate steps
/// are the current one and up to `policy.steps_back` before it; all candidates are computed
/// and compared in constant time, so timing does not reveal which step (if any) matched.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    secret: &Secret,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    code: &str,
    unix: u64,
    state: VerifierState,
    policy: &VerifierPolicy,
) -> (Verdict, VerifierState) {
    if let Some(until) = state.locked_until.filter(|until| *until > unix) {
        return (Verdict::Locked { until }, state);
    }
    if !otp::DIGITS.contains(&digits) || period == 0 {
        return (Verdict::Malformed, state);
    }

    let mut state = state;
    if state.locked_until.is_some() {
        state = state.lock_expired();
    }

    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        let state = record_failure(state, unix, policy);
        return (Verdict::Malformed, state);
    }

    let current = otp::time_step(unix, period);
    let mut found = Choice::from(0);
    let mut matched_step = 0u64;
    // Newest first, so on the (one in a million) chance that two steps share a code, the
    // newest wins and a still-fresh code is not mistaken for a replay.
    for back in 0..=policy.steps_back {
        let Some(step) = current.checked_sub(back) else { break };
        let Ok(expected) = otp::hotp(secret, algorithm, digits, step) else {
            // Unreachable: parameters were checked above. Fail closed all the same.
            return (Verdict::Malformed, state);
        };
        let equal = expected.as_bytes().ct_eq(code.as_bytes());
        matched_step = u64::conditional_select(&matched_step, &step, equal & !found);
        found |= equal;
    }

    if !bool::from(found) {
        let state = record_failure(state, unix, policy);
        let verdict = Verdict::Rejected {
            failures: state.consecutive_failures,
            locked_until: state.locked_until,
        };
        return (verdict, state);
    }
    if state.last_accepted_step.is_some_and(|last| last >= matched_step) {
        return (Verdict::Replayed, state);
    }
    let state = VerifierState {
        last_accepted_step: Some(matched_step),
        consecutive_failures: 0,
        locked_until: None,
        locks: 0,
    };
    (Verdict::Accepted { step: matched_step }, state)
}

fn record_failure(state: VerifierState, unix: u64, policy: &VerifierPolicy) -> VerifierState {
    let failures = state.consecutive_failures.saturating_add(1);
    if failures >= policy.max_failures {
        let until = unix.saturating_add(policy.lock_duration(state.locks));
        return VerifierState {
            consecutive_failures: failures,
            locked_until: Some(until),
            locks: state.locks.saturating_add(1),
            ..state
        };
    }
    VerifierState { consecutive_failures: failures, ..state }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step boundary: T % 30 == 0.
    const T: u64 = 1_234_567_890;

    fn secret() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    fn code_at(unix: u64) -> String {
        otp::totp(&secret(), Algorithm::Sha1, 6, 30, unix).unwrap()
    }

    fn check(code: &str, unix: u64, state: VerifierState) -> (Verdict, VerifierState) {
        verify(&secret(), Algorithm::Sha1, 6, 30, code, unix, state, &VerifierPolicy::default())
    }

    fn wrong_code(unix: u64) -> String {
        // A code valid at none of the candidate steps.
        let candidates = [code_at(unix), code_at(unix - 30)];
        (0..1_000_000).map(|n| format!("{n:06}")).find(|c| !candidates.contains(c)).unwrap()
    }

    #[test]
    fn code_for_current_step_is_accepted() {
        let (verdict, state) = check(&code_at(T), T + 5, VerifierState::default());
        assert_eq!(verdict, Verdict::Accepted { step: T / 30 });
        assert_eq!(state.last_accepted_step, Some(T / 30));
    }

    #[test]
    fn code_from_one_step_back_is_accepted() {
        let (verdict, _) = check(&code_at(T - 30), T, VerifierState::default());
        assert_eq!(verdict, Verdict::Accepted { step: T / 30 - 1 });
    }

    #[test]
    fn code_from_two_steps_back_is_rejected() {
        let (verdict, state) = check(&code_at(T - 60), T, VerifierState::default());
        assert_eq!(verdict, Verdict::Rejected { failures: 1, locked_until: None });
        assert_eq!(state.consecutive_failures, 1);
    }

    #[test]
    fn code_from_next_step_is_rejected() {
        let (verdict, _) = check(&code_at(T + 30), T, VerifierState::default());
        assert!(matches!(verdict, Verdict::Rejected { failures: 1, .. }));
    }

    #[test]
    fn replayed_code_in_same_step_is_rejected() {
        let (_, state) = check(&code_at(T), T, VerifierState::default());
        let (verdict, state) = check(&code_at(T), T + 10, state);
        assert_eq!(verdict, Verdict::Replayed);
        assert_eq!(state.last_accepted_step, Some(T / 30));
    }

    #[test]
    fn replaying_a_just_accepted_code_never_locks_the_user() {
        let (_, mut state) = check(&code_at(T), T, VerifierState::default());
        for n in 0..20 {
            let (verdict, next) = check(&code_at(T), T + n, state);
            assert_eq!(verdict, Verdict::Replayed);
            state = next;
        }
        assert_eq!(state.consecutive_failures, 0);
        assert!(!state.is_locked(T + 20));
        let (verdict, _) = check(&code_at(T + 30), T + 30, state);
        assert!(matches!(verdict, Verdict::Accepted { .. }));
    }

    #[test]
    fn older_code_after_newer_accepted_is_a_replay() {
        let (_, state) = check(&code_at(T), T, VerifierState::default());
        let (verdict, _) = check(&code_at(T - 30), T + 1, state);
        assert!(matches!(verdict, Verdict::Replayed));
    }

    #[test]
    fn next_step_code_is_accepted_after_previous() {
        let (_, state) = check(&code_at(T), T, VerifierState::default());
        let (verdict, state) = check(&code_at(T + 30), T + 30, state);
        assert_eq!(verdict, Verdict::Accepted { step: T / 30 + 1 });
        assert_eq!(state.last_accepted_step, Some(T / 30 + 1));
    }

    #[test]
    fn accepted_code_resets_failures() {
        let (_, state) = check(&wrong_code(T), T, VerifierState::default());
        assert_eq!(state.consecutive_failures, 1);
        let (_, state) = check(&code_at(T), T, state);
        assert_eq!(state.consecutive_failures, 0);
    }

    #[test]
    fn fifth_consecutive_failure_locks_for_fifteen_minutes() {
        let wrong = wrong_code(T);
        let mut state = VerifierState::default();
        for n in 1..=4 {
            let (verdict, next) = check(&wrong, T, state);
            assert_eq!(verdict, Verdict::Rejected { failures: n, locked_until: None });
            state = next;
        }
        let (verdict, state) = check(&wrong, T, state);
        assert_eq!(verdict, Verdict::Rejected { failures: 5, locked_until: Some(T + 900) });
        assert!(state.is_locked(T + 899));
        assert!(!state.is_locked(T + 900));
    }

    fn locked_state() -> VerifierState {
        VerifierState {
            last_accepted_step: None,
            consecutive_failures: 5,
            locked_until: Some(T + 900),
            locks: 1,
        }
    }

    /// Five wrong codes at `unix`, starting from `state`.
    fn five_wrong(mut state: VerifierState, unix: u64) -> VerifierState {
        let wrong = wrong_code(unix);
        for _ in 0..5 {
            state = check(&wrong, unix, state).1;
        }
        state
    }

    #[test]
    fn each_lock_without_a_good_code_between_lasts_twice_as_long_up_to_a_day() {
        let mut state = VerifierState::default();
        let mut now = T;
        let mut lengths = Vec::new();
        for _ in 0..9 {
            state = five_wrong(state, now);
            let until = state.locked_until.unwrap();
            lengths.push(until - now);
            now = until;
        }
        assert_eq!(lengths, [900, 1800, 3600, 7200, 14_400, 28_800, 57_600, 86_400, 86_400],);
    }

    #[test]
    fn an_accepted_code_ends_the_escalation() {
        let state = five_wrong(VerifierState::default(), T);
        let state = five_wrong(state, T + 900);
        assert_eq!(state.locks, 2);
        let after = T + 900 + 1800;
        let (verdict, state) = check(&code_at(after), after, state);
        assert!(matches!(verdict, Verdict::Accepted { .. }));
        let state = five_wrong(state, after + 30);
        assert_eq!(state.locked_until, Some(after + 30 + 900));
    }

    #[test]
    fn an_attacker_gets_thirty_five_guesses_on_the_first_day_with_escalating_locks() {
        // An attacker with the password guesses as fast as the lock allows for a day.
        let (mut state, mut now, mut guesses) = (VerifierState::default(), T, 0u32);
        let day_end = T + 86_400;
        while now < day_end {
            state = five_wrong(state, now);
            guesses += 5;
            now = state.locked_until.unwrap();
        }
        assert_eq!(guesses, 35);
    }

    #[test]
    fn locked_user_is_refused_even_with_correct_code() {
        let state = locked_state();
        let (verdict, after) = check(&code_at(T + 60), T + 60, state);
        assert_eq!(verdict, Verdict::Locked { until: T + 900 });
        assert_eq!(after, state);
    }

    #[test]
    fn lock_expires_and_failures_start_again() {
        let (verdict, state) = check(&code_at(T + 900), T + 900, locked_state());
        assert_eq!(verdict, Verdict::Accepted { step: (T + 900) / 30 });
        assert_eq!(state.locked_until, None);

        let (verdict, _) = check(&wrong_code(T + 900), T + 900, locked_state());
        assert_eq!(verdict, Verdict::Rejected { failures: 1, locked_until: None });
    }

    #[test]
    fn admin_unlock_clears_lock_but_keeps_last_step() {
        let state = VerifierState { last_accepted_step: Some(7), ..locked_state() };
        let unlocked = state.unlocked();
        assert_eq!(unlocked.locks, 0);
        assert_eq!(unlocked, VerifierState { last_accepted_step: Some(7), ..Default::default() });
        let (verdict, _) = check(&code_at(T + 60), T + 60, unlocked);
        assert!(matches!(verdict, Verdict::Accepted { .. }));
    }

    #[test]
    fn spaces_in_typed_code_are_ignored() {
        let code = code_at(T);
        let typed = format!("  {} {}\n", &code[..3], &code[3..]);
        let (verdict, _) = check(&typed, T, VerifierState::default());
        assert!(matches!(verdict, Verdict::Accepted { .. }));
    }

    #[test]
    fn non_digit_or_wrong_length_input_is_malformed_and_counts() {
        for input in ["12345a", "12345", "1234567", "", "١٢٣٤٥٦", "12-456"] {
            let (verdict, state) = check(input, T, VerifierState::default());
            assert_eq!(verdict, Verdict::Malformed, "{input:?}");
            assert_eq!(state.consecutive_failures, 1, "{input:?}");
        }
    }

    #[test]
    fn malformed_input_can_lock_the_user() {
        let state = VerifierState { consecutive_failures: 4, ..Default::default() };
        let (verdict, state) = check("abc", T, state);
        assert_eq!(verdict, Verdict::Malformed);
        assert_eq!(state.locked_until, Some(T + 900));
    }

    #[test]
    fn invalid_verifier_parameters_fail_closed_without_penalty() {
        let policy = VerifierPolicy::default();
        let state = VerifierState::default();
        let (verdict, after) =
            verify(&secret(), Algorithm::Sha1, 6, 0, "123456", T, state, &policy);
        assert_eq!((verdict, after), (Verdict::Malformed, state));
        let (verdict, after) =
            verify(&secret(), Algorithm::Sha1, 9, 30, "123456789", T, state, &policy);
        assert_eq!((verdict, after), (Verdict::Malformed, state));
    }

    #[test]
    fn window_does_not_underflow_at_time_zero() {
        let (verdict, _) = check(&code_at(0), 0, VerifierState::default());
        assert_eq!(verdict, Verdict::Accepted { step: 0 });
    }

    #[test]
    fn wider_window_accepts_older_codes() {
        let policy = VerifierPolicy { steps_back: 2, ..Default::default() };
        let (verdict, _) = verify(
            &secret(),
            Algorithm::Sha1,
            6,
            30,
            &code_at(T - 60),
            T,
            VerifierState::default(),
            &policy,
        );
        assert_eq!(verdict, Verdict::Accepted { step: T / 30 - 2 });
    }
}
