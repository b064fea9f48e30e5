//! Forward authentication as a reverse proxy uses it: the auth subrequest passes only a
//! session with every factor its user needs, names the user in a header, and otherwise
//! points to the sign-in page with the page to come back to — on a protected origin only.

mod common;

use axum::http::StatusCode;
use common::{Browser, Portal, START};
use twofold_core::Principal;
use twofold_portal::clock::Clock;
use twofold_portal::ops;
use twofold_portal::state::Desktop;

const DESKTOP: &str = "https://desktop.example.com/vnc.html?autoconnect=true";

fn portal() -> Portal {
    Portal::with_demo_directory().with_settings(|s| {
        s.forward_auth.protected_origins = vec!["https://desktop.example.com".into()];
        s.forward_auth.public_url = Some("https://portal.example.com".into());
        s.desktops = vec![
            Desktop { name: "Office desktop".into(), url: DESKTOP.into() },
            Desktop { name: "Lab <b>".into(), url: "https://desktop.example.com/lab".into() },
        ];
    })
}

/// The nginx subrequest for `DESKTOP` with the browser's cookies.
async fn subrequest(p: &Portal, b: &mut Browser) -> common::Reply {
    b.get_with(p.app(), "/auth/request", &[("x-original-url", DESKTOP)]).await
}

/// alice: password, then the code of her enrolled secret.
async fn alice_signed_in(p: &Portal) -> Browser {
    p.enroll("alice", "alice-pw").await;
    p.clock.set(START + 30);
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    b.get(p.app(), "/verify").await;
    let code = p.code_for("alice", p.clock.now());
    let reply = b.post(p.app(), "/verify", &[("code", &code)]).await;
    assert_eq!(reply.location(), Some("/"), "{}", reply.body);
    b
}

#[tokio::test]
async fn without_a_session_the_subrequest_is_refused_with_the_sign_in_url_and_the_page_asked_for() {
    let p = portal();
    let reply = subrequest(&p, &mut Browser::new()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.location(),
        Some(
            "https://portal.example.com/login?rd=https%3A%2F%2Fdesktop.example.com%2Fvnc.html%3Fautoconnect%3Dtrue"
        )
    );
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
    assert!(reply.headers.get("remote-user").is_none());
}

#[tokio::test]
async fn the_traefik_and_caddy_endpoint_redirects_and_reads_x_forwarded_headers() {
    let p = portal();
    let reply = Browser::new()
        .get_with(
            p.app(),
            "/auth/forward",
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "desktop.example.com"),
                ("x-forwarded-uri", "/lab"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location(),
        Some("https://portal.example.com/login?rd=https%3A%2F%2Fdesktop.example.com%2Flab")
    );
}

#[tokio::test]
async fn a_page_on_an_unprotected_origin_is_never_returned_to() {
    let p = portal();
    let mut b = Browser::new();
    let reply = b
        .get_with(p.app(), "/auth/request", &[("x-original-url", "https://evil.example.net/")])
        .await;
    assert_eq!(reply.location(), Some("https://portal.example.com/login"));
    // Nor through the sign-in page's own parameter.
    b.get(p.app(), "/login?rd=https%3A%2F%2Fevil.example.net%2F").await;
    assert!(!b.cookies.keys().any(|k| k.contains("return")), "{:?}", b.cookies);
    let reply = b.post(p.app(), "/login", &[("username", "carol"), ("password", "carol-pw")]).await;
    assert_eq!(reply.location(), Some("/"));
}

#[tokio::test]
async fn a_full_session_passes_with_the_user_named_in_the_configured_header() {
    let p = portal().with_settings(|s| {
        s.forward_auth.user_header = axum::http::HeaderName::from_static("x-auth-user")
    });
    let mut b = alice_signed_in(&p).await;
    let reply = subrequest(&p, &mut b).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get("x-auth-user").unwrap(), "alice");
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn the_password_alone_does_not_pass_for_a_user_who_needs_a_code() {
    let p = portal();
    p.enroll("alice", "alice-pw").await;
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "alice", "alice-pw").await;
    assert_eq!(reply.location(), Some("/verify"));
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_only_user_passes_with_the_password() {
    let p = portal();
    let mut b = Browser::new();
    b.sign_in(p.app(), "carol", "carol-pw").await;
    let reply = subrequest(&p, &mut b).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers.get("remote-user").unwrap(), "carol");
}

/// Names need not be ASCII: the header carries the name's UTF-8 bytes as they are (the
/// request fuzzer's signed-in user, `fz-zoë-plain`, exercises the same path).
#[tokio::test]
async fn a_user_whose_name_is_not_ascii_passes_named_in_utf8() {
    let p = portal();
    ops::add_user(p.store.as_ref(), "zoë.ünal", "zoe-pw", "test", START).unwrap();
    let mut b = Browser::new();
    b.sign_in(p.app(), "zoë.ünal", "zoe-pw").await;
    let reply = subrequest(&p, &mut b).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers.get("remote-user").unwrap().as_bytes(), "zoë.ünal".as_bytes());
}

#[tokio::test]
async fn signing_out_ends_the_access_at_the_next_subrequest() {
    let p = portal();
    let mut b = alice_signed_in(&p).await;
    b.get(p.app(), "/").await;
    b.post(p.app(), "/logout", &[]).await;
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_reset_ends_the_access_at_the_next_subrequest() {
    let p = portal();
    let mut b = alice_signed_in(&p).await;
    ops::reset(p.store.as_ref(), &["alice".into()], "admin", START + 40).unwrap();
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_lock_for_wrong_codes_ends_the_access_of_older_sessions() {
    let p = portal();
    let mut b = alice_signed_in(&p).await;
    // Someone with alice's password guesses codes until she is locked.
    let mut attacker = Browser::new();
    attacker.sign_in(p.app(), "alice", "alice-pw").await;
    attacker.get(p.app(), "/verify").await;
    for _ in 0..5 {
        attacker.post(p.app(), "/verify", &[("code", "000000")]).await;
    }
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(b.get(p.app(), "/").await.location(), Some("/login"));
}

#[tokio::test]
async fn making_a_password_only_user_a_principal_ends_the_access_until_the_code_step() {
    let p = portal();
    let mut b = Browser::new();
    b.sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::OK);
    ops::add_principals(
        p.store.as_ref(),
        &p.state.vendor_key,
        &[Principal::User("carol".into())],
        "admin",
        START,
    )
    .unwrap();
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn after_the_full_sign_in_the_browser_goes_back_to_the_desktop_it_asked_for() {
    let p = portal();
    p.enroll("alice", "alice-pw").await;
    p.clock.set(START + 30);
    let mut b = Browser::new();
    let refused = subrequest(&p, &mut b).await;
    let login = refused.location().unwrap().trim_start_matches("https://portal.example.com");
    b.get(p.app(), login).await;
    b.post(p.app(), "/login", &[("username", "alice"), ("password", "alice-pw")]).await;
    b.get(p.app(), "/verify").await;
    let code = p.code_for("alice", p.clock.now());
    let reply = b.post(p.app(), "/verify", &[("code", &code)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), Some(DESKTOP));
    // Browsers check the redirect after a form's POST against form-action.
    let csp = reply.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("form-action 'self' https://desktop.example.com;"), "{csp}");
    assert!(!b.cookies.keys().any(|k| k.contains("return")), "the return cookie is used once");
    // Signed in, the sign-in link of a later refusal leads straight back.
    let again = b.get(p.app(), login).await;
    assert_eq!(again.location(), Some(DESKTOP));
}

#[tokio::test]
async fn the_home_page_lists_the_configured_desktops() {
    let p = portal();
    let mut b = Browser::new();
    b.sign_in(p.app(), "carol", "carol-pw").await;
    let home = b.get(p.app(), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains(&format!(
            "<a class=\"desktop\" href=\"{}\" data-testid=\"desktop-link\">Office desktop</a>",
            DESKTOP.replace('&', "&amp;")
        )),
        "{}",
        home.body
    );
    assert!(home.body.contains("Lab &lt;b&gt;"), "names are escaped");
    let bare = Portal::with_demo_directory();
    let mut b = Browser::new();
    b.sign_in(bare.app(), "carol", "carol-pw").await;
    assert!(b.get(bare.app(), "/").await.body.contains("id=\"no-desktops\""));
}

#[tokio::test]
async fn with_a_cookie_domain_the_session_cookie_is_shared_with_its_hosts_and_still_secure() {
    let p = portal().with_settings(|s| {
        s.secure_cookies = true;
        s.forward_auth.cookie_domain = Some("example.com".into());
    });
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "carol", "carol-pw").await;
    let cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("twofold_session="))
        .expect("a session cookie");
    assert!(cookie.starts_with("__Secure-twofold_session="), "{cookie}");
    assert!(
        cookie.contains("; HttpOnly; SameSite=Lax;") && cookie.contains("; Secure"),
        "{cookie}"
    );
    assert!(cookie.ends_with("; Domain=example.com"), "{cookie}");
    let csrf = b.cookies.keys().find(|k| k.contains("csrf")).unwrap();
    assert_eq!(csrf, "__Host-twofold_csrf", "the CSRF cookie stays host-only");
    assert_eq!(subrequest(&p, &mut b).await.status, StatusCode::OK);
}
