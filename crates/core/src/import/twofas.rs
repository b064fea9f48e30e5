//! 2FAS Authenticator backups (`.2fas`, and the older `.json`), schema versions 1 to 4, plain
//! or encrypted.
//!
//! An encrypted backup has an empty `services` list and `servicesEncrypted` =
//! `base64(ciphertext+tag):base64(salt):base64(iv)`: AES-256-GCM under PBKDF2-HMAC-SHA256
//! (10 000 rounds) of the password; the plaintext is the JSON `services` array. Schema 1 and 2
//! have no `tokenType` (always TOTP, schema 1 not even digits or algorithm: the defaults apply).
//! Leaves out groups, icons, ordering, and the `reference` check value (the GCM tag already
//! tells a wrong password).

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, crypto, json, Format, ImportError, ImportReport, RawEntry, RawKind};

const FORMAT: Format = Format::TwoFas;
const PBKDF2_ROUNDS: u32 = 10_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[allow(dead_code)] // required: it is what makes a JSON file a 2FAS backup
    schema_version: u32,
    #[serde(default)]
    services: Vec<Service>,
    services_encrypted: Option<String>,
}

#[derive(Deserialize)]
struct Service {
    #[serde(default)]
    name: String,
    secret: Option<Zeroizing<String>>,
    #[serde(default)]
    otp: Otp,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Otp {
    label: Option<String>,
    account: Option<String>,
    issuer: Option<String>,
    digits: Option<u64>,
    period: Option<u64>,
    algorithm: Option<String>,
    counter: Option<u64>,
    token_type: Option<String>,
}

/// Imports a 2FAS backup. `password` is needed only when it is encrypted.
pub fn import(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    let file: File = json::parse(FORMAT, bytes)?;
    let services = match file.services_encrypted.as_deref().filter(|s| !s.is_empty()) {
        None => file.services,
        Some(sealed) => {
            let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
            decrypt(sealed, password)?
        }
    };
    let mut report = ImportReport::new(FORMAT);
    for service in services {
        let raw = entry(service);
        match raw {
            Ok(raw) => {
                let label = raw.label();
                report.push(|| label, raw.build());
            }
            Err((label, reason)) => report.push(|| label, Err(reason)),
        }
    }
    Ok(report)
}

fn decrypt(sealed: &str, password: &str) -> Result<Vec<Service>, ImportError> {
    let mut parts = sealed.split(':');
    let (Some(ciphertext), Some(salt), Some(iv), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ImportError::malformed(FORMAT, "servicesEncrypted is not three parts"));
    };
    let ciphertext = crypto::base64(FORMAT, "servicesEncrypted", ciphertext)?;
    let salt = crypto::base64(FORMAT, "salt", salt)?;
    let iv = crypto::base64(FORMAT, "iv", iv)?;
    let key = crypto::pbkdf2_sha256(password, &salt, PBKDF2_ROUNDS);
    let plain = crypto::open(FORMAT, &key, &iv, &ciphertext)?
        .ok_or(ImportError::WrongPassword { format: FORMAT })?;
    json::parse(FORMAT, &plain)
}

fn entry(service: Service) -> Result<RawEntry, (String, String)> {
    let otp = service.otp;
    // The service name is what the app shows as the issuer when the URI had none.
    let issuer = otp.issuer.filter(|i| !i.trim().is_empty()).unwrap_or(service.name);
    let account = otp.account.or(otp.label).unwrap_or_default();
    let kind = match otp.token_type.as_deref() {
        None => RawKind::Totp,
        Some(name) => RawKind::parse(name)
            .map_err(|reason| (super::label(Some(&issuer), &account), reason))?,
    };
    let mut raw = RawEntry::new(Some(issuer), account, kind);
    raw.secret = match &service.secret {
        Some(s) => base32_secret(s),
        None => Err("the entry has no secret".into()),
    };
    raw.algorithm = otp.algorithm;
    raw.digits = otp.digits;
    raw.period = otp.period;
    raw.counter = otp.counter;
    Ok(raw)
}
