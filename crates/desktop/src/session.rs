//! [`AdminSession`]: the Admin mode's connection as the app holds it between commands — which
//! portal, whether it answered, and the client that carries the token. Every admin command
//! of the app is one call here, so the whole flow is testable without a window.
//!
//! Finding a token, in order: the one just pasted; for a loopback URL, a local portal's token
//! file ([`crate::connection::local_token`]); the one kept in the keyring for that URL. A
//! pasted token that works is saved to the keyring; the UI never receives a token back.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Serialize, Serializer};
use zeroize::Zeroizing;

use crate::admin::model::*;
use crate::admin::{normalize_admin_url, AdminClient, AdminError};
use crate::connection::local_token::{find_local_tokens, LocalToken};
use crate::connection::settings::{self, Settings};
use crate::connection::token_store::TokenStore;

/// Longest wait for the keyring: a locked keyring can show a prompt nobody answers.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the token in use came from (shown so the admin knows what "forget" will do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// Read from a local portal's data directory.
    LocalFile,
    /// Kept in the OS keyring from an earlier run.
    Keyring,
    /// Pasted in this run.
    Entered,
}

/// What the UI knows about the connection: never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionInfo {
    /// `scheme://host:port` of the admin API.
    pub url: String,
    pub connected: bool,
    pub token_source: Option<TokenSource>,
    /// The token file used, for [`TokenSource::LocalFile`].
    pub token_file: Option<String>,
    /// Set when a pasted token works but could not be kept in the keyring.
    pub keyring_warning: Option<String>,
}

/// A failure as the UI shows it: `kind` picks the message and remedy, `message` is the
/// detail line (English, from the error itself).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("not connected to a portal")]
    NotConnected,
    /// No token was given and none was found locally or in the keyring.
    #[error("no admin token is known for {url}")]
    NeedsToken { url: String },
    #[error("{0}")]
    Keyring(String),
}

impl SessionError {
    /// The stable name the UI's message catalogue is keyed by.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionError::Admin(e) => match e {
                AdminError::InvalidUrl(_) => "invalid_url",
                AdminError::InvalidToken => "invalid_token",
                AdminError::Unreachable { .. } => "unreachable",
                AdminError::Unauthorized { .. } => "unauthorized",
                AdminError::Tls { .. } => "tls",
                AdminError::Server { .. } => "server",
                AdminError::BadResponse { .. } => "bad_response",
            },
            SessionError::NotConnected => "not_connected",
            SessionError::NeedsToken { .. } => "needs_token",
            SessionError::Keyring(_) => "keyring",
        }
    }
}

impl Serialize for SessionError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // A refusal also carries the portal's error code and parameters, so the UI picks
        // its own translated sentence instead of parsing the English message.
        let empty = std::collections::BTreeMap::new();
        let (status, code, params) = match self {
            SessionError::Admin(AdminError::Server { status, code, params, .. }) => {
                (Some(*status), Some(code.as_str()).filter(|c| !c.is_empty()), params)
            }
            _ => (None, None, &empty),
        };
        let mut s = serializer.serialize_struct("SessionError", 5)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.serialize_field("status", &status)?;
        s.serialize_field("code", &code)?;
        s.serialize_field("params", params)?;
        s.end()
    }
}

struct Current {
    client: Option<Arc<AdminClient>>,
    info: ConnectionInfo,
}

/// The Admin mode's connection and its operations.
pub struct AdminSession {
    config_dir: PathBuf,
    tokens: Arc<dyn TokenStore>,
    local_tokens: Box<dyn Fn() -> Vec<LocalToken> + Send + Sync>,
    actor: Option<String>,
    current: Mutex<Current>,
}

impl AdminSession {
    /// A session keeping its settings in `config_dir` and pasted tokens in `tokens`, looking
    /// for local tokens where [`find_local_tokens`] does.
    pub fn new(config_dir: PathBuf, tokens: Arc<dyn TokenStore>) -> AdminSession {
        AdminSession::with_local_tokens(config_dir, tokens, Box::new(find_local_tokens))
    }

    /// As [`AdminSession::new`], with the local token search given (tests).
    pub fn with_local_tokens(
        config_dir: PathBuf,
        tokens: Arc<dyn TokenStore>,
        local_tokens: Box<dyn Fn() -> Vec<LocalToken> + Send + Sync>,
    ) -> AdminSession {
        let url = settings::initial_admin_url(&config_dir);
        let url = normalize_admin_url(&url).map(|u| display(&u)).unwrap_or(url);
        let actor = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).ok();
        let info = ConnectionInfo {
            url,
            connected: false,
            token_source: None,
            token_file: None,
            keyring_warning: None,
        };
        AdminSession {
            config_dir,
            tokens,
            local_tokens,
            actor,
            current: Mutex::new(Current { client: None, info }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        // A panic elsewhere while holding this lock leaves plain data behind; keep going.
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The connection as it stands.
    pub fn info(&self) -> ConnectionInfo {
        self.lock().info.clone()
    }

    /// The connected client, or [`SessionError::NotConnected`].
    pub fn client(&self) -> Result<Arc<AdminClient>, SessionError> {
        self.lock().client.clone().ok_or(SessionError::NotConnected)
    }

    /// Connects to `url` with `token` if given, else with a token found locally or in the
    /// keyring. Succeeds only when the portal answered `status` with that token.
    pub async fn connect(
        &self,
        url: &str,
        token: Option<String>,
    ) -> Result<ConnectionInfo, SessionError> {
        let token = token.map(Zeroizing::new).filter(|t| !t.trim().is_empty());
        let normalized = normalize_admin_url(url)?;
        let shown = display(&normalized);
        let loopback = crate::admin::url_is_loopback(&normalized);
        self.disconnect();
        {
            self.lock().info.url = shown.clone();
        }

        if let Some(token) = token {
            let client = self.make_client(&shown, &token)?;
            token_accepted(client.status().await)?;
            let warning = self.keep_token(&shown, &token).await.err().map(|e| e.to_string());
            return Ok(self.connected(client, TokenSource::Entered, None, warning));
        }

        let mut refused = false;
        if loopback {
            for local in (self.local_tokens)() {
                let client = self.make_client(&shown, &local.token)?;
                match token_accepted(client.status().await) {
                    Ok(()) => {
                        let file = Some(local.path.display().to_string());
                        return Ok(self.connected(client, TokenSource::LocalFile, file, None));
                    }
                    Err(AdminError::Unauthorized { .. }) => refused = true,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let kept = self.keyring_load(&shown).await;
        if let Ok(Some(token)) = kept {
            let client = self.make_client(&shown, &token)?;
            match token_accepted(client.status().await) {
                Ok(()) => return Ok(self.connected(client, TokenSource::Keyring, None, None)),
                Err(AdminError::Unauthorized { .. }) => refused = true,
                Err(e) => return Err(e.into()),
            }
        }
        if refused {
            return Err(AdminError::Unauthorized { url: shown }.into());
        }
        // No token to try: still ask the server, so that a wrong address reads as
        // "unreachable" rather than "paste a token". A 401 means an admin API is there.
        match self.make_client(&shown, "no-token-yet")?.status().await {
            Err(AdminError::Unauthorized { .. }) | Ok(_) => {
                Err(SessionError::NeedsToken { url: shown })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Drops the client (the token in memory with it).
    pub fn disconnect(&self) {
        let mut current = self.lock();
        current.client = None;
        current.info.connected = false;
        current.info.token_source = None;
        current.info.token_file = None;
        current.info.keyring_warning = None;
    }

    /// Disconnects and deletes the keyring entry of the current URL.
    pub async fn forget_token(&self) -> Result<ConnectionInfo, SessionError> {
        let url = self.info().url;
        self.disconnect();
        let tokens = self.tokens.clone();
        run_keyring(move || tokens.delete(&url)).await?;
        Ok(self.info())
    }

    fn make_client(&self, url: &str, token: &str) -> Result<Arc<AdminClient>, SessionError> {
        Ok(Arc::new(AdminClient::new(url, token)?.with_actor(self.actor.clone())))
    }

    fn connected(
        &self,
        client: Arc<AdminClient>,
        source: TokenSource,
        file: Option<String>,
        warning: Option<String>,
    ) -> ConnectionInfo {
        let url = client.url().to_string();
        // The address is remembered only once it worked; failing to write it is harmless.
        let _ = settings::save(&self.config_dir, &Settings { admin_url: Some(url.clone()) });
        let mut current = self.lock();
        current.client = Some(client);
        current.info = ConnectionInfo {
            url,
            connected: true,
            token_source: Some(source),
            token_file: file,
            keyring_warning: warning,
        };
        current.info.clone()
    }

    async fn keep_token(&self, url: &str, token: &str) -> Result<(), SessionError> {
        let tokens = self.tokens.clone();
        let (url, token) = (url.to_string(), Zeroizing::new(token.to_string()));
        run_keyring(move || tokens.save(&url, &token)).await
    }

    async fn keyring_load(&self, url: &str) -> Result<Option<Zeroizing<String>>, SessionError> {
        let tokens = self.tokens.clone();
        let url = url.to_string();
        run_keyring(move || tokens.load(&url)).await
    }

    // The operations of the Admin screens: each needs a connected client.

    pub async fn status(&self) -> Result<Status, SessionError> {
        Ok(self.client()?.status().await?)
    }
    pub async fn set_two_factor(&self, enabled: bool) -> Result<Status, SessionError> {
        Ok(self.client()?.set_two_factor(enabled).await?)
    }
    pub async fn search_directory(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<DirectoryPage, SessionError> {
        Ok(self.client()?.search_directory(query, offset, limit).await?)
    }
    pub async fn principals(&self) -> Result<Vec<PrincipalEntry>, SessionError> {
        Ok(self.client()?.principals().await?)
    }
    pub async fn add_principals(
        &self,
        principals: Vec<Principal>,
    ) -> Result<Vec<PrincipalEntry>, SessionError> {
        Ok(self.client()?.add_principals(&principals).await?)
    }
    pub async fn remove_principals(
        &self,
        principals: Vec<Principal>,
    ) -> Result<Vec<PrincipalEntry>, SessionError> {
        Ok(self.client()?.remove_principals(&principals).await?)
    }
    pub async fn users(&self) -> Result<Vec<CoveredUser>, SessionError> {
        Ok(self.client()?.users().await?)
    }
    pub async fn reset(&self, usernames: Vec<String>) -> Result<Vec<CoveredUser>, SessionError> {
        let client = self.client()?;
        client.reset(&usernames).await?;
        Ok(client.users().await?)
    }
    pub async fn unlock(&self, usernames: Vec<String>) -> Result<Vec<CoveredUser>, SessionError> {
        let client = self.client()?;
        client.unlock(&usernames).await?;
        Ok(client.users().await?)
    }
    pub async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>, SessionError> {
        Ok(self.client()?.audit(&query).await?)
    }
    pub async fn install_license(&self, text: String) -> Result<LicenseStatus, SessionError> {
        Ok(self.client()?.install_license(&text).await?)
    }
}

fn display(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

/// The token is right when the status answers, and also when the portal says it cannot
/// serve for now (its database or directory does not answer): it checks the token before it
/// asks either, so the Admin mode connects and says what is wrong instead of refusing a
/// good token.
fn token_accepted(status: Result<Status, AdminError>) -> Result<(), AdminError> {
    match status {
        Ok(_) => Ok(()),
        Err(e) if e.portal_cannot_serve_now() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs a blocking keyring call on a blocking thread, giving up after [`KEYRING_TIMEOUT`]
/// (the thread is left to finish on its own; the app stays responsive).
async fn run_keyring<T, F>(call: F) -> Result<T, SessionError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, crate::connection::token_store::TokenStoreError> + Send + 'static,
{
    match tokio::time::timeout(KEYRING_TIMEOUT, tokio::task::spawn_blocking(call)).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(e))) => Err(SessionError::Keyring(e.to_string())),
        Ok(Err(join)) => Err(SessionError::Keyring(format!("the keyring call failed: {join}"))),
        Err(_) => Err(SessionError::Keyring(format!(
            "the keyring did not answer within {} s (is it locked?)",
            KEYRING_TIMEOUT.as_secs()
        ))),
    }
}
