//! Stratum (formerly Authenticator Pro) unencrypted JSON backup: `Authenticators` with numeric
//! `Type` (1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex) and `Algorithm` (0 SHA1, 1 SHA256,
//! 2 SHA512).
//!
//! Leaves out encrypted backups (recognised by their header and reported as unsupported),
//! the app's internal database, categories and icons. mOTP and Yandex entries are skipped.

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

/// Imports a Stratum / Authenticator Pro plain JSON backup.
pub fn import_json(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    if is_encrypted(bytes) {
        return Err(ImportError::unsupported(FORMAT, "encrypted Stratum backups"));
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
