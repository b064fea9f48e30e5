//! [`AuthError`]: every way an Authenticator-mode action can fail, as the UI receives it —
//! a stable `kind` that picks the translated headline and remedy, the English detail line,
//! and, for the add-by-hand form, one message per field.
//!
//! Leaves out secrets: no variant carries key material (the underlying vault, scanner and
//! importer errors are written not to), so an error may be shown or logged as it is.

use serde::{Serialize, Serializer};
use twofold_core::import::ImportError;
use twofold_core::UriError;
use twofold_scanner::ScanError;
use twofold_vault::VaultError;

use super::manual::FieldError;

/// Why an Authenticator action failed. Nothing was changed unless the variant says so.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Vault(#[from] VaultError),

    /// Pasted text that is an `otpauth://` URI with a problem.
    #[error("{0}")]
    InvalidUri(#[from] UriError),

    /// Pasted text that is not an `otpauth://` or `otpauth-migration://` URI at all.
    #[error("the text is not an otpauth:// link")]
    NotOtpAuth,

    /// The add-by-hand form, field by field.
    #[error("some fields need fixing: {}", .0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),

    #[error(transparent)]
    Scan(#[from] ScanError),

    /// The image (screen, file, clipboard) holds no QR code the decoder could read.
    #[error("no QR code was found")]
    NoCode,

    /// QR codes were found, but none is an authenticator code (a web link, a Wi-Fi code…).
    #[error("{found} QR code(s) found, but none is an authenticator (otpauth) code")]
    NotAuthenticatorCode { found: usize },

    #[error(transparent)]
    Import(#[from] ImportError),

    /// An export that cannot be made (no password, nothing to export).
    #[error(transparent)]
    Export(#[from] twofold_core::export::ExportError),

    /// An export file that holds no account at all (or only entries that were skipped).
    #[error("the file contains no account Twofold can import")]
    NothingToImport,

    #[error("the file is empty")]
    EmptyFile,

    #[error("the file is {size} bytes, more than the {max} bytes an export may have")]
    FileTooLarge { size: u64, max: u64 },

    /// A preview the UI refers to no longer exists (confirmed already, or replaced by a newer
    /// scan or import).
    #[error("this list of accounts to add has expired; scan or import again")]
    PreviewExpired,

    /// An HOTP account has no code yet: "next code" has to be asked for first.
    #[error("this counter-based account has no code yet: use \"Next code\" first")]
    NoCodeYet,

    #[error(transparent)]
    Clipboard(#[from] super::clipboard::ClipboardError),

    /// The export's file exists and the user did not ask to replace it.
    #[error("{path} exists already: replace it, or choose another name")]
    ExportExists { path: String },

    /// The export's file could not be written (no such folder, no permission, disk full);
    /// nothing was left behind.
    #[error("cannot write {path}: {detail}")]
    WriteFailed { path: String, detail: String },

    /// The app lock is shut: nothing is shown until it is unlocked.
    #[error("Twofold is locked: enter its password to see your codes")]
    Locked,

    /// The app lock's password was wrong; after a few, each attempt has to wait.
    #[error("wrong password")]
    WrongLockPassword { retry_after_secs: u64 },

    /// Too many wrong passwords: this attempt was not even tried.
    #[error("too many wrong passwords: try again in {retry_after_secs} s")]
    LockThrottled { retry_after_secs: u64 },

    /// A lock password or idle time the rules refuse.
    #[error(transparent)]
    LockRule(#[from] twofold_core::app_lock::LockRuleError),

    /// The app lock's file cannot be read, so the lock stays shut.
    #[error("the app lock's file {path} cannot be read ({detail}); remove it to open the lock")]
    LockFileDamaged { path: String, detail: String },

    /// The automatic backup's folder is not a full path to an existing folder.
    #[error("the backup folder {path} cannot be used: {detail}")]
    BackupFolder { path: String, detail: String },

    /// A number of backups to keep outside 1..=max.
    #[error("keep between 1 and {max} backups")]
    BackupKeep { max: u32 },

    /// The automatic backup's settings file cannot be read.
    #[error(
        "the backup settings {path} cannot be read ({detail}); turn the automatic backup on again"
    )]
    BackupSettingsDamaged { path: String, detail: String },

    /// The backups' password is no longer in the keyring.
    #[error("the automatic backup's password is missing from the keyring: turn the automatic backup on again")]
    BackupPasswordMissing,

    /// A global shortcut the app cannot use: not a key with Ctrl, Alt or Super, or one another
    /// program holds already.
    #[error("the shortcut {shortcut:?} cannot be used: {detail}")]
    Shortcut { shortcut: String, detail: String },

    /// The tray and shortcut settings' file cannot be read; the defaults are in use.
    #[error("the settings file {path} cannot be read ({detail}); save the settings again")]
    AtHandSettingsDamaged { path: String, detail: String },

    /// This desktop does not let an app type into another window (most Wayland compositors
    /// without a virtual-keyboard protocol); the code was put on the clipboard instead.
    #[error("this desktop does not let Twofold type into other windows ({detail}); the code is on the clipboard: paste it")]
    TypingUnavailable { detail: String },

    /// Something that is a bug, not a user error (a worker thread panicked…).
    #[error("internal error: {0}")]
    Internal(String),
}

impl AuthError {
    /// The stable name the UI's message catalogue is keyed by (`authenticator.error.KIND`).
    pub fn kind(&self) -> &'static str {
        match self {
            AuthError::Vault(e) => match e {
                VaultError::KeyringUnavailable { .. } => "keyring_unavailable",
                VaultError::KeyringLocked => "keyring_locked",
                VaultError::KeyringTimeout { .. } => "keyring_timeout",
                VaultError::KeyringRefused { .. } => "keyring_refused",
                VaultError::SecretMissing { .. } | VaultError::SecretCorrupt { .. } => {
                    "secret_missing"
                }
                VaultError::OrphanedSecret { .. } => "orphaned_secret",
                VaultError::NotFound(_) => "not_found",
                VaultError::Duplicate { .. } => "duplicate",
                VaultError::InvalidAccount(_) | VaultError::Otp(_) => "invalid_account",
                VaultError::NotHotp | VaultError::CounterExhausted(_) => "invalid_account",
                VaultError::Database(_)
                | VaultError::DataDir { .. }
                | VaultError::AddInterrupted => "storage",
            },
            AuthError::InvalidUri(_) => "invalid_uri",
            AuthError::NotOtpAuth => "not_otpauth",
            AuthError::Fields(_) => "invalid_fields",
            AuthError::Scan(e) => match e {
                ScanError::NotAnImage | ScanError::UnsupportedFormat(_) => "not_an_image",
                ScanError::TooLarge { .. } | ScanError::FileTooLarge { .. } => "image_too_large",
                ScanError::Corrupt(_) | ScanError::BadFrame { .. } => "image_damaged",
                ScanError::Io { .. } => "file_unreadable",
                ScanError::NoDisplay(_) | ScanError::ScreenCapture(_) => "screen_capture",
                ScanError::ClipboardEmpty => "clipboard_empty",
                ScanError::ClipboardNoImage => "clipboard_no_image",
                ScanError::Clipboard(_) => "clipboard",
                ScanError::NoCamera | ScanError::CameraNotFound { .. } => "no_camera",
                ScanError::CameraDenied => "camera_denied",
                ScanError::CameraBusy => "camera_busy",
                ScanError::Camera(_) => "camera",
            },
            AuthError::NoCode => "no_code",
            AuthError::NotAuthenticatorCode { .. } => "not_authenticator_code",
            AuthError::Import(e) => match e {
                ImportError::UnknownFormat => "unknown_format",
                ImportError::PasswordRequired { .. } => "password_required",
                ImportError::WrongPassword { .. } => "wrong_password",
                ImportError::Malformed { .. }
                | ImportError::Truncated { .. }
                | ImportError::UnreadableDatabase { .. } => "damaged_export",
                ImportError::Unsupported { .. } => "unsupported_export",
            },
            AuthError::Export(e) => match e {
                twofold_core::export::ExportError::EmptyPassword => "export_password_required",
                twofold_core::export::ExportError::NoAccounts => "nothing_to_export",
            },
            AuthError::NothingToImport => "nothing_to_import",
            AuthError::EmptyFile => "empty_file",
            AuthError::FileTooLarge { .. } => "file_too_large",
            AuthError::PreviewExpired => "preview_expired",
            AuthError::NoCodeYet => "no_code_yet",
            AuthError::Clipboard(_) => "clipboard",
            AuthError::ExportExists { .. } => "export_exists",
            AuthError::WriteFailed { .. } => "write_failed",
            AuthError::Locked => "locked",
            AuthError::WrongLockPassword { .. } => "lock_wrong_password",
            AuthError::LockThrottled { .. } => "lock_throttled",
            AuthError::LockRule(e) => match e {
                twofold_core::app_lock::LockRuleError::PasswordTooShort { .. } => {
                    "lock_password_too_short"
                }
                twofold_core::app_lock::LockRuleError::IdleTooShort { .. } => "lock_idle_too_short",
                twofold_core::app_lock::LockRuleError::Hash(_) => "internal",
            },
            AuthError::LockFileDamaged { .. } => "lock_file_damaged",
            AuthError::BackupFolder { .. } => "backup_folder",
            AuthError::BackupKeep { .. } => "backup_keep",
            AuthError::BackupSettingsDamaged { .. } => "backup_settings_damaged",
            AuthError::BackupPasswordMissing => "backup_password_missing",
            AuthError::Shortcut { .. } => "shortcut",
            AuthError::AtHandSettingsDamaged { .. } => "at_hand_settings_damaged",
            AuthError::TypingUnavailable { .. } => "typing_unavailable",
            AuthError::Internal(_) => "internal",
        }
    }

    /// Whether the keyring (not the input) is what failed: the UI then shows the keyring
    /// explanation instead of a one-line error.
    pub fn is_keyring(&self) -> bool {
        self.kind().starts_with("keyring_")
    }
}

/// `{kind, message, fields, retry_after_secs}` — what `invoke` rejects with
/// (`retry_after_secs` is null except for the app lock's throttle).
impl Serialize for AuthError {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields: &[FieldError] = match self {
            AuthError::Fields(fields) => fields,
            _ => &[],
        };
        let retry_after_secs = match self {
            AuthError::WrongLockPassword { retry_after_secs }
            | AuthError::LockThrottled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let mut s = serializer.serialize_struct("AuthError", 4)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.serialize_field("fields", fields)?;
        s.serialize_field("retry_after_secs", &retry_after_secs)?;
        s.end()
    }
}

pub type Result<T> = std::result::Result<T, AuthError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_keyring_is_reported_as_a_keyring_problem_with_a_stable_kind() {
        let e = AuthError::from(VaultError::KeyringLocked);
        assert_eq!(e.kind(), "keyring_locked");
        assert!(e.is_keyring());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "keyring_locked");
        assert!(json["message"].as_str().unwrap().contains("unlock"));
        assert_eq!(json["fields"], serde_json::json!([]));
    }

    #[test]
    fn a_wrong_export_password_has_its_own_kind() {
        let e = AuthError::from(ImportError::WrongPassword {
            format: twofold_core::import::Format::Aegis,
        });
        assert_eq!(e.kind(), "wrong_password");
        assert!(!e.is_keyring());
    }
}
