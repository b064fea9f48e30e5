//! Other apps' internal SQLite databases in `shared/corpus/imports/` (Google Authenticator,
//! Microsoft Authenticator, Stratum) through the importer the Authenticator mode uses: every
//! entry `expected.json` lists comes back field by field (matched by secret, as the fixtures'
//! source matches them), and a database cut short is a clear error, never a panic.

use std::path::PathBuf;

use serde_json::Value;
use twofold_core::import::Format;
use twofold_core::{OtpAuth, OtpKind};
use twofold_desktop::authenticator::{read_export, AuthError};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/imports").join(name)
}

fn expected(name: &str) -> Vec<Value> {
    let all: Value =
        serde_json::from_slice(&std::fs::read(corpus("expected.json")).unwrap()).unwrap();
    all["files"][name]["entries"].as_array().expect("entries").clone()
}

fn kind_name(kind: &OtpKind) -> &'static str {
    match kind {
        OtpKind::Totp { .. } => "totp",
        OtpKind::Hotp { .. } => "hotp",
        OtpKind::Steam { .. } => "steam",
    }
}

fn assert_same(got: &OtpAuth, want: &Value, file: &str) {
    let what = format!("{file}: {}", want["name"]);
    assert_eq!(kind_name(&got.kind), want["type"], "{what}: type");
    assert_eq!(got.issuer.as_deref(), want["issuer"].as_str(), "{what}: issuer");
    assert_eq!(got.account, want["name"].as_str().unwrap(), "{what}: name");
    assert_eq!(
        format!("{:?}", got.algorithm).to_uppercase(),
        want["algorithm"].as_str().unwrap().to_uppercase(),
        "{what}: algorithm"
    );
    assert_eq!(u64::from(got.digits), want["digits"].as_u64().unwrap(), "{what}: digits");
    match &got.kind {
        OtpKind::Totp { period } | OtpKind::Steam { period } => {
            assert_eq!(*period, want["period"].as_u64().unwrap(), "{what}: period")
        }
        OtpKind::Hotp { counter } => {
            assert_eq!(*counter, want["counter"].as_u64().unwrap(), "{what}: counter")
        }
    }
}

fn assert_file(name: &str, format: Format) {
    let report = read_export(&std::fs::read(corpus(name)).unwrap(), None).unwrap();
    assert_eq!(report.format, format, "{name}");
    let want = expected(name);
    assert_eq!(report.accounts.len(), want.len(), "{name}: {:?}", report.skipped);
    for entry in &want {
        let secret = entry["secret"].as_str().unwrap();
        let got = report
            .accounts
            .iter()
            .find(|a| a.secret.to_base32().as_str() == secret)
            .unwrap_or_else(|| panic!("{name}: no account with the secret of {}", entry["name"]));
        assert_same(got, entry, name);
    }
}

#[test]
fn google_authenticators_database_gives_every_account_field_by_field() {
    assert_file("google_authenticator.sqlite", Format::GoogleAuthenticatorDb);
}

#[test]
fn microsoft_authenticators_database_gives_every_account_field_by_field() {
    assert_file("microsoft_authenticator.sqlite", Format::MicrosoftAuthenticator);
}

#[test]
fn stratums_internal_database_gives_every_account_field_by_field() {
    assert_file("stratum_internal.db", Format::Stratum);
}

#[test]
fn a_database_cut_short_is_a_damaged_export_not_a_panic() {
    for name in
        ["google_authenticator.sqlite", "microsoft_authenticator.sqlite", "stratum_internal.db"]
    {
        let bytes = std::fs::read(corpus(name)).unwrap();
        for cut in [16, 100, bytes.len() / 2] {
            match read_export(&bytes[..cut], None) {
                Err(AuthError::Import(_)) => {}
                Ok(report) => assert!(report.accounts.len() <= expected(name).len(), "{name}"),
                Err(other) => panic!("{name} cut at {cut}: {other:?}"),
            }
        }
    }
}
