//! The store's error type: what went wrong, with the names involved, never a secret.

/// A failure of the store. Variants carry the names an operator needs to act on them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    /// The key file is gone but the database holds data sealed with it. A new key would open
    /// none of it, so nothing is created; the operator restores the file or starts over.
    #[error(
        "the key file {path} is missing, but the database {database} holds secrets sealed \
         with it: restore secrets.key from a backup of this data directory. To start over \
         deliberately instead (every enrolled user then gets a new QR code at their next \
         sign-in), discard the enrolled secrets first: sqlite3 {database} \"DELETE FROM \
         enrollments; DELETE FROM settings WHERE key = 'secrets.key_check'\""
    )]
    KeyMissing { path: String, database: String },
    /// The key file does not open what the database holds (a key from another directory, or
    /// a replaced file); nothing is changed.
    #[error(
        "the key file {path} is not the key the database {database} was sealed with: restore \
         the matching secrets.key from a backup of this data directory. To start over \
         deliberately instead (every enrolled user then gets a new QR code at their next \
         sign-in), discard the enrolled secrets first: sqlite3 {database} \"DELETE FROM \
         enrollments; DELETE FROM settings WHERE key = 'secrets.key_check'\""
    )]
    KeyMismatch { path: String, database: String },
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error(
        "the database was written by a newer Twofold (schema {found}, this build knows {known})"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("no {kind} named {name:?}")]
    NotFound { kind: &'static str, name: String },
    #[error("a {kind} named {name:?} already exists")]
    AlreadyExists { kind: &'static str, name: String },
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error("a stored secret could not be decrypted (wrong key file or tampered row)")]
    Decrypt,
    #[error("refused: {seats_after} users would need 2FA, the license allows {limit}")]
    SeatLimit { seats_after: u32, limit: u32 },
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, name: &str) -> Self {
        StoreError::NotFound { kind, name: name.to_string() }
    }
}

/// Why the store cannot serve a request right now, though nothing is broken: the caller
/// answers "try again later" instead of "internal error".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// Another process held the database longer than the busy timeout.
    Busy,
    /// The disk (or the data directory's file system) is full; nothing was written.
    DiskFull,
}

/// Looks through `error` and its sources for a store failure that is temporary.
pub fn unavailable(error: &(dyn std::error::Error + 'static)) -> Option<Unavailable> {
    let classify = |e: &rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Some(Unavailable::Busy)
        }
        Some(rusqlite::ErrorCode::DiskFull) => Some(Unavailable::DiskFull),
        _ => None,
    };
    std::iter::successors(Some(error), |e| e.source()).find_map(|e| {
        if let Some(StoreError::Database(inner)) = e.downcast_ref::<StoreError>() {
            return classify(inner);
        }
        e.downcast_ref::<rusqlite::Error>().and_then(classify)
    })
}
