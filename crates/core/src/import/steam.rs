//! Steam Guard secrets as steamguard-cli (and Steam Desktop Authenticator before it) keeps
//! them: a `.maFile`, one JSON object per account with the base64 `shared_secret` and the
//! `account_name`, or the newer shape with every account under `accounts`, keyed by name.
//!
//! Codes are Steam Guard's (5 characters, SHA-1, 30 s); the issuer is "Steam" and the account
//! the Steam login name. The `uri` field repeats the secret as an `otpauth://` URI and is not
//! needed. Leaves out the identity secret (for trade confirmations), the revocation code and
//! session data; encrypted maFiles (steamguard-cli's `manifest.json` with `encrypted: true`)
//! are not JSON objects of this shape and are not recognised.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use super::{crypto, json, Format, ImportError, ImportReport, RawEntry, RawKind};
use crate::secret::Secret;

const FORMAT: Format = Format::Steam;
const ISSUER: &str = "Steam";

/// Either shape: a lone maFile's fields at the top, or `accounts`. (Not `serde(flatten)`,
/// which would buffer the secrets in copies that are never wiped.)
#[derive(Deserialize)]
struct File {
    accounts: Option<Accounts>,
    shared_secret: Option<Zeroizing<String>>,
    account_name: Option<String>,
}

#[derive(Deserialize)]
struct MaFile {
    shared_secret: Option<Zeroizing<String>>,
    account_name: Option<String>,
}

/// The `accounts` object's values, in file order (a map type would sort them by key).
struct Accounts(Vec<MaFile>);

impl<'de> Deserialize<'de> for Accounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Accounts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of steamguard accounts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Accounts, A::Error> {
                let mut accounts = Vec::new();
                while let Some((_, account)) = map.next_entry::<serde::de::IgnoredAny, MaFile>()? {
                    accounts.push(account);
                }
                Ok(Accounts(accounts))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// Imports a steamguard-cli / SDA maFile, or the file with all accounts under `accounts`.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let file: File = json::parse(FORMAT, bytes)?;
    let accounts = match file.accounts {
        Some(Accounts(accounts)) => accounts,
        None if file.shared_secret.is_some() => {
            vec![MaFile { shared_secret: file.shared_secret, account_name: file.account_name }]
        }
        None => return Err(ImportError::malformed(FORMAT, "no shared_secret in the file")),
    };
    let mut report = ImportReport::new(FORMAT);
    for account in accounts {
        let mut raw = RawEntry::new(
            Some(ISSUER.into()),
            account.account_name.unwrap_or_default(),
            RawKind::Steam,
        );
        raw.secret = match &account.shared_secret {
            Some(secret) => crypto::base64(FORMAT, "shared_secret", secret)
                .map_err(|_| "the shared secret is not base64".to_string())
                .and_then(|bytes| Secret::from_bytes(bytes).map_err(|e| e.to_string())),
            None => Err("the entry has no secret".into()),
        };
        let label = raw.label();
        report.push(|| label, raw.build());
    }
    Ok(report)
}
