//! FreeOTP+ JSON export (`freeotp-backup.json`): `tokens`, each with the secret as an array
//! of signed bytes (Java's `byte[]`), plus `tokenOrder`.
//!
//! The HOTP `counter` is stored as the app keeps it (the next code is shown at counter + 1)
//! and imported unchanged. FreeOTP+'s internal `tokens.xml` holds the same tokens in FreeOTP 1's
//! layout and is read by [`super::freeotp`]; FreeOTP 2's encrypted store by
//! [`super::freeotp_v2`]. Leaves out images.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{json, Format, ImportError, ImportReport, RawEntry, RawKind};
use crate::secret::Secret;

const FORMAT: Format = Format::FreeOtpPlus;

#[derive(Deserialize)]
struct File {
    tokens: Vec<Token>,
}

/// One token as FreeOTP and FreeOTP+ both serialize it (the JSON export's `tokens` entries,
/// and each value of the `tokens.xml` preference file).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Token {
    algo: Option<String>,
    counter: Option<u64>,
    digits: Option<u64>,
    issuer_ext: Option<String>,
    issuer_int: Option<String>,
    #[serde(default)]
    label: String,
    period: Option<u64>,
    /// Absent from FreeOTP 2's token JSON, which keeps the key apart, encrypted.
    #[serde(default)]
    pub(crate) secret: Zeroizing<Vec<i8>>,
    #[serde(rename = "type")]
    token_type: String,
}

/// Imports a FreeOTP+ JSON export.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let file: File = json::parse(FORMAT, bytes)?;
    let mut report = ImportReport::new(FORMAT);
    for token in file.tokens {
        let (label, entry) = entry(&token);
        report.push(|| label, entry);
    }
    Ok(report)
}

/// One token's label for the skipped list, and the account or why it was skipped.
pub(crate) fn entry(token: &Token) -> (String, Result<crate::OtpAuth, String>) {
    // issuerExt is what the user sees; issuerInt is the one from the original URI.
    let issuer = token.issuer_ext.clone().filter(|i| !i.is_empty()).or(token.issuer_int.clone());
    let label = super::label(issuer.as_deref(), &token.label);
    let entry = RawKind::parse(&token.token_type).and_then(|kind| {
        let mut raw = RawEntry::new(issuer, token.label.clone(), kind);
        // Java bytes are signed; the bit pattern is the key byte.
        let bytes: Vec<u8> = token.secret.iter().map(|b| *b as u8).collect();
        raw.secret = Secret::from_bytes(bytes).map_err(|e| e.to_string());
        raw.algorithm = token.algo.clone();
        raw.digits = token.digits;
        raw.period = token.period;
        raw.counter = token.counter;
        raw.build()
    });
    (label, entry)
}
