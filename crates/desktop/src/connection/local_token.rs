//! Finds the admin token of a portal running on this machine, so that an admin on the
//! portal's own server never pastes it.
//!
//! The portal writes its token to `DIR/admin.token` (mode 0600) in its data directory. The
//! places looked at, in order:
//! 1. `$TWOFOLD_DATA/admin.token` — the variable the portal's CLI itself reads for `--data`;
//! 2. `$XDG_DATA_HOME/twofold-portal/admin.token` (`~/.local/share/twofold-portal`) — the
//!    default data directory of a portal run by this user ([`twofold_core::data_dir`]);
//! 3. `/var/lib/twofold-portal/admin.token` — a portal run as a system service.
//!
//! Only used for a loopback admin URL: a token found here belongs to this machine's portal
//! and must not be sent anywhere else. A file that is unreadable (not the portal's user) is
//! skipped; the admin then pastes the token.

use std::path::PathBuf;

use twofold_core::data_dir::{self, DATA_ENV};

use zeroize::Zeroizing;

/// Name of the token file inside a portal data directory.
pub const TOKEN_FILE: &str = "admin.token";
/// A token read from a file, and which file.
pub struct LocalToken {
    pub path: PathBuf,
    pub token: Zeroizing<String>,
}

/// The candidate token files, in the order they are tried, for the given environment.
pub fn candidate_paths(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = env(DATA_ENV).filter(|d| !d.trim().is_empty()) {
        dirs.push(PathBuf::from(dir));
    }
    dirs.extend(data_dir::user_data_dir(env));
    dirs.push(PathBuf::from(data_dir::SYSTEM_DATA_DIR));
    dirs.into_iter().map(|dir| dir.join(TOKEN_FILE)).collect()
}

/// Every readable, plausible token among `paths`, in order.
pub fn read_tokens(paths: &[PathBuf]) -> Vec<LocalToken> {
    paths
        .iter()
        .filter_map(|path| {
            let text = Zeroizing::new(std::fs::read_to_string(path).ok()?);
            let token = Zeroizing::new(text.trim().to_string());
            // The portal writes 43 characters; anything much shorter is not its token.
            (token.len() >= 16).then(|| LocalToken { path: path.clone(), token })
        })
        .collect()
}

/// The tokens found with the process environment.
pub fn find_local_tokens() -> Vec<LocalToken> {
    read_tokens(&candidate_paths(&|k| std::env::var(k).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn twofold_data_comes_first_then_the_user_then_the_system_directory() {
        let paths =
            candidate_paths(&env_of(&[("TWOFOLD_DATA", "/srv/portal"), ("HOME", "/home/ann")]));
        assert_eq!(
            paths,
            vec![
                PathBuf::from("/srv/portal/admin.token"),
                PathBuf::from("/home/ann/.local/share/twofold-portal/admin.token"),
                PathBuf::from("/var/lib/twofold-portal/admin.token"),
            ]
        );
    }

    #[test]
    fn xdg_data_home_replaces_the_home_default_when_absolute() {
        let paths = candidate_paths(&env_of(&[("XDG_DATA_HOME", "/data"), ("HOME", "/home/ann")]));
        assert_eq!(paths[0], PathBuf::from("/data/twofold-portal/admin.token"));
        let relative = candidate_paths(&env_of(&[("XDG_DATA_HOME", "rel"), ("HOME", "/home/ann")]));
        assert_eq!(relative[0], PathBuf::from("/home/ann/.local/share/twofold-portal/admin.token"));
    }

    #[test]
    fn missing_short_and_present_token_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short");
        let good = dir.path().join("good");
        std::fs::write(&short, "abc").unwrap();
        std::fs::write(&good, "  0123456789abcdefghijklmnop\n").unwrap();
        let found = read_tokens(&[dir.path().join("missing"), short, good.clone()]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, good);
        assert_eq!(found[0].token.as_str(), "0123456789abcdefghijklmnop");
    }
}
