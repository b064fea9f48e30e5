//! The signed-in side: the guard every protected request passes, the home page and
//! sign-out.
//!
//! The guard re-evaluates "who needs 2FA" on every request instead of trusting what was true
//! at sign-in: a session that passed the password alone is sent to the code step (or to
//! activation) as soon as an admin makes its user a principal, adds them to a 2FA group or
//! turns the switch on.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use twofold_core::EnrollmentState;
use twofold_store::{SessionRecord, SessionStage};

use super::{audit, clear_session_cookie, issue_secret, redirect, CsrfForm, Failure, Visit};
use crate::state::AppState;
use crate::{blocking, pages};

/// A session that passed every factor its user needs now.
pub struct SignedIn {
    pub id_hash: Vec<u8>,
    pub session: SessionRecord,
    /// Whether the user needs 2FA now (and so passed it).
    pub two_factor: bool,
}

/// Why a visitor is not (or no longer) signed in with every factor they need.
pub enum NotSignedIn {
    /// No session, or one at an unfinished step, or one that now needs a further factor:
    /// the step to send the visitor to.
    Step(&'static str),
    /// The store failed: nobody is let through (the response says so).
    Failed(Response),
}

/// The visitor's full session, or where to send them: the sign-in page, the step they have
/// not finished, or the step that now applies to them. Blocking.
pub fn signed_in(state: &AppState, visit: &Visit) -> Result<SignedIn, Response> {
    check_signed_in(state, visit).map_err(|e| match e {
        NotSignedIn::Step(to) => redirect(to),
        NotSignedIn::Failed(response) => response,
    })
}

/// [`signed_in`], saying why not instead of answering (the forward-auth endpoints answer a
/// proxy, not a browser). Blocking.
pub fn check_signed_in(state: &AppState, visit: &Visit) -> Result<SignedIn, NotSignedIn> {
    let (hash, session) = match visit.session(state) {
        Ok(Some(found)) => found,
        Ok(None) => return Err(NotSignedIn::Step("/login")),
        Err(e) => return Err(NotSignedIn::Failed(visit.server_error(state, e))),
    };
    match session.stage {
        SessionStage::SignedIn => {}
        SessionStage::Code => return Err(NotSignedIn::Step("/verify")),
        SessionStage::Activate => return Err(NotSignedIn::Step("/activate")),
    }
    let needs = match crate::directory::user_needs_two_factor(state, &session.user) {
        Ok(needs) => needs,
        // Fail closed: without the rule nobody is let through.
        Err(e) => return Err(NotSignedIn::Failed(visit.server_error(state, e))),
    };
    if needs && !session.two_factor {
        return Err(match step_up(state, &hash, &session.user) {
            Ok(to) => NotSignedIn::Step(to),
            Err(e) => NotSignedIn::Failed(visit.server_error(state, e)),
        });
    }
    // A user locked for wrong codes (someone is guessing with their password) or removed
    // from the directory keeps no access through an older session either.
    let still_allowed = (|| -> Result<bool, Failure> {
        if !crate::directory::still_present(state, &session.user)? {
            return Ok(false);
        }
        let locked = needs
            && state
                .store
                .enrollment(&session.user)?
                .is_some_and(|e| e.verifier.is_locked(state.now()));
        Ok(!locked)
    })();
    match still_allowed {
        Ok(true) => {}
        Ok(false) => {
            if let Err(e) = state.store.delete_session(&hash) {
                return Err(NotSignedIn::Failed(visit.server_error(state, e)));
            }
            return Err(NotSignedIn::Step("/login"));
        }
        Err(e) => return Err(NotSignedIn::Failed(visit.server_error(state, e))),
    }
    Ok(SignedIn { id_hash: hash, session, two_factor: needs })
}

/// Sends a password-only session to the second factor it now needs.
fn step_up(state: &AppState, hash: &[u8], user: &str) -> Result<&'static str, Failure> {
    let expires = state.now_i64() + state.settings.pending_seconds as i64;
    let active = state.store.enrollment(user)?.is_some_and(|e| e.state == EnrollmentState::Active);
    let (stage, to) = if active {
        (SessionStage::Code, "/verify")
    } else {
        (SessionStage::Activate, "/activate")
    };
    state.store.step_back_session(hash, stage, expires)?;
    if !active {
        issue_secret(state, user, hash)?;
    }
    audit(state, user, "session.step_up", Some(user), Some("2FA became required"));
    Ok(to)
}

pub async fn get_home(State(state): State<AppState>, visit: Visit) -> Response {
    blocking::respond(move || match signed_in(&state, &visit) {
        Ok(s) => visit.page(
            &state,
            StatusCode::OK,
            pages::home(
                visit.m,
                &visit.csrf(&state),
                &s.session.user,
                s.two_factor,
                &state.settings.desktops,
            ),
        ),
        Err(r) => r,
    })
    .await
}

pub async fn post_logout(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    blocking::respond(move || {
        let valid = matches!(&form, Ok(Form(f)) if visit.csrf_ok(&state, &f.csrf));
        if !valid {
            return visit.login_page(&state, StatusCode::FORBIDDEN, "", &visit.m.forbidden);
        }
        match visit.session(&state) {
            Ok(Some((hash, session))) => {
                if let Err(e) = state.store.delete_session(&hash) {
                    return visit.server_error(&state, e);
                }
                audit(&state, &session.user, "signout", Some(&session.user), None);
            }
            Ok(None) => {}
            Err(e) => return visit.server_error(&state, e),
        }
        clear_session_cookie(&state, redirect("/login"))
    })
    .await
}
