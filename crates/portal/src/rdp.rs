//! The RDP gate: Remote Desktop clients cannot carry a code, so a password alone opens a
//! session only for users who do not need 2FA. Same equal-work password check and the same
//! per-address and per-account throttle as the sign-in page.
//!
//! The gate is not a public password oracle: its callers are RDP front ends (the PAM hook in
//! `cli/pam_hook.rs`), and each must present the gateway token (`DIR/gateway.token`) as a
//! bearer token. The token is checked, in constant time, before the body is read and before
//! any password is counted or hashed, so an anonymous request costs the portal nothing and
//! touches nobody's lock. An authenticated caller may name the RDP client's address
//! (`client_address`, PAM's `PAM_RHOST`): it is that address the throttle counts and the audit
//! log names, because every RDP user reaches the gate through the same front end.
//!
//! Leaves out how the front end asks (see the PAM hook) and the sign-in pages.

use std::net::IpAddr;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use twofold_store::NewAuditEntry;

use crate::error::{ApiError, ApiJson};
use crate::password_check::{self, PasswordOutcome};
use crate::signin::Visit;
use crate::state::AppState;
use crate::{blocking, messages};

#[derive(Deserialize)]
pub struct RdpRequest {
    username: String,
    password: String,
    /// The RDP client's address as the front end saw it (PAM's `PAM_RHOST`); optional.
    #[serde(default)]
    client_address: Option<String>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct RdpAnswer {
    pub allowed: bool,
    pub reason: String,
}

/// A caller that presented the gateway token. Extracted before the body, so a request without
/// the token is refused before anything else is looked at.
pub struct GatewayCaller;

impl FromRequestParts<AppState> for GatewayCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = state.gateway_token.as_ref() else {
            return Err(
                ApiError::new(StatusCode::NOT_FOUND, "the RDP gate is not enabled").into_response()
            );
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if presented.is_some_and(|token| token_matches(token, expected)) {
            return Ok(GatewayCaller);
        }
        let message = if presented.is_some() {
            "the gateway token is not valid"
        } else {
            "the RDP gate needs the gateway token (Authorization: Bearer …)"
        };
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        Err(response)
    }
}

/// Constant time in the content and in the length: both sides are hashed first, so the
/// comparison always runs over 32 bytes and a short guess does not return early.
fn token_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    bool::from(a.ct_eq(&b))
}

pub async fn authorize(
    State(state): State<AppState>,
    _caller: GatewayCaller,
    visit: Visit,
    ApiJson(request): ApiJson<RdpRequest>,
) -> Response {
    match decide(&state, &visit, request).await {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The address the throttle counts and the audit names: the front end's word for the RDP
/// client when it is an IP address, else the connection's own address.
fn client_address(visit: &Visit, named: Option<&str>) -> String {
    match named.map(str::trim).and_then(|a| a.parse::<IpAddr>().ok()) {
        Some(ip) => ip.to_string(),
        None => visit.address.clone(),
    }
}

async fn decide(
    state: &AppState,
    visit: &Visit,
    request: RdpRequest,
) -> Result<RdpAnswer, ApiError> {
    // The RDP front end is a service, not a person: its answers are in English.
    let m = messages::english();
    let deny = |reason: &str| RdpAnswer { allowed: false, reason: reason.to_string() };
    let address = client_address(visit, request.client_address.as_deref());
    let username = request.username.trim().to_string();
    let password = zeroize::Zeroizing::new(request.password);
    let outcome = password_check::check(state, &address, &username, password).await?;
    let (answer, action, subject) = match outcome {
        PasswordOutcome::AddressThrottled => return Ok(deny(&m.rdp_throttled)),
        PasswordOutcome::AccountThrottled => return Ok(deny(&m.rdp_account_throttled)),
        PasswordOutcome::Busy => {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, m.busy.clone()));
        }
        // Fail closed: no RDP session on a password the directory could not check.
        PasswordOutcome::DirectoryUnavailable => {
            (deny(&m.rdp_directory_unavailable), "rdp.denied", None)
        }
        PasswordOutcome::Rejected { user } => (deny(&m.rdp_denied_credentials), "rdp.denied", user),
        PasswordOutcome::Accepted(user) => {
            let (store, checked) = (state.store.clone(), state.clone());
            let name = user.name.clone();
            let now = state.now();
            let decided = blocking::run(move || {
                let needs = crate::directory::user_needs_two_factor(&checked, &name)?;
                // A lock from wrong codes means someone who knows the password is guessing
                // codes: the password alone must not open an RDP session meanwhile, even if
                // 2FA was since switched off for the user.
                let locked = store.enrollment(&name)?.is_some_and(|e| e.verifier.is_locked(now));
                Ok::<_, crate::blocking::WorkError>((needs, locked))
            })
            .await;
            let (needs, locked) = match decided {
                Ok(decided) => decided,
                Err(e) if crate::directory::is_unavailable(&e) => {
                    return Ok(deny(&m.rdp_directory_unavailable));
                }
                Err(e) => return Err(e.into()),
            };
            if locked {
                (deny(&m.rdp_denied_locked), "rdp.denied", Some(user.name))
            } else if needs {
                (deny(&m.rdp_denied_two_factor), "rdp.denied", Some(user.name))
            } else {
                let allowed = RdpAnswer { allowed: true, reason: m.rdp_allowed.clone() };
                (allowed, "rdp.allowed", Some(user.name))
            }
        }
    };
    let store = state.store.clone();
    let (now, actor, detail) = (state.now_i64(), address, answer.reason.clone());
    blocking::run(move || {
        store.append_audit(NewAuditEntry {
            at: now,
            actor: &actor,
            action,
            // An unknown name is not recorded: it is often a password typed in the wrong field.
            subject: subject.as_deref(),
            detail: Some(&detail),
        })
    })
    .await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn token_comparison_accepts_only_the_exact_token() {
        assert!(token_matches("abcdefghijklmnop", "abcdefghijklmnop"));
        assert!(!token_matches("abcdefghijklmno", "abcdefghijklmnop"));
        assert!(!token_matches("abcdefghijklmnopq", "abcdefghijklmnop"));
        assert!(!token_matches("", "abcdefghijklmnop"));
    }
}
