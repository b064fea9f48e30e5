//! Automatic encrypted backup: once the user picks a folder, a password and how many copies
//! to keep, every change to the accounts (added, deleted, reordered, an HOTP counter moved)
//! writes the whole vault as an encrypted Aegis vault — the format Export writes, which Aegis
//! and Twofold's importer read — into `twofold-backup-YYYYMMDD-HHMMSS.json`, 0600, written
//! whole or not at all, and removes the oldest of those files beyond the number kept. Other
//! files in the folder are never touched.
//!
//! The settings are in `backup.json` beside the account database; the password is in the OS
//! keyring with the accounts' secrets (item `backup-password`), since a backup must be made
//! without asking. A backup that fails does not undo the change: the failure is kept and shown
//! with the code list until a later backup succeeds.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use twofold_core::Secret;

use super::error::{AuthError, Result};
use super::export::{write_private, ExportFormat};
use super::service::Authenticator;

/// The settings' file in the vault directory.
pub const BACKUP_FILE: &str = "backup.json";
/// The keyring item (the `username` attribute) holding the backups' password.
pub const PASSWORD_ITEM: &str = "backup-password";
/// Names of backup files: this prefix, the UTC time, `.json`.
pub const NAME_PREFIX: &str = "twofold-backup-";
/// The most copies one may keep.
pub const MAX_KEEP: u32 = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Settings {
    folder: PathBuf,
    keep: u32,
}

/// What the last backup did, shown beside the code list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupProblem {
    pub kind: String,
    pub message: String,
}

/// The automatic backup as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupStatus {
    pub enabled: bool,
    pub folder: Option<String>,
    pub keep: Option<u32>,
    /// The file the last successful backup wrote (this session).
    pub last_path: Option<String>,
    pub last_at: Option<u64>,
    /// Why the last backup failed, until one succeeds again.
    pub problem: Option<BackupProblem>,
}

/// What the user chose in the backup dialog.
#[derive(Debug, Deserialize)]
pub struct BackupChoice {
    pub folder: String,
    pub keep: u32,
    pub password: String,
}

impl Drop for BackupChoice {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.password.zeroize();
    }
}

/// The outcome of the last backup this session.
#[derive(Default)]
pub(crate) struct BackupLog {
    last: Mutex<Option<(u64, String)>>,
    problem: Mutex<Option<BackupProblem>>,
}

impl Authenticator {
    fn backup_settings_path(&self) -> PathBuf {
        self.data_dir().join(BACKUP_FILE)
    }

    fn backup_settings(&self) -> Result<Option<Settings>> {
        let path = self.backup_settings_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                AuthError::BackupSettingsDamaged {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                }
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AuthError::BackupSettingsDamaged {
                path: path.display().to_string(),
                detail: e.to_string(),
            }),
        }
    }

    /// The backup's settings and what the last one did.
    pub fn backup_status(&self) -> BackupStatus {
        let log = &self.inner.backup_log;
        let last = log.last.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut problem = log.problem.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let settings = match self.backup_settings() {
            Ok(s) => s,
            Err(e) => {
                problem = Some(BackupProblem { kind: e.kind().into(), message: e.to_string() });
                None
            }
        };
        BackupStatus {
            enabled: settings.is_some(),
            folder: settings.as_ref().map(|s| s.folder.display().to_string()),
            keep: settings.as_ref().map(|s| s.keep),
            last_path: last.as_ref().map(|(_, p)| p.clone()),
            last_at: last.map(|(at, _)| at),
            problem,
        }
    }

    /// Turns the automatic backup on (or changes it) and makes the first backup at once, so
    /// the user sees it works. Nothing is kept if that backup fails.
    pub fn set_backup(&self, choice: &BackupChoice) -> Result<BackupStatus> {
        self.ensure_unlocked()?;
        let folder = PathBuf::from(choice.folder.trim());
        check_folder(&folder)?;
        if choice.keep == 0 || choice.keep > MAX_KEEP {
            return Err(AuthError::BackupKeep { max: MAX_KEEP });
        }
        if choice.password.is_empty() {
            return Err(twofold_core::export::ExportError::EmptyPassword.into());
        }
        let settings = Settings { folder, keep: choice.keep };
        // Tried before anything is saved: a folder that cannot be written, a keyring that is
        // locked, fail here and leave the previous settings as they were.
        let written = self.write_backup(&settings, &choice.password)?;
        let secret = Secret::from_bytes(choice.password.as_bytes().to_vec())
            .map_err(|e| AuthError::Internal(format!("the backup password: {e}")))?;
        self.inner.store.set(PASSWORD_ITEM, "Twofold: automatic backup password", &secret)?;
        let json = serde_json::to_vec_pretty(&settings)
            .map_err(|e| AuthError::Internal(format!("encoding the backup settings: {e}")))?;
        let path = self.backup_settings_path();
        write_private(&path, &json).map_err(|e| AuthError::WriteFailed {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        self.record_backup(Ok(written));
        Ok(self.backup_status())
    }

    /// Turns the automatic backup off; the backups already written stay where they are.
    pub fn turn_off_backup(&self) -> Result<BackupStatus> {
        self.ensure_unlocked()?;
        match std::fs::remove_file(self.backup_settings_path()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(AuthError::WriteFailed {
                    path: self.backup_settings_path().display().to_string(),
                    detail: e.to_string(),
                })
            }
        }
        self.inner.store.delete(PASSWORD_ITEM)?;
        *self.inner.backup_log.problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(self.backup_status())
    }

    /// Called after every change of the accounts: backs up if the backup is on. A failure is
    /// recorded (shown with the list), never returned: the change itself succeeded.
    pub(crate) fn changed(&self) {
        let result = self.backup_settings().and_then(|settings| {
            let Some(settings) = settings else { return Ok(None) };
            let password =
                self.inner.store.get(PASSWORD_ITEM)?.ok_or(AuthError::BackupPasswordMissing)?;
            let password = zeroize::Zeroizing::new(
                String::from_utf8(password.as_bytes().to_vec())
                    .map_err(|_| AuthError::BackupPasswordMissing)?,
            );
            self.write_backup(&settings, &password).map(Some)
        });
        match result {
            Ok(None) => {}
            Ok(Some(path)) => self.record_backup(Ok(path)),
            Err(e) => self.record_backup(Err(e)),
        }
    }

    /// The problem of the last backup, for the code list.
    pub(crate) fn backup_problem(&self) -> Option<BackupProblem> {
        self.inner.backup_log.problem.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn record_backup(&self, result: Result<String>) {
        let log = &self.inner.backup_log;
        let mut problem = log.problem.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(path) => {
                *log.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((self.now(), path));
                *problem = None;
            }
            Err(e) => {
                *problem = Some(BackupProblem { kind: e.kind().into(), message: e.to_string() })
            }
        }
    }

    /// Writes one backup into the settings' folder and prunes the old ones; returns its path.
    fn write_backup(&self, settings: &Settings, password: &str) -> Result<String> {
        let text = self.export(ExportFormat::Aegis, Some(password))?;
        let path = free_name(&settings.folder, self.now());
        let shown = path.display().to_string();
        write_private(&path, text.as_bytes())
            .map_err(|e| AuthError::WriteFailed { path: shown.clone(), detail: e.to_string() })?;
        prune(&settings.folder, settings.keep as usize).map_err(|e| AuthError::WriteFailed {
            path: settings.folder.display().to_string(),
            detail: format!("removing an old backup: {e}"),
        })?;
        Ok(shown)
    }
}

fn check_folder(folder: &Path) -> Result<()> {
    let shown = folder.display().to_string();
    if !folder.is_absolute() {
        return Err(AuthError::BackupFolder { path: shown, detail: "not a full path".into() });
    }
    match std::fs::metadata(folder) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(AuthError::BackupFolder { path: shown, detail: "not a folder".into() }),
        Err(e) => Err(AuthError::BackupFolder { path: shown, detail: e.to_string() }),
    }
}

/// `twofold-backup-YYYYMMDD-HHMMSS.json` for `now`; with `-2`, `-3`… when several changes fall
/// in the same second.
fn free_name(folder: &Path, now: u64) -> PathBuf {
    let stamp = backup_stamp(now);
    let mut path = folder.join(format!("{NAME_PREFIX}{stamp}.json"));
    let mut n = 2;
    while path.exists() {
        path = folder.join(format!("{NAME_PREFIX}{stamp}-{n}.json"));
        n += 1;
    }
    path
}

/// `YYYYMMDD-HHMMSS` in UTC: names that sort in time order.
pub fn backup_stamp(now: u64) -> String {
    let date = twofold_core::dates::utc_date(now).replace('-', "");
    let secs = now % 86_400;
    format!("{date}-{:02}{:02}{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The backups in `folder`, oldest first (by name, which is by time).
pub fn backups_in(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| is_backup_name(p))
        .collect();
    found.sort_by_key(|p| sort_key(p));
    Ok(found)
}

fn is_backup_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    let Some(rest) = name.strip_prefix(NAME_PREFIX).and_then(|r| r.strip_suffix(".json")) else {
        return false;
    };
    let stamp = rest.get(..15).unwrap_or("");
    let suffix = rest.get(15..).unwrap_or("");
    stamp.len() == 15
        && stamp.char_indices().all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() })
        && (suffix.is_empty()
            || suffix
                .strip_prefix('-')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

/// Time stamp, then the same-second number (`-10` after `-9`).
fn sort_key(path: &Path) -> (String, u64) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let rest = name.strip_prefix(NAME_PREFIX).and_then(|r| r.strip_suffix(".json")).unwrap_or("");
    let stamp = rest.get(..15).unwrap_or("").to_string();
    let n = rest.get(16..).and_then(|n| n.parse().ok()).unwrap_or(1);
    (stamp, n)
}

fn prune(folder: &Path, keep: usize) -> std::io::Result<()> {
    let found = backups_in(folder)?;
    let excess = found.len().saturating_sub(keep);
    for old in &found[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_sort_in_time_order_and_other_files_are_not_backups() {
        assert_eq!(backup_stamp(0), "19700101-000000");
        assert_eq!(backup_stamp(1_764_633_600 + 3_723), "20251202-010203");
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "twofold-backup-20251202-010203-10.json",
            "twofold-backup-20251202-010203.json",
            "twofold-backup-20251202-010203-2.json",
            "twofold-backup-20251201-235959.json",
            "twofold-backup-notes.json",
            "twofold-backup-20251202-010203.json.partial",
            "my-twofold-backup-20251202-010203.json",
            "twofold-backup-20251202-010203-.json",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let names: Vec<String> = backups_in(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "twofold-backup-20251201-235959.json",
                "twofold-backup-20251202-010203.json",
                "twofold-backup-20251202-010203-2.json",
                "twofold-backup-20251202-010203-10.json",
            ]
        );
        prune(dir.path(), 1).unwrap();
        assert_eq!(backups_in(dir.path()).unwrap().len(), 1);
        assert!(dir.path().join("twofold-backup-20251202-010203-10.json").exists());
        assert!(dir.path().join("twofold-backup-notes.json").exists(), "not ours: kept");
    }
}
