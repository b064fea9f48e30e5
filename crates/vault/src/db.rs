//! The account metadata file: one SQLite database (WAL) in the app's data directory, with a
//! versioned schema: the accounts, and the journal of secrets written to the keyring whose
//! account row is not committed yet (`pending_secrets`, what the orphan sweep reads).
//!
//! Leaves out secrets (never written here; the keyring holds them) and the rules of adding and
//! deleting across the two stores (see [`crate::vault`]).

use std::path::{Path, PathBuf};

use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};
use twofold_core::{Algorithm, OtpKind};

use crate::account::Account;
use crate::error::{Result, VaultError};

/// File name of the metadata database inside the data directory.
pub const DATABASE_FILE: &str = "accounts.sqlite3";

/// Each entry upgrades the schema by one version (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE accounts (
        id TEXT PRIMARY KEY NOT NULL,
        issuer TEXT,
        account TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('totp', 'hotp', 'steam')),
        algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
        digits INTEGER NOT NULL CHECK (digits BETWEEN 5 AND 8),
        period INTEGER,
        counter INTEGER,
        sort_order INTEGER NOT NULL,
        created INTEGER NOT NULL,
        CHECK ((kind IN ('totp', 'steam') AND period > 0 AND counter IS NULL)
            OR (kind = 'hotp' AND counter >= 0 AND period IS NULL))
    ) STRICT",
    // One row per keyring write whose account row is not committed yet. `since` is when the
    // add began; `claimed` is set by a sweep before it deletes the secret, so the add and the
    // sweep cannot both win (see `Db::insert` and `Db::claim_pending`).
    "CREATE TABLE pending_secrets (
        id TEXT PRIMARY KEY NOT NULL,
        since INTEGER NOT NULL,
        claimed INTEGER NOT NULL DEFAULT 0 CHECK (claimed IN (0, 1))
    ) STRICT",
];

pub(crate) struct Db {
    conn: Connection,
    path: PathBuf,
}

const COLUMNS: &str =
    "id, issuer, account, kind, algorithm, digits, period, counter, sort_order, created";

impl Db {
    pub(crate) fn open(data_dir: &Path) -> Result<Db> {
        std::fs::create_dir_all(data_dir).map_err(|source| VaultError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL, not NORMAL: a counter advance or an add must survive a power cut, since the
        // keyring side of an add is already durable.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Db { conn, path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn all(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY sort_order, created, id");
        let mut statement = self.conn.prepare(&sql)?;
        let rows = statement.query_map([], row_to_account)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], row_to_account).optional()?)
    }

    /// Records, before its secret is written, that the keyring may soon hold an item for `id`
    /// with no account row yet. `since` is the add's time.
    pub(crate) fn note_pending(&self, id: &str, since: u64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO pending_secrets (id, since) VALUES (?1, ?2)",
            params![id, to_i64(since)?],
        )?;
        Ok(())
    }

    /// Inserts the account at the end of the manual order and settles its pending record, in
    /// one transaction. Returns the position given, or `None` (and changes nothing) if a sweep
    /// claimed the record first: the sweep is then deleting the secret, so the account must
    /// not be saved.
    pub(crate) fn insert(&mut self, account: &Account) -> Result<Option<i64>> {
        let (kind, period, counter) = kind_columns(&account.kind);
        let tx = self.conn.transaction()?;
        let settled =
            tx.execute("DELETE FROM pending_secrets WHERE id = ?1 AND claimed = 0", [&account.id])?;
        if settled == 0 {
            return Ok(None);
        }
        let sort_order = tx.query_row(
            "INSERT INTO accounts (id, issuer, account, kind, algorithm, digits, period, counter,
                 sort_order, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                 (SELECT COALESCE(MAX(sort_order) + 1, 0) FROM accounts), ?9)
             RETURNING sort_order",
            params![
                account.id,
                account.issuer,
                account.account,
                kind,
                account.algorithm.as_str(),
                account.digits,
                period,
                counter,
                to_i64(account.created)?,
            ],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(Some(sort_order))
    }

    /// Forgets the pending record of `id` (its secret is known not to be in the keyring).
    pub(crate) fn drop_pending(&self, id: &str) -> Result<()> {
        self.conn.execute("DELETE FROM pending_secrets WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Pending records a sweep may take: begun at or before `cutoff`, or already claimed by a
    /// sweep that did not finish. A record whose id has an account (which the commit rules
    /// out) is never returned, so an account's secret is never touched. Read-only, so the
    /// list's refresh does not write to the file.
    pub(crate) fn stale_pending(&self, cutoff: u64) -> Result<Vec<String>> {
        let mut statement = self.conn.prepare(
            "SELECT id FROM pending_secrets
             WHERE (claimed = 1 OR since <= ?1) AND id NOT IN (SELECT id FROM accounts)
             ORDER BY since, id",
        )?;
        let ids = statement.query_map([to_i64(cutoff)?], |row| row.get(0))?;
        Ok(ids.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    /// Claims the pending record of `id` for deletion if it is still stale and has no
    /// account; `false` if an add settled it meanwhile. After a claim the add can no longer
    /// commit (see [`Db::insert`]), so deleting the secret is safe.
    pub(crate) fn claim_pending(&self, id: &str, cutoff: u64) -> Result<bool> {
        let claimed = self.conn.execute(
            "UPDATE pending_secrets SET claimed = 1
             WHERE id = ?1 AND (claimed = 1 OR since <= ?2)
                 AND id NOT IN (SELECT id FROM accounts)",
            params![id, to_i64(cutoff)?],
        )?;
        Ok(claimed > 0)
    }

    pub(crate) fn delete(&self, id: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM accounts WHERE id = ?1", [id])? > 0)
    }

    /// Advances an HOTP counter in one statement (atomic, durable before the code is shown)
    /// and returns the counter value to use. `None` if there is no such HOTP account or the
    /// counter is at its maximum.
    pub(crate) fn advance_counter(&self, id: &str) -> Result<Option<u64>> {
        let used: Option<i64> = self
            .conn
            .query_row(
                // The bound stops SQLite from overflowing the integer into a REAL.
                "UPDATE accounts SET counter = counter + 1
                 WHERE id = ?1 AND kind = 'hotp' AND counter < 9223372036854775807
                 RETURNING counter - 1",
                [id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(used.and_then(|c| u64::try_from(c).ok()))
    }

    /// Rewrites the manual order so `ids[i]` is at position `i`, in one transaction.
    pub(crate) fn set_order(&mut self, ids: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut statement = tx.prepare("UPDATE accounts SET sort_order = ?1 WHERE id = ?2")?;
            for (position, id) in ids.iter().enumerate() {
                statement.execute(params![position as i64, id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let applied = usize::try_from(version).unwrap_or(0);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

fn kind_columns(kind: &OtpKind) -> (&'static str, Option<i64>, Option<i64>) {
    // Values were range-checked by the vault before reaching here (see `Vault::add`).
    match *kind {
        OtpKind::Totp { period } => ("totp", Some(period as i64), None),
        OtpKind::Hotp { counter } => ("hotp", None, Some(counter as i64)),
        OtpKind::Steam { period } => ("steam", Some(period as i64), None),
    }
}

fn to_i64(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| VaultError::InvalidAccount(format!("{value} is too large")))
}

fn row_to_account(row: &Row<'_>) -> rusqlite::Result<Account> {
    let kind_text: String = row.get(3)?;
    let kind = match kind_text.as_str() {
        "totp" => OtpKind::Totp { period: non_negative(row, 6)? },
        "hotp" => OtpKind::Hotp { counter: non_negative(row, 7)? },
        "steam" => OtpKind::Steam { period: non_negative(row, 6)? },
        _ => return Err(bad_column(3, format!("unknown kind {kind_text:?}"))),
    };
    let algorithm_text: String = row.get(4)?;
    let algorithm: Algorithm =
        algorithm_text.parse().map_err(|err: twofold_core::OtpError| bad_column(4, err))?;
    Ok(Account {
        id: row.get(0)?,
        issuer: row.get(1)?,
        account: row.get(2)?,
        kind,
        algorithm,
        digits: row.get(5)?,
        sort_order: row.get(8)?,
        created: non_negative(row, 9)?,
    })
}

fn non_negative(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(index)?;
    u64::try_from(value).map_err(|err| bad_column(index, err))
}

fn bad_column(
    index: usize,
    err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, err.into())
}
