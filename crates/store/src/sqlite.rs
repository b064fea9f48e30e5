//! Opening the data directory: the SQLite file (WAL, busy timeout, foreign keys) and the key
//! file for secrets at rest. One connection per process behind a mutex; SQLite's own locking
//! lets a portal and an admin CLI share the directory.
//!
//! Everything in the directory is private to the portal's user whatever the umask: the
//! directory 0700, the database, its `-wal`/`-shm` (which hold password hashes too) and the key
//! file 0600, fixed on every open so a directory made by an older build or by hand is tightened.
//!
//! The key file is created only for a database that holds nothing sealed: a database with
//! the key's check value or any enrollment refuses to open with a missing or different key
//! ([`StoreError::KeyMissing`], [`StoreError::KeyMismatch`]) rather than go on with a new key
//! that opens none of its secrets.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::crypto::SecretBox;
use crate::{schema, StoreError};

/// File names inside the data directory.
pub const DATABASE_FILE: &str = "twofold.db";
pub const KEY_FILE: &str = "secrets.key";
/// SQLite's companions of the database file in WAL mode.
const DATABASE_COMPANIONS: [&str; 2] = ["twofold.db-wal", "twofold.db-shm"];

/// The `settings` row holding the key check value (hex), see [`SecretBox::check_value`].
pub(crate) const KEY_CHECK_SETTING: &str = "secrets.key_check";
/// How many stored secrets a database without a check value tries before calling the key
/// wrong: one that opens is proof enough, a few guard against a single damaged row.
const LEGACY_ROWS_TRIED: i64 = 16;

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
        let dir_error = |source| StoreError::DataDir { path: shown.clone(), source };
        if !dir.exists() {
            std::fs::create_dir(dir).map_err(dir_error)?;
        }
        if !dir.is_dir() {
            return Err(dir_error(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            )));
        }
        // Before anything is read or written inside: a 0755 directory lets others list it and
        // open whatever in it is readable.
        set_private_if_present(dir, 0o700).map_err(dir_error)?;
        for name in [DATABASE_FILE, KEY_FILE].into_iter().chain(DATABASE_COMPANIONS) {
            set_private_if_present(&dir.join(name), 0o600).map_err(dir_error)?;
        }
        // One probe name per open: two processes (or threads) opening the directory at once
        // must not delete each other's probe.
        static OPENS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = OPENS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let probe = dir.join(format!(".twofold-write-probe-{}-{n}", std::process::id()));
        std::fs::write(&probe, b"")
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(dir_error)?;

        let database = dir.join(DATABASE_FILE);
        // Made 0600 before SQLite opens it: SQLite would create it with the umask's mode, and
        // it creates `-wal` and `-shm` with the database file's mode.
        create_private_file(&database).map_err(dir_error)?;
        let mut conn = Connection::open(&database)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        // Again now that WAL mode made the companions (with the database's mode, but one made
        // by an older build or another tool may be wider).
        for name in [DATABASE_FILE].into_iter().chain(DATABASE_COMPANIONS) {
            set_private_if_present(&dir.join(name), 0o600).map_err(dir_error)?;
        }

        // The key file is created 0600 and an existing one was fixed above.
        let secrets = unlock_secrets(&mut conn, &dir.join(KEY_FILE), &database)?;
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

/// Loads the key file, or creates one when the database holds nothing sealed, and checks it
/// against the database's check value (storing one the first time).
///
/// All in one immediate transaction: a second process opening a new directory at the same
/// time waits until the first has written the key file and its check value, instead of
/// reading a half-written key or deciding on its own that a key is needed.
fn unlock_secrets(
    conn: &mut Connection,
    key_path: &Path,
    database: &Path,
) -> Result<SecretBox, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let check = stored_check(&tx)?;
    let enrolled: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM enrollments)", [], |r| r.get(0))?;
    let names = || (key_path.display().to_string(), database.display().to_string());
    let secrets = match SecretBox::load(key_path)? {
        Some(secrets) => secrets,
        None if check.is_some() || enrolled => {
            let (path, database) = names();
            return Err(StoreError::KeyMissing { path, database });
        }
        None => SecretBox::create(key_path)?,
    };
    let mismatch = || {
        let (path, database) = names();
        StoreError::KeyMismatch { path, database }
    };
    match check {
        Some(check) if secrets.matches_check(&check) => {}
        Some(_) => return Err(mismatch()),
        None => {
            // A database from before check values: its secrets say whether this is the key.
            if enrolled && !opens_a_stored_secret(&tx, &secrets)? {
                return Err(mismatch());
            }
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                rusqlite::params![KEY_CHECK_SETTING, to_hex(&secrets.check_value())],
            )?;
        }
    }
    tx.commit()?;
    Ok(secrets)
}

/// The stored check value; a row that is not hex counts as a check nothing matches, so a
/// damaged row refuses rather than lets a new key in.
fn stored_check(tx: &Transaction<'_>) -> Result<Option<Vec<u8>>, StoreError> {
    let text: Option<String> = tx
        .query_row("SELECT value FROM settings WHERE key = ?1", [KEY_CHECK_SETTING], |r| r.get(0))
        .optional()?;
    Ok(text.map(|t| from_hex(&t).unwrap_or_default()))
}

fn opens_a_stored_secret(tx: &Transaction<'_>, secrets: &SecretBox) -> Result<bool, StoreError> {
    let mut stmt = tx.prepare("SELECT user_name, secret FROM enrollments LIMIT ?1")?;
    let rows = stmt
        .query_map([LEGACY_ROWS_TRIED], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows.iter().any(|(user, sealed)| secrets.open(user, sealed).is_ok()))
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Creates `path` empty with mode 0600 unless it exists (an empty file is an empty SQLite
/// database).
fn create_private_file(path: &Path) -> std::io::Result<()> {
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_private_if_present(path: &Path, mode: u32) -> std::io::Result<()> {
    match set_private(path, mode) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other.map_err(|e| {
            std::io::Error::new(e.kind(), format!("making {} private: {e}", path.display()))
        }),
    }
}

fn set_private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
