//! The Authenticator mode's app lock and automatic backup end to end: the real `twofold`
//! binary under a private Xvfb desktop (its own session bus and unlocked gnome-keyring),
//! driven through tauri-driver and WebKitWebDriver.
//!
//! With an account listed, the lock is offered and set from that offer (the file then holds
//! an Argon2 hash, not the password). It shuts on Ctrl+L-style "Lock now", on the screen
//! saver's `ActiveChanged(true)` sent on the private session bus, after the idle time, and
//! when the app starts again; while shut the window holds no code and no account name; a wrong
//! password is refused and, after three, the next attempt must wait; the right one shows the
//! code oathtool gives. Once the user chooses to keep the names in sight, the lock screen names
//! the account and still shows no code.
//!
//! The backup, turned on in its dialog, writes one backup at once and one per added account,
//! keeps the last two, each opening in Twofold's importer with the password and giving back
//! every account field by field; a folder that disappears is reported with the list, and the
//! report goes once a backup succeeds again. Screenshots land in
//! `tests/artifacts/authenticator-{lock,backup}-*.png`.

// `ONE_APP` is a std Mutex held across awaits on purpose: each #[tokio::test] has its own
// runtime on its own thread, and the guard only makes those threads take turns.
#![allow(clippy::await_holding_lock)]

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use twofold_e2e::app::App;
use twofold_e2e::authenticator_tools::{oathtool_totp_between, OathParams};
use twofold_e2e::authenticator_ui::{
    add_link, assert_code_is_oathtools, authenticator_app_tools, row, start_authenticator,
};
use twofold_e2e::clock::now_unix;
use twofold_e2e::desktop_session::DesktopSession;

const SECRET: &str = "JBSWY3DPEHPK3PXP";
const LINK: &str = "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const PASSWORD: &str = "desk lamp 42";

/// One app at a time: each brings up Xvfb and WebKit, and two cores are shared.
static ONE_APP: Mutex<()> = Mutex::new(());

fn github() -> OathParams<'static> {
    OathParams { secret_b32: SECRET, algorithm: "SHA1", digits: 6, period: Some(30) }
}

/// The page's text and markup, everything a code or a name could be in.
async fn page_source(app: &App) -> String {
    let text = app
        .client
        .execute("return document.body.innerText + document.body.innerHTML;", vec![])
        .await
        .expect("read the page");
    text.as_str().unwrap_or_default().to_string()
}

/// Waits for the lock screen, then checks the page holds no code and no account name.
async fn assert_locked_and_blank(app: &App, why: &str) {
    app.find("[data-testid=auth-locked]").await;
    let page = page_source(app).await;
    for hidden in ["alice@example.com", "GitHub", "data-code"] {
        assert!(!page.contains(hidden), "{why}: the locked window still holds {hidden:?}");
    }
    let now = now_unix();
    for c in oathtool_totp_between(&github(), now, now) {
        assert!(!page.contains(&c), "{why}: the locked window shows the current code");
    }
}

async fn unlock(app: &App, password: &str) {
    app.type_into("[data-testid=auth-unlock-password]", password).await;
    app.click("[data-testid=auth-unlock]").await;
}

async fn unlock_and_see_the_code(app: &App) {
    unlock(app, PASSWORD).await;
    app.find(&row("alice@example.com")).await;
    assert_code_is_oathtools(app, "alice@example.com", &github()).await;
}

#[tokio::test]
async fn authenticator_lock_hides_every_code_and_name_and_opens_with_its_password_only() {
    let test = "authenticator_lock_hides_every_code_and_name_and_opens_with_its_password_only";
    if !authenticator_app_tools(test, &[]) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    app.find("[data-testid=auth-empty]").await;
    assert!(
        app.client.find(fantoccini::Locator::Css("[data-testid=auth-lock-offer]")).await.is_err(),
        "no offer before the first account"
    );
    add_link(&app, LINK).await;

    // Offered at the first account; set from the offer.
    app.find("[data-testid=auth-lock-offer]").await;
    println!("offer: {}", app.screenshot("authenticator-lock-offer").await.display());
    app.click("[data-testid=auth-lock-offer-set]").await;
    app.type_into("[data-testid=auth-lock-password]", PASSWORD).await;
    app.type_into("[data-testid=auth-lock-again]", "desk lamp 4").await;
    app.find("[data-testid=auth-lock-mismatch]").await;
    app.type_into("[data-testid=auth-lock-again]", PASSWORD).await;
    println!("dialog: {}", app.screenshot("authenticator-lock-dialog").await.display());
    app.click("[data-testid=auth-lock-save]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-lock-dialog]') && !document.querySelector('[data-testid=auth-lock-offer]')",
        "the dialog and the offer close once the lock is set",
    )
    .await;
    let file = std::fs::read_to_string(vault.path().join("app-lock.json")).expect("lock file");
    assert!(file.contains("$argon2id$"), "{file}");
    assert!(!file.contains(PASSWORD), "the password itself is stored: {file}");

    // Lock now; a wrong password is refused; the right one shows oathtool's code.
    app.click("[data-testid=auth-lock-now]").await;
    assert_locked_and_blank(&app, "after Lock now").await;
    println!("locked: {}", app.screenshot("authenticator-lock-locked").await.display());
    unlock(&app, "not the password").await;
    app.find("[data-testid=auth-unlock-error][data-kind=lock_wrong_password]").await;
    assert_locked_and_blank(&app, "after a wrong password").await;
    unlock_and_see_the_code(&app).await;

    // The desktop session locks (the screen saver's signal on the session bus).
    let sent = std::process::Command::new("dbus-send")
        .arg(format!("--bus={}", session.bus))
        .args([
            "--type=signal",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver.ActiveChanged",
            "boolean:true",
        ])
        .status()
        .expect("dbus-send");
    assert!(sent.success());
    assert_locked_and_blank(&app, "after the session locked").await;
    unlock_and_see_the_code(&app).await;

    // The idle time (5 s, the shortest the lock takes; the dialog offers minutes): set
    // through the window's own command, then nobody touches the window.
    let set_idle = format!(
        "return window.__TAURI_INTERNALS__.invoke('authenticator_set_lock', {{ change: {{ current: {PASSWORD:?}, password: null, idle_secs: 5 }} }}).then(() => true, e => JSON.stringify(e));"
    );
    let answer = app.client.execute(&set_idle, vec![]).await.expect("set the idle time");
    assert_eq!(answer, serde_json::Value::Bool(true), "setting a 5 s idle time: {answer}");
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_locked_and_blank(&app, "after 5 s without use").await;

    // Three wrong passwords: the next attempt has to wait, and says how long.
    for _ in 0..3 {
        unlock(&app, "guess").await;
        // The field is emptied once Rust has answered.
        app.wait_until(
            "document.querySelector('[data-testid=auth-unlock-password]').value === ''",
            "the wrong password is answered",
        )
        .await;
    }
    app.find("[data-testid=auth-unlock-wait]").await;
    app.type_into("[data-testid=auth-unlock-password]", PASSWORD).await;
    assert_eq!(
        app.attr("[data-testid=auth-unlock]", "disabled").await.as_deref(),
        Some("true"),
        "the button is off during the wait"
    );
    println!("throttled: {}", app.screenshot("authenticator-lock-throttled").await.display());
    app.wait_until("!document.querySelector('[data-testid=auth-unlock-wait]')", "the wait is over")
        .await;
    unlock_and_see_the_code(&app).await;
    app.close().await;

    // Started again: locked from the start.
    let app = start_authenticator(&session, vault.path()).await;
    assert_locked_and_blank(&app, "at start").await;
    unlock_and_see_the_code(&app).await;

    // The user chooses to keep the names in sight: locked, the window names the account and
    // still shows no code.
    app.click("[data-testid=auth-lock-settings]").await;
    app.type_into("[data-testid=auth-lock-current]", PASSWORD).await;
    app.click("[data-testid=auth-lock-show-names]").await;
    app.click("[data-testid=auth-lock-save]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-lock-dialog]')",
        "the dialog closes once the choice is saved",
    )
    .await;
    app.click("[data-testid=auth-lock-now]").await;
    app.find("[data-testid=auth-locked-names]").await;
    let names = app.text("[data-testid=auth-locked-names]").await;
    assert!(names.contains("GitHub") && names.contains("alice@example.com"), "{names}");
    let page = page_source(&app).await;
    assert!(!page.contains("data-code"), "a code element is on the lock screen");
    let now = now_unix();
    for c in oathtool_totp_between(&github(), now.saturating_sub(30), now + 30) {
        assert!(!page.contains(&c), "the lock screen shows a code while naming the accounts");
    }
    println!("names: {}", app.screenshot("authenticator-lock-names").await.display());
    unlock_and_see_the_code(&app).await;
    app.close().await;
}

const BACKUP_PASSWORD: &str = "backup pass 7";
const MORE: [&str; 3] = [
    "otpauth://totp/Bank:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Bank&digits=8&period=60&algorithm=SHA256",
    "otpauth://hotp/Shop:carol?secret=KRSXG5CTMVRXEZLU&issuer=Shop&counter=7",
    "otpauth://totp/Mail:dave?secret=MFRGGZDFMZTWQ2LK&issuer=Mail",
];

/// The backups in `folder`, oldest first.
fn backups(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(folder)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.starts_with("twofold-backup-") && name.ends_with(".json")
    });
    found.sort();
    found
}

async fn wait_for_backups(folder: &Path, count: usize) -> Vec<std::path::PathBuf> {
    for _ in 0..100 {
        let found = backups(folder);
        if found.len() == count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {count} backups in {}, found {:?}", folder.display(), backups(folder));
}

/// Opens a backup with Twofold's importer and checks it holds exactly `links`, field by field.
fn assert_backup_holds(path: &Path, links: &[&str]) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).expect("backup").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is readable by others", path.display());
    let bytes = std::fs::read(path).expect("backup");
    assert!(twofold_core::import::detect_and_import(&bytes, Some("wrong password")).is_err());
    let report = twofold_core::import::detect_and_import(&bytes, Some(BACKUP_PASSWORD))
        .expect("the backup opens with its password");
    assert_eq!(report.accounts.len(), links.len(), "{}", path.display());
    for link in links {
        let want = twofold_core::OtpAuth::parse(link).expect("a test link");
        let got = report
            .accounts
            .iter()
            .find(|a| a.account == want.account)
            .unwrap_or_else(|| panic!("{} is not in {}", want.account, path.display()));
        assert_eq!(got.secret.as_bytes(), want.secret.as_bytes(), "{}", want.account);
        assert_eq!(got.issuer, want.issuer);
        assert_eq!(
            (got.algorithm, got.digits, &got.kind),
            (want.algorithm, want.digits, &want.kind)
        );
    }
}

#[tokio::test]
async fn authenticator_backs_up_every_change_keeps_the_last_two_and_reports_a_failed_backup() {
    let test = "authenticator_backs_up_every_change_keeps_the_last_two_and_reports_a_failed_backup";
    if !authenticator_app_tools(test, &[]) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let folder = tempfile::tempdir().expect("backup folder");
    let app = start_authenticator(&session, vault.path()).await;
    add_link(&app, LINK).await;

    app.click("[data-testid=auth-backup]").await;
    app.type_into("[data-testid=auth-backup-folder]", &folder.path().display().to_string()).await;
    app.type_into("[data-testid=auth-backup-keep]", "2").await;
    app.type_into("[data-testid=auth-backup-password]", BACKUP_PASSWORD).await;
    app.type_into("[data-testid=auth-backup-again]", BACKUP_PASSWORD).await;
    println!("dialog: {}", app.screenshot("authenticator-backup-dialog").await.display());
    app.click("[data-testid=auth-backup-save]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-backup-dialog]')",
        "the backup dialog closes once the first backup is written",
    )
    .await;
    let first = wait_for_backups(folder.path(), 1).await;
    assert_backup_holds(&first[0], &[LINK]);

    // Every added account is a new backup; the oldest beyond two goes.
    add_link(&app, MORE[0]).await;
    wait_for_backups(folder.path(), 2).await;
    // Backups are named by the second: the next change must fall in another one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    add_link(&app, MORE[1]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kept = wait_for_backups(folder.path(), 2).await;
    assert!(!kept.contains(&first[0]), "the oldest backup was removed: {kept:?}");
    assert_backup_holds(&kept[1], &[LINK, MORE[0], MORE[1]]);

    // The folder goes away: the account is still added, and the list says the backup failed.
    std::fs::remove_dir_all(folder.path()).expect("remove the folder");
    add_link(&app, MORE[2]).await;
    app.find("[data-testid=auth-backup-banner][data-kind=write_failed]").await;
    println!("failed: {}", app.screenshot("authenticator-backup-failed").await.display());
    std::fs::create_dir(folder.path()).expect("the folder again");
    app.click(&format!("{} [data-testid=auth-delete]", row("dave"))).await;
    app.click("[data-testid=confirm-yes]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-backup-banner]')",
        "the report goes once a backup succeeds again",
    )
    .await;
    let again = wait_for_backups(folder.path(), 1).await;
    assert_backup_holds(&again[0], &[LINK, MORE[0], MORE[1]]);
    app.close().await;
}
