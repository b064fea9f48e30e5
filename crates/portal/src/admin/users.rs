//! Admin API: creating and deleting directory users (`POST /api/v1/users`,
//! `DELETE /api/v1/users/{name}`), through the same [`crate::ops`] as the CLI's
//! `user add` / `user delete`. Listing users who need 2FA stays in the handlers module.
//!
//! A user called `reset` or `unlock` cannot be deleted here: those paths are the bulk
//! actions' (`POST /api/v1/users/reset`); the CLI deletes any name.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::error::{ApiError, ApiJson};
use crate::ops;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(create_user))
        .route("/api/v1/users/{name}", delete(delete_user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
}

/// Hashing (Argon2) and the store run off the async workers, like every other store call.
async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = super::handlers::actor(&headers);
    let now = state.now();
    let store = state.store.clone();
    let NewUser { username, password } = body;
    let password = Zeroizing::new(password);
    let name = username.clone();
    crate::blocking::run(move || ops::add_user(store.as_ref(), &name, &password, &actor, now))
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "username": username }))))
}

async fn delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = super::handlers::actor(&headers);
    let now = state.now();
    let store = state.store.clone();
    let removed =
        crate::blocking::run(move || ops::delete_user(store.as_ref(), &name, &actor, now)).await?;
    Ok(Json(json!({ "deleted": removed })))
}
