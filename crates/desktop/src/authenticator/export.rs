//! Leaving (or backing up): the vault's accounts as a file another app reads — an encrypted
//! Aegis vault, or a plain `otpauth://` list — or as Google Authenticator transfer QR codes
//! for a phone, or one account's own QR code (its `otpauth://` URI) for any app. The secrets are read from the keyring for the export only; what is returned
//! is the caller's to write or show (never to a log).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::AuthError;
use super::service::Authenticator;
use twofold_core::export::{aegis, google_migration, uri_list, ExportError};

/// Google Authenticator transfer codes as PNG images, in order, and the accounts left out.
pub struct TransferCodes {
    pub images: Vec<Zeroizing<Vec<u8>>>,
    /// (account, reason) for each account the format cannot carry.
    pub skipped: Vec<(String, String)>,
}

/// The formats an export can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Aegis's encrypted vault (scrypt + AES-256-GCM), password required.
    Aegis,
    /// `otpauth://` URIs, one per line: every secret in clear text.
    UriList,
}

impl Authenticator {
    /// The whole vault in `format`. All or nothing: if one secret cannot be read (keyring
    /// locked, an item missing), the export fails and says which, rather than leaving an
    /// account out of a file someone may rely on as their only copy.
    pub fn export(
        &self,
        format: ExportFormat,
        password: Option<&str>,
    ) -> Result<Zeroizing<String>, AuthError> {
        let accounts = self.with_vault(|v| v.export_all())?;
        match format {
            ExportFormat::Aegis => {
                let password = password.unwrap_or("");
                Ok(aegis::export(&accounts, password, &mut rand::rngs::OsRng)?)
            }
            ExportFormat::UriList if accounts.is_empty() => Err(ExportError::NoAccounts.into()),
            ExportFormat::UriList => Ok(uri_list::export(&accounts)),
        }
    }

    /// The vault as Google Authenticator transfer QR codes (several when the accounts do not
    /// fit one), each a PNG a phone can scan from the screen.
    pub fn transfer_codes(&self) -> Result<TransferCodes, AuthError> {
        use rand::Rng;
        let accounts = self.with_vault(|v| v.export_all())?;
        if accounts.is_empty() {
            return Err(ExportError::NoAccounts.into());
        }
        let transfer = google_migration::export(&accounts, rand::thread_rng().gen());
        if transfer.uris.is_empty() {
            return Err(ExportError::NoAccounts.into());
        }
        let images = transfer.uris.iter().map(|uri| qr_png(uri)).collect::<Result<_, _>>()?;
        Ok(TransferCodes { images, skipped: transfer.skipped })
    }

    /// One account's QR code (a PNG of its `otpauth://` URI), as the site that issued it
    /// showed it: any authenticator app scans it. The secret is read for this only.
    pub fn account_qr(&self, id: &str) -> Result<Zeroizing<Vec<u8>>, AuthError> {
        let auth = self.with_vault(|v| v.export_one(id))?;
        qr_png(&auth.to_uri())
    }
}

/// Where an export was written, and how many accounts it holds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Written {
    pub path: String,
    pub accounts: usize,
}

impl Authenticator {
    /// Writes the whole vault in `format` to `path` (see [`write_private`]); a file already
    /// there is replaced only with `replace`.
    pub fn export_to(
        &self,
        format: ExportFormat,
        password: Option<&str>,
        path: &Path,
        replace: bool,
    ) -> Result<Written, AuthError> {
        let shown = path.display().to_string();
        if path.exists() && !replace {
            return Err(AuthError::ExportExists { path: shown });
        }
        let accounts = self.with_vault(|v| v.accounts())?.len();
        let text = self.export(format, password)?;
        write_private(path, text.as_bytes())
            .map_err(|e| AuthError::WriteFailed { path: shown.clone(), detail: e.to_string() })?;
        Ok(Written { path: shown, accounts })
    }
}

/// Where the app proposes to write an export: the home folder (or `$TWOFOLD_EXPORT_DIR`),
/// named after the format and the date.
pub fn suggested_export_path(format: ExportFormat, home: Option<PathBuf>, date: &str) -> PathBuf {
    let name = match format {
        ExportFormat::Aegis => format!("twofold-export-{date}.json"),
        ExportFormat::UriList => format!("twofold-export-{date}-UNENCRYPTED.txt"),
    };
    home.unwrap_or_else(|| PathBuf::from(".")).join(name)
}

/// Today's date in UTC as `YYYY-MM-DD`, for export file names.
pub fn today_utc() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    twofold_core::dates::utc_date(now)
}

/// Writes `bytes` to `path` through a 0600 temporary file in the same folder, flushed and
/// renamed into place once complete: a failed write leaves no half file, and the secrets are
/// never readable by others, not even while being written.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let tmp = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A QR code of `text` as a PNG, with a quiet zone and modules large enough for a phone.
fn qr_png(text: &str) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AuthError::Internal(format!("the text does not fit a QR code: {e}")))?;
    let image = code.render::<image::Luma<u8>>().module_dimensions(6, 6).quiet_zone(true).build();
    let mut png = Zeroizing::new(Vec::new());
    image
        .write_to(&mut std::io::Cursor::new(&mut *png), image::ImageFormat::Png)
        .map_err(|e| AuthError::Internal(format!("encoding the QR image: {e}")))?;
    Ok(png)
}
