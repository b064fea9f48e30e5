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
//! [`search_page`], [`adopt_principals`] and [`principals_with_presence`] are what the admin
//! API's picker, "add principals" and the principal list call for a configured directory.
//! Principals of a configured directory are followed by the directory's stable id
//! (`entryUUID`, `objectGUID`): a renamed user or group keeps its 2FA and its enrollment, and
//! one deleted from the directory is listed as gone rather than dropped.

pub mod builtin;
pub mod cache;
pub mod config;
pub mod ldap;

use std::sync::Arc;

use async_trait::async_trait;
use twofold_core::{needs_two_factor, Principal};
use twofold_store::{DirectoryKind, Store, StoreError};
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
    /// The same groups with their stable ids, from a directory that has ids (empty for the
    /// built-in one).
    pub group_entries: Vec<DirectoryGroup>,
}

/// A group with its stable id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryGroup {
    pub id: String,
    pub name: String,
}

impl DirectoryUser {
    /// A user of a directory with ids: `groups` are the names of `group_entries`.
    pub fn with_groups(
        id: String,
        name: String,
        display_name: String,
        group_entries: Vec<DirectoryGroup>,
    ) -> DirectoryUser {
        let groups = group_entries.iter().map(|g| g.name.clone()).collect();
        DirectoryUser { id, name, display_name, groups, group_entries }
    }
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

    /// The entries of `kind` among `ids` (stable ids) that the directory still has, under
    /// their current names. Only asked of directories with ids (not the built-in one).
    async fn find_ids(
        &self,
        kind: EntryKind,
        ids: &[String],
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        let _ = (kind, ids);
        Err(DirectoryError::Config(format!("the {} directory has no stable ids", self.kind())))
    }

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

/// The password "hash" of a directory user's row in the store (see the store's docs).
pub use twofold_store::DIRECTORY_PASSWORD_MARK;

/// Checks a password against the configured directory. An accepted directory user's groups
/// are cached, and the store follows the user and their groups by stable id: a row is made
/// for a user who had none, a renamed user's or group's row is renamed (with the enrollment,
/// memberships and principal entry), see `twofold_store::DirectoryIdRepo`.
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
    let (store, user, now) = (state.store.clone(), user.clone(), state.now_i64());
    let made = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
        follow_user(store.as_ref(), &user, now)
    })
    .await;
    match made {
        Ok(result) => result?,
        Err(_) => return Err(DirectoryError::Panicked),
    }
    Ok(outcome)
}

/// The store brought in line with what the directory says of `user` and their groups (see
/// [`sign_in`]). Groups the store does not know are not made: only principals need rows.
fn follow_user(store: &dyn Store, user: &DirectoryUser, now: i64) -> Result<(), StoreError> {
    store.follow_directory_entry(DirectoryKind::User, &user.id, &user.name, true, now)?;
    for group in &user.group_entries {
        match store.follow_directory_entry(DirectoryKind::Group, &group.id, &group.name, false, now)
        {
            // A group name the store cannot hold is no principal; the user still signs in.
            Err(StoreError::Invalid { .. }) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
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
    let Some(found) = look_up(state, configured, user)? else {
        let principals: Vec<Principal> =
            state.store.principals()?.into_iter().map(|p| p.principal).collect();
        return Ok(needs_two_factor(enabled, user, &[], &principals));
    };
    // The groups under the directory's names and under the names the store knows their ids
    // by: a group renamed in the directory since its row was last followed still counts.
    let ids: Vec<String> = found.group_entries.iter().map(|g| g.id.clone()).collect();
    let mut groups = found.groups;
    groups.extend(state.store.group_names_for_ids(&ids)?);
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

/// Before principals are added: each one the configured directory has gets its store row
/// under the directory's stable id (a group, or a user with [`DIRECTORY_PASSWORD_MARK`]), so an
/// admin can enable a directory group nobody has signed in from yet, and a row already there
/// is linked to (or, renamed, follows) the entry. Names the directory does not have are left
/// alone (adding them fails as "not found", as for the built-in directory). Returns how many
/// rows were made.
pub async fn adopt_principals(
    state: &AppState,
    principals: &[Principal],
) -> Result<usize, DirectoryError> {
    let Some(configured) = &state.settings.directory else { return Ok(0) };
    let mut made = 0;
    for principal in principals {
        let kind = match principal {
            Principal::User(_) => DirectoryKind::User,
            Principal::Group(_) => DirectoryKind::Group,
        };
        let Some((id, name)) = entry_named(configured, principal).await? else { continue };
        let (store, now) = (state.store.clone(), state.now_i64());
        let followed =
            blocking_store(move || store.follow_directory_entry(kind, &id, &name, true, now))
                .await?;
        made += (followed == twofold_store::Followed::Created) as usize;
    }
    Ok(made)
}

/// The (stable id, name) of the directory's entry called like `principal`, if there is one.
async fn entry_named(
    configured: &ConfiguredDirectory,
    principal: &Principal,
) -> Result<Option<(String, String)>, DirectoryError> {
    let name = principal.name();
    Ok(match principal {
        Principal::User(_) => configured.directory.find_user(name).await?.map(|u| (u.id, u.name)),
        Principal::Group(_) => {
            let page = configured.directory.search(name, 0, 50).await?;
            page.items
                .into_iter()
                .find(|e| e.kind == EntryKind::Group && e.name.eq_ignore_ascii_case(name))
                .map(|e| (e.id, e.name))
        }
    })
}

async fn blocking_store<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, DirectoryError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(DirectoryError::Panicked),
    }
}

/// Whether a principal's user or group is still in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Present,
    /// Its stable id (or, never linked, its name) is no longer found.
    Gone,
    /// The directory did not answer.
    Unknown,
}

/// The principals as Admin mode lists them, each with whether it is still in the directory.
/// With a configured directory, principals are looked up by stable id (by name when the id is
/// not known yet, which links it), and one the directory renamed is renamed in the store
/// first, so the list shows today's names. A directory that does not answer leaves every
/// presence [`Presence::Unknown`] rather than failing: the admin must still see the list and
/// be able to remove from it. The built-in directory's principals are always present
/// (deleting a user removes their entry).
pub async fn principals_with_presence(
    state: &AppState,
) -> Result<Vec<(twofold_store::PrincipalEntry, Presence)>, DirectoryError> {
    let store = state.store.clone();
    let entries = blocking_store(move || store.principals()).await?;
    let Some(configured) = &state.settings.directory else {
        return Ok(entries.into_iter().map(|e| (e, Presence::Present)).collect());
    };
    match look_up_principals(state, configured, &entries).await {
        Ok((renamed, found)) => {
            let entries = if renamed {
                let store = state.store.clone();
                blocking_store(move || store.principals()).await?
            } else {
                entries
            };
            Ok(entries
                .into_iter()
                .map(|e| {
                    let here = e.directory_id.as_ref().is_some_and(|id| found.contains(id));
                    (e, if here { Presence::Present } else { Presence::Gone })
                })
                .collect())
        }
        Err(DirectoryError::Unavailable(why)) => {
            tracing::warn!(reason = %why, "the directory could not say which principals it has");
            Ok(entries.into_iter().map(|e| (e, Presence::Unknown)).collect())
        }
        Err(e) => Err(e),
    }
}

/// Asks the directory for the principals' entries and follows renames and first links in the
/// store. Answers whether the store changed and the stable ids found.
async fn look_up_principals(
    state: &AppState,
    configured: &ConfiguredDirectory,
    entries: &[twofold_store::PrincipalEntry],
) -> Result<(bool, std::collections::HashSet<String>), DirectoryError> {
    let mut follow: Vec<(DirectoryKind, String, String)> = Vec::new();
    let mut found = std::collections::HashSet::new();
    for (kind, entry_kind) in
        [(DirectoryKind::User, EntryKind::User), (DirectoryKind::Group, EntryKind::Group)]
    {
        let of_kind = |e: &&twofold_store::PrincipalEntry| {
            matches!(
                (&e.principal, kind),
                (Principal::User(_), DirectoryKind::User)
                    | (Principal::Group(_), DirectoryKind::Group)
            )
        };
        let ids: Vec<String> =
            entries.iter().filter(of_kind).filter_map(|e| e.directory_id.clone()).collect();
        for hit in configured.directory.find_ids(entry_kind, &ids).await? {
            let stored = entries.iter().find(|e| e.directory_id.as_deref() == Some(&hit.id));
            if stored.is_some_and(|e| e.principal.name() != hit.name) {
                follow.push((kind, hit.id.clone(), hit.name.clone()));
            }
            found.insert(hit.id);
        }
        // Principals from before ids were kept: found by name, then linked.
        for entry in entries.iter().filter(of_kind).filter(|e| e.directory_id.is_none()) {
            if let Some((id, name)) = entry_named(configured, &entry.principal).await? {
                follow.push((kind, id.clone(), name));
                found.insert(id);
            }
        }
    }
    let changed = !follow.is_empty();
    if changed {
        let (store, now) = (state.store.clone(), state.now_i64());
        blocking_store(move || {
            for (kind, id, name) in follow {
                store.follow_directory_entry(kind, &id, &name, false, now)?;
            }
            Ok(())
        })
        .await?;
    }
    Ok((changed, found))
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
