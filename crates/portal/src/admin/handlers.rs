//! Admin API routes. Every change is all-or-nothing and audited (by the store, in the same
//! transaction); every answer is JSON, errors included.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use twofold_core::Principal;
use twofold_store::{AuditEntry, AuditFilter, DirectoryPage, PrincipalEntry};

use crate::error::{ApiError, ApiJson, ApiText};
use crate::ops::{self, CoveredUser, LicenseReport, Status};
use crate::state::AppState;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/two-factor", put(set_two_factor))
        .route("/api/v1/directory", get(directory))
        .route("/api/v1/principals", get(principals).post(add_principals))
        .route("/api/v1/principals/{kind}/{name}", delete(remove_principal))
        .route("/api/v1/principals/remove", post(remove_principals))
        .route("/api/v1/users", get(users))
        .route("/api/v1/users/reset", post(reset))
        .route("/api/v1/users/unlock", post(unlock))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/license", get(license).put(install_license))
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

async fn status(State(state): State<AppState>) -> ApiResult<Status> {
    Ok(Json(ops::status(state.store.as_ref(), &state.vendor_key, state.now())?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchBody {
    enabled: bool,
}

async fn set_two_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SwitchBody>,
) -> ApiResult<Status> {
    state.store.set_two_factor_enabled(body.enabled, &actor(&headers), state.now_i64())?;
    status(State(state)).await
}

#[derive(Deserialize)]
struct DirectoryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    offset: u32,
    #[serde(default = "default_page")]
    limit: u32,
}

fn default_page() -> u32 {
    50
}

async fn directory(
    State(state): State<AppState>,
    Query(query): Query<DirectoryQuery>,
) -> ApiResult<DirectoryPage> {
    if query.q.len() > 256 {
        return Err(ApiError::bad_request("the search text is too long (at most 256 bytes)"));
    }
    let limit = query.limit.clamp(1, 200);
    Ok(Json(state.store.search_directory(&query.q, query.offset, limit)?))
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

async fn principals(State(state): State<AppState>) -> ApiResult<Items<PrincipalEntry>> {
    Ok(Json(Items { items: state.store.principals()? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalsBody {
    principals: Vec<Principal>,
}

async fn add_principals(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PrincipalsBody>,
) -> ApiResult<Items<PrincipalEntry>> {
    ops::add_principals(
        state.store.as_ref(),
        &state.vendor_key,
        &body.principals,
        &actor(&headers),
        state.now(),
    )?;
    principals(State(state)).await
}

async fn remove_principals(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PrincipalsBody>,
) -> ApiResult<Items<PrincipalEntry>> {
    ops::remove_principals(state.store.as_ref(), &body.principals, &actor(&headers), state.now())?;
    principals(State(state)).await
}

async fn remove_principal(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((kind, name)): Path<(String, String)>,
) -> ApiResult<Items<PrincipalEntry>> {
    let principal = match kind.as_str() {
        "user" => Principal::User(name),
        "group" => Principal::Group(name),
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("unknown principal kind {other:?}; use user or group"),
            ))
        }
    };
    ops::remove_principals(state.store.as_ref(), &[principal], &actor(&headers), state.now())?;
    principals(State(state)).await
}

async fn users(State(state): State<AppState>) -> ApiResult<Items<CoveredUser>> {
    Ok(Json(Items { items: ops::covered_users(state.store.as_ref(), state.now())? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersBody {
    usernames: Vec<String>,
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UsersBody>,
) -> ApiResult<Value> {
    ops::reset(state.store.as_ref(), &body.usernames, &actor(&headers), state.now())?;
    Ok(Json(json!({ "reset": body.usernames })))
}

async fn unlock(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UsersBody>,
) -> ApiResult<Value> {
    ops::unlock(state.store.as_ref(), &body.usernames, &actor(&headers), state.now())?;
    Ok(Json(json!({ "unlocked": body.usernames })))
}

#[derive(Deserialize)]
struct AuditQuery {
    user: Option<String>,
    before: Option<i64>,
    #[serde(default = "default_page")]
    limit: u32,
}

async fn audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Items<AuditEntry>> {
    let filter = AuditFilter {
        subject: query.user.filter(|u| !u.trim().is_empty()),
        before_id: query.before,
        limit: query.limit.clamp(1, 500),
    };
    let entries = state.store.audit(&filter)?;
    Ok(Json(Items { items: entries.into_iter().map(ops::displayable_audit_entry).collect() }))
}

async fn license(State(state): State<AppState>) -> ApiResult<LicenseReport> {
    Ok(Json(ops::license_report(state.store.as_ref(), &state.vendor_key, state.now())?))
}

/// The body is the license file as text; a body that is not UTF-8 or too large gets a JSON
/// error like every other refusal ([`ApiText`]).
async fn install_license(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiText(body): ApiText,
) -> ApiResult<LicenseReport> {
    Ok(Json(ops::install_license(
        state.store.as_ref(),
        &state.vendor_key,
        &body,
        &actor(&headers),
        state.now(),
    )?))
}
