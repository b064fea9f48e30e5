//! How failures reach clients: every JSON API (admin API, RDP gate) answers
//! `{"error": {"code": "...", "params": {...}, "message": "..."}}` with the right status.
//! `code` and `params` are for programs (the desktop app picks its own, translated sentence
//! by code, so nothing parses English); `message` is the same in English for people and logs.
//! Internal failures are logged in full and answered with a generic message, because a
//! client learns nothing useful from a database error and an attacker might.

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection, StringRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use twofold_store::StoreError;
use utoipa::ToSchema;

use crate::ops::OpsError;

/// What went wrong, for programs. New codes may be added; a client that does not know a code
/// shows `message`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No `Authorization: Bearer` header (401).
    MissingToken,
    /// A bearer token that is not this portal's (401).
    InvalidToken,
    /// No such endpoint on this listener (404).
    NoSuchEndpoint,
    /// `params.user` is not in the directory (404).
    UserNotFound,
    /// `params.group` is not in the directory (404).
    GroupNotFound,
    /// `params.kind` `params.name` is not enabled for 2FA (404).
    PrincipalNotFound,
    /// Something else named `params.name` of kind `params.kind` does not exist (404).
    NotFound,
    /// `params.kind` named `params.name` exists already (409).
    AlreadyExists,
    /// The principal kind `params.kind` in the path is neither `user` nor `group` (404).
    UnknownPrincipalKind,
    /// The license allows `params.limit` users; the change would cover `params.seats_after` (403).
    SeatLimit,
    /// The license file was refused: `params.reason` (400).
    LicenseInvalid,
    /// A value is not acceptable: `params.what`, `params.reason` (400).
    InvalidValue,
    /// The request asks for nothing (an empty list) or is otherwise not acceptable (400).
    InvalidRequest,
    /// The search text is longer than `params.max` bytes (400).
    SearchTooLong,
    /// The body is not the JSON the endpoint takes (400).
    InvalidBody,
    /// The query string does not parse (a number that is not one, a negative offset) (400).
    InvalidQuery,
    /// A path segment is not valid (not UTF-8 once percent-decoded) (400).
    InvalidPath,
    /// The body is not JSON (`Content-Type`) (415).
    UnsupportedMediaType,
    /// The body is larger than the listener accepts (413).
    PayloadTooLarge,
    /// The database was held by another process longer than the busy timeout; retry (503).
    DatabaseBusy,
    /// The portal cannot reach its database server (PostgreSQL); nothing was changed, and the
    /// portal recovers by itself when the database is back (503).
    DatabaseUnavailable,
    /// The organisation's directory (LDAP / AD) does not answer; sign-ins are refused until it
    /// does, and the portal recovers by itself (503).
    DirectoryUnavailable,
    /// The data directory's disk is full; nothing was changed (503).
    DiskFull,
    /// A bug or an unexpected failure, logged by the portal (500).
    Internal,
    /// Too many requests at once or from one address; retry later (429/503).
    TooBusy,
}

impl ErrorCode {
    /// The code a bare status gets when the caller names none.
    fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::UNAUTHORIZED => ErrorCode::InvalidToken,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::CONFLICT => ErrorCode::AlreadyExists,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => ErrorCode::TooBusy,
            s if s.is_server_error() => ErrorCode::Internal,
            _ => ErrorCode::InvalidRequest,
        }
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// The names and numbers the message is about, by the names each code documents.
    pub params: BTreeMap<String, String>,
    /// The same in English, for people and logs.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub params: BTreeMap<String, String>,
    pub message: String,
}

impl ApiError {
    /// An error with the generic code of `status` ([`ApiError::coded`] names one).
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self::coded(status, ErrorCode::for_status(status), &[], message)
    }
    pub fn coded(
        status: StatusCode,
        code: ErrorCode,
        params: &[(&str, String)],
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::coded(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, &[], message)
    }
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::coded(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            &[],
            "internal error; see the portal's log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code, params: self.params, message: self.message },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Busy or full: the client may retry (ADMIN-API.md promises the header).
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound { kind, name } => {
                let (code, params) = match kind {
                    "user" => (ErrorCode::UserNotFound, vec![("user", name)]),
                    "group" => (ErrorCode::GroupNotFound, vec![("group", name)]),
                    _ => {
                        let code = if kind == "principal" {
                            ErrorCode::PrincipalNotFound
                        } else {
                            ErrorCode::NotFound
                        };
                        (code, vec![("kind", kind.to_string()), ("name", name)])
                    }
                };
                ApiError::coded(StatusCode::NOT_FOUND, code, &params, message)
            }
            StoreError::AlreadyExists { kind, name } => ApiError::coded(
                StatusCode::CONFLICT,
                ErrorCode::AlreadyExists,
                &[("kind", kind.to_string()), ("name", name)],
                message,
            ),
            StoreError::Invalid { what, reason } => ApiError::coded(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidValue,
                &[("what", what.to_string()), ("reason", reason)],
                message,
            ),
            StoreError::SeatLimit { seats_after, limit } => ApiError::coded(
                StatusCode::FORBIDDEN,
                ErrorCode::SeatLimit,
                &[("seats_after", seats_after.to_string()), ("limit", limit.to_string())],
                message,
            ),
            other => match twofold_store::unavailable(&other) {
                Some(twofold_store::Unavailable::Busy) => {
                    tracing::warn!(error = %other, "the database was busy longer than the busy timeout");
                    ApiError::coded(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::DatabaseBusy,
                        &[],
                        "the database is busy (another process holds it); try again",
                    )
                }
                Some(twofold_store::Unavailable::Unreachable) => {
                    tracing::error!(error = %other, "the database cannot be reached");
                    ApiError::coded(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::DatabaseUnavailable,
                        &[],
                        "the portal cannot reach its database; nothing was changed",
                    )
                }
                Some(twofold_store::Unavailable::DiskFull) => {
                    tracing::error!(error = %other, "the data directory's disk is full");
                    ApiError::coded(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::DiskFull,
                        &[],
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
            // A store error met while following the directory is still the store's: an
            // unreachable database is `database_unavailable` (503), not an internal error.
            crate::blocking::WorkError::Directory(crate::directory::DirectoryError::Store(e)) => {
                e.into()
            }
            crate::blocking::WorkError::Ops(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> Self {
        let message = e.to_string();
        match e {
            OpsError::Store(e) => e.into(),
            OpsError::License(reason) => ApiError::coded(
                StatusCode::BAD_REQUEST,
                ErrorCode::LicenseInvalid,
                &[("reason", reason.to_string())],
                message,
            ),
            OpsError::Invalid(reason) => ApiError::coded(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                &[("reason", reason)],
                message,
            ),
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
    let (status, code) = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType)
        }
        JsonRejection::BytesRejection(_) => {
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
        }
        _ => (StatusCode::BAD_REQUEST, ErrorCode::InvalidBody),
    };
    let detail = rejection.body_text();
    ApiError::coded(
        status,
        code,
        &[("detail", detail.clone())],
        format!("invalid request body: {detail}"),
    )
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
    let status = rejection.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::PayloadTooLarge
    } else {
        ErrorCode::InvalidBody
    };
    let detail = rejection.body_text();
    ApiError::coded(
        status,
        code,
        &[("detail", detail.clone())],
        format!("invalid request body: {detail}"),
    )
}

/// `Query<T>` whose rejections (a number that is not one, a negative offset) are JSON errors
/// like every other API answer; axum's own answers those in plain text.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    let detail = rejection.body_text();
    ApiError::coded(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidQuery,
        &[("detail", detail.clone())],
        format!("invalid query string: {detail}"),
    )
}

/// `Path<T>` whose rejections (a segment that is not UTF-8 once percent-decoded) are JSON
/// errors like every other API answer.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    let status = rejection.status();
    if status.is_server_error() {
        // A route whose extractor does not match its path: a bug, logged.
        return ApiError::internal(rejection.body_text());
    }
    let detail = rejection.body_text();
    ApiError::coded(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidPath,
        &[("detail", detail.clone())],
        format!("invalid path: {detail}"),
    )
}
