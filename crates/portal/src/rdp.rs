//! The RDP gate: Remote Desktop clients cannot carry a code, so a password alone opens a
//! session only for users who do not need 2FA. Same equal-work password check and the same
//! per-address throttle as the sign-in page.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use twofold_store::NewAuditEntry;

use crate::error::{ApiError, ApiJson};
use crate::signin::Visit;
use crate::state::AppState;
use crate::{messages, ops, passwords};

#[derive(Deserialize)]
pub struct RdpRequest {
    username: String,
    password: String,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct RdpAnswer {
    pub allowed: bool,
    pub reason: String,
}

pub async fn authorize(
    State(state): State<AppState>,
    visit: Visit,
    ApiJson(request): ApiJson<RdpRequest>,
) -> Response {
    match decide(&state, &visit, request).await {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn decide(
    state: &AppState,
    visit: &Visit,
    request: RdpRequest,
) -> Result<RdpAnswer, ApiError> {
    // The RDP front end is a service, not a person: its answers are in English.
    let m = messages::english();
    let now = state.now_i64();
    let settings = &state.settings;
    let deny = |reason: &str| RdpAnswer { allowed: false, reason: reason.to_string() };
    if state.store.address_failures(&visit.address, now, settings.address_window as i64)?
        >= settings.address_limit
    {
        return Ok(deny(&m.rdp_throttled));
    }
    let username = request.username.trim().to_string();
    let user = state.store.user(&username)?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = zeroize::Zeroizing::new(request.password);
    let ok = tokio::task::spawn_blocking(move || {
        passwords::check_password(stored.as_deref(), &password)
    })
    .await
    .unwrap_or(false);
    let subject: String = username.chars().take(128).collect();
    let (answer, action) = match user.filter(|_| ok) {
        None => {
            state.store.record_address_failure(
                &visit.address,
                now,
                settings.address_window as i64,
            )?;
            (deny(&m.rdp_denied_credentials), "rdp.denied")
        }
        Some(user) if ops::user_needs_two_factor(state.store.as_ref(), &user.name)? => {
            (deny(&m.rdp_denied_two_factor), "rdp.denied")
        }
        Some(_) => (RdpAnswer { allowed: true, reason: m.rdp_allowed.clone() }, "rdp.allowed"),
    };
    state.store.append_audit(NewAuditEntry {
        at: now,
        actor: &visit.address,
        action,
        subject: Some(&subject),
        detail: Some(&answer.reason),
    })?;
    Ok(answer)
}
