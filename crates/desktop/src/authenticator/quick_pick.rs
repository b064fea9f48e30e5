//! The quick-pick's list: the code list in the user's order, except that the accounts whose
//! issuer the focused window's title names (“Sign in – GitHub”, “github.com - Chromium”) come
//! first, so Enter right after the shortcut gives the code that window asks for.
//!
//! Typing a code goes through `crate::target_window`; the window is `src-tauri`'s.

use serde::Serialize;
use twofold_vault::{AccountCode, CodeKind};
use zeroize::Zeroizing;

use super::error::AuthError;
use super::service::Authenticator;
use crate::target_window::{self, TargetWindow};

/// What the quick-pick shows.
#[derive(Debug, Serialize)]
pub struct QuickList {
    pub accounts: Vec<AccountCode>,
    /// The title of the window that had focus, when one was read.
    pub title: Option<String>,
    /// How many of the first `accounts` the title named.
    pub matched: usize,
}

/// Does `title` name `issuer`? Case and accents are ignored, and the issuer must stand as
/// whole words (“Git” does not match “GitHub”, “GitHub” matches “github.com”).
pub fn title_names(title: &str, issuer: &str) -> bool {
    let issuer = words(issuer);
    if issuer.is_empty() {
        return false;
    }
    let title = words(title);
    title.windows(issuer.len()).any(|w| w == issuer.as_slice())
}

/// `rows` with those `title` names first, each part in its own order; returns how many matched.
pub fn order_for_title(rows: Vec<AccountCode>, title: Option<&str>) -> (Vec<AccountCode>, usize) {
    let Some(title) = title else { return (rows, 0) };
    let (mut first, rest): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.issuer.as_deref().is_some_and(|issuer| title_names(title, issuer)));
    let matched = first.len();
    first.extend(rest);
    (first, matched)
}

/// Lower-case alphanumeric words, accents dropped by keeping only the base letter of the
/// common Latin ones (enough for issuers; an unknown letter still compares as itself).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().flat_map(char::to_lowercase).map(base_letter).collect())
        .collect()
}

fn base_letter(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

impl Authenticator {
    /// The quick-pick's list for the window titled `title` (refused while the app is locked).
    pub fn quick_list(&self, title: Option<&str>) -> Result<QuickList, AuthError> {
        let list = self.list()?;
        let (accounts, matched) = order_for_title(list.accounts, title);
        Ok(QuickList { accounts, title: title.map(str::to_string), matched })
    }

    /// The code to type for `id`: the current one, or for HOTP the next one (typing a code
    /// means using it, so the counter moves as “Next code” would move it).
    pub fn code_to_type(&self, id: &str) -> Result<Zeroizing<String>, AuthError> {
        let at = self.now();
        let row = self.with_vault(|v| v.code(id, at))?;
        let row = if row.kind == CodeKind::Hotp { self.next_hotp(id)? } else { row };
        row.code.map(Zeroizing::new).ok_or(AuthError::NoCodeYet)
    }

    /// Copies the code of `id` (for HOTP the next one, as typing it would).
    pub fn quick_copy(&self, id: &str) -> Result<(), AuthError> {
        let code = self.code_to_type(id)?;
        self.copy_text(&code).map(|_| ())
    }

    /// Types the code of `id` into `target`, the window that had focus before the quick-pick.
    /// Where this desktop does not allow it, the code goes on the clipboard (cleared as a
    /// copied code is) and the error says so.
    pub fn type_code(&self, id: &str, target: Option<&TargetWindow>) -> Result<(), AuthError> {
        let code = self.code_to_type(id)?;
        let typed = match target {
            Some(target) => target_window::type_into(target, &code).map_err(|e| e.to_string()),
            None => Err("no window had the focus".to_string()),
        };
        typed.or_else(|detail| {
            self.copy_text(&code)?;
            Err(AuthError::TypingUnavailable { detail })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(issuer: Option<&str>, account: &str) -> AccountCode {
        AccountCode {
            id: account.into(),
            issuer: issuer.map(Into::into),
            account: account.into(),
            kind: CodeKind::Totp,
            code: None,
            grouped: None,
            period: Some(30),
            seconds_left: None,
            next_code: None,
            next_grouped: None,
            counter: None,
            problem: None,
        }
    }

    #[test]
    fn a_sign_in_page_title_names_its_issuer_whatever_the_case_and_punctuation() {
        assert!(title_names("Sign in – GitHub", "GitHub"));
        assert!(title_names("github.com/login - Chromium", "GitHub"));
        assert!(title_names("Connexion · Société Générale", "Societe Generale"));
        assert!(title_names("Microsoft account | Sign In", "microsoft"));
    }

    #[test]
    fn a_part_of_a_word_or_an_empty_issuer_is_no_match() {
        assert!(!title_names("Sign in – GitHub", "Git"));
        assert!(!title_names("Gitlab", "GitHub"));
        assert!(!title_names("anything", "  "));
        assert!(!title_names("", "GitHub"));
    }

    #[test]
    fn matched_accounts_come_first_and_both_parts_keep_the_users_order() {
        let rows = vec![
            row(Some("AWS"), "a"),
            row(Some("GitHub"), "b"),
            row(None, "c"),
            row(Some("GitHub"), "d"),
        ];
        let (rows, matched) = order_for_title(rows, Some("Sign in to GitHub · GitHub"));
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!((ids, matched), (vec!["b", "d", "a", "c"], 2));
    }

    #[test]
    fn no_title_keeps_the_order() {
        let (rows, matched) = order_for_title(vec![row(Some("X"), "a"), row(None, "b")], None);
        assert_eq!((rows.len(), rows[0].id.as_str(), matched), (2, "a", 0));
    }
}
