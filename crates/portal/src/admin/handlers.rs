//! Admin API routes. Every change is all-or-nothing and audited (by the store, in the same
//! transaction); every answer is JSON, errors included. Each handler is registered together
//! with its OpenAPI description (`routes!`), so no endpoint goes undocumented, and runs its
//! store calls on a blocking thread ([`crate::blocking`]): SQLite blocks, and one slow query
//! on an async worker would stall every request that worker carries.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use twofold_core::Principal;
use twofold_store::AuditFilter;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use crate::blocking;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiText, ErrorBody, ErrorCode};
use crate::ops;
use crate::state::AppState;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Tag of every operation (one group in the document).
const TAG: &str = "admin";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(set_two_factor))
        .routes(routes!(directory))
        .routes(routes!(principals, add_principals))
        .routes(routes!(remove_principal))
        .routes(routes!(remove_principals))
        .routes(routes!(users))
        .routes(routes!(reset))
        .routes(routes!(unlock))
        .routes(routes!(audit))
        .routes(routes!(license, install_license))
}

/// Who the audit log names: the token holder, with the name the client gives, if any.
pub(super) fn actor(headers: &HeaderMap) -> String {
    let given = headers
        .get("x-twofold-actor")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().filter(|c| !c.is_control()).take(64).collect::<String>())
        .filter(|v| !v.trim().is_empty());
    match given {
        Some(name) => format!("admin:{}", name.trim()),
        None => "admin-api".to_string(),
    }
}

async fn current_status(state: AppState) -> ApiResult<Status> {
    let (store, vendor, now) = (state.store.clone(), state.vendor_key, state.now());
    let status = blocking::run(move || ops::status(store.as_ref(), &vendor, now)).await?;
    Ok(Json(Status::new(status, directory_health(&state).await)))
}

/// The configured directory asked now (the status is fetched at connect and refresh, so a
/// connect and bind each time is cheap); the built-in one always answers.
async fn directory_health(state: &AppState) -> DirectoryHealth {
    let Some(configured) = &state.settings.directory else {
        return DirectoryHealth {
            kind: "builtin".into(),
            url: None,
            answering: true,
            problem: None,
        };
    };
    let directory = &configured.directory;
    let problem = directory.health().await.err().map(|e| e.to_string());
    if let Some(problem) = &problem {
        tracing::warn!(%problem, "the directory does not answer the status check");
    }
    DirectoryHealth {
        kind: directory.kind().into(),
        url: directory.location(),
        answering: problem.is_none(),
        problem,
    }
}

/// The principals, each with whether the directory still has it (which for LDAP asks it, and
/// follows renames first; see `directory::principals_with_presence`).
async fn current_principals(state: AppState) -> ApiResult<PrincipalList> {
    let items =
        crate::directory::principals_with_presence(&state).await.map_err(directory_error)?;
    Ok(Json(PrincipalList { items: items.into_iter().map(Into::into).collect() }))
}

/// The 2FA switch, the license and the counts the status bar shows.
#[utoipa::path(get, path = "/api/v1/status", tag = TAG,
    responses((status = 200, body = Status)))]
async fn status(State(state): State<AppState>) -> ApiResult<Status> {
    current_status(state).await
}

/// Turns 2FA on or off for the whole portal; answers the new status.
#[utoipa::path(put, path = "/api/v1/two-factor", tag = TAG, request_body = SwitchBody,
    responses((status = 200, body = Status)))]
async fn set_two_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SwitchBody>,
) -> ApiResult<Status> {
    let (store, actor, now) = (state.store.clone(), actor(&headers), state.now_i64());
    blocking::run(move || store.set_two_factor_enabled(body.enabled, &actor, now)).await?;
    current_status(state).await
}

/// The directory down is "try again" (503), like a busy database; anything else is the
/// blocking-work error it is.
fn directory_error(e: crate::directory::DirectoryError) -> ApiError {
    match e {
        crate::directory::DirectoryError::Unavailable(why) => {
            tracing::warn!(reason = %why, "the directory could not answer the admin API");
            ApiError::coded(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DirectoryUnavailable,
                &[],
                "the directory (LDAP) does not answer",
            )
        }
        other => blocking::WorkError::from(other).into(),
    }
}

/// Users and groups whose name contains `q`, one page at a time.
#[utoipa::path(get, path = "/api/v1/directory", tag = TAG, params(DirectoryQuery),
    responses((status = 200, body = DirectoryPage)))]
async fn directory(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DirectoryQuery>,
) -> ApiResult<DirectoryPage> {
    if query.q.len() > 256 {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            ErrorCode::SearchTooLong,
            &[("max", "256".to_string())],
            "the search text is too long (at most 256 bytes)",
        ));
    }
    let limit = query.limit.clamp(1, 200);
    // The configured directory (LDAP, paged on the server) or the built-in one.
    let page = crate::directory::search_page(&state, &query.q, query.offset, limit)
        .await
        .map_err(directory_error)?;
    Ok(Json(page.into()))
}

/// The users and groups enabled for 2FA, each with whether it is still in the directory
/// (`in_directory`; a deleted one stays listed as `no` until removed).
#[utoipa::path(get, path = "/api/v1/principals", tag = TAG,
    responses((status = 200, body = PrincipalList)))]
async fn principals(State(state): State<AppState>) -> ApiResult<PrincipalList> {
    current_principals(state).await
}

/// Enables all of the principals or none (the license may refuse: `seat_limit`); answers the
/// new list.
#[utoipa::path(post, path = "/api/v1/principals", tag = TAG, request_body = PrincipalsBody,
    responses(
        (status = 200, body = PrincipalList),
        (status = 403, description = "the license's seats would be exceeded (`seat_limit`)", body = ErrorBody),
        (status = 404, description = "a user or group is not in the directory", body = ErrorBody),
    ))]
async fn add_principals(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PrincipalsBody>,
) -> ApiResult<PrincipalList> {
    // Directory entries nobody signed in from yet get their store rows first.
    crate::directory::adopt_principals(&state, &body.principals).await.map_err(directory_error)?;
    let (store, vendor, actor, now) =
        (state.store.clone(), state.vendor_key, actor(&headers), state.now());
    blocking::run(move || {
        ops::add_principals(store.as_ref(), &vendor, &body.principals, &actor, now)
    })
    .await?;
    current_principals(state).await
}

/// Disables all of the principals or none; answers the new list.
#[utoipa::path(post, path = "/api/v1/principals/remove", tag = TAG, request_body = PrincipalsBody,
    responses(
        (status = 200, body = PrincipalList),
        (status = 404, description = "one of them is not enabled (`principal_not_found`)", body = ErrorBody),
    ))]
async fn remove_principals(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PrincipalsBody>,
) -> ApiResult<PrincipalList> {
    let (store, actor, now) = (state.store.clone(), actor(&headers), state.now());
    blocking::run(move || ops::remove_principals(store.as_ref(), &body.principals, &actor, now))
        .await?;
    current_principals(state).await
}

/// Disables one principal; answers the new list.
#[utoipa::path(delete, path = "/api/v1/principals/{kind}/{name}", tag = TAG,
    params(
        ("kind" = PrincipalKind, Path, description = "`user` or `group`"),
        ("name" = String, Path),
    ),
    responses(
        (status = 200, body = PrincipalList),
        (status = 404, description = "not enabled, or an unknown kind", body = ErrorBody),
    ))]
async fn remove_principal(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((kind, name)): ApiPath<(String, String)>,
) -> ApiResult<PrincipalList> {
    let principal = match kind.as_str() {
        "user" => Principal::User(name),
        "group" => Principal::Group(name),
        other => {
            return Err(ApiError::coded(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownPrincipalKind,
                &[("kind", other.to_string())],
                format!("unknown principal kind {other:?}; use user or group"),
            ))
        }
    };
    let (store, actor, now) = (state.store.clone(), actor(&headers), state.now());
    blocking::run(move || ops::remove_principals(store.as_ref(), &[principal], &actor, now))
        .await?;
    current_principals(state).await
}

/// The users who need 2FA, with their enrollment state and lock.
#[utoipa::path(get, path = "/api/v1/users", tag = TAG,
    responses((status = 200, body = CoveredUserList)))]
async fn users(State(state): State<AppState>) -> ApiResult<CoveredUserList> {
    let (store, now) = (state.store.clone(), state.now());
    let items = blocking::run(move || ops::covered_users(store.as_ref(), now)).await?;
    Ok(Json(CoveredUserList { items: items.into_iter().map(Into::into).collect() }))
}

/// Discards the users' secrets (all or none): they are shown a new QR code at their next
/// sign-in.
#[utoipa::path(post, path = "/api/v1/users/reset", tag = TAG, request_body = UsersBody,
    responses(
        (status = 200, body = ResetDone),
        (status = 404, description = "a user is not in the directory (`user_not_found`)", body = ErrorBody),
    ))]
async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UsersBody>,
) -> ApiResult<ResetDone> {
    let (store, actor, now) = (state.store.clone(), actor(&headers), state.now());
    let usernames = body.usernames;
    let names = usernames.clone();
    blocking::run(move || ops::reset(store.as_ref(), &names, &actor, now)).await?;
    Ok(Json(ResetDone { reset: usernames }))
}

/// Clears the users' failed-code locks (all or none).
#[utoipa::path(post, path = "/api/v1/users/unlock", tag = TAG, request_body = UsersBody,
    responses(
        (status = 200, body = UnlockDone),
        (status = 404, description = "a user is not in the directory (`user_not_found`)", body = ErrorBody),
    ))]
async fn unlock(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UsersBody>,
) -> ApiResult<UnlockDone> {
    let (store, actor, now) = (state.store.clone(), actor(&headers), state.now());
    let usernames = body.usernames;
    let names = usernames.clone();
    blocking::run(move || ops::unlock(store.as_ref(), &names, &actor, now)).await?;
    Ok(Json(UnlockDone { unlocked: usernames }))
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = TAG, params(AuditQuery),
    responses((status = 200, body = AuditList)))]
async fn audit(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<AuditList> {
    let filter = AuditFilter {
        subject: query.user.filter(|u| !u.trim().is_empty()),
        before_id: query.before,
        limit: query.limit.clamp(1, 500),
    };
    let store = state.store.clone();
    let entries = blocking::run(move || store.audit(&filter)).await?;
    let items = entries.into_iter().map(|e| ops::displayable_audit_entry(e).into()).collect();
    Ok(Json(AuditList { items }))
}

/// The license status alone.
#[utoipa::path(get, path = "/api/v1/license", tag = TAG,
    responses((status = 200, body = LicenseReport)))]
async fn license(State(state): State<AppState>) -> ApiResult<LicenseReport> {
    let (store, vendor, now) = (state.store.clone(), state.vendor_key, state.now());
    let report = blocking::run(move || ops::license_report(store.as_ref(), &vendor, now)).await?;
    Ok(Json(report.into()))
}

/// Installs a license file; an invalid file is refused (`license_invalid`) and changes
/// nothing. The body is the file as text; a body that is not UTF-8 or too large gets a JSON
/// error like every other refusal ([`ApiText`]).
#[utoipa::path(put, path = "/api/v1/license", tag = TAG,
    request_body(content = String, content_type = "text/plain", description = "the license file"),
    responses(
        (status = 200, body = LicenseReport),
        (status = 400, description = "the file is not a valid license (`license_invalid`) or not UTF-8", body = ErrorBody),
    ))]
async fn install_license(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiText(body): ApiText,
) -> ApiResult<LicenseReport> {
    let (store, vendor, actor, now) =
        (state.store.clone(), state.vendor_key, actor(&headers), state.now());
    let report =
        blocking::run(move || ops::install_license(store.as_ref(), &vendor, &body, &actor, now))
            .await?;
    Ok(Json(report.into()))
}
