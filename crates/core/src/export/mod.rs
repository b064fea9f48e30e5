//! Exports of the vault's accounts to formats other apps read, so nobody is locked in:
//! [`aegis`] (an encrypted vault Aegis imports as a backup, and Twofold's importer reads back),
//! [`google_migration`] (Google Authenticator's transfer QR codes, to move accounts to a phone)
//! and [`uri_list`] (plain `otpauth://` URIs, one per line, that almost every app imports —
//! unencrypted, so the caller warns before writing one).
//!
//! Pure functions from accounts (and an RNG for the encrypted one) to the file's text.

pub mod aegis;
pub mod google_migration;
pub mod uri_list;

pub use aegis::ExportError;
