//! The sign-in flow, one file per step: [`password`] (user name and password), [`activation`]
//! (a first secret for users who need 2FA and have none), [`code`] (enrolled users' code) and
//! [`home`] (the signed-in page, sign-out, and the guard every protected request passes).
//!
//! Handlers translate HTTP to the store and the core's rules and back; the rules themselves
//! (who needs 2FA, what a valid code is, enrollment transitions) live in the core. Every
//! store call runs on a blocking thread (see `blocking`). This file holds what the steps
//! share: the visitor (language, address, cookies), sessions, throttling and audit.

// `Result<_, Response>` is how a step says "answer this instead"; boxing it buys nothing.
#![allow(clippy::result_large_err)]

mod activation;
mod code;
mod home;
mod password;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;
use serde::Deserialize;
use twofold_core::Secret;
use twofold_store::{NewAuditEntry, SessionRecord, SessionStage, StoreError, Unavailable};

pub use activation::{get_activate, get_activate_qr, post_activate};
pub use code::{get_verify, post_verify};
pub use home::{check_signed_in, get_home, post_logout, signed_in, NotSignedIn, SignedIn};
pub use password::{get_login, post_login};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::messages::{self, Messages};
use crate::pages;
use crate::session;
use crate::state::AppState;
use crate::tls::ClientAddr;
use crate::{client_address, forward_auth};

/// What a step's blocking work can fail with; the visitor sees a generic error page.
pub(crate) type Failure = Box<dyn std::error::Error + Send + Sync>;

/// What every page request carries: language, client address, cookies.
#[derive(Clone)]
pub struct Visit {
    pub m: &'static Messages,
    pub address: String,
    session_id: Option<String>,
    csrf_cookie: String,
    csrf_is_new: bool,
    /// Where the sign-in sends the visitor when it is complete (a protected page they asked
    /// for first), already checked against the protected origins.
    return_to: Option<String>,
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let m = messages::for_accept_language(
            parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
        );
        // Behind a trusted reverse proxy the client is the one its forwarding headers name;
        // anyone else's headers are ignored (see `client_address`).
        let address = parts
            .extensions
            .get::<ConnectInfo<ClientAddr>>()
            .map(|c| {
                client_address::client_ip(
                    c.0 .0.ip(),
                    &parts.headers,
                    &state.settings.trusted_proxies,
                )
                .to_string()
            })
            .unwrap_or_else(|| "unknown".to_string());
        let secure = state.settings.secure_cookies;
        let session_id = session::read_cookie(&parts.headers, session_cookie_name(state));
        let return_to = session::read_cookie_up_to(
            &parts.headers,
            session::return_cookie(secure),
            forward_auth::RETURN_URL_MAX * 4 / 3 + 4,
        )
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|url| forward_auth::allowed_return(&url, &state.settings.forward_auth));
        let (csrf_cookie, csrf_is_new) =
            match session::read_cookie(&parts.headers, session::csrf_cookie(secure)) {
                Some(c) => (c, false),
                None => (session::random_token(), true),
            };
        Ok(Visit { m, address, session_id, csrf_cookie, csrf_is_new, return_to })
    }
}

impl Visit {
    fn csrf(&self, state: &AppState) -> String {
        session::csrf_token(&state.csrf_key, &self.csrf_cookie)
    }

    fn csrf_ok(&self, state: &AppState, submitted: &str) -> bool {
        !self.csrf_is_new
            && session::csrf_valid(&state.csrf_key, Some(&self.csrf_cookie), submitted)
    }

    /// The visitor's live session and its id hash. Blocking.
    fn session(&self, state: &AppState) -> Result<Option<(Vec<u8>, SessionRecord)>, StoreError> {
        let Some(id) = self.session_id.as_deref() else { return Ok(None) };
        let hash = session::hash_id(id);
        Ok(state.store.session(&hash, state.now_i64())?.map(|record| (hash, record)))
    }

    /// A page response, with the CSRF cookie set when this visit minted it.
    fn page(&self, state: &AppState, status: StatusCode, markup: Markup) -> Response {
        let mut response = (status, markup).into_response();
        if self.csrf_is_new {
            let secure = state.settings.secure_cookies;
            let cookie = session::set_cookie(
                session::csrf_cookie(secure),
                &self.csrf_cookie,
                86400 * 30,
                secure,
            );
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }

    fn login_page(
        &self,
        state: &AppState,
        status: StatusCode,
        user: &str,
        error: &str,
    ) -> Response {
        self.page(state, status, pages::login(self.m, &self.csrf(state), user, Some(error)))
    }

    /// The answer to a failure: "try again" (503) when the store is only busy or out of
    /// space — nothing was written, and a retry works once it is back — else a generic error.
    /// Either way the details go to the log, not to the visitor.
    fn server_error(&self, state: &AppState, error: impl Into<Failure>) -> Response {
        let error: Failure = error.into();
        let (status, message) = match twofold_store::unavailable(error.as_ref()) {
            _ if crate::directory::is_unavailable(error.as_ref()) => {
                tracing::warn!(%error, "the directory could not answer");
                (StatusCode::SERVICE_UNAVAILABLE, &self.m.directory_unavailable)
            }
            Some(Unavailable::Busy) => {
                tracing::warn!(%error, "the database was busy longer than the busy timeout");
                (StatusCode::SERVICE_UNAVAILABLE, &self.m.busy)
            }
            // The visitor can only wait either way; the log says which it is.
            Some(Unavailable::Unreachable) => {
                tracing::error!(%error, "the database cannot be reached");
                (StatusCode::SERVICE_UNAVAILABLE, &self.m.busy)
            }
            Some(Unavailable::DiskFull) => {
                tracing::error!(%error, "the data directory's disk is full");
                (StatusCode::SERVICE_UNAVAILABLE, &self.m.unavailable)
            }
            None => {
                tracing::error!(%error, "sign-in request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, &self.m.server_error)
            }
        };
        let mut response = self.login_page(state, status, "", message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }

    /// The visitor's session at `stage`, or the response that sends them where they belong.
    /// Blocking.
    fn require_stage(
        &self,
        state: &AppState,
        stage: SessionStage,
    ) -> Result<(Vec<u8>, SessionRecord), Response> {
        match self.session(state) {
            Ok(Some((hash, s))) if s.stage == stage => Ok((hash, s)),
            Ok(Some((_, s))) if s.stage == SessionStage::SignedIn => Err(redirect("/")),
            Ok(_) => Err(redirect("/login")),
            // Fail closed: no session can be proven.
            Err(e) => Err(self.server_error(state, e)),
        }
    }
}

fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The session cookie's name under the configured cookie scope.
fn session_cookie_name(state: &AppState) -> &'static str {
    let s = &state.settings;
    session::scoped_session_cookie(s.secure_cookies, s.forward_auth.cookie_domain.as_deref())
}

/// The cookie of a session that may be shared with the configured cookie domain (only with
/// `Secure`: a parent-domain cookie over plain HTTP would go to every sibling host in clear).
fn session_cookie_value(state: &AppState, value: &str, ttl: u64) -> HeaderValue {
    let s = &state.settings;
    let domain = s.forward_auth.cookie_domain.as_deref().filter(|_| s.secure_cookies);
    session::set_scoped_cookie(session_cookie_name(state), value, ttl, s.secure_cookies, domain)
}

/// The answer to a sign-in that is complete: back to the protected page first asked for, or
/// the home page. Blocking-free.
fn signed_in_redirect(state: &AppState, visit: &Visit, cookie: HeaderValue) -> Response {
    match &visit.return_to {
        Some(to) => {
            let response = with_cookie(Redirect::to(to).into_response(), cookie);
            let secure = state.settings.secure_cookies;
            with_cookie(response, session::clear_cookie(session::return_cookie(secure), secure))
        }
        None => with_cookie(redirect("/"), cookie),
    }
}

/// The cookie that remembers where to return to, for the length of a pending sign-in.
fn return_cookie_value(state: &AppState, url: &str) -> HeaderValue {
    let secure = state.settings.secure_cookies;
    let value = URL_SAFE_NO_PAD.encode(url.as_bytes());
    session::set_cookie(
        session::return_cookie(secure),
        &value,
        state.settings.pending_seconds,
        secure,
    )
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Starts a session under a fresh id (the old one, if any, is dropped): the id changes at
/// every step up. Returns the cookie and the new id's hash.
fn start_session(
    state: &AppState,
    visit: &Visit,
    user: &str,
    stage: SessionStage,
    two_factor: bool,
) -> Result<(HeaderValue, Vec<u8>), StoreError> {
    if let Some(old) = visit.session_id.as_deref() {
        state.store.delete_session(&session::hash_id(old))?;
    }
    let id = session::random_token();
    let hash = session::hash_id(&id);
    let now = state.now_i64();
    let ttl = match stage {
        SessionStage::SignedIn => state.settings.session_seconds,
        SessionStage::Code | SessionStage::Activate => state.settings.pending_seconds,
    };
    state.store.create_session(&hash, user, stage, two_factor, now, now + ttl as i64)?;
    Ok((session_cookie_value(state, &id, ttl), hash))
}

/// The response that ends the visitor's session cookie.
fn clear_session_cookie(state: &AppState, response: Response) -> Response {
    with_cookie(response, session_cookie_value(state, "", 0))
}

/// A fresh pending secret, shown only to the session `owner`.
fn issue_secret(state: &AppState, user: &str, owner: &[u8]) -> Result<(), StoreError> {
    let secret = Secret::generate(&mut rand::rngs::OsRng);
    state.store.issue_pending(user, &secret, owner, state.now_i64())
}

fn audit(state: &AppState, actor: &str, action: &str, subject: Option<&str>, detail: Option<&str>) {
    let entry = NewAuditEntry { at: state.now_i64(), actor, action, subject, detail };
    if let Err(e) = state.store.append_audit(entry) {
        tracing::error!(error = %e, action, "writing the audit log failed");
    }
}

/// Counts a code attempt against the visitor's address before the code is checked; `false`
/// when the address is at its limit. Blocking.
fn reserve_code_attempt(state: &AppState, visit: &Visit) -> Result<bool, StoreError> {
    let s = &state.settings;
    state.store.reserve_attempt(
        &visit.address,
        s.address_limit,
        state.now_i64(),
        s.address_window as i64,
    )
}

/// Gives back a reserved code attempt that was not a failure. Blocking.
fn release_code_attempt(state: &AppState, visit: &Visit) -> Result<(), StoreError> {
    let window = state.settings.address_window as i64;
    state.store.release_attempt(&visit.address, state.now_i64(), window)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `/login?rd=URL`: the protected page a proxy sent the visitor from.
#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    rd: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}
