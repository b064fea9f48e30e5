//! Leaving (or backing up): the vault's accounts as a file another app reads — an encrypted
//! Aegis vault, or a plain `otpauth://` list — or as Google Authenticator transfer QR codes
//! for a phone, or one account's own QR code (its `otpauth://` URI) for any app. The secrets are read from the keyring for the export only; what is returned
//! is the caller's to write or show (never to a log).

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
