//! [`AdminClient`]: HTTP calls to one portal's admin API with its bearer token.
//!
//! The token lives only in this value (zeroized on drop) and in the `Authorization` header;
//! it is never formatted into an error or a log line. Requests time out, so a portal that
//! stops answering gives an error instead of a spinner forever.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use url::Url;
use zeroize::Zeroizing;

use super::model::*;
use super::url::{display_form, normalize_admin_url};
use super::AdminError;

/// Connection and whole-request time limits: the UI shows a result or an error promptly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A client of one portal's admin API.
pub struct AdminClient {
    base: Url,
    shown: String,
    token: Zeroizing<String>,
    actor: Option<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is left out on purpose.
        f.debug_struct("AdminClient").field("base", &self.shown).finish_non_exhaustive()
    }
}

impl AdminClient {
    /// A client of the admin API at `url` (see [`normalize_admin_url`]) using `token`.
    pub fn new(url: &str, token: &str) -> Result<AdminClient, AdminError> {
        let base = normalize_admin_url(url)?;
        let token = Zeroizing::new(token.trim().to_string());
        if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(AdminError::InvalidToken);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("twofold-desktop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AdminError::Unreachable {
                url: display_form(&base),
                detail: e.to_string(),
            })?;
        Ok(AdminClient { shown: display_form(&base), base, token, actor: None, http })
    }

    /// Names the person acting, for the portal's audit log (`admin:NAME`).
    pub fn with_actor(mut self, actor: Option<String>) -> AdminClient {
        self.actor = actor.filter(|a| !a.trim().is_empty());
        self
    }

    /// `scheme://host:port` of the admin API.
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// The token, for the loop check of the app's panel, which reuses the Admin connection
    /// instead of asking again. Crate-only: nothing outside this crate ever reads it back.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        // `path` is a fixed API path; only user-given values go through `query`/`json`.
        let url = self.base.join(path).unwrap_or_else(|_| self.base.clone());
        let mut req = self.http.request(method, url).bearer_auth(self.token.as_str());
        if let Some(actor) = &self.actor {
            req = req.header("x-twofold-actor", actor);
        }
        req
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, AdminError> {
        let resp = req.send().await.map_err(|e| AdminError::from_transport(&self.shown, &e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| AdminError::from_transport(&self.shown, &e))?;
        if status == StatusCode::UNAUTHORIZED {
            return Err(AdminError::Unauthorized { url: self.shown.clone() });
        }
        if !status.is_success() {
            return Err(match server_error(&body) {
                Some(ServerError { code, params, message }) => {
                    AdminError::Server { status: status.as_u16(), code, params, message }
                }
                // Every admin API answer, errors included, is JSON with an "error" field; an
                // answer without one comes from something else (the pages port, a proxy).
                None => AdminError::BadResponse {
                    url: self.shown.clone(),
                    detail: format!("HTTP {} without an admin API error body", status.as_u16()),
                },
            });
        }
        serde_json::from_slice(&body).map_err(|e| AdminError::BadResponse {
            url: self.shown.clone(),
            detail: format!(
                "HTTP {} with a body that is not the admin API's ({e})",
                status.as_u16()
            ),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdminError> {
        self.send(self.request(Method::GET, path)).await
    }

    async fn send_json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, AdminError> {
        self.send(self.request(method, path).json(body)).await
    }

    /// The 2FA switch, license and counts.
    pub async fn status(&self) -> Result<Status, AdminError> {
        self.get("api/v1/status").await
    }

    /// Turns 2FA on or off for the whole portal; answers the new status.
    pub async fn set_two_factor(&self, enabled: bool) -> Result<Status, AdminError> {
        self.send_json(Method::PUT, "api/v1/two-factor", &json!({ "enabled": enabled })).await
    }

    /// Users and groups whose name contains `query`, `limit` (at most 200) from `offset`.
    pub async fn search_directory(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<DirectoryPage, AdminError> {
        let limit = limit.clamp(1, 200).to_string();
        let offset = offset.to_string();
        let req = self.request(Method::GET, "api/v1/directory").query(&[
            ("q", query),
            ("offset", &offset),
            ("limit", &limit),
        ]);
        self.send(req).await
    }

    /// The users and groups enabled for 2FA.
    pub async fn principals(&self) -> Result<Vec<PrincipalEntry>, AdminError> {
        Ok(self.get::<Items<PrincipalEntry>>("api/v1/principals").await?.items)
    }

    /// Enables all of `principals` or none (the license may refuse); answers the new list.
    pub async fn add_principals(
        &self,
        principals: &[Principal],
    ) -> Result<Vec<PrincipalEntry>, AdminError> {
        let body = json!({ "principals": principals });
        Ok(self
            .send_json::<Items<PrincipalEntry>, _>(Method::POST, "api/v1/principals", &body)
            .await?
            .items)
    }

    /// Disables all of `principals`; answers the new list.
    pub async fn remove_principals(
        &self,
        principals: &[Principal],
    ) -> Result<Vec<PrincipalEntry>, AdminError> {
        let body = json!({ "principals": principals });
        Ok(self
            .send_json::<Items<PrincipalEntry>, _>(Method::POST, "api/v1/principals/remove", &body)
            .await?
            .items)
    }

    /// The users who need 2FA, with their enrollment state.
    pub async fn users(&self) -> Result<Vec<CoveredUser>, AdminError> {
        Ok(self.get::<Items<CoveredUser>>("api/v1/users").await?.items)
    }

    /// Discards the users' secrets: they are shown a new QR code at their next sign-in.
    pub async fn reset(&self, usernames: &[String]) -> Result<(), AdminError> {
        let _: serde_json::Value = self
            .send_json(Method::POST, "api/v1/users/reset", &json!({ "usernames": usernames }))
            .await?;
        Ok(())
    }

    /// Clears the users' failed-code lock.
    pub async fn unlock(&self, usernames: &[String]) -> Result<(), AdminError> {
        let _: serde_json::Value = self
            .send_json(Method::POST, "api/v1/users/unlock", &json!({ "usernames": usernames }))
            .await?;
        Ok(())
    }

    /// The audit log, newest first.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AdminError> {
        let mut params: Vec<(&str, String)> =
            vec![("limit", query.limit.unwrap_or(100).clamp(1, 500).to_string())];
        if let Some(user) = query.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            params.push(("user", user.to_string()));
        }
        if let Some(before) = query.before {
            params.push(("before", before.to_string()));
        }
        let req = self.request(Method::GET, "api/v1/audit").query(&params);
        Ok(self.send::<Items<AuditEntry>>(req).await?.items)
    }

    /// Creates a directory user with `password` (`POST /api/v1/users`).
    pub async fn create_user(&self, username: &str, password: &str) -> Result<(), AdminError> {
        let body = json!({ "username": username, "password": password });
        let _: serde_json::Value = self.send_json(Method::POST, "api/v1/users", &body).await?;
        Ok(())
    }

    /// Deletes a directory user with its enrollment, sessions and principal entry; answers
    /// what went with it.
    pub async fn delete_user(&self, username: &str) -> Result<DeletedUser, AdminError> {
        let mut url = self.base.join("api/v1/users/").unwrap_or_else(|_| self.base.clone());
        // One path segment, percent-encoded: a name cannot reach another endpoint.
        url.path_segments_mut()
            .map_err(|_| AdminError::InvalidUrl("the admin URL cannot take a path".into()))?
            .pop_if_empty()
            .push(username);
        let mut req = self.http.request(Method::DELETE, url).bearer_auth(self.token.as_str());
        if let Some(actor) = &self.actor {
            req = req.header("x-twofold-actor", actor);
        }
        Ok(self.send::<Deleted>(req).await?.deleted)
    }

    /// The license status alone.
    pub async fn license(&self) -> Result<LicenseStatus, AdminError> {
        self.get("api/v1/license").await
    }

    /// Installs a license file's text; an invalid file is refused and changes nothing.
    pub async fn install_license(&self, text: &str) -> Result<LicenseStatus, AdminError> {
        let req = self
            .request(Method::PUT, "api/v1/license")
            .header("content-type", "text/plain; charset=utf-8")
            .body(text.to_string());
        self.send(req).await
    }
}

/// The server's `{"error": {"code", "params", "message"}}`, each text bounded and without
/// control characters (it is shown in the UI).
struct ServerError {
    code: String,
    params: std::collections::BTreeMap<String, String>,
    message: String,
}

fn server_error(body: &[u8]) -> Option<ServerError> {
    let clean = |text: &str, max: usize| -> String {
        text.chars().filter(|c| !c.is_control()).take(max).collect()
    };
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let error = value.get("error")?;
    let message = clean(error.get("message")?.as_str()?, 500);
    let code = clean(error.get("code").and_then(|c| c.as_str()).unwrap_or(""), 64);
    let params = error
        .get("params")
        .and_then(|p| p.as_object())
        .map(|p| {
            p.iter()
                .take(16)
                .filter_map(|(k, v)| Some((clean(k, 64), clean(v.as_str()?, 500))))
                .collect()
        })
        .unwrap_or_default();
    Some(ServerError { code, params, message })
}
