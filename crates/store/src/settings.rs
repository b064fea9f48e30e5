//! Portal-wide settings: the 2FA switch and the installed license text.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::audit::insert_audit;
use crate::{SqliteStore, StoreError};

const SWITCH: &str = "two_factor_enabled";
const LICENSE: &str = "license";

pub trait SettingsRepo {
    fn two_factor_enabled(&self) -> Result<bool, StoreError>;
    fn set_two_factor_enabled(
        &self,
        enabled: bool,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    fn license_text(&self) -> Result<Option<String>, StoreError>;
    /// Stores a license the caller has already verified.
    fn set_license_text(
        &self,
        text: &str,
        summary: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// A server-wide key (e.g. for CSRF tokens) shared by every process on this data
    /// directory: the first process stores `fresh`, everyone reads back the stored one.
    fn server_key(&self, name: &str, fresh: &[u8; 32]) -> Result<[u8; 32], StoreError>;
}

fn get(tx: &rusqlite::Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(tx.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn put(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

impl SettingsRepo for SqliteStore {
    fn two_factor_enabled(&self) -> Result<bool, StoreError> {
        self.with(|conn| Ok(get(conn, SWITCH)?.as_deref() == Some("1")))
    }

    fn set_two_factor_enabled(
        &self,
        enabled: bool,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            put(tx, SWITCH, if enabled { "1" } else { "0" })?;
            insert_audit(tx, now, actor, if enabled { "2fa.on" } else { "2fa.off" }, None, None)
        })
    }

    fn license_text(&self) -> Result<Option<String>, StoreError> {
        self.with(|conn| get(conn, LICENSE))
    }

    fn set_license_text(
        &self,
        text: &str,
        summary: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            put(tx, LICENSE, text)?;
            insert_audit(tx, now, actor, "license.install", None, Some(summary))
        })
    }

    fn server_key(&self, name: &str, fresh: &[u8; 32]) -> Result<[u8; 32], StoreError> {
        let key = format!("key.{name}");
        self.write(|tx| {
            let hex: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
            tx.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)",
                params![key, hex],
            )?;
            let stored = get(tx, &key)?.unwrap_or_default();
            let bytes: Option<Vec<u8>> = (0..stored.len())
                .step_by(2)
                .map(|i| stored.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
                .collect();
            bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or(StoreError::Invalid {
                what: "server key",
                reason: format!("setting {key} is corrupt"),
            })
        })
    }
}
