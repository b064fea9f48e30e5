//! Where a portal keeps its data when it is not told (`--data`, `TWOFOLD_DATA`): the one
//! convention the portal uses to choose its directory and the desktop app uses to find a local
//! portal's admin token. A pure function of the environment, which is passed in; it neither
//! reads the real environment nor touches the disk.

use std::path::{Path, PathBuf};

/// Environment variable naming the portal's data directory.
pub const DATA_ENV: &str = "TWOFOLD_DATA";
/// Name of the portal's directory under the user's data home.
pub const DIR_NAME: &str = "twofold-portal";
/// Data directory of a portal run as a system service (and of one with no home at all).
pub const SYSTEM_DATA_DIR: &str = "/var/lib/twofold-portal";

/// The data directory a portal uses without `--data`: `$TWOFOLD_DATA`, else
/// `$XDG_DATA_HOME/twofold-portal`, else `$HOME/.local/share/twofold-portal`, else
/// [`SYSTEM_DATA_DIR`]. A relative `XDG_DATA_HOME` is ignored, as the XDG spec says.
pub fn default_data_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = env(DATA_ENV).filter(|d| !d.trim().is_empty()) {
        return PathBuf::from(dir);
    }
    user_data_dir(env).unwrap_or_else(|| PathBuf::from(SYSTEM_DATA_DIR))
}

/// `$XDG_DATA_HOME/twofold-portal` or `$HOME/.local/share/twofold-portal`, if either is set.
pub fn user_data_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let data_home = env("XDG_DATA_HOME")
        .filter(|d| Path::new(d).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|h| !h.trim().is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })?;
    Some(data_home.join(DIR_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn twofold_data_wins_over_every_other_place() {
        let env =
            env_of(&[("TWOFOLD_DATA", "/srv/portal"), ("XDG_DATA_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(default_data_dir(&env), PathBuf::from("/srv/portal"));
    }

    #[test]
    fn xdg_data_home_comes_before_home() {
        let env = env_of(&[("XDG_DATA_HOME", "/x/data"), ("HOME", "/home/ann")]);
        assert_eq!(default_data_dir(&env), PathBuf::from("/x/data/twofold-portal"));
    }

    #[test]
    fn a_relative_xdg_data_home_is_ignored_for_home() {
        let env = env_of(&[("XDG_DATA_HOME", "data"), ("HOME", "/home/ann")]);
        assert_eq!(default_data_dir(&env), PathBuf::from("/home/ann/.local/share/twofold-portal"));
    }

    #[test]
    fn without_any_home_the_system_directory_is_used() {
        let env = env_of(&[("TWOFOLD_DATA", "  ")]);
        assert_eq!(default_data_dir(&env), PathBuf::from(SYSTEM_DATA_DIR));
    }
}
