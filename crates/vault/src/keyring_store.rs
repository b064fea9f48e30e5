//! [`KeyringStore`]: account secrets in the OS keyring through `keyring-core`, on Linux the
//! Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus.
//!
//! Each secret is one keyring item with attributes `service = twofold` and `username = <account
//! id>` (so `secret-tool search --all service twofold` lists them) and the label
//! `Twofold: Issuer (account)`. The value is the key as upper-case base32 text rather than raw
//! bytes: KWallet stores only UTF-8, and a user can read the key back with `secret-tool
//! lookup` if the app is ever gone.
//!
//! Every call runs on a worker thread with a deadline ([`crate::bounded`]); a keyring that does
//! not answer yields [`VaultError::KeyringTimeout`], never a hang. The connection is made on
//! first use, not at construction, so the app can open and list accounts while the keyring is
//! still down, and a later call retries.
//!
//! The keyring can also go away and come back while the app runs (the daemon crashes or is
//! restarted). A connection holds an encryption session with the daemon it was made to, which
//! a restarted daemon does not know, so the connection is dropped — and made again at the next
//! call — whenever a call finds the keyring missing or refusing, and whenever
//! [`SecretStore::health`] sees another process own the Secret Service name than last time.
//!
//! Leaves out macOS and Windows wiring: there the app passes its platform store to
//! [`KeyringStore::with_store`]. Also leaves out unlocking: a locked keyring is reported, and
//! the desktop's own prompt does the unlocking.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use twofold_core::Secret;
use zeroize::Zeroizing;

use crate::bounded::{run_bounded, StuckCalls};
use crate::error::{Result, VaultError};
use crate::secret_store::SecretStore;

/// The `service` attribute of every item Twofold writes.
pub const SERVICE: &str = "twofold";

/// How long one keyring call may take before it is reported as [`VaultError::KeyringTimeout`].
/// Long enough for a user to type a password into an unlock prompt that is on screen.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

type Connector = dyn Fn() -> keyring_core::Result<Arc<CredentialStore>> + Send + Sync;
/// Answers who serves the keyring now (an identity that changes when the service is restarted),
/// without touching any secret; errors are already the user's.
type Probe = dyn Fn() -> Result<String> + Send + Sync;

/// The OS keyring as a [`SecretStore`].
pub struct KeyringStore {
    service: String,
    timeout: Duration,
    connector: Arc<Connector>,
    store: Mutex<Option<Arc<CredentialStore>>>,
    probe: Arc<Probe>,
    /// The service's identity at the last successful health check.
    served_by: Mutex<Option<String>>,
    stuck: StuckCalls,
}

impl KeyringStore {
    /// The Secret Service on the session D-Bus (`DBUS_SESSION_BUS_ADDRESS`, read at the first
    /// call). Does not connect yet and never fails.
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    pub fn new() -> KeyringStore {
        let bus = Arc::new(secret_service_bus::Bus::default());
        KeyringStore::with_parts(
            Arc::new(|| {
                let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
                Ok(store)
            }),
            Arc::new(move || bus.owner()),
        )
    }

    /// A store the app built itself (for example the macOS Keychain or Windows Credential
    /// Manager store from their keyring-core crates). Its health check always passes: those
    /// stores are part of the OS and do not go away.
    pub fn with_store(store: Arc<CredentialStore>) -> KeyringStore {
        KeyringStore::with_parts(
            Arc::new(move || Ok(Arc::clone(&store))),
            Arc::new(|| Ok(String::new())),
        )
    }

    fn with_parts(connector: Arc<Connector>, probe: Arc<Probe>) -> KeyringStore {
        KeyringStore {
            service: SERVICE.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connector,
            store: Mutex::new(None),
            probe,
            served_by: Mutex::new(None),
            stuck: StuckCalls::default(),
        }
    }

    /// Drops the connection, so the next call connects again (to whatever serves the keyring
    /// then). Calls already running keep theirs.
    fn forget_connection(&self) {
        *self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// `result`, after dropping the connection if it shows the keyring gone or confused (a
    /// restarted daemon refuses the old connection's session). Not after "locked" or a
    /// timeout: the service is the same, and a stuck call still holds the connection.
    fn checked<T>(&self, result: Result<T>) -> Result<T> {
        if matches!(
            result,
            Err(VaultError::KeyringUnavailable { .. } | VaultError::KeyringRefused { .. })
        ) {
            self.forget_connection();
        }
        result
    }

    /// Replaces [`DEFAULT_TIMEOUT`] (tests use a short one).
    pub fn timeout(mut self, timeout: Duration) -> KeyringStore {
        self.timeout = timeout;
        self
    }

    /// Connects now instead of at the first call, to tell the user early that the keyring is
    /// missing. Optional.
    pub fn check(&self) -> Result<()> {
        self.connected().map(|_| ())
    }

    fn timed_out(&self) -> VaultError {
        VaultError::KeyringTimeout { seconds: self.timeout.as_secs().max(1) }
    }

    fn connected(&self) -> Result<Arc<CredentialStore>> {
        if self.stuck.any() {
            return Err(self.timed_out());
        }
        let mut slot = self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let connector = Arc::clone(&self.connector);
        // Connecting opens a D-Bus session with the Secret Service, which can block like any
        // other call; a late connection is simply dropped.
        let store = run_bounded(self.timeout, &self.stuck, move || connector(), |_| {})
            .map_err(|_| self.timed_out())?
            .map_err(|err| classify(err, ""))?;
        *slot = Some(Arc::clone(&store));
        Ok(store)
    }

    fn entry(&self, store: &Arc<CredentialStore>, id: &str, label: &str) -> Result<Entry> {
        let label = format!("Twofold: {label}");
        let modifiers = HashMap::from([("label", label.as_str())]);
        Entry::new_in_store_with_modifiers(store, &self.service, id, &modifiers)
            .map_err(|err| classify(err, id))
    }

    /// Runs `op` on `entry` in a worker; `undo` runs if the caller stopped waiting.
    fn call<T: Send + 'static>(
        &self,
        entry: Entry,
        op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
        undo: impl FnOnce(&Entry, keyring_core::Result<T>) + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let entry = Arc::new(entry);
        let worker_entry = Arc::clone(&entry);
        let undo_entry = Arc::clone(&entry);
        run_bounded(
            self.timeout,
            &self.stuck,
            move || op(&worker_entry),
            move |late| undo(&undo_entry, late),
        )
        .map_err(|_| self.timed_out())
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
impl Default for KeyringStore {
    fn default() -> Self {
        KeyringStore::new()
    }
}

impl SecretStore for KeyringStore {
    fn set(&self, id: &str, label: &str, secret: &Secret) -> Result<()> {
        self.checked(self.set_now(id, label, secret))
    }

    fn get(&self, id: &str) -> Result<Option<Secret>> {
        self.checked(self.get_now(id))
    }

    fn delete(&self, id: &str) -> Result<bool> {
        self.checked(self.delete_now(id))
    }

    /// Asks the bus who owns the Secret Service name and that owner for a property (no secret,
    /// no prompt, no D-Bus activation of a daemon), within the timeout. A new owner since the
    /// last check means the keyring was restarted: the connection is made again.
    fn health(&self) -> Result<()> {
        if self.stuck.any() {
            return Err(self.timed_out());
        }
        let probe = Arc::clone(&self.probe);
        let outcome = run_bounded(self.timeout, &self.stuck, move || probe(), |_| {})
            .map_err(|_| self.timed_out())?;
        let mut served_by = self.served_by.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match outcome {
            Ok(owner) => {
                if served_by.as_deref() != Some(owner.as_str()) {
                    self.forget_connection();
                    *served_by = Some(owner);
                }
                Ok(())
            }
            Err(err) => {
                *served_by = None;
                self.forget_connection();
                Err(err)
            }
        }
    }
}

impl KeyringStore {
    fn set_now(&self, id: &str, label: &str, secret: &Secret) -> Result<()> {
        let store = self.connected()?;
        let entry = self.entry(&store, id, label)?;
        let text = secret.to_base32();
        let outcome = self.call(
            entry,
            move |entry| entry.set_secret(text.as_bytes()),
            // A write that lands after we reported a timeout would be an orphan: take it back.
            |entry, late| {
                if late.is_ok() {
                    let _ = entry.delete_credential();
                }
            },
        )?;
        outcome.map_err(|err| classify(err, id))
    }

    fn get_now(&self, id: &str) -> Result<Option<Secret>> {
        let store = self.connected()?;
        let entry = self.entry(&store, id, id)?;
        let outcome =
            self.call(entry, |entry| entry.get_secret().map(Zeroizing::new), |_, _| {})?;
        let bytes = match outcome {
            Ok(bytes) => bytes,
            Err(KeyringError::NoEntry) => return Ok(None),
            Err(err) => return Err(classify(err, id)),
        };
        let corrupt = || VaultError::SecretCorrupt { id: id.to_string() };
        let text = std::str::from_utf8(&bytes).map_err(|_| corrupt())?;
        Secret::from_base32(text).map(Some).map_err(|_| corrupt())
    }

    fn delete_now(&self, id: &str) -> Result<bool> {
        let store = self.connected()?;
        let entry = self.entry(&store, id, id)?;
        // A delete that lands late needs no undo: the vault keeps the metadata after a timeout,
        // and the next delete finds no item and completes.
        let outcome = self.call(entry, |entry| entry.delete_credential(), |_, _| {})?;
        match outcome {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(err) => Err(classify(err, id)),
        }
    }
}

/// The session bus as the health check sees it: one connection of its own (made on first use,
/// made again after a failure), never the store's.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod secret_service_bus {
    use std::sync::Mutex;

    use zbus::blocking::fdo::{DBusProxy, PropertiesProxy};
    use zbus::names::{BusName, InterfaceName};

    use super::{classify_platform_failure, unavailable};
    use crate::error::Result;

    const NAME: &str = "org.freedesktop.secrets";

    #[derive(Default)]
    pub(super) struct Bus {
        connection: Mutex<Option<zbus::blocking::Connection>>,
    }

    impl Bus {
        /// The unique bus name serving the keyring, after it answered a property read.
        pub(super) fn owner(&self) -> Result<String> {
            let mut slot = self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let connection = match slot.as_ref() {
                Some(c) => c.clone(),
                None => {
                    let c = zbus::blocking::Connection::session()
                        .map_err(|e| unavailable(&format!("failed to connect: {e}")))?;
                    *slot = Some(c.clone());
                    c
                }
            };
            drop(slot);
            let result = ask(&connection);
            if result.is_err() {
                *self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
            }
            result
        }
    }

    fn ask(connection: &zbus::blocking::Connection) -> Result<String> {
        let fail = |e: &dyn std::fmt::Display| classify_platform_failure(&e.to_string());
        let name = BusName::try_from(NAME).map_err(|e| fail(&e))?;
        // GetNameOwner, unlike a method call to the name, never starts a daemon by D-Bus
        // activation: a check must not bring up a second, locked keyring.
        let owner = match DBusProxy::new(connection).and_then(|p| Ok(p.get_name_owner(name)?)) {
            Ok(owner) => owner.to_string(),
            Err(zbus::Error::FDO(e)) if matches!(*e, zbus::fdo::Error::NameHasNoOwner(_)) => {
                return Err(unavailable("no process owns org.freedesktop.secrets"));
            }
            Err(e) => return Err(fail(&e)),
        };
        // The owner itself must answer: a stopped daemon keeps its name but answers nothing
        // (the caller's deadline turns that into a timeout).
        let service =
            InterfaceName::try_from("org.freedesktop.Secret.Service").map_err(|e| fail(&e))?;
        PropertiesProxy::builder(connection)
            .destination(owner.as_str())
            .and_then(|b| b.path("/org/freedesktop/secrets"))
            .and_then(|b| b.build())
            .map_err(|e| fail(&e))?
            .get(service, "Collections")
            .map_err(|e| match e {
                zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_) => {
                    unavailable(&e.to_string())
                }
                other => fail(&other),
            })?;
        Ok(owner)
    }
}

/// Maps keyring-core errors to what the user can act on. Payloads that may hold secret bytes
/// (`BadEncoding`, `BadDataFormat`) are dropped, not formatted.
fn classify(err: KeyringError, id: &str) -> VaultError {
    match err {
        KeyringError::NoStorageAccess(_) => VaultError::KeyringLocked,
        KeyringError::PlatformFailure(inner) => {
            let detail = error_chain(inner.as_ref());
            classify_platform_failure(&detail)
        }
        KeyringError::NoDefaultStore => unavailable("no keyring store is configured"),
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            VaultError::SecretCorrupt { id: id.to_string() }
        }
        KeyringError::Ambiguous(items) => VaultError::KeyringRefused {
            detail: format!(
                "{} keyring items match account {id}; remove the extra ones with secret-tool",
                items.len()
            ),
        },
        other => VaultError::KeyringRefused { detail: other.to_string() },
    }
}

/// The Secret Service store reports a missing bus, a missing service and a dismissed prompt
/// all as `PlatformFailure`; only the text tells them apart.
fn classify_platform_failure(detail: &str) -> VaultError {
    let lower = detail.to_ascii_lowercase();
    let prompt = ["prompt dismissed", "prompt completed", "object locked"];
    if prompt.iter().any(|p| lower.contains(p)) {
        return VaultError::KeyringLocked;
    }
    let missing = [
        "no secret service provider",
        "serviceunknown",
        "service unknown",
        "not provided by any",
        "namehasnoowner",
        "no such file or directory",
        "connection refused",
        "address",
        "i/o error",
        "input/output",
        "broken pipe",
        "connection reset",
    ];
    if missing.iter().any(|m| lower.contains(m)) {
        return unavailable(detail);
    }
    VaultError::KeyringRefused { detail: detail.to_string() }
}

fn unavailable(detail: &str) -> VaultError {
    let lower = detail.to_ascii_lowercase();
    let what = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set). Start Twofold \
         from a desktop session, or under dbus-run-session with a keyring daemon running"
    } else if lower.contains("failed to connect") || lower.contains("connection refused") {
        "the D-Bus session bus cannot be reached (the desktop session may have ended). Start \
         Twofold again from a running desktop session"
    } else {
        "no Secret Service answers on the D-Bus session bus. Start GNOME Keyring \
         (gnome-keyring-daemon --start --components=secrets) or enable Secret Service \
         integration in KeePassXC or KWallet, then try again"
    };
    VaultError::KeyringUnavailable { hint: format!("{what} (detail: {detail})") }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        // zbus repeats its message at each level; keep each distinct part once.
        let part = next.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = next.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A store over keyring-core's mock whose health probe answers what `served_by` holds,
    /// counting how often it connects.
    fn restartable() -> (KeyringStore, Arc<AtomicUsize>, Arc<Mutex<Result<String>>>) {
        let connects = Arc::new(AtomicUsize::new(0));
        let served_by: Arc<Mutex<Result<String>>> = Arc::new(Mutex::new(Ok(":1.7".into())));
        let (c, s) = (Arc::clone(&connects), Arc::clone(&served_by));
        let store = KeyringStore::with_parts(
            Arc::new(move || {
                c.fetch_add(1, Ordering::SeqCst);
                let store: Arc<CredentialStore> = keyring_core::mock::Store::new()?;
                Ok(store)
            }),
            Arc::new(move || match &*s.lock().unwrap() {
                Ok(owner) => Ok(owner.clone()),
                Err(_) => Err(VaultError::KeyringUnavailable { hint: "gone".into() }),
            }),
        );
        (store, connects, served_by)
    }

    #[test]
    fn a_keyring_that_went_away_fails_the_health_check_and_a_restarted_one_is_reconnected() {
        let (store, connects, served_by) = restartable();
        store.health().unwrap();
        // (The mock store refuses item labels, so the connection stands for a call.)
        store.connected().unwrap();
        store.health().unwrap();
        assert_eq!(connects.load(Ordering::SeqCst), 1, "the same service: the same connection");

        *served_by.lock().unwrap() = Err(VaultError::KeyringLocked);
        assert!(matches!(store.health(), Err(VaultError::KeyringUnavailable { .. })));

        // Back under another bus name: the old connection's session would be refused.
        *served_by.lock().unwrap() = Ok(":1.42".into());
        store.health().unwrap();
        store.connected().unwrap();
        assert_eq!(connects.load(Ordering::SeqCst), 2, "a new connection to the new service");
    }

    #[test]
    fn a_call_that_finds_the_keyring_refusing_drops_the_connection_for_the_next_call() {
        let (store, connects, _) = restartable();
        store.connected().unwrap();
        assert!(store
            .checked::<()>(Err(VaultError::KeyringRefused { detail: "no session".into() }))
            .is_err());
        store.connected().unwrap();
        assert_eq!(connects.load(Ordering::SeqCst), 2);
        // Locked is the same service: keep the connection.
        assert!(store.checked::<()>(Err(VaultError::KeyringLocked)).is_err());
        store.connected().unwrap();
        assert_eq!(connects.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn dismissed_prompt_is_reported_as_locked() {
        assert!(matches!(
            classify_platform_failure("SS error: prompt dismissed"),
            VaultError::KeyringLocked
        ));
    }

    #[test]
    fn missing_bus_or_service_is_reported_as_unavailable_with_a_hint() {
        for detail in [
            "no secret service provider or dbus session found",
            "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable",
            "zbus error: I/O error: No such file or directory (os error 2)",
        ] {
            match classify_platform_failure(detail) {
                VaultError::KeyringUnavailable { hint } => {
                    assert!(hint.contains("Start Twofold") || hint.contains("try again"))
                }
                other => panic!("{detail}: {other:?}"),
            }
        }
    }

    #[test]
    fn other_platform_failures_are_refusals_carrying_the_detail() {
        match classify_platform_failure("Crypto error: bad padding") {
            VaultError::KeyringRefused { detail } => assert!(detail.contains("bad padding")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn undecodable_items_become_corrupt_without_their_bytes() {
        let err = classify(KeyringError::BadEncoding(b"SECRETBYTES".to_vec()), "abc");
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, VaultError::SecretCorrupt { .. }));
        assert!(!shown.contains("SECRETBYTES"));
    }
}
