//! Importers for other authenticator apps' exports: pure parsers from the exported bytes (and
//! a password, for encrypted backups) to [`OtpAuth`] accounts, one submodule per format, and
//! [`detect_and_import`], which sniffs the format first.
//!
//! Some apps have no export, and their token store, taken from a rooted phone, is what the user
//! has: those stores that are Android preference XML (Authy, FreeOTP 1 and FreeOTP+, Battle.net,
//! TOTP Authenticator) are read through a small strict parser of that XML, and FreeOTP 2's
//! Java-serialized one through a small strict reader of that. Leaves out reading
//! files, prompting for passwords and storing the result (the desktop app's job), app-internal
//! SQLite databases, and formats not listed in [`Format`]. Secrets go straight into [`crate::Secret`]; decrypted plaintext is held in
//! `Zeroizing` buffers. Strings serde_json builds while parsing are best effort: secrets are
//! deserialized into `Zeroizing` where the format allows.
//!
//! An entry that cannot be imported on its own (an OTP type Twofold does not support, a secret
//! that is not base32, 4 digits…) does not fail the file: it lands in [`ImportReport::skipped`]
//! with a reason, so the user sees what was left behind. Only a file that cannot be read at all
//! is an [`ImportError`].
//!
//! # Files not read, and why
//!
//! Files of the shared test corpus (`shared/corpus/imports/`) that no importer here reads:
//!
//! - (The app-internal SQLite databases `google_authenticator.sqlite`,
//!   `microsoft_authenticator.sqlite` and `stratum_internal.db` are read: the desktop crate
//!   reads their tables and [`app_databases`] maps them.)
//! - `authenticator_plus.zip`: a ZipCrypto-encrypted zip around a SQLCipher database; needs a
//!   zip reader, ZipCrypto and SQLCipher, none of which the core has.

pub mod aegis;
pub mod andotp;
pub mod app_databases;
pub mod authy;
pub mod battle_net;
pub mod bitwarden;
mod crypto;
pub mod duo;
pub mod ente;
pub mod freeotp;
pub mod freeotp_plus;
pub mod freeotp_v2;
pub mod google_migration;
mod json;
mod prefs;
pub mod proton;
pub mod steam;
pub mod stratum;
pub mod totp_authenticator;
pub mod twofas;
pub mod uri_list;

use std::fmt;

use crate::otp::{self, Algorithm};
use crate::secret::Secret;
use crate::uri::{OtpAuth, OtpKind, STEAM_DIGITS};

/// The export formats Twofold reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Google Authenticator's "Transfer accounts" QR codes, `otpauth-migration://offline?data=…`.
    GoogleMigration,
    /// Aegis Authenticator vault export, plain or encrypted.
    Aegis,
    /// 2FAS Authenticator `.2fas` backup (schema 1 to 4), plain or encrypted.
    TwoFas,
    /// andOTP JSON backup, or its encrypted `.bin` (both key derivations).
    AndOtp,
    /// Bitwarden password-manager export (unencrypted JSON or CSV) with TOTP fields.
    Bitwarden,
    /// FreeOTP+ JSON export.
    FreeOtpPlus,
    /// Ente Auth plain-text export (otpauth URIs with extra parameters).
    EnteAuth,
    /// A text file of `otpauth://` URIs, one per line.
    UriList,
    /// Stratum (formerly Authenticator Pro) unencrypted JSON backup.
    Stratum,
    /// Proton Authenticator JSON export.
    Proton,
    /// Authy's token store (Android preference XML), with plain or encrypted secrets.
    Authy,
    /// FreeOTP 1's token store `tokens.xml` (FreeOTP+ keeps the same file).
    FreeOtp,
    /// FreeOTP 2's encrypted token store (a Java-serialized map).
    FreeOtp2,
    /// Duo Mobile's `accounts.json`.
    Duo,
    /// The Battle.net app's authenticator preferences (masked secret and serial).
    BattleNet,
    /// steamguard-cli / Steam Desktop Authenticator maFile(s).
    Steam,
    /// TOTP Authenticator: the encrypted backup, or the app's internal preference file.
    TotpAuthenticator,
    /// Google Authenticator's internal database (`databases`, SQLite).
    GoogleAuthenticatorDb,
    /// Microsoft Authenticator's internal database (`PhoneFactor`, SQLite).
    MicrosoftAuthenticator,
}

impl Format {
    /// Human-readable name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Format::GoogleMigration => "Google Authenticator export",
            Format::Aegis => "Aegis",
            Format::TwoFas => "2FAS",
            Format::AndOtp => "andOTP",
            Format::Bitwarden => "Bitwarden",
            Format::FreeOtpPlus => "FreeOTP+",
            Format::EnteAuth => "Ente Auth",
            Format::UriList => "otpauth URI list",
            Format::Stratum => "Stratum",
            Format::Proton => "Proton Authenticator",
            Format::Authy => "Authy",
            Format::FreeOtp => "FreeOTP",
            Format::FreeOtp2 => "FreeOTP 2",
            Format::Duo => "Duo Mobile",
            Format::BattleNet => "Battle.net Authenticator",
            Format::Steam => "Steam Guard (steamguard-cli)",
            Format::TotpAuthenticator => "TOTP Authenticator",
            Format::GoogleAuthenticatorDb => "Google Authenticator database",
            Format::MicrosoftAuthenticator => "Microsoft Authenticator",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a whole file could not be imported. Never carries secret material.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    #[error("the file is not an export format Twofold knows")]
    UnknownFormat,
    #[error("this {format} backup is encrypted: a password is needed")]
    PasswordRequired { format: Format },
    #[error("wrong password for this {format} backup (or the file is damaged)")]
    WrongPassword { format: Format },
    #[error("this {format} file is damaged: {reason}")]
    Malformed { format: Format, reason: String },
    #[error("this {format} file is cut short")]
    Truncated { format: Format },
    #[error("this {format} file uses something Twofold does not support: {what}")]
    Unsupported { format: Format, what: String },
    /// An SQLite file that SQLite itself cannot read (cut short, damaged, encrypted).
    #[error("this SQLite database cannot be read: {reason}")]
    UnreadableDatabase { reason: String },
}

impl ImportError {
    pub(crate) fn malformed(format: Format, reason: impl Into<String>) -> ImportError {
        ImportError::Malformed { format, reason: reason.into() }
    }

    pub(crate) fn unsupported(format: Format, what: impl Into<String>) -> ImportError {
        ImportError::Unsupported { format, what: what.into() }
    }
}

/// An entry of the file that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// What the user would recognise the entry by ("Issuer (account)"); never the secret.
    pub label: String,
    pub reason: String,
}

/// The outcome of importing one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub format: Format,
    /// Imported accounts, in file order.
    pub accounts: Vec<OtpAuth>,
    pub skipped: Vec<Skipped>,
}

impl ImportReport {
    pub(crate) fn new(format: Format) -> ImportReport {
        ImportReport { format, accounts: Vec::new(), skipped: Vec::new() }
    }

    /// Records one entry's outcome: the account, or the reason it was skipped.
    pub(crate) fn push(&mut self, label: impl FnOnce() -> String, entry: Result<OtpAuth, String>) {
        match entry {
            Ok(account) => self.accounts.push(account),
            Err(reason) => self.skipped.push(Skipped { label: label(), reason }),
        }
    }
}

/// Sniffs which app wrote `bytes` and imports it. `password` is only used by encrypted
/// backups; giving one for a plain file does no harm.
///
/// Sniffing looks at markers each app always writes (Aegis's `header`/`db`, 2FAS's
/// `schemaVersion`, Bitwarden's `items` or CSV header, the preference names of each app's
/// token store…), so a truncated file still reaches its own parser and gets
/// [`ImportError::Truncated`] rather than `UnknownFormat`. Text that is nothing but base64 of
/// whole AES blocks is taken for a TOTP Authenticator backup; a Java serialization stream for
/// FreeOTP 2's token store. Binary input without a known
/// header is taken for an encrypted andOTP backup, the one format here without a signature.
pub fn detect_and_import(
    bytes: &[u8],
    password: Option<&str>,
) -> Result<ImportReport, ImportError> {
    if stratum::is_encrypted(bytes) {
        return stratum::import(bytes, password);
    }
    if freeotp_v2::is_serialized(bytes) {
        return freeotp_v2::import(bytes, password);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
        Err(_) => return andotp::import_encrypted(bytes, password),
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let has = |key: &str| text.contains(&format!("\"{key}\""));
        return if has("schemaVersion") || has("servicesEncrypted") || has("services") {
            twofas::import(bytes, password)
        } else if has("header") && has("db") {
            aegis::import(bytes, password)
        } else if has("tokenOrder") || has("issuerExt") {
            freeotp_plus::import(bytes)
        } else if has("Authenticators") {
            stratum::import_json(bytes)
        } else if has("items") && (has("login") || has("encrypted")) {
            bitwarden::import_json(bytes)
        } else if has("entries") && has("content") {
            proton::import(bytes)
        } else if has("shared_secret") {
            steam::import(bytes)
        } else if has("otpGenerator") {
            duo::import(bytes)
        } else if trimmed.starts_with('[') {
            andotp::import_json(bytes)
        } else {
            Err(ImportError::UnknownFormat)
        };
    }
    if prefs::looks_like_prefs(text) {
        return import_prefs(bytes, text, password);
    }
    if bitwarden::looks_like_csv(text) {
        return bitwarden::import_csv(bytes);
    }
    if text.contains("otpauth://") || text.contains("otpauth-migration://") {
        return if ente::looks_like_ente(text) {
            ente::import(bytes)
        } else {
            uri_list::import(bytes)
        };
    }
    if text.trim().is_empty() {
        return Err(ImportError::UnknownFormat);
    }
    if totp_authenticator::looks_like_backup(text) {
        return totp_authenticator::import_backup(bytes, password);
    }
    // Printable text that matched nothing above is not an andOTP ciphertext.
    if text.chars().all(|c| !c.is_control() || c.is_whitespace()) {
        return Err(ImportError::UnknownFormat);
    }
    andotp::import_encrypted(bytes, password)
}

/// Android preference XML: which app's it is, by the entry names each app always writes.
fn import_prefs(
    bytes: &[u8],
    text: &str,
    password: Option<&str>,
) -> Result<ImportReport, ImportError> {
    if authy::looks_like_authy(text) {
        authy::import(bytes, password)
    } else if battle_net::looks_like_battle_net(text) {
        battle_net::import(bytes)
    } else if totp_authenticator::looks_like_internal(text) {
        totp_authenticator::import_internal(bytes)
    } else if freeotp::looks_like_freeotp(text) {
        freeotp::import(bytes)
    } else {
        Err(ImportError::UnknownFormat)
    }
}

/// The OTP type as exporters name it, before validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawKind {
    Totp,
    Hotp,
    Steam,
}

impl RawKind {
    /// Reads the type names exporters use (`totp`, `HOTP`, `Steam`…); anything else (mOTP,
    /// Yandex, Yubikey…) is returned as the skip reason.
    pub(crate) fn parse(name: &str) -> Result<RawKind, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "totp" => Ok(RawKind::Totp),
            "hotp" => Ok(RawKind::Hotp),
            "steam" => Ok(RawKind::Steam),
            other => Err(format!("unsupported OTP type {other:?}")),
        }
    }
}

/// Fields of one entry as a format gives them, checked and turned into an [`OtpAuth`] by
/// [`RawEntry::build`]. Absent fields take the Key Uri Format defaults.
#[derive(Debug)]
pub(crate) struct RawEntry {
    pub issuer: Option<String>,
    pub account: String,
    pub secret: Result<Secret, String>,
    pub algorithm: Option<String>,
    pub digits: Option<u64>,
    pub kind: RawKind,
    pub period: Option<u64>,
    pub counter: Option<u64>,
}

impl RawEntry {
    pub(crate) fn new(issuer: Option<String>, account: String, kind: RawKind) -> RawEntry {
        RawEntry {
            issuer: issuer.map(|i| i.trim().to_string()).filter(|i| !i.is_empty()),
            account: account.trim().to_string(),
            secret: Err("the entry has no secret".into()),
            algorithm: None,
            digits: None,
            kind,
            period: None,
            counter: None,
        }
    }

    /// "Issuer (account)" for the skipped list.
    pub(crate) fn label(&self) -> String {
        label(self.issuer.as_deref(), &self.account)
    }

    pub(crate) fn build(self) -> Result<OtpAuth, String> {
        let secret = self.secret?;
        // An entry without an account name (Bitwarden items with neither name nor username,
        // Aegis entries with `"name": ""`) is named after its issuer, as the exporting app
        // listed it; with neither it cannot be told apart from any other entry, has no valid
        // URI and the vault refuses it, so it is skipped (fuzz finding F2).
        let issuer = self.issuer;
        let account = if self.account.trim().is_empty() {
            match issuer.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
                Some(name) => name.to_string(),
                None => return Err("the entry has no name (neither account nor issuer)".into()),
            }
        } else {
            self.account
        };
        let algorithm = match self.algorithm.as_deref().map(str::trim) {
            None | Some("") => Algorithm::Sha1,
            Some(name) => name.parse().map_err(|_| format!("unsupported algorithm {name:?}"))?,
        };
        let period = self.period.unwrap_or(30);
        if period == 0 && self.kind != RawKind::Hotp {
            return Err("the period is zero".into());
        }
        let (kind, digits) = match self.kind {
            // Steam's servers always use 30 s, whatever an exporter wrote.
            RawKind::Steam => (OtpKind::Steam { period: 30 }, STEAM_DIGITS),
            RawKind::Totp | RawKind::Hotp => {
                let digits = self.digits.unwrap_or(6);
                let digits = u32::try_from(digits)
                    .ok()
                    .filter(|d| otp::DIGITS.contains(d))
                    .ok_or_else(|| format!("{digits} digits is not supported (6 to 8 are)"))?;
                let kind = if self.kind == RawKind::Hotp {
                    OtpKind::Hotp { counter: self.counter.unwrap_or(0) }
                } else {
                    OtpKind::Totp { period }
                };
                (kind, digits)
            }
        };
        Ok(OtpAuth { issuer, account, secret, algorithm, digits, kind })
    }
}

pub(crate) fn label(issuer: Option<&str>, account: &str) -> String {
    match issuer.filter(|i| !i.is_empty()) {
        Some(issuer) if !account.is_empty() => format!("{issuer} ({account})"),
        Some(issuer) => issuer.to_string(),
        None if account.is_empty() => "(unnamed entry)".to_string(),
        None => account.to_string(),
    }
}

/// Base32 secret text as a [`Secret`], with the error as a skip reason.
pub(crate) fn base32_secret(text: &str) -> Result<Secret, String> {
    Secret::from_base32(text).map_err(|e| e.to_string())
}
