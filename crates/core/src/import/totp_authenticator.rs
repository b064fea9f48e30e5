//! TOTP Authenticator (BinaryBoxes, `com.authenticator.authservice2`): its encrypted backup
//! file, and its internal `shared_prefs/TOTP_Authenticator_Preferences.xml` taken from a rooted
//! phone, where the `STATIC_TOTP_CODES_LIST` string holds the account list as JSON.
//!
//! Quirks:
//! - The backup is base64 text of AES-256-CBC ciphertext (PKCS#7 padding, all-zero IV) whose
//!   key is SHA-256 of the password: no salt, no iterations. The app encrypts with the fixed
//!   password `TotpAuthenticator` when the user sets none, so that is tried when no password
//!   is given. The plaintext is a JSON object with a single member whose *name* is the account
//!   list (as JSON text) and whose value is a timestamp.
//! - The account list is an array of objects, or of strings holding JSON objects.
//! - `key` is the secret in the base `base` names: 16 (hex, what the app writes), 32 or 64.
//! - `digits` and `period` are strings ("6", "30"); they are imported as the file gives them,
//!   defaults when absent. Aegis's importer ignores them and always takes 6 digits and 30 s,
//!   which would give wrong codes for the accounts set up otherwise (the corpus has two).
//! - There is no algorithm field: SHA-1, the only one the app offers.
//!
//! Leaves out icons, favourites and widget settings.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use super::{
    base32_secret, crypto, json, prefs, Format, ImportError, ImportReport, RawEntry, RawKind,
};
use crate::secret::Secret;

const FORMAT: Format = Format::TotpAuthenticator;
const PREF_KEY: &str = "STATIC_TOTP_CODES_LIST";
/// What the app encrypts a backup with when the user gives no password.
const DEFAULT_PASSWORD: &str = "TotpAuthenticator";
const IV: [u8; crypto::BLOCK_LEN] = [0; crypto::BLOCK_LEN];

#[derive(Deserialize)]
struct Entry {
    base: Option<u32>,
    key: Option<Zeroizing<String>>,
    #[serde(default)]
    name: String,
    issuer: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    digits: Option<u64>,
    #[serde(default, deserialize_with = "number_or_text")]
    period: Option<u64>,
}

/// One element of the account list: an object, or a string that holds one.
struct Item(Entry);

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an account object, or a string holding one")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
                Entry::deserialize(de::value::MapAccessDeserializer::new(map)).map(Item)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Item, E> {
                // serde's message could quote the secret; the caller does not pass it on.
                serde_json::from_str(text)
                    .map(Item)
                    .map_err(|_| E::custom("an account string is not JSON"))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

/// `"30"` or `30`; an empty string counts as absent.
fn number_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Raw::Text(text)) => {
            text.trim().parse().map(Some).map_err(|_| de::Error::custom("not a number"))
        }
    }
}

/// The decrypted backup: `{"<account list as JSON text>": "<timestamp>"}`.
struct Backup(Option<Zeroizing<String>>);

impl<'de> Deserialize<'de> for Backup {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstName;
        impl<'de> Visitor<'de> for FirstName {
            type Value = Backup;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object whose member name is the account list")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Backup, A::Error> {
                let mut list = None;
                while let Some((name, _)) = map.next_entry::<Zeroizing<String>, de::IgnoredAny>()? {
                    list.get_or_insert(name);
                }
                Ok(Backup(list))
            }
        }
        deserializer.deserialize_map(FirstName)
    }
}

/// Whether a preference file is TOTP Authenticator's.
pub(crate) fn looks_like_internal(text: &str) -> bool {
    text.contains(PREF_KEY)
}

/// Whether `text` could be a backup: only base64 (line breaks allowed), whole AES blocks.
pub(crate) fn looks_like_backup(text: &str) -> bool {
    let (mut len, mut padding) = (0usize, 0usize);
    for c in text.trim().chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => len += 1,
            '=' => padding += 1,
            '\r' | '\n' => {}
            _ => return false,
        }
    }
    let chars = len + padding;
    let decoded = (chars / 4 * 3).saturating_sub(padding);
    chars.is_multiple_of(4)
        && padding <= 2
        && decoded >= crypto::BLOCK_LEN
        && decoded.is_multiple_of(crypto::BLOCK_LEN)
}

/// Imports the app's internal preference file.
pub fn import_internal(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let prefs = prefs::strings(FORMAT, bytes)?;
    let list = prefs::find(&prefs, PREF_KEY)
        .ok_or_else(|| ImportError::malformed(FORMAT, "no STATIC_TOTP_CODES_LIST in the file"))?;
    import_list(list.value.as_bytes())
}

/// Imports an encrypted backup; without a password, the app's default one is tried.
pub fn import_backup(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::malformed(FORMAT, "the backup is not base64 text"))?;
    let ciphertext = crypto::base64(FORMAT, "the backup", text)?;
    let plain = match password {
        Some(password) => decrypt(&ciphertext, password)?,
        None => decrypt(&ciphertext, DEFAULT_PASSWORD)?,
    };
    let plain = match (plain, password) {
        (Some(plain), _) => plain,
        (None, Some(_)) => return Err(ImportError::WrongPassword { format: FORMAT }),
        (None, None) => return Err(ImportError::PasswordRequired { format: FORMAT }),
    };
    let Backup(list) = json::parse(FORMAT, &plain)?;
    let list =
        list.ok_or_else(|| ImportError::malformed(FORMAT, "the backup holds no account list"))?;
    import_list(list.as_bytes())
}

/// The plaintext if `password` opens the backup: valid padding and a JSON object inside.
fn decrypt(ciphertext: &[u8], password: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ImportError> {
    let key = crypto::sha256(password);
    let plain = crypto::cbc_decrypt(FORMAT, &key, &IV, ciphertext)?;
    // A wrong key passes the padding check about once in 256 tries; the JSON it then gives
    // is noise, so the first byte settles it.
    Ok(plain.filter(|p| p.first() == Some(&b'{')))
}

fn import_list(list: &[u8]) -> Result<ImportReport, ImportError> {
    let items: Vec<Item> = json::parse(FORMAT, list)?;
    let mut report = ImportReport::new(FORMAT);
    for Item(entry) in items {
        let mut raw = RawEntry::new(entry.issuer, entry.name, RawKind::Totp);
        raw.secret = match &entry.key {
            Some(key) => secret(entry.base.unwrap_or(16), key),
            None => Err("the entry has no secret".into()),
        };
        raw.digits = entry.digits;
        raw.period = entry.period;
        let label = raw.label();
        report.push(|| label, raw.build());
    }
    Ok(report)
}

fn secret(base: u32, key: &str) -> Result<Secret, String> {
    let bytes = match base {
        16 => data_encoding::HEXLOWER_PERMISSIVE
            .decode(key.trim().as_bytes())
            .map_err(|_| "the secret is not hex".to_string())?,
        32 => return base32_secret(key),
        64 => crypto::base64(FORMAT, "the secret", key)
            .map_err(|_| "the secret is not base64".to_string())?,
        other => return Err(format!("unsupported secret encoding: base {other}")),
    };
    Secret::from_bytes(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_may_be_objects_or_strings_holding_them_with_any_secret_base() {
        let list = br#"[{"base":32,"key":"JBSWY3DPEHPK3PXP","name":"a","issuer":"A","digits":"8","period":"60"},
            "{\"base\":64,\"key\":\"SGVsbG8hIQ==\",\"name\":\"b\",\"issuer\":\"B\"}"]"#;
        let report = import_list(list).unwrap();
        assert_eq!(report.accounts.len(), 2, "{:?}", report.skipped);
        assert_eq!(report.accounts[0].secret.to_base32().as_str(), "JBSWY3DPEHPK3PXP");
        assert_eq!((report.accounts[0].digits, report.accounts[1].digits), (8, 6));
        assert_eq!(report.accounts[1].secret.as_bytes(), b"Hello!!");
    }

    #[test]
    fn an_unknown_secret_base_skips_the_entry() {
        let report = import_list(br#"[{"base":8,"key":"777","name":"a","issuer":"A"}]"#).unwrap();
        assert!(report.accounts.is_empty());
        assert!(report.skipped[0].reason.contains("base 8"), "{:?}", report.skipped);
    }

    #[test]
    fn only_base64_of_whole_blocks_is_taken_for_a_backup() {
        assert!(looks_like_backup(&"QUFB".repeat(16)));
        assert!(!looks_like_backup("hello world"));
        assert!(!looks_like_backup("QUFBQUFB"));
        assert!(!looks_like_backup(&"QUFB".repeat(15)));
    }
}
