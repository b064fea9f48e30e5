//! The built-in directory: the portal's own users (Argon2 password hashes), groups and
//! memberships in the store, as `twofold-portal user add` / `group add-member` make them.
//! Groups do not nest here. The default, and what small setups and the tests use.

use std::sync::Arc;

use async_trait::async_trait;
use twofold_store::{Store, StoreError};
use zeroize::Zeroizing;

use super::{
    Authentication, Directory, DirectoryError, DirectoryUser, EntryKind, SearchEntry, SearchPage,
};
use crate::passwords;

pub struct BuiltinDirectory {
    store: Arc<dyn Store>,
}

impl BuiltinDirectory {
    pub fn new(store: Arc<dyn Store>) -> BuiltinDirectory {
        BuiltinDirectory { store }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, DirectoryError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(DirectoryError::Panicked),
    }
}

#[async_trait]
impl Directory for BuiltinDirectory {
    fn kind(&self) -> &'static str {
        "builtin"
    }

    async fn authenticate(
        &self,
        name: &str,
        password: Zeroizing<String>,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Authentication, DirectoryError> {
        let (store, name) = (self.store.clone(), name.to_string());
        // The slot moves into the blocking work: a visitor who leaves mid-hash must not free
        // it while the hash still runs.
        blocking(move || {
            let _slot = slot;
            let user = store.user(&name)?;
            // Unknown users hash against a decoy: the same work, the same answer.
            let ok = passwords::check_password(
                user.as_ref().map(|u| u.password_hash.as_str()),
                &password,
            );
            match user {
                Some(user) if ok => {
                    let groups = store.groups_of(&user.name)?;
                    Ok(Authentication::Accepted(DirectoryUser {
                        id: user.name.clone(),
                        display_name: user.name.clone(),
                        name: user.name,
                        groups,
                        group_entries: Vec::new(),
                    }))
                }
                user => Ok(Authentication::Rejected { user: user.map(|u| u.name) }),
            }
        })
        .await
    }

    async fn find_user(&self, name: &str) -> Result<Option<DirectoryUser>, DirectoryError> {
        let (store, name) = (self.store.clone(), name.to_string());
        blocking(move || {
            let Some(user) = store.user(&name)? else { return Ok(None) };
            let groups = store.groups_of(&user.name)?;
            Ok(Some(DirectoryUser {
                id: user.name.clone(),
                display_name: user.name.clone(),
                name: user.name,
                groups,
                group_entries: Vec::new(),
            }))
        })
        .await
    }

    async fn search(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<SearchPage, DirectoryError> {
        let (store, query) = (self.store.clone(), query.to_string());
        let page = blocking(move || store.search_directory(&query, offset, limit)).await?;
        let more = offset as u64 + (page.items.len() as u64) < page.total as u64;
        let items = page
            .items
            .into_iter()
            .map(|e| SearchEntry {
                kind: if e.kind == "group" { EntryKind::Group } else { EntryKind::User },
                id: e.name.clone(),
                display_name: e.name.clone(),
                name: e.name,
            })
            .collect();
        Ok(SearchPage { items, more })
    }
}
