//! Where a pasted admin token is kept between runs: the OS keyring (Secret Service on Linux,
//! through keyring-core), one entry per admin URL, service [`KEYRING_SERVICE`].
//!
//! The calls block (D-Bus round trips, maybe an unlock prompt), so callers run them off the
//! async runtime and with a time limit (see [`crate::session`]). [`MemoryTokenStore`] stands
//! in where there is no keyring (tests, or a desktop without a Secret Service).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

/// The keyring service name of admin tokens; the entry's user is the admin URL.
pub const KEYRING_SERVICE: &str = "twofold-admin-token";

#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    /// No keyring to talk to (no Secret Service on the session bus, unsupported system).
    #[error("the OS keyring is not available: {0}")]
    Unavailable(String),
    /// The keyring is there but refused or failed (locked, denied, broken).
    #[error("the OS keyring refused: {0}")]
    Refused(String),
}

/// Keeps one token per admin URL.
pub trait TokenStore: Send + Sync {
    fn load(&self, url: &str) -> Result<Option<Zeroizing<String>>, TokenStoreError>;
    fn save(&self, url: &str, token: &str) -> Result<(), TokenStoreError>;
    fn delete(&self, url: &str) -> Result<(), TokenStoreError>;
}

/// The OS keyring. The store is opened at first use, so starting the app never waits on
/// D-Bus.
#[derive(Default)]
pub struct KeyringTokenStore {
    store: OnceLock<Result<Arc<CredentialStore>, String>>,
}

impl KeyringTokenStore {
    pub fn new() -> KeyringTokenStore {
        KeyringTokenStore::default()
    }

    fn store(&self) -> Result<&Arc<CredentialStore>, TokenStoreError> {
        self.store
            .get_or_init(open_os_store)
            .as_ref()
            .map_err(|e| TokenStoreError::Unavailable(e.clone()))
    }

    fn entry(&self, url: &str) -> Result<Entry, TokenStoreError> {
        Entry::new_in_store(self.store()?, KEYRING_SERVICE, url).map_err(refused)
    }
}

#[cfg(target_os = "linux")]
fn open_os_store() -> Result<Arc<CredentialStore>, String> {
    let store: Arc<CredentialStore> =
        zbus_secret_service_keyring_store::Store::new().map_err(|e| e.to_string())?;
    Ok(store)
}

#[cfg(not(target_os = "linux"))]
fn open_os_store() -> Result<Arc<CredentialStore>, String> {
    Err("this build has no keyring store for this system".to_string())
}

fn refused(e: keyring_core::Error) -> TokenStoreError {
    match e {
        keyring_core::Error::NoStorageAccess(inner) => {
            TokenStoreError::Unavailable(inner.to_string())
        }
        other => TokenStoreError::Refused(other.to_string()),
    }
}

impl TokenStore for KeyringTokenStore {
    fn load(&self, url: &str) -> Result<Option<Zeroizing<String>>, TokenStoreError> {
        match self.entry(url)?.get_password() {
            Ok(token) => Ok(Some(Zeroizing::new(token))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(refused(e)),
        }
    }

    fn save(&self, url: &str, token: &str) -> Result<(), TokenStoreError> {
        self.entry(url)?.set_password(token).map_err(refused)
    }

    fn delete(&self, url: &str) -> Result<(), TokenStoreError> {
        match self.entry(url)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(refused(e)),
        }
    }
}

/// Tokens in memory only, for tests and as the fallback when no keyring answers.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, Zeroizing<String>>>,
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, url: &str) -> Result<Option<Zeroizing<String>>, TokenStoreError> {
        let tokens = self.tokens.lock().map_err(|_| TokenStoreError::Refused("poisoned".into()))?;
        Ok(tokens.get(url).cloned())
    }

    fn save(&self, url: &str, token: &str) -> Result<(), TokenStoreError> {
        let mut tokens =
            self.tokens.lock().map_err(|_| TokenStoreError::Refused("poisoned".into()))?;
        tokens.insert(url.to_string(), Zeroizing::new(token.to_string()));
        Ok(())
    }

    fn delete(&self, url: &str) -> Result<(), TokenStoreError> {
        let mut tokens =
            self.tokens.lock().map_err(|_| TokenStoreError::Refused("poisoned".into()))?;
        tokens.remove(url);
        Ok(())
    }
}
