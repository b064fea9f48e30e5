//! Schema migrations, applied in order and tracked in `PRAGMA user_version`.
//!
//! Each migration runs in its own immediate transaction so two processes opening a fresh
//! database at once cannot both apply it. Names compare case-insensitively (`COLLATE NOCASE`)
//! like the policy rule in the core, because portal directories are usually Windows ones.

use rusqlite::Connection;

use crate::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE users (
        name          TEXT PRIMARY KEY COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created       INTEGER NOT NULL,
        last_sign_in  INTEGER
    );
    CREATE TABLE groups (
        name    TEXT PRIMARY KEY COLLATE NOCASE,
        created INTEGER NOT NULL
    );
    CREATE TABLE memberships (
        group_name TEXT NOT NULL COLLATE NOCASE REFERENCES groups(name) ON DELETE CASCADE,
        user_name  TEXT NOT NULL COLLATE NOCASE REFERENCES users(name) ON DELETE CASCADE,
        PRIMARY KEY (group_name, user_name)
    );
    CREATE INDEX memberships_by_user ON memberships(user_name);
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE principals (
        kind  TEXT NOT NULL CHECK (kind IN ('user', 'group')),
        name  TEXT NOT NULL COLLATE NOCASE,
        added INTEGER NOT NULL,
        PRIMARY KEY (kind, name)
    );
    CREATE TABLE enrollments (
        user_name    TEXT PRIMARY KEY COLLATE NOCASE REFERENCES users(name) ON DELETE CASCADE,
        state        TEXT NOT NULL CHECK (state IN ('pending', 'active')),
        secret       BLOB NOT NULL,
        last_step    INTEGER,
        failures     INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        updated      INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        id_hash   BLOB PRIMARY KEY,
        user_name TEXT NOT NULL COLLATE NOCASE REFERENCES users(name) ON DELETE CASCADE,
        stage     TEXT NOT NULL,
        created   INTEGER NOT NULL,
        expires   INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_expiry ON sessions(expires);
    CREATE TABLE address_failures (
        address      TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        window_start INTEGER NOT NULL
    );
    CREATE TABLE audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        subject TEXT,
        detail  TEXT
    );
    CREATE INDEX audit_by_subject ON audit(subject COLLATE NOCASE, id);
    "#,
    // 2: a pending secret belongs to the session that was shown it (`owner`, the session id's
    // hash); locks escalate (`locks` since the last accepted code); a session records
    // whether it passed the second factor, so one signed in with the password alone can be
    // sent to the code step when 2FA becomes required.
    r#"
    ALTER TABLE enrollments ADD COLUMN owner BLOB;
    ALTER TABLE enrollments ADD COLUMN locks INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN two_factor INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX sessions_by_user ON sessions(user_name);
    "#,
];

/// The schema version this build writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > CURRENT {
            return Err(StoreError::SchemaTooNew { found: version, known: CURRENT });
        }
        if version == CURRENT {
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
