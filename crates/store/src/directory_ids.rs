//! Users and groups of a configured directory (LDAP / Active Directory) followed by their
//! stable id (`entryUUID`, `objectGUID`) rather than by name: when the directory renames an
//! entry, its row is renamed with everything that hangs off the name — memberships, the
//! enrollment (its secret sealed again, the name being its associated data), sessions and the
//! principal entry — in one transaction, so a renamed user keeps their 2FA and their phone's
//! key, and a renamed group stays enabled.
//!
//! A name the directory now gives to another entry (the old holder deleted or renamed away)
//! does not pass the old holder's enrollment to the newcomer: the old row is set aside under
//! `NAME~ID` with its id, where the admin sees it as no longer in the directory.
//!
//! What it leaves out: asking the directory (the portal does, and says here what it found)
//! and the built-in directory, whose rows have no id (their names are their ids).

use rusqlite::{params, OptionalExtension};

use crate::audit::insert_audit;
use crate::directory::validate_name;
use crate::{SqliteStore, StoreError};

/// The password "hash" of a directory user's row: not a PHC string, so it never verifies
/// (the password stays in the directory; switched back to the built-in directory, such a
/// user cannot sign in with any password until an admin sets one).
pub const DIRECTORY_PASSWORD_MARK: &str = "!directory";

/// A user or a group row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryKind {
    User,
    Group,
}

impl DirectoryKind {
    pub(crate) fn table(self) -> &'static str {
        match self {
            DirectoryKind::User => "users",
            DirectoryKind::Group => "groups",
        }
    }

    pub(crate) fn word(self) -> &'static str {
        match self {
            DirectoryKind::User => "user",
            DirectoryKind::Group => "group",
        }
    }

    /// What a bad name is called in the validation error.
    pub(crate) fn name_field(self) -> &'static str {
        match self {
            DirectoryKind::User => "user name",
            DirectoryKind::Group => "group name",
        }
    }
}

/// What following an entry did to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Followed {
    /// The row with this id already had this name.
    Unchanged,
    /// A row of this name that had no id now carries it (a row from before ids were kept).
    Linked,
    /// The row with this id was called `from`; it and what hangs off it now use the name.
    Renamed { from: String },
    /// A new row was made.
    Created,
    /// Neither the id nor the name is stored, and nothing was to be made.
    Absent,
}

pub trait DirectoryIdRepo {
    /// Brings the store in line with the directory's word that the entry `id` is called
    /// `name` now (see the module docs); makes the row when there is none and `create` is
    /// set (a user row gets [`DIRECTORY_PASSWORD_MARK`]). Audited as `directory`.
    fn follow_directory_entry(
        &self,
        kind: DirectoryKind,
        id: &str,
        name: &str,
        create: bool,
        now: i64,
    ) -> Result<Followed, StoreError>;

    /// The stored names of the groups with these ids (those the store knows).
    fn group_names_for_ids(&self, ids: &[String]) -> Result<Vec<String>, StoreError>;
}

/// One change to make, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Rename { from: String, to: String, why: &'static str },
    Link { name: String },
    Create,
}

/// The steps that bring the store in line: `by_id` is the name of the row with the id,
/// `by_name` the row of that name with its id. Pure, so both backends decide alike.
pub(crate) fn plan(
    id: &str,
    name: &str,
    by_id: Option<String>,
    by_name: Option<(String, Option<String>)>,
    create: bool,
    now: i64,
) -> (Vec<Step>, Followed) {
    let aside = |holder: &str, holder_id: &Option<String>| {
        let tag = holder_id.clone().unwrap_or_else(|| format!("unlinked-{now}"));
        Step::Rename {
            from: holder.to_string(),
            to: format!("{holder}~{tag}"),
            why: "set aside: the directory gives this name to another entry",
        }
    };
    let rename = |from: &str| Step::Rename {
        from: from.to_string(),
        to: name.to_string(),
        why: "renamed in the directory",
    };
    match (by_id, by_name) {
        (Some(current), _) if current == name => (vec![], Followed::Unchanged),
        // The same row, in another case.
        (Some(current), Some((_, Some(holder_id)))) if holder_id == id => {
            (vec![rename(&current)], Followed::Renamed { from: current })
        }
        (Some(current), Some((holder, holder_id))) => (
            vec![aside(&holder, &holder_id), rename(&current)],
            Followed::Renamed { from: current },
        ),
        (Some(current), None) => (vec![rename(&current)], Followed::Renamed { from: current }),
        (None, Some((holder, None))) => (vec![Step::Link { name: holder }], Followed::Linked),
        (None, Some((holder, holder_id))) => {
            let mut steps = vec![aside(&holder, &holder_id)];
            if create {
                steps.push(Step::Create);
                (steps, Followed::Created)
            } else {
                (steps, Followed::Absent)
            }
        }
        (None, None) if create => (vec![Step::Create], Followed::Created),
        (None, None) => (vec![], Followed::Absent),
    }
}

/// The statements renaming a row from `?1` to `?2` and what references its name.
pub(crate) fn rename_statements(kind: DirectoryKind) -> &'static [&'static str] {
    match kind {
        DirectoryKind::User => &[
            "UPDATE users SET name = ?2 WHERE name = ?1",
            "UPDATE memberships SET user_name = ?2 WHERE user_name = ?1",
            "UPDATE enrollments SET user_name = ?2 WHERE user_name = ?1",
            "UPDATE sessions SET user_name = ?2 WHERE user_name = ?1",
            "UPDATE principals SET name = ?2 WHERE kind = 'user' AND name = ?1",
        ],
        DirectoryKind::Group => &[
            "UPDATE groups SET name = ?2 WHERE name = ?1",
            "UPDATE memberships SET group_name = ?2 WHERE group_name = ?1",
            "UPDATE principals SET name = ?2 WHERE kind = 'group' AND name = ?1",
        ],
    }
}

/// Whether a rename changes the enrollment's associated data (the lower-cased name).
pub(crate) fn reseal_needed(kind: DirectoryKind, from: &str, to: &str) -> bool {
    kind == DirectoryKind::User && !from.eq_ignore_ascii_case(to)
}

pub(crate) fn audit_detail(from: &str, id: &str, why: &str) -> String {
    format!("from {from} (directory id {id}): {why}")
}

impl DirectoryIdRepo for SqliteStore {
    fn follow_directory_entry(
        &self,
        kind: DirectoryKind,
        id: &str,
        name: &str,
        create: bool,
        now: i64,
    ) -> Result<Followed, StoreError> {
        validate_name(kind.name_field(), name)?;
        let table = kind.table();
        self.write(|tx| {
            let by_id: Option<String> = tx
                .query_row(&format!("SELECT name FROM {table} WHERE directory_id = ?1"), [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let by_name: Option<(String, Option<String>)> = tx
                .query_row(
                    &format!("SELECT name, directory_id FROM {table} WHERE name = ?1"),
                    [name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (steps, followed) = plan(id, name, by_id, by_name, create, now);
            // The renames change keys other tables reference; checked at commit instead.
            tx.pragma_update(None, "defer_foreign_keys", true)?;
            for step in steps {
                match step {
                    Step::Rename { from, to, why } => {
                        for statement in rename_statements(kind) {
                            tx.execute(statement, params![from, to])?;
                        }
                        if reseal_needed(kind, &from, &to) {
                            let sealed: Option<Vec<u8>> = tx
                                .query_row(
                                    "SELECT secret FROM enrollments WHERE user_name = ?1",
                                    [&to],
                                    |r| r.get(0),
                                )
                                .optional()?;
                            if let Some(sealed) = sealed {
                                let secret = self.secrets.open(&from, &sealed)?;
                                tx.execute(
                                    "UPDATE enrollments SET secret = ?2 WHERE user_name = ?1",
                                    params![to, self.secrets.seal(&to, &secret)],
                                )?;
                            }
                        }
                        let action = format!("{}.rename", kind.word());
                        let detail = audit_detail(&from, id, why);
                        insert_audit(tx, now, "directory", &action, Some(&to), Some(&detail))?;
                    }
                    Step::Link { name } => {
                        tx.execute(
                            &format!("UPDATE {table} SET directory_id = ?2 WHERE name = ?1"),
                            params![name, id],
                        )?;
                    }
                    Step::Create => {
                        match kind {
                            DirectoryKind::User => tx.execute(
                                "INSERT INTO users (name, password_hash, created, directory_id)
                                 VALUES (?1, ?2, ?3, ?4)",
                                params![name, DIRECTORY_PASSWORD_MARK, now, id],
                            )?,
                            DirectoryKind::Group => tx.execute(
                                "INSERT INTO groups (name, created, directory_id) VALUES (?1, ?2, ?3)",
                                params![name, now, id],
                            )?,
                        };
                        let action = format!("{}.add", kind.word());
                        insert_audit(tx, now, "directory", &action, Some(name), None)?;
                    }
                }
            }
            Ok(followed)
        })
    }

    fn group_names_for_ids(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare("SELECT name FROM groups WHERE directory_id = ?1")?;
            let mut names = Vec::new();
            for id in ids {
                if let Some(name) = stmt.query_row([id], |r| r.get(0)).optional()? {
                    names.push(name);
                }
            }
            Ok(names)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(name: &str, id: Option<&str>) -> Option<(String, Option<String>)> {
        Some((name.to_string(), id.map(str::to_string)))
    }

    #[test]
    fn an_id_already_under_its_name_changes_nothing() {
        let (steps, followed) =
            plan("u1", "ann", Some("ann".into()), some("ann", Some("u1")), true, 5);
        assert!(steps.is_empty());
        assert_eq!(followed, Followed::Unchanged);
    }

    #[test]
    fn a_name_held_by_another_id_is_set_aside_before_the_rename() {
        let (steps, followed) =
            plan("u1", "ann", Some("annie".into()), some("ann", Some("u2")), false, 5);
        assert_eq!(followed, Followed::Renamed { from: "annie".into() });
        assert!(
            matches!(&steps[0], Step::Rename { from, to, .. } if from == "ann" && to == "ann~u2")
        );
        assert!(
            matches!(&steps[1], Step::Rename { from, to, .. } if from == "annie" && to == "ann")
        );
    }

    #[test]
    fn a_newcomer_under_an_old_name_gets_a_fresh_row() {
        let (steps, followed) = plan("u9", "ann", None, some("ann", Some("u1")), true, 5);
        assert_eq!(followed, Followed::Created);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1], Step::Create);
    }

    #[test]
    fn a_row_without_an_id_is_linked_not_renamed() {
        let (steps, followed) = plan("u1", "ann", None, some("Ann", None), true, 5);
        assert_eq!(followed, Followed::Linked);
        assert_eq!(steps, vec![Step::Link { name: "Ann".into() }]);
    }

    #[test]
    fn a_change_of_case_renames_the_same_row_without_setting_it_aside() {
        let (steps, followed) =
            plan("u1", "Ann", Some("ann".into()), some("ann", Some("u1")), true, 5);
        assert_eq!(followed, Followed::Renamed { from: "ann".into() });
        assert_eq!(steps.len(), 1);
    }
}
