//! andOTP backups: the plain JSON array (`otp_accounts_*.json`) and the encrypted `.bin`.
//!
//! Encrypted, new format (andOTP 0.6.3 and later): 4-byte big-endian PBKDF2 iteration count,
//! 12-byte salt, 12-byte GCM nonce, then AES-256-GCM ciphertext+tag; the key is
//! PBKDF2-HMAC-SHA1(password, salt). Old format: 12-byte nonce then ciphertext+tag, the key
//! is SHA-256(password). Neither has a header, so the new layout is tried first and the old
//! one if its tag does not verify. Old exports have no `issuer` field but a label
//! `Issuer - label` (and the label itself often `Issuer:account`); the issuer is split off at
//! the first ` - `, the rest kept as the file has it. Leaves out tags, thumbnails and usage counts; MOTP entries are
//! skipped.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, crypto, json, Format, ImportError, ImportReport, RawEntry, RawKind};

const FORMAT: Format = Format::AndOtp;
const ITERATIONS_LEN: usize = 4;
const SALT_LEN: usize = 12;
/// Bounds on the iteration count read from the file: andOTP picks 140 000 to 160 000. Outside
/// this range the bytes are not a new-format header (or a crafted file wants to burn CPU).
const ITERATIONS: std::ops::RangeInclusive<u32> = 1_000..=10_000_000;

#[derive(Deserialize)]
struct Entry {
    secret: Option<Zeroizing<String>>,
    issuer: Option<String>,
    #[serde(default)]
    label: String,
    digits: Option<u64>,
    #[serde(rename = "type")]
    entry_type: String,
    algorithm: Option<String>,
    period: Option<u64>,
    counter: Option<u64>,
}

/// Imports a plain andOTP JSON backup.
pub fn import_json(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let entries: Vec<Entry> = json::parse(FORMAT, bytes)?;
    let mut report = ImportReport::new(FORMAT);
    for entry in entries {
        let (issuer, account) = split_old_label(entry.issuer.clone(), &entry.label);
        let label = super::label(issuer.as_deref(), &account);
        report.push(|| label, build(entry, issuer, account));
    }
    Ok(report)
}

/// Imports an encrypted andOTP backup (either key derivation).
pub fn import_encrypted(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
    if bytes.len() < crypto::NONCE_LEN + crypto::TAG_LEN {
        return Err(ImportError::Truncated { format: FORMAT });
    }
    if let Some(plain) = open_new(bytes, password)? {
        return import_json(&plain);
    }
    let (nonce, sealed) = bytes.split_at(crypto::NONCE_LEN);
    let key = crypto::sha256(password);
    match crypto::open(FORMAT, &key, nonce, sealed)? {
        Some(plain) => import_json(&plain),
        None => Err(ImportError::WrongPassword { format: FORMAT }),
    }
}

fn open_new(bytes: &[u8], password: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ImportError> {
    let header = ITERATIONS_LEN + SALT_LEN + crypto::NONCE_LEN;
    let (Some(count), Some(salt), Some(nonce), Some(sealed)) = (
        bytes.get(..ITERATIONS_LEN),
        bytes.get(ITERATIONS_LEN..ITERATIONS_LEN + SALT_LEN),
        bytes.get(ITERATIONS_LEN + SALT_LEN..header),
        bytes.get(header..),
    ) else {
        return Ok(None);
    };
    let iterations = u32::from_be_bytes([count[0], count[1], count[2], count[3]]);
    if !ITERATIONS.contains(&iterations) || sealed.len() < crypto::TAG_LEN {
        return Ok(None);
    }
    let key = crypto::pbkdf2_sha1(password, salt, iterations);
    crypto::open(FORMAT, &key, nonce, sealed)
}

/// Old exports: no issuer field, `Issuer - label` in the label.
fn split_old_label(issuer: Option<String>, label: &str) -> (Option<String>, String) {
    match (issuer, label.split_once(" - ")) {
        (None, Some((issuer, label))) => (Some(issuer.to_string()), label.to_string()),
        (issuer, _) => (issuer, label.to_string()),
    }
}

fn build(entry: Entry, issuer: Option<String>, account: String) -> Result<crate::OtpAuth, String> {
    let kind = RawKind::parse(&entry.entry_type)?;
    let mut raw = RawEntry::new(issuer, account, kind);
    raw.secret = match &entry.secret {
        Some(s) => base32_secret(s),
        None => Err("the entry has no secret".into()),
    };
    raw.algorithm = entry.algorithm;
    raw.digits = entry.digits;
    raw.period = entry.period;
    raw.counter = entry.counter;
    raw.build()
}
