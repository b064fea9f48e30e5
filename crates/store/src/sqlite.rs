//! Opening the data directory: the SQLite file (WAL, busy timeout, foreign keys) and the key
//! file for secrets at rest. One connection per process behind a mutex; SQLite's own locking
//! lets a portal and an admin CLI share the directory.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use crate::crypto::SecretBox;
use crate::{schema, StoreError};

/// File names inside the data directory.
pub const DATABASE_FILE: &str = "twofold.db";
pub const KEY_FILE: &str = "secrets.key";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    conn: Mutex<Connection>,
    pub(crate) secrets: SecretBox,
    dir: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`. The directory itself is created when its
    /// parent exists, so a typo in a deep path is an error rather than a surprise tree.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let shown = dir.display().to_string();
        if !dir.exists() {
            std::fs::create_dir(dir)
                .map_err(|source| StoreError::DataDir { path: shown.clone(), source })?;
            set_private(dir, 0o700)
                .map_err(|source| StoreError::DataDir { path: shown.clone(), source })?;
        }
        if !dir.is_dir() {
            return Err(StoreError::DataDir {
                path: shown,
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        let probe = dir.join(".twofold-write-probe");
        std::fs::write(&probe, b"")
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|source| StoreError::DataDir { path: shown.clone(), source })?;

        let secrets = SecretBox::open_or_create(&dir.join(KEY_FILE))?;
        let mut conn = Connection::open(dir.join(DATABASE_FILE))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        let _ = set_private(&dir.join(DATABASE_FILE), 0o600);
        Ok(SqliteStore { conn: Mutex::new(conn), secrets, dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` on the connection. A panic elsewhere must not make the store unusable, so a
    /// poisoned lock is taken over: SQLite transactions already keep the data consistent.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }

    /// Runs `f` in an immediate transaction: the write lock is taken up front, so two admins
    /// acting at once serialize instead of failing half-way.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

fn set_private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
