//! Where a loop check's tokens come from. The admin token: a file given on the command line,
//! else found as Admin mode finds it — a portal data directory on this machine (for a
//! loopback admin URL only; [`crate::connection::local_token`]), then the token kept in the
//! OS keyring for that admin URL. The gateway token of the RDP gate: a file given, else
//! `gateway.token` beside the admin token file; none is not an error (the step is skipped).
//!
//! Leaves out asking anyone for a token: a loop check runs unattended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::admin::{normalize_admin_url, url_is_loopback, AdminClient, AdminError};
use crate::connection::local_token::LocalToken;
use crate::connection::token_store::TokenStore;

/// The portal writes its RDP gate's token here, beside `admin.token`.
pub const GATEWAY_TOKEN_FILE: &str = "gateway.token";

/// An admin token and where it was found.
pub struct FoundToken {
    pub token: Zeroizing<String>,
    /// For the report: `file /var/lib/twofold-portal/admin.token`, `the OS keyring`.
    pub source: String,
    /// The file it came from, if any (its directory is where `gateway.token` is looked for).
    pub file: Option<PathBuf>,
}

impl std::fmt::Debug for FoundToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is left out on purpose.
        f.debug_struct("FoundToken").field("source", &self.source).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the token file {path}: {detail}")]
    Unreadable { path: String, detail: String },
    #[error("the token file {0} is empty")]
    Empty(String),
    #[error("no admin token found for {url}: give --admin-token-file (looked in {looked})")]
    NotFound { url: String, looked: String },
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// Reads a token file (surrounding whitespace dropped).
pub fn read_token_file(path: &Path) -> Result<Zeroizing<String>, TokenError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        TokenError::Unreadable { path: path.display().to_string(), detail: e.to_string() }
    })?);
    let token = Zeroizing::new(text.trim().to_string());
    if token.is_empty() {
        return Err(TokenError::Empty(path.display().to_string()));
    }
    Ok(token)
}

/// The admin token from `file`.
pub fn from_file(path: &Path) -> Result<FoundToken, TokenError> {
    Ok(FoundToken {
        token: read_token_file(path)?,
        source: format!("file {}", path.display()),
        file: Some(path.to_path_buf()),
    })
}

/// The admin token as Admin mode finds it: each local token (loopback URLs only) that the
/// admin API accepts, then the keyring's entry for the URL. A token the API refuses is
/// passed over; a portal that cannot be reached is an error at once.
pub async fn find(
    admin_url: &str,
    local_tokens: Vec<LocalToken>,
    keyring: Arc<dyn TokenStore>,
) -> Result<FoundToken, TokenError> {
    let url = normalize_admin_url(admin_url)?;
    let shown = url.as_str().trim_end_matches('/').to_string();
    let mut looked = Vec::new();
    if url_is_loopback(&url) {
        for local in local_tokens {
            looked.push(local.path.display().to_string());
            let client = AdminClient::new(&shown, &local.token)?;
            match client.status().await {
                Ok(_) => {
                    return Ok(FoundToken {
                        source: format!("file {}", local.path.display()),
                        file: Some(local.path),
                        token: local.token,
                    })
                }
                Err(AdminError::Unauthorized { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    looked.push("the OS keyring".to_string());
    let key = shown.clone();
    let kept =
        tokio::task::spawn_blocking(move || keyring.load(&key)).await.ok().and_then(Result::ok);
    if let Some(Some(token)) = kept {
        return Ok(FoundToken { token, source: "the OS keyring".to_string(), file: None });
    }
    Err(TokenError::NotFound { url: shown, looked: looked.join(", ") })
}

/// The gateway token beside the admin token file, or why there is none (for the report).
pub fn gateway_beside(admin_token_file: Option<&Path>) -> Result<Zeroizing<String>, String> {
    let Some(dir) = admin_token_file.and_then(Path::parent) else {
        return Err(
            "no gateway token: the admin token did not come from a portal data directory; give --gateway-token-file"
                .to_string(),
        );
    };
    let path = dir.join(GATEWAY_TOKEN_FILE);
    read_token_file(&path).map_err(|e| format!("no gateway token ({e}); give --gateway-token-file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_token_is_read_beside_the_admin_token_or_the_reason_given() {
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("admin.token");
        std::fs::write(&admin, "a".repeat(43)).unwrap();
        let why = gateway_beside(Some(&admin)).unwrap_err();
        assert!(why.contains("gateway.token") && why.contains("--gateway-token-file"), "{why}");
        std::fs::write(dir.path().join(GATEWAY_TOKEN_FILE), "  gw-token-0123456789\n").unwrap();
        assert_eq!(gateway_beside(Some(&admin)).unwrap().as_str(), "gw-token-0123456789");
        assert!(gateway_beside(None).unwrap_err().contains("--gateway-token-file"));
    }

    #[test]
    fn an_empty_or_missing_token_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(from_file(&empty).unwrap_err().to_string().contains("empty"));
        let missing = dir.path().join("missing");
        assert!(from_file(&missing).unwrap_err().to_string().contains("missing"));
    }
}
