//! What the vault knows about an account besides its secret, and the search rule over it.
//!
//! Leaves out the secret itself (only in the keyring) and storage (see [`crate::db`]).

use twofold_core::{Algorithm, OtpKind};

/// One account's metadata, as stored in SQLite. Holds no secret, so it may be shown, logged
/// or sent to the UI freely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Random 128-bit id in hex; also the keyring item's `username` attribute.
    pub id: String,
    pub issuer: Option<String>,
    pub account: String,
    /// TOTP or Steam with its period, or HOTP with the counter of the next code to issue.
    pub kind: OtpKind,
    pub algorithm: Algorithm,
    pub digits: u32,
    /// Position in the user's manual order (0 first).
    pub sort_order: i64,
    /// Unix seconds when the account was added.
    pub created: u64,
}

impl Account {
    /// "Issuer (account)" or just the account: the keyring item label and list title.
    pub fn display_name(&self) -> String {
        match &self.issuer {
            Some(issuer) => format!("{issuer} ({})", self.account),
            None => self.account.clone(),
        }
    }

    /// Whether this account matches the search box text; see [`matches_query`].
    pub fn matches(&self, query: &str) -> bool {
        matches_query(self.issuer.as_deref(), &self.account, query)
    }
}

/// Search as you type: every word of `query` must occur, case-insensitively, in the issuer or
/// the account name. An empty query matches everything.
pub fn matches_query(issuer: Option<&str>, account: &str, query: &str) -> bool {
    let haystack = format!("{} {}", issuer.unwrap_or(""), account).to_lowercase();
    query.split_whitespace().all(|word| haystack.contains(&word.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_is_case_insensitive_over_issuer_and_account() {
        assert!(matches_query(Some("GitHub"), "alice@example.com", "github"));
        assert!(matches_query(Some("GitHub"), "alice@example.com", "ALICE"));
        assert!(matches_query(Some("GitHub"), "alice@example.com", "git ali"));
        assert!(!matches_query(Some("GitHub"), "alice@example.com", "gitlab"));
        assert!(matches_query(None, "Ünïcode", "ünï"));
    }

    #[test]
    fn empty_query_matches_everything() {
        assert!(matches_query(None, "x", ""));
        assert!(matches_query(None, "x", "   "));
    }
}
