//! Driving the app's Authenticator mode: start it on an isolated vault, find an account's
//! row, read the code it shows and check it against oathtool at the instants around the read.
//! The scenarios are in `tests/authenticator_app.rs`.

use std::path::Path;

use crate::app::App;
use crate::authenticator_tools::{oathtool_totp_between, OathParams};
use crate::clock::now_unix;
use crate::desktop_session::DesktopSession;

/// The app, opened in Authenticator mode with its vault metadata in `vault_dir`, its window at
/// the top-left corner of the screen (1120x760), so the rest of the screen is free for a QR.
pub async fn start_authenticator(session: &DesktopSession, vault_dir: &Path) -> App {
    let dir = vault_dir.to_string_lossy().into_owned();
    let app =
        App::start(session, &[("TWOFOLD_MODE", "authenticator"), ("TWOFOLD_VAULT_DIR", &dir)])
            .await;
    app.client.set_window_rect(0, 0, 1120, 760).await.expect("place the app window");
    app.find("[data-testid=authenticator-screen]").await;
    app
}

/// CSS for the row of `account` (the account name, exactly).
pub fn row(account: &str) -> String {
    format!(
        "[data-testid=auth-row][data-account={}]",
        serde_json::to_string(account).expect("json")
    )
}

/// The code the row of `account` shows now, without spaces (waits until it shows one).
pub async fn shown_code(app: &App, account: &str) -> String {
    let css = format!("{} [data-testid=auth-code][data-code]", row(account));
    app.find(&css).await;
    app.attr(&css, "data-code").await.unwrap_or_default()
}

/// Reads the row's code and asserts oathtool gives the same code at an instant during the
/// read (the UI moves to a new period within a second of it starting), and that the grouped
/// text a person reads is that same code. The attribute and the text are two reads, so when
/// the period turns between them the pair is read again rather than compared across periods.
pub async fn assert_code_is_oathtools(app: &App, account: &str, params: &OathParams<'_>) -> String {
    let css = format!("{} [data-testid=auth-code]", row(account));
    for _ in 0..3 {
        let before = now_unix().saturating_sub(1);
        let code = shown_code(app, account).await;
        let grouped = app.text(&css).await;
        let again = shown_code(app, account).await;
        let after = now_unix();
        if again != code {
            continue;
        }
        let expected = oathtool_totp_between(params, before, after);
        assert!(
            expected.contains(&code),
            "{account}: the app shows {code}, oathtool gives {expected:?} between {before} and {after}"
        );
        assert_eq!(grouped.replace(' ', ""), code, "the grouped code is the same code");
        return code;
    }
    panic!("{account}: the shown code changed during every one of three reads");
}

/// Whether everything an Authenticator-mode app test runs is installed (the private desktop,
/// the app's WebDriver, the authenticator's tools) plus `extra`.
pub fn authenticator_app_tools(test: &str, extra: &[&str]) -> bool {
    let mut all: Vec<&str> = crate::desktop_session::SESSION_TOOLS.to_vec();
    all.extend_from_slice(crate::app::APP_TOOLS);
    all.extend_from_slice(crate::authenticator_tools::AUTHENTICATOR_TOOLS);
    all.extend_from_slice(extra);
    crate::tools_present(test, &all)
}

/// Adds an account by pasting its `otpauth://` link, and waits for its row.
pub async fn add_link(app: &App, uri: &str) {
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-uri]").await;
    app.type_into("[data-testid=auth-uri-input]", uri).await;
    app.click("[data-testid=auth-uri-submit]").await;
    let account = twofold_core::OtpAuth::parse(uri).expect("a test link").account;
    app.find(&row(&account)).await;
}
