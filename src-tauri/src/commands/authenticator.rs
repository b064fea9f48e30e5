//! Authenticator mode commands over [`Authenticator`]. Codes reach the UI, secrets never do:
//! the only key that crosses is the one the user types into the add form, inbound.
//!
//! Image and export files arrive as the raw request body (the user picked them in the web
//! view's file chooser), so the web side cannot name a path for Rust to read; an export's
//! password comes percent-encoded in a request header.

use tauri::ipc::{Channel, InvokeBody, Request};
use tauri::State;
use twofold_desktop::authenticator::AccountCode;
use twofold_desktop::authenticator::*;

type Mode<'a> = State<'a, Authenticator>;

/// Header carrying an export's password (percent-encoded UTF-8).
const PASSWORD_HEADER: &str = "x-twofold-password";

#[tauri::command]
pub async fn authenticator_list(mode: Mode<'_>) -> Result<CodeList, AuthError> {
    mode.run(|a| a.list()).await
}

#[tauri::command]
pub async fn authenticator_add_text(mode: Mode<'_>, text: String) -> Result<Offer, AuthError> {
    mode.run(move |a| a.add_text(&text)).await
}

#[tauri::command]
pub async fn authenticator_add_manual(
    mode: Mode<'_>,
    entry: ManualEntry,
) -> Result<AddedAccount, AuthError> {
    mode.run(move |a| a.add_manual(&entry)).await
}

#[tauri::command]
pub async fn authenticator_scan_screen(mode: Mode<'_>) -> Result<Offer, AuthError> {
    mode.run(|a| a.scan_screen()).await
}

#[tauri::command]
pub async fn authenticator_scan_image(
    mode: Mode<'_>,
    request: Request<'_>,
) -> Result<Offer, AuthError> {
    let bytes = body(&request);
    mode.run(move |a| a.scan_image(&bytes)).await
}

#[tauri::command]
pub async fn authenticator_scan_clipboard(mode: Mode<'_>) -> Result<Offer, AuthError> {
    mode.run(|a| a.scan_clipboard()).await
}

#[tauri::command]
pub async fn authenticator_import(
    mode: Mode<'_>,
    request: Request<'_>,
) -> Result<Preview, AuthError> {
    let (bytes, password) = (body(&request), password(&request));
    mode.run(move |a| a.import(&bytes, password.as_deref().map(|p| p.as_str()))).await
}

#[tauri::command]
pub async fn authenticator_confirm(
    mode: Mode<'_>,
    id: u64,
    chosen: Vec<usize>,
) -> Result<AddReport, AuthError> {
    mode.run(move |a| a.confirm(id, &chosen)).await
}

#[tauri::command]
pub async fn authenticator_discard(mode: Mode<'_>, id: u64) -> Result<(), AuthError> {
    mode.run(move |a| {
        a.discard(id);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn authenticator_next_hotp(mode: Mode<'_>, id: String) -> Result<AccountCode, AuthError> {
    mode.run(move |a| a.next_hotp(&id)).await
}

#[tauri::command]
pub async fn authenticator_copy(mode: Mode<'_>, id: String) -> Result<Copied, AuthError> {
    mode.run(move |a| a.copy(&id)).await
}

#[tauri::command]
pub async fn authenticator_move(
    mode: Mode<'_>,
    id: String,
    index: usize,
) -> Result<CodeList, AuthError> {
    mode.run(move |a| a.move_account(&id, index)).await
}

#[tauri::command]
pub async fn authenticator_delete(mode: Mode<'_>, id: String) -> Result<CodeList, AuthError> {
    mode.run(move |a| a.delete(&id)).await
}

/// One account's QR code as a PNG in base64, for the web view to show (the only way a secret
/// reaches the web side, and only because the user asked to show it to a phone).
#[tauri::command]
pub async fn authenticator_account_qr(mode: Mode<'_>, id: String) -> Result<String, AuthError> {
    use base64::Engine as _;
    let png = mode.run(move |a| a.account_qr(&id)).await?;
    Ok(base64::engine::general_purpose::STANDARD.encode(&*png))
}

/// Google Authenticator transfer codes for moving every account to a phone, as the web view
/// shows them.
#[derive(serde::Serialize)]
pub struct TransferView {
    /// PNGs in base64, in order ("1 of N").
    images: Vec<String>,
    /// (account, why) for each account Google Authenticator cannot carry.
    skipped: Vec<(String, String)>,
}

#[tauri::command]
pub async fn authenticator_transfer_codes(mode: Mode<'_>) -> Result<TransferView, AuthError> {
    use base64::Engine as _;
    let codes = mode.run(|a| a.transfer_codes()).await?;
    let encode = |png: &zeroize::Zeroizing<Vec<u8>>| {
        base64::engine::general_purpose::STANDARD.encode(&**png)
    };
    Ok(TransferView { images: codes.images.iter().map(encode).collect(), skipped: codes.skipped })
}

fn export_format(format: &str) -> Result<ExportFormat, AuthError> {
    match format {
        "aegis" => Ok(ExportFormat::Aegis),
        "uris" => Ok(ExportFormat::UriList),
        other => Err(AuthError::Internal(format!("unknown export format {other:?}"))),
    }
}

/// Where the Export dialog proposes to write (`$TWOFOLD_EXPORT_DIR`, else the home folder).
#[tauri::command]
pub fn authenticator_export_path(format: String) -> Result<String, AuthError> {
    let home = std::env::var_os("TWOFOLD_EXPORT_DIR")
        .or_else(|| std::env::var_os("HOME"))
        .map(std::path::PathBuf::from);
    let date = twofold_desktop::authenticator::export::today_utc();
    let path = suggested_export_path(export_format(&format)?, home, &date);
    Ok(path.display().to_string())
}

/// Writes the whole vault to the path the user confirmed; the password (for `aegis`) comes in
/// the password header, like an import's.
#[tauri::command]
pub async fn authenticator_export(
    mode: Mode<'_>,
    request: Request<'_>,
    format: String,
    path: String,
    replace: bool,
) -> Result<Written, AuthError> {
    let (format, password) = (export_format(&format)?, password(&request));
    mode.run(move |a| {
        a.export_to(format, password.as_deref().map(|p| p.as_str()), path.as_ref(), replace)
    })
    .await
}

#[tauri::command]
pub async fn authenticator_cameras(mode: Mode<'_>) -> Result<Vec<CameraChoice>, AuthError> {
    mode.run(|a| a.cameras()).await
}

#[tauri::command]
pub async fn authenticator_camera_start(
    mode: Mode<'_>,
    index: u32,
    events: Channel<CameraEvent>,
) -> Result<(), AuthError> {
    mode.run(move |a| a.camera_start(index, std::sync::Arc::new(move |e| drop(events.send(e)))))
        .await
}

#[tauri::command]
pub async fn authenticator_camera_stop(mode: Mode<'_>) -> Result<(), AuthError> {
    mode.run(|a| {
        a.camera_stop();
        Ok(())
    })
    .await
}

/// The raw bytes of a request body (a JSON body, from an old caller, counts as empty).
fn body(request: &Request<'_>) -> Vec<u8> {
    match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        InvokeBody::Json(_) => Vec::new(),
    }
}

/// The export password header, decoded; wiped when dropped.
fn password(request: &Request<'_>) -> Option<zeroize::Zeroizing<String>> {
    let value = request.headers().get(PASSWORD_HEADER)?.to_str().ok()?;
    let decoded = percent_encoding::percent_decode_str(value).decode_utf8().ok()?;
    Some(zeroize::Zeroizing::new(decoded.into_owned()))
}

// ---- the automatic backup ----------------------------------------------------------------

#[tauri::command]
pub async fn authenticator_backup_status(mode: Mode<'_>) -> Result<BackupStatus, AuthError> {
    mode.run(|a| Ok(a.backup_status())).await
}

/// Turns the automatic backup on (the first backup is written at once).
#[tauri::command]
pub async fn authenticator_set_backup(
    mode: Mode<'_>,
    choice: BackupChoice,
) -> Result<BackupStatus, AuthError> {
    mode.run(move |a| a.set_backup(&choice)).await
}

#[tauri::command]
pub async fn authenticator_turn_off_backup(mode: Mode<'_>) -> Result<BackupStatus, AuthError> {
    mode.run(|a| a.turn_off_backup()).await
}

// ---- the app lock ------------------------------------------------------------------------

#[tauri::command]
pub fn authenticator_lock_status(mode: Mode<'_>) -> LockStatus {
    mode.lock_status()
}

/// The account names the lock screen shows, if the user chose to keep them in sight (empty
/// otherwise and whenever unlocked). Off the UI thread: it reads the account database.
#[tauri::command]
pub async fn authenticator_locked_names(mode: Mode<'_>) -> Result<Vec<LockedName>, AuthError> {
    mode.run(|a| a.names_while_locked()).await
}

/// Locks now ("Lock" button, Ctrl+L). Off the UI thread: a running webcam scan is stopped.
#[tauri::command]
pub async fn authenticator_lock(mode: Mode<'_>) -> Result<LockStatus, AuthError> {
    mode.run(|a| {
        a.lock_now();
        Ok(a.lock_status())
    })
    .await
}

/// The password is checked with Argon2 off the UI thread.
#[tauri::command]
pub async fn authenticator_unlock(
    mode: Mode<'_>,
    password: String,
) -> Result<LockStatus, AuthError> {
    let password = zeroize::Zeroizing::new(password);
    mode.run(move |a| a.unlock(&password)).await
}

#[tauri::command]
pub async fn authenticator_set_lock(
    mode: Mode<'_>,
    change: LockChange,
) -> Result<LockStatus, AuthError> {
    mode.run(move |a| a.set_lock(&change)).await
}

#[tauri::command]
pub async fn authenticator_remove_lock(
    mode: Mode<'_>,
    current: String,
) -> Result<LockStatus, AuthError> {
    let current = zeroize::Zeroizing::new(current);
    mode.run(move |a| a.remove_lock(&current)).await
}

#[tauri::command]
pub async fn authenticator_decline_lock_offer(mode: Mode<'_>) -> Result<LockStatus, AuthError> {
    mode.run(|a| a.decline_lock_offer()).await
}

/// The user used the window (sent at most every few seconds): the idle time starts again.
#[tauri::command]
pub fn authenticator_activity(mode: Mode<'_>) {
    mode.activity();
}

/// Event the window gets when the app lock shuts by itself (idle time, session locked).
pub const LOCKED_EVENT: &str = "authenticator-locked";

/// Shuts the app lock with the desktop session and after the idle time, telling the window.
pub fn watch_lock(app: &tauri::AppHandle, mode: &Authenticator) {
    use tauri::Emitter;
    let locked = {
        let (app, mode) = (app.clone(), mode.clone());
        move || {
            if mode.lock_now() {
                let _ = app.emit(LOCKED_EVENT, ());
            }
        }
    };
    if let Err(e) =
        twofold_desktop::authenticator::session_lock::watch_screen_saver(None, locked.clone())
    {
        eprintln!("twofold: the app lock will not follow the screen saver: {e}");
    }
    if let Err(e) = twofold_desktop::authenticator::session_lock::watch_logind(locked) {
        eprintln!("twofold: the app lock will not follow logind's session lock: {e}");
    }
    let (app, mode) = (app.clone(), mode.clone());
    let _ = std::thread::Builder::new().name("app-lock-idle".into()).spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if mode.lock_if_idle() {
            let _ = app.emit(LOCKED_EVENT, ());
        }
    });
}
