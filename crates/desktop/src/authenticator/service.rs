//! [`Authenticator`]: the Authenticator mode as the app holds it between commands — the vault
//! (opened on first use), the batch of scanned or imported accounts waiting for the user's OK,
//! the clipboard, the webcam scan. Every command of the mode is one method here, so the whole
//! flow is testable without a window.
//!
//! Methods block (the keyring may take up to its timeout; decoding a big photo takes a moment):
//! the app calls them through [`Authenticator::run`], which moves the work off the UI thread.
//! Leaves out the clock's source (a function given at construction) and drawing anything.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use twofold_core::import::detect_and_import;
use twofold_core::OtpAuth;
use twofold_vault::{AccountCode, SecretStore, Vault, VaultError, NEXT_CODE_WINDOW_SECS};

use super::camera::CameraSlot;
use super::clipboard::{ClipboardAccess, CodeClipboard};
use super::error::{AuthError, Result};
use super::found::{accounts_from_texts, is_authenticator_text, Found};
use super::list::{blank_rows, CodeList};
use super::manual::ManualEntry;
use super::preview::{Pending, Preview, Source};

/// Largest export file read (exports of hundreds of accounts are well under 1 MB).
pub const MAX_EXPORT_BYTES: u64 = 20 * 1024 * 1024;

/// The result of a scan or a paste: added at once (one new account, the common case), or a
/// preview to confirm.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Offer {
    Added { report: AddReport },
    Preview { preview: Preview },
}

/// What a confirmation stored. A keyring failure part-way stops the batch: `added` lists what
/// was stored before it, `error` says why the rest was not, and the batch stays pending so
/// the user can try again (the added ones then show as duplicates).
#[derive(Debug, Default, Serialize)]
pub struct AddReport {
    pub added: Vec<AddedAccount>,
    /// Chosen accounts that were already in the vault and so were not added again.
    pub already_present: usize,
    pub error: Option<AuthError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AddedAccount {
    pub id: String,
    pub issuer: Option<String>,
    pub account: String,
}

/// After a copy: how long until the clipboard is cleared.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Copied {
    pub clear_after_secs: u64,
}

pub(crate) struct Inner {
    dir: PathBuf,
    pub(crate) store: Arc<dyn SecretStore>,
    vault: Mutex<Option<Vault>>,
    pending: Mutex<Option<Pending>>,
    next_batch: AtomicU64,
    clipboard: CodeClipboard,
    pub(crate) camera: CameraSlot,
    /// Set by [`Authenticator::with_app_lock`] (the window), absent for the CLI.
    pub(crate) app_lock: std::sync::OnceLock<super::app_lock::AppLock>,
    pub(crate) backup_log: super::backup::BackupLog,
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
}

/// The Authenticator mode's state and operations. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Authenticator {
    pub(crate) inner: Arc<Inner>,
}

impl Authenticator {
    /// A mode keeping metadata in `dir` and secrets in `store`, copying through `clipboard`,
    /// reading the time from the system clock.
    pub fn new(
        dir: impl AsRef<Path>,
        store: Arc<dyn SecretStore>,
        clipboard: Arc<dyn ClipboardAccess>,
    ) -> Authenticator {
        Authenticator::with_clock(dir, store, clipboard, Box::new(unix_now))
    }

    /// As [`Authenticator::new`], with the clock given (tests).
    pub fn with_clock(
        dir: impl AsRef<Path>,
        store: Arc<dyn SecretStore>,
        clipboard: Arc<dyn ClipboardAccess>,
        clock: Box<dyn Fn() -> u64 + Send + Sync>,
    ) -> Authenticator {
        Authenticator {
            inner: Arc::new(Inner {
                dir: dir.as_ref().to_path_buf(),
                store,
                vault: Mutex::new(None),
                pending: Mutex::new(None),
                next_batch: AtomicU64::new(1),
                clipboard: CodeClipboard::new(clipboard),
                camera: CameraSlot::default(),
                app_lock: std::sync::OnceLock::new(),
                backup_log: Default::default(),
                clock,
            }),
        }
    }

    /// Runs `work` on a blocking-friendly thread (keyring calls and image decoding block).
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Authenticator) -> Result<T> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this))
            .await
            .map_err(|e| AuthError::Internal(format!("the task stopped: {e}")))?
    }

    /// The directory holding the account database.
    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    pub(crate) fn now(&self) -> u64 {
        (self.inner.clock)()
    }

    /// Runs `f` on the vault, opening it first if needed; refused while the app lock is shut.
    pub(crate) fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> std::result::Result<T, VaultError>,
    ) -> Result<T> {
        self.ensure_unlocked()?;
        let mut slot = lock(&self.inner.vault);
        if slot.is_none() {
            *slot = Some(Vault::open(&self.inner.dir, Arc::clone(&self.inner.store))?);
        }
        match slot.as_mut() {
            Some(vault) => Ok(f(vault)?),
            None => Err(AuthError::Internal("the vault did not open".into())),
        }
    }

    /// The accounts' metadata read past the app lock, for the names the user chose to keep in
    /// sight while locked: a vault opened for this alone and dropped, so no secret is read
    /// from the keyring or kept.
    pub(crate) fn accounts_past_the_lock(&self) -> Result<Vec<twofold_vault::Account>> {
        let vault = Vault::open(&self.inner.dir, Arc::clone(&self.inner.store))?;
        Ok(vault.accounts()?)
    }

    /// Drops what the app lock hides: the vault (its session cache of secrets is wiped with
    /// it; the next use after unlocking reads the keyring again), the pending batch and the
    /// webcam scan.
    pub(crate) fn forget_while_locked(&self) {
        *lock(&self.inner.vault) = None;
        *lock(&self.inner.pending) = None;
        self.camera_stop();
    }

    // ---- the code list ------------------------------------------------------------------

    /// The code list now. A keyring that is locked, missing or silent does not hide the
    /// accounts: they are listed without codes, with the keyring's explanation beside them.
    /// Codes already read this session come from the vault's cache, so a keyring that goes
    /// away while the app runs would go unnoticed until the next add fails; the store's
    /// health check catches it, and the list then keeps its codes and carries the explanation.
    pub fn list(&self) -> Result<CodeList> {
        let at = self.now();
        let rows = self.with_vault(|v| v.list_with_codes(at));
        let (accounts, keyring_error) = match rows {
            Ok(rows) => (rows, self.inner.store.health().err().map(AuthError::from)),
            Err(e) if e.is_keyring() => {
                (self.with_vault(|v| v.accounts()).map(|a| blank_rows(&a))?, Some(e))
            }
            Err(e) => return Err(e),
        };
        Ok(CodeList {
            at,
            next_window: NEXT_CODE_WINDOW_SECS,
            clear_after_secs: self.inner.clipboard.clear_after().as_secs(),
            accounts,
            keyring_error,
            backup_problem: self.backup_problem(),
        })
    }

    /// Issues the next code of an HOTP account (the counter advances and is stored first) and
    /// returns its row.
    pub fn next_hotp(&self, id: &str) -> Result<AccountCode> {
        let at = self.now();
        self.with_vault(|v| {
            v.next_hotp(id)?;
            v.code(id, at)
        })
        .inspect(|_| self.changed())
    }

    /// Copies the current code of `id` (the last issued one for HOTP).
    pub fn copy(&self, id: &str) -> Result<Copied> {
        let at = self.now();
        let row = self.with_vault(|v| v.code(id, at))?;
        let code = row.code.ok_or(AuthError::NoCodeYet)?;
        self.copy_text(&code)
    }

    /// Puts `code` on the clipboard, to be cleared after the usual time.
    pub(crate) fn copy_text(&self, code: &str) -> Result<Copied> {
        self.inner.clipboard.copy(code)?;
        Ok(Copied { clear_after_secs: self.inner.clipboard.clear_after().as_secs() })
    }

    /// Moves `id` to `index` in the manual order.
    pub fn move_account(&self, id: &str, index: usize) -> Result<CodeList> {
        self.with_vault(|v| v.move_account(id, index))?;
        self.changed();
        self.list()
    }

    /// Deletes `id` (secret, then metadata). The UI has asked for confirmation.
    pub fn delete(&self, id: &str) -> Result<CodeList> {
        self.with_vault(|v| v.delete(id))?;
        self.changed();
        self.list()
    }

    // ---- adding ---------------------------------------------------------------------------

    /// Adds the account typed into the form; each bad field gets its own message.
    pub fn add_manual(&self, entry: &ManualEntry) -> Result<AddedAccount> {
        let auth = entry.validate().map_err(AuthError::Fields)?;
        let added = self.add_one(&auth)?;
        self.changed();
        Ok(added)
    }

    /// Pasted text: an `otpauth://` link (added at once), a Google transfer link or a list of
    /// links (previewed).
    pub fn add_text(&self, text: &str) -> Result<Offer> {
        let text = text.trim();
        if !text.lines().any(is_authenticator_text) {
            return Err(AuthError::NotOtpAuth);
        }
        let found = accounts_from_texts(&[text]);
        // One link with a problem: say exactly what is wrong with it.
        if found.accounts.is_empty()
            && text.lines().count() == 1
            && text.to_ascii_lowercase().starts_with("otpauth://")
        {
            OtpAuth::parse(text)?;
        }
        self.offer(found, Source::Text, None)
    }

    /// Every QR code on every screen.
    pub fn scan_screen(&self) -> Result<Offer> {
        self.offer_scan(twofold_scanner::scan_screen()?, Source::Screen)
    }

    /// The QR codes of an image file's bytes (PNG, JPEG, WebP, GIF).
    pub fn scan_image(&self, bytes: &[u8]) -> Result<Offer> {
        if bytes.is_empty() {
            return Err(AuthError::EmptyFile);
        }
        self.offer_scan(twofold_scanner::scan_image_bytes(bytes)?, Source::Image)
    }

    /// The image on the clipboard; if it holds text instead, otpauth links in that text.
    pub fn scan_clipboard(&self) -> Result<Offer> {
        match twofold_scanner::scan_clipboard() {
            Ok(texts) => self.offer_scan(texts, Source::Clipboard),
            // No image; or an owner that answered the image request with something else (xclip,
            // for one, sends its text whatever type is asked for, which reads as a clipboard
            // error): what matters then is whether the clipboard holds text.
            Err(
                e @ (twofold_scanner::ScanError::ClipboardNoImage
                | twofold_scanner::ScanError::Clipboard(_)),
            ) => {
                let text = self.inner.clipboard_text().unwrap_or_default();
                if text.lines().any(is_authenticator_text) {
                    self.offer(accounts_from_texts(&[text.as_str()]), Source::Clipboard, None)
                } else if !text.trim().is_empty() {
                    Err(twofold_scanner::ScanError::ClipboardNoImage.into())
                } else {
                    Err(e.into())
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads another app's export and previews it; nothing is stored until [`Self::confirm`].
    pub fn import(&self, bytes: &[u8], password: Option<&str>) -> Result<Preview> {
        let report = read_export(bytes, password)?;
        let found = Found {
            accounts: report.accounts,
            skipped: report.skipped,
            ignored: 0,
            batches: Vec::new(),
        };
        match self.offer(found, Source::Import, Some(report.format.name().to_string()))? {
            Offer::Preview { preview } => Ok(preview),
            // Imports always preview (see Pending::single_new_account).
            Offer::Added { .. } => {
                Err(AuthError::Internal("an import was added without a preview".into()))
            }
        }
    }

    /// Stores the chosen accounts of the pending preview `id`.
    pub fn confirm(&self, id: u64, chosen: &[usize]) -> Result<AddReport> {
        let mut pending = lock(&self.inner.pending);
        let batch = pending.as_ref().filter(|p| p.id == id).ok_or(AuthError::PreviewExpired)?;
        let accounts: Vec<OtpAuth> =
            chosen.iter().filter_map(|&i| batch.accounts.get(i).cloned()).collect();
        let report = self.add_all(&accounts);
        if report.error.is_none() {
            *pending = None;
        }
        Ok(report)
    }

    /// Forgets the pending preview `id` (the user cancelled); its secrets are wiped.
    pub fn discard(&self, id: u64) {
        let mut pending = lock(&self.inner.pending);
        if pending.as_ref().is_some_and(|p| p.id == id) {
            *pending = None;
        }
    }

    /// Adds `accounts` in order, skipping those already present, stopping at the first
    /// failure (see [`AddReport`]), then backs up once if anything was added. Also what the
    /// CLI's `import` uses.
    pub fn add_all(&self, accounts: &[OtpAuth]) -> AddReport {
        let mut report = AddReport::default();
        for auth in accounts {
            match self.add_one(auth) {
                Ok(added) => report.added.push(added),
                Err(AuthError::Vault(VaultError::Duplicate { .. })) => report.already_present += 1,
                Err(e) => {
                    report.error = Some(e);
                    break;
                }
            }
        }
        if !report.added.is_empty() {
            self.changed();
        }
        report
    }

    fn add_one(&self, auth: &OtpAuth) -> Result<AddedAccount> {
        let at = self.now();
        let account = self.with_vault(|v| v.add(auth, at))?;
        Ok(AddedAccount { id: account.id, issuer: account.issuer, account: account.account })
    }

    fn offer_scan(&self, texts: Vec<String>, source: Source) -> Result<Offer> {
        if texts.is_empty() {
            return Err(AuthError::NoCode);
        }
        let found = accounts_from_texts(&texts);
        if found.accounts.is_empty() && found.skipped.is_empty() {
            return Err(AuthError::NotAuthenticatorCode { found: found.ignored });
        }
        self.offer(found, source, None)
    }

    /// Makes `found` the pending batch, then adds it at once if it is one new account.
    pub(crate) fn offer(
        &self,
        found: Found,
        source: Source,
        format: Option<String>,
    ) -> Result<Offer> {
        if found.accounts.is_empty() && source == Source::Import {
            return Err(AuthError::NothingToImport);
        }
        let mut duplicate_of = Vec::with_capacity(found.accounts.len());
        for auth in &found.accounts {
            duplicate_of.push(self.with_vault(|v| v.find_duplicate(auth))?);
        }
        let batch = Pending {
            id: self.inner.next_batch.fetch_add(1, Ordering::SeqCst),
            source,
            format,
            accounts: found.accounts,
            duplicate_of,
            skipped: found.skipped,
            ignored: found.ignored,
            batches: found.batches,
        };
        if let Some(auth) = batch.single_new_account() {
            let added = self.add_one(auth)?;
            self.changed();
            return Ok(Offer::Added {
                report: AddReport { added: vec![added], already_present: 0, error: None },
            });
        }
        let preview = batch.preview();
        *lock(&self.inner.pending) = Some(batch);
        Ok(Offer::Preview { preview })
    }
}

impl Inner {
    /// The clipboard's text, wiped when dropped (it may be a link holding a key).
    fn clipboard_text(&self) -> Option<zeroize::Zeroizing<String>> {
        arboard::Clipboard::new().ok()?.get_text().ok().map(zeroize::Zeroizing::new)
    }
}

/// Parses an export file's bytes (size-checked) with the password, if any.
pub fn read_export(
    bytes: &[u8],
    password: Option<&str>,
) -> Result<twofold_core::import::ImportReport> {
    if bytes.is_empty() {
        return Err(AuthError::EmptyFile);
    }
    if bytes.len() as u64 > MAX_EXPORT_BYTES {
        return Err(AuthError::FileTooLarge { size: bytes.len() as u64, max: MAX_EXPORT_BYTES });
    }
    if super::app_database::is_sqlite(bytes) {
        return super::app_database::import(bytes);
    }
    let password = password.filter(|p| !p.is_empty());
    Ok(detect_and_import(bytes, password)?)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not lock the user out of their codes.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
