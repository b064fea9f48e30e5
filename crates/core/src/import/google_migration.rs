//! Google Authenticator's "Transfer accounts" export: `otpauth-migration://offline?data=…`,
//! where `data` is base64 of a protobuf `MigrationPayload` (repeated `OtpParameters` plus batch
//! numbers). Decoded by a small hand-written protobuf reader; no codegen.
//!
//! A large export is split over several QR codes ("batches"); each is a complete payload, so
//! importing every URI of a text file gets all accounts, whatever the batch order. Leaves out
//! QR decoding (the scanner's job) and checking that every batch of a set is present: the
//! batch numbers are kept in [`MigrationPayload`] for callers that want to tell the user.
//!
//! Field numbers (public in Google Authenticator's migration proto, as documented by many
//! decoders): payload 1 = otp_parameters, 2 = version, 3 = batch_size, 4 = batch_index,
//! 5 = batch_id; parameters 1 = secret (raw bytes), 2 = name, 3 = issuer, 4 = algorithm
//! (1 SHA1, 2 SHA256, 3 SHA512, 4 MD5), 5 = digits (1 six, 2 eight), 6 = type (1 HOTP,
//! 2 TOTP), 7 = counter. The format has no period: it is always 30 s.

use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use super::{crypto, label, uri_list, Format, ImportError, ImportReport, RawEntry, RawKind};
use crate::secret::Secret;

const FORMAT: Format = Format::GoogleMigration;
const SCHEME: &str = "otpauth-migration://";

/// One decoded `MigrationPayload`.
#[derive(Debug, Default)]
pub struct MigrationPayload {
    pub otp_parameters: Vec<OtpParameters>,
    pub version: i32,
    pub batch_size: i32,
    pub batch_index: i32,
    /// Same for every batch of one export; Google writes a random, often negative, int32.
    pub batch_id: i32,
}

/// One account in a payload, fields as the protobuf has them (proto3 defaults when absent).
/// `Debug` leaves the secret out (only its length shows), so a logged payload leaks nothing.
#[derive(Default)]
pub struct OtpParameters {
    pub secret: Zeroizing<Vec<u8>>,
    /// The label; Google Authenticator often writes `Issuer:account` here.
    pub name: String,
    pub issuer: String,
    /// 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5.
    pub algorithm: u64,
    /// 0 unspecified, 1 six, 2 eight.
    pub digits: u64,
    /// 0 unspecified, 1 HOTP, 2 TOTP.
    pub otp_type: u64,
    pub counter: u64,
}

impl std::fmt::Debug for OtpParameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpParameters")
            .field("secret", &format_args!("<redacted, {} bytes>", self.secret.len()))
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("otp_type", &self.otp_type)
            .field("counter", &self.counter)
            .finish()
    }
}

/// Imports a text of `otpauth-migration://` URIs (one per line; `#` comments, blank lines and
/// plain `otpauth://` lines allowed), as a scanner or `zbarimg` prints them.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    uri_list::import_as(FORMAT, bytes)
}

/// Decodes one `otpauth-migration://offline?data=…` URI.
pub fn decode_uri(uri: &str) -> Result<MigrationPayload, ImportError> {
    let uri = uri.trim();
    let rest = uri
        .get(..SCHEME.len())
        .filter(|s| s.eq_ignore_ascii_case(SCHEME))
        .map(|_| &uri[SCHEME.len()..])
        .ok_or_else(|| ImportError::malformed(FORMAT, "not an otpauth-migration:// URI"))?;
    let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
    let data = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("data="))
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ImportError::malformed(FORMAT, "the URI has no data parameter"))?;
    // `+` is part of the base64 alphabet here, never a form-encoded space: exporters leave it
    // unescaped (the "plus problem"). A space can only come from someone else's form-decoding.
    let decoded = percent_decode_str(data)
        .decode_utf8()
        .map_err(|_| ImportError::malformed(FORMAT, "data is not valid percent-encoding"))?;
    let base64_text: Zeroizing<String> = Zeroizing::new(
        decoded
            .chars()
            .map(|c| match c {
                ' ' | '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect(),
    );
    let payload = Zeroizing::new(crypto::base64(FORMAT, "data", &base64_text)?);
    decode_payload(&payload)
}

/// Decodes the protobuf bytes of a `MigrationPayload`.
pub fn decode_payload(bytes: &[u8]) -> Result<MigrationPayload, ImportError> {
    let mut payload = MigrationPayload::default();
    let mut reader = Reader { bytes, at: 0 };
    while let Some((field, value)) = reader.next_field()? {
        match (field, value) {
            (1, Value::Bytes(b)) => payload.otp_parameters.push(decode_parameters(b)?),
            // int32 fields: a negative value is sign-extended to a 10-byte varint, so the low
            // 32 bits are the value.
            (2, Value::Varint(v)) => payload.version = v as i32,
            (3, Value::Varint(v)) => payload.batch_size = v as i32,
            (4, Value::Varint(v)) => payload.batch_index = v as i32,
            (5, Value::Varint(v)) => payload.batch_id = v as i32,
            _ => {} // unknown fields are skipped, as protobuf readers do
        }
    }
    Ok(payload)
}

fn decode_parameters(bytes: &[u8]) -> Result<OtpParameters, ImportError> {
    let mut p = OtpParameters::default();
    let mut reader = Reader { bytes, at: 0 };
    while let Some((field, value)) = reader.next_field()? {
        match (field, value) {
            (1, Value::Bytes(b)) => p.secret = Zeroizing::new(b.to_vec()),
            (2, Value::Bytes(b)) => p.name = utf8(b, "name")?,
            (3, Value::Bytes(b)) => p.issuer = utf8(b, "issuer")?,
            (4, Value::Varint(v)) => p.algorithm = v,
            (5, Value::Varint(v)) => p.digits = v,
            (6, Value::Varint(v)) => p.otp_type = v,
            (7, Value::Varint(v)) => p.counter = v,
            _ => {}
        }
    }
    Ok(p)
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, ImportError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ImportError::malformed(FORMAT, format!("{what} is not UTF-8")))
}

/// Adds the accounts of one payload to `report`.
pub(crate) fn push_payload(report: &mut ImportReport, payload: MigrationPayload) {
    for p in payload.otp_parameters {
        let (issuer, account) = split_name(&p.issuer, &p.name);
        let entry_label = label(issuer.as_deref(), &account);
        report.push(|| entry_label, entry(p, issuer, account));
    }
}

fn entry(
    p: OtpParameters,
    issuer: Option<String>,
    account: String,
) -> Result<crate::OtpAuth, String> {
    let kind = match p.otp_type {
        1 => RawKind::Hotp,
        // Unspecified is what an old exporter leaves out; TOTP is what it means in practice.
        0 | 2 => RawKind::Totp,
        other => return Err(format!("unknown OTP type {other}")),
    };
    let algorithm = match p.algorithm {
        0 | 1 => "SHA1",
        2 => "SHA256",
        3 => "SHA512",
        4 => return Err("MD5 accounts are not supported".into()),
        other => return Err(format!("unknown algorithm {other}")),
    };
    let digits = match p.digits {
        0 | 1 => 6,
        2 => 8,
        other => return Err(format!("unknown digit count {other}")),
    };
    let mut raw = RawEntry::new(issuer, account, kind);
    raw.secret = Secret::from_bytes(p.secret.to_vec()).map_err(|e| e.to_string());
    raw.algorithm = Some(algorithm.into());
    raw.digits = Some(digits);
    raw.counter = Some(p.counter);
    raw.build()
}

/// Google Authenticator shows `name` as the label, which usually repeats the issuer as
/// `Issuer:account`. The prefix is dropped when it is the issuer (or taken as the issuer when
/// there is none), so the account does not show the issuer twice.
fn split_name(issuer: &str, name: &str) -> (Option<String>, String) {
    let issuer = issuer.trim();
    match name.split_once(':') {
        Some((prefix, account))
            if !account.trim().is_empty() && (issuer.is_empty() || prefix.trim() == issuer) =>
        {
            (Some(prefix.trim().to_string()), account.trim().to_string())
        }
        _ => (Some(issuer.to_string()).filter(|i| !i.is_empty()), name.trim().to_string()),
    }
}

/// A protobuf field value by wire type.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Reads protobuf wire format, bounds-checked at every step.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>, ImportError> {
        if self.at >= self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| ImportError::Truncated { format: FORMAT })?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            wire => {
                return Err(ImportError::malformed(FORMAT, format!("protobuf wire type {wire}")))
            }
        };
        Ok(Some((field, value)))
    }

    fn varint(&mut self) -> Result<u64, ImportError> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or(ImportError::Truncated { format: FORMAT })?;
            self.at += 1;
            if shift == 63 && byte > 1 {
                return Err(ImportError::malformed(FORMAT, "protobuf varint overflows 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ImportError::malformed(FORMAT, "protobuf varint longer than 10 bytes"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ImportError> {
        let end = self.at.checked_add(len).ok_or(ImportError::Truncated { format: FORMAT })?;
        let slice =
            self.bytes.get(self.at..end).ok_or(ImportError::Truncated { format: FORMAT })?;
        self.at = end;
        Ok(slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_int32_batch_id_is_read_from_a_ten_byte_varint() {
        // field 5, varint -2 as int32 (sign-extended to 64 bits)
        let bytes = [0x28, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(decode_payload(&bytes).unwrap().batch_id, -2);
    }

    #[test]
    fn cut_protobuf_is_truncated_not_a_panic() {
        // field 1, length 16, but only 2 bytes follow
        assert_eq!(
            decode_payload(&[0x0a, 0x10, 0x01, 0x02]).unwrap_err(),
            ImportError::Truncated { format: FORMAT }
        );
        assert_eq!(
            decode_payload(&[0x28, 0xff]).unwrap_err(),
            ImportError::Truncated { format: FORMAT }
        );
    }

    #[test]
    fn debug_output_of_parameters_and_payload_redacts_the_secret() {
        let secret = b"\x01\x02\x03\xfeSECRETBYTES".to_vec();
        let params = OtpParameters {
            secret: Zeroizing::new(secret.clone()),
            name: "Acme:bob".into(),
            issuer: "Acme".into(),
            ..Default::default()
        };
        let payload = MigrationPayload { otp_parameters: vec![params], ..Default::default() };
        for shown in [format!("{payload:?}"), format!("{payload:#?}")] {
            assert!(!shown.contains("SECRETBYTES"), "{shown}");
            // The derived Debug of a Vec<u8> prints the bytes as numbers: `[1, 2, 3, 254, …`.
            assert!(!shown.contains("1, 2, 3"), "{shown}");
            assert!(!shown.contains("254"), "{shown}");
            assert!(shown.contains("redacted, 15 bytes"), "{shown}");
            assert!(shown.contains("Acme:bob"), "{shown}");
        }
    }

    #[test]
    fn issuer_prefix_of_the_name_is_not_repeated_in_the_account() {
        assert_eq!(split_name("Acme", "Acme:bob"), (Some("Acme".into()), "bob".into()));
        assert_eq!(split_name("", "Acme:bob"), (Some("Acme".into()), "bob".into()));
        assert_eq!(split_name("Other", "Acme:bob"), (Some("Other".into()), "Acme:bob".into()));
        assert_eq!(split_name("", "pi@raspberrypi"), (None, "pi@raspberrypi".into()));
    }
}
