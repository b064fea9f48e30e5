//! Activation: the first secret of a user who needs 2FA. The pending secret belongs to the
//! session that was shown it; any other session of the same user — an attacker who knows
//! the password, or the user's own older tab — can neither see it (page or QR image) nor
//! activate it, and is told that a newer sign-in replaced its key.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use twofold_core::{EnrollmentState, OtpAuth};
use twofold_store::{EnrollmentRecord, SessionRecord, SessionStage, StoreError};

use super::code::{code_error, complete_sign_in, judge_code, CodeOutcome};
use super::{audit, clear_session_cookie, issue_secret, redirect, CodeForm, Visit};
use crate::pages::{self, ActivatePage};
use crate::state::AppState;
use crate::{blocking, qr};

/// Where a session in the activation step stands with respect to the user's enrollment.
enum Standing {
    /// This session's own pending secret.
    Mine(EnrollmentRecord),
    /// A newer sign-in replaced the key this session was shown.
    Superseded,
    /// Nothing to activate any more (the secret became active another way).
    Done,
}

/// Blocking.
fn standing(
    state: &AppState,
    hash: &[u8],
    session: &SessionRecord,
) -> Result<Standing, StoreError> {
    match state.store.enrollment(&session.user)? {
        Some(e) if e.state == EnrollmentState::Pending && e.is_owned_by(hash) => {
            Ok(Standing::Mine(e))
        }
        Some(e) if e.state == EnrollmentState::Pending => Ok(Standing::Superseded),
        Some(_) => Ok(Standing::Done),
        None => {
            // Reset while the page was open: issue a new one rather than a dead end.
            issue_secret(state, &session.user, hash)?;
            match state.store.enrollment(&session.user)? {
                Some(e) if e.is_owned_by(hash) => Ok(Standing::Mine(e)),
                _ => Ok(Standing::Superseded),
            }
        }
    }
}

/// Ends a session whose key was replaced, saying why. Blocking.
fn superseded(state: &AppState, visit: &Visit, hash: &[u8], user: &str) -> Response {
    if let Err(e) = state.store.delete_session(hash) {
        return visit.server_error(state, e);
    }
    audit(
        state,
        user,
        "enrollment.superseded",
        Some(user),
        Some("an older activation page was closed"),
    );
    let page = visit.login_page(state, StatusCode::CONFLICT, user, &visit.m.activate_superseded);
    clear_session_cookie(state, page)
}

fn render(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    e: &EnrollmentRecord,
    error: Option<&str>,
) -> Response {
    let grouped = e.secret.to_grouped_base32();
    let version = e.updated.to_string();
    let page = ActivatePage {
        csrf: &visit.csrf(state),
        account: &e.user,
        grouped_key: &grouped,
        qr_version: &version,
        error,
    };
    visit.page(state, status, pages::activate(visit.m, &page))
}

/// The page for whatever `standing` is now, with `error` shown on this session's own key.
fn respond_with(
    state: &AppState,
    visit: &Visit,
    hash: &[u8],
    session: &SessionRecord,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    match standing(state, hash, session) {
        Ok(Standing::Mine(e)) => render(state, visit, status, &e, error),
        Ok(Standing::Superseded) => superseded(state, visit, hash, &session.user),
        Ok(Standing::Done) => redirect("/login"),
        Err(e) => visit.server_error(state, e),
    }
}

pub async fn get_activate(State(state): State<AppState>, visit: Visit) -> Response {
    blocking::respond(move || match visit.require_stage(&state, SessionStage::Activate) {
        Ok((hash, session)) => respond_with(&state, &visit, &hash, &session, StatusCode::OK, None),
        Err(r) => r,
    })
    .await
}

pub async fn get_activate_qr(State(state): State<AppState>, visit: Visit) -> Response {
    blocking::respond(move || {
        let Ok((hash, session)) = visit.require_stage(&state, SessionStage::Activate) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let enrollment = match standing(&state, &hash, &session) {
            Ok(Standing::Mine(e)) => e,
            Ok(_) => return StatusCode::NOT_FOUND.into_response(),
            Err(e) => return visit.server_error(&state, e),
        };
        let uri =
            OtpAuth::portal(&state.settings.issuer, &enrollment.user, enrollment.secret.clone())
                .to_uri();
        match qr::png(&uri) {
            Ok(png) => {
                ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png)
                    .into_response()
            }
            Err(e) => visit.server_error(&state, e),
        }
    })
    .await
}

pub async fn post_activate(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    blocking::respond(move || activate(&state, &visit, form)).await
}

fn activate(
    state: &AppState,
    visit: &Visit,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let (hash, session) = match visit.require_stage(state, SessionStage::Activate) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let m = visit.m;
    let form = match form {
        Ok(Form(f)) if visit.csrf_ok(state, &f.csrf) => f,
        bad => {
            let (status, message) = if bad.is_ok() {
                (StatusCode::FORBIDDEN, &m.forbidden)
            } else {
                (StatusCode::BAD_REQUEST, &m.bad_form)
            };
            return respond_with(state, visit, &hash, &session, status, Some(message));
        }
    };
    let user = &session.user;
    // A superseded page's code is not judged at all: it is no attempt at this user's key,
    // and must not count towards their lock.
    match standing(state, &hash, &session) {
        Ok(Standing::Mine(_)) => {}
        Ok(Standing::Superseded) => return superseded(state, visit, &hash, user),
        Ok(Standing::Done) => return redirect("/login"),
        Err(e) => return visit.server_error(state, e),
    }
    let outcome =
        match judge_code(state, visit, user, &form.code, EnrollmentState::Pending, Some(&hash)) {
            Ok(o) => o,
            Err(e) => return visit.server_error(state, e),
        };
    match outcome {
        CodeOutcome::Accepted { step, record } => {
            match state.store.activate(user, &record.secret, &hash, step, state.now_i64()) {
                Ok(()) => complete_sign_in(state, visit, user)
                    .unwrap_or_else(|e| visit.server_error(state, e)),
                Err(StoreError::Invalid { .. }) | Err(StoreError::NotFound { .. }) => respond_with(
                    state,
                    visit,
                    &hash,
                    &session,
                    StatusCode::CONFLICT,
                    Some(&m.activate_changed),
                ),
                Err(e) => visit.server_error(state, e),
            }
        }
        CodeOutcome::Gone => respond_with(
            state,
            visit,
            &hash,
            &session,
            StatusCode::CONFLICT,
            Some(&m.activate_changed),
        ),
        other => {
            let (status, message) = code_error(m, &other);
            respond_with(state, visit, &hash, &session, status, Some(message))
        }
    }
}
