//! The audit log: every admin action, enrollment, reset, lock and sign-in result, written in
//! the same transaction as the change it records so the log never claims what did not happen.
//! Entries never carry secrets, codes or passwords.
//!
//! Actors, subjects and details often come from outside (a username typed at the sign-in
//! page, a client-given actor name, a licensee), so they are stored sanitised: control and
//! other invisible characters escaped, at most [`MAX_FIELD_CHARS`] characters. A reader of
//! the log then sees one line per entry, whatever an attacker typed.

use std::borrow::Cow;

use rusqlite::{params, Transaction};
use twofold_core::display::{escape_control, truncate_chars};

use crate::{SqliteStore, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

/// An entry to append on its own (sign-in results that change nothing else).
#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub detail: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only entries about this user (case-insensitive).
    pub subject: Option<String>,
    /// Only entries older than this id (paging backwards).
    pub before_id: Option<i64>,
    pub limit: u32,
}

pub trait AuditRepo {
    fn append_audit(&self, entry: NewAuditEntry<'_>) -> Result<(), StoreError>;
    /// Newest first.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
}

/// The most characters an actor, action, subject or detail keeps in the log. Directory names
/// are at most 128 bytes, so a real user's name is never cut.
pub const MAX_FIELD_CHARS: usize = 128;

/// What the log records for `text`: escaped, then capped (a cut escape still shows).
pub(crate) fn recorded(text: &str) -> Cow<'_, str> {
    match escape_control(text) {
        Cow::Borrowed(plain) => truncate_chars(plain, MAX_FIELD_CHARS),
        Cow::Owned(escaped) => Cow::Owned(truncate_chars(&escaped, MAX_FIELD_CHARS).into_owned()),
    }
}

pub(crate) fn insert_audit(
    tx: &Transaction<'_>,
    at: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![at, recorded(actor), recorded(action), subject.map(recorded), detail.map(recorded)],
    )?;
    Ok(())
}

impl AuditRepo for SqliteStore {
    fn append_audit(&self, e: NewAuditEntry<'_>) -> Result<(), StoreError> {
        self.write(|tx| insert_audit(tx, e.at, e.actor, e.action, e.subject, e.detail))
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = filter.limit.clamp(1, 1000);
        // Subjects are stored sanitised; the filter is too, so it finds what was recorded.
        let subject = filter.subject.as_deref().map(recorded);
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, at, actor, action, subject, detail FROM audit
                  WHERE (?1 IS NULL OR subject = ?1 COLLATE NOCASE)
                    AND (?2 IS NULL OR id < ?2)
                  ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![subject, filter.before_id, limit], |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        subject: r.get(4)?,
                        detail: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }
}
