//! The vault's error type: every failure a user can meet, each with what to do about it.
//!
//! Leaves out secrets: no variant carries key material, and keyring errors whose payload could
//! hold secret bytes are mapped to [`VaultError::SecretCorrupt`] without their data.

use twofold_core::OtpError;

/// Why a vault operation failed. Messages are written for the person at the keyboard.
#[derive(thiserror::Error, Debug)]
pub enum VaultError {
    /// There is no keyring to talk to: no D-Bus session, or no Secret Service on it.
    #[error("the system keyring is not available: {hint}")]
    KeyringUnavailable { hint: String },

    /// The keyring is there but locked, and unlocking was refused or dismissed.
    #[error(
        "the system keyring is locked: unlock it (log in to the desktop again, or open \
         \"Passwords and Keys\" and unlock the Login keyring), then try again"
    )]
    KeyringLocked,

    /// The keyring did not answer in time, typically because an unlock prompt is waiting
    /// where nobody sees it, or the keyring daemon is stuck. Nothing was changed.
    #[error(
        "the system keyring did not answer within {seconds} s: an unlock prompt may be waiting \
         on another screen, or the keyring service is stuck; unlock or restart it \
         (gnome-keyring-daemon) and try again. Nothing was changed"
    )]
    KeyringTimeout { seconds: u64 },

    /// The keyring answered with an error that is neither "locked" nor "unavailable".
    #[error("the system keyring refused the request: {detail}")]
    KeyringRefused { detail: String },

    /// The account exists but its secret is not in the keyring (removed by another tool, or a
    /// delete that stopped half-way). Deleting the account again completes the removal.
    #[error(
        "the secret of account {id} is missing from the system keyring; delete the account and \
         add it again from its QR code or export"
    )]
    SecretMissing { id: String },

    /// The keyring item exists but does not hold a base32 secret.
    #[error("the keyring item of account {id} does not hold a valid secret")]
    SecretCorrupt { id: String },

    /// Adding failed after the secret was written and the secret could not be taken back yet.
    /// The vault retries by itself (the orphan sweep); the message also says how to do it by
    /// hand.
    #[error(
        "the account could not be saved ({cause}) and its key could not be removed from the \
         keyring yet; Twofold retries by itself, or remove it with: secret-tool clear service \
         twofold username {id}"
    )]
    OrphanedSecret { id: String, cause: String },

    /// Another Twofold instance on the same data directory swept this add's secret as an
    /// orphan while the add was still running (possible only if the add stalled for longer
    /// than the sweep's grace period, e.g. after a clock jump). Nothing was saved.
    #[error(
        "the account was not saved: another Twofold window cleaned up its key while it was \
         being added; add it again"
    )]
    AddInterrupted,

    #[error("no account with id {0}")]
    NotFound(String),

    /// The same issuer, account name and secret are already in the vault.
    #[error("this account is already in the vault")]
    Duplicate { id: String },

    /// The account cannot be stored as given (empty name, unsupported digits, …).
    #[error("invalid account: {0}")]
    InvalidAccount(String),

    #[error("this account is not an HOTP (counter-based) account")]
    NotHotp,

    #[error("the HOTP counter of account {0} cannot advance any further")]
    CounterExhausted(String),

    #[error(transparent)]
    Otp(#[from] OtpError),

    #[error("account database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, VaultError>;
