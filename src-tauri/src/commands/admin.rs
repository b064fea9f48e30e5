//! Admin mode commands over [`AdminSession`]. Results and errors reach the UI as JSON; the
//! token goes in through `admin_connect` only and never comes back out.

use tauri::State;
use twofold_desktop::admin::model::*;
use twofold_desktop::{AdminSession, ConnectionInfo, SessionError};

type Session<'a> = State<'a, AdminSession>;

#[tauri::command]
pub async fn admin_connection(session: Session<'_>) -> Result<ConnectionInfo, SessionError> {
    Ok(session.info())
}

#[tauri::command]
pub async fn admin_connect(
    session: Session<'_>,
    url: String,
    token: Option<String>,
) -> Result<ConnectionInfo, SessionError> {
    session.connect(&url, token).await
}

#[tauri::command]
pub async fn admin_disconnect(session: Session<'_>) -> Result<ConnectionInfo, SessionError> {
    session.disconnect();
    Ok(session.info())
}

#[tauri::command]
pub async fn admin_forget_token(session: Session<'_>) -> Result<ConnectionInfo, SessionError> {
    session.forget_token().await
}

#[tauri::command]
pub async fn admin_status(session: Session<'_>) -> Result<Status, SessionError> {
    session.status().await
}

#[tauri::command]
pub async fn admin_set_two_factor(
    session: Session<'_>,
    enabled: bool,
) -> Result<Status, SessionError> {
    session.set_two_factor(enabled).await
}

#[tauri::command]
pub async fn admin_search_directory(
    session: Session<'_>,
    query: String,
    offset: u32,
    limit: u32,
) -> Result<DirectoryPage, SessionError> {
    session.search_directory(&query, offset, limit).await
}

#[tauri::command]
pub async fn admin_principals(session: Session<'_>) -> Result<Vec<PrincipalEntry>, SessionError> {
    session.principals().await
}

#[tauri::command]
pub async fn admin_add_principals(
    session: Session<'_>,
    principals: Vec<Principal>,
) -> Result<Vec<PrincipalEntry>, SessionError> {
    session.add_principals(principals).await
}

#[tauri::command]
pub async fn admin_remove_principals(
    session: Session<'_>,
    principals: Vec<Principal>,
) -> Result<Vec<PrincipalEntry>, SessionError> {
    session.remove_principals(principals).await
}

#[tauri::command]
pub async fn admin_users(session: Session<'_>) -> Result<Vec<CoveredUser>, SessionError> {
    session.users().await
}

#[tauri::command]
pub async fn admin_reset(
    session: Session<'_>,
    usernames: Vec<String>,
) -> Result<Vec<CoveredUser>, SessionError> {
    session.reset(usernames).await
}

#[tauri::command]
pub async fn admin_unlock(
    session: Session<'_>,
    usernames: Vec<String>,
) -> Result<Vec<CoveredUser>, SessionError> {
    session.unlock(usernames).await
}

#[tauri::command]
pub async fn admin_audit(
    session: Session<'_>,
    query: AuditQuery,
) -> Result<Vec<AuditEntry>, SessionError> {
    session.audit(query).await
}

#[tauri::command]
pub async fn admin_install_license(
    session: Session<'_>,
    text: String,
) -> Result<LicenseStatus, SessionError> {
    session.install_license(text).await
}
