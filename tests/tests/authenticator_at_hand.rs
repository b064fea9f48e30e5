//! "Always at hand" end to end: the real `twofold` binary under a private Xvfb desktop (its own
//! session bus and unlocked gnome-keyring), a StatusNotifierWatcher on that bus standing in for
//! the panel, a real `xterm`, and `xdotool` as the user's keyboard.
//!
//! - The tray: the item the app registers exports a menu listing every account ("Issuer —
//!   name"); choosing one puts oathtool's code on the clipboard; while the app is locked the
//!   menu names no account, and the accounts come back once it is unlocked. The menu is read
//!   over D-Bus as a panel reads it (there is no panel to look at under Xvfb).
//! - The quick-pick: the global shortcut opens it over an xterm titled "Sign in - GitHub";
//!   GitHub comes first though it is second in the list, and Shift+Enter types oathtool's
//!   GitHub code into the xterm (what the xterm received is read back). Typing a filter and
//!   Enter copies the other account's code. A shortcut recorded in the settings dialog by
//!   pressing it replaces the old one (which then opens nothing) and is saved with "keep in
//!   the tray". Screenshots land in
//!   `tests/artifacts/authenticator-quick-pick*.png`, and of the tray menu as an XEmbed panel
//!   (trayer) shows it — the app's fallback where no StatusNotifierWatcher runs — in
//!   `authenticator-tray-menu.png`.

// `ONE_APP` is a std Mutex held across awaits on purpose: each #[tokio::test] has its own
// runtime on its own thread, and the guard only makes those threads take turns.
#![allow(clippy::await_holding_lock)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use twofold_e2e::artifacts::artifact_path;
use twofold_e2e::authenticator_tools::{clipboard_text, oathtool_totp_between, OathParams};
use twofold_e2e::authenticator_ui::{add_link, authenticator_app_tools, start_authenticator};
use twofold_e2e::bench::median;
use twofold_e2e::clock::now_unix;
use twofold_e2e::desktop_session::DesktopSession;
use twofold_e2e::process::ChildGuard;
use twofold_e2e::tray_watcher::{TrayEntry, TrayWatcher};

const AWS: &str = "otpauth://totp/AWS:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=AWS";
const GITHUB: &str =
    "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const SHORTCUT: &str = "ctrl+alt+shift+o";
/// The quick-pick (centred, a third down) and the terminal under it, on the 1920x1080 screen.
const QUICK_PICK_AREA: &str = "720x600+620+180";

/// One app at a time: each brings up Xvfb and WebKit, and two cores are shared.
static ONE_APP: Mutex<()> = Mutex::new(());

fn github() -> OathParams<'static> {
    OathParams { secret_b32: "JBSWY3DPEHPK3PXP", algorithm: "SHA1", digits: 6, period: Some(30) }
}

fn aws() -> OathParams<'static> {
    OathParams {
        secret_b32: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        algorithm: "SHA1",
        digits: 6,
        period: Some(30),
    }
}

/// Runs `xdotool ARGS` on the session's display; returns its output.
fn xdotool(session: &DesktopSession, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("10")
        .arg("xdotool")
        .args(args)
        .envs(session.env())
        .stdin(Stdio::null())
        .output()
        .expect("run xdotool");
    assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The id of a visible window named `name`, if one is shown now.
fn visible_window(session: &DesktopSession, name: &str) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", name])
        .envs(session.env())
        .stdin(Stdio::null())
        .output()
        .expect("run xdotool search");
    String::from_utf8_lossy(&out.stdout).lines().next().map(|id| id.trim().to_string())
}

/// Waits for a visible window named `name`; returns its id.
fn window_named(session: &DesktopSession, name: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(id) = visible_window(session, name) {
            return id;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no visible window named {name:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn window_gone(session: &DesktopSession, name: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if visible_window(session, name).is_none() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    screenshot(session, "authenticator-quick-pick-stuck", "1920x1080+0+0");
    panic!("the window {name:?} is still shown (screenshot above)");
}

/// Captures `area` (`WxH+X+Y`) of the screen.
fn screenshot(session: &DesktopSession, name: &str, area: &str) {
    let path = artifact_path(&format!("{name}.png"));
    let status = Command::new("import")
        .args(["-window", "root", "-crop", area, "+repage"])
        .arg(&path)
        .envs(session.env())
        .status()
        .expect("run import");
    assert!(status.success(), "screenshot {name}");
    println!("{name}: {}", path.display());
}

/// An xterm titled `title` that writes the line it reads to `out`, and ends.
fn xterm(session: &DesktopSession, title: &str, out: &Path) -> ChildGuard {
    let script = format!("read line; printf %s \"$line\" > '{}'", out.display());
    let mut cmd = Command::new("xterm");
    cmd.args(["-geometry", "100x10+730+660", "-T", title, "-e", "sh", "-c", &script])
        .envs(session.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    ChildGuard::spawn("xterm", &mut cmd)
}

fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "nothing arrived in {}", path.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn labels(entries: &[TrayEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.label.as_str()).collect()
}

fn assert_one_of(what: &str, got: &str, params: &OathParams<'_>, from: u64) {
    let expected = oathtool_totp_between(params, from, now_unix());
    assert!(
        expected.contains(&got.to_string()),
        "{what}: got {got:?}, oathtool gives {expected:?}"
    );
}

#[tokio::test]
async fn tray_menu_lists_the_accounts_copies_a_code_and_names_none_while_locked() {
    let test = "tray_menu_lists_the_accounts_copies_a_code_and_names_none_while_locked";
    if !authenticator_app_tools(test, &["gdbus"]) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let watcher = TrayWatcher::start(&session.bus);
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    let item = watcher.item(Duration::from_secs(15));
    let empty = watcher
        .menu_until(&item, "the empty vault is said", |m| labels(m).contains(&"No accounts yet"));
    assert!(labels(&empty).contains(&"Quick pick…  (Ctrl+Alt+Shift+O)"), "{empty:?}");

    add_link(&app, AWS).await;
    add_link(&app, GITHUB).await;
    let menu = watcher.menu_until(&item, "the accounts are listed", |m| {
        labels(m).contains(&"GitHub — alice@example.com")
    });
    let names = labels(&menu);
    assert_eq!(&names[..2], ["AWS — bob", "GitHub — alice@example.com"], "in the list's order");
    for entry in ["Show Twofold", "Quit Twofold"] {
        assert!(names.contains(&entry), "{entry} missing from {names:?}");
    }

    // Choosing an account copies its code.
    let from = now_unix().saturating_sub(1);
    let github_entry = menu.iter().find(|e| e.label.starts_with("GitHub")).expect("GitHub entry");
    watcher.click(&item, github_entry.id);
    let start = Instant::now();
    let copied = loop {
        let text = clipboard_text(&session);
        if text.len() == 6 || start.elapsed() > Duration::from_secs(10) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_one_of("the tray's GitHub entry copied", copied.trim(), &github(), from);

    // Locked: the menu names no account; unlocked: they are back.
    let set_and_lock = "return window.__TAURI_INTERNALS__.invoke('authenticator_set_lock', { change: { current: null, password: 'desk lamp 42', idle_secs: null } }).then(() => window.__TAURI_INTERNALS__.invoke('authenticator_lock')).then(() => true, e => JSON.stringify(e));";
    let answer = app.client.execute(set_and_lock, vec![]).await.expect("set the lock");
    assert_eq!(answer, serde_json::Value::Bool(true), "setting and shutting the lock: {answer}");
    let locked = watcher.menu_until(&item, "the locked menu is shown", |m| {
        labels(m).contains(&"Locked — open Twofold to unlock")
    });
    let all = format!("{locked:?}");
    for hidden in ["alice", "bob", "GitHub", "AWS"] {
        assert!(!all.contains(hidden), "the locked tray menu names {hidden:?}: {all}");
    }
    app.find("[data-testid=auth-locked]").await;
    app.type_into("[data-testid=auth-unlock-password]", "desk lamp 42").await;
    app.click("[data-testid=auth-unlock]").await;
    watcher.menu_until(&item, "the accounts come back after unlocking", |m| {
        labels(m).contains(&"GitHub — alice@example.com") && labels(m).contains(&"Lock now")
    });
    app.close().await;
}

#[tokio::test]
async fn the_shortcut_opens_the_quick_pick_which_types_the_code_the_window_asks_for() {
    let test = "the_shortcut_opens_the_quick_pick_which_types_the_code_the_window_asks_for";
    if !authenticator_app_tools(test, &["xdotool", "xterm", "import", "trayer"]) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let mut panel = Command::new("trayer");
    panel
        .args(["--edge", "bottom", "--align", "right", "--widthtype", "request", "--height", "32"])
        .args(["--SetDockType", "false", "--SetPartialStrut", "false", "--tint", "0x1d2433"])
        .args(["--transparent", "true", "--alpha", "0"])
        .envs(session.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _panel = ChildGuard::spawn("trayer", &mut panel);
    std::thread::sleep(Duration::from_millis(500));
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    add_link(&app, AWS).await;
    add_link(&app, GITHUB).await;

    // A terminal asking for GitHub's code has the focus.
    let typed = vault.path().join("typed.txt");
    let _xterm = xterm(&session, "Sign in - GitHub", &typed);
    let terminal = window_named(&session, "Sign in - GitHub");
    xdotool(&session, &["windowfocus", "--sync", &terminal]);

    xdotool(&session, &["key", "--clearmodifiers", SHORTCUT]);
    window_named(&session, "Twofold quick pick");
    // The list arrives over IPC a moment after the window shows.
    std::thread::sleep(Duration::from_millis(800));
    screenshot(&session, "authenticator-quick-pick", QUICK_PICK_AREA);

    let from = now_unix().saturating_sub(1);
    xdotool(&session, &["key", "shift+Return"]);
    window_gone(&session, "Twofold quick pick");
    // The code went into the terminal; Return ends the line it reads.
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&session, &["key", "Return"]);
    let line = wait_for_file(&typed);
    assert_one_of("the code typed into the GitHub terminal", &line, &github(), from);

    // Filtered by typing, Enter copies the other account's code.
    xdotool(&session, &["key", "--clearmodifiers", SHORTCUT]);
    window_named(&session, "Twofold quick pick");
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&session, &["type", "--delay", "30", "aws"]);
    std::thread::sleep(Duration::from_millis(300));
    screenshot(&session, "authenticator-quick-pick-filtered", QUICK_PICK_AREA);
    let from = now_unix().saturating_sub(1);
    xdotool(&session, &["key", "Return"]);
    window_gone(&session, "Twofold quick pick");
    assert_one_of("Enter copied AWS's code", clipboard_text(&session).trim(), &aws(), from);

    // Esc closes it without a code.
    xdotool(&session, &["key", "--clearmodifiers", SHORTCUT]);
    window_named(&session, "Twofold quick pick");
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&session, &["key", "Escape"]);
    window_gone(&session, "Twofold quick pick");

    // Another shortcut, recorded in the settings dialog by pressing it: it opens the
    // quick-pick, the old one no longer does, and the choice is in the settings file.
    app.click("[data-testid=auth-at-hand]").await;
    app.find("[data-testid=auth-at-hand-dialog]").await;
    app.click("[data-testid=auth-keep-in-tray]").await;
    app.click("[data-testid=auth-shortcut]").await;
    let main = window_named(&session, "Twofold");
    xdotool(&session, &["windowfocus", "--sync", &main]);
    xdotool(&session, &["key", "--clearmodifiers", "ctrl+alt+k"]);
    app.wait_until(
        "document.querySelector('[data-testid=auth-shortcut]').value === 'Ctrl+Alt+K'",
        "the pressed keys are recorded",
    )
    .await;
    println!("dialog: {}", app.screenshot("authenticator-at-hand-dialog").await.display());
    app.click("[data-testid=auth-at-hand-save]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-at-hand-dialog]')",
        "the dialog closes once saved",
    )
    .await;
    let saved = std::fs::read_to_string(vault.path().join("at-hand.json")).expect("settings");
    let saved: serde_json::Value = serde_json::from_str(&saved).expect("json");
    assert_eq!(saved, serde_json::json!({ "keep_in_tray": true, "shortcut": "Ctrl+Alt+K" }));
    xdotool(&session, &["key", "--clearmodifiers", SHORTCUT]);
    std::thread::sleep(Duration::from_millis(800));
    window_gone(&session, "Twofold quick pick");
    xdotool(&session, &["key", "--clearmodifiers", "ctrl+alt+k"]);
    window_named(&session, "Twofold quick pick");
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&session, &["key", "Escape"]);
    window_gone(&session, "Twofold quick pick");

    // The tray icon in an XEmbed panel (trayer): clicked, it shows the menu, for the README.
    let icon = ["search", "--class", "tray-icon tray app twofold"];
    xdotool(
        &session,
        &[&icon[..], &["mousemove", "--window", "%1", "16", "15", "click", "1"]].concat(),
    );
    std::thread::sleep(Duration::from_millis(800));
    screenshot(&session, "authenticator-tray-menu", "520x260+1400+820");
    xdotool(&session, &["key", "Escape"]);
    app.close().await;
}

/// Milliseconds until `ready` holds, polled as fast as spawning its probe allows (a few ms).
fn ms_until(what: &str, mut ready: impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(10), "{what} did not happen");
    }
    start.elapsed().as_secs_f64() * 1000.0
}

/// Shortcut press to the quick-pick on screen with its list, Enter to the code on the
/// clipboard, and Shift+Enter to all six digits arrived in a terminal (raw mode, so each key
/// is seen as it comes), 10 rounds each, for docs/BENCHMARKS.md. Run by
/// `scripts/bench-desktop.sh`; prints `BENCH` lines and asserts nothing about the figures.
#[tokio::test]
#[ignore = "benchmark: scripts/bench-desktop.sh"]
async fn bench_quick_pick_shortcut_to_code() {
    let test = "bench_quick_pick_shortcut_to_code";
    if !authenticator_app_tools(test, &["xdotool", "xterm", "xwininfo"]) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    add_link(&app, AWS).await;
    add_link(&app, GITHUB).await;
    let typed = vault.path().join("raw.txt");
    let script = format!("stty raw -echo; exec dd bs=1 of='{}' 2>/dev/null", typed.display());
    let mut cmd = Command::new("xterm");
    cmd.args(["-geometry", "80x5+730+660", "-T", "Sign in - GitHub", "-e", "sh", "-c", &script])
        .envs(session.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _xterm = ChildGuard::spawn("xterm", &mut cmd);
    let terminal = window_named(&session, "Sign in - GitHub");
    let (mut shown, mut copied, mut typed_ms) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..10 {
        xdotool(&session, &["windowfocus", "--sync", &terminal]);
        xdotool(&session, &["key", "--clearmodifiers", SHORTCUT]);
        shown.push(ms_until("the quick-pick shows", || {
            visible_window(&session, "Twofold quick pick").is_some()
        }));
        std::thread::sleep(Duration::from_millis(600));
        if round % 2 == 0 {
            let before = clipboard_text(&session);
            xdotool(&session, &["key", "Return"]);
            copied.push(ms_until("the code reaches the clipboard", || {
                let now = clipboard_text(&session);
                now.len() == 6 && now != before
            }));
            // The same code twice in one period would not be seen as new.
            let _ = Command::new("xclip")
                .args(["-selection", "clipboard", "/dev/null"])
                .envs(session.env())
                .status();
        } else {
            let have = std::fs::metadata(&typed).map(|m| m.len()).unwrap_or(0);
            xdotool(&session, &["key", "shift+Return"]);
            typed_ms.push(ms_until("six digits reach the terminal", || {
                std::fs::metadata(&typed).map(|m| m.len()).unwrap_or(0) >= have + 6
            }));
        }
        window_gone(&session, "Twofold quick pick");
        std::thread::sleep(Duration::from_millis(300));
    }
    for (name, v) in [
        ("shortcut_to_quick_pick_shown", shown),
        ("enter_to_clipboard", copied),
        ("shift_enter_to_six_digits_typed", typed_ms),
    ] {
        let max = v.iter().copied().fold(0.0, f64::max);
        println!("BENCH {name}_median {:.0} ms", median(v.clone()));
        println!("BENCH {name}_max {max:.0} ms");
    }
    app.close().await;
}
