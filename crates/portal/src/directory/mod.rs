//! Where users, passwords and groups come from: the [`Directory`] trait, with the built-in
//! directory (the store's own users, the default) and LDAP / Active Directory
//! ([`ldap::LdapDirectory`]), chosen by the config file's `[directory]` table.
//!
//! What the rest of the portal calls: [`sign_in`] (the password step of the sign-in page and
//! the RDP gate), [`user_needs_two_factor`] and [`still_present`] (the guard of every signed-in
//! request, on blocking threads). A directory user who signs in gets a row in the store under
//! the directory's name with a password hash that can never match, because sessions and
//! enrollments belong to a user row; the password itself stays in the directory.
//!
//! Fails closed: when the directory cannot answer, nobody signs in and no session is let
//! through on a guess ([`DirectoryError::Unavailable`]; the pages show "directory
//! unavailable", the RDP gate refuses).
//!
//! Leaves out principals by stable id and the admin picker's search (issue 11, later steps).

pub mod builtin;
pub mod cache;
pub mod config;
pub mod ldap;

use std::sync::Arc;

use async_trait::async_trait;
use twofold_core::{needs_two_factor, Principal};
use twofold_store::StoreError;
use zeroize::Zeroizing;

use crate::state::AppState;

/// A user as the directory knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The stable id (`entryUUID`, `objectGUID`; the name in the built-in directory).
    pub id: String,
    /// The sign-in name in the directory's own spelling.
    pub name: String,
    pub display_name: String,
    /// Every group the user is in, nested ones included.
    pub groups: Vec<String>,
}

/// What a password check came to. Unknown user and wrong password are one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authentication {
    Accepted(DirectoryUser),
    /// `user`: the directory's name when the account exists, for the audit log only.
    Rejected {
        user: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    User,
    Group,
}

/// One row of a directory search (the admin picker).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SearchEntry {
    pub kind: EntryKind,
    pub id: String,
    pub name: String,
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SearchPage {
    pub items: Vec<SearchEntry>,
    /// Whether a further page exists.
    pub more: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The directory could not be reached or refused to work (down, timed out, TLS failed,
    /// the service account refused). Nobody is let in meanwhile.
    #[error("the directory is unavailable: {0}")]
    Unavailable(String),
    /// The configuration cannot work (an unreadable CA or password file).
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the directory's blocking work panicked")]
    Panicked,
}

/// A directory of users and groups.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// `builtin` or `ldap`.
    fn kind(&self) -> &'static str;

    /// Checks `name`'s password with the same work and the same answer for an unknown user
    /// and a wrong password. `slot` (a hash slot of `password_check`) is held until the check
    /// is over.
    async fn authenticate(
        &self,
        name: &str,
        password: Zeroizing<String>,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Authentication, DirectoryError>;

    /// The user called `name` with their groups, or `None` when there is none.
    async fn find_user(&self, name: &str) -> Result<Option<DirectoryUser>, DirectoryError>;

    /// Users and groups whose name contains `query`, groups first, `limit` from `offset`.
    async fn search(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<SearchPage, DirectoryError>;
}

/// A directory the config file chose, with its cache. Lives in `PortalSettings`; `None`
/// there means the built-in directory.
#[derive(Clone)]
pub struct ConfiguredDirectory {
    pub directory: Arc<dyn Directory>,
    pub cache: Arc<cache::UserCache>,
}

impl std::fmt::Debug for ConfiguredDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredDirectory")
            .field("kind", &self.directory.kind())
            .field("cache_seconds", &self.cache.seconds())
            .finish()
    }
}

impl ConfiguredDirectory {
    pub fn new(directory: Arc<dyn Directory>, cache_seconds: u64) -> ConfiguredDirectory {
        ConfiguredDirectory { directory, cache: Arc::new(cache::UserCache::new(cache_seconds)) }
    }

    /// Opens what `config` describes; `None` for the built-in directory.
    pub fn open(
        config: &config::DirectoryConfig,
    ) -> Result<Option<ConfiguredDirectory>, DirectoryError> {
        match config {
            config::DirectoryConfig::Builtin => Ok(None),
            config::DirectoryConfig::Ldap(settings) => {
                let seconds = settings.cache_seconds;
                let directory = ldap::LdapDirectory::open((**settings).clone())?;
                Ok(Some(ConfiguredDirectory::new(Arc::new(directory), seconds)))
            }
        }
    }
}

/// The directory `state` signs users in with.
pub fn directory(state: &AppState) -> Arc<dyn Directory> {
    match &state.settings.directory {
        Some(configured) => configured.directory.clone(),
        None => Arc::new(builtin::BuiltinDirectory::new(state.store.clone())),
    }
}

/// The password "hash" of a directory user's row in the store: not a PHC string, so it never
/// verifies (if the portal is switched back to the built-in directory, such a user cannot sign
/// in with any password until an admin sets one).
pub const DIRECTORY_PASSWORD_MARK: &str = "!directory";

/// Checks a password against the configured directory. An accepted directory user's groups
/// are cached and the user gets their store row if they had none.
pub async fn sign_in(
    state: &AppState,
    name: &str,
    password: Zeroizing<String>,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Result<Authentication, DirectoryError> {
    let outcome = directory(state).authenticate(name, password, slot).await?;
    let (Some(configured), Authentication::Accepted(user)) = (&state.settings.directory, &outcome)
    else {
        return Ok(outcome);
    };
    configured.cache.put(&user.name, Some(user.clone()), state.now());
    let (store, name, now) = (state.store.clone(), user.name.clone(), state.now_i64());
    let made = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
        if store.user(&name)?.is_some() {
            return Ok(());
        }
        match store.add_user(&name, DIRECTORY_PASSWORD_MARK, "directory", now) {
            // Another sign-in of the same user made it first.
            Err(StoreError::AlreadyExists { .. }) => Ok(()),
            other => other,
        }
    })
    .await;
    match made {
        Ok(result) => result?,
        Err(_) => return Err(DirectoryError::Panicked),
    }
    Ok(outcome)
}

/// The configured directory's word on `name`: from the cache while fresh, else asked (and
/// cached). Blocking: runs the async lookup on a thread of its own, so it works from any
/// blocking context (a Tokio blocking thread, the CLI) without a runtime of the caller's.
fn look_up(
    state: &AppState,
    configured: &ConfiguredDirectory,
    name: &str,
) -> Result<Option<DirectoryUser>, DirectoryError> {
    let now = state.now();
    if let Some(cached) = configured.cache.get(name, now) {
        return Ok(cached);
    }
    let directory = configured.directory.clone();
    let wanted = name.to_string();
    let found = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| DirectoryError::Unavailable(format!("starting a lookup: {e}")))?;
                runtime.block_on(directory.find_user(&wanted))
            })
            .join()
            .unwrap_or(Err(DirectoryError::Panicked))
    })?;
    configured.cache.put(name, found.clone(), now);
    Ok(found)
}

/// The core's policy rule with the user's groups from the configured directory (the store's
/// groups for the built-in one). Blocking.
pub fn user_needs_two_factor(state: &AppState, user: &str) -> Result<bool, DirectoryError> {
    let Some(configured) = &state.settings.directory else {
        return crate::ops::user_needs_two_factor(state.store.as_ref(), user).map_err(
            |e| match e {
                crate::ops::OpsError::Store(e) => DirectoryError::Store(e),
                other => DirectoryError::Config(other.to_string()),
            },
        );
    };
    let enabled = state.store.two_factor_enabled()?;
    if !enabled {
        return Ok(false);
    }
    let groups = look_up(state, configured, user)?.map(|u| u.groups).unwrap_or_default();
    let principals: Vec<Principal> =
        state.store.principals()?.into_iter().map(|p| p.principal).collect();
    Ok(needs_two_factor(enabled, user, &groups, &principals))
}

/// Whether `user` is still in the directory (a session of a deleted user ends). Blocking.
pub fn still_present(state: &AppState, user: &str) -> Result<bool, DirectoryError> {
    match &state.settings.directory {
        Some(configured) => Ok(look_up(state, configured, user)?.is_some()),
        None => Ok(state.store.user(user)?.is_some()),
    }
}

/// Whether `error` (or what caused it) is the directory being unavailable.
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if matches!(e.downcast_ref::<DirectoryError>(), Some(DirectoryError::Unavailable(_))) {
            return true;
        }
        // `WorkError` wraps transparently, which hides the directory's error from `source`.
        if let Some(crate::blocking::WorkError::Directory(DirectoryError::Unavailable(_))) =
            e.downcast_ref::<crate::blocking::WorkError>()
        {
            return true;
        }
        current = e.source();
    }
    false
}
