//! The app lock of the Authenticator window: optional (off until the user sets a password,
//! offered once there is an account), it locks on demand, after the chosen idle time, when
//! the desktop session locks (see [`super::session_lock`]) and when the app starts. While it
//! is locked every vault operation is refused with [`AuthError::Locked`] — the check is in
//! [`Authenticator::with_vault`], so no command can show a code or an account name — and the
//! session's secret cache and any pending scan are dropped (wiped), so nothing the lock hides
//! stays in memory.
//!
//! What it protects against: someone at an unattended, logged-in desk reading or copying codes
//! from the window. What it does not: anyone running as the user (the keyring answers them,
//! the CLI works, and this file can be deleted); the docs say so. The password is stored as
//! an Argon2id hash in `app-lock.json` beside the account database, 0600, with the count of
//! wrong attempts so that restarting the app does not reset the throttle.
//!
//! The command line does not use it (an [`Authenticator`] without [`Authenticator::with_app_lock`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use twofold_core::app_lock as rules;

use super::error::{AuthError, Result};
use super::export::write_private;
use super::service::Authenticator;

/// The lock's file in the vault directory.
pub const LOCK_FILE: &str = "app-lock.json";

/// What `app-lock.json` holds.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct LockFile {
    /// Argon2id PHC string; `None`: no lock.
    #[serde(default)]
    password_hash: Option<String>,
    /// Lock after this many seconds without use; `None`: only on demand and on session lock.
    #[serde(default)]
    idle_secs: Option<u64>,
    /// Wrong passwords in a row, and when the last one was (unix seconds).
    #[serde(default)]
    failures: u32,
    #[serde(default)]
    last_failure_at: u64,
    /// The user answered the offer to set a lock ("Not now" or set one).
    #[serde(default)]
    offer_answered: bool,
    /// The user chose to see the accounts' names (never their codes) while locked.
    #[serde(default)]
    show_names: bool,
}

/// The lock as the window sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockStatus {
    pub enabled: bool,
    pub locked: bool,
    pub idle_secs: Option<u64>,
    /// Seconds before an unlock attempt is heard (after repeated wrong passwords).
    pub retry_after_secs: u64,
    /// Whether to offer setting a lock (none set, and the user has not declined).
    pub offer: bool,
    /// Whether the accounts' names stay in sight while locked (the user's choice; off unless
    /// chosen). Codes never do.
    pub show_names: bool,
}

/// An account as the lock screen names it when the user chose so: no id, no code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedName {
    pub issuer: Option<String>,
    pub account: String,
}

/// The lock's state: the file's content, whether it is locked now, and the last use.
pub(crate) struct AppLock {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    file: LockFile,
    /// Why the file could not be read: the lock then stays shut (the user is told to remove
    /// the file), since a lock that opens when its file is damaged protects nothing.
    damaged: Option<String>,
    locked: bool,
    last_activity: u64,
}

impl AppLock {
    /// Reads the lock file in `dir`; a set lock starts locked.
    pub(crate) fn load(dir: &Path, now: u64) -> AppLock {
        let path = dir.join(LOCK_FILE);
        let (file, damaged) = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<LockFile>(&bytes) {
                Ok(file) => (file, None),
                Err(e) => (LockFile::default(), Some(e.to_string())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (LockFile::default(), None),
            Err(e) => (LockFile::default(), Some(e.to_string())),
        };
        let locked = file.password_hash.is_some() || damaged.is_some();
        AppLock { path, state: Mutex::new(State { file, damaged, locked, last_activity: now }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, file: &LockFile) -> Result<()> {
        let json = serde_json::to_vec_pretty(file)
            .map_err(|e| AuthError::Internal(format!("encoding the lock file: {e}")))?;
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        write_private(&self.path, &json).map_err(|e| AuthError::WriteFailed {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        })
    }

    fn damaged_error(&self, detail: &str) -> AuthError {
        AuthError::LockFileDamaged { path: self.path.display().to_string(), detail: detail.into() }
    }

    /// Refuses while locked; locks first if the idle time has passed. Returns whether this
    /// call is what locked it.
    fn check(&self, now: u64) -> std::result::Result<(), bool> {
        let mut s = self.state();
        if s.locked {
            return Err(false);
        }
        if s.file.password_hash.is_some()
            && rules::idle_expired(s.last_activity, now, s.file.idle_secs)
        {
            s.locked = true;
            return Err(true);
        }
        Ok(())
    }

    fn status(&self, now: u64) -> LockStatus {
        let s = self.state();
        LockStatus {
            enabled: s.file.password_hash.is_some() || s.damaged.is_some(),
            locked: s.locked,
            idle_secs: s.file.idle_secs,
            retry_after_secs: rules::retry_after(s.file.failures, s.file.last_failure_at, now),
            offer: s.file.password_hash.is_none() && s.damaged.is_none() && !s.file.offer_answered,
            show_names: s.file.show_names && s.damaged.is_none(),
        }
    }

    /// Checks `password` with the throttle: a wait not over is refused without trying it; a
    /// wrong one is counted (and saved, so a restart does not reset the count).
    fn verify(&self, s: &mut State, password: &str, now: u64) -> Result<()> {
        if let Some(detail) = &s.damaged {
            return Err(self.damaged_error(detail));
        }
        let Some(hash) = s.file.password_hash.clone() else { return Ok(()) };
        let wait = rules::retry_after(s.file.failures, s.file.last_failure_at, now);
        if wait > 0 {
            return Err(AuthError::LockThrottled { retry_after_secs: wait });
        }
        if rules::password_matches(password, &hash) {
            if s.file.failures > 0 {
                let mut file = s.file.clone();
                file.failures = 0;
                file.last_failure_at = 0;
                self.save(&file)?;
                s.file = file;
            }
            return Ok(());
        }
        let mut file = s.file.clone();
        file.failures = file.failures.saturating_add(1);
        file.last_failure_at = now;
        // Counted in memory even if the file cannot be written.
        let saved = self.save(&file);
        s.file = file;
        saved?;
        Err(AuthError::WrongLockPassword {
            retry_after_secs: rules::retry_after(s.file.failures, s.file.last_failure_at, now),
        })
    }
}

/// A change of the lock's settings. `current` is required once a lock is set.
#[derive(Debug, Default, Deserialize)]
pub struct LockChange {
    #[serde(default)]
    pub current: Option<String>,
    /// The new password; `None` keeps the one set (to change the idle time only).
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub idle_secs: Option<u64>,
    /// Keep the accounts' names in sight while locked.
    #[serde(default)]
    pub show_names: bool,
}

impl Drop for LockChange {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(p) = self.current.as_mut() {
            p.zeroize();
        }
        if let Some(p) = self.password.as_mut() {
            p.zeroize();
        }
    }
}

impl Authenticator {
    /// Guards this mode with the app lock kept in its directory (the window does; the CLI
    /// does not).
    pub fn with_app_lock(self) -> Authenticator {
        let lock = AppLock::load(self.data_dir(), self.now());
        // Set once: a second call keeps the lock already loaded.
        let _ = self.inner.app_lock.set(lock);
        self
    }

    fn app_lock(&self) -> Option<&AppLock> {
        self.inner.app_lock.get()
    }

    /// Refuses with [`AuthError::Locked`] while the lock is shut (locking first when the
    /// idle time has passed). Every vault operation calls it.
    pub(crate) fn ensure_unlocked(&self) -> Result<()> {
        let Some(lock) = self.app_lock() else { return Ok(()) };
        match lock.check(self.now()) {
            Ok(()) => Ok(()),
            Err(just_locked) => {
                if just_locked {
                    self.forget_while_locked();
                }
                Err(AuthError::Locked)
            }
        }
    }

    /// The lock's state (no lock configured: not enabled, never locked).
    pub fn lock_status(&self) -> LockStatus {
        match self.app_lock() {
            Some(lock) => lock.status(self.now()),
            None => LockStatus {
                enabled: false,
                locked: false,
                idle_secs: None,
                retry_after_secs: 0,
                offer: false,
                show_names: false,
            },
        }
    }

    /// The user used the window: the idle time starts again. Ignored while locked.
    pub fn activity(&self) {
        if let Some(lock) = self.app_lock() {
            let mut s = lock.state();
            if !s.locked {
                s.last_activity = self.now();
            }
        }
    }

    /// Locks now if a lock is set; returns whether it is locked.
    pub fn lock_now(&self) -> bool {
        let Some(lock) = self.app_lock() else { return false };
        let locked = {
            let mut s = lock.state();
            if s.file.password_hash.is_some() || s.damaged.is_some() {
                s.locked = true;
            }
            s.locked
        };
        if locked {
            self.forget_while_locked();
        }
        locked
    }

    /// Locks if the idle time has passed; returns whether this call locked it (the window
    /// then hides the list at once rather than at its next call).
    pub fn lock_if_idle(&self) -> bool {
        let Some(lock) = self.app_lock() else { return false };
        match lock.check(self.now()) {
            Err(true) => {
                self.forget_while_locked();
                true
            }
            _ => false,
        }
    }

    /// Opens the lock with its password (throttled after repeated wrong ones).
    pub fn unlock(&self, password: &str) -> Result<LockStatus> {
        let Some(lock) = self.app_lock() else { return Ok(self.lock_status()) };
        let now = self.now();
        {
            let mut s = lock.state();
            if s.locked {
                lock.verify(&mut s, password, now)?;
                s.locked = false;
                s.last_activity = now;
            }
        }
        Ok(lock.status(now))
    }

    /// While locked, the accounts' names if the user chose to keep them in sight, in the
    /// user's order; otherwise (unlocked, no lock, or not chosen) none. Never a code: the
    /// names come from the account database alone.
    pub fn names_while_locked(&self) -> Result<Vec<LockedName>> {
        let status = self.lock_status();
        if !status.locked || !status.show_names {
            return Ok(Vec::new());
        }
        Ok(self
            .accounts_past_the_lock()?
            .into_iter()
            .map(|a| LockedName { issuer: a.issuer, account: a.account })
            .collect())
    }

    /// Sets the lock, changes its password or idle time (the current password is asked once
    /// one is set; while locked nothing changes).
    pub fn set_lock(&self, change: &LockChange) -> Result<LockStatus> {
        let lock = self.app_lock().ok_or_else(no_lock_here)?;
        let now = self.now();
        let idle = rules::check_idle(change.idle_secs)?;
        let mut s = lock.state();
        if s.locked {
            return Err(AuthError::Locked);
        }
        if s.file.password_hash.is_some() {
            lock.verify(&mut s, change.current.as_deref().unwrap_or(""), now)?;
        }
        let hash = match (&change.password, &s.file.password_hash) {
            (Some(new), _) => rules::hash_password(new, &salt())?,
            (None, Some(kept)) => kept.clone(),
            (None, None) => rules::hash_password("", &salt())?,
        };
        let file = LockFile {
            password_hash: Some(hash),
            idle_secs: idle,
            failures: 0,
            last_failure_at: 0,
            offer_answered: true,
            show_names: change.show_names,
        };
        lock.save(&file)?;
        s.file = file;
        s.last_activity = now;
        drop(s);
        Ok(lock.status(now))
    }

    /// Removes the lock (its password is asked).
    pub fn remove_lock(&self, current: &str) -> Result<LockStatus> {
        let lock = self.app_lock().ok_or_else(no_lock_here)?;
        let now = self.now();
        let mut s = lock.state();
        if s.locked {
            return Err(AuthError::Locked);
        }
        lock.verify(&mut s, current, now)?;
        let file = LockFile { offer_answered: true, ..LockFile::default() };
        lock.save(&file)?;
        s.file = file;
        drop(s);
        Ok(lock.status(now))
    }

    /// The user declined the offer to set a lock; it is not shown again.
    pub fn decline_lock_offer(&self) -> Result<LockStatus> {
        let lock = self.app_lock().ok_or_else(no_lock_here)?;
        let mut s = lock.state();
        if !s.file.offer_answered {
            let mut file = s.file.clone();
            file.offer_answered = true;
            lock.save(&file)?;
            s.file = file;
        }
        drop(s);
        Ok(lock.status(self.now()))
    }
}

fn no_lock_here() -> AuthError {
    AuthError::Internal("this authenticator has no app lock".into())
}

fn salt() -> [u8; 16] {
    use rand::RngCore;
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    salt
}
