//! The `#[tauri::command]`s, one module per mode. Each command is a one-line adapter over a
//! function of `twofold-desktop`; nothing here decides anything.

pub mod admin;
pub mod authenticator;
pub mod loop_check;
pub mod quick_pick;
