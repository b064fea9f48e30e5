//! The admin URL the app last connected to, kept as JSON in the app's config directory
//! (`admin.json`). Only the address: the token never goes to a file of ours.
//!
//! `TWOFOLD_ADMIN_URL` overrides the file for one run (what `make run` and the tests use).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The address used when nothing else says: a portal started on this machine with the
/// default `--admin-listen`.
pub const DEFAULT_ADMIN_URL: &str = "http://127.0.0.1:8081";
/// Environment variable that overrides the saved admin URL.
pub const ADMIN_URL_ENV: &str = "TWOFOLD_ADMIN_URL";
const FILE_NAME: &str = "admin.json";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub admin_url: Option<String>,
}

/// The settings file in `config_dir`.
pub fn settings_path(config_dir: &Path) -> PathBuf {
    config_dir.join(FILE_NAME)
}

/// Reads the settings; a missing or unreadable file gives the defaults (a broken file must
/// not keep the admin out: they type the address again).
pub fn load(config_dir: &Path) -> Settings {
    std::fs::read(settings_path(config_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Writes the settings atomically (temp file, then rename), creating the directory.
pub fn save(config_dir: &Path, settings: &Settings) -> std::io::Result<()> {
    std::fs::create_dir_all(config_dir)?;
    let path = settings_path(config_dir);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)
}

/// The admin URL to start with: the environment, else the saved one, else the default.
pub fn initial_admin_url(config_dir: &Path) -> String {
    std::env::var(ADMIN_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| load(config_dir).admin_url)
        .unwrap_or_else(|| DEFAULT_ADMIN_URL.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { admin_url: Some("https://portal.example:8443".into()) };
        save(&dir.path().join("nested"), &settings).unwrap();
        assert_eq!(load(&dir.path().join("nested")), settings);
    }

    #[test]
    fn a_missing_or_broken_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Settings::default());
        std::fs::write(settings_path(dir.path()), b"{not json").unwrap();
        assert_eq!(load(dir.path()), Settings::default());
    }
}
