//! Inputs the fuzz targets (fuzz/, see fuzz/README.md) turned up, replayed on stable with the
//! property the target checks. The inputs live in `fuzz/regressions/<target>/`, so
//! `cargo +nightly fuzz run <target> <file>` replays the same bytes.
//!
//! Findings not fixed yet are `#[ignore]`d with their id (F1, F2, F3 in fuzz/README.md), so
//! the suite stays green for everyone meanwhile; `-- --include-ignored` shows them failing.
//! Fixing one means removing its `ignore`.

use std::path::PathBuf;

use twofold_core::import::{detect_and_import, Format, ImportError};
use twofold_core::OtpAuth;

/// The password of the encrypted seed backups, as the `importers` target uses it.
const PASSWORD: &str = "test";

fn input(target: &str, name: &str) -> Vec<u8> {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "../../fuzz/regressions", target, name].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `otpauth_uri` target's property: what parses survives its own strict URI unchanged.
fn assert_round_trip(auth: &OtpAuth) {
    let uri = auth.to_uri();
    match OtpAuth::parse(&uri) {
        Ok(again) => assert_eq!(&again, auth, "changed on the way through {}", uri.as_str()),
        Err(e) => panic!("{auth:?} has no valid URI ({e}): {}", uri.as_str()),
    }
}

#[test]
fn f1_a_colon_in_an_account_without_issuer_survives_the_round_trip() {
    for name in ["f1-colon-account-without-issuer", "f1-encoded-colon-account-without-issuer"] {
        let text = String::from_utf8(input("otpauth_uri", name)).unwrap();
        let auth = OtpAuth::parse(&text).unwrap();
        assert_eq!(auth.issuer, None, "{name}");
        assert!(auth.account.contains(':'), "{name}");
        assert_round_trip(&auth);
    }
}

#[test]
fn f2_an_entry_without_a_name_is_not_imported_as_a_nameless_account() {
    for name in ["f2-bitwarden-unnamed-item", "f2-aegis-unnamed-entry"] {
        let report = detect_and_import(&input("importers", name), Some(PASSWORD)).unwrap();
        // Either fix is fine: skip the entry with a reason, or give it a name (the issuer).
        for account in &report.accounts {
            assert!(!account.account.trim().is_empty(), "{name}: nameless {account:?}");
            assert_round_trip(account);
        }
        assert_eq!(report.accounts.len() + report.skipped.len(), 1, "{name}: entry lost");
    }
}

#[test]
fn f3_an_aegis_slot_over_the_scrypt_memory_budget_is_refused_before_deriving() {
    let result =
        detect_and_import(&input("importers", "f3-aegis-scrypt-4gib-slot"), Some(PASSWORD));
    assert!(
        matches!(result, Err(ImportError::Unsupported { format: Format::Aegis, .. })),
        "{:?}",
        result.map(|r| r.accounts.len())
    );
}

#[test]
fn f3_an_aegis_vault_with_dozens_of_password_slots_is_refused() {
    let result =
        detect_and_import(&input("importers", "f3-aegis-64-password-slots"), Some(PASSWORD));
    assert!(
        matches!(result, Err(ImportError::Unsupported { format: Format::Aegis, .. })),
        "{:?}",
        result.map(|r| r.accounts.len())
    );
}
