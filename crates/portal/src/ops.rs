//! The operations an admin performs, shared by the admin API and the admin CLI so both
//! enforce the same rules (license seats, all-or-nothing changes, audit) in one place.

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use twofold_core::display::escape_control;
use twofold_core::{license, needs_two_factor, EnrollmentState, LicenseStatus, Principal};
use twofold_store::{AuditEntry, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the license file is not valid: {0}")]
    License(#[from] license::LicenseError),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct Counts {
    pub users: u32,
    pub groups: u32,
    pub principals: u32,
    pub users_needing_2fa: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub two_factor_enabled: bool,
    pub license: LicenseReport,
    pub counts: Counts,
}

/// The license status as the admin API and CLI show it: the status's own fields, plus
/// whether the vendor key it was checked against is the development key (whose private half
/// is public, so any license "valid" under it proves nothing).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LicenseReport {
    #[serde(flatten)]
    pub status: LicenseStatus,
    pub development_key: bool,
}

/// A user covered by the principals, as the Reset Users view shows them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CoveredUser {
    pub username: String,
    /// `none` (never enrolled or reset), `pending` (QR shown, not confirmed) or `active`.
    pub state: EnrollmentState,
    pub locked: bool,
    pub locked_until: Option<i64>,
    pub failures: u32,
    pub last_sign_in: Option<i64>,
}

pub fn license_status(
    store: &dyn Store,
    vendor: &VerifyingKey,
    now: u64,
) -> Result<LicenseStatus, OpsError> {
    let text = store.license_text()?;
    let used = store.seats_used()?;
    Ok(license::license_status(text.as_deref(), vendor, used, now))
}

/// [`license_status`] with whether `vendor` is the development key.
pub fn license_report(
    store: &dyn Store,
    vendor: &VerifyingKey,
    now: u64,
) -> Result<LicenseReport, OpsError> {
    Ok(LicenseReport {
        status: license_status(store, vendor, now)?,
        development_key: crate::vendor::is_development_key(vendor),
    })
}

pub fn status(store: &dyn Store, vendor: &VerifyingKey, now: u64) -> Result<Status, OpsError> {
    let (users, groups) = store.directory_counts()?;
    let principals = store.principals()?.len() as u32;
    let enabled = store.two_factor_enabled()?;
    let covered = store.seats_used()?;
    Ok(Status {
        two_factor_enabled: enabled,
        license: license_report(store, vendor, now)?,
        counts: Counts {
            users,
            groups,
            principals,
            users_needing_2fa: if enabled { covered } else { 0 },
        },
    })
}

/// The policy rule of the core, fed from the store.
pub fn user_needs_two_factor(store: &dyn Store, user: &str) -> Result<bool, OpsError> {
    let enabled = store.two_factor_enabled()?;
    if !enabled {
        return Ok(false);
    }
    let groups = store.groups_of(user)?;
    let principals: Vec<Principal> = store.principals()?.into_iter().map(|p| p.principal).collect();
    Ok(needs_two_factor(enabled, user, &groups, &principals))
}

pub fn add_principals(
    store: &dyn Store,
    vendor: &VerifyingKey,
    principals: &[Principal],
    actor: &str,
    now: u64,
) -> Result<(), OpsError> {
    if principals.is_empty() {
        return Err(OpsError::Invalid("no principals given".into()));
    }
    let text = store.license_text()?;
    let allow = |before: u32, after: u32| {
        let status = license::license_status(text.as_deref(), vendor, before, now);
        if status.allows(after) {
            Ok(())
        } else {
            Err(status.seat_limit())
        }
    };
    store.add_principals(principals, &allow, actor, now as i64)?;
    Ok(())
}

pub fn remove_principals(
    store: &dyn Store,
    principals: &[Principal],
    actor: &str,
    now: u64,
) -> Result<(), OpsError> {
    if principals.is_empty() {
        return Err(OpsError::Invalid("no principals given".into()));
    }
    store.remove_principals(principals, actor, now as i64)?;
    Ok(())
}

pub fn covered_users(store: &dyn Store, now: u64) -> Result<Vec<CoveredUser>, OpsError> {
    let summaries = store.enrollment_summaries()?;
    let mut out = Vec::new();
    for name in store.covered_users()? {
        let summary = summaries.iter().find(|s| s.user.eq_ignore_ascii_case(&name));
        let last_sign_in = store.user(&name)?.and_then(|u| u.last_sign_in);
        let locked_until = summary.and_then(|s| s.locked_until).filter(|&t| t > now as i64);
        out.push(CoveredUser {
            username: name,
            state: summary.map(|s| s.state).unwrap_or(EnrollmentState::None),
            locked: locked_until.is_some(),
            locked_until,
            failures: summary.map(|s| s.failures).unwrap_or(0),
            last_sign_in,
        });
    }
    Ok(out)
}

pub fn reset(store: &dyn Store, users: &[String], actor: &str, now: u64) -> Result<(), OpsError> {
    if users.is_empty() {
        return Err(OpsError::Invalid("no users given".into()));
    }
    store.reset(users, actor, now as i64)?;
    Ok(())
}

pub fn unlock(store: &dyn Store, users: &[String], actor: &str, now: u64) -> Result<(), OpsError> {
    if users.is_empty() {
        return Err(OpsError::Invalid("no users given".into()));
    }
    store.unlock(users, actor, now as i64)?;
    Ok(())
}

/// Verifies and installs a license; an invalid file changes nothing.
pub fn install_license(
    store: &dyn Store,
    vendor: &VerifyingKey,
    text: &str,
    actor: &str,
    now: u64,
) -> Result<LicenseReport, OpsError> {
    let terms = license::verify_license(text, vendor)?;
    let summary = format!(
        "{} ({} seats, expires {})",
        terms.licensee,
        terms.seats,
        crate::dates::utc_date(terms.expires)
    );
    store.set_license_text(text, &summary, actor, now as i64)?;
    license_report(store, vendor, now)
}

pub fn add_user(
    store: &dyn Store,
    name: &str,
    password: &str,
    actor: &str,
    now: u64,
) -> Result<(), OpsError> {
    if password.is_empty() {
        return Err(OpsError::Invalid("the password must not be empty".into()));
    }
    let hash =
        crate::passwords::hash_password(password).map_err(|e| OpsError::Invalid(e.to_string()))?;
    store.add_user(name, &hash, actor, now as i64)?;
    Ok(())
}

/// Deletes a directory user with its enrollment, sessions, memberships and principal entry
/// (all or nothing, audited as `user.delete`).
pub fn delete_user(
    store: &dyn Store,
    name: &str,
    actor: &str,
    now: u64,
) -> Result<twofold_store::RemovedUser, OpsError> {
    Ok(store.delete_user(name, actor, now as i64)?)
}

/// `entry` safe to show on one line (CLI table, admin app): control and invisible characters
/// escaped. The store records new entries escaped already; this covers entries written
/// before it did, so an old forged username still cannot print a fake line.
pub fn displayable_audit_entry(entry: AuditEntry) -> AuditEntry {
    let shown = |text: String| match escape_control(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(escaped) => escaped,
    };
    AuditEntry {
        id: entry.id,
        at: entry.at,
        actor: shown(entry.actor),
        action: shown(entry.action),
        subject: entry.subject.map(shown),
        detail: entry.detail.map(shown),
    }
}
