//! The quick-pick: a small window the global shortcut (or the tray) opens over whatever the
//! user was doing. Enter copies the chosen code, Shift+Enter types it into the window that had
//! focus before. That window is read before the quick-pick takes the focus, so its title can
//! put the account it names first.
//!
//! The window is made at the first use and then only hidden and shown: a second web view
//! costs memory at every start for a feature some never use, and showing a made window is
//! instant.

use std::sync::Mutex;

use tauri::{AppHandle, Emitter, Manager, State, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};
use twofold_desktop::authenticator::{AtHand, AtHandStatus, AuthError, Authenticator, QuickList};
use twofold_desktop::target_window::{self, TargetWindow};

const LABEL: &str = "quick";
const TITLE: &str = "Twofold quick pick";
/// The window's size in logical pixels.
const SIZE: (f64, f64) = (460.0, 420.0);
/// Event the quick-pick page gets each time it is shown: read the list again, clear the filter.
pub const OPENED_EVENT: &str = "quick-pick-opened";

/// The window the quick-pick came over, and the shortcut registered now.
#[derive(Default)]
pub struct QuickPick {
    target: Mutex<Option<TargetWindow>>,
    shortcut: Mutex<Option<String>>,
    /// Why the saved shortcut could not be registered at start (another program holds it, or
    /// this desktop has no global shortcuts for apps, as on Wayland).
    /// `(shortcut, why)`.
    unregistered: Mutex<Option<(String, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The global shortcut in force, for the tray's label.
pub fn current_shortcut(app: &AppHandle) -> Option<String> {
    lock(&app.state::<QuickPick>().shortcut).clone()
}

/// Opens the quick-pick over the focused window.
pub fn open(app: &AppHandle) {
    let target = target_window::focused();
    *lock(&app.state::<QuickPick>().target) = target;
    let window = match app.get_webview_window(LABEL) {
        Some(window) => window,
        None => match build(app) {
            Ok(window) => window,
            Err(e) => {
                eprintln!("twofold: the quick-pick window could not be made: {e}");
                return;
            }
        },
    };
    place(&window);
    let _ = window.show();
    let _ = window.set_focus();
    let _ = window.emit(OPENED_EVENT, ());
    // Off the UI thread: the window is mapped by the UI thread's next turn.
    std::thread::spawn(|| target_window::focus_own_window(TITLE));
}

/// Centred across, a third of the way down the screen the pointer is on, as launchers sit.
/// (Placed by its known size: `center()` on a window never mapped has no size yet.)
fn place(window: &tauri::WebviewWindow) {
    let monitor = window
        .cursor_position()
        .ok()
        .and_then(|p| window.monitor_from_point(p.x, p.y).ok().flatten());
    let Some(monitor) = monitor.or_else(|| window.primary_monitor().ok().flatten()) else {
        return;
    };
    let (scale, area, origin) = (monitor.scale_factor(), monitor.size(), monitor.position());
    let (w, h) = ((SIZE.0 * scale) as i32, (SIZE.1 * scale) as i32);
    let x = origin.x + (area.width as i32 - w) / 2;
    let y = origin.y + (area.height as i32 - h) / 3;
    let _ = window.set_position(tauri::PhysicalPosition::new(x, y));
}

fn build(app: &AppHandle) -> tauri::Result<tauri::WebviewWindow> {
    WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title(TITLE)
        .inner_size(SIZE.0, SIZE.1)
        .resizable(false)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .visible(false)
        .initialization_script("window.__TWOFOLD_START_MODE__ = \"quick\";")
        .build()
}

fn hide(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.hide();
    }
}

/// Hides the quick-pick when it loses the focus, as a menu closes.
pub fn hide_on_blur(window: &tauri::Window, event: &tauri::WindowEvent) {
    if window.label() == LABEL && matches!(event, tauri::WindowEvent::Focused(false)) {
        // Judged a moment later: while the focus moves in (from the root window, with the
        // pointer over the new window) X reports it going out and in again.
        let window = window.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(250));
            if window.is_visible().unwrap_or(false) && !window.is_focused().unwrap_or(true) {
                let _ = window.hide();
            }
        });
    }
}

/// Registers `shortcut` in place of the current one; on failure the current one stays.
pub fn apply_shortcut(app: &AppHandle, shortcut: Option<&str>) -> Result<(), AuthError> {
    let state = app.state::<QuickPick>();
    let mut current = lock(&state.shortcut);
    if current.as_deref() == shortcut {
        return Ok(());
    }
    let keys = app.global_shortcut();
    let register = |s: &str| {
        keys.on_shortcut(s, |app, _, event| {
            if event.state == ShortcutState::Pressed {
                open(app);
            }
        })
    };
    if let Some(old) = current.as_deref() {
        let _ = keys.unregister(old);
    }
    if let Some(new) = shortcut {
        if let Err(e) = register(new) {
            if let Some(old) = current.as_deref() {
                let _ = register(old);
            }
            return Err(AuthError::Shortcut { shortcut: new.to_string(), detail: e.to_string() });
        }
    }
    *current = shortcut.map(str::to_string);
    *lock(&state.unregistered) = None;
    Ok(())
}

type Mode<'a> = State<'a, Authenticator>;

#[tauri::command]
pub async fn quick_pick_list(
    mode: Mode<'_>,
    quick: State<'_, QuickPick>,
) -> Result<QuickList, AuthError> {
    let title = lock(&quick.target).as_ref().and_then(|t| t.title.clone());
    mode.run(move |a| a.quick_list(title.as_deref())).await
}

/// Enter: copies the code and closes the quick-pick.
#[tauri::command]
pub async fn quick_pick_copy(app: AppHandle, mode: Mode<'_>, id: String) -> Result<(), AuthError> {
    mode.run(move |a| a.quick_copy(&id)).await?;
    hide(&app);
    Ok(())
}

/// Shift+Enter: closes the quick-pick, gives the focus back and types the code there.
#[tauri::command]
pub async fn quick_pick_type(
    app: AppHandle,
    mode: Mode<'_>,
    quick: State<'_, QuickPick>,
    id: String,
) -> Result<(), AuthError> {
    let target = lock(&quick.target).clone();
    hide(&app);
    let typed = mode.run(move |a| a.type_code(&id, target.as_ref())).await;
    if typed.is_err() {
        // Shown again so the user reads why (and that the code is on the clipboard).
        if let Some(window) = app.get_webview_window(LABEL) {
            let _ = window.show();
            let _ = window.set_focus();
            std::thread::spawn(|| target_window::focus_own_window(TITLE));
        }
    }
    typed
}

#[tauri::command]
pub fn quick_pick_close(app: AppHandle) {
    hide(&app);
}

/// "Open Twofold" from the quick-pick (to unlock, or to add an account).
#[tauri::command]
pub fn quick_pick_show_main(app: AppHandle) {
    hide(&app);
    crate::tray::show_main(&app);
}

/// The settings, and why the saved shortcut is not in force if it is not.
#[tauri::command]
pub fn authenticator_at_hand(mode: Mode<'_>, quick: State<'_, QuickPick>) -> AtHandStatus {
    let status = mode.at_hand();
    match status.problem {
        Some(_) => status,
        None => {
            let problem = lock(&quick.unregistered)
                .clone()
                .map(|(shortcut, detail)| AuthError::Shortcut { shortcut, detail });
            AtHandStatus { problem, ..status }
        }
    }
}

/// Registers the saved shortcut at start; a failure is kept for the settings dialog.
pub fn register_saved(app: &AppHandle, shortcut: Option<&str>) {
    if let Err(e) = apply_shortcut(app, shortcut) {
        eprintln!("twofold: the quick-pick has no shortcut: {e}");
        let why = match e {
            AuthError::Shortcut { shortcut, detail } => (shortcut, detail),
            other => (shortcut.unwrap_or_default().to_string(), other.to_string()),
        };
        *lock(&app.state::<QuickPick>().unregistered) = Some(why);
    }
}

/// Saves the tray and shortcut settings; a shortcut that cannot be registered is refused and
/// nothing is saved.
#[tauri::command]
pub async fn authenticator_set_at_hand(
    app: AppHandle,
    mode: Mode<'_>,
    settings: AtHand,
) -> Result<AtHand, AuthError> {
    let shortcut = settings
        .shortcut
        .as_deref()
        .map(twofold_desktop::authenticator::at_hand::tidy_shortcut)
        .transpose()?;
    apply_shortcut(&app, shortcut.as_deref())?;
    mode.run(move |a| a.save_at_hand(AtHand { shortcut, ..settings })).await
}

/// Closing the main window: hidden to the tray if the user chose so; otherwise the app ends
/// (the hidden quick-pick would keep it running).
pub fn close_main(window: &tauri::Window, event: &tauri::WindowEvent) {
    if window.label() != "main" {
        return;
    }
    match event {
        tauri::WindowEvent::CloseRequested { api, .. }
            if window.state::<Authenticator>().at_hand().settings.keep_in_tray =>
        {
            api.prevent_close();
            let _ = window.hide();
        }
        tauri::WindowEvent::Destroyed => window.app_handle().exit(0),
        _ => {}
    }
}
