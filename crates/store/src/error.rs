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
    /// A PostgreSQL failure: the server unreachable or gone (temporary, see [`unavailable`])
    /// or a refused statement.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// Every connection of this process's pool stayed busy (or none could be opened) for
    /// the pool's whole wait.
    #[error("no PostgreSQL connection became free within {waited:?}")]
    PoolTimeout { waited: std::time::Duration },
    /// A shared (PostgreSQL) database holds secrets sealed with a key this server does not
    /// have: the key file is copied from a server that runs, never made anew.
    #[error(
        "the key file {path} is missing, but the database {database} holds secrets sealed \
         with a key: copy secrets.key (mode 0600) from a server already running on this \
         database, or from its backup; every server on one database needs the same file"
    )]
    SharedKeyMissing { path: String, database: String },
    #[error(
        "the key file {path} is not the key the database {database} was sealed with: copy \
         secrets.key from a server already running on this database, or from its backup"
    )]
    SharedKeyMismatch { path: String, database: String },
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
    /// Another process held the database longer than the busy timeout, or (PostgreSQL) no
    /// pooled connection came free in time, too many connections, or a serialization conflict.
    Busy,
    /// (PostgreSQL) the database server cannot be reached, went away or is shutting down or
    /// starting: an operator has to look, and every server of the portal waits for it.
    Unreachable,
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
        match e.downcast_ref::<StoreError>() {
            Some(StoreError::Database(inner)) => return classify(inner),
            Some(StoreError::Postgres(inner)) => return classify_postgres(inner),
            Some(StoreError::PoolTimeout { .. }) => return Some(Unavailable::Busy),
            _ => {}
        }
        if let Some(pg) = e.downcast_ref::<tokio_postgres::Error>() {
            return classify_postgres(pg);
        }
        e.downcast_ref::<rusqlite::Error>().and_then(classify)
    })
}

/// Temporary PostgreSQL failures: no SQLSTATE and a broken connection (refused, closed, timed
/// out, TLS), or a SQLSTATE of connection trouble (08), a server shutting down or starting
/// (57P), too many connections (53300) or a serialization failure or deadlock (40001, 40P01).
/// A refused statement (a constraint, a syntax error) is not temporary.
fn classify_postgres(e: &tokio_postgres::Error) -> Option<Unavailable> {
    match e.code().map(|c| c.code()) {
        Some("53100") => Some(Unavailable::DiskFull),
        Some(code) if code.starts_with("08") || code.starts_with("57P") => {
            Some(Unavailable::Unreachable)
        }
        Some(code) if code.starts_with("53") || code == "40001" || code == "40P01" => {
            Some(Unavailable::Busy)
        }
        Some(_) => None,
        None => {
            let io = std::iter::successors(
                std::error::Error::source(e),
                |s: &&(dyn std::error::Error + 'static)| s.source(),
            )
            .any(|s| s.is::<std::io::Error>());
            let text = e.to_string();
            let broken = e.is_closed()
                || io
                || text.starts_with("error connecting")
                || text.starts_with("error communicating")
                || text.starts_with("timeout")
                || text.starts_with("error performing TLS");
            broken.then_some(Unavailable::Unreachable)
        }
    }
}
