//! Where account secrets live: the [`SecretStore`] trait, and [`MemoryStore`], an in-process
//! implementation for unit tests of the vault's bookkeeping (ordering, search, rollback).
//!
//! Leaves out the real OS keyring (see [`crate::keyring_store`]) and any persistence: a
//! `MemoryStore` forgets everything when dropped, so it must never back a real vault.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use twofold_core::Secret;

use crate::error::{Result, VaultError};

/// One secret per account id. Implementations must be safe to call from any thread and must
/// never block without bound (the keyring implementation enforces a timeout).
pub trait SecretStore: Send + Sync {
    /// Creates or replaces the secret of `id`. `label` is a human-readable name for keyring
    /// browsers (Seahorse); it must not contain the secret.
    fn set(&self, id: &str, label: &str, secret: &Secret) -> Result<()>;

    /// The secret of `id`, or `None` if the store has no item for it.
    fn get(&self, id: &str) -> Result<Option<Secret>>;

    /// Removes the secret of `id`. `Ok(false)` if there was none (so a repeated delete after
    /// a partial failure succeeds).
    fn delete(&self, id: &str) -> Result<bool>;

    /// Whether the store answers now, asked without reading or writing any secret and
    /// without an unlock prompt: the code list calls it so that a keyring that went away
    /// while the app runs is reported even though every code shown comes from the session
    /// cache. Stores that cannot go away need not override it.
    fn health(&self) -> Result<()> {
        Ok(())
    }
}

/// Secrets in a map, for tests. [`MemoryStore::set_available`] simulates a keyring that goes
/// away, to test that nothing is half-written.
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, Secret>>,
    unavailable: AtomicBool,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// When `false`, every call fails with [`VaultError::KeyringUnavailable`].
    pub fn set_available(&self, available: bool) {
        self.unavailable.store(!available, Ordering::SeqCst);
    }

    /// Number of stored secrets (tests check for orphans with it).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self) -> Result<()> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(VaultError::KeyringUnavailable {
                hint: "the in-memory test store was switched off".into(),
            });
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        // A panic in another test thread must not hide the map from this one.
        self.items.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn set(&self, id: &str, _label: &str, secret: &Secret) -> Result<()> {
        self.check()?;
        self.lock().insert(id.to_string(), secret.clone());
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<Secret>> {
        self.check()?;
        Ok(self.lock().get(id).cloned())
    }

    fn delete(&self, id: &str) -> Result<bool> {
        self.check()?;
        Ok(self.lock().remove(id).is_some())
    }

    fn health(&self) -> Result<()> {
        self.check()
    }
}
