//! Principals: the users and groups an admin enabled for 2FA, and the seat count a license is
//! checked against (distinct users covered, directly or through a group).

use rusqlite::{params, OptionalExtension, Transaction};
use twofold_core::Principal;

use crate::audit::insert_audit;
use crate::{SqliteStore, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrincipalEntry {
    #[serde(flatten)]
    pub principal: Principal,
    /// Member count, for groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
    pub added: i64,
    /// The configured directory's stable id of the user or group, once known (never for the
    /// built-in directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_id: Option<String>,
}

/// The principals with their member counts and directory ids; `?` is the placeholder style.
pub(crate) const PRINCIPALS: &str = "SELECT p.kind, p.name, p.added,
        CASE p.kind WHEN 'group' THEN
          (SELECT count(*) FROM memberships m WHERE m.group_name = p.name) END,
        CASE p.kind WHEN 'group' THEN (SELECT g.directory_id FROM groups g WHERE g.name = p.name)
                    ELSE (SELECT u.directory_id FROM users u WHERE u.name = p.name) END
   FROM principals p";

pub trait PrincipalRepo {
    fn principals(&self) -> Result<Vec<PrincipalEntry>, StoreError>;
    /// Adds every principal or none. `allow(seats_before, seats_after)` is asked inside the
    /// transaction, so two admins adding at once cannot together exceed a seat limit; it
    /// answers `Err(limit)` to refuse.
    fn add_principals(
        &self,
        principals: &[Principal],
        allow: &dyn Fn(u32, u32) -> Result<(), u32>,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Removes every principal or none (an unknown one fails the whole call).
    fn remove_principals(
        &self,
        principals: &[Principal],
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Distinct users covered by the principals, whatever the switch says.
    fn covered_users(&self) -> Result<Vec<String>, StoreError>;
    fn seats_used(&self) -> Result<u32, StoreError>;
}

const COVERED: &str = "SELECT u.name FROM users u JOIN principals p ON p.kind = 'user' AND p.name = u.name
                       UNION
                       SELECT m.user_name FROM memberships m JOIN principals p ON p.kind = 'group' AND p.name = m.group_name";

fn seats(conn: &rusqlite::Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row(&format!("SELECT count(*) FROM ({COVERED})"), [], |r| r.get(0))?)
}

/// The directory's spelling of a principal's name, or NotFound.
fn canonical(tx: &Transaction<'_>, principal: &Principal) -> Result<String, StoreError> {
    let (table, kind) = match principal {
        Principal::User(_) => ("users", "user"),
        Principal::Group(_) => ("groups", "group"),
    };
    tx.query_row(&format!("SELECT name FROM {table} WHERE name = ?1"), [principal.name()], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| StoreError::not_found(kind, principal.name()))
}

impl PrincipalRepo for SqliteStore {
    fn principals(&self) -> Result<Vec<PrincipalEntry>, StoreError> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare(&format!("{PRINCIPALS} ORDER BY p.kind DESC, p.name COLLATE NOCASE"))?;
            let rows = stmt
                .query_map([], |r| {
                    let kind: String = r.get(0)?;
                    let name: String = r.get(1)?;
                    let principal = if kind == "group" {
                        Principal::Group(name)
                    } else {
                        Principal::User(name)
                    };
                    Ok(PrincipalEntry {
                        principal,
                        added: r.get(2)?,
                        members: r.get(3)?,
                        directory_id: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn add_principals(
        &self,
        principals: &[Principal],
        allow: &dyn Fn(u32, u32) -> Result<(), u32>,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let before = seats(tx)?;
            for principal in principals {
                let name = canonical(tx, principal)?;
                let added = tx.execute(
                    "INSERT OR IGNORE INTO principals (kind, name, added) VALUES (?1, ?2, ?3)",
                    params![principal.kind_str(), name, now],
                )?;
                if added > 0 {
                    let shown = format!("{}:{}", principal.kind_str(), name);
                    insert_audit(tx, now, actor, "principal.add", Some(&name), Some(&shown))?;
                }
            }
            let after = seats(tx)?;
            if after > before {
                // Returning an error drops the transaction, which rolls every insert back.
                allow(before, after)
                    .map_err(|limit| StoreError::SeatLimit { seats_after: after, limit })?;
            }
            Ok(())
        })
    }

    fn remove_principals(
        &self,
        principals: &[Principal],
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            for principal in principals {
                let removed = tx.execute(
                    "DELETE FROM principals WHERE kind = ?1 AND name = ?2",
                    params![principal.kind_str(), principal.name()],
                )?;
                if removed == 0 {
                    return Err(StoreError::NotFound {
                        kind: "principal",
                        name: principal.to_string(),
                    });
                }
                insert_audit(
                    tx,
                    now,
                    actor,
                    "principal.remove",
                    Some(principal.name()),
                    Some(&principal.to_string()),
                )?;
            }
            Ok(())
        })
    }

    fn covered_users(&self) -> Result<Vec<String>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare(&format!("SELECT name FROM ({COVERED}) ORDER BY name COLLATE NOCASE"))?;
            let names = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(names)
        })
    }

    fn seats_used(&self) -> Result<u32, StoreError> {
        self.with(|conn| seats(conn))
    }
}
