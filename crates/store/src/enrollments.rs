//! Enrollments: each user's pending or active TOTP secret (sealed with the key file) and the
//! verifier state — last accepted step, consecutive failures, lock.
//!
//! Verifier updates are compare-and-set on the previous state, so two portal processes
//! checking the same code at once cannot both accept it (replay across processes).
//!
//! A pending secret has an owner: the hash of the session id that was shown it. Only that
//! session may view or activate it, so another sign-in with the same password (an attacker
//! who knows it) can neither read the key the user is about to scan nor slip its own key
//! under the user's code.

use rusqlite::{params, OptionalExtension};
use twofold_core::{EnrollmentState, Secret, VerifierState};

use crate::audit::insert_audit;
use crate::{SqliteStore, StoreError};

#[derive(Clone, Debug)]
pub struct EnrollmentRecord {
    pub user: String,
    pub state: EnrollmentState,
    pub secret: Secret,
    pub verifier: VerifierState,
    /// The session (id hash) a pending secret was issued to; `None` for an active secret.
    pub owner: Option<Vec<u8>>,
    pub updated: i64,
}

impl EnrollmentRecord {
    /// Whether the session with `id_hash` was the one shown this pending secret.
    pub fn is_owned_by(&self, id_hash: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        self.owner.as_deref().is_some_and(|owner| bool::from(owner.ct_eq(id_hash)))
    }
}

/// What the admin's Reset Users view shows: no secret is decrypted for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentSummary {
    pub user: String,
    pub state: EnrollmentState,
    pub failures: u32,
    pub locked_until: Option<i64>,
}

pub trait EnrollmentRepo {
    fn enrollment(&self, user: &str) -> Result<Option<EnrollmentRecord>, StoreError>;
    fn enrollment_summaries(&self) -> Result<Vec<EnrollmentSummary>, StoreError>;
    /// Stores a new pending secret for the session `owner`, replacing an older pending one
    /// (whose session can then no longer view or activate it). Refuses to replace an active
    /// secret: only a reset does that. Replacing a key another live session was shown is
    /// audited as `enrollment.concurrent`.
    fn issue_pending(
        &self,
        user: &str,
        secret: &Secret,
        owner: &[u8],
        now: i64,
    ) -> Result<(), StoreError>;
    /// Makes the pending secret active, recording the step of the code that proved it.
    /// Fails if the pending secret changed since `expected` was read or belongs to another
    /// session than `owner`.
    fn activate(
        &self,
        user: &str,
        expected: &Secret,
        owner: &[u8],
        step: u64,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Compare-and-set of the verifier state; `false` when another process changed it first.
    /// `event` (action, detail) is audited with the change.
    fn update_verifier(
        &self,
        user: &str,
        previous: &VerifierState,
        next: &VerifierState,
        event: Option<(&str, Option<&str>)>,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Discards the secrets of all `users` (all or none: an unknown user fails the call).
    fn reset(&self, users: &[String], actor: &str, now: i64) -> Result<(), StoreError>;
    /// Clears failures and locks of all `users` (all or none).
    fn unlock(&self, users: &[String], actor: &str, now: i64) -> Result<(), StoreError>;
}

pub(crate) fn to_i64(step: Option<u64>) -> Option<i64> {
    step.map(|s| s.min(i64::MAX as u64) as i64)
}

pub(crate) fn verifier_from(
    last_step: Option<i64>,
    failures: i64,
    locked_until: Option<i64>,
    locks: i64,
) -> VerifierState {
    VerifierState {
        last_accepted_step: last_step.map(|s| s.max(0) as u64),
        consecutive_failures: failures.clamp(0, u32::MAX as i64) as u32,
        locked_until: locked_until.map(|t| t.max(0) as u64),
        locks: locks.clamp(0, u32::MAX as i64) as u32,
    }
}

fn existing_user(tx: &rusqlite::Transaction<'_>, user: &str) -> Result<String, StoreError> {
    tx.query_row("SELECT name FROM users WHERE name = ?1", [user], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("user", user))
}

impl EnrollmentRepo for SqliteStore {
    fn enrollment(&self, user: &str) -> Result<Option<EnrollmentRecord>, StoreError> {
        let row = self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT user_name, state, secret, last_step, failures, locked_until, locks,
                            owner, updated
                       FROM enrollments WHERE user_name = ?1",
                    [user],
                    |r| {
                        Ok((
                            (
                                r.get::<_, String>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, Vec<u8>>(2)?,
                            ),
                            (
                                r.get::<_, Option<i64>>(3)?,
                                r.get::<_, i64>(4)?,
                                r.get::<_, Option<i64>>(5)?,
                                r.get::<_, i64>(6)?,
                            ),
                            r.get::<_, Option<Vec<u8>>>(7)?,
                            r.get::<_, i64>(8)?,
                        ))
                    },
                )
                .optional()?)
        })?;
        let Some((
            (name, state, sealed),
            (last_step, failures, locked_until, locks),
            owner,
            updated,
        )) = row
        else {
            return Ok(None);
        };
        let state = EnrollmentState::parse(&state)
            .ok_or(StoreError::Invalid { what: "enrollment state", reason: state.clone() })?;
        let secret = self.secrets.open(&name, &sealed)?;
        Ok(Some(EnrollmentRecord {
            user: name,
            state,
            secret,
            verifier: verifier_from(last_step, failures, locked_until, locks),
            owner,
            updated,
        }))
    }

    fn enrollment_summaries(&self) -> Result<Vec<EnrollmentSummary>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT user_name, state, failures, locked_until FROM enrollments ORDER BY user_name",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    let state: String = r.get(1)?;
                    Ok(EnrollmentSummary {
                        user: r.get(0)?,
                        state: EnrollmentState::parse(&state).unwrap_or(EnrollmentState::None),
                        failures: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
                        locked_until: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn issue_pending(
        &self,
        user: &str,
        secret: &Secret,
        owner: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let name = existing_user(tx, user)?;
            let row: Option<(String, Option<Vec<u8>>)> = tx
                .query_row(
                    "SELECT state, owner FROM enrollments WHERE user_name = ?1",
                    [&name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if row.as_ref().is_some_and(|(state, _)| state == "active") {
                return Err(StoreError::Invalid {
                    what: "enrollment",
                    reason: format!("{name} already has an active secret; reset it first"),
                });
            }
            let previous_owner = row.and_then(|(_, owner)| owner).filter(|o| o != owner);
            let displaced_live_session = match previous_owner {
                Some(previous) => tx
                    .query_row(
                        "SELECT 1 FROM sessions WHERE id_hash = ?1 AND stage = 'activate' AND expires > ?2",
                        params![previous, now],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some(),
                None => false,
            };
            let sealed = self.secrets.seal(&name, secret);
            tx.execute(
                "INSERT INTO enrollments (user_name, state, secret, last_step, failures, locked_until, owner, updated)
                 VALUES (?1, 'pending', ?2, NULL, 0, NULL, ?3, ?4)
                 ON CONFLICT(user_name) DO UPDATE SET state = 'pending', secret = excluded.secret,
                     last_step = NULL, owner = excluded.owner, updated = excluded.updated",
                params![name, sealed, owner, now],
            )?;
            if displaced_live_session {
                insert_audit(
                    tx,
                    now,
                    &name,
                    "enrollment.concurrent",
                    Some(&name),
                    Some("a newer sign-in replaced the key another open activation page showed"),
                )?;
            }
            insert_audit(tx, now, &name, "enrollment.issue", Some(&name), None)
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
        self.write(|tx| {
            let name = existing_user(tx, user)?;
            let row: Option<(String, Vec<u8>, Option<Vec<u8>>)> = tx
                .query_row(
                    "SELECT state, secret, owner FROM enrollments WHERE user_name = ?1",
                    [&name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((state, sealed, current_owner)) = row else {
                return Err(StoreError::not_found("pending enrollment", &name));
            };
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
                "UPDATE enrollments SET state = 'active', last_step = ?2, failures = 0,
                        locked_until = NULL, locks = 0, owner = NULL, updated = ?3
                  WHERE user_name = ?1",
                params![name, to_i64(Some(step)), now],
            )?;
            insert_audit(tx, now, &name, "enrollment.activate", Some(&name), None)
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
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE enrollments SET last_step = ?6, failures = ?7, locked_until = ?8, locks = ?9,
                        updated = ?10
                  WHERE user_name = ?1 AND last_step IS ?2 AND failures = ?3 AND locked_until IS ?4
                        AND locks = ?5",
                params![
                    user,
                    to_i64(previous.last_accepted_step),
                    previous.consecutive_failures,
                    to_i64(previous.locked_until),
                    previous.locks,
                    to_i64(next.last_accepted_step),
                    next.consecutive_failures,
                    to_i64(next.locked_until),
                    next.locks,
                    now
                ],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            if let Some((action, detail)) = event {
                insert_audit(tx, now, user, action, Some(user), detail)?;
            }
            Ok(true)
        })
    }

    fn reset(&self, users: &[String], actor: &str, now: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            for user in users {
                let name = existing_user(tx, user)?;
                tx.execute("DELETE FROM enrollments WHERE user_name = ?1", [&name])?;
                // A reset is how a lost phone is handled: whoever holds a signed-in session
                // must prove themselves again.
                tx.execute("DELETE FROM sessions WHERE user_name = ?1", [&name])?;
                insert_audit(tx, now, actor, "user.reset", Some(&name), None)?;
            }
            Ok(())
        })
    }

    fn unlock(&self, users: &[String], actor: &str, now: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            for user in users {
                let name = existing_user(tx, user)?;
                tx.execute(
                    "UPDATE enrollments SET failures = 0, locked_until = NULL, locks = 0, updated = ?2
                      WHERE user_name = ?1",
                    params![name, now],
                )?;
                insert_audit(tx, now, actor, "user.unlock", Some(&name), None)?;
            }
            Ok(())
        })
    }
}
