//! The keyring daemon going away while the real app runs in Authenticator mode, and coming
//! back: the real `twofold` binary under a private Xvfb desktop whose session bus starts no
//! service by activation (so a killed gnome-keyring stays gone instead of being replaced by a
//! locked one), driven through tauri-driver and WebKitWebDriver.
//!
//! With accounts listed, gnome-keyring-daemon is killed: the window says the keyring is not
//! available while still listing every account with its code (from the session's cache), an
//! add fails with the same explanation and writes nothing; the daemon is started again on the
//! same keyring files and the app recovers by itself — the explanation goes at the next
//! refresh, adding works, and exactly the added secrets are in the keyring. Screenshots land in
//! `tests/artifacts/authenticator-keyring-gone-*.png`.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use twofold_e2e::app::{App, APP_TOOLS};
use twofold_e2e::authenticator_tools::{
    keyring_item_count, stored_accounts, OathParams, AUTHENTICATOR_TOOLS,
};
use twofold_e2e::authenticator_ui::{assert_code_is_oathtools, row, start_authenticator};
use twofold_e2e::desktop_session::{DesktopSession, SESSION_TOOLS};
use twofold_e2e::tools_present;

const ACCOUNTS: [(&str, &str, &str); 2] = [
    ("GitHub", "alice@example.com", "JBSWY3DPEHPK3PXP"),
    ("Bank", "bob", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"),
];
const LATE: (&str, &str, &str) = ("Late", "carol", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");

/// The list refreshes when a code's 30 s period ends; the check then answers at once.
const REFRESH_WAIT: Duration = Duration::from_secs(50);

/// The keyring explanation shown above the list (not the one inside an add dialog).
const LIST_BANNER: &str = "[...document.querySelectorAll('[data-testid=auth-keyring-error]')]\
     .filter(e => !e.closest('[data-testid=auth-uri-dialog]'))";

fn tools(test: &str) -> bool {
    let mut all: Vec<&str> = SESSION_TOOLS.to_vec();
    all.extend_from_slice(APP_TOOLS);
    all.extend_from_slice(AUTHENTICATOR_TOOLS);
    tools_present(test, &all)
}

fn sha1_30(secret: &str) -> OathParams<'_> {
    OathParams { secret_b32: secret, algorithm: "SHA1", digits: 6, period: Some(30) }
}

fn link((issuer, account, secret): (&str, &str, &str)) -> String {
    format!("otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}")
}

async fn row_count(app: &App) -> usize {
    app.client.find_all(Locator::Css("[data-testid=auth-row]")).await.map(|v| v.len()).unwrap_or(0)
}

/// Opens the link dialog and submits `uri`.
async fn submit_link(app: &App, uri: &str) {
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-uri]").await;
    app.type_into("[data-testid=auth-uri-input]", uri).await;
    app.click("[data-testid=auth-uri-submit]").await;
}

/// The kind of the list's keyring explanation, or `None` when there is none.
async fn list_banner(app: &App) -> Option<String> {
    let script = format!("const b = {LIST_BANNER}; return b.length ? b[0].dataset.kind : null;");
    let value = app.client.execute(&script, vec![]).await.expect("read the banner");
    value.as_str().map(str::to_string)
}

/// Waits (up to [`REFRESH_WAIT`]) until the list's explanation is `want`; panics with what the
/// window shows otherwise.
async fn wait_for_list_banner(app: &App, want: Option<&str>) -> Duration {
    let started = Instant::now();
    loop {
        let shown = list_banner(app).await;
        if shown.as_deref() == want {
            return started.elapsed();
        }
        if started.elapsed() > REFRESH_WAIT {
            let shot = app.screenshot("authenticator-keyring-gone-unexpected").await;
            panic!(
                "after {REFRESH_WAIT:?} the list's keyring explanation is {shown:?}, not {want:?} \
                 ({}): {}",
                shot.display(),
                app.text("[data-testid=authenticator-screen]").await
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_rows_in_vault(vault: &Path, accounts: i64, what: &str) {
    assert_eq!(stored_accounts(vault), accounts, "{what}: rows in the vault database");
}

#[tokio::test]
async fn authenticator_explains_a_keyring_gone_while_running_loses_nothing_and_recovers_when_it_returns(
) {
    let test = "authenticator_explains_a_keyring_gone_while_running_loses_nothing_and_recovers_when_it_returns";
    if !tools(test) {
        return;
    }
    let session = DesktopSession::start_without_activation();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    for account in ACCOUNTS {
        submit_link(&app, &link(account)).await;
        app.find(&row(account.1)).await;
    }
    for (_, name, secret) in ACCOUNTS {
        assert_code_is_oathtools(&app, name, &sha1_30(secret)).await;
    }
    assert_eq!(keyring_item_count(&session), 2);
    assert_eq!(list_banner(&app).await, None);

    // The keyring daemon dies. At the next refresh the window says so, above a list that
    // still has every account and its code.
    session.kill_keyring();
    let noticed = wait_for_list_banner(&app, Some("keyring_unavailable")).await;
    println!("keyring gone: explained {noticed:?} after the kill");
    assert_eq!(row_count(&app).await, 2, "no account left the list");
    for (_, name, secret) in ACCOUNTS {
        assert_code_is_oathtools(&app, name, &sha1_30(secret)).await;
    }
    let banner = app.text("[data-testid=auth-keyring-error]").await;
    assert!(banner.contains("The system keyring is not available"), "{banner}");
    app.settle().await;
    println!("list: {}", app.screenshot("authenticator-keyring-gone-list").await.display());

    // Adding fails with the same explanation, quickly, and writes nothing.
    let asked = Instant::now();
    submit_link(&app, &link(LATE)).await;
    app.find(
        "[data-testid=auth-uri-dialog] [data-testid=auth-keyring-error][data-kind=keyring_unavailable]",
    )
    .await;
    println!("the add was refused after {:?}", asked.elapsed());
    println!("add: {}", app.screenshot("authenticator-keyring-gone-add").await.display());
    assert_eq!(row_count(&app).await, 2);
    assert_rows_in_vault(vault.path(), 2, "after the refused add");

    // The keyring comes back on the same files: the explanation goes by itself at the next
    // refresh (no restart, no click), and the same dialog's Retry adds the account.
    session.restart_keyring();
    let recovered = wait_for_list_banner(&app, None).await;
    println!("keyring back: the list recovered {recovered:?} after the restart");
    for (_, name, secret) in ACCOUNTS {
        assert_code_is_oathtools(&app, name, &sha1_30(secret)).await;
    }
    app.click("[data-testid=auth-uri-dialog] [data-testid=auth-keyring-retry]").await;
    app.find(&row(LATE.1)).await;
    app.wait_until("!document.querySelector('[data-testid=auth-uri-dialog]')", "the dialog closes")
        .await;
    assert_code_is_oathtools(&app, LATE.1, &sha1_30(LATE.2)).await;
    assert_rows_in_vault(vault.path(), 3, "after the keyring came back");
    // Exactly one item per account: the refused add left nothing behind.
    assert_eq!(keyring_item_count(&session), 3, "{}", session.keyring_search("twofold"));
    println!(
        "recovered: {}",
        app.screenshot("authenticator-keyring-gone-recovered").await.display()
    );

    // And a restart of the app reads every secret back from the restarted keyring.
    app.close().await;
    let app = start_authenticator(&session, vault.path()).await;
    for (_, name, secret) in ACCOUNTS.into_iter().chain([LATE]) {
        assert_code_is_oathtools(&app, name, &sha1_30(secret)).await;
    }
    app.close().await;
}
