//! What every handler shares: the store, the clock, the keys, and the portal's settings.

use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use twofold_core::VerifierPolicy;
use twofold_store::Store;

use crate::clock::Clock;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Key for the CSRF tokens, shared by every portal process on the data directory.
    pub csrf_key: Arc<[u8; 32]>,
    pub vendor_key: VerifyingKey,
    pub verifier: VerifierPolicy,
    pub settings: Arc<PortalSettings>,
    /// The admin API bearer token (only the admin router reads it).
    pub admin_token: Arc<zeroize::Zeroizing<String>>,
    /// Slots for password hashes running at once (see `password_check`).
    pub hash_slots: Arc<tokio::sync::Semaphore>,
}

#[derive(Clone, Debug)]
pub struct PortalSettings {
    /// Issuer shown in authenticator apps.
    pub issuer: String,
    /// Cookies get `Secure` when the portal is served over TLS.
    pub secure_cookies: bool,
    /// How long a sign-in session lasts, in seconds.
    pub session_seconds: u64,
    /// How long a half-finished sign-in (password given, code pending) lasts.
    pub pending_seconds: u64,
    /// Failed passwords or codes from one address within `address_window` before it gets 429.
    pub address_limit: u32,
    pub address_window: u64,
    /// Failed passwords for one account (from any address) within `address_window` before
    /// that account's password sign-ins get 429 for the rest of the window.
    pub account_limit: u32,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            issuer: twofold_core::uri::PORTAL_ISSUER_DEFAULT.to_string(),
            secure_cookies: false,
            session_seconds: 8 * 3600,
            pending_seconds: 10 * 60,
            // Generous enough for an office behind one NAT address, small enough to stop a
            // spray of codes across accounts (the per-user lock stops one account at 5).
            address_limit: 50,
            address_window: 15 * 60,
            // A person who forgot a password gives up or asks long before ten tries; a
            // password sprayer gets ten guesses per account per quarter hour.
            account_limit: 10,
        }
    }
}

impl AppState {
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    pub fn now_i64(&self) -> i64 {
        self.clock.now().min(i64::MAX as u64) as i64
    }
}
