//! twofold-vault: the desktop authenticator's accounts. Metadata (issuer, name, algorithm,
//! digits, period or counter, order, creation time) in a SQLite file in a directory the app
//! chooses; each secret only in the OS keyring. Computes the code list and issues HOTP codes.
//!
//! Leaves out Tauri, the UI, the clipboard, the clock (times are passed in) and parsing of
//! URIs, QR codes and exports (the core and scanner crates do that and hand over an
//! [`twofold_core::OtpAuth`]).
//!
//! Typical use from the app:
//! ```no_run
//! use std::sync::Arc;
//! use twofold_vault::{KeyringStore, Vault};
//! # fn main() -> Result<(), twofold_vault::VaultError> {
//! let mut vault = Vault::open("/path/to/app-data", Arc::new(KeyringStore::new()))?;
//! let uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
//! let auth = twofold_core::OtpAuth::parse(uri).expect("valid URI");
//! vault.add(&auth, 1_700_000_000)?;
//! for row in vault.list_with_codes(1_700_000_000)? {
//!     println!("{:?} {} {:?}", row.issuer, row.account, row.grouped);
//! }
//! # Ok(()) }
//! ```

mod account;
mod bounded;
mod codes;
mod db;
mod error;
mod keyring_store;
mod secret_store;
mod vault;

pub use account::{matches_query, Account};
pub use codes::{AccountCode, CodeKind, NEXT_CODE_WINDOW_SECS};
pub use db::DATABASE_FILE;
pub use error::{Result, VaultError};
pub use keyring_store::{KeyringStore, DEFAULT_TIMEOUT, SERVICE};
pub use secret_store::{MemoryStore, SecretStore};
pub use vault::{Vault, ORPHAN_GRACE_SECS};
