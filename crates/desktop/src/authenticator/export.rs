//! Leaving (or backing up): the vault's accounts as a file another app reads — an encrypted
//! Aegis vault, or a plain `otpauth://` list. The secrets are read from the keyring for the
//! export only; the text returned is the caller's to write (never to a log).

use zeroize::Zeroizing;

use super::error::AuthError;
use super::service::Authenticator;
use twofold_core::export::{aegis, uri_list, ExportError};

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
}
