//! Stratum (formerly Authenticator Pro) unencrypted JSON backup: `Authenticators` with numeric
//! `Type` (1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex) and `Algorithm` (0 SHA1, 1 SHA256,
//! 2 SHA512).
//!
//! Encrypted backups come in two kinds, told apart by their 16-byte header: the current one,
//! `AUTHENTICATORPRO` + 16-byte salt + 12-byte nonce + AES-256-GCM, the key from Argon2id
//! (64 MiB, 3 passes, 4 lanes); and the legacy one, `AuthenticatorPro` + 20-byte salt +
//! 16-byte IV + AES-256-CBC, the key from PBKDF2-SHA1 (64,000 rounds). Both hold the JSON.
//!
//! Leaves out the app's internal database (see [`super::app_databases`]), categories and
//! icons. mOTP and Yandex entries are skipped.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, json, Format, ImportError, ImportReport, RawEntry, RawKind};

const FORMAT: Format = Format::Stratum;

/// Headers of the encrypted formats (current, and the legacy one).
const ENCRYPTED_HEADERS: [&[u8]; 2] = [b"AUTHENTICATORPRO", b"AuthenticatorPro"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    authenticators: Vec<Authenticator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Authenticator {
    #[serde(rename = "Type")]
    kind: u32,
    issuer: Option<String>,
    username: Option<String>,
    secret: Option<Zeroizing<String>>,
    algorithm: Option<u32>,
    digits: Option<u64>,
    period: Option<u64>,
    counter: Option<u64>,
}

const STRONG_HEADER: &[u8] = b"AUTHENTICATORPRO";
const LEGACY_HEADER: &[u8] = b"AuthenticatorPro";
const STRONG_SALT: usize = 16;
const STRONG_NONCE: usize = 12;
const LEGACY_SALT: usize = 20;
const LEGACY_ROUNDS: u32 = 64_000;

/// Imports a Stratum / Authenticator Pro backup: plain JSON, or either encrypted kind with
/// `password`.
pub fn import(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    if !is_encrypted(bytes) {
        return import_json(bytes);
    }
    let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
    let plain = if bytes.starts_with(STRONG_HEADER) {
        open_strong(bytes, password)?
    } else {
        open_legacy(bytes, password)?
    };
    import_json(&plain)
}

fn open_strong(bytes: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let rest = &bytes[STRONG_HEADER.len()..];
    if rest.len() < STRONG_SALT + STRONG_NONCE {
        return Err(ImportError::Truncated { format: FORMAT });
    }
    let (salt, rest) = rest.split_at(STRONG_SALT);
    let (nonce, sealed) = rest.split_at(STRONG_NONCE);
    let params = argon2::Params::new(65_536, 3, 4, Some(32))
        .map_err(|e| ImportError::malformed(FORMAT, e.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, &mut *key)
        .map_err(|e| ImportError::malformed(FORMAT, e.to_string()))?;
    super::crypto::open(FORMAT, &key, nonce, sealed)?
        .ok_or(ImportError::WrongPassword { format: FORMAT })
}

fn open_legacy(bytes: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    use super::crypto::BLOCK_LEN;
    let rest = &bytes[LEGACY_HEADER.len()..];
    if rest.len() < LEGACY_SALT + BLOCK_LEN {
        return Err(ImportError::Truncated { format: FORMAT });
    }
    let (salt, rest) = rest.split_at(LEGACY_SALT);
    let (iv, sealed) = rest.split_at(BLOCK_LEN);
    let key = super::crypto::pbkdf2_sha1(password, salt, LEGACY_ROUNDS);
    let iv: &[u8; BLOCK_LEN] =
        iv.try_into().map_err(|_| ImportError::Truncated { format: FORMAT })?;
    super::crypto::cbc_decrypt(FORMAT, &key, iv, sealed)?
        .ok_or(ImportError::WrongPassword { format: FORMAT })
}

/// Imports a Stratum / Authenticator Pro plain JSON backup.
pub fn import_json(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    if is_encrypted(bytes) {
        return Err(ImportError::PasswordRequired { format: FORMAT });
    }
    let file: File = json::parse(FORMAT, bytes)?;
    let mut report = ImportReport::new(FORMAT);
    for a in file.authenticators {
        let account = a.username.clone().unwrap_or_default();
        let label = super::label(a.issuer.as_deref(), &account);
        report.push(|| label, entry(a, account));
    }
    Ok(report)
}

/// Whether `bytes` start like an encrypted Stratum backup.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    ENCRYPTED_HEADERS.iter().any(|h| bytes.starts_with(h))
}

fn entry(a: Authenticator, account: String) -> Result<crate::OtpAuth, String> {
    let kind = match a.kind {
        1 => RawKind::Hotp,
        2 => RawKind::Totp,
        4 => RawKind::Steam,
        3 => return Err("mOTP accounts are not supported".into()),
        5 => return Err("Yandex accounts are not supported".into()),
        other => return Err(format!("unknown account type {other}")),
    };
    let algorithm = match a.algorithm.unwrap_or(0) {
        0 => "SHA1",
        1 => "SHA256",
        2 => "SHA512",
        other => return Err(format!("unknown algorithm {other}")),
    };
    let mut raw = RawEntry::new(a.issuer, account, kind);
    raw.secret = match &a.secret {
        Some(s) => base32_secret(s),
        None => Err("the entry has no secret".into()),
    };
    raw.algorithm = Some(algorithm.into());
    raw.digits = a.digits;
    raw.period = a.period;
    raw.counter = a.counter;
    raw.build()
}
