//! The vendor's Ed25519 public key that licenses are checked against, fixed at compile time.
//!
//! `TWOFOLD_VENDOR_PUBLIC_KEY` (base64, 32 bytes) names the real key. Without it a build
//! trusts the development key in `dev/`, whose private half is committed, so anyone can sign
//! licenses for such a build (see `dev/README.md`). That is allowed only where it cannot ship
//! by accident:
//!
//! - debug builds (`debug_assertions`): `cargo build`, `cargo test`, `make run`, `make test`;
//! - builds that opt in with the cargo feature `dev-vendor-key` (e.g. a release build for a
//!   benchmark).
//!
//! A release build with neither does not compile. Whenever the development key is the one in
//! use, the license status says so (`development_key` in the admin API, a line in `license
//! status`), see [`is_development_key`].

use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};

/// The public half of `dev/vendor-dev.key`.
const DEV_PUBLIC_KEY: &str = "uEi/nl7KFDRn2CDc+KR0YMkpi+1po9G05Qyi+mR47p0=";

/// Whether this build may fall back to the development key.
const DEV_KEY_ALLOWED: bool = cfg!(debug_assertions) || cfg!(feature = "dev-vendor-key");

/// The base64 public key this build trusts, chosen at compile time. A `const`, so a release
/// build without the real key fails to compile (a panic in a constant is a compile error)
/// instead of quietly trusting a key whose private half is public.
const TRUSTED_KEY: &str = match option_env!("TWOFOLD_VENDOR_PUBLIC_KEY") {
    // Base64 of 32 bytes is 44 characters; anything else cannot be the key.
    Some(key) if key.trim_ascii().len() == 44 => key,
    Some(_) => panic!("TWOFOLD_VENDOR_PUBLIC_KEY must be base64 of the 32-byte Ed25519 public key"),
    None if DEV_KEY_ALLOWED => DEV_PUBLIC_KEY,
    None => panic!(
        "a release build of twofold-portal needs the vendor's public key: set \
         TWOFOLD_VENDOR_PUBLIC_KEY (base64 of 32 bytes) at compile time, or build with \
         `--features dev-vendor-key` to trust the development key (anyone can sign licenses \
         for such a build; never ship it)"
    ),
};

/// Evaluated in every build, used or not, so the choice above is always checked.
const _: &str = TRUSTED_KEY;

/// What `license status` and the portal's log say when the development key is in use.
pub const DEVELOPMENT_KEY_WARNING: &str = "this build trusts the development vendor key \
    (crates/portal/dev/vendor-dev.key, whose private half is public): anyone can issue licenses \
    it accepts; release builds set TWOFOLD_VENDOR_PUBLIC_KEY";

pub fn vendor_public_key() -> VerifyingKey {
    decode_public_key(TRUSTED_KEY).expect("TWOFOLD_VENDOR_PUBLIC_KEY must be base64 of 32 bytes")
}

/// The development key's public half, to recognise it wherever it is in use.
pub fn development_public_key() -> VerifyingKey {
    decode_public_key(DEV_PUBLIC_KEY).expect("the development key constant is valid")
}

/// Whether `key` is the development key: true for a build without the real key, and also
/// for one whose `TWOFOLD_VENDOR_PUBLIC_KEY` was set to the development key by mistake.
pub fn is_development_key(key: &VerifyingKey) -> bool {
    *key == development_public_key()
}

pub fn decode_public_key(encoded: &str) -> Option<VerifyingKey> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

/// Reads a signing key file: base64 of the 32-byte seed.
pub fn decode_signing_key(text: &str) -> Option<SigningKey> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()?;
    Some(SigningKey::from_bytes(&bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_development_key_pair_matches() {
        let seed = include_str!("../dev/vendor-dev.key");
        let signing = decode_signing_key(seed).unwrap();
        assert_eq!(signing.verifying_key(), decode_public_key(DEV_PUBLIC_KEY).unwrap());
    }

    #[test]
    fn the_development_key_is_recognised_and_another_key_is_not() {
        assert!(is_development_key(&development_public_key()));
        let other = SigningKey::from_bytes(&[42; 32]).verifying_key();
        assert!(!is_development_key(&other));
    }

    #[test]
    fn a_build_without_the_real_key_trusts_the_development_key() {
        // Tests are debug builds (or opt in), so without the real key the fallback applies.
        const { assert!(DEV_KEY_ALLOWED) };
        match option_env!("TWOFOLD_VENDOR_PUBLIC_KEY") {
            None => assert!(is_development_key(&vendor_public_key())),
            Some(real) => assert_eq!(TRUSTED_KEY, real),
        }
    }
}
