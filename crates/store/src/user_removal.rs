//! Deleting a directory user together with everything that hangs off the name: the
//! enrollment (secret), the sign-in sessions, group memberships and the `user:NAME`
//! principal entry — in one transaction, audited as `user.delete` with what went.
//!
//! Leaves out the audit log itself (history stays, naming the deleted user) and the
//! per-address throttle (it counts addresses, not users).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::audit::insert_audit;
use crate::{SqliteStore, StoreError};

/// What deleting one user removed besides the user itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemovedUser {
    /// The directory's spelling of the name.
    pub username: String,
    /// A secret (pending or active) was discarded.
    pub enrollment: bool,
    /// Sign-in sessions ended.
    pub sessions: u32,
    /// Groups the user was a member of.
    pub groups: Vec<String>,
    /// The user was listed as a principal (`user:NAME`) and is no longer.
    pub principal: bool,
}

impl RemovedUser {
    /// One line for the audit log's detail column.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.enrollment {
            parts.push("enrollment".to_string());
        }
        parts.push(format!("{} session(s)", self.sessions));
        if self.principal {
            parts.push(format!("principal user:{}", self.username));
        }
        if !self.groups.is_empty() {
            parts.push(format!("member of {}", self.groups.join(", ")));
        }
        parts.join(", ")
    }
}

pub trait UserRemovalRepo {
    /// Deletes `name` and what depends on it (see the module docs); NotFound if there is no
    /// such user, and then nothing changes.
    fn delete_user(&self, name: &str, actor: &str, now: i64) -> Result<RemovedUser, StoreError>;
}

impl UserRemovalRepo for SqliteStore {
    fn delete_user(&self, name: &str, actor: &str, now: i64) -> Result<RemovedUser, StoreError> {
        self.write(|tx| {
            let username: String = tx
                .query_row("SELECT name FROM users WHERE name = ?1", [name], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("user", name))?;
            let mut groups = Vec::new();
            {
                let mut stmt = tx.prepare(
                    "SELECT group_name FROM memberships WHERE user_name = ?1 ORDER BY group_name",
                )?;
                for row in stmt.query_map([&username], |r| r.get::<_, String>(0))? {
                    groups.push(row?);
                }
            }
            // Explicit deletes rather than ON DELETE CASCADE alone: the counts go into the
            // audit entry, and principals have no foreign key to cascade along.
            let sessions =
                tx.execute("DELETE FROM sessions WHERE user_name = ?1", [&username])? as u32;
            let enrollment =
                tx.execute("DELETE FROM enrollments WHERE user_name = ?1", [&username])? > 0;
            tx.execute("DELETE FROM memberships WHERE user_name = ?1", [&username])?;
            let principal = tx.execute(
                "DELETE FROM principals WHERE kind = 'user' AND name = ?1",
                params![&username],
            )? > 0;
            tx.execute("DELETE FROM users WHERE name = ?1", [&username])?;
            let removed = RemovedUser { username, enrollment, sessions, groups, principal };
            insert_audit(
                tx,
                now,
                actor,
                "user.delete",
                Some(&removed.username),
                Some(&removed.summary()),
            )?;
            Ok(removed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DirectoryRepo, PrincipalRepo, SettingsRepo};
    use twofold_core::Principal;

    #[test]
    fn deleting_a_user_removes_its_principal_entry_and_memberships_and_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.add_user("Ann", "hash", "t", 1).unwrap();
        store.add_user("bob", "hash", "t", 1).unwrap();
        store.add_group("staff", "t", 1).unwrap();
        store.add_member("staff", "ann", "t", 1).unwrap();
        store.set_two_factor_enabled(true, "t", 1).unwrap();
        store.add_principals(&[Principal::User("ann".into())], &|_, _| Ok(()), "t", 1).unwrap();

        let removed = store.delete_user("ANN", "cli:test", 2).unwrap();
        assert_eq!(removed.username, "Ann");
        assert!(removed.principal);
        assert_eq!(removed.groups, vec!["staff".to_string()]);
        assert_eq!(store.user_names().unwrap(), vec!["bob".to_string()]);
        assert!(store.principals().unwrap().is_empty());
        assert!(store.groups_of("Ann").unwrap().is_empty());
        let audit = crate::AuditRepo::audit(
            &store,
            &crate::AuditFilter { subject: Some("Ann".into()), before_id: None, limit: 5 },
        )
        .unwrap();
        assert_eq!(audit[0].action, "user.delete");
        assert!(audit[0].detail.as_deref().unwrap().contains("principal user:Ann"));
    }

    #[test]
    fn deleting_an_unknown_user_is_not_found_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.add_user("bob", "hash", "t", 1).unwrap();
        let err = store.delete_user("nobody", "t", 2).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        assert_eq!(store.user_names().unwrap(), vec!["bob".to_string()]);
    }
}
