//! Fuzzes every importer of other apps' exports (`twofold_core::import`): the format sniffer
//! `detect_and_import` and each format's own entry point.
//!
//! `detect_and_import` gets the fixed password of the seed backups (`test`), so mutated
//! encrypted seeds still get past their key derivation and the decrypted JSON is parsed too.
//! Each importer is then also called directly on the same bytes without a password: that
//! reaches every parser even when the sniffer would send the input elsewhere, and stops
//! encrypted formats after their headers, so the (slow) key derivations run once per input.
//!
//! Checked beyond "never panics": an account an importer returns is one the rest of the app
//! can keep, i.e. its strict URI parses back to the same account (the CLI prints imported
//! accounts as URIs, and the desktop re-reads URIs it wrote).
//!
//! F1 (a name with a colon and no issuer) and F2 (accounts with an empty name) are fixed
//! (fuzz/README.md) and checked like everything else; their regression tests run in
//! crates/core/tests/fuzz_regressions.rs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use twofold_core::import::{self, ImportError, ImportReport};
use twofold_core::OtpAuth;

/// The password of the encrypted seed files (Aegis's test vectors use it for every format).
const PASSWORD: &str = "test";

fuzz_target!(|data: &[u8]| {
    check(import::detect_and_import(data, Some(PASSWORD)));

    check(import::aegis::import(data, None));
    check(import::twofas::import(data, None));
    check(import::andotp::import_json(data));
    check(import::bitwarden::import_json(data));
    check(import::bitwarden::import_csv(data));
    check(import::freeotp_plus::import(data));
    check(import::ente::import(data));
    check(import::uri_list::import(data));
    check(import::google_migration::import(data));
    check(import::stratum::import_json(data));
    check(import::proton::import(data));
    let _ = import::stratum::is_encrypted(data);
});

fn check(result: Result<ImportReport, ImportError>) {
    let Ok(report) = result else { return };
    for account in &report.accounts {
        let uri = account.to_uri();
        match OtpAuth::parse(&uri) {
            Ok(again) => assert_eq!(
                &again,
                account,
                "a {} account does not survive its own URI: {}",
                report.format,
                uri.as_str()
            ),
            Err(e) => {
                panic!("a {} account has no valid URI ({e}): {}", report.format, uri.as_str())
            }
        }
    }
}
