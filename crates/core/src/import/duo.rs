//! Duo Mobile's account list, `files/duokit/accounts.json` taken from a rooted phone: a JSON
//! array of accounts, each with a `name` and an `otpGenerator` holding the base32
//! `otpSecret` and, for HOTP accounts only, a `counter`.
//!
//! Duo stores no issuer, algorithm, digit count or period: the accounts are SHA-1, 6 digits,
//! 30 s (the Key Uri Format defaults Duo uses), with no issuer. An account without an
//! `otpGenerator` (a Duo Push-only account) has no code to import and is skipped. Leaves out
//! logos and Duo Push keys.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, json, Format, ImportError, ImportReport, RawEntry, RawKind};

const FORMAT: Format = Format::Duo;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    #[serde(default)]
    name: String,
    otp_generator: Option<Generator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Generator {
    otp_secret: Option<Zeroizing<String>>,
    counter: Option<u64>,
}

/// Imports Duo Mobile's `accounts.json`.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let accounts: Vec<Account> = json::parse(FORMAT, bytes)?;
    let mut report = ImportReport::new(FORMAT);
    for account in accounts {
        let label = super::label(None, &account.name);
        let entry = match account.otp_generator {
            None => Err("the account has no one-time-code generator (push only)".into()),
            Some(generator) => {
                // A counter is what marks an HOTP account: TOTP ones have none.
                let kind = if generator.counter.is_some() { RawKind::Hotp } else { RawKind::Totp };
                let mut raw = RawEntry::new(None, account.name, kind);
                raw.secret = match &generator.otp_secret {
                    Some(secret) => base32_secret(secret),
                    None => Err("the entry has no secret".into()),
                };
                raw.counter = generator.counter;
                raw.build()
            }
        };
        report.push(|| label, entry);
    }
    Ok(report)
}
