//! The whole loop as a person does it, every step through a real window: on one Xvfb display
//! with a real gnome-keyring on a private D-Bus session, the admin turns 2FA on and enables a
//! group through the picker in the app's Admin mode (tauri-driver); in a visible Chromium
//! window beside the app the group's member signs in and reaches the activation page; in the
//! app's Authenticator mode "Scan screen" finds the QR in the Chromium window; the code the
//! app shows is typed into Chromium and signs her in. Then the admin resets her in Admin mode,
//! her next sign-in shows a different QR, the app scans it again (the UI adds it beside the
//! old account) and its code signs her in. Only the directory's own set-up (the user and her
//! group) goes through the portal's CLI: that is the organisation's directory, not the loop.

use std::process::Command;

use twofold_e2e::app::{driven_app_tools_present, App};
use twofold_e2e::artifacts::artifact_path;
use twofold_e2e::authenticator_ui::row;
use twofold_e2e::browser::{Browser, BrowserOptions, CHROMEDRIVER, CHROMIUM};
use twofold_e2e::desktop_session::DesktopSession;
use twofold_e2e::Portal;

const USER: &str = "erin";
const PASSWORD: &str = "erin-correct-horse";

fn tools(test: &str) -> bool {
    driven_app_tools_present(test, &[CHROMEDRIVER, CHROMIUM, "import"])
}

/// Saves the whole X display (both windows) as `artifacts/NAME.png`.
fn capture_display(session: &DesktopSession, name: &str) -> std::path::PathBuf {
    let path = artifact_path(&format!("{name}.png"));
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .envs(session.env())
        .status()
        .expect("run import");
    assert!(status.success(), "import -window root failed");
    path
}

/// Password step in Chromium, as a person types it.
async fn sign_in_with_password(browser: &Browser, portal: &Portal) {
    browser.goto(&format!("{}/login", portal.base)).await;
    browser.type_into("input[name=username]", USER).await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.wait_for_path("/activate").await;
    browser
        .wait_until(
            "(() => { const i = document.getElementById('qr'); return i.complete && i.naturalWidth > 0; })()",
            "the QR image loads",
        )
        .await;
}

/// The key the activation page shows as text (what the QR holds).
async fn shown_key(browser: &Browser) -> String {
    browser.find("#secret-key").await.text().await.expect("secret-key text").replace(' ', "")
}

/// JavaScript for the code element of the newest (last) row of the user's accounts.
fn newest_code_element() -> String {
    format!(
        "(() => {{ const rows = document.querySelectorAll('{}'); const last = rows[rows.length - 1]; \
         return last ? last.querySelector('[data-testid=auth-code][data-code]') : null; }})()",
        row(USER).replace('\'', "\\'")
    )
}

/// The code the newest row of the user's accounts shows, once it shows one (a row just added
/// may render before its code: reading "the last code on the page" would read the old one).
async fn newest_code(app: &App) -> String {
    let element = newest_code_element();
    app.wait_until(&format!("{element} !== null"), "the new account shows a code").await;
    let js = format!("return {element}.dataset.code;");
    let value = app.client.execute(&js, vec![]).await.expect("read the code");
    value.as_str().unwrap_or_default().to_string()
}

/// Presses "Scan screen" in Authenticator mode once its list shows the user's `accounts`
/// already stored, and waits for one more.
async fn scan_screen_for_a_new_account(app: &App, accounts: usize) {
    app.click("[data-testid=mode-authenticator]").await;
    app.find("[data-testid=authenticator-screen]").await;
    let count = format!("document.querySelectorAll('{}').length", row(USER).replace('\'', "\\'"));
    app.wait_until(&format!("{count} === {accounts}"), "the list shows the stored accounts").await;
    app.click("[data-testid=auth-scan-screen]").await;
    app.wait_until(
        &format!("{count} === {}", accounts + 1),
        "the scanned account appears in the list",
    )
    .await;
}

/// Types the code into Chromium's activation form and waits for the signed-in page.
async fn activate_with(browser: &Browser, code: &str) {
    browser.type_into("input[name=code]", code).await;
    browser.click("#activate").await;
    browser.wait_for_path("/").await;
    let who = browser.find("#signed-in-as").await.text().await.expect("signed-in-as");
    assert_eq!(who, USER, "the signed-in page names the wrong user");
}

#[tokio::test]
async fn loop_all_real_admin_enables_a_group_the_app_scans_the_qr_in_chromium_and_its_code_signs_in(
) {
    let test = "loop_all_real_admin_enables_a_group_the_app_scans_the_qr_in_chromium_and_its_code_signs_in";
    if !tools(test) {
        return;
    }
    let portal = Portal::start().await;
    // The organisation's directory: erin in the group sales, and a bystander.
    portal.cli(&["user", "add", USER, "--password-stdin"], Some(&format!("{PASSWORD}\n")));
    portal.cli(&["user", "add", "frank", "--password-stdin"], Some("frank-pw\n"));
    portal.cli(&["group", "add", "sales"], None);
    portal.cli(&["group", "add-member", "sales", USER], None);

    let session = DesktopSession::start();
    let vault = session.home.join("vault");
    let data = portal.data_dir().to_string_lossy().into_owned();
    let vault_dir = vault.to_string_lossy().into_owned();
    let app = App::start(
        &session,
        &[
            ("TWOFOLD_ADMIN_URL", &portal.admin_base),
            ("TWOFOLD_DATA", &data),
            ("TWOFOLD_VAULT_DIR", &vault_dir),
        ],
    )
    .await;
    // No window manager: place the windows side by side so the screen shows both.
    app.client.set_window_rect(0, 0, 1120, 800).await.expect("place the app window");

    // Admin mode: 2FA on from the status bar, the group sales through the picker.
    app.click("[data-testid=mode-admin]").await;
    app.find("[data-testid=admin-screen]").await;
    app.find("[data-testid=two-factor-toggle][data-state=off]:not([disabled])").await;
    app.click("[data-testid=two-factor-toggle]").await;
    app.find("[data-testid=two-factor-toggle][data-state=on]").await;
    app.click("[data-testid=section-principals]").await;
    app.click("[data-testid=principals-add]").await;
    app.find("[data-testid=picker]").await;
    app.type_into("[data-testid=picker-search]", "sal").await;
    app.find("[data-testid=picker-total][data-query=sal][data-loading=false]").await;
    app.click("[data-testid=picker-row][data-key='group:sales']").await;
    app.click("[data-testid=picker-ok]").await;
    app.wait_for_text("[data-testid=principal-row][data-key='group:sales']", "1 member").await;

    // Chromium beside the app, visible on the same display: erin signs in with her password.
    let browser = Browser::start_with(BrowserOptions {
        visible_in: Some(session.env()),
        ..Default::default()
    })
    .await;
    browser.client.set_window_rect(1120, 0, 800, 1000).await.expect("place the Chromium window");
    sign_in_with_password(&browser, &portal).await;
    let first_key = shown_key(&browser).await;

    // The app finds the QR in the Chromium window; the code it shows signs erin in.
    let display = capture_display(&session, "loop-all-real-screen-scan");
    println!("the display at the first screen scan: {}", display.display());
    scan_screen_for_a_new_account(&app, 0).await;
    println!("after the scan: {}", app.screenshot("loop-all-real-scanned").await.display());
    activate_with(&browser, &newest_code(&app).await).await;
    println!("signed in: {}", browser.save_screenshot("loop-all-real-signed-in").await.display());

    // Admin mode: reset erin after "Yes".
    app.click("[data-testid=mode-admin]").await;
    app.click("[data-testid=section-users]").await;
    app.find(&format!("[data-testid=user-row][data-user={USER}][data-state=active]")).await;
    app.click(&format!("[data-testid=user-row][data-user={USER}] [data-testid=user-select]")).await;
    app.click("[data-testid=users-reset]").await;
    app.click("[data-testid=confirm-yes]").await;
    app.find(&format!("[data-testid=user-row][data-user={USER}][data-state=none]")).await;

    // Her next sign-in shows a different QR; the app scans it again and its code signs her in.
    browser.click("#sign-out").await;
    browser.wait_for_path("/login").await;
    sign_in_with_password(&browser, &portal).await;
    let second_key = shown_key(&browser).await;
    assert_ne!(second_key, first_key, "a reset user must be shown a new key");
    let display = capture_display(&session, "loop-all-real-screen-scan-after-reset");
    println!("the display at the second screen scan: {}", display.display());
    scan_screen_for_a_new_account(&app, 1).await;
    println!(
        "after the second scan: {}",
        app.screenshot("loop-all-real-scanned-again").await.display()
    );
    activate_with(&browser, &newest_code(&app).await).await;
    println!(
        "signed in after the reset: {}",
        browser.save_screenshot("loop-all-real-signed-in-again").await.display()
    );

    browser.close().await;
    app.close().await;
}
