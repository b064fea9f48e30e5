//! The desktop app lock's rules: the password is kept as an Argon2id hash (PHC string, never
//! the password), unlock attempts are throttled, and the app locks after a chosen idle time.
//!
//! The lock guards what the window shows (codes and account names), not the secrets: those
//! stay in the OS keyring, which anyone logged in as the user can read with or without the app.
//! Leaves out storing the hash, the clock and the randomness (the salt is passed in), so the
//! rules are tested here without I/O.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest app-lock password accepted, in characters. Short, because the lock guards the
/// screen against someone at the desk, and the throttle below makes guessing slow; a longer
/// one is the user's choice.
pub const MIN_PASSWORD_CHARS: usize = 4;

/// Shortest idle time the lock accepts, in seconds.
pub const MIN_IDLE_SECS: u64 = 5;

/// Wrong passwords allowed before each further attempt has to wait.
pub const FREE_ATTEMPTS: u32 = 3;

/// The longest wait between attempts, in seconds.
pub const MAX_WAIT_SECS: u64 = 300;

/// Why a lock password or setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockRuleError {
    #[error("the password must have at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("the idle time must be at least {min} seconds")]
    IdleTooShort { min: u64 },
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// Checks `password` against the rules and returns its Argon2id PHC string, salted with `salt`.
/// The parameters are Argon2's defaults (19 MiB, 2 passes): tens of milliseconds, once per
/// unlock, while each guess costs the same.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, LockRuleError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(LockRuleError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
    }
    let salt = SaltString::encode_b64(salt).map_err(|e| LockRuleError::Hash(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| LockRuleError::Hash(e.to_string()))
}

/// Whether `password` is the one `phc` was made from. A damaged hash matches nothing.
pub fn password_matches(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// Checks an idle time the user chose (`None`: never lock on idle).
pub fn check_idle(idle_secs: Option<u64>) -> Result<Option<u64>, LockRuleError> {
    match idle_secs {
        Some(secs) if secs < MIN_IDLE_SECS => {
            Err(LockRuleError::IdleTooShort { min: MIN_IDLE_SECS })
        }
        other => Ok(other),
    }
}

/// How long the next attempt must wait after `failures` wrong passwords in a row: nothing for
/// the first [`FREE_ATTEMPTS`], then 2 s, 4 s, 8 s… up to [`MAX_WAIT_SECS`].
pub fn wait_after(failures: u32) -> u64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS + 1).min(16);
    (1u64 << doublings).min(MAX_WAIT_SECS)
}

/// Seconds left before an attempt is heard, given the failures so far and when the last one
/// was (`now` before it, as after a clock change, counts as no time passed).
pub fn retry_after(failures: u32, last_failure_at: u64, now: u64) -> u64 {
    let until = last_failure_at.saturating_add(wait_after(failures));
    until.saturating_sub(now.max(last_failure_at))
}

/// Whether the app has been idle long enough to lock.
pub fn idle_expired(last_activity: u64, now: u64, idle_secs: Option<u64>) -> bool {
    idle_secs.is_some_and(|idle| now.saturating_sub(last_activity) >= idle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; 16] = [7; 16];

    #[test]
    fn the_hash_matches_its_password_only_and_does_not_contain_it() {
        let hash = hash_password("correct horse", &SALT).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct"));
        assert!(password_matches("correct horse", &hash));
        assert!(!password_matches("correct hors", &hash));
        assert!(!password_matches("", &hash));
    }

    #[test]
    fn a_damaged_hash_matches_no_password() {
        assert!(!password_matches("anything", "not a hash"));
        assert!(!password_matches("", ""));
    }

    #[test]
    fn a_short_password_is_refused_with_the_minimum() {
        assert_eq!(
            hash_password("abc", &SALT),
            Err(LockRuleError::PasswordTooShort { min: MIN_PASSWORD_CHARS })
        );
        // Characters, not bytes: four accented letters are enough.
        assert!(hash_password("éééé", &SALT).is_ok());
    }

    #[test]
    fn the_first_attempts_are_free_then_the_wait_doubles_up_to_the_cap() {
        assert_eq!((0..FREE_ATTEMPTS).map(wait_after).max(), Some(0));
        assert_eq!(wait_after(FREE_ATTEMPTS), 2);
        assert_eq!(wait_after(FREE_ATTEMPTS + 1), 4);
        assert_eq!(wait_after(FREE_ATTEMPTS + 2), 8);
        assert_eq!(wait_after(FREE_ATTEMPTS + 20), MAX_WAIT_SECS);
        assert_eq!(wait_after(u32::MAX), MAX_WAIT_SECS);
    }

    #[test]
    fn the_retry_time_counts_down_from_the_last_failure() {
        let f = FREE_ATTEMPTS + 1; // 4 s
        assert_eq!(retry_after(f, 1000, 1000), 4);
        assert_eq!(retry_after(f, 1000, 1003), 1);
        assert_eq!(retry_after(f, 1000, 1004), 0);
        assert_eq!(retry_after(0, 1000, 1000), 0);
        // A clock set back does not shorten the wait.
        assert_eq!(retry_after(f, 1000, 10), 4);
    }

    #[test]
    fn idle_time_locks_only_when_set_and_reached() {
        assert!(!idle_expired(100, 10_000, None));
        assert!(!idle_expired(100, 159, Some(60)));
        assert!(idle_expired(100, 160, Some(60)));
        assert!(!idle_expired(100, 50, Some(60)));
    }

    #[test]
    fn an_idle_time_under_the_minimum_is_refused() {
        assert_eq!(check_idle(Some(1)), Err(LockRuleError::IdleTooShort { min: MIN_IDLE_SECS }));
        assert_eq!(check_idle(Some(MIN_IDLE_SECS)), Ok(Some(MIN_IDLE_SECS)));
        assert_eq!(check_idle(None), Ok(None));
    }
}
