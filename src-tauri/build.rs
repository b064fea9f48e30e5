//! Tauri's build step: resolves the capabilities in `capabilities/` against the app's own
//! commands (declared here, so each one gets an `allow-…` permission a capability can grant),
//! and checks that the front end was built before it is embedded.

/// Every `#[tauri::command]` of the app. A command missing here cannot be granted, so the UI
/// cannot call it: add new commands (e.g. the Authenticator mode's) to this list and to the
/// capability of the window that needs them.
const COMMANDS: &[&str] = &[
    "admin_connection",
    "admin_connect",
    "admin_disconnect",
    "admin_forget_token",
    "admin_status",
    "admin_set_two_factor",
    "admin_search_directory",
    "admin_principals",
    "admin_add_principals",
    "admin_remove_principals",
    "admin_users",
    "admin_reset",
    "admin_unlock",
    "admin_audit",
    "admin_install_license",
    "authenticator_list",
    "authenticator_add_text",
    "authenticator_add_manual",
    "authenticator_scan_screen",
    "authenticator_scan_image",
    "authenticator_scan_clipboard",
    "authenticator_import",
    "authenticator_confirm",
    "authenticator_discard",
    "authenticator_next_hotp",
    "authenticator_copy",
    "authenticator_move",
    "authenticator_delete",
    "authenticator_account_qr",
    "authenticator_transfer_codes",
    "authenticator_export_path",
    "authenticator_export",
    "authenticator_cameras",
    "authenticator_camera_start",
    "authenticator_camera_stop",
    "authenticator_lock_status",
    "authenticator_locked_names",
    "authenticator_lock",
    "authenticator_unlock",
    "authenticator_set_lock",
    "authenticator_remove_lock",
    "authenticator_decline_lock_offer",
    "authenticator_activity",
    "authenticator_backup_status",
    "authenticator_set_backup",
    "authenticator_turn_off_backup",
    "authenticator_at_hand",
    "authenticator_set_at_hand",
    "quick_pick_list",
    "quick_pick_copy",
    "quick_pick_type",
    "quick_pick_close",
    "quick_pick_show_main",
    "loop_check_state",
    "loop_check_run",
    "loop_check_copy_report",
    "clock_check",
];

fn main() {
    let embedded = std::env::var_os("CARGO_FEATURE_CUSTOM_PROTOCOL").is_some();
    let index = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    if embedded && !index.exists() {
        // A clear message instead of tauri-codegen's: the front end is built by npm, not cargo.
        panic!("ui/dist/index.html is missing: build the front end first with scripts/build-app.sh (or `npm --prefix ui ci && npm --prefix ui run build`)");
    }
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build step");
}
