//! Aegis Authenticator vault export (`aegis-export-*.json`), plain or encrypted.
//!
//! Encrypted vaults keep the entries in `db` as base64 AES-256-GCM ciphertext under a random
//! master key; `header.slots` holds that master key wrapped once per unlock method. Password
//! slots (type 1) wrap it with AES-256-GCM under a scrypt key (N, r, p and salt from the slot).
//! Leaves out raw-key and biometric slots (type 0 and 2: their key is not a password), and
//! entry fields Twofold has no use for (icons, notes, groups, favourites). Entry types other
//! than totp, hotp and steam (mOTP, Yandex) are skipped.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, crypto, json, Format, ImportError, ImportReport, RawEntry, RawKind};

const FORMAT: Format = Format::Aegis;
const PASSWORD_SLOT: u32 = 1;

/// First pass: the header says whether `db` is an object or a base64 string.
#[derive(Deserialize)]
struct Envelope {
    header: Header,
    #[allow(dead_code)] // required, so a file without it is not taken for a vault
    db: serde::de::IgnoredAny,
}

#[derive(Deserialize)]
struct PlainFile {
    db: Db,
}

#[derive(Deserialize)]
struct SealedFile {
    db: String,
}

#[derive(Deserialize)]
struct Header {
    slots: Option<Vec<Slot>>,
    params: Option<KeyParams>,
}

#[derive(Deserialize)]
struct Slot {
    #[serde(rename = "type")]
    slot_type: u32,
    key: Option<String>,
    key_params: Option<KeyParams>,
    n: Option<u64>,
    r: Option<u32>,
    p: Option<u32>,
    salt: Option<String>,
}

#[derive(Deserialize)]
struct KeyParams {
    nonce: String,
    tag: String,
}

#[derive(Deserialize)]
struct Db {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    entry_type: String,
    #[serde(default)]
    name: String,
    issuer: Option<String>,
    info: Info,
}

#[derive(Deserialize)]
struct Info {
    secret: Option<Zeroizing<String>>,
    algo: Option<String>,
    digits: Option<u64>,
    period: Option<u64>,
    counter: Option<u64>,
}

/// Imports an Aegis export. `password` is needed only when the vault is encrypted.
pub fn import(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    // Parsed twice rather than through serde_json::Value, so that plain secrets only ever
    // land in the Zeroizing fields of `Info`.
    let envelope: Envelope = json::parse(FORMAT, bytes)?;
    let db: Db = match envelope.header.slots {
        None => json::parse::<PlainFile>(FORMAT, bytes)?.db,
        Some(slots) => {
            let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
            let params = envelope
                .header
                .params
                .ok_or_else(|| ImportError::malformed(FORMAT, "encrypted vault without params"))?;
            let ciphertext = json::parse::<SealedFile>(FORMAT, bytes)?.db;
            let master = unlock(&slots, password)?;
            let mut sealed = crypto::base64(FORMAT, "db", &ciphertext)?;
            sealed.extend(crypto::hex(FORMAT, "db tag", &params.tag)?);
            let nonce = crypto::hex(FORMAT, "db nonce", &params.nonce)?;
            let plain = crypto::open(FORMAT, &master, &nonce, &sealed)?
                .ok_or_else(|| ImportError::malformed(FORMAT, "db does not match its tag"))?;
            json::parse(FORMAT, &plain)?
        }
    };

    let mut report = ImportReport::new(FORMAT);
    for entry in db.entries {
        let raw = match RawKind::parse(&entry.entry_type) {
            Ok(kind) => {
                let mut raw = RawEntry::new(entry.issuer, entry.name, kind);
                let info = entry.info;
                raw.secret = match &info.secret {
                    Some(s) => base32_secret(s),
                    None => Err("the entry has no secret".into()),
                };
                raw.algorithm = info.algo;
                raw.digits = info.digits;
                raw.period = info.period;
                raw.counter = info.counter;
                raw
            }
            Err(reason) => {
                let label = super::label(entry.issuer.as_deref(), &entry.name);
                report.push(|| label, Err(reason));
                continue;
            }
        };
        let label = raw.label();
        report.push(|| label, raw.build());
    }
    Ok(report)
}

/// Aegis makes one password slot per password set; nobody has more than a few.
const MAX_PASSWORD_SLOTS: usize = 8;

/// Tries every password slot; the first whose tag verifies yields the master key.
fn unlock(slots: &[Slot], password: &str) -> Result<crypto::Key, ImportError> {
    // Each password slot costs a scrypt derivation: a crafted file with dozens of them would
    // keep the importer busy for seconds to minutes before saying "wrong password".
    if slots.iter().filter(|s| s.slot_type == PASSWORD_SLOT).count() > MAX_PASSWORD_SLOTS {
        return Err(ImportError::unsupported(
            FORMAT,
            format!("more than {MAX_PASSWORD_SLOTS} password slots"),
        ));
    }
    let mut tried = false;
    for slot in slots.iter().filter(|s| s.slot_type == PASSWORD_SLOT) {
        let (Some(key), Some(params), Some(n), Some(r), Some(p), Some(salt)) =
            (&slot.key, &slot.key_params, slot.n, slot.r, slot.p, &slot.salt)
        else {
            return Err(ImportError::malformed(FORMAT, "password slot is missing a field"));
        };
        tried = true;
        let salt = crypto::hex(FORMAT, "slot salt", salt)?;
        let derived = crypto::scrypt(FORMAT, password, &salt, n, r, p)?;
        let mut sealed = crypto::hex(FORMAT, "slot key", key)?;
        sealed.extend(crypto::hex(FORMAT, "slot tag", &params.tag)?);
        let nonce = crypto::hex(FORMAT, "slot nonce", &params.nonce)?;
        if let Some(master) = crypto::open(FORMAT, &derived, &nonce, &sealed)? {
            if master.len() != 32 {
                return Err(ImportError::malformed(FORMAT, "master key is not 32 bytes"));
            }
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(&master);
            return Ok(key);
        }
    }
    if tried {
        Err(ImportError::WrongPassword { format: FORMAT })
    } else {
        Err(ImportError::unsupported(FORMAT, "a vault without a password slot"))
    }
}
