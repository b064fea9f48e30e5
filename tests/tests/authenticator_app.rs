//! The desktop app's Authenticator mode end to end: the real `twofold` binary under a private
//! Xvfb desktop (its own D-Bus and unlocked gnome-keyring), driven through tauri-driver and
//! WebKitWebDriver. Accounts are added the ways a user adds them — a pasted link, typed by
//! hand, a QR code shown on the screen, an export file — and every code on screen is checked
//! against oathtool; secrets are checked to be in the keyring and not in the data directory.
//! Screenshots land in `tests/artifacts/authenticator-*.png`.

use std::path::Path;
use std::sync::Mutex;

use fantoccini::Locator;
use twofold_e2e::app::{App, APP_TOOLS};
use twofold_e2e::artifacts::artifact_path;
use twofold_e2e::authenticator_tools::{
    clipboard_text, expected_imports, import_fixture, oathtool_hotp, oathtool_totp_between, qr_png,
    OathParams, ShownImage, AUTHENTICATOR_TOOLS,
};
use twofold_e2e::authenticator_ui::{
    assert_code_is_oathtools, row, shown_code, start_authenticator,
};
use twofold_e2e::clock::now_unix;
use twofold_e2e::desktop_session::{DesktopSession, SESSION_TOOLS};
use twofold_e2e::tools_present;

/// One app at a time: each brings up Xvfb and WebKit, and two cores are shared.
static ONE_APP: Mutex<()> = Mutex::new(());

const GITHUB_SECRET: &str = "JBSWY3DPEHPK3PXP";
const GITHUB: &str =
    "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";

fn tools(test: &str) -> bool {
    let mut all: Vec<&str> = SESSION_TOOLS.to_vec();
    all.extend_from_slice(APP_TOOLS);
    all.extend_from_slice(AUTHENTICATOR_TOOLS);
    tools_present(test, &all)
}

fn sha1_30(secret: &str) -> OathParams<'_> {
    OathParams { secret_b32: secret, algorithm: "SHA1", digits: 6, period: Some(30) }
}

/// The keyring items Twofold wrote in this session, as secret-tool lists them.
fn keyring_items(session: &DesktopSession) -> String {
    session.keyring_search("twofold")
}

/// No file of the vault directory contains `secret` (in base32, any case).
fn assert_not_in_data_dir(dir: &Path, secret: &str) {
    for entry in std::fs::read_dir(dir).expect("vault dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        let text = String::from_utf8_lossy(&bytes).to_uppercase();
        assert!(!text.contains(secret), "the secret is in the data directory");
    }
}

async fn add_link(app: &App, uri: &str) {
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-uri]").await;
    app.type_into("[data-testid=auth-uri-input]", uri).await;
    app.click("[data-testid=auth-uri-submit]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-uri-dialog]')",
        "the link dialog closes",
    )
    .await;
}

async fn row_count(app: &App) -> usize {
    app.client.find_all(Locator::Css("[data-testid=auth-row]")).await.map(|v| v.len()).unwrap_or(0)
}

#[tokio::test]
async fn authenticator_adds_an_account_from_a_pasted_link_and_shows_oathtools_code() {
    let test = "authenticator_adds_an_account_from_a_pasted_link_and_shows_oathtools_code";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    app.find("[data-testid=auth-empty]").await;
    println!("empty: {}", app.screenshot("authenticator-empty").await.display());

    // Not a link, then a link with a bad key: each says what is wrong and adds nothing.
    app.click("[data-testid=auth-add-menu]").await;
    println!("menu: {}", app.screenshot("authenticator-add-menu").await.display());
    app.click("[data-testid=auth-add-uri]").await;
    app.type_into("[data-testid=auth-uri-input]", "https://example.com/not-a-code").await;
    app.click("[data-testid=auth-uri-submit]").await;
    app.find("[data-testid=auth-uri-error][data-kind=not_otpauth]").await;
    app.type_into("[data-testid=auth-uri-input]", "otpauth://totp/Bank:bob?secret=NOT-BASE32!")
        .await;
    app.click("[data-testid=auth-uri-submit]").await;
    app.find("[data-testid=auth-uri-error][data-kind=invalid_uri]").await;
    println!("bad link: {}", app.screenshot("authenticator-uri-error").await.display());
    app.type_into("[data-testid=auth-uri-input]", GITHUB).await;
    app.click("[data-testid=auth-uri-submit]").await;
    app.find(&row("alice@example.com")).await;
    assert_eq!(row_count(&app).await, 1, "the bad links added nothing");
    assert_code_is_oathtools(&app, "alice@example.com", &sha1_30(GITHUB_SECRET)).await;

    let items = keyring_items(&session);
    assert!(items.contains("label = Twofold: GitHub (alice@example.com)"), "{items}");
    assert!(items.contains(&format!("secret = {GITHUB_SECRET}")), "{items}");
    assert_not_in_data_dir(vault.path(), GITHUB_SECRET);

    // The same link again is refused as a duplicate, nothing changes.
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-uri]").await;
    app.type_into("[data-testid=auth-uri-input]", GITHUB).await;
    app.click("[data-testid=auth-uri-submit]").await;
    app.find("[data-testid=auth-preview] [data-testid=auth-candidate][data-duplicate=true]").await;
    app.click("[data-testid=auth-preview-cancel]").await;
    assert_eq!(row_count(&app).await, 1);

    // HOTP: no code until asked; each "next code" is oathtool's for the next counter.
    let hotp_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    add_link(&app, &format!("otpauth://hotp/Bank:bob?secret={hotp_secret}&counter=5&digits=8"))
        .await;
    app.find(&format!("{} [data-testid=auth-code-hidden]", row("bob"))).await;
    let hotp = OathParams { secret_b32: hotp_secret, algorithm: "SHA1", digits: 8, period: None };
    app.click(&format!("{} [data-testid=auth-next-hotp]", row("bob"))).await;
    assert_eq!(shown_code(&app, "bob").await, oathtool_hotp(&hotp, 5));
    app.click(&format!("{} [data-testid=auth-next-hotp]", row("bob"))).await;
    app.wait_until(
        &format!(
            "document.querySelector({}).dataset.code === {:?}",
            serde_json::to_string(&format!("{} [data-testid=auth-code]", row("bob"))).unwrap(),
            oathtool_hotp(&hotp, 6)
        ),
        "the second HOTP code is oathtool's for counter 6",
    )
    .await;

    // The list survives a restart of the window (metadata on disk, secrets in the keyring).
    app.client.refresh().await.expect("reload");
    app.find(&row("alice@example.com")).await;
    assert_code_is_oathtools(&app, "alice@example.com", &sha1_30(GITHUB_SECRET)).await;
    println!("list: {}", app.screenshot("authenticator-list").await.display());
    app.close().await;
}

#[tokio::test]
async fn authenticator_adds_an_account_by_hand_and_marks_each_bad_field() {
    let test = "authenticator_adds_an_account_by_hand_and_marks_each_bad_field";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;

    app.click("[data-testid=auth-add-manual]").await;
    app.find("[data-testid=auth-manual-dialog]").await;
    app.click("[data-testid=auth-manual-submit]").await;
    app.find("[data-testid=auth-manual-error-account]").await;
    app.find("[data-testid=auth-manual-error-secret]").await;
    println!("empty form: {}", app.screenshot("authenticator-manual-required").await.display());

    app.type_into("[data-testid=auth-manual-issuer]", "Example").await;
    app.type_into("[data-testid=auth-manual-account]", "carol").await;
    app.type_into("[data-testid=auth-manual-secret]", "GEZD GNBV GY3T QOJQ !EZD").await;
    app.click("[data-testid=auth-manual-advanced]").await;
    app.type_into("[data-testid=auth-manual-period]", "0").await;
    app.click("[data-testid=auth-manual-submit]").await;
    app.wait_for_text("[data-testid=auth-manual-error-secret]", "!").await;
    app.find("[data-testid=auth-manual-error-period]").await;
    assert!(
        app.client.find(Locator::Css("[data-testid=auth-manual-error-account]")).await.is_err(),
        "a fixed field loses its message"
    );
    println!("bad fields: {}", app.screenshot("authenticator-manual-errors").await.display());
    assert_eq!(row_count(&app).await, 0, "nothing was added");

    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    app.type_into("[data-testid=auth-manual-secret]", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq")
        .await;
    app.type_into("[data-testid=auth-manual-period]", "60").await;
    app.find("[data-testid=auth-manual-algorithm]")
        .await
        .select_by_value("SHA512")
        .await
        .expect("choose SHA512");
    app.find("[data-testid=auth-manual-digits]")
        .await
        .select_by_value("8")
        .await
        .expect("choose 8 digits");
    app.click("[data-testid=auth-manual-submit]").await;
    app.find(&row("carol")).await;
    let params =
        OathParams { secret_b32: secret, algorithm: "SHA512", digits: 8, period: Some(60) };
    assert_code_is_oathtools(&app, "carol", &params).await;
    assert!(keyring_items(&session).contains(&format!("secret = {secret}")));
    assert_not_in_data_dir(vault.path(), secret);
    println!("added by hand: {}", app.screenshot("authenticator-manual-added").await.display());
    app.close().await;
}

#[tokio::test]
async fn authenticator_scans_a_qr_code_shown_on_the_screen_in_one_click() {
    let test = "authenticator_scans_a_qr_code_shown_on_the_screen_in_one_click";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;

    // Nothing on screen yet: a clear "no QR code" message, nothing added.
    app.click("[data-testid=auth-scan-screen]").await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "No QR code").await;
    assert_eq!(row_count(&app).await, 0);

    let secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";
    let uri = format!("otpauth://totp/Portal:dana?secret={secret}&issuer=Portal&algorithm=SHA256&digits=7&period=15");
    let png = tempfile::Builder::new().suffix(".png").tempfile().expect("temp png");
    qr_png(&uri, png.path(), 6);
    let shown = ShownImage::show(&session, png.path(), 1300, 140);
    let desktop = artifact_path("authenticator-screen-scan-desktop.png");
    let _ = std::process::Command::new("import")
        .args(["-window", "root"])
        .arg(&desktop)
        .envs(session.env())
        .status();
    println!("desktop with the QR beside the app: {}", desktop.display());

    app.click("[data-testid=auth-scan-screen]").await;
    app.find(&row("dana")).await;
    let params =
        OathParams { secret_b32: secret, algorithm: "SHA256", digits: 7, period: Some(15) };
    assert_code_is_oathtools(&app, "dana", &params).await;
    assert!(keyring_items(&session).contains(&format!("secret = {secret}")));
    println!("scanned: {}", app.screenshot("authenticator-screen-scanned").await.display());

    // Scanning the same QR again offers it as already present instead of adding it twice.
    app.click("[data-testid=auth-scan-screen]").await;
    app.find("[data-testid=auth-candidate][data-duplicate=true]").await;
    app.click("[data-testid=auth-preview-cancel]").await;
    drop(shown);

    // A Google Authenticator transfer QR on screen (three accounts): all are offered.
    let shown = ShownImage::show(
        &session,
        &import_fixture("google_migration/example_export.png"),
        1200,
        100,
    );
    app.click("[data-testid=auth-scan-screen]").await;
    app.find("[data-testid=auth-preview]").await;
    let offered = app
        .client
        .find_all(Locator::Css("[data-testid=auth-candidate]"))
        .await
        .expect("candidates");
    assert_eq!(offered.len(), 3, "every account of the transfer QR is offered");
    println!(
        "transfer QR: {}",
        app.screenshot("authenticator-screen-transfer-preview").await.display()
    );
    app.click("[data-testid=auth-preview-confirm]").await;
    app.find(&row("test1@example1.com")).await;
    assert_code_is_oathtools(&app, "test1@example1.com", &sha1_30("JBSWY3DPEHPK3PXP")).await;
    assert_eq!(row_count(&app).await, 4);
    drop(shown);
    app.close().await;
}

#[tokio::test]
async fn authenticator_imports_an_encrypted_export_after_a_preview_and_flags_duplicates() {
    let test = "authenticator_imports_an_encrypted_export_after_a_preview_and_flags_duplicates";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;

    let expected = expected_imports();
    let entries: Vec<serde_json::Value> = expected["files"]["aegis_encrypted.json"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| matches!(e["type"].as_str(), Some("totp" | "hotp" | "steam")))
        .cloned()
        .collect();
    let password = expected["files"]["aegis_encrypted.json"]["password"]
        .as_str()
        .expect("password")
        .to_string();

    app.click("[data-testid=auth-add-import]").await;
    let fixture = import_fixture("aegis_encrypted.json").canonicalize().expect("fixture");
    app.find("[data-testid=auth-import-input]")
        .await
        .send_keys(&fixture.to_string_lossy())
        .await
        .expect("choose the file");
    app.find("[data-testid=auth-import-password]").await;
    app.type_into("[data-testid=auth-import-password]", "not the password").await;
    app.click("[data-testid=auth-import-unlock]").await;
    app.find("[data-testid=auth-import-error][data-kind=wrong_password]").await;
    println!(
        "wrong password: {}",
        app.screenshot("authenticator-import-wrong-password").await.display()
    );
    app.type_into("[data-testid=auth-import-password]", &password).await;
    app.click("[data-testid=auth-import-unlock]").await;

    app.find("[data-testid=auth-preview]").await;
    let candidates = app
        .client
        .find_all(Locator::Css("[data-testid=auth-candidate]"))
        .await
        .expect("candidates");
    assert_eq!(candidates.len(), entries.len(), "every entry of the file is offered");
    assert!(
        !keyring_items(&session).contains("secret ="),
        "nothing is stored before the user confirms"
    );
    assert_eq!(row_count(&app).await, 0);
    println!("preview: {}", app.screenshot("authenticator-import-preview").await.display());
    app.click("[data-testid=auth-preview-confirm]").await;
    app.wait_until("!document.querySelector('[data-testid=auth-preview]')", "the preview closes")
        .await;
    app.wait_until(
        &format!(
            "document.querySelectorAll('[data-testid=auth-row]').length === {}",
            entries.len()
        ),
        "every account is listed",
    )
    .await;

    // Field by field: each TOTP account's code on screen is oathtool's with its parameters.
    for e in &entries {
        let name = e["name"].as_str().expect("name");
        if e["type"] != "totp" {
            continue;
        }
        let params = OathParams {
            secret_b32: e["secret"].as_str().expect("secret"),
            algorithm: e["algorithm"].as_str().expect("algorithm"),
            digits: e["digits"].as_u64().expect("digits") as u32,
            period: e["period"].as_u64(),
        };
        let issuer = e["issuer"].as_str().unwrap_or("");
        let css = format!(
            "[data-testid=auth-row][data-issuer={}][data-account={}] [data-testid=auth-code]",
            serde_json::to_string(issuer).unwrap(),
            serde_json::to_string(name).unwrap()
        );
        let before = now_unix().saturating_sub(1);
        app.find(&css).await;
        let code = app.attr(&css, "data-code").await.unwrap_or_default();
        let after = now_unix();
        let want = oathtool_totp_between(&params, before, after);
        assert!(want.contains(&code), "{issuer} ({name}): app {code}, oathtool {want:?}");
    }
    println!("imported: {}", app.screenshot("authenticator-imported").await.display());

    // The same accounts again: all flagged as present, none chosen, so nothing can be added.
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-import]").await;
    let plain = import_fixture("plain.txt").canonicalize().expect("fixture");
    app.find("[data-testid=auth-import-input]")
        .await
        .send_keys(&plain.to_string_lossy())
        .await
        .expect("choose the file");
    app.find("[data-testid=auth-preview]").await;
    app.find("[data-testid=auth-candidate][data-duplicate=true]").await;
    println!("duplicates: {}", app.screenshot("authenticator-import-duplicates").await.display());
    app.click("[data-testid=auth-preview-cancel]").await;
    assert_eq!(row_count(&app).await, entries.len(), "cancel stores nothing");
    app.close().await;
}

#[tokio::test]
async fn authenticator_copies_a_code_to_the_clipboard_and_deletes_only_after_yes() {
    let test = "authenticator_copies_a_code_to_the_clipboard_and_deletes_only_after_yes";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    add_link(&app, GITHUB).await;
    app.find(&row("alice@example.com")).await;

    let before = now_unix().saturating_sub(1);
    app.click(&row("alice@example.com")).await;
    app.find("[data-testid=auth-copied]").await;
    let copied = clipboard_text(&session);
    let want = oathtool_totp_between(&sha1_30(GITHUB_SECRET), before, now_unix());
    assert!(want.contains(&copied), "clipboard holds {copied:?}, oathtool gives {want:?}");
    println!("copied: {}", app.screenshot("authenticator-copied").await.display());

    // Keyboard: Enter on the focused row copies too.
    app.click("[data-testid=toast] button").await;
    app.find(&row("alice@example.com")).await.send_keys("\u{E007}").await.expect("press Enter");
    app.find("[data-testid=toast][data-tone=ok]").await;

    app.click(&format!("{} [data-testid=auth-delete]", row("alice@example.com"))).await;
    app.find("[data-testid=confirm]").await;
    println!("confirm delete: {}", app.screenshot("authenticator-confirm-delete").await.display());
    app.click("[data-testid=confirm-no]").await;
    app.wait_until("!document.querySelector('[data-testid=confirm]')", "the confirmation closes")
        .await;
    assert_eq!(row_count(&app).await, 1, "No deletes nothing");
    assert!(keyring_items(&session).contains(GITHUB_SECRET));

    app.click(&format!("{} [data-testid=auth-delete]", row("alice@example.com"))).await;
    app.click("[data-testid=confirm-yes]").await;
    app.find("[data-testid=auth-empty]").await;
    assert!(!keyring_items(&session).contains(GITHUB_SECRET), "the secret left the keyring");
    app.close().await;
}
