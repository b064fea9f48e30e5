//! The RDP gate: Remote Desktop clients cannot carry a code, so a password alone opens a
//! session only for users who do not need 2FA. Same equal-work password check and the same
//! per-address throttle as the sign-in page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use twofold_store::NewAuditEntry;

use crate::error::{ApiError, ApiJson};
use crate::password_check::{self, PasswordOutcome};
use crate::signin::Visit;
use crate::state::AppState;
use crate::{blocking, messages, ops};

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
    let deny = |reason: &str| RdpAnswer { allowed: false, reason: reason.to_string() };
    let username = request.username.trim().to_string();
    let password = zeroize::Zeroizing::new(request.password);
    let outcome = password_check::check(state, &visit.address, &username, password).await?;
    let (answer, action, subject) = match outcome {
        PasswordOutcome::AddressThrottled | PasswordOutcome::AccountThrottled => {
            return Ok(deny(&m.rdp_throttled));
        }
        PasswordOutcome::Busy => {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, m.busy.clone()));
        }
        PasswordOutcome::Rejected { user } => (deny(&m.rdp_denied_credentials), "rdp.denied", user),
        PasswordOutcome::Accepted(user) => {
            let store = state.store.clone();
            let name = user.name.clone();
            let needs =
                blocking::run(move || ops::user_needs_two_factor(store.as_ref(), &name)).await?;
            if needs {
                (deny(&m.rdp_denied_two_factor), "rdp.denied", Some(user.name))
            } else {
                let allowed = RdpAnswer { allowed: true, reason: m.rdp_allowed.clone() };
                (allowed, "rdp.allowed", Some(user.name))
            }
        }
    };
    let store = state.store.clone();
    let (now, actor, detail) = (state.now_i64(), visit.address.clone(), answer.reason.clone());
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
