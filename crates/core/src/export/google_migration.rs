//! Google Authenticator's "Transfer accounts" QR codes, for moving accounts to a phone:
//! `otpauth-migration://offline?data=<base64 of a protobuf MigrationPayload>`, split into
//! batches small enough for a phone camera to read from a screen (Google Authenticator itself
//! puts about ten accounts in one code). The layout is the one
//! [`crate::import::google_migration`] reads (field numbers documented there).
//!
//! The format knows 30-second TOTP and HOTP with 6 or 8 digits only; other accounts (another
//! period, 7 digits, Steam) are listed as skipped with the reason instead of being sent
//! wrong. Accounts are written with `name = "Issuer:account"` and `issuer`, as the app does.

use base64::Engine;
use zeroize::Zeroizing;

use crate::otp::Algorithm;
use crate::uri::{OtpAuth, OtpKind};

/// At most this many accounts per code, as Google Authenticator does.
const MAX_PER_BATCH: usize = 10;
/// Longest URI per code: about QR version 22 at medium error correction, which a phone reads
/// off a laptop screen at arm's length.
const MAX_URI_LEN: usize = 1100;

/// The codes to show, in order, and what could not go in them.
#[derive(Debug)]
pub struct Transfer {
    /// One `otpauth-migration://` URI per QR code.
    pub uris: Vec<Zeroizing<String>>,
    /// (label, reason) of each account left out.
    pub skipped: Vec<(String, String)>,
}

/// The transfer codes for `accounts`; `batch_id` ties the codes of one export together
/// (Google writes a random int32; the caller passes one in, so this stays free of I/O).
pub fn export(accounts: &[OtpAuth], batch_id: i32) -> Transfer {
    let mut skipped = Vec::new();
    let mut params: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    for account in accounts {
        match parameters(account) {
            Ok(p) => params.push(p),
            Err(reason) => skipped.push((account.display_name(), reason.to_string())),
        }
    }
    // Greedy batches: as many accounts as fit both limits (an account too big for a code of
    // its own still gets one: names are short in practice).
    let mut batches: Vec<Vec<&Zeroizing<Vec<u8>>>> = Vec::new();
    for p in &params {
        let fits = batches.last().is_some_and(|b| {
            b.len() < MAX_PER_BATCH && {
                let mut trial = b.clone();
                trial.push(p);
                uri(&trial, 1, 0, batch_id).len() <= MAX_URI_LEN
            }
        });
        if fits {
            batches.last_mut().expect("checked").push(p);
        } else {
            batches.push(vec![p]);
        }
    }
    let size = batches.len() as i32;
    let uris = batches.iter().enumerate().map(|(i, b)| uri(b, size, i as i32, batch_id)).collect();
    Transfer { uris, skipped }
}

fn parameters(account: &OtpAuth) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    let (otp_type, counter) = match account.kind {
        OtpKind::Totp { period: 30 } => (2u64, 0u64),
        OtpKind::Totp { .. } => return Err("Google Authenticator only knows 30-second codes"),
        OtpKind::Hotp { counter } => (1, counter),
        OtpKind::Steam { .. } => return Err("Google Authenticator cannot make Steam codes"),
    };
    let digits = match account.digits {
        6 => 1u64,
        8 => 2,
        _ => return Err("Google Authenticator only knows 6- or 8-digit codes"),
    };
    let algorithm = match account.algorithm {
        Algorithm::Sha1 => 1u64,
        Algorithm::Sha256 => 2,
        Algorithm::Sha512 => 3,
    };
    let name = match &account.issuer {
        Some(issuer) => format!("{issuer}:{}", account.account),
        None => account.account.clone(),
    };
    let mut out = Zeroizing::new(Vec::new());
    bytes_field(&mut out, 1, account.secret.as_bytes());
    bytes_field(&mut out, 2, name.as_bytes());
    if let Some(issuer) = &account.issuer {
        bytes_field(&mut out, 3, issuer.as_bytes());
    }
    varint_field(&mut out, 4, algorithm);
    varint_field(&mut out, 5, digits);
    varint_field(&mut out, 6, otp_type);
    if counter > 0 {
        varint_field(&mut out, 7, counter);
    }
    Ok(out)
}

fn uri(batch: &[&Zeroizing<Vec<u8>>], size: i32, index: i32, id: i32) -> Zeroizing<String> {
    let mut payload = Zeroizing::new(Vec::new());
    for p in batch {
        bytes_field(&mut payload, 1, p);
    }
    varint_field(&mut payload, 2, 1);
    varint_field(&mut payload, 3, size as u64);
    varint_field(&mut payload, 4, index as u64);
    // int32: negative values are sign-extended to 64 bits on the wire.
    varint_field(&mut payload, 5, i64::from(id) as u64);
    let data = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(payload.as_slice()));
    let encoded = Zeroizing::new(
        percent_encoding::utf8_percent_encode(&data, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    );
    Zeroizing::new(format!("otpauth-migration://offline?data={}", encoded.as_str()))
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn varint_field(out: &mut Vec<u8>, field: u64, value: u64) {
    varint(out, field << 3);
    varint(out, value);
}

fn bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, (field << 3) | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::detect_and_import;
    use crate::import::google_migration::decode_uri;
    use crate::secret::Secret;

    fn account(i: usize, kind: OtpKind, digits: u32) -> OtpAuth {
        let mut secret = vec![0u8; 20];
        secret[0] = i as u8;
        OtpAuth {
            issuer: Some(format!("Service {i}")),
            account: format!("user{i}@example.com"),
            secret: Secret::from_bytes(secret).unwrap(),
            algorithm: Algorithm::Sha1,
            digits,
            kind,
        }
    }

    #[test]
    fn every_account_comes_back_through_the_google_importer_in_order() {
        let accounts: Vec<OtpAuth> = (0..3)
            .map(|i| account(i, OtpKind::Totp { period: 30 }, 6))
            .chain([account(3, OtpKind::Hotp { counter: 9 }, 8)])
            .collect();
        let transfer = export(&accounts, -12345);
        assert_eq!(transfer.uris.len(), 1);
        assert!(transfer.skipped.is_empty());
        let text = transfer.uris[0].to_string();
        let back = detect_and_import(text.as_bytes(), None).unwrap();
        assert_eq!(back.accounts, accounts);
        let payload = decode_uri(&text).unwrap();
        assert_eq!((payload.batch_size, payload.batch_index, payload.batch_id), (1, 0, -12345));
    }

    #[test]
    fn many_accounts_are_split_into_numbered_batches_of_one_export() {
        let accounts: Vec<OtpAuth> =
            (0..25).map(|i| account(i, OtpKind::Totp { period: 30 }, 6)).collect();
        let transfer = export(&accounts, 77);
        assert_eq!(transfer.uris.len(), 3, "10 + 10 + 5");
        let mut all = Vec::new();
        for (i, uri) in transfer.uris.iter().enumerate() {
            assert!(uri.len() <= MAX_URI_LEN, "{} characters", uri.len());
            let payload = decode_uri(uri).unwrap();
            assert_eq!(
                (payload.batch_size, payload.batch_index, payload.batch_id),
                (3, i as i32, 77)
            );
            all.extend(detect_and_import(uri.as_bytes(), None).unwrap().accounts);
        }
        assert_eq!(all, accounts);
    }

    #[test]
    fn accounts_google_cannot_show_are_skipped_with_the_reason() {
        let accounts = vec![
            account(0, OtpKind::Totp { period: 60 }, 6),
            account(1, OtpKind::Steam { period: 30 }, 5),
            account(2, OtpKind::Totp { period: 30 }, 7),
            account(3, OtpKind::Totp { period: 30 }, 6),
        ];
        let transfer = export(&accounts, 1);
        assert_eq!(transfer.skipped.len(), 3, "{:?}", transfer.skipped);
        assert!(transfer.skipped[0].1.contains("30-second"));
        assert_eq!(transfer.uris.len(), 1);
    }
}
