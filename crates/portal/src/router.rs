//! The two routers: `app` (pages, stylesheet, RDP gate, forward-auth) for users and `admin_app` (the admin
//! API) for the admin listener. Both are plain `Router`s, tested with `oneshot`.

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::{middleware, Router};

use crate::error::ApiError;
use crate::state::AppState;
use crate::{admin, forward_auth, pages, rdp, security, signin};

/// Sign-in forms are tiny; anything bigger is not a browser filling them in.
const PAGE_BODY_LIMIT: usize = 16 * 1024;
/// License files and principal lists.
const ADMIN_BODY_LIMIT: usize = 256 * 1024;

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(signin::get_home))
        .route("/login", get(signin::get_login).post(signin::post_login))
        .route("/activate", get(signin::get_activate).post(signin::post_activate))
        .route("/activate/qr.png", get(signin::get_activate_qr))
        .route("/verify", get(signin::get_verify).post(signin::post_verify))
        .route("/logout", post(signin::post_logout))
        .route("/static/portal.css", get(stylesheet))
        .route("/api/rdp/authorize", post(rdp::authorize))
        .route("/auth/request", any(forward_auth::auth_request))
        .route("/auth/forward", any(forward_auth::auth_forward))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(PAGE_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
        .with_state(state)
}

pub fn admin_app(state: AppState) -> Router {
    admin::routes()
        .fallback(api_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), admin::require_token))
        .layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
        .with_state(state)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        pages::STYLESHEET,
    )
}

async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, "not found")
}

async fn api_not_found() -> ApiError {
    ApiError::coded(
        StatusCode::NOT_FOUND,
        crate::error::ErrorCode::NoSuchEndpoint,
        &[],
        "no such admin API endpoint",
    )
}
