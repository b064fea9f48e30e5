//! Adding an account by hand: the form's fields as the user typed them ([`ManualEntry`]) are
//! checked one by one, and either become an [`OtpAuth`] or a list of [`FieldError`]s — one per
//! field that needs fixing, each with a stable code the UI translates and the values it names.
//!
//! Leaves out storing (the vault) and duplicate detection (the vault refuses duplicates).
//! The key typed in is held only in this struct and wiped when it is dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use twofold_core::otp::DIGITS;
use twofold_core::{Algorithm, OtpAuth, OtpKind, Secret, SecretError, STEAM_DIGITS};
use zeroize::Zeroize;

/// Keys shorter than this are refused: a typo far more often than a real key (real keys are
/// 16 characters = 80 bits, or 32 = 160 bits).
pub const MIN_SECRET_BITS: usize = 80;
/// Longest issuer or account name accepted (a sanity bound, far above real names).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest period accepted: a day. Real services use 30 s, sometimes 15 or 60.
pub const MAX_PERIOD_SECS: u64 = 86_400;

/// The add-by-hand form. Every field is text as typed; the advanced ones may be empty, which
/// means the Key Uri Format default (TOTP, SHA1, 6 digits, 30 s, counter 0).
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct ManualEntry {
    pub issuer: String,
    pub account: String,
    pub secret: SecretText,
    /// `totp`, `hotp` or `steam`.
    pub kind: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    pub digits: String,
    pub period: String,
    pub counter: String,
}

/// The key as typed, wiped from memory when dropped.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<&str> for SecretText {
    fn from(text: &str) -> SecretText {
        SecretText(text.to_string())
    }
}

impl std::fmt::Debug for ManualEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualEntry")
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("secret", &"<redacted>")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What is wrong with one field. `code` picks the translated message
/// (`authenticator.field_error.CODE`), `params` fills it; `message` is the English text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
    pub params: BTreeMap<&'static str, String>,
}

impl FieldError {
    fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
        FieldError { field, code, message: message.into(), params: BTreeMap::new() }
    }

    fn with(mut self, name: &'static str, value: impl ToString) -> FieldError {
        self.params.insert(name, value.to_string());
        self
    }
}

impl ManualEntry {
    /// Checks every field (all of them, so the form can mark each problem at once) and builds
    /// the account.
    pub fn validate(&self) -> Result<OtpAuth, Vec<FieldError>> {
        let mut errors = Vec::new();
        let issuer = self.issuer.trim();
        if issuer.chars().count() > MAX_NAME_CHARS {
            errors.push(too_long("issuer"));
        }
        let account = self.account.trim();
        if account.is_empty() {
            errors.push(FieldError::new(
                "account",
                "required",
                "enter the account name (often your e-mail address or user name)",
            ));
        } else if account.chars().count() > MAX_NAME_CHARS {
            errors.push(too_long("account"));
        }
        let secret = check_secret(&self.secret.0).map_err(|e| errors.push(e)).ok();

        let kind = match self.kind.trim().to_ascii_lowercase().as_str() {
            "" | "totp" => Some(Kind::Totp),
            "hotp" => Some(Kind::Hotp),
            "steam" => Some(Kind::Steam),
            other => {
                errors.push(
                    FieldError::new(
                        "kind",
                        "unknown_kind",
                        format!("unknown type {other:?} (use TOTP, HOTP or Steam)"),
                    )
                    .with("value", other),
                );
                None
            }
        };
        let algorithm = match self.algorithm.trim() {
            "" => Some(Algorithm::Sha1),
            text => match text.parse::<Algorithm>() {
                Ok(a) => Some(a),
                Err(_) => {
                    errors.push(
                        FieldError::new(
                            "algorithm",
                            "unknown_algorithm",
                            "use SHA1, SHA256 or SHA512",
                        )
                        .with("value", text),
                    );
                    None
                }
            },
        };
        let digits = if kind == Some(Kind::Steam) {
            Some(STEAM_DIGITS)
        } else {
            match self.digits.trim() {
                "" => Some(6),
                text => match text.parse::<u32>() {
                    Ok(d) if DIGITS.contains(&d) => Some(d),
                    _ => {
                        errors.push(
                            FieldError::new("digits", "bad_digits", "codes have 6, 7 or 8 digits")
                                .with("value", text),
                        );
                        None
                    }
                },
            }
        };
        let period = match self.period.trim() {
            "" => Some(30),
            text => match text.parse::<u64>() {
                Ok(p) if (1..=MAX_PERIOD_SECS).contains(&p) => Some(p),
                _ => {
                    if kind != Some(Kind::Hotp) {
                        errors.push(
                            FieldError::new("period", "bad_period", format!("the period is a number of seconds from 1 to {MAX_PERIOD_SECS} (usually 30)"))
                                .with("value", text)
                                .with("max", MAX_PERIOD_SECS),
                        );
                    }
                    None
                }
            },
        };
        let counter = match self.counter.trim() {
            "" => Some(0),
            text => match text.parse::<u64>() {
                Ok(c) if c <= i64::MAX as u64 => Some(c),
                _ => {
                    if kind == Some(Kind::Hotp) {
                        errors.push(
                            FieldError::new(
                                "counter",
                                "bad_counter",
                                "the counter is a whole number, 0 or more",
                            )
                            .with("value", text),
                        );
                    }
                    None
                }
            },
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        // Every Option below is Some: each None pushed an error above (period and counter
        // only for the kind that uses them, and then the other one is not read).
        let (Some(secret), Some(kind), Some(algorithm), Some(digits)) =
            (secret, kind, algorithm, digits)
        else {
            return Err(vec![FieldError::new("secret", "required", "enter the key")]);
        };
        let kind = match kind {
            Kind::Totp => OtpKind::Totp { period: period.unwrap_or(30) },
            Kind::Steam => OtpKind::Steam { period: period.unwrap_or(30) },
            Kind::Hotp => OtpKind::Hotp { counter: counter.unwrap_or(0) },
        };
        let algorithm =
            if matches!(kind, OtpKind::Steam { .. }) { Algorithm::Sha1 } else { algorithm };
        Ok(OtpAuth {
            issuer: (!issuer.is_empty()).then(|| issuer.to_string()),
            account: account.to_string(),
            secret,
            algorithm,
            digits,
            kind,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Totp,
    Hotp,
    Steam,
}

fn too_long(field: &'static str) -> FieldError {
    FieldError::new(field, "too_long", format!("at most {MAX_NAME_CHARS} characters"))
        .with("max", MAX_NAME_CHARS)
}

fn check_secret(text: &str) -> Result<Secret, FieldError> {
    let secret = Secret::from_base32(text).map_err(|e| match e {
        SecretError::Empty => FieldError::new(
            "secret",
            "required",
            "enter the key shown by the site (letters A–Z and digits 2–7)",
        ),
        SecretError::InvalidBase32 { position, character } => FieldError::new(
            "secret",
            "bad_character",
            format!(
                "{character:?} at position {} is not a key character (letters A–Z and digits 2–7)",
                position + 1
            ),
        )
        .with("character", character)
        .with("position", position + 1),
        SecretError::TooShort { .. } => {
            FieldError::new("secret", "too_short", "the key is too short")
        }
    })?;
    if secret.bits() < MIN_SECRET_BITS {
        return Err(FieldError::new(
            "secret",
            "too_short",
            format!("the key has {} bits; keys are at least {MIN_SECRET_BITS} bits (16 characters) — check for a missing part", secret.bits()),
        )
        .with("bits", secret.bits())
        .with("min", MIN_SECRET_BITS));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(account: &str, secret: &str) -> ManualEntry {
        ManualEntry {
            issuer: "Example".into(),
            account: account.into(),
            secret: secret.into(),
            ..ManualEntry::default()
        }
    }

    fn codes(e: &ManualEntry) -> Vec<(&'static str, &'static str)> {
        e.validate().err().unwrap_or_default().iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn empty_advanced_fields_give_the_key_uri_defaults() {
        let auth = entry(" alice@example.com ", "jbsw y3dp-ehpk 3pxp").validate().unwrap();
        assert_eq!(auth.account, "alice@example.com");
        assert_eq!(auth.issuer.as_deref(), Some("Example"));
        assert_eq!(auth.kind, OtpKind::Totp { period: 30 });
        assert_eq!((auth.algorithm, auth.digits), (Algorithm::Sha1, 6));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut e = entry("", "JBSWY3DP!HPK3PXP");
        e.digits = "9".into();
        e.period = "0".into();
        e.algorithm = "MD5".into();
        assert_eq!(
            codes(&e),
            [
                ("account", "required"),
                ("secret", "bad_character"),
                ("algorithm", "unknown_algorithm"),
                ("digits", "bad_digits"),
                ("period", "bad_period")
            ]
        );
        let errors = e.validate().unwrap_err();
        let bad = errors.iter().find(|f| f.field == "secret").unwrap();
        assert_eq!(bad.params["position"], "9");
        assert_eq!(bad.params["character"], "!");
    }

    #[test]
    fn a_key_shorter_than_80_bits_is_refused_as_a_probable_typo() {
        assert_eq!(codes(&entry("a", "JBSWY3DP")), [("secret", "too_short")]);
        assert_eq!(codes(&entry("a", "")), [("secret", "required")]);
    }

    #[test]
    fn hotp_takes_the_counter_and_ignores_the_period() {
        let mut e = entry("a", "JBSWY3DPEHPK3PXP");
        e.kind = "HOTP".into();
        e.counter = "7".into();
        e.period = "nonsense".into();
        assert_eq!(e.validate().unwrap().kind, OtpKind::Hotp { counter: 7 });
        e.counter = "-1".into();
        assert_eq!(codes(&e), [("counter", "bad_counter")]);
    }

    #[test]
    fn steam_always_has_five_characters_and_sha1() {
        let mut e = entry("a", "JBSWY3DPEHPK3PXP");
        e.kind = "steam".into();
        e.digits = "8".into();
        e.algorithm = "SHA512".into();
        let auth = e.validate().unwrap();
        assert_eq!((auth.digits, auth.algorithm), (STEAM_DIGITS, Algorithm::Sha1));
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let e = entry("a", "JBSWY3DPEHPK3PXP");
        assert!(!format!("{e:?}").contains("JBSW"));
    }
}
