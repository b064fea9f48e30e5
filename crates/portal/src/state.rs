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
    /// The token RDP front ends (the PAM hook) present to the gate; `None`: the gate is off.
    pub gateway_token: Option<Arc<zeroize::Zeroizing<String>>>,
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
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers name the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The reverse proxy's auth subrequest: who may be sent back where, and how.
    pub forward_auth: ForwardAuth,
    /// The remote desktops listed on the signed-in home page.
    pub desktops: Vec<Desktop>,
    /// The organisation's directory (LDAP) the config file chose; `None`: the built-in one.
    pub directory: Option<crate::directory::ConfiguredDirectory>,
}

/// Settings of the forward-auth endpoints (`forward_auth`).
#[derive(Clone, Debug)]
pub struct ForwardAuth {
    /// Response header naming the signed-in user to the proxy.
    pub user_header: axum::http::HeaderName,
    /// Origins (`scheme://host[:port]`) the portal protects; the only places a sign-in sends
    /// a visitor back to.
    pub protected_origins: Vec<String>,
    /// The portal's own public URL (`https://portal.example.com`), for the sign-in link a
    /// proxy redirects to; `None`: the link is relative to the subrequest's host.
    pub public_url: Option<String>,
    /// A parent domain the session cookie is shared with (`example.com`), for a portal and
    /// desktops on sibling hosts; `None`: host-only cookies (same host, any port).
    pub cookie_domain: Option<String>,
}

impl Default for ForwardAuth {
    fn default() -> Self {
        ForwardAuth {
            user_header: axum::http::HeaderName::from_static("remote-user"),
            protected_origins: Vec::new(),
            public_url: None,
            cookie_domain: None,
        }
    }
}

/// A remote desktop the admin configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desktop {
    pub name: String,
    pub url: String,
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
            trusted_proxies: Vec::new(),
            forward_auth: ForwardAuth::default(),
            desktops: Vec::new(),
            directory: None,
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
