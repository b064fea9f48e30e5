//! “Always at hand” settings: whether closing the window keeps Twofold in the tray, and the
//! global shortcut that opens the quick-pick. Kept in `at-hand.json` beside the account
//! database; a missing file means the defaults, a damaged one is reported and the defaults are
//! used until the user saves again.
//!
//! The default shortcut, Ctrl+Alt+Shift+O (O for one-time code), is bound by none of GNOME,
//! KDE Plasma, Xfce, Cinnamon or MATE out of the box, unlike Super+… and most Ctrl+Alt+letters.
//!
//! Leaves out registering the shortcut and the tray itself (`src-tauri`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::{AuthError, Result};
use super::export::write_private;
use super::service::Authenticator;

/// The settings' file in the vault directory.
pub const AT_HAND_FILE: &str = "at-hand.json";
/// The shortcut used until the user picks another (or none).
pub const DEFAULT_SHORTCUT: &str = "Ctrl+Alt+Shift+O";

/// What the user chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtHand {
    /// Closing the main window hides it; the app stays in the tray until Quit.
    pub keep_in_tray: bool,
    /// The quick-pick's global shortcut, `None` for none.
    pub shortcut: Option<String>,
}

impl Default for AtHand {
    fn default() -> Self {
        AtHand { keep_in_tray: false, shortcut: Some(DEFAULT_SHORTCUT.to_string()) }
    }
}

/// The settings and, when the file could not be read, why (the defaults are then in force).
#[derive(Debug, Serialize)]
pub struct AtHandStatus {
    pub settings: AtHand,
    pub problem: Option<AuthError>,
}

/// Checks the form of a shortcut: modifiers and one key joined by `+`, with at least one of
/// Ctrl, Alt or Super, since a global Shift+letter would take a letter from every program.
/// Returns it tidied (`ctrl + alt+o` → `Ctrl+Alt+O`). Whether the key name exists and the
/// combination is free is found when it is registered.
pub fn tidy_shortcut(text: &str) -> Result<String> {
    let refuse = |detail: &str| AuthError::Shortcut {
        shortcut: text.to_string(),
        detail: detail.to_string(),
    };
    let parts: Vec<&str> = text.split('+').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) || parts.len() < 2 {
        return Err(refuse("write it as modifiers and a key joined by +, like Ctrl+Alt+Shift+O"));
    }
    let (key, modifiers) = parts.split_last().expect("two parts at least");
    let mut tidy = Vec::new();
    for m in modifiers {
        let name = match m.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => "Ctrl",
            "alt" => "Alt",
            "shift" => "Shift",
            "super" | "meta" | "win" => "Super",
            _ => return Err(refuse(&format!("{m} is not Ctrl, Alt, Shift or Super"))),
        };
        if !tidy.contains(&name) {
            tidy.push(name);
        }
    }
    if !tidy.iter().any(|m| matches!(*m, "Ctrl" | "Alt" | "Super")) {
        return Err(refuse("it needs Ctrl, Alt or Super, so it takes no key from other programs"));
    }
    let key = if key.chars().count() == 1 { key.to_uppercase() } else { key.to_string() };
    Ok(format!("{}+{key}", tidy.join("+")))
}

impl Authenticator {
    fn at_hand_path(&self) -> PathBuf {
        self.data_dir().join(AT_HAND_FILE)
    }

    /// The settings in force.
    pub fn at_hand(&self) -> AtHandStatus {
        let path = self.at_hand_path();
        let damaged = |detail: String| AtHandStatus {
            settings: AtHand::default(),
            problem: Some(AuthError::AtHandSettingsDamaged {
                path: path.display().to_string(),
                detail,
            }),
        };
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<AtHand>(&bytes) {
                Ok(settings) => match settings.shortcut.as_deref().map(tidy_shortcut) {
                    Some(Err(e)) => damaged(e.to_string()),
                    _ => AtHandStatus { settings, problem: None },
                },
                Err(e) => damaged(e.to_string()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                AtHandStatus { settings: AtHand::default(), problem: None }
            }
            Err(e) => damaged(e.to_string()),
        }
    }

    /// Saves `settings` (the shortcut tidied); returns what was saved.
    pub fn save_at_hand(&self, settings: AtHand) -> Result<AtHand> {
        let settings = AtHand {
            shortcut: settings.shortcut.as_deref().map(tidy_shortcut).transpose()?,
            ..settings
        };
        let path = self.at_hand_path();
        let json =
            serde_json::to_vec_pretty(&settings).map_err(|e| AuthError::Internal(e.to_string()))?;
        write_private(&path, &json).map_err(|e| AuthError::WriteFailed {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::tidy_shortcut;

    #[test]
    fn a_shortcut_is_tidied_to_one_spelling() {
        assert_eq!(tidy_shortcut("ctrl + alt+shift+o").unwrap(), "Ctrl+Alt+Shift+O");
        assert_eq!(tidy_shortcut("Super+Control+F9").unwrap(), "Super+Ctrl+F9");
    }

    #[test]
    fn a_shortcut_without_ctrl_alt_or_super_or_without_a_key_is_refused() {
        for bad in ["Shift+O", "O", "Ctrl+", "Ctrl++O", "Hyper+O", ""] {
            assert!(tidy_shortcut(bad).is_err(), "{bad} was accepted");
        }
    }
}
