//! Fuzzes Google Authenticator's `otpauth-migration://offline?data=…` export: the hand-written
//! protobuf reader (`decode_payload`), the URI layer around it (`decode_uri`) and the import
//! that turns parameter blocks into accounts (`import`).
//!
//! The input is used twice. As protobuf bytes, it is fed to `decode_payload` directly and also
//! wrapped into URIs the three ways exporters spell the base64 (percent-encoded, the raw
//! "plus problem" form, URL-safe): every wrapping must decode to exactly what the bytes decode
//! to, so the URI layer neither loses nor invents data. As text, it goes to `decode_uri` and
//! `import` unchanged. Importing a payload must account for every parameter block: each is
//! either an account or a skipped entry, never silently dropped.

#![no_main]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use twofold_core::import::google_migration::{self, MigrationPayload};
use twofold_core::import::ImportError;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = google_migration::decode_uri(text);
        let _ = google_migration::import(data);
    }

    let direct = google_migration::decode_payload(data);
    if data.is_empty() {
        // An empty `data=` is refused by the URI layer on purpose; nothing to compare.
        return;
    }
    let standard = STANDARD.encode(data);
    let uris = [
        utf8_percent_encode(&standard, NON_ALPHANUMERIC).to_string(),
        standard.clone(),
        URL_SAFE_NO_PAD.encode(data),
    ]
    .map(|data| format!("otpauth-migration://offline?data={data}"));
    for uri in &uris {
        let wrapped = google_migration::decode_uri(uri);
        assert_same(&direct, &wrapped, uri);
    }

    if let Ok(payload) = &direct {
        match google_migration::import(uris[0].as_bytes()) {
            Ok(report) => assert_eq!(
                report.accounts.len() + report.skipped.len(),
                payload.otp_parameters.len(),
                "parameter blocks went missing on import"
            ),
            Err(e) => panic!("a payload that decodes does not import: {e}"),
        }
    }
});

/// Payloads have no `PartialEq` (the secret is redacted from `Debug`), so fields are compared
/// one by one, secrets included.
fn assert_same(
    direct: &Result<MigrationPayload, ImportError>,
    wrapped: &Result<MigrationPayload, ImportError>,
    uri: &str,
) {
    match (direct, wrapped) {
        (Err(a), Err(b)) => assert_eq!(a, b, "different errors through {uri}"),
        (Ok(a), Ok(b)) => {
            assert_eq!(
                (a.version, a.batch_size, a.batch_index, a.batch_id),
                (b.version, b.batch_size, b.batch_index, b.batch_id),
                "batch fields differ through {uri}"
            );
            assert_eq!(a.otp_parameters.len(), b.otp_parameters.len(), "through {uri}");
            for (x, y) in a.otp_parameters.iter().zip(&b.otp_parameters) {
                assert!(x.secret.as_slice() == y.secret.as_slice(), "secret differs via {uri}");
                assert_eq!(
                    (&x.name, &x.issuer, x.algorithm, x.digits, x.otp_type, x.counter),
                    (&y.name, &y.issuer, y.algorithm, y.digits, y.otp_type, y.counter),
                    "parameters differ through {uri}"
                );
            }
        }
        (a, b) => panic!(
            "bytes and URI disagree: direct {:?}, through {uri}: {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        ),
    }
}
