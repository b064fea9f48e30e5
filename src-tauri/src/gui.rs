//! The window: Tauri's builder with the app's state and commands. Everything the commands do
//! is in `twofold-desktop`; this file only wires it.
//!
//! The window is created here rather than from the config so the page knows its start mode
//! before its first render: asking over IPC after mounting would draw (and load) the other
//! mode first, which cost a quarter of the start-up time.

use std::sync::Arc;

use anyhow::Context;
use tauri::Manager;
use twofold_desktop::connection::token_store::KeyringTokenStore;
use twofold_desktop::AdminSession;

use crate::commands::{admin, authenticator, loop_check, quick_pick};

pub fn run() -> anyhow::Result<()> {
    // WebKitGTK's DMA-BUF renderer keeps ~70 MB of extra buffers (docs/BENCHMARKS.md) and shows
    // blank windows on some GPU drivers; a small window of text and codes needs neither. A
    // value the user set is kept. Called before any thread exists, so setting it is sound.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    // JavaScriptCore's JIT tiers hold ~12 MB of code and profiles in the web process for a
    // page whose scripts run for milliseconds (the codes come from Rust); the interpreter
    // draws the list as fast (docs/BENCHMARKS.md) and leaves less to attack. Same rule: a
    // value the user set is kept.
    #[cfg(target_os = "linux")]
    if std::env::var_os("JSC_useJIT").is_none() {
        std::env::set_var("JSC_useJIT", "false");
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .manage(quick_pick::QuickPick::default())
        .setup(|app| {
            let config_dir = app.path().app_config_dir()?;
            app.manage(AdminSession::new(config_dir, Arc::new(KeyringTokenStore::new())));
            // The same directory the CLI's `import` uses ($TWOFOLD_VAULT_DIR, else app_data_dir).
            let vault_dir = twofold_desktop::authenticator::vault_dir()
                .or_else(|_| app.path().app_data_dir())?;
            let clipboard = Arc::new(twofold_desktop::authenticator::SystemClipboard::new());
            // The Loop check panel runs against the same vault and keyring, as the CLI does.
            app.manage(twofold_desktop::loop_check::panel::LoopCheckPanel::new(
                app.path().app_config_dir()?,
                vault_dir.clone(),
                Arc::new(twofold_vault::KeyringStore::new()),
                clipboard.clone(),
            ));
            let mode = twofold_desktop::authenticator::Authenticator::new(
                vault_dir,
                Arc::new(twofold_vault::KeyringStore::new()),
                clipboard,
            )
            .with_app_lock();
            authenticator::watch_lock(app.handle(), &mode);
            let at_hand = mode.at_hand();
            app.manage(mode);
            if let Some(problem) = &at_hand.problem {
                eprintln!("twofold: {problem}");
            }
            quick_pick::register_saved(app.handle(), at_hand.settings.shortcut.as_deref());
            // libappindicator is opened at run time and panics when it is missing: the window
            // still opens, without a tray icon.
            let tray = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::tray::install(app.handle())
            }));
            match tray {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("twofold: no tray icon: {e}"),
                Err(_) => eprintln!("twofold: no tray icon: libayatana-appindicator3 is missing"),
            }
            let config = app
                .config()
                .app
                .windows
                .first()
                .context("tauri.conf.json declares no window")?
                .clone();
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                .initialization_script(twofold_desktop::shell::start_mode_script())
                .build()?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            admin::admin_connection,
            admin::admin_connect,
            admin::admin_disconnect,
            admin::admin_forget_token,
            admin::admin_status,
            admin::admin_set_two_factor,
            admin::admin_search_directory,
            admin::admin_principals,
            admin::admin_add_principals,
            admin::admin_remove_principals,
            admin::admin_users,
            admin::admin_reset,
            admin::admin_unlock,
            admin::admin_audit,
            admin::admin_install_license,
            authenticator::authenticator_list,
            authenticator::authenticator_add_text,
            authenticator::authenticator_add_manual,
            authenticator::authenticator_scan_screen,
            authenticator::authenticator_scan_image,
            authenticator::authenticator_scan_clipboard,
            authenticator::authenticator_import,
            authenticator::authenticator_confirm,
            authenticator::authenticator_discard,
            authenticator::authenticator_next_hotp,
            authenticator::authenticator_copy,
            authenticator::authenticator_move,
            authenticator::authenticator_delete,
            authenticator::authenticator_account_qr,
            authenticator::authenticator_transfer_codes,
            authenticator::authenticator_export_path,
            authenticator::authenticator_export,
            authenticator::authenticator_cameras,
            authenticator::authenticator_camera_start,
            authenticator::authenticator_camera_stop,
            authenticator::authenticator_lock_status,
            authenticator::authenticator_locked_names,
            authenticator::authenticator_lock,
            authenticator::authenticator_unlock,
            authenticator::authenticator_set_lock,
            authenticator::authenticator_remove_lock,
            authenticator::authenticator_decline_lock_offer,
            authenticator::authenticator_activity,
            authenticator::authenticator_backup_status,
            authenticator::authenticator_set_backup,
            authenticator::authenticator_turn_off_backup,
            quick_pick::authenticator_at_hand,
            quick_pick::authenticator_set_at_hand,
            quick_pick::quick_pick_list,
            quick_pick::quick_pick_copy,
            quick_pick::quick_pick_type,
            quick_pick::quick_pick_close,
            quick_pick::quick_pick_show_main,
            loop_check::loop_check_state,
            loop_check::loop_check_run,
            loop_check::loop_check_copy_report,
            loop_check::clock_check,
        ])
        .on_window_event(|window, event| {
            loop_check::close_after_clean_up(window, event);
            quick_pick::close_main(window, event);
            quick_pick::hide_on_blur(window, event);
        })
        .run(tauri::generate_context!())
        .context("running the Twofold window")
}
