//! The sign-in flow: password, then either the code step (enrolled users) or activation
//! (users who need 2FA and have no active secret), then the signed-in home page.
//!
//! Handlers here translate HTTP to the store and the core's rules and back; the rules
//! themselves (who needs 2FA, what a valid code is, enrollment transitions) live in the core.

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::Markup;
use serde::Deserialize;
use twofold_core::{otp::Algorithm, verifier, EnrollmentState, OtpAuth, Secret, Verdict};
use twofold_store::{EnrollmentRecord, NewAuditEntry, SessionRecord, SessionStage};

use crate::messages::{self, Messages};
use crate::pages::{self, ActivatePage};
use crate::session::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::state::AppState;
use crate::tls::ClientAddr;
use crate::{ops, qr};

/// The portal issues the one parameter set every phone app supports.
const DIGITS: u32 = 6;
const PERIOD: u64 = 30;

/// What every page request carries: language, client address, cookies.
pub struct Visit {
    pub m: &'static Messages,
    pub address: String,
    session_id: Option<String>,
    csrf_cookie: String,
    csrf_is_new: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let m = messages::for_accept_language(
            parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
        );
        // Behind a reverse proxy every client shares its address; the per-user lock still
        // holds there, and the proxy is the place to throttle.
        let address = parts
            .extensions
            .get::<ConnectInfo<ClientAddr>>()
            .map(|c| c.0 .0.ip().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        let session_id = session::read_cookie(&parts.headers, SESSION_COOKIE);
        let (csrf_cookie, csrf_is_new) = match session::read_cookie(&parts.headers, CSRF_COOKIE) {
            Some(c) => (c, false),
            None => (session::random_token(), true),
        };
        Ok(Visit { m, address, session_id, csrf_cookie, csrf_is_new })
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

    fn session(&self, state: &AppState) -> Option<(Vec<u8>, SessionRecord)> {
        let id = self.session_id.as_deref()?;
        let hash = session::hash_id(id);
        match state.store.session(&hash, state.now_i64()) {
            Ok(Some(record)) => Some((hash, record)),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "reading a session failed");
                None
            }
        }
    }

    /// A page response, with the CSRF cookie set when this visit minted it.
    fn page(&self, state: &AppState, status: StatusCode, markup: Markup) -> Response {
        let mut response = (status, markup).into_response();
        if self.csrf_is_new {
            let cookie = session::set_cookie(
                CSRF_COOKIE,
                &self.csrf_cookie,
                86400 * 30,
                state.settings.secure_cookies,
            );
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }

    fn server_error(&self, state: &AppState, error: impl std::fmt::Display) -> Response {
        tracing::error!(%error, "sign-in request failed");
        self.page(
            state,
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::login(self.m, &self.csrf(state), "", Some(&self.m.server_error)),
        )
    }
}

fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Starts a session under a fresh id (the old one, if any, is dropped): the id changes at
/// every step up.
fn start_session(
    state: &AppState,
    visit: &Visit,
    user: &str,
    stage: SessionStage,
) -> Result<HeaderValue, twofold_store::StoreError> {
    if let Some(old) = visit.session_id.as_deref() {
        state.store.delete_session(&session::hash_id(old))?;
    }
    let id = session::random_token();
    let now = state.now_i64();
    let ttl = match stage {
        SessionStage::SignedIn => state.settings.session_seconds,
        SessionStage::Code | SessionStage::Activate => state.settings.pending_seconds,
    };
    state.store.create_session(&session::hash_id(&id), user, stage, now, now + ttl as i64)?;
    Ok(session::set_cookie(SESSION_COOKIE, &id, ttl, state.settings.secure_cookies))
}

fn audit(state: &AppState, actor: &str, action: &str, subject: Option<&str>, detail: Option<&str>) {
    let entry = NewAuditEntry { at: state.now_i64(), actor, action, subject, detail };
    if let Err(e) = state.store.append_audit(entry) {
        tracing::error!(error = %e, action, "writing the audit log failed");
    }
}

fn throttled(state: &AppState, visit: &Visit) -> bool {
    let s = &state.settings;
    match state.store.address_failures(&visit.address, state.now_i64(), s.address_window as i64) {
        Ok(n) => n >= s.address_limit,
        Err(e) => {
            tracing::error!(error = %e, "reading the address throttle failed");
            false
        }
    }
}

fn record_address_failure(state: &AppState, visit: &Visit) {
    let window = state.settings.address_window as i64;
    if let Err(e) = state.store.record_address_failure(&visit.address, state.now_i64(), window) {
        tracing::error!(error = %e, "recording an address failure failed");
    }
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

pub async fn get_login(State(state): State<AppState>, visit: Visit) -> Response {
    match visit.session(&state).map(|(_, s)| s.stage) {
        Some(SessionStage::SignedIn) => redirect("/"),
        _ => {
            visit.page(&state, StatusCode::OK, pages::login(visit.m, &visit.csrf(&state), "", None))
        }
    }
}

pub async fn post_login(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let m = visit.m;
    let csrf = visit.csrf(&state);
    let Ok(Form(form)) = form else {
        return visit.page(
            &state,
            StatusCode::BAD_REQUEST,
            pages::login(m, &csrf, "", Some(&m.bad_form)),
        );
    };
    let username = form.username.trim().to_string();
    if !visit.csrf_ok(&state, &form.csrf) {
        return visit.page(
            &state,
            StatusCode::FORBIDDEN,
            pages::login(m, &csrf, &username, Some(&m.forbidden)),
        );
    }
    if throttled(&state, &visit) {
        return visit.page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            pages::login(m, &csrf, &username, Some(&m.too_many_attempts)),
        );
    }
    let user = match state.store.user(&username) {
        Ok(user) => user,
        Err(e) => return visit.server_error(&state, e),
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = zeroize::Zeroizing::new(form.password);
    let ok = tokio::task::spawn_blocking(move || {
        crate::passwords::check_password(stored.as_deref(), &password)
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        record_address_failure(&state, &visit);
        let subject: String = username.chars().take(128).collect();
        audit(&state, &visit.address, "signin.password_failed", Some(&subject), None);
        return visit.page(
            &state,
            StatusCode::UNAUTHORIZED,
            pages::login(m, &csrf, &username, Some(&m.bad_credentials)),
        );
    };
    match password_accepted(&state, &visit, &user.name) {
        Ok(response) => response,
        Err(e) => visit.server_error(&state, e),
    }
}

/// After a correct password: sign in, or send to the code step, or to activation.
fn password_accepted(
    state: &AppState,
    visit: &Visit,
    user: &str,
) -> Result<Response, Box<dyn std::error::Error>> {
    if !ops::user_needs_two_factor(state.store.as_ref(), user)? {
        let cookie = start_session(state, visit, user, SessionStage::SignedIn)?;
        state.store.record_sign_in(user, state.now_i64())?;
        audit(state, user, "signin.ok", Some(user), Some("password only"));
        return Ok(with_cookie(redirect("/"), cookie));
    }
    let enrollment = state.store.enrollment(user)?;
    if matches!(enrollment.as_ref().map(|e| e.state), Some(EnrollmentState::Active)) {
        let cookie = start_session(state, visit, user, SessionStage::Code)?;
        return Ok(with_cookie(redirect("/verify"), cookie));
    }
    // No secret or a pending one: every sign-in shows a fresh secret, so a QR code that was
    // photographed over a shoulder last time is worthless.
    issue_secret(state, user)?;
    let cookie = start_session(state, visit, user, SessionStage::Activate)?;
    Ok(with_cookie(redirect("/activate"), cookie))
}

fn issue_secret(state: &AppState, user: &str) -> Result<(), twofold_store::StoreError> {
    let secret = Secret::generate(&mut rand::rngs::OsRng);
    state.store.issue_pending(user, &secret, state.now_i64())
}

/// The session at `stage`, or the response that sends the visitor where they belong.
fn require_stage(
    state: &AppState,
    visit: &Visit,
    stage: SessionStage,
) -> Result<(Vec<u8>, SessionRecord), Response> {
    match visit.session(state) {
        Some((hash, s)) if s.stage == stage => Ok((hash, s)),
        Some((_, s)) if s.stage == SessionStage::SignedIn => Err(redirect("/")),
        _ => Err(redirect("/login")),
    }
}

fn pending_enrollment(
    state: &AppState,
    user: &str,
) -> Result<Option<EnrollmentRecord>, twofold_store::StoreError> {
    let current = state.store.enrollment(user)?;
    match current {
        Some(e) if e.state == EnrollmentState::Pending => Ok(Some(e)),
        Some(_) => Ok(None),
        None => {
            // Reset while the page was open: issue a new one rather than a dead end.
            issue_secret(state, user)?;
            state.store.enrollment(user)
        }
    }
}

fn render_activate(
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

pub async fn get_activate(State(state): State<AppState>, visit: Visit) -> Response {
    let (_, session) = match require_stage(&state, &visit, SessionStage::Activate) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match pending_enrollment(&state, &session.user) {
        Ok(Some(e)) => render_activate(&state, &visit, StatusCode::OK, &e, None),
        Ok(None) => redirect("/login"),
        Err(e) => visit.server_error(&state, e),
    }
}

pub async fn get_activate_qr(State(state): State<AppState>, visit: Visit) -> Response {
    let (_, session) = match require_stage(&state, &visit, SessionStage::Activate) {
        Ok(s) => s,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    let enrollment = match state.store.enrollment(&session.user) {
        Ok(Some(e)) if e.state == EnrollmentState::Pending => e,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return visit.server_error(&state, e),
    };
    let uri = OtpAuth::portal(&state.settings.issuer, &enrollment.user, enrollment.secret.clone())
        .to_uri();
    match qr::png(&uri) {
        Ok(png) => {
            ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png)
                .into_response()
        }
        Err(e) => visit.server_error(&state, e),
    }
}

/// What a submitted code came to, after the verifier state was stored.
enum CodeOutcome {
    Accepted {
        step: u64,
        record: EnrollmentRecord,
    },
    Wrong,
    Replayed,
    Malformed,
    Locked,
    /// The enrollment changed under us (reset, or activated elsewhere).
    Gone,
}

/// Checks `code` against the user's enrollment in state `want`, storing the verifier's new
/// state with compare-and-set: if another process changed it meanwhile, check again against
/// the fresh state, so a code can be accepted once across all portal processes.
fn judge_code(
    state: &AppState,
    visit: &Visit,
    user: &str,
    code: &str,
    want: EnrollmentState,
) -> Result<CodeOutcome, twofold_store::StoreError> {
    for _ in 0..5 {
        let now = state.now();
        let Some(record) = state.store.enrollment(user)?.filter(|e| e.state == want) else {
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
            Verdict::Replayed { .. } => {
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
        if !matches!(outcome, CodeOutcome::Accepted { .. }) {
            record_address_failure(state, visit);
        }
        return Ok(if newly_locked { CodeOutcome::Locked } else { outcome });
    }
    Ok(CodeOutcome::Gone)
}

fn code_error<'a>(m: &'a Messages, outcome: &CodeOutcome) -> (StatusCode, &'a str) {
    match outcome {
        CodeOutcome::Locked => (StatusCode::LOCKED, &m.locked),
        CodeOutcome::Replayed => (StatusCode::UNAUTHORIZED, &m.replayed_code),
        CodeOutcome::Malformed => (StatusCode::UNAUTHORIZED, &m.malformed_code),
        _ => (StatusCode::UNAUTHORIZED, &m.wrong_code),
    }
}

/// Marks the sign-in complete under a new session id.
fn complete_sign_in(
    state: &AppState,
    visit: &Visit,
    user: &str,
) -> Result<Response, twofold_store::StoreError> {
    let cookie = start_session(state, visit, user, SessionStage::SignedIn)?;
    state.store.record_sign_in(user, state.now_i64())?;
    Ok(with_cookie(redirect("/"), cookie))
}

pub async fn post_activate(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let (_, session) = match require_stage(&state, &visit, SessionStage::Activate) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let user = session.user;
    let m = visit.m;
    let form = match form {
        Ok(Form(f)) if visit.csrf_ok(&state, &f.csrf) => f,
        bad => {
            let status = if bad.is_ok() { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
            let message = if bad.is_ok() { &m.forbidden } else { &m.bad_form };
            return match pending_enrollment(&state, &user) {
                Ok(Some(e)) => render_activate(&state, &visit, status, &e, Some(message)),
                Ok(None) => redirect("/login"),
                Err(e) => visit.server_error(&state, e),
            };
        }
    };
    if throttled(&state, &visit) {
        return visit.page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            pages::login(m, &visit.csrf(&state), &user, Some(&m.too_many_attempts)),
        );
    }
    let outcome = match judge_code(&state, &visit, &user, &form.code, EnrollmentState::Pending) {
        Ok(o) => o,
        Err(e) => return visit.server_error(&state, e),
    };
    let result = match outcome {
        CodeOutcome::Accepted { step, record } => {
            match state.store.activate(&user, &record.secret, step, state.now_i64()) {
                Ok(()) => complete_sign_in(&state, &visit, &user),
                Err(twofold_store::StoreError::Invalid { .. })
                | Err(twofold_store::StoreError::NotFound { .. }) => {
                    pending_enrollment(&state, &user).map(|e| match e {
                        Some(e) => render_activate(
                            &state,
                            &visit,
                            StatusCode::CONFLICT,
                            &e,
                            Some(&m.activate_changed),
                        ),
                        None => redirect("/login"),
                    })
                }
                Err(e) => Err(e),
            }
        }
        CodeOutcome::Gone => pending_enrollment(&state, &user).map(|e| match e {
            Some(e) => {
                render_activate(&state, &visit, StatusCode::CONFLICT, &e, Some(&m.activate_changed))
            }
            None => redirect("/login"),
        }),
        other => {
            let (status, message) = code_error(m, &other);
            pending_enrollment(&state, &user).map(|e| match e {
                Some(e) => render_activate(&state, &visit, status, &e, Some(message)),
                None => redirect("/login"),
            })
        }
    };
    result.unwrap_or_else(|e| visit.server_error(&state, e))
}

pub async fn get_verify(State(state): State<AppState>, visit: Visit) -> Response {
    match require_stage(&state, &visit, SessionStage::Code) {
        Ok(_) => {
            visit.page(&state, StatusCode::OK, pages::verify(visit.m, &visit.csrf(&state), None))
        }
        Err(r) => r,
    }
}

pub async fn post_verify(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let (_, session) = match require_stage(&state, &visit, SessionStage::Code) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let m = visit.m;
    let csrf = visit.csrf(&state);
    let form = match form {
        Ok(Form(f)) if visit.csrf_ok(&state, &f.csrf) => f,
        Ok(_) => {
            return visit.page(
                &state,
                StatusCode::FORBIDDEN,
                pages::verify(m, &csrf, Some(&m.forbidden)),
            )
        }
        Err(_) => {
            return visit.page(
                &state,
                StatusCode::BAD_REQUEST,
                pages::verify(m, &csrf, Some(&m.bad_form)),
            )
        }
    };
    if throttled(&state, &visit) {
        return visit.page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            pages::verify(m, &csrf, Some(&m.too_many_attempts)),
        );
    }
    match judge_code(&state, &visit, &session.user, &form.code, EnrollmentState::Active) {
        Ok(CodeOutcome::Accepted { .. }) => complete_sign_in(&state, &visit, &session.user)
            .unwrap_or_else(|e| visit.server_error(&state, e)),
        // Reset while the code page was open: start over, which leads to activation.
        Ok(CodeOutcome::Gone) => redirect("/login"),
        Ok(other) => {
            let (status, message) = code_error(m, &other);
            visit.page(&state, status, pages::verify(m, &csrf, Some(message)))
        }
        Err(e) => visit.server_error(&state, e),
    }
}

pub async fn get_home(State(state): State<AppState>, visit: Visit) -> Response {
    let (_, session) = match require_stage(&state, &visit, SessionStage::SignedIn) {
        Ok(s) => s,
        Err(_) => return redirect("/login"),
    };
    let two_factor =
        ops::user_needs_two_factor(state.store.as_ref(), &session.user).unwrap_or(false);
    visit.page(
        &state,
        StatusCode::OK,
        pages::home(visit.m, &visit.csrf(&state), &session.user, two_factor),
    )
}

pub async fn post_logout(
    State(state): State<AppState>,
    visit: Visit,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let valid = matches!(&form, Ok(Form(f)) if visit.csrf_ok(&state, &f.csrf));
    if !valid {
        return visit.page(
            &state,
            StatusCode::FORBIDDEN,
            pages::login(visit.m, &visit.csrf(&state), "", Some(&visit.m.forbidden)),
        );
    }
    if let Some((hash, session)) = visit.session(&state) {
        if let Err(e) = state.store.delete_session(&hash) {
            return visit.server_error(&state, e);
        }
        audit(&state, &session.user, "signout", Some(&session.user), None);
    }
    with_cookie(
        redirect("/login"),
        session::clear_cookie(SESSION_COOKIE, state.settings.secure_cookies),
    )
}
