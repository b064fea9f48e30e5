//! Admin API: creating and deleting directory users (`POST /api/v1/users`,
//! `DELETE /api/v1/users/{name}`), through the same [`crate::ops`] as the CLI's
//! `user add` / `user delete`. Listing users who need 2FA stays in the handlers module.
//!
//! A user called `reset` or `unlock` cannot be deleted here: those paths are the bulk
//! actions' (`POST /api/v1/users/reset`); the CLI deletes any name.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::model::{CreatedUser, DeletedUser, NewUser};
use crate::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::ops;
use crate::state::AppState;

/// Registered with their OpenAPI descriptions, like the handlers module's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_user)).routes(routes!(delete_user))
}

/// Creates a directory user. Hashing (Argon2) and the store run off the async workers,
/// like every other store call.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses(
        (status = 201, body = CreatedUser),
        (status = 409, description = "the name exists (case-insensitive) (`already_exists`)", body = ErrorBody),
    ))]
async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let actor = super::handlers::actor(&headers);
    let now = state.now();
    let store = state.store.clone();
    let NewUser { username, password } = body;
    let password = Zeroizing::new(password);
    let name = username.clone();
    crate::blocking::run(move || ops::add_user(store.as_ref(), &name, &password, &actor, now))
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedUser { username })))
}

/// Deletes a directory user with its secret, sessions, memberships and `user:NAME`
/// principal entry, all or nothing.
#[utoipa::path(delete, path = "/api/v1/users/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses(
        (status = 200, body = DeletedUser),
        (status = 404, description = "no such user (`user_not_found`)", body = ErrorBody),
    ))]
async fn delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DeletedUser>, ApiError> {
    let actor = super::handlers::actor(&headers);
    let now = state.now();
    let store = state.store.clone();
    let removed =
        crate::blocking::run(move || ops::delete_user(store.as_ref(), &name, &actor, now)).await?;
    Ok(Json(DeletedUser { deleted: removed.into() }))
}
