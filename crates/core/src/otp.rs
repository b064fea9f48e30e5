//! One-time codes: HOTP (RFC 4226) and TOTP (RFC 6238) over totp-rs, plus the small time and
//! display helpers around them.
//!
//! Leaves out the clock (callers pass `unix` seconds in), verification windows, replay and
//! throttling (see [`crate::verifier`]), and URI parsing (see [`crate::uri`]).

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroize;

use crate::secret::Secret;

/// The HMAC hash. SHA1 is the default because it is the one every phone app supports.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, Default,
)]
pub enum Algorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The spelling the Key Uri Format uses: `SHA1`, `SHA256`, `SHA512`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tolerant: any case, with or without `-`, `_` or spaces, with or without an `HMAC` prefix
/// (`sha1`, `SHA-256`, `HmacSHA512`), because exporters spell it every way.
impl FromStr for Algorithm {
    type Err = OtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let name = normalized.strip_prefix("hmac").unwrap_or(&normalized);
        match name {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            _ => Err(OtpError::UnknownAlgorithm(s.to_string())),
        }
    }
}

/// Why a code could not be computed.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum OtpError {
    /// RFC 4226 requires at least 6 digits; more than 8 exceeds what the 31-bit truncated
    /// value can spread evenly and what apps support.
    #[error("{0} digits is not supported (use 6 to 8)")]
    UnsupportedDigits(u32),
    #[error("the period must be at least one second")]
    ZeroPeriod,
    #[error("unknown algorithm {0:?} (use SHA1, SHA256 or SHA512)")]
    UnknownAlgorithm(String),
}

/// Accepted code lengths.
pub const DIGITS: std::ops::RangeInclusive<u32> = 6..=8;

fn check_digits(digits: u32) -> Result<(), OtpError> {
    if DIGITS.contains(&digits) {
        Ok(())
    } else {
        Err(OtpError::UnsupportedDigits(digits))
    }
}

/// HOTP value for `counter` (RFC 4226).
pub fn hotp(
    secret: &Secret,
    algorithm: Algorithm,
    digits: u32,
    counter: u64,
) -> Result<String, OtpError> {
    check_digits(digits)?;
    // TOTP with a 1-second step at time = counter is exactly HOTP(counter): RFC 6238 defines
    // TOTP as HOTP over floor(time / step).
    let mut generator = totp_rs::TOTP::new_unchecked(
        algorithm.to_totp_rs(),
        digits as usize,
        0,
        1,
        secret.as_bytes().to_vec(),
    );
    let code = generator.generate(counter);
    // totp-rs does not wipe its copy of the key; do it here.
    generator.secret.zeroize();
    Ok(code)
}

/// TOTP value at `unix` seconds (RFC 6238).
pub fn totp(
    secret: &Secret,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    unix: u64,
) -> Result<String, OtpError> {
    if period == 0 {
        return Err(OtpError::ZeroPeriod);
    }
    hotp(secret, algorithm, digits, time_step(unix, period))
}

/// The TOTP counter at `unix`: `unix / period`. A zero period has no meaningful step; it
/// yields 0 instead of panicking ([`totp`] rejects it with [`OtpError::ZeroPeriod`]).
pub fn time_step(unix: u64, period: u64) -> u64 {
    unix.checked_div(period).unwrap_or(0)
}

/// Seconds until the code shown at `unix` changes (1..=period). 0 for a zero period.
pub fn seconds_left(unix: u64, period: u64) -> u64 {
    match unix.checked_rem(period) {
        Some(elapsed) => period - elapsed,
        None => 0,
    }
}

/// Steam Guard's code alphabet: digits and consonants chosen to avoid look-alikes.
const STEAM_ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";

/// Steam Guard code at `unix`: RFC 6238 with HMAC-SHA1, but the 31-bit truncated value is
/// written as five base-26 characters of [`STEAM_ALPHABET`], least significant first.
pub fn steam(secret: &Secret, period: u64, unix: u64) -> Result<String, OtpError> {
    use hmac::{Hmac, Mac};
    if period == 0 {
        return Err(OtpError::ZeroPeriod);
    }
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(&time_step(unix, period).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // RFC 4226 §5.3 dynamic truncation; the digest is always 20 bytes, offset at most 15.
    let offset = usize::from(digest[19] & 0x0f);
    let mut value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    let mut code = String::with_capacity(5);
    for _ in 0..5 {
        code.push(char::from(STEAM_ALPHABET[(value % 26) as usize]));
        value /= 26;
    }
    Ok(code)
}

/// Splits a code in two for reading aloud or typing: "123 456", "123 4567", "1234 5678".
/// Codes of four characters or fewer are returned unchanged.
pub fn group_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 4 {
        return code.to_string();
    }
    // The shorter half first, as phone apps show 7-digit codes.
    let split = chars.len() / 2;
    let mut out = String::with_capacity(code.len() + 1);
    out.extend(&chars[..split]);
    out.push(' ');
    out.extend(&chars[split..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(bytes: &[u8]) -> Secret {
        Secret::from_bytes(bytes.to_vec()).unwrap()
    }

    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    #[test]
    fn hotp_matches_rfc4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let s = seed(SEED20);
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(&s, Algorithm::Sha1, 6, counter as u64).unwrap(), *code);
        }
    }

    const RFC6238_TIMES: [u64; 6] =
        [59, 1_111_111_109, 1_111_111_111, 1_234_567_890, 2_000_000_000, 20_000_000_000];

    fn check_rfc6238(algorithm: Algorithm, key: &[u8], expected: [&str; 6]) {
        let s = seed(key);
        for (time, code) in RFC6238_TIMES.iter().zip(expected) {
            assert_eq!(totp(&s, algorithm, 8, 30, *time).unwrap(), code, "{algorithm} {time}");
        }
    }

    #[test]
    fn totp_sha1_matches_rfc6238_appendix_b() {
        check_rfc6238(
            Algorithm::Sha1,
            SEED20,
            ["94287082", "07081804", "14050471", "89005924", "69279037", "65353130"],
        );
    }

    #[test]
    fn totp_sha256_matches_rfc6238_appendix_b() {
        check_rfc6238(
            Algorithm::Sha256,
            SEED32,
            ["46119246", "68084774", "67062674", "91819424", "90698825", "77737706"],
        );
    }

    #[test]
    fn totp_sha512_matches_rfc6238_appendix_b() {
        check_rfc6238(
            Algorithm::Sha512,
            SEED64,
            ["90693936", "25091201", "99943326", "93441116", "38618901", "47863826"],
        );
    }

    #[test]
    fn shorter_codes_are_the_low_digits_of_the_eight_digit_value() {
        // Truncation is value mod 10^digits, so 6 and 7 digits are suffixes of the 8-digit code.
        let s = seed(SEED20);
        assert_eq!(totp(&s, Algorithm::Sha1, 6, 30, 59).unwrap(), "287082");
        assert_eq!(totp(&s, Algorithm::Sha1, 7, 30, 59).unwrap(), "4287082");
        assert_eq!(totp(&s, Algorithm::Sha1, 6, 30, 1_111_111_109).unwrap(), "081804");
        assert_eq!(totp(&s, Algorithm::Sha1, 7, 30, 1_111_111_109).unwrap(), "7081804");
    }

    #[test]
    fn totp_equals_hotp_of_the_time_step() {
        let s = seed(SEED20);
        assert_eq!(
            totp(&s, Algorithm::Sha1, 6, 60, 1_234_567_890).unwrap(),
            hotp(&s, Algorithm::Sha1, 6, 1_234_567_890 / 60).unwrap()
        );
    }

    #[test]
    fn unsupported_digits_and_zero_period_are_errors() {
        let s = seed(SEED20);
        assert_eq!(hotp(&s, Algorithm::Sha1, 5, 0), Err(OtpError::UnsupportedDigits(5)));
        assert_eq!(hotp(&s, Algorithm::Sha1, 9, 0), Err(OtpError::UnsupportedDigits(9)));
        assert_eq!(totp(&s, Algorithm::Sha1, 6, 0, 59), Err(OtpError::ZeroPeriod));
    }

    #[test]
    fn algorithm_names_parse_tolerantly() {
        for (text, algorithm) in [
            ("sha1", Algorithm::Sha1),
            ("SHA1", Algorithm::Sha1),
            ("SHA-256", Algorithm::Sha256),
            ("sha_512", Algorithm::Sha512),
            ("HmacSHA256", Algorithm::Sha256),
        ] {
            assert_eq!(text.parse::<Algorithm>().unwrap(), algorithm, "{text}");
        }
        assert_eq!("md5".parse::<Algorithm>(), Err(OtpError::UnknownAlgorithm("md5".into())));
        assert_eq!(Algorithm::Sha256.as_str(), "SHA256");
        assert_eq!(Algorithm::default(), Algorithm::Sha1);
    }

    #[test]
    fn time_step_and_seconds_left_follow_the_period() {
        assert_eq!(time_step(59, 30), 1);
        assert_eq!(time_step(60, 30), 2);
        assert_eq!(seconds_left(59, 30), 1);
        assert_eq!(seconds_left(60, 30), 30);
        assert_eq!(time_step(59, 0), 0);
        assert_eq!(seconds_left(59, 0), 0);
    }

    #[test]
    fn steam_codes_are_five_characters_of_the_steam_alphabet() {
        let s = seed(SEED20);
        let code = steam(&s, 30, 59).unwrap();
        assert_eq!(code.len(), 5);
        assert!(code.bytes().all(|b| STEAM_ALPHABET.contains(&b)), "{code}");
        // Same step, same code; the next step gives another one.
        assert_eq!(steam(&s, 30, 31).unwrap(), code);
        assert_ne!(steam(&s, 30, 61).unwrap(), code);
        assert_eq!(steam(&s, 0, 59), Err(OtpError::ZeroPeriod));
    }

    #[test]
    fn codes_are_grouped_for_reading() {
        assert_eq!(group_code("123456"), "123 456");
        assert_eq!(group_code("1234567"), "123 4567");
        assert_eq!(group_code("12345678"), "1234 5678");
        assert_eq!(group_code("1234"), "1234");
        assert_eq!(group_code(""), "");
    }
}
