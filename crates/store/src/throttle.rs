//! Failed-attempt counts per throttle key (a client address, or `user:NAME` for the per-user
//! password back-off), in a fixed window. The per-user code lock lives with the enrollment;
//! these slow an attacker spraying passwords or codes at many accounts from one address, or
//! many passwords at one account from many addresses.
//!
//! An attempt is *reserved* before the expensive check (a password hash) and *released* when
//! it succeeds: concurrent attempts cannot all slip under the limit while their hashes run,
//! because each one is counted before it starts.

use rusqlite::{params, OptionalExtension};

use crate::{SqliteStore, StoreError};

pub trait ThrottleRepo {
    /// Failures recorded for `address` in the window that started at most `window` seconds ago.
    fn address_failures(&self, address: &str, now: i64, window: i64) -> Result<u32, StoreError>;
    /// Records one failure and returns the count in the current window.
    fn record_address_failure(
        &self,
        address: &str,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError>;
    /// Counts one attempt for `key` if fewer than `limit` are counted in the window; `false`
    /// (nothing counted) when the limit is reached.
    fn reserve_attempt(
        &self,
        key: &str,
        limit: u32,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError>;
    /// Takes back one reserved attempt (it succeeded, or was never checked).
    fn release_attempt(&self, key: &str, now: i64, window: i64) -> Result<(), StoreError>;
}

impl ThrottleRepo for SqliteStore {
    fn address_failures(&self, address: &str, now: i64, window: i64) -> Result<u32, StoreError> {
        self.with(|conn| {
            let row: Option<(u32, i64)> = conn
                .query_row(
                    "SELECT failures, window_start FROM address_failures WHERE address = ?1",
                    [address],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(match row {
                Some((failures, start)) if now - start < window => failures,
                _ => 0,
            })
        })
    }

    fn record_address_failure(
        &self,
        address: &str,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO address_failures (address, failures, window_start) VALUES (?1, 1, ?2)
                 ON CONFLICT(address) DO UPDATE SET
                   failures = CASE WHEN ?2 - window_start < ?3 THEN failures + 1 ELSE 1 END,
                   window_start = CASE WHEN ?2 - window_start < ?3 THEN window_start ELSE ?2 END",
                params![address, now, window],
            )?;
            Ok(tx.query_row(
                "SELECT failures FROM address_failures WHERE address = ?1",
                [address],
                |r| r.get(0),
            )?)
        })
    }

    fn reserve_attempt(
        &self,
        key: &str,
        limit: u32,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let row: Option<(u32, i64)> = tx
                .query_row(
                    "SELECT failures, window_start FROM address_failures WHERE address = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let counted = match row {
                Some((failures, start)) if now - start < window => failures,
                _ => 0,
            };
            if counted >= limit {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO address_failures (address, failures, window_start) VALUES (?1, 1, ?2)
                 ON CONFLICT(address) DO UPDATE SET
                   failures = CASE WHEN ?2 - window_start < ?3 THEN failures + 1 ELSE 1 END,
                   window_start = CASE WHEN ?2 - window_start < ?3 THEN window_start ELSE ?2 END",
                params![key, now, window],
            )?;
            Ok(true)
        })
    }

    fn release_attempt(&self, key: &str, now: i64, window: i64) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE address_failures SET failures = MAX(failures - 1, 0)
                  WHERE address = ?1 AND ?2 - window_start < ?3",
                params![key, now, window],
            )?;
            Ok(())
        })
    }
}
