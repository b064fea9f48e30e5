//! How failures reach clients: the admin API answers JSON `{"error": "..."}` with the right
//! status; internal failures are logged in full and answered with a generic message, because
//! a client learns nothing useful from a database error and an attacker might.

use axum::extract::rejection::{JsonRejection, StringRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use twofold_store::StoreError;

use crate::ops::OpsError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the portal's log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::AlreadyExists { .. } => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            StoreError::Invalid { .. } => ApiError::bad_request(e.to_string()),
            StoreError::SeatLimit { .. } => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
            other => match twofold_store::unavailable(&other) {
                Some(twofold_store::Unavailable::Busy) => {
                    tracing::warn!(error = %other, "the database was busy longer than the busy timeout");
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the database is busy (another process holds it); try again",
                    )
                }
                Some(twofold_store::Unavailable::DiskFull) => {
                    tracing::error!(error = %other, "the data directory's disk is full");
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the portal's disk is full; nothing was changed",
                    )
                }
                None => ApiError::internal(other),
            },
        }
    }
}

impl From<crate::blocking::WorkError> for ApiError {
    fn from(e: crate::blocking::WorkError) -> Self {
        match e {
            crate::blocking::WorkError::Store(e) => e.into(),
            crate::blocking::WorkError::Ops(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::Store(e) => e.into(),
            OpsError::License(_) | OpsError::Invalid(_) => ApiError::bad_request(e.to_string()),
        }
    }
}

/// `Json<T>` whose rejections (bad syntax, wrong fields, wrong content type, too large) are
/// JSON errors like every other API answer.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = match &rejection {
        JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, format!("invalid request body: {}", rejection.body_text()))
}

/// A `String` body whose rejections (not UTF-8, too large) are JSON errors like every other
/// API answer; axum's own `String` extractor answers those in plain text.
pub struct ApiText(pub String);

impl<S> FromRequest<S> for ApiText
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match String::from_request(req, state).await {
            Ok(text) => Ok(ApiText(text)),
            Err(rejection) => Err(text_rejection(rejection)),
        }
    }
}

fn text_rejection(rejection: StringRejection) -> ApiError {
    ApiError::new(rejection.status(), format!("invalid request body: {}", rejection.body_text()))
}
