//! An encrypted vault in Aegis Authenticator's export format (vault version 1, database
//! version 2), which Aegis imports as a backup and Twofold's own Aegis importer reads back.
//!
//! As Aegis writes it: a random 256-bit master key encrypts the database JSON with
//! AES-256-GCM (nonce and tag in `header.params`, the ciphertext in `db` as base64); one
//! password slot (type 1) holds the master key encrypted with AES-256-GCM under
//! scrypt(password, 32-byte salt, N = 2^15, r = 8, p = 1) — Aegis's own parameters, so the
//! file opens as fast on a phone as one Aegis made. Hex is lower case, as Aegis writes it.
//!
//! The file holds every secret, encrypted: the caller decides where it goes (never a log).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand_core::{CryptoRng, RngCore};
use serde_json::json;
use zeroize::Zeroizing;

use crate::uri::{OtpAuth, OtpKind};

/// Aegis's scrypt parameters for password slots.
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

/// Why an export could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportError {
    #[error("choose a password for the export (it cannot be empty)")]
    EmptyPassword,
    #[error("nothing to export: the vault has no accounts")]
    NoAccounts,
}

/// The export of `accounts` encrypted with `password`, as a JSON text.
pub fn export<R: RngCore + CryptoRng>(
    accounts: &[OtpAuth],
    password: &str,
    rng: &mut R,
) -> Result<Zeroizing<String>, ExportError> {
    if password.is_empty() {
        return Err(ExportError::EmptyPassword);
    }
    if accounts.is_empty() {
        return Err(ExportError::NoAccounts);
    }
    let entries: Vec<serde_json::Value> = accounts.iter().map(|a| entry(a, rng)).collect();
    let db = Zeroizing::new(
        serde_json::to_vec(&json!({ "version": 2, "entries": entries }))
            .expect("JSON values always serialise"),
    );
    // serde_json::Value above held the secrets in plain Strings; it is dropped here, and the
    // bytes that leave this function are encrypted.
    drop(entries);

    let mut master = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(master.as_mut());
    let (db_nonce, db_sealed) = seal(&master, &db, rng);
    let (db_cipher, db_tag) = db_sealed.split_at(db_sealed.len() - 16);

    let mut salt = [0u8; 32];
    rng.fill_bytes(&mut salt);
    let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, 32)
        .expect("Aegis's scrypt parameters are valid");
    let mut derived = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password.as_bytes(), &salt, &params, derived.as_mut())
        .expect("a 32-byte scrypt output is valid");
    let (key_nonce, key_sealed) = seal(&derived, master.as_ref(), rng);
    let (key_cipher, key_tag) = key_sealed.split_at(key_sealed.len() - 16);

    let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
    let file = json!({
        "version": 1,
        "header": {
            "slots": [{
                "type": 1,
                "uuid": uuid(rng),
                "key": hex(key_cipher),
                "key_params": { "nonce": hex(&key_nonce), "tag": hex(key_tag) },
                "n": 1u64 << SCRYPT_LOG_N,
                "r": SCRYPT_R,
                "p": SCRYPT_P,
                "salt": hex(&salt),
                "repaired": true,
                "is_backup": false,
            }],
            "params": { "nonce": hex(&db_nonce), "tag": hex(db_tag) },
        },
        "db": base64::engine::general_purpose::STANDARD.encode(db_cipher),
    });
    Ok(Zeroizing::new(serde_json::to_string_pretty(&file).expect("JSON values always serialise")))
}

fn entry<R: RngCore + CryptoRng>(account: &OtpAuth, rng: &mut R) -> serde_json::Value {
    let secret = account.secret.to_base32();
    let (kind, info) = match account.kind {
        OtpKind::Totp { period } => (
            "totp",
            json!({ "secret": secret.as_str(), "algo": account.algorithm.as_str(),
                    "digits": account.digits, "period": period }),
        ),
        OtpKind::Hotp { counter } => (
            "hotp",
            json!({ "secret": secret.as_str(), "algo": account.algorithm.as_str(),
                    "digits": account.digits, "counter": counter }),
        ),
        OtpKind::Steam { period } => (
            "steam",
            json!({ "secret": secret.as_str(), "algo": "SHA1", "digits": 5, "period": period }),
        ),
    };
    json!({
        "type": kind,
        "uuid": uuid(rng),
        "name": account.account,
        "issuer": account.issuer.clone().unwrap_or_default(),
        "note": "",
        "favorite": false,
        "icon": null,
        "info": info,
    })
}

/// AES-256-GCM under `key` with a fresh nonce: (nonce, ciphertext with the tag appended).
fn seal<R: RngCore + CryptoRng>(key: &[u8; 32], plain: &[u8], rng: &mut R) -> ([u8; 12], Vec<u8>) {
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let sealed = Aes256Gcm::new(key.into())
        .encrypt(Nonce::from_slice(&nonce), plain)
        .expect("AES-GCM encrypts any length the vault can hold");
    (nonce, sealed)
}

/// A random (version 4) UUID, as Aegis gives every entry and slot.
fn uuid<R: RngCore + CryptoRng>(rng: &mut R) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = data_encoding::HEXLOWER.encode(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{detect_and_import as import, Format, ImportError};
    use crate::otp::Algorithm;
    use crate::secret::Secret;

    fn accounts() -> Vec<OtpAuth> {
        let secret = |s: &str| Secret::from_base32(s).unwrap();
        vec![
            OtpAuth {
                issuer: Some("GitHub".into()),
                account: "alice@example.com".into(),
                secret: secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
                algorithm: Algorithm::Sha1,
                digits: 6,
                kind: OtpKind::Totp { period: 30 },
            },
            OtpAuth {
                issuer: None,
                account: "carol+2fa@example.net".into(),
                secret: secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
                algorithm: Algorithm::Sha512,
                digits: 8,
                kind: OtpKind::Totp { period: 60 },
            },
            OtpAuth {
                issuer: Some("VPN".into()),
                account: "bob".into(),
                secret: secret("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
                algorithm: Algorithm::Sha256,
                digits: 6,
                kind: OtpKind::Hotp { counter: 42 },
            },
            OtpAuth {
                issuer: Some("Steam".into()),
                account: "gamer".into(),
                secret: secret("ONSWG4TFOQYTEMZUGU3DOOBZ"),
                algorithm: Algorithm::Sha1,
                digits: 5,
                kind: OtpKind::Steam { period: 30 },
            },
        ]
    }

    #[test]
    fn an_export_reads_back_through_the_aegis_importer_with_every_field() {
        let original = accounts();
        let text = export(&original, "correct horse", &mut rand::rngs::OsRng).unwrap();
        let report = import(text.as_bytes(), Some("correct horse")).unwrap();
        assert_eq!(report.format, Format::Aegis);
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert_eq!(report.accounts.len(), original.len());
        for (back, sent) in report.accounts.iter().zip(&original) {
            assert_eq!(back.issuer, sent.issuer.clone().filter(|i| !i.is_empty()));
            assert_eq!(back.account, sent.account);
            assert_eq!(back.secret.as_bytes(), sent.secret.as_bytes());
            assert_eq!(back.algorithm, sent.algorithm);
            assert_eq!(back.digits, sent.digits);
            assert_eq!(back.kind, sent.kind);
        }
    }

    #[test]
    fn the_export_has_aegis_structure_and_no_secret_in_clear() {
        let text = export(&accounts(), "pw", &mut rand::rngs::OsRng).unwrap();
        assert!(!text.contains("JBSWY3DP") && !text.contains("alice@example.com"));
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["version"], 1);
        let slot = &file["header"]["slots"][0];
        assert_eq!(slot["type"], 1);
        assert_eq!(slot["n"], 32768);
        assert_eq!(slot["r"], 8);
        assert_eq!(slot["p"], 1);
        assert_eq!(slot["salt"].as_str().unwrap().len(), 64);
        assert_eq!(slot["key"].as_str().unwrap().len(), 64, "a 32-byte master key");
        assert_eq!(slot["key_params"]["nonce"].as_str().unwrap().len(), 24);
        assert_eq!(slot["key_params"]["tag"].as_str().unwrap().len(), 32);
        assert_eq!(file["header"]["params"]["tag"].as_str().unwrap().len(), 32);
        assert!(file["db"].is_string());
    }

    #[test]
    fn a_wrong_password_does_not_open_the_export() {
        let text = export(&accounts(), "right", &mut rand::rngs::OsRng).unwrap();
        let wrong = import(text.as_bytes(), Some("wrong")).unwrap_err();
        assert_eq!(wrong, ImportError::WrongPassword { format: Format::Aegis });
    }

    #[test]
    fn an_empty_password_or_an_empty_vault_is_refused() {
        assert_eq!(
            export(&accounts(), "", &mut rand::rngs::OsRng).unwrap_err(),
            ExportError::EmptyPassword
        );
        assert_eq!(export(&[], "pw", &mut rand::rngs::OsRng).unwrap_err(), ExportError::NoAccounts);
    }
}
