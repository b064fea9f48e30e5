//! Step one: user name and password. A correct password signs in a user who does not need
//! 2FA, and sends everyone else to the code step or to activation.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use twofold_core::EnrollmentState;
use twofold_store::SessionStage;
use zeroize::Zeroizing;

use super::{
    audit, check_signed_in, issue_secret, redirect, return_cookie_value, signed_in_redirect,
    start_session, with_cookie, Failure, LoginForm, LoginQuery, NotSignedIn, Visit,
};
use crate::password_check::{self, PasswordOutcome};
use crate::state::AppState;
use crate::{blocking, forward_auth, pages};

/// The sign-in page. With `?rd=URL` (a reverse proxy sending the visitor from a protected
/// page) the URL is remembered for the end of the sign-in if it is on a protected origin,
/// and ignored otherwise: the portal redirects nowhere it was not configured to protect.
pub async fn get_login(
    State(state): State<AppState>,
    visit: Visit,
    Query(query): Query<LoginQuery>,
) -> Response {
    blocking::respond(move || {
        let asked = query
            .rd
            .as_deref()
            .and_then(|url| forward_auth::allowed_return(url, &state.settings.forward_auth));
        let mut visit = visit;
        if let Some(url) = &asked {
            visit.return_to = Some(url.clone());
        }
        let response = match check_signed_in(&state, &visit) {
            // Already through every factor: straight back to the page asked for.
            Ok(_) => match &asked {
                Some(url) => Redirect::to(url).into_response(),
                None => redirect("/"),
            },
            Err(NotSignedIn::Failed(r)) => return r,
            Err(_) => visit.page(
                &state,
                StatusCode::OK,
                pages::login(visit.m, &visit.csrf(&state), "", None),
            ),
        };
        match &asked {
            Some(url) => with_cookie(response, return_cookie_value(&state, url)),
            None => response,
        }
    })
    .await
}

pub async fn post_login(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let m = visit.m;
    let Ok(Form(form)) = form else {
        return visit.login_page(&state, StatusCode::BAD_REQUEST, "", &m.bad_form);
    };
    let username = form.username.trim().to_string();
    if !visit.csrf_ok(&state, &form.csrf) {
        return visit.login_page(&state, StatusCode::FORBIDDEN, &username, &m.forbidden);
    }
    let password = Zeroizing::new(form.password);
    let outcome = match password_check::check(&state, &visit.address, &username, password).await {
        Ok(outcome) => outcome,
        Err(e) => return visit.server_error(&state, e),
    };
    match outcome {
        PasswordOutcome::Accepted(user) => {
            blocking::respond(move || {
                password_accepted(&state, &visit, &user.name)
                    .unwrap_or_else(|e| visit.server_error(&state, e))
            })
            .await
        }
        PasswordOutcome::Rejected { user } => {
            blocking::respond(move || {
                // The directory's own spelling of a known name; never the text typed for an
                // unknown one, which is often a password typed into the wrong field.
                let detail = if user.is_some() { None } else { Some("unknown user name") };
                audit(&state, &visit.address, "signin.password_failed", user.as_deref(), detail);
                visit.login_page(&state, StatusCode::UNAUTHORIZED, &username, &m.bad_credentials)
            })
            .await
        }
        PasswordOutcome::AddressThrottled => {
            visit.login_page(&state, StatusCode::TOO_MANY_REQUESTS, &username, &m.too_many_attempts)
        }
        PasswordOutcome::AccountThrottled => visit.login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &username,
            &m.account_too_many_attempts,
        ),
        PasswordOutcome::Busy => {
            let mut response =
                visit.login_page(&state, StatusCode::SERVICE_UNAVAILABLE, &username, &m.busy);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            response
        }
        // Fail closed: without the directory's word nobody is signed in.
        PasswordOutcome::DirectoryUnavailable => {
            let mut response = visit.login_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                &username,
                &m.directory_unavailable,
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            response
        }
    }
}

/// After a correct password: sign in, or send to the code step, or to activation. Blocking.
fn password_accepted(state: &AppState, visit: &Visit, user: &str) -> Result<Response, Failure> {
    if !crate::directory::user_needs_two_factor(state, user)? {
        let (cookie, _) = start_session(state, visit, user, SessionStage::SignedIn, false)?;
        state.store.record_sign_in(user, state.now_i64())?;
        audit(state, user, "signin.ok", Some(user), Some("password only"));
        return Ok(signed_in_redirect(state, visit, cookie));
    }
    let enrollment = state.store.enrollment(user)?;
    if matches!(enrollment.as_ref().map(|e| e.state), Some(EnrollmentState::Active)) {
        let (cookie, _) = start_session(state, visit, user, SessionStage::Code, false)?;
        return Ok(with_cookie(redirect("/verify"), cookie));
    }
    // No secret or a pending one: every sign-in shows a fresh secret that only this session
    // may see, so a QR code photographed over a shoulder last time is worthless, and a second
    // sign-in with the same password never sees or replaces the key this one activates.
    let (cookie, hash) = start_session(state, visit, user, SessionStage::Activate, false)?;
    issue_secret(state, user, &hash)?;
    Ok(with_cookie(redirect("/activate"), cookie))
}
