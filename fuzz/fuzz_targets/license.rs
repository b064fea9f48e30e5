//! Fuzzes the license file reader (`verify_license`, `license_status`, `parse_public_key`).
//!
//! A fuzzer cannot forge an Ed25519 signature, so with a fixed public key only the armour and
//! base64 layers are reachable. The target therefore uses the input twice:
//!
//! 1. as a license text, checked against a fixed key (armour, line handling, base64, the
//!    signature check), and as a public key text;
//! 2. as the signed terms bytes: signed with the matching test key and armoured the way
//!    `issue_license` does, so the JSON parser behind the signature check is fuzzed too. Terms
//!    that verify must survive `issue_license` unchanged, and `license_status` over them must
//!    keep its promises (genuine terms are never "invalid"; usage that does not grow is always
//!    allowed). Unsigned text, in turn, must never grant more than the evaluation seats.

#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use twofold_core::{
    issue_license, license_status, parse_public_key, verify_license, LicenseStatus,
    EVALUATION_SEATS,
};

/// A test key, fixed so runs are reproducible; it signs nothing outside this target.
const SIGNING_SEED: [u8; 32] = [0x5a; 32];

fuzz_target!(|data: &[u8]| {
    let signing = SigningKey::from_bytes(&SIGNING_SEED);
    let public = signing.verifying_key();

    if let Ok(text) = std::str::from_utf8(data) {
        let verified = verify_license(text, &public);
        let _ = parse_public_key(text);
        let status = license_status(Some(text), &public, 3, 1_700_000_000);
        if verified.is_err() {
            assert_eq!(status.seat_limit(), EVALUATION_SEATS, "an unverified text granted seats");
        }
    }

    // The bytes as signed terms.
    let text = format!(
        "-----BEGIN TWOFOLD LICENSE-----\n{}\n{}\n-----END TWOFOLD LICENSE-----\n",
        STANDARD.encode(data),
        STANDARD.encode(signing.sign(data).to_bytes())
    );
    let Ok(terms) = verify_license(&text, &public) else { return };
    let reissued = issue_license(&signing, &terms);
    assert_eq!(verify_license(&reissued, &public).as_ref(), Ok(&terms), "reissue changed terms");

    // Seats in use derived from the input, so every status branch is reached.
    let seats_used = terms.seats.wrapping_add(u32::from(data[0] % 3)).wrapping_sub(1);
    let now = terms.expires.wrapping_add(u64::from(data[data.len() - 1] % 3)).wrapping_sub(1);
    let status = license_status(Some(&text), &public, seats_used, now);
    assert!(!matches!(status, LicenseStatus::Invalid { .. }), "signed terms reported invalid");
    assert!(status.allows(seats_used), "usage that does not grow must stay allowed");
});
