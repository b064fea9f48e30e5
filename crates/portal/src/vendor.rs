//! The vendor's Ed25519 public key that licenses are checked against, fixed at compile time.
//!
//! `TWOFOLD_VENDOR_PUBLIC_KEY` (base64, 32 bytes) names the real key in release builds;
//! without it the development key in `dev/` is trusted (see `dev/README.md`).

use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};

const DEV_PUBLIC_KEY: &str = "uEi/nl7KFDRn2CDc+KR0YMkpi+1po9G05Qyi+mR47p0=";

pub fn vendor_public_key() -> VerifyingKey {
    let encoded = option_env!("TWOFOLD_VENDOR_PUBLIC_KEY").unwrap_or(DEV_PUBLIC_KEY);
    decode_public_key(encoded).expect("TWOFOLD_VENDOR_PUBLIC_KEY must be base64 of 32 bytes")
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
}
