//! What the tray menu lists: one entry per account (choosing it copies the code), or, while
//! the app is locked, nothing that names an account — unless the user chose to keep the names
//! in sight while locked, and then only the names, as entries that do nothing. The window side
//! turns this model into the StatusNotifierItem's menu and rebuilds it only when the model
//! changes.
//!
//! Leaves out the menu widgets and their events (`src-tauri/src/tray.rs`).

use super::error::AuthError;
use super::service::Authenticator;

/// Longest account label in the menu, in characters; longer ones end with “…”.
pub const LABEL_CHARS: usize = 60;

/// The accounts part of the tray menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrayAccounts {
    /// The app is locked: no codes; the accounts' labels only if the user chose to see them
    /// while locked (else empty).
    Locked(Vec<String>),
    /// The vault could not be read; the reason is shown as a disabled entry.
    Unreadable(String),
    /// The accounts in the user's order: `(id, label)`.
    Listed(Vec<(String, String)>),
}

/// The label of one account: “Issuer — name”, or the name alone, at most [`LABEL_CHARS`].
pub fn account_label(issuer: Option<&str>, account: &str) -> String {
    let full = match issuer.map(str::trim).filter(|i| !i.is_empty()) {
        Some(issuer) => format!("{issuer} — {account}"),
        None => account.to_string(),
    };
    if full.chars().count() <= LABEL_CHARS {
        return full;
    }
    let mut cut: String = full.chars().take(LABEL_CHARS - 1).collect();
    cut.push('…');
    cut
}

impl Authenticator {
    /// The tray's accounts now. Reads names only (no keyring access), so it is cheap enough
    /// to compare every second.
    pub fn tray_accounts(&self) -> TrayAccounts {
        if self.lock_status().locked {
            return self.locked_tray();
        }
        match self.with_vault(|v| v.accounts()) {
            Ok(accounts) => TrayAccounts::Listed(
                accounts
                    .iter()
                    .map(|a| (a.id.clone(), account_label(a.issuer.as_deref(), &a.account)))
                    .collect(),
            ),
            Err(AuthError::Locked) => self.locked_tray(),
            Err(e) => TrayAccounts::Unreadable(e.to_string()),
        }
    }

    fn locked_tray(&self) -> TrayAccounts {
        // A vault that cannot be read shows as no names: the menu then says only "Locked".
        let names = self.names_while_locked().unwrap_or_default();
        TrayAccounts::Locked(
            names.iter().map(|n| account_label(n.issuer.as_deref(), &n.account)).collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_names_the_issuer_then_the_account() {
        assert_eq!(account_label(Some("GitHub"), "alice"), "GitHub — alice");
        assert_eq!(account_label(Some("  "), "alice"), "alice");
        assert_eq!(account_label(None, "alice"), "alice");
    }

    #[test]
    fn a_long_label_is_cut_with_an_ellipsis_at_the_limit() {
        let label = account_label(Some("Issuer"), &"é".repeat(100));
        assert_eq!(label.chars().count(), LABEL_CHARS);
        assert!(label.ends_with('…'));
    }
}
