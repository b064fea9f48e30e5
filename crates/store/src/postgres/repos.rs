//! The repositories on PostgreSQL, statement for statement the SQLite ones (see the modules
//! at the crate root for what each call promises).
//!
//! Where SQLite relies on its one writer at a time (an immediate transaction), PostgreSQL
//! gets the same guarantee per row or per purpose, because several servers write at once:
//! - the verifier's compare-and-set is one conditional `UPDATE`; under READ COMMITTED a
//!   concurrent `UPDATE` of the same row waits for the first to commit and then re-checks its
//!   condition on the new row, so of N servers accepting one code exactly one changes it;
//! - issuing, activating and resetting a user's secret lock the user's row first
//!   (`FOR NO KEY UPDATE`, which still lets sessions reference the user meanwhile);
//! - throttle reservations are one upsert whose `WHERE` refuses past the limit;
//! - adding principals takes an advisory lock, so two admins cannot together exceed a seat
//!   limit.

use tokio_postgres::Transaction;
use twofold_core::{EnrollmentState, Principal, Secret, VerifierState};

use super::PostgresStore;
use crate::audit::recorded;
use crate::directory::{escape_like, validate_name};
use crate::directory_ids::{audit_detail, plan, rename_statements, reseal_needed, Step};
use crate::enrollments::{to_i64, verifier_from};
use crate::*;

/// Serialises `add_principals` across servers (see the module docs).
const PRINCIPALS_LOCK: i64 = 0x7477_6f66_6f6c_6403;
/// Serialises following directory entries across servers: two sign-ins of one renamed user
/// must not both rename (or both create) the row.
const FOLLOW_LOCK: i64 = 0x7477_6f66_6f6c_6404;

/// A statement written with SQLite's `?N` placeholders, in PostgreSQL's `$N`.
fn dollars(sql: &str) -> String {
    sql.replace('?', "$")
}

fn count(n: i64) -> u32 {
    n.clamp(0, u32::MAX as i64) as u32
}

async fn insert_audit(
    tx: &Transaction<'_>,
    at: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    let subject = subject.map(recorded);
    let detail = detail.map(recorded);
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
        &[
            &at,
            &recorded(actor).as_ref(),
            &recorded(action).as_ref(),
            &subject.as_deref(),
            &detail.as_deref(),
        ],
    )
    .await?;
    Ok(())
}

/// The directory's spelling of a user's name, with the user's row locked until the
/// transaction ends; NotFound when there is none.
async fn lock_user(tx: &Transaction<'_>, user: &str) -> Result<String, StoreError> {
    match tx.query_opt("SELECT name FROM users WHERE name = $1 FOR NO KEY UPDATE", &[&user]).await?
    {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(StoreError::not_found("user", user)),
    }
}

impl DirectoryRepo for PostgresStore {
    fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        validate_name("user name", name)?;
        self.write(async |tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO users (name, password_hash, created) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[&name, &password_hash, &now],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists { kind: "user", name: name.to_string() });
            }
            insert_audit(tx, now, actor, "user.add", Some(name), None).await
        })
    }

    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            let changed = tx
                .execute(
                    "UPDATE users SET password_hash = $2 WHERE name = $1",
                    &[&name, &password_hash],
                )
                .await?;
            if changed == 0 {
                return Err(StoreError::not_found("user", name));
            }
            insert_audit(tx, now, actor, "user.password", Some(name), None).await
        })
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        self.with(async |c| {
            let row = c
                .query_opt(
                    "SELECT name, password_hash, last_sign_in FROM users WHERE name = $1",
                    &[&name],
                )
                .await?;
            row.map(|r| {
                Ok(UserRecord {
                    name: r.try_get(0)?,
                    password_hash: r.try_get(1)?,
                    last_sign_in: r.try_get(2)?,
                })
            })
            .transpose()
        })
    }

    fn user_names(&self) -> Result<Vec<String>, StoreError> {
        self.with(async |c| {
            let rows = c.query("SELECT name FROM users ORDER BY name", &[]).await?;
            Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
        })
    }

    fn add_group(&self, name: &str, actor: &str, now: i64) -> Result<(), StoreError> {
        validate_name("group name", name)?;
        self.write(async |tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO groups (name, created) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&name, &now],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists { kind: "group", name: name.to_string() });
            }
            insert_audit(tx, now, actor, "group.add", Some(name), None).await
        })
    }

    fn add_member(&self, group: &str, user: &str, actor: &str, now: i64) -> Result<(), StoreError> {
        self.write(async |tx| {
            let group_name: String = match tx.query_opt("SELECT name FROM groups WHERE name = $1", &[&group]).await? {
                Some(row) => row.try_get(0)?,
                None => return Err(StoreError::not_found("group", group)),
            };
            let user_name: String = match tx.query_opt("SELECT name FROM users WHERE name = $1", &[&user]).await? {
                Some(row) => row.try_get(0)?,
                None => return Err(StoreError::not_found("user", user)),
            };
            tx.execute(
                "INSERT INTO memberships (group_name, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&group_name, &user_name],
            )
            .await?;
            insert_audit(tx, now, actor, "group.add_member", Some(&user_name), Some(&group_name)).await
        })
    }

    fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        self.with(async |c| {
            let rows = c
                .query(
                    "SELECT group_name FROM memberships WHERE user_name = $1 ORDER BY group_name",
                    &[&user],
                )
                .await?;
            Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
        })
    }

    fn search_directory(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<DirectoryPage, StoreError> {
        let pattern = escape_like(query.trim());
        let (offset, limit) = (i64::from(offset), i64::from(limit));
        self.with(async |c| {
            let total: i64 = c
                .query_one(
                    "SELECT (SELECT count(*) FROM groups WHERE name ILIKE $1::text ESCAPE '\\')
                          + (SELECT count(*) FROM users WHERE name ILIKE $1::text ESCAPE '\\')",
                    &[&pattern],
                )
                .await?
                .try_get(0)?;
            let rows = c
                .query(
                    "SELECT kind, name, members FROM (
                         SELECT 0 AS ord, 'group'::text AS kind, g.name AS name,
                                (SELECT count(*) FROM memberships m WHERE m.group_name = g.name) AS members
                           FROM groups g WHERE g.name ILIKE $1::text ESCAPE '\\'
                         UNION ALL
                         SELECT 1, 'user', u.name, NULL::bigint FROM users u
                          WHERE u.name ILIKE $1::text ESCAPE '\\'
                     ) t ORDER BY ord, name LIMIT $2 OFFSET $3",
                    &[&pattern, &limit, &offset],
                )
                .await?;
            let items = rows
                .iter()
                .map(|r| {
                    let kind: String = r.try_get(0)?;
                    Ok(DirectoryEntry {
                        kind: if kind == "group" { "group" } else { "user" },
                        name: r.try_get(1)?,
                        members: r.try_get::<_, Option<i64>>(2)?.map(count),
                    })
                })
                .collect::<Result<_, tokio_postgres::Error>>()?;
            Ok(DirectoryPage { total: count(total), items })
        })
    }

    fn record_sign_in(&self, user: &str, now: i64) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute("UPDATE users SET last_sign_in = $2 WHERE name = $1", &[&user, &now]).await?;
            Ok(())
        })
    }

    fn directory_counts(&self) -> Result<(u32, u32), StoreError> {
        self.with(async |c| {
            let row = c
                .query_one(
                    "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM groups)",
                    &[],
                )
                .await?;
            Ok((count(row.try_get(0)?), count(row.try_get(1)?)))
        })
    }
}

const SWITCH: &str = "two_factor_enabled";
const LICENSE: &str = "license";

async fn get_setting(
    c: &impl tokio_postgres::GenericClient,
    key: &str,
) -> Result<Option<String>, StoreError> {
    match c.query_opt("SELECT value FROM settings WHERE key = $1", &[&key]).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

async fn put_setting(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )
    .await?;
    Ok(())
}

impl SettingsRepo for PostgresStore {
    fn two_factor_enabled(&self) -> Result<bool, StoreError> {
        self.with(async |c| Ok(get_setting(c, SWITCH).await?.as_deref() == Some("1")))
    }

    fn set_two_factor_enabled(
        &self,
        enabled: bool,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            put_setting(tx, SWITCH, if enabled { "1" } else { "0" }).await?;
            let action = if enabled { "2fa.on" } else { "2fa.off" };
            insert_audit(tx, now, actor, action, None, None).await
        })
    }

    fn license_text(&self) -> Result<Option<String>, StoreError> {
        self.with(async |c| get_setting(c, LICENSE).await)
    }

    fn set_license_text(
        &self,
        text: &str,
        summary: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            put_setting(tx, LICENSE, text).await?;
            insert_audit(tx, now, actor, "license.install", None, Some(summary)).await
        })
    }

    fn server_key(&self, name: &str, fresh: &[u8; 32]) -> Result<[u8; 32], StoreError> {
        let key = format!("key.{name}");
        let hex: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
        self.write(async |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key, &hex],
            )
            .await?;
            let stored = get_setting(tx, &key).await?.unwrap_or_default();
            crate::sqlite::from_hex(&stored).and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or(
                StoreError::Invalid {
                    what: "server key",
                    reason: format!("setting {key} is corrupt"),
                },
            )
        })
    }
}

const COVERED: &str = "SELECT u.name FROM users u JOIN principals p ON p.kind = 'user' AND p.name = u.name
                       UNION
                       SELECT m.user_name FROM memberships m JOIN principals p ON p.kind = 'group' AND p.name = m.group_name";

async fn seats(c: &impl tokio_postgres::GenericClient) -> Result<u32, StoreError> {
    let n: i64 =
        c.query_one(&format!("SELECT count(*) FROM ({COVERED}) covered"), &[]).await?.try_get(0)?;
    Ok(count(n))
}

impl PrincipalRepo for PostgresStore {
    fn principals(&self) -> Result<Vec<PrincipalEntry>, StoreError> {
        self.with(async |c| {
            let rows = c
                .query(
                    &format!("{} ORDER BY p.kind DESC, p.name", crate::principals::PRINCIPALS),
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let kind: String = r.try_get(0)?;
                    let name: String = r.try_get(1)?;
                    let principal = if kind == "group" {
                        Principal::Group(name)
                    } else {
                        Principal::User(name)
                    };
                    Ok(PrincipalEntry {
                        principal,
                        added: r.try_get(2)?,
                        members: r.try_get::<_, Option<i64>>(3)?.map(count),
                        directory_id: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn add_principals(
        &self,
        principals: &[Principal],
        allow: &dyn Fn(u32, u32) -> Result<(), u32>,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PRINCIPALS_LOCK]).await?;
            let before = seats(tx).await?;
            for principal in principals {
                let (table, kind) = match principal {
                    Principal::User(_) => ("users", "user"),
                    Principal::Group(_) => ("groups", "group"),
                };
                let query = format!("SELECT name FROM {table} WHERE name = $1");
                let name: String = match tx.query_opt(&query, &[&principal.name()]).await? {
                    Some(row) => row.try_get(0)?,
                    None => return Err(StoreError::not_found(kind, principal.name())),
                };
                let added = tx
                    .execute(
                        "INSERT INTO principals (kind, name, added) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &[&principal.kind_str(), &name, &now],
                    )
                    .await?;
                if added > 0 {
                    let shown = format!("{}:{}", principal.kind_str(), name);
                    insert_audit(tx, now, actor, "principal.add", Some(&name), Some(&shown)).await?;
                }
            }
            let after = seats(tx).await?;
            if after > before {
                // Returning an error drops the transaction, which rolls every insert back.
                allow(before, after).map_err(|limit| StoreError::SeatLimit { seats_after: after, limit })?;
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
        self.write(async |tx| {
            for principal in principals {
                let removed = tx
                    .execute(
                        "DELETE FROM principals WHERE kind = $1 AND name = $2",
                        &[&principal.kind_str(), &principal.name()],
                    )
                    .await?;
                if removed == 0 {
                    return Err(StoreError::NotFound {
                        kind: "principal",
                        name: principal.to_string(),
                    });
                }
                let shown = principal.to_string();
                insert_audit(
                    tx,
                    now,
                    actor,
                    "principal.remove",
                    Some(principal.name()),
                    Some(&shown),
                )
                .await?;
            }
            Ok(())
        })
    }

    fn covered_users(&self) -> Result<Vec<String>, StoreError> {
        self.with(async |c| {
            let rows = c
                .query(&format!("SELECT name FROM ({COVERED}) covered ORDER BY name"), &[])
                .await?;
            Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
        })
    }

    fn seats_used(&self) -> Result<u32, StoreError> {
        self.with(async |c| seats(c).await)
    }
}

impl EnrollmentRepo for PostgresStore {
    fn enrollment(&self, user: &str) -> Result<Option<EnrollmentRecord>, StoreError> {
        let row = self.with(async |c| {
            Ok(c.query_opt(
                "SELECT user_name, state, secret, last_step, failures, locked_until, locks, owner, updated
                   FROM enrollments WHERE user_name = $1",
                &[&user],
            )
            .await?)
        })?;
        let Some(r) = row else {
            return Ok(None);
        };
        let name: String = r.try_get(0)?;
        let state: String = r.try_get(1)?;
        let sealed: Vec<u8> = r.try_get(2)?;
        let state = EnrollmentState::parse(&state)
            .ok_or(StoreError::Invalid { what: "enrollment state", reason: state.clone() })?;
        let secret = self.secrets.open(&name, &sealed)?;
        Ok(Some(EnrollmentRecord {
            user: name,
            state,
            secret,
            verifier: verifier_from(r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?),
            owner: r.try_get(7)?,
            updated: r.try_get(8)?,
        }))
    }

    fn enrollment_summaries(&self) -> Result<Vec<EnrollmentSummary>, StoreError> {
        self.with(async |c| {
            let rows = c
                .query("SELECT user_name, state, failures, locked_until FROM enrollments ORDER BY user_name", &[])
                .await?;
            rows.iter()
                .map(|r| {
                    let state: String = r.try_get(1)?;
                    Ok(EnrollmentSummary {
                        user: r.try_get(0)?,
                        state: EnrollmentState::parse(&state).unwrap_or(EnrollmentState::None),
                        failures: count(r.try_get(2)?),
                        locked_until: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    fn issue_pending(
        &self,
        user: &str,
        secret: &Secret,
        owner: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            let name = lock_user(tx, user).await?;
            let row = tx.query_opt("SELECT state, owner FROM enrollments WHERE user_name = $1", &[&name]).await?;
            let row: Option<(String, Option<Vec<u8>>)> = match row {
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                None => None,
            };
            if row.as_ref().is_some_and(|(state, _)| state == "active") {
                return Err(StoreError::Invalid {
                    what: "enrollment",
                    reason: format!("{name} already has an active secret; reset it first"),
                });
            }
            let previous_owner = row.and_then(|(_, owner)| owner).filter(|o| o != owner);
            let displaced_live_session = match previous_owner {
                Some(previous) => tx
                    .query_opt(
                        "SELECT 1 FROM sessions WHERE id_hash = $1 AND stage = 'activate' AND expires > $2",
                        &[&previous, &now],
                    )
                    .await?
                    .is_some(),
                None => false,
            };
            let sealed = self.secrets.seal(&name, secret);
            tx.execute(
                "INSERT INTO enrollments (user_name, state, secret, last_step, failures, locked_until, owner, updated)
                 VALUES ($1, 'pending', $2, NULL, 0, NULL, $3, $4)
                 ON CONFLICT (user_name) DO UPDATE SET state = 'pending', secret = excluded.secret,
                     last_step = NULL, owner = excluded.owner, updated = excluded.updated",
                &[&name, &sealed, &owner, &now],
            )
            .await?;
            if displaced_live_session {
                insert_audit(
                    tx,
                    now,
                    &name,
                    "enrollment.concurrent",
                    Some(&name),
                    Some("a newer sign-in replaced the key another open activation page showed"),
                )
                .await?;
            }
            insert_audit(tx, now, &name, "enrollment.issue", Some(&name), None).await
        })
    }

    fn activate(
        &self,
        user: &str,
        expected: &Secret,
        owner: &[u8],
        step: u64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            let name = lock_user(tx, user).await?;
            let Some(r) = tx
                .query_opt(
                    "SELECT state, secret, owner FROM enrollments WHERE user_name = $1",
                    &[&name],
                )
                .await?
            else {
                return Err(StoreError::not_found("pending enrollment", &name));
            };
            let state: String = r.try_get(0)?;
            let sealed: Vec<u8> = r.try_get(1)?;
            let current_owner: Option<Vec<u8>> = r.try_get(2)?;
            let current = self.secrets.open(&name, &sealed)?;
            if state != "pending"
                || current.as_bytes() != expected.as_bytes()
                || current_owner.as_deref() != Some(owner)
            {
                return Err(StoreError::Invalid {
                    what: "enrollment",
                    reason: "the pending secret changed; sign in again".to_string(),
                });
            }
            tx.execute(
                "UPDATE enrollments SET state = 'active', last_step = $2, failures = 0,
                        locked_until = NULL, locks = 0, owner = NULL, updated = $3
                  WHERE user_name = $1",
                &[&name, &to_i64(Some(step)), &now],
            )
            .await?;
            insert_audit(tx, now, &name, "enrollment.activate", Some(&name), None).await
        })
    }

    fn update_verifier(
        &self,
        user: &str,
        previous: &VerifierState,
        next: &VerifierState,
        event: Option<(&str, Option<&str>)>,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.write(async |tx| {
            let changed = tx
                .execute(
                    "UPDATE enrollments SET last_step = $6, failures = $7, locked_until = $8, locks = $9,
                            updated = $10
                      WHERE user_name = $1 AND last_step IS NOT DISTINCT FROM $2 AND failures = $3
                            AND locked_until IS NOT DISTINCT FROM $4 AND locks = $5",
                    &[
                        &user,
                        &to_i64(previous.last_accepted_step),
                        &i64::from(previous.consecutive_failures),
                        &to_i64(previous.locked_until),
                        &i64::from(previous.locks),
                        &to_i64(next.last_accepted_step),
                        &i64::from(next.consecutive_failures),
                        &to_i64(next.locked_until),
                        &i64::from(next.locks),
                        &now,
                    ],
                )
                .await?;
            if changed == 0 {
                return Ok(false);
            }
            if let Some((action, detail)) = event {
                insert_audit(tx, now, user, action, Some(user), detail).await?;
            }
            Ok(true)
        })
    }

    fn reset(&self, users: &[String], actor: &str, now: i64) -> Result<(), StoreError> {
        self.write(async |tx| {
            for user in users {
                let name = lock_user(tx, user).await?;
                tx.execute("DELETE FROM enrollments WHERE user_name = $1", &[&name]).await?;
                // A reset is how a lost phone is handled: whoever holds a signed-in session
                // must prove themselves again.
                tx.execute("DELETE FROM sessions WHERE user_name = $1", &[&name]).await?;
                insert_audit(tx, now, actor, "user.reset", Some(&name), None).await?;
            }
            Ok(())
        })
    }

    fn unlock(&self, users: &[String], actor: &str, now: i64) -> Result<(), StoreError> {
        self.write(async |tx| {
            for user in users {
                let name = lock_user(tx, user).await?;
                tx.execute(
                    "UPDATE enrollments SET failures = 0, locked_until = NULL, locks = 0, updated = $2
                      WHERE user_name = $1",
                    &[&name, &now],
                )
                .await?;
                insert_audit(tx, now, actor, "user.unlock", Some(&name), None).await?;
            }
            Ok(())
        })
    }
}

impl SessionRepo for PostgresStore {
    fn create_session(
        &self,
        id_hash: &[u8],
        user: &str,
        stage: SessionStage,
        two_factor: bool,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute(
                "INSERT INTO sessions (id_hash, user_name, stage, two_factor, created, expires)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&id_hash, &user, &stage.as_str(), &two_factor, &now, &expires],
            )
            .await?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionRecord>, StoreError> {
        let row = self.with(async |c| {
            Ok(c.query_opt(
                "SELECT user_name, stage, two_factor, created, expires FROM sessions
                  WHERE id_hash = $1 AND expires > $2",
                &[&id_hash, &now],
            )
            .await?)
        })?;
        let Some(r) = row else {
            return Ok(None);
        };
        let stage: String = r.try_get(1)?;
        SessionStage::parse(&stage)
            .map(|stage| -> Result<_, StoreError> {
                Ok(SessionRecord {
                    user: r.try_get(0)?,
                    stage,
                    two_factor: r.try_get(2)?,
                    created: r.try_get(3)?,
                    expires: r.try_get(4)?,
                })
            })
            .transpose()
    }

    fn step_back_session(
        &self,
        id_hash: &[u8],
        stage: SessionStage,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute(
                "UPDATE sessions SET stage = $2, two_factor = FALSE, expires = LEAST(expires, $3)
                  WHERE id_hash = $1",
                &[&id_hash, &stage.as_str(), &expires],
            )
            .await?;
            Ok(())
        })
    }

    fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash]).await?;
            Ok(())
        })
    }

    fn purge_sessions(&self, now: i64) -> Result<usize, StoreError> {
        self.with(async |c| {
            let n = c.execute("DELETE FROM sessions WHERE expires <= $1", &[&now]).await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }
}

/// Counts one failure in `key`'s window (a new window when the old one is over); the
/// count after it. One statement, so concurrent servers never lose a count.
const COUNT_FAILURE: &str =
    "INSERT INTO address_failures (address, failures, window_start) VALUES ($1, 1, $2)
     ON CONFLICT (address) DO UPDATE SET
       failures = CASE WHEN $2 - address_failures.window_start < $3
                       THEN address_failures.failures + 1 ELSE 1 END,
       window_start = CASE WHEN $2 - address_failures.window_start < $3
                           THEN address_failures.window_start ELSE $2 END";

impl ThrottleRepo for PostgresStore {
    fn address_failures(&self, address: &str, now: i64, window: i64) -> Result<u32, StoreError> {
        self.with(async |c| {
            let row = c
                .query_opt(
                    "SELECT failures, window_start FROM address_failures WHERE address = $1",
                    &[&address],
                )
                .await?;
            Ok(match row {
                Some(r) => {
                    let (failures, start): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                    if now - start < window {
                        count(failures)
                    } else {
                        0
                    }
                }
                None => 0,
            })
        })
    }

    fn record_address_failure(
        &self,
        address: &str,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError> {
        self.with(async |c| {
            let row = c
                .query_one(
                    &format!("{COUNT_FAILURE} RETURNING address_failures.failures"),
                    &[&address, &now, &window],
                )
                .await?;
            Ok(count(row.try_get(0)?))
        })
    }

    fn reserve_attempt(
        &self,
        key: &str,
        limit: u32,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        self.with(async |c| {
            // The upsert's WHERE leaves a full window untouched: no row comes back, nothing
            // was counted.
            let counted = c
                .query_opt(
                    &format!(
                        "{COUNT_FAILURE}
                         WHERE NOT ($2 - address_failures.window_start < $3
                                    AND address_failures.failures >= $4)
                         RETURNING address_failures.failures"
                    ),
                    &[&key, &now, &window, &i64::from(limit)],
                )
                .await?;
            Ok(counted.is_some())
        })
    }

    fn release_attempt(&self, key: &str, now: i64, window: i64) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute(
                "UPDATE address_failures SET failures = GREATEST(failures - 1, 0)
                  WHERE address = $1 AND $2 - window_start < $3",
                &[&key, &now, &window],
            )
            .await?;
            Ok(())
        })
    }
}

impl AuditRepo for PostgresStore {
    fn append_audit(&self, e: NewAuditEntry<'_>) -> Result<(), StoreError> {
        self.write(async |tx| insert_audit(tx, e.at, e.actor, e.action, e.subject, e.detail).await)
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::from(filter.limit.clamp(1, 1000));
        // Subjects are stored sanitised; the filter is too, so it finds what was recorded.
        let subject = filter.subject.as_deref().map(recorded);
        let subject = subject.as_deref();
        self.with(async |c| {
            let rows = c
                .query(
                    "SELECT id, at, actor, action, subject, detail FROM audit
                      WHERE ($1::text IS NULL OR subject = CAST($1::text AS citext))
                        AND ($2::bigint IS NULL OR id < $2::bigint)
                      ORDER BY id DESC LIMIT $3",
                    &[&subject, &filter.before_id, &limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        id: r.try_get(0)?,
                        at: r.try_get(1)?,
                        actor: r.try_get(2)?,
                        action: r.try_get(3)?,
                        subject: r.try_get(4)?,
                        detail: r.try_get(5)?,
                    })
                })
                .collect()
        })
    }
}

impl UserRemovalRepo for PostgresStore {
    fn delete_user(&self, name: &str, actor: &str, now: i64) -> Result<RemovedUser, StoreError> {
        self.write(async |tx| {
            let username = lock_user(tx, name).await?;
            let groups = tx
                .query(
                    "SELECT group_name FROM memberships WHERE user_name = $1 ORDER BY group_name",
                    &[&username],
                )
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<Vec<String>, _>>()?;
            // Explicit deletes rather than ON DELETE CASCADE alone: the counts go into the
            // audit entry, and principals have no foreign key to cascade along.
            let sessions =
                tx.execute("DELETE FROM sessions WHERE user_name = $1", &[&username]).await?;
            let enrollment =
                tx.execute("DELETE FROM enrollments WHERE user_name = $1", &[&username]).await? > 0;
            tx.execute("DELETE FROM memberships WHERE user_name = $1", &[&username]).await?;
            let principal = tx
                .execute("DELETE FROM principals WHERE kind = 'user' AND name = $1", &[&username])
                .await?
                > 0;
            tx.execute("DELETE FROM users WHERE name = $1", &[&username]).await?;
            let sessions = u32::try_from(sessions).unwrap_or(u32::MAX);
            let removed = RemovedUser { username, enrollment, sessions, groups, principal };
            insert_audit(
                tx,
                now,
                actor,
                "user.delete",
                Some(&removed.username),
                Some(&removed.summary()),
            )
            .await?;
            Ok(removed)
        })
    }
}

impl DirectoryIdRepo for PostgresStore {
    fn follow_directory_entry(
        &self,
        kind: DirectoryKind,
        id: &str,
        name: &str,
        create: bool,
        now: i64,
    ) -> Result<Followed, StoreError> {
        validate_name(kind.name_field(), name)?;
        let (table, kind_word) = (kind.table(), kind.word());
        self.write(async |tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FOLLOW_LOCK]).await?;
            let by_id: Option<String> = match tx
                .query_opt(&format!("SELECT name::text FROM {table} WHERE directory_id = $1"), &[&id])
                .await?
            {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            };
            let by_name: Option<(String, Option<String>)> = match tx
                .query_opt(
                    &format!("SELECT name::text, directory_id FROM {table} WHERE name = $1"),
                    &[&name],
                )
                .await?
            {
                Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
                None => None,
            };
            let (steps, followed) = plan(id, name, by_id, by_name, create, now);
            for step in steps {
                match step {
                    Step::Rename { from, to, why } => {
                        // The users/groups update cascades to the tables that reference the
                        // name; the statements after it then change nothing, as in SQLite.
                        for statement in rename_statements(kind) {
                            tx.execute(&dollars(statement), &[&from, &to]).await?;
                        }
                        if reseal_needed(kind, &from, &to) {
                            let sealed = tx
                                .query_opt(
                                    "SELECT secret FROM enrollments WHERE user_name = $1",
                                    &[&to],
                                )
                                .await?;
                            if let Some(row) = sealed {
                                let sealed: Vec<u8> = row.try_get(0)?;
                                let secret = self.secrets.open(&from, &sealed)?;
                                let resealed = self.secrets.seal(&to, &secret);
                                tx.execute(
                                    "UPDATE enrollments SET secret = $2 WHERE user_name = $1",
                                    &[&to, &resealed],
                                )
                                .await?;
                            }
                        }
                        let action = format!("{kind_word}.rename");
                        let detail = audit_detail(&from, id, why);
                        insert_audit(tx, now, "directory", &action, Some(&to), Some(&detail)).await?;
                    }
                    Step::Link { name } => {
                        tx.execute(
                            &format!("UPDATE {table} SET directory_id = $2 WHERE name = $1"),
                            &[&name, &id],
                        )
                        .await?;
                    }
                    Step::Create => {
                        match kind {
                            DirectoryKind::User => {
                                tx.execute(
                                    "INSERT INTO users (name, password_hash, created, directory_id)
                                     VALUES ($1, $2, $3, $4)",
                                    &[&name, &DIRECTORY_PASSWORD_MARK, &now, &id],
                                )
                                .await?
                            }
                            DirectoryKind::Group => {
                                tx.execute(
                                    "INSERT INTO groups (name, created, directory_id) VALUES ($1, $2, $3)",
                                    &[&name, &now, &id],
                                )
                                .await?
                            }
                        };
                        let action = format!("{kind_word}.add");
                        insert_audit(tx, now, "directory", &action, Some(name), None).await?;
                    }
                }
            }
            Ok(followed)
        })
    }

    fn group_names_for_ids(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.with(async |c| {
            let rows = c
                .query("SELECT name::text FROM groups WHERE directory_id = ANY($1)", &[&ids])
                .await?;
            Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
        })
    }
}
