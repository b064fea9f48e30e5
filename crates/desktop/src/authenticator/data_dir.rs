//! Where the authenticator's account database lives, the same for the window and the CLI:
//! `$TWOFOLD_VAULT_DIR` when set (tests, portable installs), else the app's data directory —
//! the platform data directory joined with the app identifier, which is what Tauri's
//! `app_data_dir()` gives the window:
//! - Linux: `$XDG_DATA_HOME/dev.twofold.desktop` (default `~/.local/share/dev.twofold.desktop`)
//! - macOS: `~/Library/Application Support/dev.twofold.desktop`
//! - Windows: `%APPDATA%\dev.twofold.desktop`
//!
//! Only metadata is stored there (SQLite); secrets are in the OS keyring. Leaves out creating
//! the directory (the vault does it when it opens).

use std::path::PathBuf;

/// Environment variable that overrides the vault directory.
pub const VAULT_DIR_ENV: &str = "TWOFOLD_VAULT_DIR";

/// The app identifier of `src-tauri/tauri.conf.json` (a test keeps the two equal).
pub const APP_IDENTIFIER: &str = "dev.twofold.desktop";

/// Why no directory could be chosen.
#[derive(Debug, thiserror::Error)]
#[error("cannot find a data directory for the vault (no home directory); set {VAULT_DIR_ENV}")]
pub struct NoDataDir;

/// The vault directory (see the module docs for the rule).
pub fn vault_dir() -> Result<PathBuf, NoDataDir> {
    if let Some(dir) = std::env::var_os(VAULT_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER)).ok_or(NoDataDir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_identifier_is_the_one_in_tauri_conf() {
        let conf = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../src-tauri/tauri.conf.json"
        ))
        .unwrap();
        let conf: serde_json::Value = serde_json::from_str(&conf).unwrap();
        assert_eq!(conf["identifier"], super::APP_IDENTIFIER);
    }
}
