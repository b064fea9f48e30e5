//! The admin API's answers as the desktop reads them. They are also what the UI receives
//! (serialized again by Tauri), so field names follow the API's JSON. The license status
//! and principals are the core's own types: one definition for server and client. The
//! schema of the rest is docs/openapi.json; `tests/openapi_mirror.rs` proves these types
//! read every shape it allows and write only shapes it allows.

use serde::{Deserialize, Serialize};
pub use twofold_core::{EnrollmentState, LicenseStatus, Principal};

/// `GET /api/v1/status`: the status bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub two_factor_enabled: bool,
    pub license: LicenseReport,
    pub counts: Counts,
    /// Absent from portals older than the directory status.
    #[serde(default)]
    pub directory: Option<DirectoryHealth>,
}

/// The directory users sign in against, as the portal found it while answering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryHealth {
    pub kind: String,
    pub url: Option<String>,
    pub answering: bool,
    pub problem: Option<String>,
}

/// The license status and whether the portal checks licenses against the development
/// vendor key (then "valid" proves nothing; the UI may say so).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseReport {
    #[serde(flatten)]
    pub status: LicenseStatus,
    #[serde(default)]
    pub development_key: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub users: u32,
    pub groups: u32,
    pub principals: u32,
    pub users_needing_2fa: u32,
}

/// `user` or `group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Group,
}

/// One row of the directory picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub kind: PrincipalKind,
    pub name: String,
    /// Member count, for groups.
    #[serde(default)]
    pub members: Option<u32>,
}

/// `GET /api/v1/directory`: one page of a search and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPage {
    pub total: u32,
    pub items: Vec<DirectoryEntry>,
}

/// A user or group enabled for 2FA, as Manage Users and Groups lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalEntry {
    pub kind: PrincipalKind,
    pub name: String,
    #[serde(default)]
    pub members: Option<u32>,
    /// Unix seconds.
    pub added: i64,
    /// The directory's stable id (`entryUUID`, `objectGUID`); absent for the built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_id: Option<String>,
    /// Whether the directory still has it; absent from portals before stable ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_directory: Option<InDirectory>,
}

/// Whether a principal's user or group is still in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InDirectory {
    /// Found by its stable id (always, in the built-in directory).
    Yes,
    /// Deleted in the directory: still counts for 2FA under its last name until removed.
    No,
    /// The directory did not answer just now.
    Unknown,
}

/// A user who needs 2FA, as Reset Users lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredUser {
    pub username: String,
    pub state: EnrollmentState,
    pub locked: bool,
    #[serde(default)]
    pub locked_until: Option<i64>,
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub last_sign_in: Option<i64>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

/// Which part of the audit log to read: newest first, optionally about one user, and older
/// than entry `before` (for the next page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `DELETE /api/v1/users/{name}`: what deleting a user removed with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedUser {
    pub username: String,
    #[serde(default)]
    pub enrollment: bool,
    #[serde(default)]
    pub sessions: u32,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub principal: bool,
}

#[derive(Deserialize)]
pub(crate) struct Deleted {
    pub deleted: DeletedUser,
}

/// The `{"items": [...]}` envelope of list answers.
#[derive(Deserialize)]
pub(crate) struct Items<T> {
    pub items: Vec<T>,
}
