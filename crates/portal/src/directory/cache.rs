//! A short cache of directory users and their groups, for the requests between sign-ins.
//!
//! A sign-in always asks the directory and refreshes the entry, so a user added to a 2FA
//! group is asked for a code at their next sign-in with no sync. An open session's pages
//! (the guard re-checks "who needs 2FA" on every request) use the cached groups for at most
//! `cache_seconds` (default 60), then ask the directory again. A user who is no longer in the
//! directory is cached as gone for the same time. Times come from the portal's clock.

use std::collections::HashMap;
use std::sync::Mutex;

use super::DirectoryUser;

/// More entries than this and the cache starts afresh: a bound on memory, not a policy.
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug)]
pub struct UserCache {
    seconds: u64,
    entries: Mutex<HashMap<String, (u64, Option<DirectoryUser>)>>,
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl UserCache {
    pub fn new(seconds: u64) -> UserCache {
        UserCache { seconds, entries: Mutex::new(HashMap::new()) }
    }

    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// What the directory said about `name` less than `seconds` ago: `Some(None)` for "not
    /// in the directory", `None` for "ask it".
    pub fn get(&self, name: &str, now: u64) -> Option<Option<DirectoryUser>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (at, user) = entries.get(&key(name))?;
        (now < at.saturating_add(self.seconds) && now >= *at).then(|| user.clone())
    }

    pub fn put(&self, name: &str, user: Option<DirectoryUser>, now: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key(name), (now, user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(groups: &[&str]) -> DirectoryUser {
        DirectoryUser {
            id: "id".into(),
            name: "Ann".into(),
            display_name: "Ann".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            group_entries: Vec::new(),
        }
    }

    #[test]
    fn an_entry_is_believed_for_its_seconds_and_not_after() {
        let cache = UserCache::new(60);
        cache.put("Ann", Some(user(&["staff"])), 1000);
        assert_eq!(cache.get("ann", 1059).unwrap().unwrap().groups, vec!["staff"]);
        assert!(cache.get("ann", 1060).is_none());
    }

    #[test]
    fn a_user_gone_from_the_directory_is_remembered_as_gone() {
        let cache = UserCache::new(60);
        cache.put("bob", None, 1000);
        assert_eq!(cache.get("BOB", 1001), Some(None));
    }

    #[test]
    fn a_zero_second_cache_always_asks() {
        let cache = UserCache::new(0);
        cache.put("ann", Some(user(&[])), 1000);
        assert!(cache.get("ann", 1000).is_none());
    }
}
