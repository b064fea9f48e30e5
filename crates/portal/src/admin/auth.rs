//! Bearer-token check for the admin API, in constant time.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let valid = match presented {
        Some(token) => bool::from(token.as_bytes().ct_eq(state.admin_token.as_bytes())),
        None => false,
    };
    if !valid {
        let (code, message) = if presented.is_some() {
            (ErrorCode::InvalidToken, "the admin token is not valid")
        } else {
            (ErrorCode::MissingToken, "missing bearer token")
        };
        let mut response =
            ApiError::coded(StatusCode::UNAUTHORIZED, code, &[], message).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return response;
    }
    next.run(request).await
}
