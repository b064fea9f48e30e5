//! Schema migrations for both backends, from one list of versions: version N is one entry
//! of [`MIGRATIONS`] with its SQLite and its PostgreSQL text side by side, so the two can
//! never drift to different version numbers. SQLite tracks the version in
//! `PRAGMA user_version`, PostgreSQL in the one-row table `twofold_schema` (see
//! `postgres/mod.rs`).
//!
//! Each migration runs in its own transaction (SQLite: immediate; PostgreSQL: under an
//! advisory lock) so two processes opening a fresh database at once cannot both apply it.
//! Names compare case-insensitively like the policy rule in the core, because portal
//! directories are usually Windows ones: `COLLATE NOCASE` in SQLite, `citext` in PostgreSQL.

use rusqlite::Connection;

use crate::StoreError;

/// One schema version, written for each backend.
pub(crate) struct Migration {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    // 1: the first schema.
    Migration {
        sqlite: r#"
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
        postgres: r#"
        CREATE EXTENSION IF NOT EXISTS citext;
        CREATE TABLE users (
            name          CITEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created       BIGINT NOT NULL,
            last_sign_in  BIGINT
        );
        CREATE TABLE groups (
            name    CITEXT PRIMARY KEY,
            created BIGINT NOT NULL
        );
        CREATE TABLE memberships (
            group_name CITEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
            user_name  CITEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            PRIMARY KEY (group_name, user_name)
        );
        CREATE INDEX memberships_by_user ON memberships(user_name);
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE principals (
            kind  TEXT NOT NULL CHECK (kind IN ('user', 'group')),
            name  CITEXT NOT NULL,
            added BIGINT NOT NULL,
            PRIMARY KEY (kind, name)
        );
        CREATE TABLE enrollments (
            user_name    CITEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE,
            state        TEXT NOT NULL CHECK (state IN ('pending', 'active')),
            secret       BYTEA NOT NULL,
            last_step    BIGINT,
            failures     BIGINT NOT NULL DEFAULT 0,
            locked_until BIGINT,
            updated      BIGINT NOT NULL
        );
        CREATE TABLE sessions (
            id_hash   BYTEA PRIMARY KEY,
            user_name CITEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            stage     TEXT NOT NULL,
            created   BIGINT NOT NULL,
            expires   BIGINT NOT NULL
        );
        CREATE INDEX sessions_by_expiry ON sessions(expires);
        CREATE TABLE address_failures (
            address      TEXT PRIMARY KEY,
            failures     BIGINT NOT NULL,
            window_start BIGINT NOT NULL
        );
        CREATE TABLE audit (
            id      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            at      BIGINT NOT NULL,
            actor   TEXT NOT NULL,
            action  TEXT NOT NULL,
            subject CITEXT,
            detail  TEXT
        );
        CREATE INDEX audit_by_subject ON audit(subject, id);
        "#,
    },
    // 2: a pending secret belongs to the session that was shown it (`owner`, the session id's
    // hash); locks escalate (`locks` since the last accepted code); a session records
    // whether it passed the second factor, so one signed in with the password alone can be
    // sent to the code step when 2FA becomes required.
    Migration {
        sqlite: r#"
        ALTER TABLE enrollments ADD COLUMN owner BLOB;
        ALTER TABLE enrollments ADD COLUMN locks INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN two_factor INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX sessions_by_user ON sessions(user_name);
        "#,
        postgres: r#"
        ALTER TABLE enrollments ADD COLUMN owner BYTEA;
        ALTER TABLE enrollments ADD COLUMN locks BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN two_factor BOOLEAN NOT NULL DEFAULT FALSE;
        CREATE INDEX sessions_by_user ON sessions(user_name);
        "#,
    },
    // 3: users and groups carry the configured directory's stable id (`entryUUID`,
    // `objectGUID`; NULL in the built-in directory, whose names are its ids), so a rename in
    // the directory renames the row and what hangs off it instead of orphaning it. Renaming
    // changes the key the other tables reference: SQLite defers its foreign keys for that
    // transaction (`PRAGMA defer_foreign_keys`), PostgreSQL cascades the update.
    Migration {
        sqlite: r#"
        ALTER TABLE users ADD COLUMN directory_id TEXT;
        ALTER TABLE groups ADD COLUMN directory_id TEXT;
        CREATE UNIQUE INDEX users_by_directory_id ON users(directory_id);
        CREATE UNIQUE INDEX groups_by_directory_id ON groups(directory_id);
        "#,
        postgres: r#"
        ALTER TABLE users ADD COLUMN directory_id TEXT UNIQUE;
        ALTER TABLE groups ADD COLUMN directory_id TEXT UNIQUE;
        ALTER TABLE memberships
            DROP CONSTRAINT memberships_group_name_fkey,
            ADD CONSTRAINT memberships_group_name_fkey FOREIGN KEY (group_name)
                REFERENCES groups(name) ON DELETE CASCADE ON UPDATE CASCADE,
            DROP CONSTRAINT memberships_user_name_fkey,
            ADD CONSTRAINT memberships_user_name_fkey FOREIGN KEY (user_name)
                REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE;
        ALTER TABLE enrollments
            DROP CONSTRAINT enrollments_user_name_fkey,
            ADD CONSTRAINT enrollments_user_name_fkey FOREIGN KEY (user_name)
                REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE;
        ALTER TABLE sessions
            DROP CONSTRAINT sessions_user_name_fkey,
            ADD CONSTRAINT sessions_user_name_fkey FOREIGN KEY (user_name)
                REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE;
        "#,
    },
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
        tx.execute_batch(MIGRATIONS[version as usize].sqlite)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
