//! The shared OTP secret: generation from a caller-supplied CSPRNG, tolerant base32 input and
//! strict base32 output.
//!
//! Leaves out storage and encryption at rest (the store's job) and reading the OS random source
//! (the caller passes an RNG in, so this crate stays free of I/O).

use std::fmt;

use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Why a secret could not be built.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// No key bytes at all (empty input, or only separators and padding).
    #[error("the secret is empty")]
    Empty,
    /// A character that is not in the base32 alphabet. `position` is the 0-based character
    /// index in the text as given (before spaces and dashes were removed), so the message can
    /// point at the very character the user typed.
    #[error("invalid character {character:?} at position {} of the secret", .position + 1)]
    InvalidBase32 { position: usize, character: char },
    /// The secret is shorter than a required minimum (see [`Secret::ensure_min_bits`]).
    #[error("the secret has only {bits} bits, at least {min_bits} are required")]
    TooShort { bits: usize, min_bits: usize },
}

/// An HMAC key shared between the verifier and the authenticator.
///
/// The bytes are wiped on drop; `Debug` prints a redaction and there is deliberately no
/// `Display`, so a secret cannot end up in a log line by accident.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Length of secrets the portal issues: 160 bits, the size RFC 4226 §4 recommends and the
    /// one every phone app accepts (32 base32 characters, no padding).
    pub const PORTAL_LEN: usize = 20;

    /// A fresh portal secret of [`Secret::PORTAL_LEN`] bytes drawn from `rng`.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Secret {
        let mut bytes = Zeroizing::new(vec![0u8; Self::PORTAL_LEN]);
        rng.fill_bytes(&mut bytes);
        Secret(bytes)
    }

    /// Wraps raw key bytes. Any non-empty length is accepted: imported accounts (80-bit keys
    /// are common) must keep working, so strength is checked separately where it matters.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Secret, SecretError> {
        let bytes = Zeroizing::new(bytes);
        if bytes.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(bytes))
    }

    /// Decodes base32 (RFC 4648 alphabet) the way people and apps actually write it: any case,
    /// spaces and dashes anywhere, `=` padding at the end present, partial or missing.
    ///
    /// Trailing bits that do not fill a byte are ignored rather than rejected, as phone apps
    /// do; rejecting them would refuse keys those apps happily use.
    pub fn from_base32(text: &str) -> Result<Secret, SecretError> {
        // Upper bound: 5 bits per character.
        let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8 + 1));
        let mut buffer: u32 = 0;
        let mut bits: u32 = 0;
        let mut padding_started = false;
        for (position, character) in text.chars().enumerate() {
            if character == ' ' || character == '-' || character.is_ascii_whitespace() {
                continue;
            }
            if character == '=' {
                padding_started = true;
                continue;
            }
            // Padding is only legal at the end; data after it means a garbled paste.
            let value = match base32_value(character) {
                Some(v) if !padding_started => v,
                _ => return Err(SecretError::InvalidBase32 { position, character }),
            };
            buffer = (buffer << 5) | u32::from(value);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((buffer >> bits) as u8);
                // Keep only the bits not yet emitted so the buffer never overflows.
                buffer &= (1 << bits) - 1;
            }
        }
        buffer.zeroize();
        if out.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(out))
    }

    /// The raw key bytes (for HMAC, or for the store to encrypt).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Key length in bits.
    pub fn bits(&self) -> usize {
        self.0.len() * 8
    }

    /// Fails with [`SecretError::TooShort`] if the key has fewer than `min_bits` bits (RFC 4226
    /// §4 asks for at least 128). Not applied by the constructors; see [`Secret::from_bytes`].
    pub fn ensure_min_bits(&self, min_bits: usize) -> Result<(), SecretError> {
        if self.bits() < min_bits {
            return Err(SecretError::TooShort { bits: self.bits(), min_bits });
        }
        Ok(())
    }

    /// Strict output: upper case, unpadded RFC 4648 base32 (20 bytes give 32 characters).
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.0))
    }

    /// The base32 text in groups of four separated by single spaces, for typing by hand.
    pub fn to_grouped_base32(&self) -> Zeroizing<String> {
        let plain = self.to_base32();
        // Reserve exactly, so the string never reallocates and leaves unwiped copies behind.
        let mut grouped = Zeroizing::new(String::with_capacity(plain.len() + plain.len() / 4));
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                grouped.push(' ');
            }
            grouped.push(c);
        }
        grouped
    }
}

fn base32_value(c: char) -> Option<u8> {
    match c {
        'A'..='Z' => Some(c as u8 - b'A'),
        'a'..='z' => Some(c as u8 - b'a'),
        '2'..='7' => Some(c as u8 - b'2' + 26),
        _ => None,
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Constant-time comparison: equality of secrets should not leak where they differ.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    const RFC_SEED: &[u8] = b"12345678901234567890";
    const RFC_SEED_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn generated_secret_is_twenty_bytes_and_32_base32_chars() {
        let mut rng = StdRng::seed_from_u64(7);
        let s = Secret::generate(&mut rng);
        assert_eq!(s.as_bytes().len(), Secret::PORTAL_LEN);
        assert_eq!(s.to_base32().len(), 32);
        assert!(!s.to_base32().contains('='));
    }

    #[test]
    fn two_generated_secrets_differ() {
        let mut rng = StdRng::seed_from_u64(7);
        assert_ne!(Secret::generate(&mut rng), Secret::generate(&mut rng));
    }

    #[test]
    fn base32_round_trips_upper_case_unpadded() {
        let s = Secret::from_bytes(RFC_SEED.to_vec()).unwrap();
        assert_eq!(s.to_base32().as_str(), RFC_SEED_B32);
        assert_eq!(Secret::from_base32(&s.to_base32()).unwrap().as_bytes(), RFC_SEED);
    }

    #[test]
    fn base32_input_tolerates_case_spaces_dashes_and_padding() {
        for text in [
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
            "gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
            "  GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
        ] {
            assert_eq!(Secret::from_base32(text).unwrap().as_bytes(), RFC_SEED, "{text}");
        }
    }

    #[test]
    fn padding_may_be_full_partial_or_missing() {
        // "foob" is 4 bytes: 7 base32 chars + 1 padding char.
        for text in ["MZXW6YQ=", "MZXW6YQ", "mzxw6yq = ", "MZXW6YQ=="] {
            assert_eq!(Secret::from_base32(text).unwrap().as_bytes(), b"foob", "{text}");
        }
    }

    #[test]
    fn invalid_character_reports_its_position() {
        assert_eq!(
            Secret::from_base32("GEZD GNB1"),
            Err(SecretError::InvalidBase32 { position: 8, character: '1' })
        );
        let message = Secret::from_base32("AB8").unwrap_err().to_string();
        assert!(message.contains("'8'") && message.contains("position 3"), "{message}");
    }

    #[test]
    fn data_after_padding_is_rejected() {
        assert_eq!(
            Secret::from_base32("MZXW=6YQ"),
            Err(SecretError::InvalidBase32 { position: 5, character: '6' })
        );
    }

    #[test]
    fn empty_inputs_are_rejected() {
        assert_eq!(Secret::from_base32(""), Err(SecretError::Empty));
        assert_eq!(Secret::from_base32(" - ="), Err(SecretError::Empty));
        // One character is only 5 bits: not a whole byte.
        assert_eq!(Secret::from_base32("A"), Err(SecretError::Empty));
        assert_eq!(Secret::from_bytes(Vec::new()).unwrap_err(), SecretError::Empty);
    }

    #[test]
    fn non_ascii_input_is_rejected_not_panicking() {
        assert_eq!(
            Secret::from_base32("ÄBCD"),
            Err(SecretError::InvalidBase32 { position: 0, character: 'Ä' })
        );
    }

    #[test]
    fn grouped_base32_has_groups_of_four() {
        let s = Secret::from_bytes(RFC_SEED.to_vec()).unwrap();
        assert_eq!(s.to_grouped_base32().as_str(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        let short = Secret::from_bytes(b"foob".to_vec()).unwrap();
        assert_eq!(short.to_grouped_base32().as_str(), "MZXW 6YQ");
    }

    #[test]
    fn debug_output_is_redacted() {
        let s = Secret::from_bytes(RFC_SEED.to_vec()).unwrap();
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret(redacted)");
        assert!(!shown.contains("GEZD") && !shown.contains("1234"));
    }

    #[test]
    fn short_secret_fails_minimum_strength_check() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(); // 80 bits
        assert_eq!(s.bits(), 80);
        assert_eq!(s.ensure_min_bits(128), Err(SecretError::TooShort { bits: 80, min_bits: 128 }));
        assert!(s.ensure_min_bits(80).is_ok());
    }
}
