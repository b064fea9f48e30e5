//! The held-out loop — enroll, sign in, RDP gate, reset, enroll again — with the users of a
//! real OpenLDAP slapd instead of built-in ones: a `twofold-portal serve --config` process on
//! the slapd of the portal's LDAP tests (`ldap_support`: cat is in `admins`, which is in
//! `twofa`; ann is in neither), the group `twofa` enabled for 2FA through the admin API, the
//! QR decoded by `zbarimg` and every code computed by `oathtool` from what the page showed.

#[path = "../../crates/portal/tests/ldap_support/mod.rs"]
mod ldap_support;

use reqwest::StatusCode;
use serde_json::json;
use twofold_e2e::clock::{now_unix, room_in_current_step, start_of, step_of};
use twofold_e2e::signin_steps::{password_sign_in_leads_to, wrong_code};
use twofold_e2e::{html, oathtool_totp, tools_present, zbar_decode, OtpauthUri, Portal, WebClient};

const CAT_PW: &str = "cat-password";
const ANN_PW: &str = "ann-password";

/// A portal process on `slapd` (no membership cache, so the directory answers every
/// sign-in), with the directory group `twofa` enabled and 2FA switched on.
async fn portal_on(slapd: &ldap_support::Slapd) -> Portal {
    let config = slapd.config_file("cache_seconds = 0\ntimeout_seconds = 5\n");
    let portal = Portal::start_with_config(&config).await;
    let body = json!({ "principals": [{ "kind": "group", "name": "twofa" }] });
    portal.admin_post("/api/v1/principals", body).await.ok("enable group twofa");
    portal.admin_put("/api/v1/two-factor", json!({ "enabled": true })).await.ok("2FA on");
    portal
}

/// Signs cat in with her directory password, expects the activation page, and returns the
/// signed-in client with the secret of the QR code (which must be the key shown as text).
async fn cat_is_shown_a_qr(portal: &Portal) -> (WebClient, String) {
    let web = portal.web();
    let page = web.sign_in("cat", CAT_PW).await;
    assert_eq!(page.location.as_deref(), Some("/activate"), "cat's sign-in: {}", page.summary());
    let activate = web.get("/activate").await;
    assert_eq!(activate.status, StatusCode::OK, "GET /activate: {}", activate.summary());
    let img = html::find(&activate.body, "img", "id", "qr").expect("an <img id=qr> on /activate");
    let src = img.attr("src").expect("the QR image's src").to_string();
    let (status, _, png) = web.get_bytes(&src).await;
    assert_eq!(status, StatusCode::OK, "GET {src}");
    let symbols = zbar_decode(&png);
    assert_eq!(symbols.len(), 1, "one QR code on the activation page: {symbols:?}");
    let uri = OtpauthUri::parse(&symbols[0]).expect("an otpauth URI in the QR code");
    let secret = uri.param("secret").expect("secret in the QR URI").to_string();
    let text_key =
        html::text_by_id(&activate.body, "secret-key").expect("#secret-key").replace(' ', "");
    assert_eq!(text_key, secret, "the key as text is the QR code's key");
    assert!(uri.label.contains("cat"), "the account in the QR is cat's: {}", symbols[0]);
    (web, secret)
}

#[tokio::test]
async fn ldap_users_go_through_enrollment_sign_in_rdp_gate_and_reset() {
    let test = "ldap_users_go_through_enrollment_sign_in_rdp_gate_and_reset";
    if !tools_present(test, &["oathtool", "zbarimg"]) {
        return;
    }
    let Some(slapd) = ldap_support::Slapd::start() else { return };
    let portal = portal_on(&slapd).await;

    // Everything below fits in one 30 s step: enrolled with the previous step's code (inside
    // the window), cat then signs in with the current one, newer, so not a replay.
    let now = room_in_current_step(10).await;

    // First sign-in of a user who needs 2FA through a (nested) directory group: the QR.
    let (web, first_key) = cat_is_shown_a_qr(&portal).await;
    let wrong = web.submit_code("/activate", &wrong_code(&first_key)).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNAUTHORIZED,
        "wrong activation code: {}",
        wrong.summary()
    );
    let done = web.submit_code("/activate", &oathtool_totp(&first_key, start_of(now - 1))).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/"),
        "activation: {}\n{}",
        done.summary(),
        done.body
    );

    // Next sign-in: password, then a code; a wrong one is refused, the right one signs in.
    let web = portal.web();
    let page = web.sign_in("cat", CAT_PW).await;
    assert_eq!(page.location.as_deref(), Some("/verify"), "enrolled cat: {}", page.summary());
    let refused = web.submit_code("/verify", &wrong_code(&first_key)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "wrong code: {}", refused.summary());
    let signed_in = web.submit_code("/verify", &oathtool_totp(&first_key, start_of(now))).await;
    assert_eq!(signed_in.location.as_deref(), Some("/"), "right code: {}", signed_in.summary());
    assert_eq!(web.get("/").await.text_by_id("signed-in-as").as_deref(), Some("cat"));
    assert_eq!(
        password_sign_in_leads_to(&portal, "cat", "not-her-password").await,
        None,
        "a wrong directory password is refused before any code"
    );

    // The RDP gate: password-only is refused for cat, allowed for ann (no 2FA group).
    let (allowed, reason) = portal.rdp("cat", CAT_PW).await;
    assert!(!allowed, "cat needs 2FA, the RDP gate must refuse her password alone");
    assert!(reason.to_lowercase().contains("two-factor") || reason.contains("2FA"), "{reason}");
    let (allowed, reason) = portal.rdp("ann", ANN_PW).await;
    assert!(allowed, "ann does not need 2FA: {reason}");
    assert!(!portal.rdp("ann", "wrong").await.0, "a wrong directory password is refused");
    assert_eq!(password_sign_in_leads_to(&portal, "ann", ANN_PW).await.as_deref(), Some("/"));

    // An admin resets cat through the admin API: the next sign-in enrolls again, with a new
    // key, and the old key's codes no longer count.
    portal.admin_post("/api/v1/users/reset", json!({ "usernames": ["cat"] })).await.ok("reset");
    let (web, second_key) = cat_is_shown_a_qr(&portal).await;
    assert_ne!(second_key, first_key, "a reset user is shown a new key");
    let old = web.submit_code("/activate", &oathtool_totp(&first_key, now_unix())).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "old key at activation: {}", old.summary());
    let done = web.submit_code("/activate", &oathtool_totp(&second_key, now_unix())).await;
    assert_eq!(done.location.as_deref(), Some("/"), "re-activation: {}", done.summary());
    let web = portal.web();
    let page = web.sign_in("cat", CAT_PW).await;
    assert_eq!(page.location.as_deref(), Some("/verify"), "re-enrolled cat: {}", page.summary());
    let stale = web.submit_code("/verify", &oathtool_totp(&first_key, now_unix())).await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "old key after reset: {}", stale.summary());
    assert!(!portal.rdp("cat", CAT_PW).await.0, "reset or not, cat still needs 2FA for RDP");
    assert!(step_of(now_unix()) <= now + 1, "the loop overran its time steps");
}
