//! The portal's directory: users with their password hashes, groups and memberships, and
//! the paged search the admin picker runs over users and groups together.

use rusqlite::{params, OptionalExtension};

use crate::audit::insert_audit;
use crate::{SqliteStore, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    pub password_hash: String,
    pub last_sign_in: Option<i64>,
}

/// One row of the picker: a user, or a group with its member count.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryEntry {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryPage {
    pub total: u32,
    pub items: Vec<DirectoryEntry>,
}

pub trait DirectoryRepo {
    fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;
    fn user_names(&self) -> Result<Vec<String>, StoreError>;
    fn add_group(&self, name: &str, actor: &str, now: i64) -> Result<(), StoreError>;
    fn add_member(&self, group: &str, user: &str, actor: &str, now: i64) -> Result<(), StoreError>;
    fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError>;
    /// Users and groups whose name contains `query` (case-insensitive), groups first, by name.
    fn search_directory(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<DirectoryPage, StoreError>;
    fn record_sign_in(&self, user: &str, now: i64) -> Result<(), StoreError>;
    /// (users, groups)
    fn directory_counts(&self) -> Result<(u32, u32), StoreError>;
}

/// Names end up in principals (`user:NAME`), URIs and log lines: keep them printable.
pub(crate) fn validate_name(what: &'static str, name: &str) -> Result<(), StoreError> {
    let reason = if name.trim().is_empty() {
        Some("must not be empty".to_string())
    } else if name.len() > 128 {
        Some("must be at most 128 bytes".to_string())
    } else if name.trim() != name {
        Some("must not start or end with spaces".to_string())
    } else if name.chars().any(|c| c.is_control()) {
        Some("must not contain control characters".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::Invalid { what, reason }),
        None => Ok(()),
    }
}

pub(crate) fn escape_like(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 2);
    out.push('%');
    for c in query.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl DirectoryRepo for SqliteStore {
    fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        validate_name("user name", name)?;
        self.write(|tx| {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO users (name, password_hash, created) VALUES (?1, ?2, ?3)",
                params![name, password_hash, now],
            )?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists { kind: "user", name: name.to_string() });
            }
            insert_audit(tx, now, actor, "user.add", Some(name), None)
        })
    }

    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                params![name, password_hash],
            )?;
            if changed == 0 {
                return Err(StoreError::not_found("user", name));
            }
            insert_audit(tx, now, actor, "user.password", Some(name), None)
        })
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT name, password_hash, last_sign_in FROM users WHERE name = ?1",
                    [name],
                    |r| {
                        Ok(UserRecord {
                            name: r.get(0)?,
                            password_hash: r.get(1)?,
                            last_sign_in: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn user_names(&self) -> Result<Vec<String>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare("SELECT name FROM users ORDER BY name")?;
            let names = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(names)
        })
    }

    fn add_group(&self, name: &str, actor: &str, now: i64) -> Result<(), StoreError> {
        validate_name("group name", name)?;
        self.write(|tx| {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO groups (name, created) VALUES (?1, ?2)",
                params![name, now],
            )?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists { kind: "group", name: name.to_string() });
            }
            insert_audit(tx, now, actor, "group.add", Some(name), None)
        })
    }

    fn add_member(&self, group: &str, user: &str, actor: &str, now: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            let group_name: String = tx
                .query_row("SELECT name FROM groups WHERE name = ?1", [group], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("group", group))?;
            let user_name: String = tx
                .query_row("SELECT name FROM users WHERE name = ?1", [user], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("user", user))?;
            tx.execute(
                "INSERT OR IGNORE INTO memberships (group_name, user_name) VALUES (?1, ?2)",
                params![group_name, user_name],
            )?;
            insert_audit(tx, now, actor, "group.add_member", Some(&user_name), Some(&group_name))
        })
    }

    fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT group_name FROM memberships WHERE user_name = ?1 ORDER BY group_name",
            )?;
            let groups = stmt.query_map([user], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(groups)
        })
    }

    fn search_directory(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<DirectoryPage, StoreError> {
        let pattern = escape_like(query.trim());
        self.with(|conn| {
            let total: u32 = conn.query_row(
                "SELECT (SELECT count(*) FROM groups WHERE name LIKE ?1 ESCAPE '\\')
                      + (SELECT count(*) FROM users WHERE name LIKE ?1 ESCAPE '\\')",
                [&pattern],
                |r| r.get(0),
            )?;
            let mut stmt = conn.prepare(
                "SELECT kind, name, members FROM (
                     SELECT 0 AS ord, 'group' AS kind, g.name AS name,
                            (SELECT count(*) FROM memberships m WHERE m.group_name = g.name) AS members
                       FROM groups g WHERE g.name LIKE ?1 ESCAPE '\\'
                     UNION ALL
                     SELECT 1, 'user', u.name, NULL FROM users u WHERE u.name LIKE ?1 ESCAPE '\\'
                 ) ORDER BY ord, name COLLATE NOCASE LIMIT ?2 OFFSET ?3",
            )?;
            let items = stmt
                .query_map(params![pattern, limit, offset], |r| {
                    let kind: String = r.get(0)?;
                    Ok(DirectoryEntry {
                        kind: if kind == "group" { "group" } else { "user" },
                        name: r.get(1)?,
                        members: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(DirectoryPage { total, items })
        })
    }

    fn record_sign_in(&self, user: &str, now: i64) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute("UPDATE users SET last_sign_in = ?2 WHERE name = ?1", params![user, now])?;
            Ok(())
        })
    }

    fn directory_counts(&self) -> Result<(u32, u32), StoreError> {
        self.with(|conn| {
            Ok(conn.query_row(
                "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM groups)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
    }
}
