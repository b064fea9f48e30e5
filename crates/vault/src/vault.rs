//! [`Vault`]: the authenticator's accounts, metadata in SQLite and secrets in a
//! [`SecretStore`], kept consistent across the two.
//!
//! Consistency rules (the two stores share no transaction, so order decides what a failure
//! leaves behind):
//! - **Add** writes the secret first and the metadata second. If the metadata write fails the
//!   secret is deleted again, so there is neither an orphan secret nor an account without one.
//!   If even that delete fails, [`VaultError::OrphanedSecret`] names the item to remove.
//! - **Crashes.** A crash between the two writes of an add would leave a keyring item no
//!   account points to. So before writing the secret, the add records its id in the
//!   database's pending journal, and commits the account and settles that record in one
//!   transaction. [`Vault::sweep_orphans`] (run by [`Vault::list_with_codes`]) deletes the
//!   keyring items of records older than [`ORPHAN_GRACE_SECS`]. The journal, not a search of
//!   the keyring, decides what is an orphan: every vault directory shares the keyring's
//!   `service = twofold` items, and an item another vault (another `TWOFOLD_VAULT_DIR`) owns
//!   must never look like garbage to this one. A second app instance on the same directory
//!   only sweeps records older than the grace period, far longer than an add takes, and a
//!   sweep claims a record before deleting its secret, so an add that somehow outlives the
//!   grace period fails cleanly ([`VaultError::AddInterrupted`]) instead of saving an account
//!   whose secret the sweep removes.
//! - **Delete** removes the secret first and the metadata second. A keyring failure therefore
//!   changes nothing (the account stays, with its secret). A metadata failure after that leaves
//!   an account whose secret is gone: the list shows it with a problem, and deleting it again
//!   completes (a missing secret counts as already deleted). The other order could leave a
//!   secret in the keyring that no account points to, invisible to the user.
//!
//! Secrets are read from the store once per session and kept in memory (each in a
//! zeroize-on-drop [`Secret`]) so the once-a-second code refresh does not make a D-Bus round
//! trip per account, and an unlock prompt appears at most once. [`Vault::forget_secrets`]
//! drops them (for an idle lock); a secret removed behind the app's back by another tool is
//! noticed only after that or a restart.
//!
//! Leaves out the clock (every time is passed in), the UI, clipboard handling, and parsing of
//! URIs and exports (the caller passes a parsed [`OtpAuth`]).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use twofold_core::otp::{hotp, DIGITS};
use twofold_core::{OtpAuth, OtpKind, Secret, STEAM_DIGITS};

use crate::account::Account;
use crate::codes::AccountCode;
use crate::db::Db;
use crate::error::{Result, VaultError};
use crate::secret_store::SecretStore;

/// How long (seconds) an add's pending record is left alone before a sweep treats it as left
/// behind by a crash. An add takes milliseconds; even one held up by an unlock prompt gives up
/// after the keyring timeout (10 s), and SQLite waits at most 5 s for a busy file.
pub const ORPHAN_GRACE_SECS: u64 = 60;

/// The account vault. Not `Sync`: the app keeps it behind a `Mutex`.
pub struct Vault {
    db: Db,
    store: Arc<dyn SecretStore>,
    /// The list does not sweep before this time (set after a sweep failed, so a keyring that
    /// is down is not asked again at every once-a-second refresh).
    next_sweep: u64,
    /// Session cache of secrets, by account id.
    secrets: HashMap<String, Secret>,
    /// Last HOTP code issued per account in this session, so the list can keep showing it.
    issued_hotp: HashMap<String, String>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately no secrets and no codes.
        f.debug_struct("Vault")
            .field("database", &self.db.path())
            .field("cached_secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Opens (creating if needed) the vault whose metadata lives in `data_dir`. Does not touch
    /// the keyring, so it works while the keyring is down.
    pub fn open(data_dir: impl AsRef<Path>, store: Arc<dyn SecretStore>) -> Result<Vault> {
        Ok(Vault {
            db: Db::open(data_dir.as_ref())?,
            store,
            next_sweep: 0,
            secrets: HashMap::new(),
            issued_hotp: HashMap::new(),
        })
    }

    /// The SQLite file holding the metadata.
    pub fn database_path(&self) -> &Path {
        self.db.path()
    }

    /// Every account in the user's order. Metadata only: no keyring access.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.db.all()
    }

    /// One account's metadata.
    pub fn account(&self, id: &str) -> Result<Account> {
        self.db.get(id)?.ok_or_else(|| VaultError::NotFound(id.to_string()))
    }

    /// The accounts whose issuer or name matches `query` (case-insensitive; every word must
    /// match; empty matches all), in the user's order.
    pub fn filter(&self, query: &str) -> Result<Vec<Account>> {
        Ok(self.db.all()?.into_iter().filter(|a| a.matches(query)).collect())
    }

    /// The id of an account with the same issuer, account name (both compared ignoring case
    /// and surrounding spaces) and secret, if there is one. Importers call it for their
    /// preview; [`Vault::add`] refuses such duplicates. Reads the candidates' secrets.
    pub fn find_duplicate(&mut self, auth: &OtpAuth) -> Result<Option<String>> {
        let issuer = normalized_issuer(auth.issuer.as_deref());
        let name = auth.account.trim().to_lowercase();
        for candidate in self.db.all()? {
            let same_names = normalized_issuer(candidate.issuer.as_deref()) == issuer
                && candidate.account.trim().to_lowercase() == name;
            if !same_names {
                continue;
            }
            match self.secret(&candidate.id) {
                // `Secret`'s equality is constant-time.
                Ok(secret) if secret == auth.secret => return Ok(Some(candidate.id)),
                Ok(_)
                | Err(VaultError::SecretMissing { .. } | VaultError::SecretCorrupt { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(None)
    }

    /// Adds an account: secret to the keyring, then metadata (see the module docs for what a
    /// failure leaves). Refuses an exact duplicate with [`VaultError::Duplicate`].
    pub fn add(&mut self, auth: &OtpAuth, now_unix: u64) -> Result<Account> {
        validate(auth)?;
        if let Some(id) = self.find_duplicate(auth)? {
            return Err(VaultError::Duplicate { id });
        }
        let mut account = Account {
            id: new_id(),
            issuer: auth
                .issuer
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(str::to_string),
            account: auth.account.trim().to_string(),
            kind: auth.kind.clone(),
            algorithm: auth.algorithm,
            digits: auth.digits,
            sort_order: 0,
            created: now_unix,
        };
        // The journal first: if the app dies after the keyring write, the record leads a later
        // sweep to the item.
        self.db.note_pending(&account.id, now_unix)?;
        if let Err(store_error) = self.store.set(&account.id, &account.display_name(), &auth.secret)
        {
            // A locked or absent keyring wrote nothing. Anything else may have written (after
            // a timeout the write can still land; the store takes it back, but a crash could
            // stop that): keep the record for the sweep, which then finds an item or none.
            if matches!(
                store_error,
                VaultError::KeyringLocked | VaultError::KeyringUnavailable { .. }
            ) {
                let _ = self.db.drop_pending(&account.id);
            }
            return Err(store_error);
        }
        match self.db.insert(&account) {
            Ok(Some(sort_order)) => account.sort_order = sort_order,
            Ok(None) => {
                // A sweep claimed the record and is deleting the secret; help it, save nothing.
                let _ = self.store.delete(&account.id);
                return Err(VaultError::AddInterrupted);
            }
            Err(db_error) => {
                return Err(match self.store.delete(&account.id) {
                    Ok(_) => {
                        let _ = self.db.drop_pending(&account.id);
                        db_error
                    }
                    // The pending record stays, so a later sweep retries the delete.
                    Err(_) => {
                        VaultError::OrphanedSecret { id: account.id, cause: db_error.to_string() }
                    }
                });
            }
        }
        self.secrets.insert(account.id.clone(), auth.secret.clone());
        Ok(account)
    }

    /// Deletes an account: secret first, then metadata (see the module docs). The caller asks
    /// the user for confirmation before calling this.
    pub fn delete(&mut self, id: &str) -> Result<()> {
        self.account(id)?;
        // `false` (no item) is fine: a previous delete may have stopped after this step.
        self.store.delete(id)?;
        self.secrets.remove(id);
        self.issued_hotp.remove(id);
        self.db.delete(id)?;
        Ok(())
    }

    /// The code list at `now_unix`, in the user's order. A keyring that is unavailable,
    /// locked or not answering fails the whole list (the UI shows the explanation); a single
    /// account whose secret is missing or unreadable gets a row with `problem` set.
    ///
    /// After a successful list it also sweeps orphaned secrets ([`Vault::sweep_orphans`]),
    /// quietly: a sweep that fails is retried a grace period later. Only after a successful
    /// list, so a locked keyring is not asked to unlock twice in a row.
    pub fn list_with_codes(&mut self, now_unix: u64) -> Result<Vec<AccountCode>> {
        let accounts = self.db.all()?;
        let mut rows = Vec::with_capacity(accounts.len());
        for account in &accounts {
            rows.push(self.row(account, now_unix)?);
        }
        if now_unix >= self.next_sweep && self.sweep_orphans(now_unix).is_err() {
            self.next_sweep = now_unix.saturating_add(ORPHAN_GRACE_SECS);
        }
        Ok(rows)
    }

    /// Deletes the keyring items that adds wrote but never committed an account for (the app
    /// crashed or was killed in between), for adds begun at least [`ORPHAN_GRACE_SECS`] before
    /// `now_unix`. Returns how many items it removed. Touches only ids from this vault's own
    /// journal, never another vault's items and never an account's secret (see the module
    /// docs). Stops at the first keyring error; what is left is retried next time.
    pub fn sweep_orphans(&mut self, now_unix: u64) -> Result<usize> {
        let cutoff = now_unix.saturating_sub(ORPHAN_GRACE_SECS);
        let mut removed = 0;
        for id in self.db.stale_pending(cutoff)? {
            // Claim before deleting: from here on the add (if it is somehow still running)
            // cannot commit an account that would point to the deleted secret.
            if !self.db.claim_pending(&id, cutoff)? {
                continue;
            }
            if self.store.delete(&id)? {
                removed += 1;
            }
            self.db.drop_pending(&id)?;
        }
        Ok(removed)
    }

    /// One row of the code list (for copying a single code).
    pub fn code(&mut self, id: &str, now_unix: u64) -> Result<AccountCode> {
        let account = self.account(id)?;
        self.row(&account, now_unix)
    }

    fn row(&mut self, account: &Account, now_unix: u64) -> Result<AccountCode> {
        let secret = match self.secret(&account.id) {
            Ok(secret) => secret,
            Err(err @ (VaultError::SecretMissing { .. } | VaultError::SecretCorrupt { .. })) => {
                let mut row = AccountCode::blank(account);
                row.problem = Some(err.to_string());
                return Ok(row);
            }
            Err(err) => return Err(err),
        };
        let last = self.issued_hotp.get(&account.id).map(String::as_str);
        AccountCode::compute(account, &secret, now_unix, last)
    }

    /// Issues the next HOTP code: the stored counter is advanced (one atomic, durable SQLite
    /// statement) before the code is returned, so a code is never shown twice. The secret is
    /// read first, so a keyring failure does not use up a counter value.
    pub fn next_hotp(&mut self, id: &str) -> Result<String> {
        let account = self.account(id)?;
        if !matches!(account.kind, OtpKind::Hotp { .. }) {
            return Err(VaultError::NotHotp);
        }
        let secret = self.secret(id)?;
        let counter =
            self.db.advance_counter(id)?.ok_or_else(|| VaultError::CounterExhausted(id.into()))?;
        let code = hotp(&secret, account.algorithm, account.digits, counter)?;
        self.issued_hotp.insert(id.to_string(), code.clone());
        Ok(code)
    }

    /// Moves an account to position `new_index` in the manual order (clamped to the end).
    pub fn move_account(&mut self, id: &str, new_index: usize) -> Result<()> {
        let mut ids: Vec<String> = self.db.all()?.into_iter().map(|a| a.id).collect();
        let from = ids
            .iter()
            .position(|candidate| candidate == id)
            .ok_or_else(|| VaultError::NotFound(id.to_string()))?;
        let moved = ids.remove(from);
        ids.insert(new_index.min(ids.len()), moved);
        self.db.set_order(&ids)
    }

    /// Drops every cached secret (they are wiped from memory); the next code list reads them
    /// from the keyring again.
    pub fn forget_secrets(&mut self) {
        self.secrets.clear();
        self.issued_hotp.clear();
    }

    /// Every account with its secret, in the user's order, for an export. All or nothing: an
    /// account whose secret cannot be read fails the whole export (naming it), so an export
    /// never silently leaves an account behind.
    pub fn export_all(&mut self) -> Result<Vec<OtpAuth>> {
        self.db.all()?.iter().map(|account| self.with_secret(account)).collect()
    }

    /// One account with its secret, for showing it to another app (its QR code).
    pub fn export_one(&mut self, id: &str) -> Result<OtpAuth> {
        let account = self.account(id)?;
        self.with_secret(&account)
    }

    fn with_secret(&mut self, account: &Account) -> Result<OtpAuth> {
        Ok(OtpAuth {
            issuer: account.issuer.clone(),
            account: account.account.clone(),
            secret: self.secret(&account.id)?,
            algorithm: account.algorithm,
            digits: account.digits,
            kind: account.kind.clone(),
        })
    }

    /// The secret of `id`, from the session cache or else the store.
    fn secret(&mut self, id: &str) -> Result<Secret> {
        if let Some(secret) = self.secrets.get(id) {
            return Ok(secret.clone());
        }
        let secret =
            self.store.get(id)?.ok_or_else(|| VaultError::SecretMissing { id: id.to_string() })?;
        self.secrets.insert(id.to_string(), secret.clone());
        Ok(secret)
    }
}

/// Refuses what cannot be stored or would not produce codes, before anything is written.
fn validate(auth: &OtpAuth) -> Result<()> {
    if auth.account.trim().is_empty() {
        return Err(VaultError::InvalidAccount("the account name is empty".into()));
    }
    let steam = matches!(auth.kind, OtpKind::Steam { .. });
    if steam && auth.digits != STEAM_DIGITS {
        return Err(VaultError::InvalidAccount(format!(
            "a Steam account has {STEAM_DIGITS} characters, not {}",
            auth.digits
        )));
    }
    if !steam && !DIGITS.contains(&auth.digits) {
        return Err(VaultError::InvalidAccount(format!(
            "{} digits is not supported (use 6 to 8)",
            auth.digits
        )));
    }
    // SQLite integers are signed 64-bit.
    let limit = i64::MAX as u64;
    match auth.kind {
        OtpKind::Totp { period: 0 } | OtpKind::Steam { period: 0 } => {
            Err(VaultError::InvalidAccount("the period must be at least one second".into()))
        }
        OtpKind::Totp { period } | OtpKind::Steam { period } if period > limit => {
            Err(VaultError::InvalidAccount(format!("period {period} is too large")))
        }
        OtpKind::Hotp { counter } if counter > limit => {
            Err(VaultError::InvalidAccount(format!("counter {counter} is too large")))
        }
        _ => Ok(()),
    }
}

fn normalized_issuer(issuer: Option<&str>) -> Option<String> {
    issuer.map(|i| i.trim().to_lowercase()).filter(|i| !i.is_empty())
}

/// A random 128-bit id. It only has to be unique, not secret: it is visible in the keyring.
fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
