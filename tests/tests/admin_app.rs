//! The desktop app's Admin mode end to end: the real `twofold` binary under a private Xvfb
//! desktop (its own D-Bus and unlocked gnome-keyring), driven through tauri-driver and
//! WebKitWebDriver, against a real portal process. Each test does what the product guide
//! tells an admin to do, then checks the server side — the admin API's state and what a user
//! signing in to the portal is asked for. Screenshots of each screen land in
//! `tests/artifacts/admin-*.png`.

// `ONE_APP` is a std Mutex held across awaits on purpose: each #[tokio::test] has its own
// runtime on its own thread, and the guard only makes those threads take turns.
#![allow(clippy::await_holding_lock)]

#[path = "../../crates/portal/tests/ldap_support/mod.rs"]
mod ldap_support;
#[path = "../../crates/store/tests/common/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use twofold_e2e::app::{driven_app_tools_present, App};
use twofold_e2e::desktop_session::DesktopSession;
use twofold_e2e::portal::PortalOptions;
use twofold_e2e::signin_steps::{activation_key, enroll, lock_out, password_sign_in_leads_to};
use twofold_e2e::Portal;

/// One app at a time: each brings up Xvfb and WebKit, and two cores are shared.
static ONE_APP: Mutex<()> = Mutex::new(());

fn tools(test: &str) -> bool {
    driven_app_tools_present(test, &["oathtool"])
}

/// A portal whose directory has alice, bob, carol, dana and the group finance {bob, dana}.
async fn portal_with_directory() -> Portal {
    let portal = Portal::start().await;
    for user in ["alice", "bob", "carol", "dana"] {
        portal.cli(&["user", "add", user, "--password-stdin"], Some(&password(user)));
    }
    portal.cli(&["group", "add", "finance"], None);
    portal.cli(&["group", "add-member", "finance", "bob"], None);
    portal.cli(&["group", "add-member", "finance", "dana"], None);
    portal
}

fn password(user: &str) -> String {
    format!("{user}-correct-horse")
}

async fn api_status(portal: &Portal) -> serde_json::Value {
    portal.admin_get("/api/v1/status").await.ok("status")
}

async fn api_principals(portal: &Portal) -> Vec<String> {
    let list = portal.admin_get("/api/v1/principals").await.ok("principals");
    let mut names: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| {
            format!("{}:{}", p["kind"].as_str().unwrap_or("?"), p["name"].as_str().unwrap_or("?"))
        })
        .collect();
    names.sort();
    names
}

/// The development vendor key: a portal built without `TWOFOLD_VENDOR_PUBLIC_KEY` trusts it
/// (crates/portal/dev/README.md), so licenses signed with it are genuine to the test portal.
fn vendor_key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/portal/dev/vendor-dev.key")
}

/// Issues a license with the portal's vendor command (`license issue`), signed with `key`,
/// into `dir/file`. `expires` is `YYYY-MM-DD` or Unix seconds, as the command takes it.
fn issue_license(
    portal: &Portal,
    key: &Path,
    dir: &Path,
    file: &str,
    licensee: &str,
    seats: u32,
    expires: &str,
) -> PathBuf {
    let out = dir.join(file);
    let seats = seats.to_string();
    portal.cli(
        &[
            "license",
            "issue",
            "--key",
            &key.to_string_lossy(),
            "--licensee",
            licensee,
            "--seats",
            &seats,
            "--expires",
            expires,
            "--out",
            &out.to_string_lossy(),
        ],
        None,
    );
    out
}

/// Chooses `file` in the status bar's license file chooser, as "Install license…" does: the
/// button opens the hidden `<input type=file>`, and WebDriver puts a path into such an input
/// with Send Keys (there is no native dialog to drive under Xvfb).
async fn choose_license_file(app: &App, file: &Path) {
    app.find("[data-testid=install-license]:not([disabled])").await;
    let input = app.find("#license-file").await;
    input
        .send_keys(&file.to_string_lossy())
        .await
        .unwrap_or_else(|e| panic!("choose {} in #license-file: {e}", file.display()));
}

/// `unix` as the status bar writes a date (the UI's language, medium style), computed in the
/// app's own web view so the time zone and locale are the ones the screen used.
async fn shown_date(app: &App, unix: u64) -> String {
    let value = app
        .client
        .execute(
            "const lang = (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';\
             return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' })\
               .format(new Date(arguments[0] * 1000));",
            vec![serde_json::json!(unix)],
        )
        .await
        .expect("format a date in the app");
    value.as_str().expect("a string").to_string()
}

async fn api_license(portal: &Portal) -> serde_json::Value {
    portal.admin_get("/api/v1/license").await.ok("license")
}

async fn api_user(portal: &Portal, name: &str) -> serde_json::Value {
    let list = portal.admin_get("/api/v1/users").await.ok("users");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["username"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

#[tokio::test]
async fn admin_toggles_two_factor_from_the_status_bar_and_asks_before_turning_it_off() {
    let test = "admin_toggles_two_factor_from_the_status_bar_and_asks_before_turning_it_off";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice"], None);
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    assert_eq!(
        app.attr("[data-testid=two-factor-toggle]", "data-state").await.as_deref(),
        Some("off")
    );
    assert!(app
        .find("[data-testid=two-factor-mark] [data-icon=cross]")
        .await
        .is_displayed()
        .await
        .unwrap_or(false));
    app.wait_for_text("[data-testid=connected-url] ~ span", "admin.token").await;
    println!("status off: {}", app.screenshot("admin-status-off").await.display());
    assert_eq!(
        password_sign_in_leads_to(&portal, "alice", &password("alice")).await.as_deref(),
        Some("/")
    );

    app.click("[data-testid=two-factor-toggle]").await;
    app.find("[data-testid=two-factor-toggle][data-state=on] [data-icon=check]").await;
    assert_eq!(api_status(&portal).await["two_factor_enabled"], true);
    assert_eq!(
        password_sign_in_leads_to(&portal, "alice", &password("alice")).await.as_deref(),
        Some("/activate")
    );
    println!("status on: {}", app.screenshot("admin-status-on").await.display());

    // Turning it off asks first; No keeps it on.
    app.click("[data-testid=two-factor-toggle]").await;
    app.find("[data-testid=confirm]").await;
    println!("confirm off: {}", app.screenshot("admin-confirm-off").await.display());
    app.click("[data-testid=confirm-no]").await;
    app.wait_until("!document.querySelector('[data-testid=confirm]')", "the confirmation closes")
        .await;
    assert_eq!(api_status(&portal).await["two_factor_enabled"], true, "No must change nothing");

    app.click("[data-testid=two-factor-toggle]").await;
    app.click("[data-testid=confirm-yes]").await;
    app.find("[data-testid=two-factor-toggle][data-state=off]").await;
    assert_eq!(api_status(&portal).await["two_factor_enabled"], false);
    assert_eq!(
        password_sign_in_leads_to(&portal, "alice", &password("alice")).await.as_deref(),
        Some("/")
    );

    // The change survives a refresh of the page.
    app.client.refresh().await.expect("reload");
    app.find("[data-testid=two-factor-toggle][data-state=off]:not([disabled])").await;
    app.close().await;
}

#[tokio::test]
async fn admin_adds_a_user_and_a_group_through_the_picker_and_a_group_member_is_asked_for_a_code() {
    let test =
        "admin_adds_a_user_and_a_group_through_the_picker_and_a_group_member_is_asked_for_a_code";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["2fa", "on"], None);
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    app.find("[data-testid=principals-empty]").await;
    app.click("[data-testid=principals-add]").await;
    app.find("[data-testid=picker]").await;
    app.find("[data-testid=picker-total][data-total='5']").await;
    app.type_into("[data-testid=picker-search]", "fin").await;
    app.find("[data-testid=picker-total][data-query=fin][data-loading=false]").await;
    app.click("[data-testid=picker-row][data-key='group:finance']").await;
    app.type_into("[data-testid=picker-search]", "car").await;
    app.find("[data-testid=picker-total][data-query=car][data-loading=false]").await;
    app.click("[data-testid=picker-row][data-key='user:carol']").await;
    app.wait_for_text("[data-testid=picker-selected]", "2").await;
    println!("picker: {}", app.screenshot("admin-picker").await.display());
    app.click("[data-testid=picker-ok]").await;

    app.find("[data-testid=principal-row][data-key='group:finance']").await;
    app.find("[data-testid=principal-row][data-key='user:carol']").await;
    app.wait_for_text("[data-testid=principal-row][data-key='group:finance']", "2 members").await;
    assert_eq!(api_principals(&portal).await, ["group:finance", "user:carol"]);
    app.find("[data-testid=toast][data-tone=ok]").await;
    println!("principals: {}", app.screenshot("admin-principals").await.display());

    // Activity, before anyone signs in: the additions are the newest entries.
    app.click("[data-testid=section-activity]").await;
    app.find("[data-testid=audit-row][data-action='principal.add']").await;
    let first = app.attr("[data-testid=audit-row]", "data-action").await;
    assert_eq!(first.as_deref(), Some("principal.add"), "newest first");
    app.type_into("[data-testid=activity-filter]", "carol").await;
    app.find("[data-testid=activity-table][data-filter='carol']").await;
    app.wait_until(
        "[...document.querySelectorAll('[data-testid=audit-row]')].every(r => r.dataset.subject === 'carol')",
        "only carol's entries are shown",
    )
    .await;
    println!("activity: {}", app.screenshot("admin-activity").await.display());

    // bob is enabled only through the group: his next sign-in asks him to set up a code.
    assert_eq!(
        password_sign_in_leads_to(&portal, "bob", &password("bob")).await.as_deref(),
        Some("/activate")
    );
    assert_eq!(
        password_sign_in_leads_to(&portal, "carol", &password("carol")).await.as_deref(),
        Some("/activate")
    );
    assert_eq!(
        password_sign_in_leads_to(&portal, "alice", &password("alice")).await.as_deref(),
        Some("/")
    );

    // The list survives a reload of the page.
    app.client.refresh().await.expect("reload");
    app.click("[data-testid=section-principals]").await;
    app.find("[data-testid=principal-row][data-key='user:carol']").await;
    app.close().await;
}

#[tokio::test]
async fn admin_removes_a_principal_only_after_yes_and_the_user_signs_in_with_a_password_again() {
    let test =
        "admin_removes_a_principal_only_after_yes_and_the_user_signs_in_with_a_password_again";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice", "group:finance"], None);
    portal.cli(&["2fa", "on"], None);
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    app.click("[data-testid=principal-row][data-key='user:alice']").await;
    app.click("[data-testid=principals-remove]").await;
    app.find("[data-testid=confirm]").await;
    println!("confirm remove: {}", app.screenshot("admin-confirm-remove").await.display());
    app.click("[data-testid=confirm-no]").await;
    assert_eq!(
        api_principals(&portal).await,
        ["group:finance", "user:alice"],
        "No must change nothing"
    );

    app.click("[data-testid=principals-remove]").await;
    app.click("[data-testid=confirm-yes]").await;
    app.wait_until("!document.querySelector(\"[data-key='user:alice']\")", "alice leaves the list")
        .await;
    assert_eq!(api_principals(&portal).await, ["group:finance"]);
    assert_eq!(
        password_sign_in_leads_to(&portal, "alice", &password("alice")).await.as_deref(),
        Some("/")
    );
    assert_eq!(
        password_sign_in_leads_to(&portal, "dana", &password("dana")).await.as_deref(),
        Some("/activate")
    );
    app.close().await;
}

#[tokio::test]
async fn admin_resets_an_enrolled_user_after_yes_and_the_user_is_shown_a_new_qr_code() {
    let test = "admin_resets_an_enrolled_user_after_yes_and_the_user_is_shown_a_new_qr_code";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice", "group:finance"], None);
    portal.cli(&["2fa", "on"], None);
    let old_secret = enroll(&portal, "alice", &password("alice")).await;
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    app.click("[data-testid=section-users]").await;
    app.find("[data-testid=user-row][data-user=alice][data-state=active]").await;
    app.find("[data-testid=user-row][data-user=bob][data-state=none]").await;
    println!("reset users: {}", app.screenshot("admin-users").await.display());
    app.click("[data-testid=user-row][data-user=alice] [data-testid=user-select]").await;
    app.click("[data-testid=users-reset]").await;
    app.find("[data-testid=confirm]").await;
    println!("confirm reset: {}", app.screenshot("admin-confirm-reset").await.display());
    app.click("[data-testid=confirm-yes]").await;
    app.find("[data-testid=user-row][data-user=alice][data-state=none]").await;

    assert_eq!(api_user(&portal, "alice").await["state"], "none");
    let (_, new_secret) = activation_key(&portal, "alice", &password("alice")).await;
    assert_ne!(new_secret, old_secret, "a reset user must be shown a new secret");
    app.close().await;
}

#[tokio::test]
async fn admin_unlocks_a_user_locked_by_wrong_codes_who_can_then_enter_a_code_again() {
    let test = "admin_unlocks_a_user_locked_by_wrong_codes_who_can_then_enter_a_code_again";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice"], None);
    portal.cli(&["2fa", "on"], None);
    let secret = enroll(&portal, "alice", &password("alice")).await;
    lock_out(&portal, "alice", &password("alice"), &secret).await;
    assert_eq!(api_user(&portal, "alice").await["locked"], true);
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    app.click("[data-testid=section-users]").await;
    app.find("[data-testid=user-row][data-user=alice][data-locked=true]").await;
    println!("locked user: {}", app.screenshot("admin-users-locked").await.display());
    app.click("[data-testid=user-row][data-user=alice] [data-testid=user-select]").await;
    app.click("[data-testid=users-unlock]").await;
    app.click("[data-testid=confirm-yes]").await;
    app.find("[data-testid=user-row][data-user=alice][data-locked=false]").await;
    assert_eq!(api_user(&portal, "alice").await["locked"], false);

    // Unlocked: the next wrong-code budget is fresh and the right code is accepted.
    let web = portal.web();
    let page = web.sign_in("alice", &password("alice")).await;
    assert_eq!(page.location.as_deref(), Some("/verify"));
    twofold_e2e::clock::step_after(twofold_e2e::clock::step_of(twofold_e2e::clock::now_unix()))
        .await;
    let code = twofold_e2e::oathtool_totp(&secret, twofold_e2e::clock::now_unix());
    let done = web.submit_code("/verify", &code).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/"),
        "the unlocked user's code was refused: {}",
        done.summary()
    );
    app.close().await;
}

#[tokio::test]
async fn admin_connection_tells_unreachable_from_wrong_token_and_keeps_a_pasted_token_in_the_keyring(
) {
    let test = "admin_connection_tells_unreachable_from_wrong_token_and_keeps_a_pasted_token_in_the_keyring";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    let session = DesktopSession::start();
    let closed = format!("http://127.0.0.1:{}", twofold_e2e::process::free_ports(1)[0]);
    let app = App::start(&session, &[("TWOFOLD_ADMIN_URL", &closed)]).await;
    println!("authenticator: {}", app.screenshot("admin-switch-to-authenticator").await.display());
    app.click("[data-testid=mode-admin]").await;

    app.find("[data-testid=connection-error][data-kind=unreachable]").await;
    app.find("[data-testid=retry]").await;
    println!("unreachable: {}", app.screenshot("admin-connection-unreachable").await.display());

    // The right address, but no token on this machine's paths: the app asks for it.
    app.type_into("#admin-url", &portal.admin_base).await;
    app.click("[data-testid=connect]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=connecting]')",
        "the connection attempt ends",
    )
    .await;
    assert!(app.client.find(fantoccini::Locator::Css("[data-testid=admin-screen]")).await.is_err());

    app.type_into("#admin-token", "not-the-right-token-0123456789").await;
    app.click("[data-testid=connect]").await;
    app.find("[data-testid=connection-error][data-kind=unauthorized]").await;
    println!("wrong token: {}", app.screenshot("admin-connection-wrong-token").await.display());

    app.type_into("#admin-token", &portal.admin_token).await;
    app.click("[data-testid=connect]").await;
    app.find("[data-testid=admin-screen]").await;
    let kept = session.keyring_search("twofold-admin-token");
    assert!(kept.contains(&portal.admin_token), "the token is not in the keyring:\n{kept}");
    let page = app.client.source().await.expect("page source");
    assert!(!page.contains(&portal.admin_token), "the token is visible in the page");
    app.close().await;

    // Next start: connected from the keyring, nothing typed.
    let again = App::start(&session, &[]).await;
    again.find("[data-testid=admin-screen]").await;
    again.wait_for_text("[data-testid=connected-url] ~ span", "keyring").await;
    again.close().await;
}

#[tokio::test]
async fn admin_installs_a_license_file_from_the_status_bar_and_it_shows_valid_with_seats_used_and_expiry(
) {
    let test = "admin_installs_a_license_file_from_the_status_bar_and_it_shows_valid_with_seats_used_and_expiry";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    // alice and the two members of finance: three users covered.
    portal.cli(&["principals", "add", "user:alice", "group:finance"], None);
    let files = tempfile::tempdir().expect("temp dir");
    let license = issue_license(
        &portal,
        &vendor_key(),
        files.path(),
        "acme.lic",
        "Acme Corp",
        10,
        "2031-06-15",
    );
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;
    app.find("[data-testid=license][data-status=evaluation]").await;

    choose_license_file(&app, &license).await;
    app.find("[data-testid=license][data-status=valid]").await;
    let api = api_license(&portal).await;
    assert_eq!(api["status"], "valid", "{api}");
    assert_eq!(api["licensee"], "Acme Corp");
    assert_eq!((api["seats_used"].as_u64(), api["seats"].as_u64()), (Some(3), Some(10)));
    let expires = api["expires"].as_u64().expect("expires");
    assert_eq!(api_status(&portal).await["license"], api, "status and license agree");

    assert!(app.text("[data-testid=license-title]").await.contains("Acme Corp"));
    let detail = app.text("[data-testid=license-detail]").await;
    let date = shown_date(&app, expires).await;
    assert!(detail.contains("3 of 10"), "seats used of total not shown: {detail:?}");
    assert!(detail.contains(&date), "expiry {date:?} not shown: {detail:?}");
    app.find("[data-testid=license-title].tone-ok").await;
    app.find("[data-testid=toast][data-tone=ok]").await;
    println!("license valid: {}", app.screenshot("admin-license-valid").await.display());

    let audit = portal.admin_get("/api/v1/audit?limit=5").await.ok("audit");
    assert_eq!(audit["items"][0]["action"], "license.install", "{audit}");
    app.close().await;
}

#[tokio::test]
async fn admin_is_told_why_a_forged_or_broken_license_file_is_refused_and_the_installed_license_stays_in_force(
) {
    let test = "admin_is_told_why_a_forged_or_broken_license_file_is_refused_and_the_installed_license_stays_in_force";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice"], None);
    let files = tempfile::tempdir().expect("temp dir");
    let genuine = issue_license(
        &portal,
        &vendor_key(),
        files.path(),
        "acme.lic",
        "Acme Corp",
        10,
        "2031-06-15",
    );
    portal.cli(&["license", "install", &genuine.to_string_lossy()], None);
    // Same format, more seats, but signed by a key that is not the vendor's: what someone
    // editing a license to raise its seats ends up with.
    let other_key = files.path().join("other.key");
    std::fs::write(&other_key, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n").expect("key");
    let forged = issue_license(
        &portal,
        &other_key,
        files.path(),
        "forged.lic",
        "Mallory",
        1000,
        "2040-01-01",
    );
    let broken = files.path().join("notes.txt");
    std::fs::write(&broken, "Dear admin, your license is attached.\n").expect("write");
    let before = api_license(&portal).await;
    assert_eq!(before["status"], "valid", "{before}");

    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;
    app.find("[data-testid=license][data-status=valid]").await;

    choose_license_file(&app, &forged).await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "signature").await;
    let toast = app.text("[data-testid=toast][data-tone=bad]").await;
    assert!(toast.contains("not installed"), "the refusal does not say so: {toast:?}");
    assert!(toast.contains("stays in force"), "the refusal does not say what applies: {toast:?}");
    println!("license refused: {}", app.screenshot("admin-license-refused").await.display());
    assert_eq!(api_license(&portal).await, before, "a forged license must change nothing");
    app.find("[data-testid=license][data-status=valid]").await;
    assert!(app.text("[data-testid=license-title]").await.contains("Acme Corp"));
    app.click("[data-testid=toast][data-tone=bad] button").await;

    choose_license_file(&app, &broken).await;
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "BEGIN TWOFOLD LICENSE").await;
    assert_eq!(api_license(&portal).await, before, "a file that is no license must change nothing");
    app.find("[data-testid=license][data-status=valid]").await;
    app.close().await;
}

#[tokio::test]
async fn admin_installs_an_expired_license_file_which_shows_expired_and_2fa_stays_on() {
    let test = "admin_installs_an_expired_license_file_which_shows_expired_and_2fa_stays_on";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice"], None);
    portal.cli(&["2fa", "on"], None);
    let files = tempfile::tempdir().expect("temp dir");
    let yesterday = (twofold_e2e::clock::now_unix() - 86_400).to_string();
    let expired =
        issue_license(&portal, &vendor_key(), files.path(), "old.lic", "Acme Corp", 10, &yesterday);
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    choose_license_file(&app, &expired).await;
    app.find("[data-testid=license][data-status=expired]").await;
    // Installed, but not in order: reported as a problem, not as a success.
    app.wait_for_text("[data-testid=toast][data-tone=bad]", "expired").await;
    let api = api_license(&portal).await;
    assert_eq!(api["status"], "expired", "{api}");
    assert_eq!(api["expired"].as_u64().map(|t| t.to_string()), Some(yesterday));
    let title = app.text("[data-testid=license-title]").await;
    assert!(title.contains("expired"), "{title:?}");
    app.find("[data-testid=license-title].tone-bad").await;
    let detail = app.text("[data-testid=license-detail]").await;
    let date = shown_date(&app, api["expired"].as_u64().unwrap_or_default()).await;
    assert!(detail.contains(&date), "expiry {date:?} not shown: {detail:?}");
    println!("license expired: {}", app.screenshot("admin-license-expired").await.display());

    // An expired license limits growth only: 2FA stays on and alice is still asked for a code.
    assert_eq!(api_status(&portal).await["two_factor_enabled"], true);
    app.find("[data-testid=two-factor-toggle][data-state=on]").await;
    assert_eq!(
        password_sign_in_leads_to(&portal, "alice", &password("alice")).await.as_deref(),
        Some("/activate")
    );
    app.close().await;
}

#[tokio::test]
async fn admin_with_fewer_seats_than_users_sees_over_seats_and_cannot_add_more_while_everyone_still_signs_in_with_2fa(
) {
    let test = "admin_with_fewer_seats_than_users_sees_over_seats_and_cannot_add_more_while_everyone_still_signs_in_with_2fa";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["user", "add", "erin", "--password-stdin"], Some(&password("erin")));
    // alice, carol and finance's bob and dana: four users covered, one more than licensed.
    portal.cli(&["principals", "add", "user:alice", "user:carol", "group:finance"], None);
    portal.cli(&["2fa", "on"], None);
    let secret = enroll(&portal, "alice", &password("alice")).await;
    let enrolled_in = twofold_e2e::clock::step_of(twofold_e2e::clock::now_unix());
    let files = tempfile::tempdir().expect("temp dir");
    let small = issue_license(
        &portal,
        &vendor_key(),
        files.path(),
        "small.lic",
        "Small Co",
        3,
        "2031-06-15",
    );
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    choose_license_file(&app, &small).await;
    app.find("[data-testid=license][data-status=over_seats]").await;
    let api = api_license(&portal).await;
    assert_eq!(api["status"], "over_seats", "{api}");
    assert_eq!((api["seats_used"].as_u64(), api["seats"].as_u64()), (Some(4), Some(3)));
    let detail = app.text("[data-testid=license-detail]").await;
    assert!(detail.contains("4 of 3"), "seats used of total not shown: {detail:?}");
    app.find("[data-testid=license-title].tone-bad").await;
    println!("license over seats: {}", app.screenshot("admin-license-over-seats").await.display());

    // One more user would be a fifth: the portal refuses and the picker says why.
    app.click("[data-testid=principals-add]").await;
    app.type_into("[data-testid=picker-search]", "erin").await;
    app.find("[data-testid=picker-total][data-query=erin][data-loading=false]").await;
    app.click("[data-testid=picker-row][data-key='user:erin']").await;
    app.click("[data-testid=picker-ok]").await;
    app.wait_for_text("[data-testid=picker-error]", "license").await;
    let error = app.text("[data-testid=picker-error]").await;
    assert!(error.contains('3'), "the refusal does not give the licensed seats: {error:?}");
    println!("picker over seats: {}", app.screenshot("admin-picker-seat-limit").await.display());
    assert_eq!(
        api_principals(&portal).await,
        ["group:finance", "user:alice", "user:carol"],
        "the refused addition changed the principals"
    );
    // The choice is kept, so the admin can cancel or pick otherwise.
    app.find("[data-testid=picker-row][data-key='user:erin'][aria-selected=true]").await;
    app.click("[data-testid=picker-cancel]").await;

    // Over seats turns nothing off: 2FA stays on, enrolled alice signs in with a code, bob
    // (through finance) is still asked to set one up, and erin still signs in.
    assert_eq!(api_status(&portal).await["two_factor_enabled"], true);
    app.find("[data-testid=two-factor-toggle][data-state=on]").await;
    let web = portal.web();
    let page = web.sign_in("alice", &password("alice")).await;
    assert_eq!(page.location.as_deref(), Some("/verify"), "{}", page.summary());
    // A code of a later step than the activation's, else it would be refused as a replay.
    twofold_e2e::clock::step_after(enrolled_in).await;
    twofold_e2e::clock::room_in_current_step(3).await;
    let code = twofold_e2e::oathtool_totp(&secret, twofold_e2e::clock::now_unix());
    let done = web.submit_code("/verify", &code).await;
    assert_eq!(done.location.as_deref(), Some("/"), "alice's code refused: {}", done.summary());
    assert_eq!(
        password_sign_in_leads_to(&portal, "bob", &password("bob")).await.as_deref(),
        Some("/activate")
    );
    assert_eq!(
        password_sign_in_leads_to(&portal, "erin", &password("erin")).await.as_deref(),
        Some("/")
    );
    app.close().await;
}

/// The relative luminance (WCAG, 0 black … 1 white) of a computed colour property of the
/// first element matching `css`, as the app's web view resolves it.
async fn luminance(app: &App, css: &str, property: &str) -> f64 {
    let value = app
        .client
        .execute(
            "const el = document.querySelector(arguments[0]);\
             const rgb = getComputedStyle(el)[arguments[1]].match(/[\\d.]+/g).slice(0, 3).map(Number);\
             const lin = rgb.map(c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });\
             return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];",
            vec![serde_json::json!(css), serde_json::json!(property)],
        )
        .await
        .unwrap_or_else(|e| panic!("{property} of {css}: {e}"));
    value.as_f64().unwrap_or_else(|| panic!("{property} of {css}: {value}"))
}

async fn prefers_dark(app: &App) -> bool {
    let value = app
        .client
        .execute("return matchMedia('(prefers-color-scheme: dark)').matches;", vec![])
        .await
        .expect("matchMedia");
    value == serde_json::Value::Bool(true)
}

/// WCAG contrast ratio of two luminances.
fn contrast(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// Asserts the page and its main text follow `dark`: background and text on opposite ends,
/// with text readable on it (WCAG AA, 4.5:1).
async fn assert_theme(app: &App, dark: bool, screen: &str) {
    assert_eq!(prefers_dark(app).await, dark, "{screen}: prefers-color-scheme");
    let page = luminance(app, "body", "backgroundColor").await;
    let text = luminance(app, "body", "color").await;
    if dark {
        assert!(page < 0.05, "{screen}: the page is not dark (luminance {page:.3})");
    } else {
        assert!(page > 0.8, "{screen}: the page is not light (luminance {page:.3})");
    }
    let ratio = contrast(page, text);
    assert!(ratio >= 4.5, "{screen}: text contrast {ratio:.1}:1 is below 4.5:1");
}

#[tokio::test]
async fn admin_follows_a_dark_system_theme_and_a_light_one_with_readable_text() {
    let test = "admin_follows_a_dark_system_theme_and_a_light_one_with_readable_text";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = portal_with_directory().await;
    portal.cli(&["principals", "add", "user:alice", "group:finance"], None);
    portal.cli(&["2fa", "on"], None);
    enroll(&portal, "alice", &password("alice")).await;
    let files = tempfile::tempdir().expect("temp dir");
    let license = issue_license(
        &portal,
        &vendor_key(),
        files.path(),
        "acme.lic",
        "Acme Corp",
        10,
        "2031-06-15",
    );
    portal.cli(&["license", "install", &license.to_string_lossy()], None);
    let session = DesktopSession::start();

    // The desktop as it comes: no theme preference, a light page.
    let app = App::open_admin(&session, &portal).await;
    assert_theme(&app, false, "light admin").await;
    app.close().await;

    // A dark desktop: GTK's own setting for "this user prefers dark", which WebKitGTK passes
    // on to pages as prefers-color-scheme.
    let gtk = session.home.join(".config/gtk-3.0");
    std::fs::create_dir_all(&gtk).expect("gtk config dir");
    std::fs::write(gtk.join("settings.ini"), "[Settings]\ngtk-application-prefer-dark-theme=1\n")
        .expect("settings.ini");
    let app = App::open_admin(&session, &portal).await;
    assert_theme(&app, true, "dark admin").await;
    // The marks of the status bar stay green/red on dark: check them against their disc.
    let mark = luminance(&app, "[data-testid=two-factor-mark]", "color").await;
    let disc = luminance(&app, "[data-testid=two-factor-mark]", "backgroundColor").await;
    assert!(contrast(mark, disc) >= 3.0, "the 2FA check mark is hard to see on dark");
    println!("dark status: {}", app.screenshot("admin-dark-status").await.display());
    let broken = files.path().join("notes.txt");
    std::fs::write(&broken, "not a license\n").expect("write");
    choose_license_file(&app, &broken).await;
    app.find("[data-testid=toast][data-tone=bad]").await;
    println!("dark refusal: {}", app.screenshot("admin-dark-license-refused").await.display());
    app.click("[data-testid=toast][data-tone=bad] button").await;

    app.click("[data-testid=principals-add]").await;
    app.find("[data-testid=picker-total][data-total='5']").await;
    app.click("[data-testid=picker-row][data-key='user:carol']").await;
    println!("dark picker: {}", app.screenshot("admin-dark-picker").await.display());
    app.click("[data-testid=picker-cancel]").await;
    app.click("[data-testid=principal-row][data-key='user:alice']").await;
    app.click("[data-testid=principals-remove]").await;
    app.find("[data-testid=confirm]").await;
    println!("dark confirm: {}", app.screenshot("admin-dark-confirm").await.display());
    app.click("[data-testid=confirm-no]").await;

    app.click("[data-testid=section-users]").await;
    app.find("[data-testid=user-row][data-user=alice][data-state=active]").await;
    app.click("[data-testid=user-row][data-user=alice] [data-testid=user-select]").await;
    app.wait_until(
        "document.querySelector('[data-testid=users-select-all]').indeterminate",
        "select-all shows that some rows are selected",
    )
    .await;
    println!("dark users: {}", app.screenshot("admin-dark-users").await.display());
    app.click("[data-testid=section-activity]").await;
    app.find("[data-testid=audit-row]").await;
    println!("dark activity: {}", app.screenshot("admin-dark-activity").await.display());

    app.click("[data-testid=change-portal]").await;
    let closed = format!("http://127.0.0.1:{}", twofold_e2e::process::free_ports(1)[0]);
    app.type_into("#admin-url", &closed).await;
    app.click("[data-testid=connect]").await;
    app.find("[data-testid=connection-error]").await;
    assert_theme(&app, true, "dark connection").await;
    println!("dark connection: {}", app.screenshot("admin-dark-connection").await.display());

    app.click("[data-testid=mode-authenticator]").await;
    app.find("[data-testid=authenticator-screen]").await;
    app.click("[data-testid=auth-add-menu]").await;
    app.click("[data-testid=auth-add-uri]").await;
    app.type_into(
        "[data-testid=auth-uri-input]",
        "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
    )
    .await;
    app.click("[data-testid=auth-uri-submit]").await;
    app.find("[data-testid=auth-row]").await;
    assert_theme(&app, true, "dark authenticator").await;
    println!("dark authenticator: {}", app.screenshot("authenticator-dark-list").await.display());
    app.close().await;
}

/// The portal's PostgreSQL stopped under an open Admin mode: a banner says the portal cannot
/// reach its database (and that sign-ins are refused, not let through) in place of the
/// screens' data; with the database back it goes away by itself, without a click, and the
/// screens show the portal's state again.
#[tokio::test]
async fn admin_is_told_the_portal_cannot_reach_its_database_and_the_banner_goes_by_itself_when_it_is_back(
) {
    let test = "admin_is_told_the_portal_cannot_reach_its_database_and_the_banner_goes_by_itself_when_it_is_back";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let Some(pg) = pg::PgServer::start() else { return };
    pg.create_database("twofold");
    let root = tempfile::tempdir().expect("temp dir");
    let config = root.path().join("portal.toml");
    std::fs::write(&config, format!("store = \"{}\"\n", pg.url("twofold"))).unwrap();
    let portal = Portal::start_with(PortalOptions {
        args: vec!["--config".into(), config.clone().into()],
        ..PortalOptions::default()
    })
    .await;
    let on_pg = ["--config", config.to_str().unwrap()];
    portal.cli(
        &[&on_pg[..], &["user", "add", "alice", "--password-stdin"]].concat(),
        Some(&password("alice")),
    );
    portal.cli(&[&on_pg[..], &["principals", "add", "user:alice"]].concat(), None);
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;
    app.wait_for_text("[data-testid=counts]", "enabled users and groups: 1").await;

    pg.stop();
    app.click("[data-testid=refresh]").await;
    app.find("[data-testid=portal-unavailable][data-code=database_unavailable]").await;
    app.wait_for_text("[data-testid=portal-unavailable]", "cannot reach its database").await;
    app.wait_for_text("[data-testid=portal-unavailable]", "never let through").await;
    assert_eq!(
        app.client
            .execute("return document.querySelectorAll('[data-testid=toast]').length", vec![])
            .await
            .ok(),
        Some(serde_json::json!(0)),
        "the banner says it once, not a toast per screen"
    );
    println!("database down: {}", app.screenshot("admin-database-down").await.display());
    let refused = portal.web().sign_in("alice", &password("alice")).await;
    assert_eq!(refused.status.as_u16(), 503, "no sign-in gets through while the database is down");

    pg.restart();
    app.wait_until(
        "!document.querySelector('[data-testid=portal-unavailable]')",
        "the banner goes by itself once the database is back",
    )
    .await;
    app.wait_for_text("[data-testid=counts]", "enabled users and groups: 1").await;
    println!("database back: {}", app.screenshot("admin-database-back").await.display());
    app.close().await;
}

/// A portal whose users come from a real slapd: the status bar shows the directory beside the
/// license, answering, by its URL; with slapd stopped, Refresh shows that it does not answer
/// and that sign-ins are refused; started again, Refresh shows it answering.
#[tokio::test]
async fn admin_sees_the_ldap_directory_beside_the_license_and_when_it_stops_answering() {
    let test = "admin_sees_the_ldap_directory_beside_the_license_and_when_it_stops_answering";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let Some(mut slapd) = ldap_support::Slapd::start() else { return };
    let config = slapd.config_file("cache_seconds = 0\ntimeout_seconds = 2\n");
    let portal = Portal::start_with_config(&config).await;
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;
    app.find("[data-testid=directory-status][data-kind=ldap][data-answering=true]").await;
    app.wait_for_text("[data-testid=directory-title]", "Directory answers").await;
    app.wait_for_text("[data-testid=directory-detail]", &slapd.url()).await;
    println!("directory answering: {}", app.screenshot("admin-directory-ldap").await.display());

    slapd.stop();
    app.click("[data-testid=refresh]").await;
    app.find("[data-testid=directory-status][data-answering=false]").await;
    app.wait_for_text("[data-testid=directory-detail]", "sign-ins are refused").await;
    println!("directory down: {}", app.screenshot("admin-directory-down").await.display());
    let refused = portal.web().sign_in("ann", "ann-password").await;
    assert_eq!(refused.status.as_u16(), 503, "no sign-in while the directory does not answer");

    slapd.run();
    app.click("[data-testid=refresh]").await;
    app.find("[data-testid=directory-status][data-answering=true]").await;
    app.wait_until(
        "!document.querySelector('[data-testid=portal-unavailable]')",
        "no 'cannot serve' banner once the directory is back",
    )
    .await;
    app.close().await;
}
