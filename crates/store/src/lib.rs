//! Persistence for the portal: the directory (users, groups, memberships), the 2FA switch and
//! license, principals, enrollments with their secrets encrypted at rest, sign-in sessions,
//! per-address throttling and the audit log.
//!
//! What it leaves out: every decision. Who needs 2FA, whether a code is right, whether a
//! license allows a change — those live in `twofold-core` and the portal; this crate stores
//! and returns. Password hashing happens in the portal; only hashes arrive here.
//!
//! The repositories are traits so the portal holds an `Arc<dyn Store>`. Two implementations:
//! [`SqliteStore`], one SQLite file in WAL mode that several processes on one machine (a
//! portal and an admin CLI) can share, and [`PostgresStore`], one PostgreSQL database that
//! several portal servers share. [`copy_sqlite_to_postgres`] moves a data directory over.

mod audit;
mod crypto;
mod directory;
mod directory_ids;
mod enrollments;
mod error;
mod migrate;
mod postgres;
mod principals;
mod schema;
mod sessions;
mod settings;
mod sqlite;
mod throttle;
mod user_removal;

pub use audit::{AuditEntry, AuditFilter, AuditRepo, NewAuditEntry};
pub use directory::{DirectoryEntry, DirectoryPage, DirectoryRepo, UserRecord};
pub use directory_ids::{DirectoryIdRepo, DirectoryKind, Followed, DIRECTORY_PASSWORD_MARK};
pub use enrollments::{EnrollmentRecord, EnrollmentRepo, EnrollmentSummary};
pub use error::{unavailable, StoreError, Unavailable};
pub use migrate::{copy_sqlite_to_postgres, CopyReport};
pub use postgres::{is_postgres_url, PgOptions, PostgresStore, POOL_SIZE, POOL_WAIT};
pub use principals::{PrincipalEntry, PrincipalRepo};
pub use sessions::{SessionRecord, SessionRepo, SessionStage};
pub use settings::SettingsRepo;
pub use sqlite::SqliteStore;
pub use throttle::ThrottleRepo;
pub use user_removal::{RemovedUser, UserRemovalRepo};

/// Everything the portal needs from persistence.
pub trait Store:
    DirectoryRepo
    + DirectoryIdRepo
    + SettingsRepo
    + PrincipalRepo
    + EnrollmentRepo
    + SessionRepo
    + AuditRepo
    + ThrottleRepo
    + UserRemovalRepo
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: DirectoryRepo
        + DirectoryIdRepo
        + SettingsRepo
        + PrincipalRepo
        + EnrollmentRepo
        + SessionRepo
        + AuditRepo
        + ThrottleRepo
        + UserRemovalRepo
        + Send
        + Sync
{
}
