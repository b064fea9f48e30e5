//! From decoded text to accounts: what a QR scan (or a pasted link) yields. An `otpauth://`
//! URI is one account; an `otpauth-migration://` URI (Google Authenticator's "Transfer
//! accounts" QR) is several, and says which batch of a multi-QR export it is. Any other text
//! (a web link, a Wi-Fi code) is counted as ignored, so the UI can say "a QR code was found,
//! but it is not an authenticator code".
//!
//! Leaves out decoding images (twofold-scanner) and storing (the vault).

use serde::Serialize;
use twofold_core::import::{google_migration, Skipped};
use twofold_core::OtpAuth;

/// Everything usable in a set of decoded texts.
#[derive(Debug, Default)]
pub struct Found {
    /// In the order found; the same account found twice is kept once.
    pub accounts: Vec<OtpAuth>,
    /// Entries that were recognised but cannot be added, with the reason.
    pub skipped: Vec<Skipped>,
    /// Texts that are not authenticator codes at all.
    pub ignored: usize,
    /// For Google Authenticator transfer QR codes: "batch 1 of 3", so the user knows to scan
    /// the others.
    pub batches: Vec<BatchInfo>,
}

/// One `otpauth-migration://` QR code's place in its export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    /// 1-based, as shown to the user.
    pub index: u32,
    pub size: u32,
}

/// Whether `text` looks like something this module reads (for pasted text).
pub fn is_authenticator_text(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower.starts_with("otpauth://") || lower.starts_with("otpauth-migration://")
}

/// Reads every text (one URI each; a text may also hold several lines of URIs, as a pasted
/// list does).
pub fn accounts_from_texts<S: AsRef<str>>(texts: &[S]) -> Found {
    let mut found = Found::default();
    for text in texts {
        let lines: Vec<&str> =
            text.as_ref().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if lines.is_empty() || !lines.iter().any(|l| is_authenticator_text(l)) {
            found.ignored += 1;
            continue;
        }
        for line in lines {
            read_line(line, &mut found);
        }
    }
    found
}

fn read_line(line: &str, found: &mut Found) {
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("otpauth-migration://") {
        if let Ok(payload) = google_migration::decode_uri(line) {
            if payload.batch_size > 1 {
                found.batches.push(BatchInfo {
                    index: u32::try_from(payload.batch_index).unwrap_or(0).saturating_add(1),
                    size: u32::try_from(payload.batch_size).unwrap_or(0),
                });
            }
        }
        match google_migration::import(line.as_bytes()) {
            Ok(report) => {
                for account in report.accounts {
                    push_unique(&mut found.accounts, account);
                }
                found.skipped.extend(report.skipped);
            }
            Err(e) => found.skipped.push(Skipped {
                label: "Google Authenticator export".into(),
                reason: e.to_string(),
            }),
        }
    } else if lower.starts_with("otpauth://") {
        match OtpAuth::parse(line) {
            Ok(account) => push_unique(&mut found.accounts, account),
            Err(e) => found.skipped.push(Skipped { label: label_of(line), reason: e.to_string() }),
        }
    } else {
        found.ignored += 1;
    }
}

fn push_unique(accounts: &mut Vec<OtpAuth>, account: OtpAuth) {
    if !accounts.contains(&account) {
        accounts.push(account);
    }
}

/// The label part of a URI that failed to parse (never its query, which holds the secret).
fn label_of(uri: &str) -> String {
    let path = uri.split_once("://").map(|(_, rest)| rest).unwrap_or(uri);
    let path = path.split('?').next().unwrap_or("");
    let label = path.split_once('/').map(|(_, l)| l).unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(label).decode_utf8_lossy().replace('+', " ");
    if decoded.trim().is_empty() {
        "otpauth link".to_string()
    } else {
        decoded.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str =
        "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    #[test]
    fn an_otpauth_uri_is_one_account_and_a_web_link_is_ignored() {
        let found = accounts_from_texts(&[URI, "https://example.com/"]);
        assert_eq!(found.accounts.len(), 1);
        assert_eq!(found.accounts[0].account, "alice@example.com");
        assert_eq!(found.ignored, 1);
    }

    #[test]
    fn the_same_account_twice_is_offered_once() {
        let found = accounts_from_texts(&[URI, URI]);
        assert_eq!(found.accounts.len(), 1);
    }

    #[test]
    fn a_bad_uri_is_skipped_with_its_label_and_without_its_secret() {
        let found = accounts_from_texts(&["otpauth://totp/Bank:bob?secret=NOT!BASE32"]);
        assert!(found.accounts.is_empty());
        assert_eq!(found.skipped.len(), 1);
        assert_eq!(found.skipped[0].label, "Bank:bob");
        assert!(!found.skipped[0].reason.contains("NOT!BASE32"));
    }

    #[test]
    fn a_pasted_list_of_uris_gives_every_account() {
        let two =
            format!("{URI}\n\notpauth://hotp/Other:carol?secret=JBSWY3DPEHPK3PXQ&counter=3\n");
        assert_eq!(accounts_from_texts(&[two]).accounts.len(), 2);
    }

    #[test]
    fn a_google_transfer_qr_gives_all_its_accounts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/imports/google_migration");
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let Some(uri) = text.lines().find(|l| l.starts_with("otpauth-migration://")) else {
                continue;
            };
            let found = accounts_from_texts(&[uri]);
            assert!(
                !found.accounts.is_empty() || !found.skipped.is_empty(),
                "{}",
                entry.path().display()
            );
            assert_eq!(found.ignored, 0);
        }
    }
}
