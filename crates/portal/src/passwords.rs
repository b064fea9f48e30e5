//! Password hashing with Argon2id (the argon2 crate's defaults: m = 19 MiB, t = 2, p = 1,
//! OWASP's recommended minimum), and a check that does the same work for unknown users so
//! response time does not reveal which names exist.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// A hash nobody's password matches, verified in place of a missing user's.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("twofold-decoy-password").unwrap_or_default())
}

/// Checks `password` against `stored` (or a decoy when there is no such user). Slow on
/// purpose: call it from a blocking thread.
pub fn check_password(stored: Option<&str>, password: &str) -> bool {
    let (hash, real) = match stored {
        Some(hash) => (hash, true),
        None => (decoy_hash(), false),
    };
    let ok = match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    };
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_matches_and_wrong_one_does_not() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(check_password(Some(&hash), "correct horse"));
        assert!(!check_password(Some(&hash), "wrong horse"));
    }

    #[test]
    fn an_unknown_user_never_matches_even_the_decoy_password() {
        assert!(!check_password(None, "twofold-decoy-password"));
    }

    #[test]
    fn a_corrupt_stored_hash_fails_closed() {
        assert!(!check_password(Some("not a hash"), "anything"));
    }
}
