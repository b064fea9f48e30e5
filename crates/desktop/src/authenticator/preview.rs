//! Accounts waiting for the user's OK: what a scan or an import found, held here (secrets
//! included) while the UI shows a [`Preview`] of them — names and parameters, which ones are
//! already in the vault, what was skipped — and nothing is stored until the user confirms.
//!
//! Leaves out finding the accounts ([`super::found`], the importers) and storing them
//! ([`super::service`]).

use serde::Serialize;
use twofold_core::import::Skipped;
use twofold_core::{OtpAuth, OtpKind};

use super::found::BatchInfo;

/// Where a batch of accounts came from, for the dialog's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Screen,
    Image,
    Clipboard,
    Camera,
    Text,
    Import,
}

/// Accounts found and not yet stored. `duplicate_of[i]` is the vault id of an account equal
/// to `accounts[i]`, found when the batch was made.
pub struct Pending {
    pub id: u64,
    pub source: Source,
    pub format: Option<String>,
    pub accounts: Vec<OtpAuth>,
    pub duplicate_of: Vec<Option<String>>,
    pub skipped: Vec<Skipped>,
    pub ignored: usize,
    pub batches: Vec<BatchInfo>,
}

/// What the UI sees of a [`Pending`] batch: no secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub id: u64,
    pub source: Source,
    /// The export format's name, for imports ("Aegis", "2FAS"…).
    pub format: Option<String>,
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<SkippedEntry>,
    /// QR codes that were not authenticator codes.
    pub ignored: usize,
    pub batches: Vec<BatchInfo>,
}

/// One account of a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub index: usize,
    pub issuer: Option<String>,
    pub account: String,
    /// `totp`, `hotp` or `steam`.
    pub kind: &'static str,
    pub algorithm: &'static str,
    pub digits: u32,
    pub period: Option<u64>,
    pub counter: Option<u64>,
    /// Already in the vault (same issuer, name and key): not selected by default.
    pub duplicate: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedEntry {
    pub label: String,
    pub reason: String,
}

impl Pending {
    pub fn preview(&self) -> Preview {
        Preview {
            id: self.id,
            source: self.source,
            format: self.format.clone(),
            candidates: self
                .accounts
                .iter()
                .enumerate()
                .map(|(index, a)| {
                    candidate(index, a, self.duplicate_of.get(index).is_some_and(Option::is_some))
                })
                .collect(),
            skipped: self
                .skipped
                .iter()
                .map(|s| SkippedEntry { label: s.label.clone(), reason: s.reason.clone() })
                .collect(),
            ignored: self.ignored,
            batches: self.batches.clone(),
        }
    }

    /// The one account to add without asking: exactly one new account and nothing else to
    /// tell the user about (the one-click scan of a sign-up QR code). Imports always ask.
    pub fn single_new_account(&self) -> Option<&OtpAuth> {
        let alone = self.accounts.len() == 1 && self.skipped.is_empty() && self.batches.is_empty();
        let new = self.duplicate_of.first().is_some_and(Option::is_none);
        (self.source != Source::Import && alone && new).then(|| &self.accounts[0])
    }
}

fn candidate(index: usize, a: &OtpAuth, duplicate: bool) -> Candidate {
    let (kind, period, counter) = match a.kind {
        OtpKind::Totp { period } => ("totp", Some(period), None),
        OtpKind::Hotp { counter } => ("hotp", None, Some(counter)),
        OtpKind::Steam { period } => ("steam", Some(period), None),
    };
    Candidate {
        index,
        issuer: a.issuer.clone(),
        account: a.account.clone(),
        kind,
        algorithm: a.algorithm.as_str(),
        digits: a.digits,
        period,
        counter,
        duplicate,
    }
}
