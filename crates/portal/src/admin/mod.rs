//! The admin API, versioned under `/api/v1`, on its own listener (loopback by default) and
//! behind a bearer token. It covers everything the desktop app's admin mode shows and does;
//! each handler is a thin adapter over [`crate::ops`], which the CLI shares. Its OpenAPI
//! document is served at `/api/v1/openapi.json`, behind the token like every other path on
//! this listener (one rule, nothing to audit for exceptions; the same document is public in
//! `docs/openapi.json`).

mod auth;
mod handlers;
pub mod model;
mod openapi;
pub mod users;

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::require_token;

use crate::state::AppState;

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(handlers::routes())
        .merge(users::routes())
        .routes(routes!(openapi_json))
}

/// The admin API's routes, the OpenAPI document's included.
pub fn routes() -> Router<AppState> {
    api().split_for_parts().0
}

/// The OpenAPI document of [`routes`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    openapi::add_common_errors(&mut doc);
    doc
}

/// The document as served and committed: pretty JSON and a final newline.
pub fn openapi_text() -> String {
    let mut text = openapi().to_pretty_json().expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

static DOCUMENT: LazyLock<String> = LazyLock::new(openapi_text);

/// This document: the admin API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "admin",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}
