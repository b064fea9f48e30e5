//! The admin API's answers and bodies as they travel: the one definition the OpenAPI
//! document (and from it the UI's TypeScript types) is generated from. The store's and the
//! operations' own types stay free to change; each answer here is built from them.
//!
//! Leaves out errors (see [`crate::error::ErrorBody`]).

use serde::{Deserialize, Serialize};
use twofold_core::{EnrollmentState, LicenseStatus, Principal};
use utoipa::{IntoParams, ToSchema};

use crate::ops;

/// `user` or `group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Group,
}

impl PrincipalKind {
    fn of(principal: &Principal) -> PrincipalKind {
        match principal {
            Principal::User(_) => PrincipalKind::User,
            Principal::Group(_) => PrincipalKind::Group,
        }
    }
}

/// `GET /api/v1/status`: what the status bar shows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Status {
    pub two_factor_enabled: bool,
    pub license: LicenseReport,
    pub counts: Counts,
    pub directory: DirectoryHealth,
}

/// The directory users sign in against, as the portal found it while answering.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DirectoryHealth {
    /// `builtin` (the portal's own users) or `ldap`.
    pub kind: String,
    /// The LDAP URL; absent for the built-in directory.
    pub url: Option<String>,
    /// Whether it answered a connect and the service account's bind just now (always true
    /// for the built-in directory). While it does not, sign-ins are refused, never let through.
    pub answering: bool,
    /// What failed, when it did not answer (no password is ever in it).
    pub problem: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Counts {
    pub users: u32,
    pub groups: u32,
    /// Users and groups enabled for 2FA.
    pub principals: u32,
    /// Distinct users covered while the switch is on; 0 while it is off.
    pub users_needing_2fa: u32,
}

/// The license status with whether it was checked against the development vendor key
/// (whose private half is public: a license "valid" under it proves nothing).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LicenseReport {
    #[serde(flatten)]
    pub status: LicenseStatus,
    pub development_key: bool,
}

impl From<ops::LicenseReport> for LicenseReport {
    fn from(r: ops::LicenseReport) -> Self {
        LicenseReport { status: r.status, development_key: r.development_key }
    }
}

impl Status {
    pub fn new(s: ops::Status, directory: DirectoryHealth) -> Self {
        Status {
            directory,
            two_factor_enabled: s.two_factor_enabled,
            license: s.license.into(),
            counts: Counts {
                users: s.counts.users,
                groups: s.counts.groups,
                principals: s.counts.principals,
                users_needing_2fa: s.counts.users_needing_2fa,
            },
        }
    }
}

/// `PUT /api/v1/two-factor`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchBody {
    pub enabled: bool,
}

/// `GET /api/v1/directory`'s query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Text the names must contain (case-insensitive); at most 256 bytes.
    #[serde(default)]
    #[param(max_length = 256)]
    pub q: String,
    #[serde(default)]
    pub offset: u32,
    /// Page size; clamped to 1..=200.
    #[serde(default = "default_page")]
    #[param(default = 50)]
    pub limit: u32,
}

pub(super) fn default_page() -> u32 {
    50
}

/// One row of the directory picker: a user, or a group with its member count.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DirectoryEntry {
    pub kind: PrincipalKind,
    pub name: String,
    /// Member count, for groups only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
}

/// One page of a directory search and how many match in all.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DirectoryPage {
    pub total: u32,
    pub items: Vec<DirectoryEntry>,
}

impl From<twofold_store::DirectoryPage> for DirectoryPage {
    fn from(page: twofold_store::DirectoryPage) -> Self {
        DirectoryPage {
            total: page.total,
            items: page
                .items
                .into_iter()
                .map(|e| DirectoryEntry {
                    kind: if e.kind == "group" {
                        PrincipalKind::Group
                    } else {
                        PrincipalKind::User
                    },
                    name: e.name,
                    members: e.members,
                })
                .collect(),
        }
    }
}

/// Whether a principal's user or group is still in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InDirectory {
    /// Found (by its stable id in an LDAP / AD directory; always, in the built-in one).
    Yes,
    /// No longer in the directory: deleted there (its stable id is not found). It still
    /// counts for 2FA under its last name until an admin removes it.
    No,
    /// The directory did not answer just now.
    Unknown,
}

/// A user or group enabled for 2FA.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PrincipalEntry {
    pub kind: PrincipalKind,
    /// The name the directory gave it when last seen (followed when renamed there).
    pub name: String,
    /// Member count, for groups only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
    /// When it was added, Unix seconds.
    pub added: i64,
    /// The directory's stable id (`entryUUID`, `objectGUID`), the principal's identity:
    /// absent for the built-in directory (whose names are its ids) and until first looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_id: Option<String>,
    /// Always sent by this portal; optional in the schema so that clients written before it
    /// (which do not know the field) still match the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_directory: Option<InDirectory>,
}

impl From<(twofold_store::PrincipalEntry, crate::directory::Presence)> for PrincipalEntry {
    fn from((e, presence): (twofold_store::PrincipalEntry, crate::directory::Presence)) -> Self {
        use crate::directory::Presence;
        PrincipalEntry {
            kind: PrincipalKind::of(&e.principal),
            name: e.principal.name().to_string(),
            members: e.members,
            added: e.added,
            directory_id: e.directory_id,
            in_directory: Some(match presence {
                Presence::Present => InDirectory::Yes,
                Presence::Gone => InDirectory::No,
                Presence::Unknown => InDirectory::Unknown,
            }),
        }
    }
}

/// The principals an admin adds or removes, all or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalsBody {
    pub principals: Vec<Principal>,
}

/// The principals enabled for 2FA, after the change.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PrincipalList {
    pub items: Vec<PrincipalEntry>,
}

/// A user who needs 2FA, as Reset Users lists them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoveredUser {
    pub username: String,
    /// `none` (never enrolled or reset), `pending` (QR shown, not confirmed) or `active`.
    pub state: EnrollmentState,
    pub locked: bool,
    /// Unix seconds, while locked.
    pub locked_until: Option<i64>,
    /// Consecutive failed codes.
    pub failures: u32,
    /// Unix seconds.
    pub last_sign_in: Option<i64>,
}

impl From<ops::CoveredUser> for CoveredUser {
    fn from(u: ops::CoveredUser) -> Self {
        CoveredUser {
            username: u.username,
            state: u.state,
            locked: u.locked,
            locked_until: u.locked_until,
            failures: u.failures,
            last_sign_in: u.last_sign_in,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoveredUserList {
    pub items: Vec<CoveredUser>,
}

/// The users to reset or unlock, all or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersBody {
    pub usernames: Vec<String>,
}

/// `POST /api/v1/users/reset`: who was reset.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResetDone {
    pub reset: Vec<String>,
}

/// `POST /api/v1/users/unlock`: who was unlocked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnlockDone {
    pub unlocked: Vec<String>,
}

/// `GET /api/v1/audit`'s query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this user (case-insensitive); empty means everyone.
    pub user: Option<String>,
    /// Only entries older than this entry id (the next page).
    pub before: Option<i64>,
    /// Page size; clamped to 1..=500.
    #[serde(default = "default_page")]
    #[param(default = 50)]
    pub limit: u32,
}

/// One line of the audit log, control characters escaped.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

impl From<twofold_store::AuditEntry> for AuditEntry {
    fn from(e: twofold_store::AuditEntry) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        }
    }
}

/// The audit log, newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntry>,
}

/// `POST /api/v1/users`: a new directory user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// Hashed (Argon2) before it is stored; never logged or audited.
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is left out on purpose.
        f.debug_struct("NewUser").field("username", &self.username).finish_non_exhaustive()
    }
}

/// `POST /api/v1/users`: who was created.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub username: String,
}

/// What deleting a user removed with it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RemovedUser {
    /// The directory's spelling of the name.
    pub username: String,
    /// A secret (pending or active) was discarded.
    pub enrollment: bool,
    /// Sign-in sessions ended.
    pub sessions: u32,
    /// Groups the user was a member of.
    pub groups: Vec<String>,
    /// The user was a principal (`user:NAME`) and is no longer.
    pub principal: bool,
}

impl From<twofold_store::RemovedUser> for RemovedUser {
    fn from(r: twofold_store::RemovedUser) -> Self {
        RemovedUser {
            username: r.username,
            enrollment: r.enrollment,
            sessions: r.sessions,
            groups: r.groups,
            principal: r.principal,
        }
    }
}

/// `DELETE /api/v1/users/{name}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeletedUser {
    pub deleted: RemovedUser,
}
