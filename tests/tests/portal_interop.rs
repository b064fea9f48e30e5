//! Interop over real sockets: a `twofold-portal` process per test, checked with independent
//! tools — `zbarimg` reads the enrollment QR code, `oathtool` computes the codes — and a
//! browser-less user that keeps cookies and looks at every redirect. Browser rendering is
//! `portal_browser.rs`'s job.

use reqwest::StatusCode;
use serde_json::{json, Value};
use twofold_e2e::clock::{now_unix, room_in_current_step, start_of, step_of, PERIOD};
use twofold_e2e::html;
use twofold_e2e::signin_steps::wrong_code;
use twofold_e2e::{oathtool_totp, tools_present, zbar_decode, OtpauthUri, Page, Portal, WebClient};

const ALICE_PW: &str = "alice-correct-horse";
const BOB_PW: &str = "bob-battery-staple";
const CAROL_PW: &str = "carol-no-second-factor";

/// A portal whose directory has alice (listed as a user), bob (member of the listed group
/// `finance`) and carol (not listed), with 2FA switched on — all through the admin CLI.
async fn portal_with_directory() -> Portal {
    let portal = Portal::start().await;
    portal.cli(&["user", "add", "alice", "--password-stdin"], Some(ALICE_PW));
    portal.cli(&["user", "add", "bob", "--password-stdin"], Some(BOB_PW));
    portal.cli(&["user", "add", "carol", "--password-stdin"], Some(CAROL_PW));
    portal.cli(&["group", "add", "finance"], None);
    portal.cli(&["group", "add-member", "finance", "bob"], None);
    portal.cli(&["principals", "add", "user:alice"], None);
    portal.cli(&["principals", "add", "group:finance"], None);
    portal.cli(&["2fa", "on"], None);
    portal
}

fn tools(test: &str) -> bool {
    tools_present(test, &["oathtool", "zbarimg"])
}

/// What the activation page offered: the decoded QR URI, its secret and the page itself.
struct Activation {
    uri: OtpauthUri,
    secret: String,
    page: Page,
}

/// Loads `/activate` and its QR image, decodes the image with zbarimg and parses the URI.
async fn read_activation(user: &WebClient) -> Activation {
    let page = user.get("/activate").await;
    assert_eq!(page.status, StatusCode::OK, "GET /activate: {}\n{}", page.summary(), page.body);
    let img = html::find(&page.body, "img", "id", "qr").expect("an <img id=\"qr\"> on /activate");
    // The page may add a query (a cache buster); the image is fetched as a browser would.
    let src = img.attr("src").expect("QR image has a src").to_string();
    assert_eq!(src.split('?').next(), Some("/activate/qr.png"), "QR image source");

    let (status, content_type, png) = user.get_bytes(&src).await;
    assert_eq!(status, StatusCode::OK, "GET /activate/qr.png");
    assert_eq!(content_type.as_deref(), Some("image/png"), "QR content type");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "QR body is not a PNG");
    let symbols = zbar_decode(&png);
    assert_eq!(symbols.len(), 1, "zbarimg should find exactly one QR code, found {symbols:?}");
    let uri = OtpauthUri::parse(&symbols[0])
        .unwrap_or_else(|| panic!("QR code does not hold an otpauth URI: {:?}", symbols[0]));
    let secret = uri.param("secret").expect("secret parameter in the QR URI").to_string();
    Activation { uri, secret, page }
}

/// Signs `username` in with a password and asserts where the portal sends them.
async fn sign_in_expecting(user: &WebClient, username: &str, password: &str, location: &str) {
    let resp = user.sign_in(username, password).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "sign-in of {username}: {}", resp.body);
    assert_eq!(resp.location.as_deref(), Some(location), "sign-in of {username} redirects");
}

/// Enrolls alice from a fresh sign-in with the code for `step` and returns her secret.
async fn enroll_alice_at(user: &WebClient, step: u64) -> String {
    sign_in_expecting(user, "alice", ALICE_PW, "/activate").await;
    let activation = read_activation(user).await;
    let code = oathtool_totp(&activation.secret, start_of(step));
    let resp = user.submit_code("/activate", &code).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "POST /activate: {}", resp.body);
    assert_eq!(resp.location.as_deref(), Some("/"), "activation lands on the home page");
    activation.secret
}

/// Asserts the home page shows `username` signed in with a sign-out form.
async fn assert_signed_in_as(user: &WebClient, username: &str) {
    let home = user.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "GET / signed in: {}", home.summary());
    assert_eq!(home.text_by_id("signed-in-as").as_deref(), Some(username), "signed-in-as");
    let logout = html::find(&home.body, "form", "action", "/logout").expect("a sign-out form");
    assert_eq!(logout.attr("method").map(str::to_ascii_lowercase).as_deref(), Some("post"));
    assert!(html::find(&home.body, "button", "id", "sign-out").is_some(), "#sign-out button");
}

/// Signs out through the home page's form and checks that `/` then asks for a sign-in.
async fn sign_out(user: &WebClient) {
    let resp = user.sign_out().await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "POST /logout: {}", resp.body);
    let home = user.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER, "GET / after sign-out");
    assert_eq!(home.location.as_deref(), Some("/login"), "GET / after sign-out");
}

/// The admin API's view of one user who needs 2FA.
async fn admin_user(portal: &Portal, username: &str) -> Value {
    let users = portal.admin_get("/api/v1/users").await.ok("GET /api/v1/users");
    users["items"]
        .as_array()
        .expect("items array")
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} missing from /api/v1/users: {users}"))
        .clone()
}

#[tokio::test]
async fn login_page_offers_standard_autocomplete_fields_and_a_csrf_token() {
    let portal = Portal::start().await;
    let page = portal.web().get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let form =
        html::find(&page.body, "form", "action", "/login").expect("a form posting to /login");
    assert_eq!(form.attr("method").map(str::to_ascii_lowercase).as_deref(), Some("post"));
    let username = html::find(&page.body, "input", "name", "username").expect("username input");
    assert_eq!(username.attr("autocomplete"), Some("username"));
    let password = html::find(&page.body, "input", "name", "password").expect("password input");
    assert_eq!(password.attr("autocomplete"), Some("current-password"));
    assert_eq!(password.attr("type"), Some("password"));
    let csrf = html::find(&page.body, "input", "name", "csrf").expect("csrf input");
    assert_eq!(csrf.attr("type"), Some("hidden"));
    assert!(!page.csrf().is_empty(), "csrf token is empty");
    assert!(html::find(&page.body, "button", "id", "sign-in").is_some(), "#sign-in button");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401_error() {
    let portal = portal_with_directory().await;
    let wrong_password = portal.web().sign_in("alice", "not-her-password").await;
    let unknown_user = portal.web().sign_in("mallory", "whatever").await;
    for (what, page) in [("wrong password", &wrong_password), ("unknown user", &unknown_user)] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{what}: {}", page.summary());
        assert!(
            page.error_text().is_some(),
            "{what}: no <p class=\"error\" role=\"alert\">:\n{}",
            page.body
        );
        assert!(
            html::find(&page.body, "form", "action", "/login").is_some(),
            "{what}: no login form"
        );
    }
    assert_eq!(wrong_password.error_text(), unknown_user.error_text(), "error texts differ");
}

#[tokio::test]
async fn login_without_a_valid_csrf_token_is_forbidden() {
    let portal = portal_with_directory().await;
    let user = portal.web();
    let _ = user.get("/login").await;
    let missing = user.post_form("/login", &[("username", "carol"), ("password", CAROL_PW)]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "no csrf: {}", missing.summary());
    let forged = user
        .post_form("/login", &[("username", "carol"), ("password", CAROL_PW), ("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "forged csrf: {}", forged.summary());
}

#[tokio::test]
async fn user_without_two_factor_signs_in_with_the_password_alone() {
    let portal = portal_with_directory().await;
    let user = portal.web();
    let home = user.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER, "GET / signed out");
    assert_eq!(home.location.as_deref(), Some("/login"));
    sign_in_expecting(&user, "carol", CAROL_PW, "/").await;
    assert_signed_in_as(&user, "carol").await;
}

#[tokio::test]
async fn enrollment_qr_decoded_by_zbarimg_and_code_from_oathtool_sign_alice_in() {
    if !tools("enrollment_qr_decoded_by_zbarimg_and_code_from_oathtool_sign_alice_in") {
        return;
    }
    let portal = portal_with_directory().await;
    let user = portal.web();
    sign_in_expecting(&user, "alice", ALICE_PW, "/activate").await;
    let Activation { uri, secret, page } = read_activation(&user).await;
    assert_eq!(
        admin_user(&portal, "alice").await["state"],
        "pending",
        "state once the QR was shown"
    );
    assert_eq!(uri.kind, "totp");
    assert_eq!(uri.label, "Twofold:alice");
    assert_eq!(uri.param("issuer"), Some("Twofold"));
    assert_eq!(uri.param("algorithm"), Some("SHA1"));
    assert_eq!(uri.param("digits"), Some("6"));
    assert_eq!(uri.param("period"), Some("30"));
    assert_eq!(secret.len(), 32, "a 20-byte secret is 32 base32 characters: {secret}");
    assert!(
        secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "secret is not upper-case unpadded base32: {secret}"
    );

    let key_text = page.text_by_id("secret-key").expect("<code id=\"secret-key\"> on /activate");
    assert_eq!(key_text.replace(' ', ""), secret, "typed key differs from the QR's secret");
    assert!(key_text.split(' ').all(|g| g.len() == 4), "key not grouped by 4: {key_text:?}");
    let form = html::find(&page.body, "form", "action", "/activate").expect("activation form");
    assert_eq!(form.attr("method").map(str::to_ascii_lowercase).as_deref(), Some("post"));
    let code_input = html::find(&page.body, "input", "name", "code").expect("code input");
    assert_eq!(code_input.attr("autocomplete"), Some("one-time-code"));
    assert!(html::find(&page.body, "button", "id", "activate").is_some(), "#activate button");

    let code = oathtool_totp(&secret, now_unix());
    let csrf = page.csrf();
    let resp = user.post_form("/activate", &[("code", &code), ("csrf", &csrf)]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "POST /activate: {}", resp.body);
    assert_eq!(resp.location.as_deref(), Some("/"));
    assert_signed_in_as(&user, "alice").await;
    assert_eq!(admin_user(&portal, "alice").await["state"], "active", "state after activation");
}

#[tokio::test]
async fn wrong_activation_code_is_refused_with_401_and_the_secret_stays_pending() {
    if !tools("wrong_activation_code_is_refused_with_401_and_the_secret_stays_pending") {
        return;
    }
    let portal = portal_with_directory().await;
    let user = portal.web();
    sign_in_expecting(&user, "alice", ALICE_PW, "/activate").await;
    let activation = read_activation(&user).await;
    let resp = user.submit_code("/activate", &wrong_code(&activation.secret)).await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED, "wrong activation code: {}", resp.summary());
    assert!(resp.error_text().is_some(), "no error paragraph:\n{}", resp.body);
    assert_eq!(admin_user(&portal, "alice").await["state"], "pending");
}

#[tokio::test]
async fn after_enrollment_a_replayed_code_is_refused_and_the_next_steps_code_signs_in() {
    if !tools("after_enrollment_a_replayed_code_is_refused_and_the_next_steps_code_signs_in") {
        return;
    }
    let portal = portal_with_directory().await;
    let user = portal.web();
    // Everything below happens within step `now`: alice activates with the previous step's
    // code, so that code is still inside the verifier's window when it is replayed (only the
    // replay rule can refuse it) and the current step's code is the next, newer one.
    let now = room_in_current_step(20).await;
    let secret = enroll_alice_at(&user, now - 1).await;
    sign_out(&user).await;

    sign_in_expecting(&user, "alice", ALICE_PW, "/verify").await;
    let verify = user.get("/verify").await;
    assert_eq!(verify.status, StatusCode::OK);
    let form = html::find(&verify.body, "form", "action", "/verify").expect("verification form");
    assert_eq!(form.attr("method").map(str::to_ascii_lowercase).as_deref(), Some("post"));
    let code_input = html::find(&verify.body, "input", "name", "code").expect("code input");
    assert_eq!(code_input.attr("autocomplete"), Some("one-time-code"));
    assert!(html::find(&verify.body, "button", "id", "verify").is_some(), "#verify button");

    let replay = user.submit_code("/verify", &oathtool_totp(&secret, start_of(now - 1))).await;
    // The premise of this check: the replayed code was still inside the window when the
    // portal judged it (20 s of room were reserved above), so only the replay rule refused it.
    assert_eq!(step_of(now_unix()), now, "setup overran its time step; the replay check is void");
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "replayed code: {}", replay.summary());
    assert!(replay.error_text().is_some(), "no error paragraph:\n{}", replay.body);

    let next = user.submit_code("/verify", &oathtool_totp(&secret, start_of(now))).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "next step's code: {}", next.body);
    assert_eq!(next.location.as_deref(), Some("/"));
    assert_signed_in_as(&user, "alice").await;
}

#[tokio::test]
async fn five_wrong_codes_lock_the_user_until_an_admin_unlocks() {
    if !tools("five_wrong_codes_lock_the_user_until_an_admin_unlocks") {
        return;
    }
    let portal = portal_with_directory().await;
    let user = portal.web();
    let now = room_in_current_step(20).await;
    let secret = enroll_alice_at(&user, now - 1).await;
    sign_out(&user).await;
    sign_in_expecting(&user, "alice", ALICE_PW, "/verify").await;

    let wrong = wrong_code(&secret);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(user.submit_code("/verify", &wrong).await.status);
    }
    assert!(
        statuses[..4].iter().all(|s| *s == StatusCode::UNAUTHORIZED)
            && matches!(statuses[4], StatusCode::UNAUTHORIZED | StatusCode::LOCKED),
        "answers to five wrong codes: {statuses:?}"
    );
    let listed = admin_user(&portal, "alice").await;
    assert_eq!(listed["locked"], true, "alice after five failures: {listed}");

    let refused = user.submit_code("/verify", &oathtool_totp(&secret, now_unix())).await;
    assert_eq!(
        refused.status,
        StatusCode::LOCKED,
        "correct code while locked: {}",
        refused.summary()
    );
    let error =
        refused.error_text().unwrap_or_else(|| panic!("no error paragraph:\n{}", refused.body));
    assert!(error.to_lowercase().contains("locked"), "error does not say locked: {error:?}");

    portal.admin_post("/api/v1/users/unlock", json!({ "usernames": ["alice"] })).await.ok("unlock");
    assert_eq!(admin_user(&portal, "alice").await["locked"], false, "alice after unlock");

    let again = portal.web();
    sign_in_expecting(&again, "alice", ALICE_PW, "/verify").await;
    let accepted = again.submit_code("/verify", &oathtool_totp(&secret, now_unix())).await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "correct code after unlock: {}",
        accepted.body
    );
    assert_eq!(accepted.location.as_deref(), Some("/"));
    assert_signed_in_as(&again, "alice").await;

    let audit = portal.admin_get("/api/v1/audit?user=alice").await.ok("audit");
    let actions: Vec<String> = audit["items"]
        .as_array()
        .expect("audit items")
        .iter()
        .map(|i| i["action"].as_str().unwrap_or_default().to_string())
        .collect();
    let unlock = actions.iter().position(|a| a.contains("unlock"));
    let lock = actions.iter().position(|a| a.contains("lock") && !a.contains("unlock"));
    assert!(
        matches!((unlock, lock), (Some(u), Some(l)) if u < l),
        "audit (newest first) should show the lock, then the unlock: {actions:?}"
    );
}

#[tokio::test]
async fn rdp_gate_denies_everyone_who_needs_two_factor_and_allows_the_rest() {
    let portal = portal_with_directory().await;
    let (allowed, reason) = portal.rdp("alice", ALICE_PW).await;
    assert!(!allowed, "alice (listed user) allowed");
    assert!(reason.to_lowercase().contains("two-factor"), "reason for alice: {reason:?}");
    let (allowed, reason) = portal.rdp("bob", BOB_PW).await;
    assert!(!allowed, "bob (member of a listed group) allowed: {reason}");
    let (allowed, reason) = portal.rdp("carol", CAROL_PW).await;
    assert!(allowed, "carol (no 2FA, right password) denied: {reason}");
    let (allowed, _) = portal.rdp("carol", "wrong").await;
    assert!(!allowed, "carol with a wrong password allowed");
    let (allowed, _) = portal.rdp("mallory", "whatever").await;
    assert!(!allowed, "unknown user allowed");

    portal.admin_put("/api/v1/two-factor", json!({ "enabled": false })).await.ok("switch off");
    let status = portal.admin_get("/api/v1/status").await.ok("status");
    assert_eq!(status["two_factor_enabled"], false, "status after switching off: {status}");
    let (allowed, reason) = portal.rdp("alice", ALICE_PW).await;
    assert!(allowed, "alice denied with 2FA switched off: {reason}");
    let (allowed, _) = portal.rdp("alice", "wrong").await;
    assert!(!allowed, "alice with a wrong password allowed");
}

#[tokio::test]
async fn rdp_gate_refuses_callers_without_the_gateway_token_and_counts_nothing() {
    let portal = portal_with_directory().await;
    // More wrong passwords than the per-account back-off allows (10), all anonymous.
    for _ in 0..12 {
        let resp = portal.rdp_call(None, "carol", "guess").await;
        assert_eq!(resp.status, StatusCode::UNAUTHORIZED, "anonymous call: {}", resp.body);
    }
    let wrong = portal.rdp_call(Some("not-the-gateway-token"), "carol", CAROL_PW).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "wrong token: {}", wrong.body);
    // Nothing was counted against carol: the real front end still gets her in.
    let (allowed, reason) = portal.rdp("carol", CAROL_PW).await;
    assert!(allowed, "carol refused after anonymous guesses: {reason}");
}

#[tokio::test]
async fn principals_added_and_removed_over_the_api_change_who_needs_two_factor() {
    let portal = portal_with_directory().await;
    assert!(portal.rdp("carol", CAROL_PW).await.0, "carol before being listed");
    portal
        .admin_post(
            "/api/v1/principals",
            json!({ "principals": [{ "kind": "user", "name": "carol" }] }),
        )
        .await
        .ok("add principal");
    let listed = portal.admin_get("/api/v1/principals").await.ok("list principals");
    assert!(listed.to_string().contains("carol"), "carol not among principals: {listed}");
    assert!(!portal.rdp("carol", CAROL_PW).await.0, "carol allowed while listed");
    portal.admin_delete("/api/v1/principals/user/carol").await.ok("remove principal");
    let listed = portal.admin_get("/api/v1/principals").await.ok("list principals");
    assert!(!listed.to_string().contains("carol"), "carol still among principals: {listed}");
    assert!(portal.rdp("carol", CAROL_PW).await.0, "carol after being removed");
}

#[tokio::test]
async fn reset_discards_the_secret_and_the_next_sign_in_shows_a_new_one() {
    if !tools("reset_discards_the_secret_and_the_next_sign_in_shows_a_new_one") {
        return;
    }
    let portal = portal_with_directory().await;
    let user = portal.web();
    let old_secret = enroll_alice_at(&user, step_of(now_unix())).await;
    assert_eq!(admin_user(&portal, "alice").await["state"], "active");
    sign_out(&user).await;

    portal.admin_post("/api/v1/users/reset", json!({ "usernames": ["alice"] })).await.ok("reset");
    assert_eq!(admin_user(&portal, "alice").await["state"], "none", "state after reset");

    sign_in_expecting(&user, "alice", ALICE_PW, "/activate").await;
    let activation = read_activation(&user).await;
    assert_ne!(activation.secret, old_secret, "reset must issue a new secret");
    assert_eq!(activation.uri.label, "Twofold:alice");
    let old_code = oathtool_totp(&old_secret, now_unix());
    let new_codes: Vec<String> = [now_unix() - PERIOD, now_unix(), now_unix() + PERIOD]
        .iter()
        .map(|t| oathtool_totp(&activation.secret, *t))
        .collect();
    if !new_codes.contains(&old_code) {
        let resp = user.submit_code("/activate", &old_code).await;
        assert_eq!(resp.status, StatusCode::UNAUTHORIZED, "old secret's code: {}", resp.summary());
    }
    let resp = user.submit_code("/activate", &oathtool_totp(&activation.secret, now_unix())).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "new secret's code: {}", resp.body);
    assert_signed_in_as(&user, "alice").await;
}

#[tokio::test]
async fn admin_api_refuses_a_missing_or_wrong_token_with_401() {
    let portal = Portal::start().await;
    let before = portal.admin_get("/api/v1/status").await.ok("status with the right token");
    let switch = before["two_factor_enabled"].as_bool().expect("two_factor_enabled is a bool");
    let none = portal.admin_raw(reqwest::Method::GET, "/api/v1/status", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "no token: {}", none.body);
    let wrong = format!("{}x", portal.admin_token);
    let bad = portal.admin_raw(reqwest::Method::GET, "/api/v1/status", Some(&wrong), None).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "wrong token: {}", bad.body);
    let flip = json!({ "enabled": !switch }).to_string();
    let put = portal
        .admin_raw(reqwest::Method::PUT, "/api/v1/two-factor", Some("nope"), Some(&flip))
        .await;
    assert_eq!(put.status, StatusCode::UNAUTHORIZED, "PUT with a wrong token: {}", put.body);
    let after = portal.admin_get("/api/v1/status").await.ok("status with the right token");
    assert_eq!(after["two_factor_enabled"], switch, "the wrong-token PUT changed the switch");
}

#[tokio::test]
async fn admin_api_answers_malformed_json_with_400_and_a_json_error() {
    let portal = Portal::start().await;
    let token = portal.admin_token.clone();
    let resp = portal
        .admin_raw(
            reqwest::Method::PUT,
            "/api/v1/two-factor",
            Some(&token),
            Some(r#"{"enabled": tru"#),
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST, "malformed JSON: {}", resp.body);
    let body = resp.json();
    assert!(body.is_object(), "error body is not a JSON object: {body}");
    assert!(
        resp.content_type.as_deref().is_some_and(|c| c.starts_with("application/json")),
        "error content type: {:?}",
        resp.content_type
    );
}

#[tokio::test]
async fn admin_token_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let portal = Portal::start().await;
    let mode = std::fs::metadata(portal.data_dir().join("admin.token"))
        .expect("token file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "admin.token mode is {:o}", mode & 0o777);
}

#[tokio::test]
async fn status_reports_the_switch_license_and_directory_counts_set_up_by_the_cli() {
    let portal = portal_with_directory().await;
    let status = portal.admin_get("/api/v1/status").await.ok("status");
    assert_eq!(status["two_factor_enabled"], true, "{status}");
    assert_eq!(status["license"]["status"], "evaluation", "{status}");
    let counts = &status["counts"];
    assert_eq!(counts["users"], 3, "{status}");
    assert_eq!(counts["groups"], 1, "{status}");
    assert_eq!(counts["principals"], 2, "{status}");
    assert_eq!(counts["users_needing_2fa"], 2, "{status}");

    let users = portal.admin_get("/api/v1/users").await.ok("users");
    let mut names: Vec<&str> = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["alice", "bob"], "users needing 2FA: {users}");
    let alice = admin_user(&portal, "alice").await;
    assert_eq!(alice["state"], "none", "{alice}");
    assert_eq!(alice["locked"], false, "{alice}");
    assert_eq!(alice["failures"], 0, "{alice}");
    assert!(alice["locked_until"].is_null() && alice["last_sign_in"].is_null(), "{alice}");
}
