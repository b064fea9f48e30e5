//! The Battle.net app's authenticator, `shared_prefs/com.blizzard.messenger.authenticator_preferences.xml`
//! taken from a rooted phone: Android preference XML with the device secret and the serial
//! number under `com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET` and `…_SERIAL`.
//!
//! Quirks: both values are hex of ASCII text XORed with one fixed 56-byte mask
//! (`AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE` says `MASK`); unmasked, the secret is the key
//! as hex (20 bytes) and the serial is the `US-1234-5678-9012` the app shows, which becomes
//! the account name. Codes are TOTP, SHA-1, 8 digits, 30 s; the issuer is "Battle.net".
//! Leaves out the region and server time offset; another encryption type than `MASK` is
//! reported as unsupported.

use super::{prefs, Format, ImportError, ImportReport, RawEntry, RawKind};
use crate::secret::Secret;

const FORMAT: Format = Format::BattleNet;
const SECRET_KEY: &str = "com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET";
const SERIAL_KEY: &str = "com.blizzard.messenger.AUTHENTICATOR_SERIAL";
const TYPE_KEY: &str = "com.blizzard.messenger.AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE";
const ISSUER: &str = "Battle.net";
const DIGITS: u64 = 8;

/// The app's fixed XOR mask.
const MASK: [u8; 56] = [
    0x39, 0x8e, 0x27, 0xfc, 0x50, 0x27, 0x6a, 0x65, 0x60, 0x65, 0xb0, 0xe5, 0x25, 0xf4, 0xc0, 0x6c,
    0x04, 0xc6, 0x10, 0x75, 0x28, 0x6b, 0x8e, 0x7a, 0xed, 0xa5, 0x9d, 0xa9, 0x81, 0x3b, 0x5d, 0xd6,
    0xc8, 0x0d, 0x2f, 0xb3, 0x80, 0x68, 0x77, 0x3f, 0xa5, 0x9b, 0xa4, 0x7c, 0x17, 0xca, 0x6c, 0x64,
    0x79, 0x01, 0x5c, 0x1d, 0x5b, 0x8b, 0x8f, 0x6b,
];

/// Whether a preference file is the Battle.net authenticator's.
pub(crate) fn looks_like_battle_net(text: &str) -> bool {
    text.contains(SECRET_KEY)
}

/// Imports the Battle.net authenticator's preference file.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let prefs = prefs::strings(FORMAT, bytes)?;
    if let Some(kind) = prefs::find(&prefs, TYPE_KEY) {
        if kind.value.trim() != "MASK" {
            return Err(ImportError::unsupported(
                FORMAT,
                format!("credentials encrypted as {:?}", kind.value.trim()),
            ));
        }
    }
    let secret = prefs::find(&prefs, SECRET_KEY)
        .ok_or_else(|| ImportError::malformed(FORMAT, "no device secret in the file"))?;
    let serial = match prefs::find(&prefs, SERIAL_KEY) {
        Some(serial) => {
            let text = unmask(&serial.value)
                .ok_or_else(|| ImportError::malformed(FORMAT, "the serial is not masked text"))?;
            String::from_utf8(text.to_vec())
                .map_err(|_| ImportError::malformed(FORMAT, "the serial is not text"))?
        }
        None => String::new(),
    };
    let mut report = ImportReport::new(FORMAT);
    let mut raw = RawEntry::new(Some(ISSUER.into()), serial, RawKind::Totp);
    raw.secret = unmask(&secret.value)
        .and_then(|hex| data_encoding::HEXLOWER_PERMISSIVE.decode(hex.trim_ascii()).ok())
        .ok_or_else(|| "the device secret is not masked hex".to_string())
        .and_then(|key| Secret::from_bytes(key).map_err(|e| e.to_string()));
    raw.digits = Some(DIGITS);
    let label = raw.label();
    report.push(|| label, raw.build());
    Ok(report)
}

/// Hex of masked bytes to the bytes; `None` if not hex or longer than the mask.
fn unmask(hex: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let mut bytes = zeroize::Zeroizing::new(
        data_encoding::HEXLOWER_PERMISSIVE.decode(hex.trim().as_bytes()).ok()?,
    );
    if bytes.len() > MASK.len() {
        return None;
    }
    bytes.iter_mut().zip(MASK).for_each(|(b, m)| *b ^= m);
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_longer_than_the_mask_is_refused_not_read_past_it() {
        assert!(unmask(&"00".repeat(MASK.len())).is_some());
        assert!(unmask(&"00".repeat(MASK.len() + 1)).is_none());
        assert!(unmask("zz").is_none());
    }

    #[test]
    fn a_file_without_the_device_secret_is_malformed() {
        let xml =
            "<map><string name=\"com.blizzard.messenger.AUTHENTICATOR_SERIAL\">00</string></map>";
        assert!(matches!(import(xml.as_bytes()), Err(ImportError::Malformed { .. })));
    }
}
