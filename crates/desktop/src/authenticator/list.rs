//! The code list as the UI receives it: the rows (codes, never secrets), the second they were
//! computed at, and how the UI should time itself (when to show the next code, how long a
//! copied code stays on the clipboard).
//!
//! Leaves out computing codes (the vault) and timers (the UI schedules from the wall clock).

use serde::Serialize;
use twofold_vault::{Account, AccountCode};

use super::error::AuthError;

#[derive(Debug, Serialize)]
pub struct CodeList {
    /// The Unix second the codes are for.
    pub at: u64,
    /// Show `next_code` during this many last seconds of a period.
    pub next_window: u64,
    /// A copied code is cleared from the clipboard after this many seconds.
    pub clear_after_secs: u64,
    pub accounts: Vec<AccountCode>,
    /// Set when the keyring could not be read: `accounts` then have names but no codes.
    pub keyring_error: Option<AuthError>,
    /// Why the last automatic backup failed, until one succeeds again.
    pub backup_problem: Option<super::backup::BackupProblem>,
}

/// Rows with names and no codes, for when the keyring cannot be read.
pub fn blank_rows(accounts: &[Account]) -> Vec<AccountCode> {
    accounts.iter().map(AccountCode::blank).collect()
}
