//! The code step: judging a submitted code against a user's secret (shared with activation)
//! and the enrolled users' code page.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use twofold_core::{otp::Algorithm, verifier, EnrollmentState, Verdict};
use twofold_store::{EnrollmentRecord, SessionStage, StoreError};

use super::{
    redirect, release_code_attempt, reserve_code_attempt, signed_in_redirect, start_session,
    CodeForm, Visit,
};
use crate::messages::Messages;
use crate::state::AppState;
use crate::{blocking, pages};

/// The portal issues the one parameter set every phone app supports.
const DIGITS: u32 = 6;
const PERIOD: u64 = 30;

/// What a submitted code came to, after the verifier state was stored.
pub(super) enum CodeOutcome {
    Accepted {
        step: u64,
        record: EnrollmentRecord,
    },
    Wrong,
    /// Right code, already used: refused without counting (a double submit is no attack).
    Replayed,
    Malformed,
    Locked,
    /// The enrollment changed under us (reset, activated, or a pending secret this session
    /// does not own).
    Gone,
    /// The address is at its limit; the code was not checked.
    Throttled,
}

/// Checks `code` against the user's enrollment in state `want` (for a pending secret: only
/// the one `owner` was shown), storing the verifier's new state with compare-and-set: if
/// another process changed it meanwhile, check again against the fresh state, so a code can
/// be accepted once across all portal processes. Blocking.
pub(super) fn judge_code(
    state: &AppState,
    visit: &Visit,
    user: &str,
    code: &str,
    want: EnrollmentState,
    owner: Option<&[u8]>,
) -> Result<CodeOutcome, StoreError> {
    if !reserve_code_attempt(state, visit)? {
        return Ok(CodeOutcome::Throttled);
    }
    let outcome = judge_reserved(state, user, code, want, owner)?;
    // Only wrong and malformed codes stay counted against the address.
    if !matches!(outcome, CodeOutcome::Wrong | CodeOutcome::Malformed) {
        release_code_attempt(state, visit)?;
    }
    Ok(outcome)
}

fn judge_reserved(
    state: &AppState,
    user: &str,
    code: &str,
    want: EnrollmentState,
    owner: Option<&[u8]>,
) -> Result<CodeOutcome, StoreError> {
    for _ in 0..5 {
        let now = state.now();
        let Some(record) = state
            .store
            .enrollment(user)?
            .filter(|e| e.state == want && owner.is_none_or(|owner| e.is_owned_by(owner)))
        else {
            return Ok(CodeOutcome::Gone);
        };
        let previous = record.verifier;
        let (verdict, next) = verifier::verify(
            &record.secret,
            Algorithm::Sha1,
            DIGITS,
            PERIOD,
            code,
            now,
            previous,
            &state.verifier,
        );
        let (outcome, event): (CodeOutcome, (&str, Option<&str>)) = match verdict {
            Verdict::Locked { .. } => return Ok(CodeOutcome::Locked),
            Verdict::Accepted { step } => {
                if want == EnrollmentState::Pending {
                    // Activation stores the step itself, atomically with the state change.
                    return Ok(CodeOutcome::Accepted { step, record });
                }
                (CodeOutcome::Accepted { step, record }, ("signin.code_ok", None))
            }
            Verdict::Rejected { .. } => {
                (CodeOutcome::Wrong, ("signin.code_failed", Some("wrong code")))
            }
            Verdict::Replayed => {
                (CodeOutcome::Replayed, ("signin.code_failed", Some("replayed code")))
            }
            Verdict::Malformed => {
                (CodeOutcome::Malformed, ("signin.code_failed", Some("malformed code")))
            }
        };
        let newly_locked = next.is_locked(now) && !previous.is_locked(now);
        let event = if newly_locked { ("user.lock", Some("too many wrong codes")) } else { event };
        if !state.store.update_verifier(user, &previous, &next, Some(event), now as i64)? {
            continue;
        }
        return Ok(if newly_locked { CodeOutcome::Locked } else { outcome });
    }
    Ok(CodeOutcome::Gone)
}

pub(super) fn code_error<'a>(m: &'a Messages, outcome: &CodeOutcome) -> (StatusCode, &'a str) {
    match outcome {
        CodeOutcome::Locked => (StatusCode::LOCKED, &m.locked),
        CodeOutcome::Replayed => (StatusCode::UNAUTHORIZED, &m.replayed_code),
        CodeOutcome::Malformed => (StatusCode::UNAUTHORIZED, &m.malformed_code),
        CodeOutcome::Throttled => (StatusCode::TOO_MANY_REQUESTS, &m.too_many_attempts),
        _ => (StatusCode::UNAUTHORIZED, &m.wrong_code),
    }
}

/// Marks the sign-in complete, with both factors, under a new session id. Blocking.
pub(super) fn complete_sign_in(
    state: &AppState,
    visit: &Visit,
    user: &str,
) -> Result<Response, StoreError> {
    let (cookie, _) = start_session(state, visit, user, SessionStage::SignedIn, true)?;
    state.store.record_sign_in(user, state.now_i64())?;
    Ok(signed_in_redirect(state, visit, cookie))
}

pub async fn get_verify(State(state): State<AppState>, visit: Visit) -> Response {
    blocking::respond(move || match visit.require_stage(&state, SessionStage::Code) {
        Ok(_) => {
            visit.page(&state, StatusCode::OK, pages::verify(visit.m, &visit.csrf(&state), None))
        }
        Err(r) => r,
    })
    .await
}

pub async fn post_verify(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    blocking::respond(move || verify_code(&state, &visit, form)).await
}

fn verify_code(
    state: &AppState,
    visit: &Visit,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let (_, session) = match visit.require_stage(state, SessionStage::Code) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let m = visit.m;
    let csrf = visit.csrf(state);
    let form = match form {
        Ok(Form(f)) if visit.csrf_ok(state, &f.csrf) => f,
        Ok(_) => {
            return visit.page(
                state,
                StatusCode::FORBIDDEN,
                pages::verify(m, &csrf, Some(&m.forbidden)),
            )
        }
        Err(_) => {
            return visit.page(
                state,
                StatusCode::BAD_REQUEST,
                pages::verify(m, &csrf, Some(&m.bad_form)),
            )
        }
    };
    match judge_code(state, visit, &session.user, &form.code, EnrollmentState::Active, None) {
        Ok(CodeOutcome::Accepted { .. }) => complete_sign_in(state, visit, &session.user)
            .unwrap_or_else(|e| visit.server_error(state, e)),
        // Reset while the code page was open: start over, which leads to activation.
        Ok(CodeOutcome::Gone) => redirect("/login"),
        Ok(other) => {
            let (status, message) = code_error(m, &other);
            visit.page(state, status, pages::verify(m, &csrf, Some(message)))
        }
        Err(e) => visit.server_error(state, e),
    }
}
