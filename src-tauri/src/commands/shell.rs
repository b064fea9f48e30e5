//! Commands of the window shell itself (not of a mode).

#[tauri::command]
pub fn app_start_mode() -> Option<&'static str> {
    twofold_desktop::shell::start_mode()
}
