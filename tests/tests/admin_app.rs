//! The desktop app's Admin mode end to end: the real `twofold` binary under a private Xvfb
//! desktop (its own D-Bus and unlocked gnome-keyring), driven through tauri-driver and
//! WebKitWebDriver, against a real portal process. Each test does what the product guide
//! tells an admin to do, then checks the server side — the admin API's state and what a user
//! signing in to the portal is asked for. Screenshots of each screen land in
//! `tests/artifacts/admin-*.png`.

use std::sync::Mutex;

use twofold_e2e::app::{App, APP_TOOLS};
use twofold_e2e::desktop_session::{DesktopSession, SESSION_TOOLS};
use twofold_e2e::signin_steps::{activation_key, enroll, lock_out, password_sign_in_leads_to};
use twofold_e2e::{tools_present, Portal};

/// One app at a time: each brings up Xvfb and WebKit, and two cores are shared.
static ONE_APP: Mutex<()> = Mutex::new(());

fn tools(test: &str) -> bool {
    let driver = twofold_e2e::app::tauri_driver().map(|p| p.to_string_lossy().into_owned());
    let mut all: Vec<&str> = SESSION_TOOLS.to_vec();
    // An absolute path is checked as given; the bare name is reported missing when not found.
    all.push(driver.as_deref().unwrap_or("tauri-driver"));
    all.extend_from_slice(APP_TOOLS);
    all.push("oathtool");
    tools_present(test, &all)
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

/// Starts the app against `portal` (token found through `TWOFOLD_DATA`, as for a local
/// portal) and opens the Admin mode.
async fn open_admin(session: &DesktopSession, portal: &Portal) -> App {
    let data = portal.data_dir().to_string_lossy().into_owned();
    let app =
        App::start(session, &[("TWOFOLD_ADMIN_URL", &portal.admin_base), ("TWOFOLD_DATA", &data)])
            .await;
    app.click("[data-testid=mode-admin]").await;
    app.find("[data-testid=admin-screen]").await;
    app.find("[data-testid=two-factor-toggle]:not([disabled])").await;
    app
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
    let app = open_admin(&session, &portal).await;

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
    let app = open_admin(&session, &portal).await;

    app.find("[data-testid=principals-empty]").await;
    app.click("[data-testid=principals-add]").await;
    app.find("[data-testid=picker]").await;
    app.find("[data-testid=picker-total][data-total='5']").await;
    app.type_into("[data-testid=picker-search]", "fin").await;
    app.click("[data-testid=picker-row][data-key='group:finance']").await;
    app.type_into("[data-testid=picker-search]", "car").await;
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
    let app = open_admin(&session, &portal).await;

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
    let app = open_admin(&session, &portal).await;

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
    let app = open_admin(&session, &portal).await;

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
