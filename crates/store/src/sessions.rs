//! Sign-in sessions, kept in the database so a restart or a second portal process keeps them.
//! Only a hash of the session id is stored: a copy of the database cannot be replayed as a
//! cookie.

use rusqlite::{params, OptionalExtension};

use crate::{SqliteStore, StoreError};

/// How far a session got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted; the user must enter a code.
    Code,
    /// Password accepted; the user must activate a new secret.
    Activate,
    /// Fully signed in.
    SignedIn,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Code => "code",
            SessionStage::Activate => "activate",
            SessionStage::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "code" => Some(SessionStage::Code),
            "activate" => Some(SessionStage::Activate),
            "signed_in" => Some(SessionStage::SignedIn),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: String,
    pub stage: SessionStage,
    /// Whether this session passed the second factor (a code), not only the password. A
    /// signed-in session without it is sent to the code step once 2FA applies to its user.
    pub two_factor: bool,
    pub created: i64,
    pub expires: i64,
}

pub trait SessionRepo {
    fn create_session(
        &self,
        id_hash: &[u8],
        user: &str,
        stage: SessionStage,
        two_factor: bool,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError>;
    /// The session if it exists and has not expired.
    fn session(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionRecord>, StoreError>;
    /// Moves a session back to a sign-in step (2FA became required after it signed in).
    fn step_back_session(
        &self,
        id_hash: &[u8],
        stage: SessionStage,
        expires: i64,
    ) -> Result<(), StoreError>;
    fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError>;
    /// Removes expired sessions; returns how many.
    fn purge_sessions(&self, now: i64) -> Result<usize, StoreError>;
}

impl SessionRepo for SqliteStore {
    fn create_session(
        &self,
        id_hash: &[u8],
        user: &str,
        stage: SessionStage,
        two_factor: bool,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO sessions (id_hash, user_name, stage, two_factor, created, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id_hash, user, stage.as_str(), two_factor, now, expires],
            )?;
            Ok(())
        })
    }

    fn step_back_session(
        &self,
        id_hash: &[u8],
        stage: SessionStage,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE sessions SET stage = ?2, two_factor = 0, expires = MIN(expires, ?3)
                  WHERE id_hash = ?1",
                params![id_hash, stage.as_str(), expires],
            )?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionRecord>, StoreError> {
        let row = self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT user_name, stage, two_factor, created, expires FROM sessions
                      WHERE id_hash = ?1 AND expires > ?2",
                    params![id_hash, now],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, bool>(2)?,
                            r.get(3)?,
                            r.get(4)?,
                        ))
                    },
                )
                .optional()?)
        })?;
        Ok(row.and_then(|(user, stage, two_factor, created, expires)| {
            SessionStage::parse(&stage).map(|stage| SessionRecord {
                user,
                stage,
                two_factor,
                created,
                expires,
            })
        }))
    }

    fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
    }

    fn purge_sessions(&self, now: i64) -> Result<usize, StoreError> {
        self.with(|conn| Ok(conn.execute("DELETE FROM sessions WHERE expires <= ?1", [now])?))
    }
}
