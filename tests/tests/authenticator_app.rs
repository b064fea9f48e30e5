//! The desktop app's Authenticator mode end to end: the real `twofold` binary under a private
//! Xvfb desktop (its own D-Bus and unlocked gnome-keyring), driven through tauri-driver and
//! WebKitWebDriver. Accounts are added the ways a user adds them — a pasted link, typed by
//! hand, a QR code shown on the screen, an image on the clipboard, an image file (one or two
//! QR codes), an export file — and every code on screen is checked against oathtool; secrets
//! are checked to be in the keyring and not in the data directory. Also: images and clipboard
//! contents that hold no code change nothing, the manual order survives a restart, and a locked
//! keyring (with gnome-keyring's real unlock prompt) is explained, writes nothing, never hangs
//! the app, and adding works once it is unlocked.
//! Screenshots land in `tests/artifacts/authenticator-*.png`.

// `ONE_APP` is a std Mutex held across awaits on purpose: each #[tokio::test] has its own
// runtime on its own thread, and the guard only makes those threads take turns.
#![allow(clippy::await_holding_lock)]

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::Locator;
use twofold_e2e::app::{App, APP_TOOLS};
use twofold_e2e::artifacts::artifact_path;
use twofold_e2e::authenticator_keyring::{
    allow_unlock_prompts, display_screenshot, lock_login_collection, UnlockPrompt,
    KEYRING_PROMPT_TOOLS,
};
use twofold_e2e::authenticator_tools::{
    blank_png, clipboard_text, expected_imports, import_fixture, keyring_item_count, oathtool_hotp,
    oathtool_totp_between, picture_without_qr, qr_png, side_by_side, stored_accounts,
    ClipboardOffer, OathParams, ShownImage, AUTHENTICATOR_TOOLS,
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
async fn authenticator_copies_a_code_shows_its_qr_and_transfer_codes_and_deletes_only_after_yes() {
    let test =
        "authenticator_copies_a_code_shows_its_qr_and_transfer_codes_and_deletes_only_after_yes";
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

    // Its QR code, to move it to a phone: what the screen shows scans (zbarimg, as a phone
    // would) to the account's own link; closing the dialog takes the image away.
    app.click(&format!("{} [data-testid=auth-show-qr]", row("alice@example.com"))).await;
    app.wait_for_text("[data-testid=auth-qr-dialog]", "Anyone who sees").await;
    let image = app.find("[data-testid=auth-qr-image]").await;
    app.wait_until(
        "document.querySelector('[data-testid=auth-qr-image]').naturalWidth > 0",
        "the QR image has loaded",
    )
    .await;
    let shown = image.screenshot().await.expect("screenshot of the QR image");
    let found = twofold_e2e::zbar_decode(&shown);
    assert_eq!(found.len(), 1, "one QR code on screen: {found:?}");
    let uri = twofold_e2e::OtpauthUri::parse(&found[0]).expect("an otpauth:// link");
    assert_eq!(uri.param("secret"), Some(GITHUB_SECRET), "{}", found[0]);
    assert_eq!(uri.param("issuer"), Some("GitHub"), "{}", found[0]);
    assert!(
        uri.label.ends_with("alice%40example.com") || uri.label.ends_with("alice@example.com"),
        "{}",
        uri.label
    );
    println!("account QR: {}", app.screenshot("authenticator-account-qr").await.display());
    app.click("[data-testid=auth-qr-close]").await;
    app.wait_until("!document.querySelector('[data-testid=auth-qr-image]')", "the QR closes").await;

    // Every account to a phone: Google Authenticator's transfer code, read back by the
    // importer of such codes, holds this account's secret.
    app.click("[data-testid=auth-transfer]").await;
    app.wait_for_text("[data-testid=auth-transfer-count]", "Code 1 of 1").await;
    app.wait_until(
        "document.querySelector('[data-testid=auth-transfer-image]').naturalWidth > 0",
        "the transfer code has loaded",
    )
    .await;
    let shown =
        app.find("[data-testid=auth-transfer-image]").await.screenshot().await.expect("shot");
    let found = twofold_e2e::zbar_decode(&shown);
    assert_eq!(found.len(), 1, "one transfer code on screen: {found:?}");
    assert!(found[0].starts_with("otpauth-migration://offline?data="), "{}", found[0]);
    let moved = twofold_core::import::google_migration::import(found[0].as_bytes()).expect("reads");
    assert_eq!(moved.accounts.len(), 1);
    assert_eq!(moved.accounts[0].secret.to_base32().as_str(), GITHUB_SECRET);
    assert_eq!(moved.accounts[0].issuer.as_deref(), Some("GitHub"));
    println!("transfer: {}", app.screenshot("authenticator-transfer").await.display());
    // (The copy toasts sit over the dialog's corner; a user waits or dismisses them.)
    app.client
        .execute(
            "document.querySelectorAll('[data-testid=toast] button').forEach(b => b.click())",
            vec![],
        )
        .await
        .expect("dismiss the toasts");
    app.click("[data-testid=auth-transfer-close]").await;
    app.wait_until("!document.querySelector('[data-testid=auth-transfer-image]')", "it closes")
        .await;

    // Leaving: an encrypted export Twofold's (and Aegis's) importer opens with the password,
    // written 0600; the same name again is refused unless Replace is ticked.
    let out = vault.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    let file = out.join("leaving.json");
    let export_to = |replace: bool| {
        let (app, file) = (&app, file.clone());
        async move {
            app.click("[data-testid=auth-export]").await;
            app.wait_until(
                "document.querySelector('[data-testid=auth-export-path]').value.includes('twofold-export-')",
                "a file name is proposed",
            )
            .await;
            app.type_into("[data-testid=auth-export-password]", "leave-pw").await;
            app.type_into("[data-testid=auth-export-again]", "leave-pw").await;
            app.type_into("[data-testid=auth-export-path]", file.to_str().unwrap()).await;
            if replace {
                app.click("[data-testid=auth-export-replace]").await;
            }
            app.click("[data-testid=auth-export-write]").await;
        }
    };
    export_to(false).await;
    app.wait_until(
        "!document.querySelector('[data-testid=auth-export-dialog]')",
        "the export closes",
    )
    .await;
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("the export file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the export is private");
    }
    let back =
        twofold_core::import::detect_and_import(&std::fs::read(&file).unwrap(), Some("leave-pw"))
            .expect("the importer opens the export");
    assert_eq!(back.accounts.len(), 1);
    assert_eq!(back.accounts[0].secret.to_base32().as_str(), GITHUB_SECRET);
    assert!(
        twofold_core::import::detect_and_import(&std::fs::read(&file).unwrap(), Some("wrong"))
            .is_err(),
        "only with its password"
    );
    export_to(false).await;
    app.find("[data-testid=auth-export-error][data-kind=export_exists]").await;
    println!("export exists: {}", app.screenshot("authenticator-export-exists").await.display());
    app.click("[data-testid=auth-export-replace]").await;
    app.click("[data-testid=auth-export-write]").await;
    app.wait_until("!document.querySelector('[data-testid=auth-export-dialog]')", "replaced").await;

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

/// Chooses `file` in the hidden image input, as the file chooser of "Image file" does
/// (WebDriver's Element Send Keys on a file input sets its file).
async fn choose_image(app: &App, file: &Path) {
    let path = file.canonicalize().expect("image path");
    app.find("[data-testid=auth-image-input]")
        .await
        .send_keys(&path.to_string_lossy())
        .await
        .expect("choose the image file");
}

/// The account names of the list, top to bottom.
async fn order(app: &App) -> Vec<String> {
    let value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=auth-row]')].map(r => r.dataset.account);",
            vec![],
        )
        .await
        .expect("read the order");
    serde_json::from_value(value).expect("a list of names")
}

async fn wait_for_order(app: &App, want: &[&str]) {
    let condition = format!(
        "JSON.stringify([...document.querySelectorAll('[data-testid=auth-row]')].map(r => r.dataset.account)) === {:?}",
        serde_json::to_string(want).expect("json")
    );
    app.wait_until(&condition, &format!("the list reads {want:?}")).await;
}

/// Asserts what is stored, on both sides: rows in the vault's database and items in the keyring.
fn assert_stored(session: &DesktopSession, vault: &Path, accounts: usize, what: &str) {
    assert_eq!(stored_accounts(vault), accounts as i64, "{what}: rows in the vault database");
    assert_eq!(
        keyring_item_count(session),
        accounts,
        "{what}: keyring items:\n{}",
        keyring_items(session)
    );
}

#[tokio::test]
async fn authenticator_scans_an_image_on_the_clipboard_and_explains_text_that_is_not_one() {
    let test = "authenticator_scans_an_image_on_the_clipboard_and_explains_text_that_is_not_one";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;

    let secret = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";
    let uri = format!("otpauth://totp/Clipboard%20Co:frank?secret={secret}&issuer=Clipboard%20Co");
    let png = tempfile::Builder::new().suffix(".png").tempfile().expect("temp png");
    qr_png(&uri, png.path(), 6);
    {
        // A QR image on the clipboard (xclip serves it until this block ends).
        let _offer = ClipboardOffer::image(&session, png.path());
        app.click("[data-testid=auth-empty] [data-testid=auth-add-clipboard]").await;
        app.find(&row("frank")).await;
        assert_code_is_oathtools(&app, "frank", &sha1_30(secret)).await;
        assert!(keyring_items(&session).contains(&format!("secret = {secret}")));
        assert_stored(&session, vault.path(), 1, "after the clipboard scan");
        println!("scanned: {}", app.screenshot("authenticator-clipboard-scanned").await.display());
    }

    // Text that is neither a QR image nor a link: said so, nothing added.
    let _offer = ClipboardOffer::text(&session, "Meeting notes: call Bob at 3 pm");
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-clipboard]").await;
    app.wait_for_text(
        "[data-testid=toast][data-tone=bad]",
        "neither a QR image nor an otpauth link",
    )
    .await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "copy the QR code as an image").await;
    println!("not a QR: {}", app.screenshot("authenticator-clipboard-not-a-qr").await.display());
    assert_eq!(row_count(&app).await, 1, "the text added nothing");
    assert_stored(&session, vault.path(), 1, "after the text on the clipboard");
    app.close().await;
}

#[tokio::test]
async fn authenticator_scans_an_image_file_with_one_or_two_qr_codes_and_refuses_unusable_images() {
    let test =
        "authenticator_scans_an_image_file_with_one_or_two_qr_codes_and_refuses_unusable_images";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let images = tempfile::tempdir().expect("image dir");
    let app = start_authenticator(&session, vault.path()).await;

    // One QR code: added at once.
    let single = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let single_png = images.path().join("single.png");
    qr_png(&format!("otpauth://totp/Files:grace?secret={single}&issuer=Files"), &single_png, 6);
    choose_image(&app, &single_png).await;
    app.find(&row("grace")).await;
    assert_code_is_oathtools(&app, "grace", &sha1_30(single)).await;

    // Two QR codes side by side in one image: both are offered, both are added.
    let (left, right) = ("MZXW6YTBOI3DKNBVMZXW6YTBOI3DKNBV", "NBSWY3DPO5XXE3DEEBSWY3DPO5XXE3DE");
    let (left_png, right_png) = (images.path().join("left.png"), images.path().join("right.png"));
    qr_png(&format!("otpauth://totp/Left:heidi?secret={left}&issuer=Left"), &left_png, 6);
    let right_uri =
        format!("otpauth://totp/Right:ivan?secret={right}&issuer=Right&algorithm=SHA256&digits=8");
    qr_png(&right_uri, &right_png, 6);
    let pair_png = images.path().join("pair.png");
    side_by_side(&left_png, &right_png, &pair_png);
    std::fs::copy(&pair_png, artifact_path("authenticator-file-two-qr-input.png")).expect("copy");
    choose_image(&app, &pair_png).await;
    app.find("[data-testid=auth-preview]").await;
    let offered = app
        .client
        .find_all(Locator::Css("[data-testid=auth-candidate]"))
        .await
        .expect("candidates");
    assert_eq!(offered.len(), 2, "both QR codes of the image are offered");
    assert_eq!(row_count(&app).await, 1, "nothing is added before the user confirms");
    println!("two codes: {}", app.screenshot("authenticator-file-two-qr-preview").await.display());
    app.click("[data-testid=auth-preview-confirm]").await;
    app.find(&row("ivan")).await;
    assert_code_is_oathtools(&app, "heidi", &sha1_30(left)).await;
    let sha256_8 =
        OathParams { secret_b32: right, algorithm: "SHA256", digits: 8, period: Some(30) };
    assert_code_is_oathtools(&app, "ivan", &sha256_8).await;
    assert_stored(&session, vault.path(), 3, "after the two image files");
    println!("added: {}", app.screenshot("authenticator-file-added").await.display());

    // A picture without a QR code: said so, nothing changes.
    let photo = images.path().join("no-qr.png");
    picture_without_qr(&photo);
    choose_image(&app, &photo).await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "No QR code was found").await;
    println!("no QR: {}", app.screenshot("authenticator-file-no-qr").await.display());
    assert_eq!(row_count(&app).await, 3);
    assert_stored(&session, vault.path(), 3, "after the picture without a QR code");

    // A 20000x20000 image: refused before decoding, with the size and the limit.
    let huge = images.path().join("huge.png");
    blank_png(&huge, 20_000, 20_000);
    let started = Instant::now();
    choose_image(&app, &huge).await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "This image is too large").await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "20000x20000").await;
    println!("refused in {:?}", started.elapsed());
    println!("too large: {}", app.screenshot("authenticator-file-too-large").await.display());
    assert_eq!(row_count(&app).await, 3);
    assert_stored(&session, vault.path(), 3, "after the huge image");
    app.close().await;
}

#[tokio::test]
async fn authenticator_reorders_by_keyboard_and_by_dragging_and_the_order_survives_a_restart() {
    let test =
        "authenticator_reorders_by_keyboard_and_by_dragging_and_the_order_survives_a_restart";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    let accounts = [
        ("Alpha", "one", "JBSWY3DPEHPK3PXP"),
        ("Bravo", "two", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"),
        ("Charlie", "three", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    ];
    for (issuer, name, secret) in accounts {
        add_link(&app, &format!("otpauth://totp/{issuer}:{name}?secret={secret}&issuer={issuer}"))
            .await;
        app.find(&row(name)).await;
    }
    assert_eq!(order(&app).await, ["one", "two", "three"]);

    // Keyboard: Alt+Down on the focused row moves it one place down.
    app.find(&row("one")).await.send_keys("\u{E00A}\u{E015}").await.expect("press Alt+Down");
    wait_for_order(&app, &["two", "one", "three"]).await;

    // Mouse: drag the last row by its grip above the first one.
    let grip = app.find(&format!("{} .grip", row("three"))).await;
    let target = app.find(&row("two")).await;
    let press = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: grip, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveToElement {
            element: target,
            duration: Some(Duration::from_millis(300)),
            x: 0.0,
            y: -18.0,
        });
    app.client.perform_actions(press).await.expect("press and drag");
    app.find(&format!("{}.dragging", row("three"))).await;
    println!("dragging: {}", app.screenshot("authenticator-reorder-dragging").await.display());
    let release =
        MouseActions::new("mouse".into()).then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    app.client.perform_actions(release).await.expect("drop");
    app.client.release_actions().await.expect("release the mouse");
    wait_for_order(&app, &["three", "two", "one"]).await;

    // A real restart: the app quits and starts again on the same vault and keyring.
    app.close().await;
    let app = start_authenticator(&session, vault.path()).await;
    app.find(&row("one")).await;
    assert_eq!(order(&app).await, ["three", "two", "one"], "the order after a restart");
    for (_, name, secret) in accounts {
        assert_code_is_oathtools(&app, name, &sha1_30(secret)).await;
    }
    println!(
        "after restart: {}",
        app.screenshot("authenticator-reorder-restarted").await.display()
    );
    app.close().await;
}

#[tokio::test]
async fn authenticator_explains_a_locked_keyring_writes_nothing_and_adds_once_it_is_unlocked() {
    let test =
        "authenticator_explains_a_locked_keyring_writes_nothing_and_adds_once_it_is_unlocked";
    if !tools(test) || !tools_present(test, KEYRING_PROMPT_TOOLS) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let app = start_authenticator(&session, vault.path()).await;
    let secret = "ONSWG4TFORZWK5DTMVRXE2LUMVZXI4ZA";
    let uri = format!("otpauth://totp/Locked%20Bank:judy?secret={secret}&issuer=Locked%20Bank");
    let banner = |kind: &str| {
        format!("[data-testid=auth-uri-dialog] [data-testid=auth-keyring-error][data-kind={kind}]")
    };
    let retry = "[data-testid=auth-uri-dialog] [data-testid=auth-keyring-retry]";
    let prompt_wait = Duration::from_secs(20);

    allow_unlock_prompts(&session);
    lock_login_collection(&session);
    app.click("[data-testid=auth-empty] [data-testid=auth-add-uri]").await;
    app.type_into("[data-testid=auth-uri-input]", &uri).await;
    app.click("[data-testid=auth-uri-submit]").await;

    // gnome-keyring asks for the password; the user cancels: the app says the keyring is locked.
    let Some(prompt) = UnlockPrompt::wait(&session, prompt_wait) else {
        let shot = display_screenshot(&session, "authenticator-keyring-no-prompt");
        let dialog = app.text("[data-testid=auth-uri-dialog]").await;
        panic!(
            "gnome-keyring showed no unlock prompt ({}); the app shows: {dialog}",
            shot.display()
        );
    };
    println!("prompt: {}", display_screenshot(&session, "authenticator-keyring-prompt").display());
    prompt.cancel();
    app.find(&banner("keyring_locked")).await;
    println!("locked: {}", app.screenshot("authenticator-keyring-locked").await.display());
    assert_eq!(row_count(&app).await, 0);
    assert_stored(&session, vault.path(), 0, "after a cancelled unlock");

    // Retry, and nobody answers the prompt: the app gives up after its timeout, never hangs.
    let asked = Instant::now();
    app.click(retry).await;
    let prompt = UnlockPrompt::wait(&session, prompt_wait).expect("the unlock prompt again");
    app.find(&banner("keyring_timeout")).await;
    let waited = asked.elapsed();
    println!("gave up after {waited:?}");
    assert!(waited < Duration::from_secs(20), "the add waited {waited:?} for the keyring");
    assert!(prompt.is_open(), "the prompt is still waiting");
    println!(
        "timeout: {}",
        display_screenshot(&session, "authenticator-keyring-timeout").display()
    );
    assert_eq!(row_count(&app).await, 0);
    assert_stored(&session, vault.path(), 0, "after the keyring did not answer");

    // The user unlocks late: the write that lands after the app gave up is taken back...
    prompt.unlock();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_stored(&session, vault.path(), 0, "after a late unlock");

    // ...and Retry, with the keyring unlocked now, adds the account (the store may need a
    // moment to see its abandoned call finish: try a few times).
    let mut tries = 0;
    loop {
        tries += 1;
        app.click(retry).await;
        app.wait_until(
            "!document.querySelector('[data-testid=auth-uri-dialog]') || \
             !!document.querySelector('[data-testid=auth-uri-dialog] [data-testid=auth-keyring-error]')",
            "the add finishes",
        )
        .await;
        if app.client.find(Locator::Css("[data-testid=auth-uri-dialog]")).await.is_err() {
            break;
        }
        assert!(tries < 10, "the add never went through after unlocking");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    app.find(&row("judy")).await;
    assert_code_is_oathtools(&app, "judy", &sha1_30(secret)).await;
    assert!(keyring_items(&session).contains(&format!("secret = {secret}")));
    // Exactly one item: the late write of the abandoned attempt did not stay behind.
    assert_stored(&session, vault.path(), 1, "after unlocking");
    println!("added: {}", app.screenshot("authenticator-keyring-unlocked-added").await.display());
    app.close().await;
}
