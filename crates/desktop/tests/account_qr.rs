//! One account's QR code, through the Authenticator mode's service without a window: the PNG
//! it gives scans (with the same decoder the app's Scan uses) to that account's own
//! `otpauth://` URI — secret, issuer, name, algorithm, digits and period — so any phone app
//! that scans it shows the same codes; an unknown account is an error, not an image.

use std::sync::Arc;

use twofold_core::{OtpAuth, OtpKind};
use twofold_desktop::authenticator::{Authenticator, MemoryClipboard, Offer};
use twofold_vault::MemoryStore;

const LINK: &str =
    "otpauth://totp/ACME%20Corp:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=ACME%20Corp&algorithm=SHA256&digits=8&period=60";

fn authenticator(dir: &std::path::Path) -> Authenticator {
    Authenticator::new(dir, Arc::new(MemoryStore::new()), Arc::new(MemoryClipboard::default()))
}

fn added_id(offer: Offer) -> String {
    match offer {
        Offer::Added { report } => report.added[0].id.clone(),
        Offer::Preview { .. } => panic!("one link is added at once, not previewed"),
    }
}

#[test]
fn an_accounts_qr_code_scans_to_its_own_otpauth_uri() {
    let dir = tempfile::tempdir().unwrap();
    let mode = authenticator(dir.path());
    added_id(
        mode.add_text("otpauth://totp/Other:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Other").unwrap(),
    );
    let id = added_id(mode.add_text(LINK).unwrap());

    let png = mode.account_qr(&id).unwrap();
    let found = twofold_scanner::scan_image_bytes(&png).unwrap();
    assert_eq!(found.len(), 1, "one QR code in the image: {found:?}");
    let scanned = OtpAuth::parse(&found[0]).unwrap();
    let original = OtpAuth::parse(LINK).unwrap();
    assert_eq!(scanned.secret.as_bytes(), original.secret.as_bytes());
    assert_eq!(scanned.issuer.as_deref(), Some("ACME Corp"));
    assert_eq!(scanned.account, "ann@example.com");
    assert_eq!(scanned.algorithm, original.algorithm);
    assert_eq!(scanned.digits, 8);
    assert!(matches!(scanned.kind, OtpKind::Totp { period: 60 }), "{:?}", scanned.kind);
}

#[test]
fn the_qr_code_of_an_account_that_is_not_there_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mode = authenticator(dir.path());
    let error = mode.account_qr("no-such-id").expect_err("no image for an unknown account");
    assert!(error.to_string().contains("no-such-id"), "{error}");
}
