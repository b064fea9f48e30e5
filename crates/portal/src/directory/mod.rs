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
//! [`search_page`] and [`adopt_principals`] are what the admin API's picker and "add
//! principals" call for a configured directory. Leaves out principals stored by stable id
//! (they are still stored by name).

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

    /// Where it is (the LDAP URL), for the Admin mode's status; `None` for the built-in one.
    fn location(&self) -> Option<String> {
        None
    }

    /// Whether it answers now: for LDAP a connect and the service account's bind, within the
    /// configured timeout. The built-in directory is the store, whose failures speak for
    /// themselves.
    async fn health(&self) -> Result<(), DirectoryError> {
        Ok(())
    }

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

/// The admin picker's page from the configured directory, in the store's shape (the admin
/// API's `DirectoryPage`). For LDAP, `total` is what is known without reading the whole
/// directory: the entries up to this page, plus one when a further page exists.
pub async fn search_page(
    state: &AppState,
    query: &str,
    offset: u32,
    limit: u32,
) -> Result<twofold_store::DirectoryPage, DirectoryError> {
    let Some(configured) = &state.settings.directory else {
        let (store, query) = (state.store.clone(), query.to_string());
        return match tokio::task::spawn_blocking(move || {
            store.search_directory(&query, offset, limit)
        })
        .await
        {
            Ok(page) => Ok(page?),
            Err(_) => Err(DirectoryError::Panicked),
        };
    };
    let page = configured.directory.search(query, offset, limit).await?;
    let shown = offset.saturating_add(page.items.len() as u32);
    Ok(twofold_store::DirectoryPage {
        total: shown.saturating_add(page.more as u32),
        items: page
            .items
            .into_iter()
            .map(|e| twofold_store::DirectoryEntry {
                kind: match e.kind {
                    EntryKind::User => "user",
                    EntryKind::Group => "group",
                },
                name: e.name,
                members: None,
            })
            .collect(),
    })
}

/// Before principals are added: each one the configured directory has but the store does not
/// gets its row (a group, or a user with [`DIRECTORY_PASSWORD_MARK`]), so an admin can enable
/// a directory group nobody has signed in from yet. Names the directory does not have are left
/// alone (adding them fails as "not found", as for the built-in directory). Returns how many
/// rows were made.
pub async fn adopt_principals(
    state: &AppState,
    principals: &[Principal],
) -> Result<usize, DirectoryError> {
    let Some(configured) = &state.settings.directory else { return Ok(0) };
    let mut made = 0;
    for principal in principals {
        let name = principal.name().to_string();
        let known = match principal {
            Principal::User(_) => configured.directory.find_user(&name).await?.map(|u| u.name),
            Principal::Group(_) => {
                let page = configured.directory.search(&name, 0, 50).await?;
                page.items
                    .into_iter()
                    .find(|e| e.kind == EntryKind::Group && e.name.eq_ignore_ascii_case(&name))
                    .map(|e| e.name)
            }
        };
        let Some(known) = known else { continue };
        let (store, is_group, now) =
            (state.store.clone(), matches!(principal, Principal::Group(_)), state.now_i64());
        let added = tokio::task::spawn_blocking(move || -> Result<bool, StoreError> {
            let result = if is_group {
                store.add_group(&known, "directory", now)
            } else {
                store.add_user(&known, DIRECTORY_PASSWORD_MARK, "directory", now)
            };
            match result {
                Ok(()) => Ok(true),
                Err(StoreError::AlreadyExists { .. }) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|_| DirectoryError::Panicked)??;
        made += added as usize;
    }
    Ok(made)
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
