//! Failed-code counts per client address, in a fixed window. The per-user lock lives with the
//! enrollment; this one slows an attacker spraying codes at many accounts from one address.

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
}
