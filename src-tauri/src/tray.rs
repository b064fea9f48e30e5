//! The tray icon (a StatusNotifierItem through libayatana-appindicator on Linux): the
//! accounts' menu — choosing one copies its code — the quick-pick, the window, Lock and Quit.
//! While the app is locked the menu names no account, unless the user chose to keep the names
//! in sight (then they are listed, disabled; codes never are). What it lists is
//! `twofold_desktop::authenticator::tray_menu`'s model, compared every second (the CLI may
//! add accounts behind the app's back) and rebuilt only when it changed.

use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};
use twofold_desktop::authenticator::{Authenticator, TrayAccounts};

use crate::commands::{authenticator::LOCKED_EVENT, quick_pick};

const TRAY_ID: &str = "twofold";
const COPY_PREFIX: &str = "copy:";

/// What the menu is built from; a new one rebuilds it.
#[derive(Clone, PartialEq, Eq)]
struct Model {
    accounts: TrayAccounts,
    lock_set: bool,
    shortcut: Option<String>,
}

fn model(app: &AppHandle) -> Model {
    let mode = app.state::<Authenticator>();
    Model {
        accounts: mode.tray_accounts(),
        lock_set: mode.lock_status().enabled,
        shortcut: quick_pick::current_shortcut(app),
    }
}

/// Puts the icon in the tray and keeps its menu up to date.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let first = model(app);
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Twofold")
        .menu(&menu(app, &first)?)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    let app = app.clone();
    let _ = std::thread::Builder::new().name("tray-menu".into()).spawn(move || {
        let mut shown = first;
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            let now = model(&app);
            if now == shown {
                continue;
            }
            let rebuilt = menu(&app, &now).and_then(|m| match app.tray_by_id(TRAY_ID) {
                Some(tray) => tray.set_menu(Some(m)),
                None => Ok(()),
            });
            match rebuilt {
                Ok(()) => shown = now,
                Err(e) => eprintln!("twofold: the tray menu was not updated: {e}"),
            }
        }
    });
    Ok(())
}

/// muda reads `&` as a mnemonic mark; names are shown as they are.
fn literal(label: &str) -> String {
    label.replace('&', "&&")
}

fn menu(app: &AppHandle, model: &Model) -> tauri::Result<Menu<Wry>> {
    let mut items: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::new();
    let item = |id: String, label: &str, enabled: bool| {
        MenuItem::with_id(app, id, literal(label), enabled, None::<&str>)
    };
    let note = |text: &str| item("note".into(), text, false);
    match &model.accounts {
        TrayAccounts::Locked(names) => {
            items.push(Box::new(note("Locked — open Twofold to unlock")?));
            // The names the user chose to keep in sight, as entries that do nothing.
            for (i, label) in names.iter().enumerate() {
                items.push(Box::new(item(format!("locked-name:{i}"), label, false)?));
            }
        }
        TrayAccounts::Unreadable(why) => {
            items.push(Box::new(note(&twofold_desktop::authenticator::tray_menu::account_label(
                Some("Cannot read the accounts"),
                why,
            ))?))
        }
        TrayAccounts::Listed(accounts) if accounts.is_empty() => {
            items.push(Box::new(note("No accounts yet")?))
        }
        TrayAccounts::Listed(accounts) => {
            for (id, label) in accounts {
                items.push(Box::new(item(format!("{COPY_PREFIX}{id}"), label, true)?));
            }
        }
    }
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    let quick = match &model.shortcut {
        Some(keys) => format!("Quick pick…  ({keys})"),
        None => "Quick pick…".to_string(),
    };
    items.push(Box::new(item("quick".into(), &quick, true)?));
    items.push(Box::new(item("show".into(), "Show Twofold", true)?));
    if model.lock_set && !matches!(model.accounts, TrayAccounts::Locked(_)) {
        items.push(Box::new(item("lock".into(), "Lock now", true)?));
    }
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(item("quit".into(), "Quit Twofold", true)?));
    let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|i| i.as_ref()).collect();
    Menu::with_items(app, &refs)
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    if let Some(account) = id.strip_prefix(COPY_PREFIX) {
        let (mode, account) = (app.state::<Authenticator>().inner().clone(), account.to_string());
        // The keyring may take a moment: not on the UI thread.
        std::thread::spawn(move || {
            if let Err(e) = mode.copy(&account) {
                eprintln!("twofold: the code was not copied: {e}");
            }
        });
        return;
    }
    match id {
        "quick" => quick_pick::open(app),
        "show" => show_main(app),
        "lock" if app.state::<Authenticator>().lock_now() => {
            let _ = app.emit(LOCKED_EVENT, ());
        }
        "quit" => app.exit(0),
        _ => {}
    }
}

/// Brings the main window back (from the tray, or hidden behind others).
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
