//! The sign-in pages through `oneshot` requests: password step, activation, code step,
//! replay, lockout, reset, CSRF and session handling.

mod common;

use axum::http::{header, StatusCode};
use common::{Browser, Portal, START};
use twofold_core::EnrollmentState;
use twofold_store::{AuditFilter, AuditRepo, EnrollmentRepo};

#[tokio::test]
async fn login_page_uses_standard_autocomplete_and_security_headers() {
    let p = Portal::with_demo_directory();
    let reply = Browser::new().get(p.app(), "/login").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains(r#"autocomplete="username""#));
    assert!(reply.body.contains(r#"autocomplete="current-password""#));
    let csp = reply.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(reply.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    let cookie = reply.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_is_refused() {
    let p = Portal::with_demo_directory();
    let mut b = Browser::new();
    b.get(p.app(), "/login").await;
    let reply = b
        .post(
            p.app(),
            "/login",
            &[("username", "carol"), ("password", "carol-pw"), ("csrf", "forged")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // And without ever loading the page (no CSRF cookie at all).
    let mut stranger = Browser::new();
    let reply =
        stranger.post(p.app(), "/login", &[("username", "carol"), ("password", "carol-pw")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let p = Portal::with_demo_directory();
    let wrong = Browser::new().sign_in(p.app(), "carol", "nope").await;
    let unknown = Browser::new().sign_in(p.app(), "mallory", "nope").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let message = |body: &str| {
        body[body.find("role=\"alert\"").unwrap()..].split('<').next().unwrap().to_string()
    };
    assert_eq!(message(&wrong.body), message(&unknown.body));
}

#[tokio::test]
async fn a_user_without_two_factor_signs_in_with_the_password_alone() {
    let p = Portal::with_demo_directory();
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), Some("/"));
    let home = b.get(p.app(), "/").await;
    assert!(home.body.contains(r#"id="signed-in-as">carol</span>"#), "{}", home.body);
}

#[tokio::test]
async fn a_first_sign_in_shows_activation_and_only_a_correct_code_activates() {
    let p = Portal::with_demo_directory();
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "alice", "alice-pw").await;
    assert_eq!(reply.location(), Some("/activate"));
    let page = b.get(p.app(), "/activate").await;
    assert_eq!(page.status, StatusCode::OK);
    for app in ["Authy", "Google Authenticator", "Microsoft Authenticator"] {
        assert!(page.body.contains(app), "{app} not named");
    }
    let secret = p.store.enrollment("alice").unwrap().unwrap().secret;
    assert!(
        page.body.contains(&*secret.to_grouped_base32()),
        "the key is shown grouped for typing"
    );
    assert!(page.body.contains(r#"autocomplete="one-time-code""#));
    let qr = b.get(p.app(), "/activate/qr.png").await;
    assert_eq!(qr.headers.get(header::CONTENT_TYPE).unwrap(), "image/png");

    let wrong = b.post(p.app(), "/activate", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(p.store.enrollment("alice").unwrap().unwrap().state, EnrollmentState::Pending);

    let code = p.code_for("alice", START);
    let ok = b.post(p.app(), "/activate", &[("code", &code)]).await;
    assert_eq!(ok.location(), Some("/"));
    assert_eq!(p.store.enrollment("alice").unwrap().unwrap().state, EnrollmentState::Active);
    assert!(b.get(p.app(), "/").await.body.contains("alice"));
}

#[tokio::test]
async fn a_new_sign_in_before_activation_shows_a_new_secret() {
    let p = Portal::with_demo_directory();
    Browser::new().sign_in(p.app(), "alice", "alice-pw").await;
    let first = p.store.enrollment("alice").unwrap().unwrap().secret;
    Browser::new().sign_in(p.app(), "alice", "alice-pw").await;
    let second = p.store.enrollment("alice").unwrap().unwrap().secret;
    assert_ne!(first.as_bytes(), second.as_bytes());
}

async fn enrolled(p: &Portal, user: &str, password: &str) {
    let mut b = Browser::new();
    b.sign_in(p.app(), user, password).await;
    b.get(p.app(), "/activate").await;
    let code = p.code_for(user, p.clock_now());
    let reply = b.post(p.app(), "/activate", &[("code", &code)]).await;
    assert_eq!(reply.location(), Some("/"));
}

trait ClockNow {
    fn clock_now(&self) -> u64;
}
impl ClockNow for Portal {
    fn clock_now(&self) -> u64 {
        use twofold_portal::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn the_code_used_to_activate_cannot_be_replayed_but_the_next_step_is_accepted() {
    let p = Portal::with_demo_directory();
    enrolled(&p, "alice", "alice-pw").await;
    let used = p.code_for("alice", START);

    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "alice", "alice-pw").await.location(), Some("/verify"));
    b.get(p.app(), "/verify").await;
    let replay = b.post(p.app(), "/verify", &[("code", &used)]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.body.contains("already used"), "{}", replay.body);

    p.clock.advance(30);
    let next = p.code_for("alice", START + 30);
    let ok = b.post(p.app(), "/verify", &[("code", &next)]).await;
    assert_eq!(ok.location(), Some("/"));
    assert!(b.get(p.app(), "/").await.body.contains("signed-in-as"));
}

#[tokio::test]
async fn the_session_id_changes_at_each_step_of_the_sign_in() {
    let p = Portal::with_demo_directory();
    enrolled(&p, "alice", "alice-pw").await;
    p.clock.advance(30);
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    let after_password = b.cookies["twofold_session"].clone();
    b.get(p.app(), "/verify").await;
    b.post(p.app(), "/verify", &[("code", &p.code_for("alice", START + 30))]).await;
    assert_ne!(b.cookies["twofold_session"], after_password);
    // The half-signed-in id is dead.
    let mut thief = Browser::new();
    thief.cookies.insert("twofold_session".into(), after_password);
    assert_eq!(thief.get(p.app(), "/").await.location(), Some("/login"));
}

#[tokio::test]
async fn five_wrong_codes_lock_the_user_even_against_a_correct_code_until_unlocked() {
    let p = Portal::with_demo_directory();
    enrolled(&p, "alice", "alice-pw").await;
    p.clock.advance(30);
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    b.get(p.app(), "/verify").await;
    let statuses: Vec<StatusCode> = {
        let mut out = Vec::new();
        for _ in 0..5 {
            out.push(b.post(p.app(), "/verify", &[("code", "999999")]).await.status);
        }
        out
    };
    assert_eq!(&statuses[..4], &[StatusCode::UNAUTHORIZED; 4]);
    assert_eq!(statuses[4], StatusCode::LOCKED);
    let right = p.code_for("alice", START + 30);
    let locked = b.post(p.app(), "/verify", &[("code", &right)]).await;
    assert_eq!(locked.status, StatusCode::LOCKED);
    assert!(locked.body.contains("locked"));

    let reply = p
        .admin_call(
            "POST",
            "/api/v1/users/unlock",
            Some(serde_json::json!({"usernames": ["alice"]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(b.post(p.app(), "/verify", &[("code", &right)]).await.location(), Some("/"));
    let actions: Vec<String> = p
        .store
        .audit(&AuditFilter { subject: Some("alice".into()), limit: 50, ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"user.lock".to_string()), "{actions:?}");
    assert!(actions.contains(&"user.unlock".to_string()), "{actions:?}");
}

#[tokio::test]
async fn the_lock_expires_on_its_own_after_fifteen_minutes() {
    let p = Portal::with_demo_directory();
    enrolled(&p, "alice", "alice-pw").await;
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    b.get(p.app(), "/verify").await;
    for _ in 0..5 {
        b.post(p.app(), "/verify", &[("code", "999999")]).await;
    }
    p.clock.advance(15 * 60);
    let mut later = Browser::new();
    later.sign_in(p.app(), "alice", "alice-pw").await;
    later.get(p.app(), "/verify").await;
    let now = START + 15 * 60;
    assert_eq!(
        later.post(p.app(), "/verify", &[("code", &p.code_for("alice", now))]).await.location(),
        Some("/")
    );
}

#[tokio::test]
async fn after_a_reset_the_next_sign_in_shows_a_new_qr_code() {
    let p = Portal::with_demo_directory();
    enrolled(&p, "alice", "alice-pw").await;
    let old = p.store.enrollment("alice").unwrap().unwrap().secret;
    let reply = p
        .admin_call(
            "POST",
            "/api/v1/users/reset",
            Some(serde_json::json!({"usernames": ["alice"]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "alice", "alice-pw").await.location(), Some("/activate"));
    let new = p.store.enrollment("alice").unwrap().unwrap().secret;
    assert_ne!(old.as_bytes(), new.as_bytes());
}

#[tokio::test]
async fn a_group_member_is_asked_for_two_factor_and_turning_the_switch_off_releases_everyone() {
    let p = Portal::with_demo_directory();
    assert_eq!(
        Browser::new().sign_in(p.app(), "bob", "bob-pw").await.location(),
        Some("/activate")
    );
    p.admin_call("PUT", "/api/v1/two-factor", Some(serde_json::json!({"enabled": false}))).await;
    assert_eq!(Browser::new().sign_in(p.app(), "bob", "bob-pw").await.location(), Some("/"));
}

#[tokio::test]
async fn pages_of_later_steps_send_strangers_to_the_login() {
    let p = Portal::with_demo_directory();
    let mut b = Browser::new();
    for path in ["/", "/activate", "/verify"] {
        assert_eq!(b.get(p.app(), path).await.location(), Some("/login"), "{path}");
    }
    assert_eq!(b.get(p.app(), "/activate/qr.png").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let p = Portal::with_demo_directory();
    let mut b = Browser::new();
    b.sign_in(p.app(), "carol", "carol-pw").await;
    b.get(p.app(), "/").await;
    let reply = b.post(p.app(), "/logout", &[]).await;
    assert_eq!(reply.location(), Some("/login"));
    assert_eq!(b.get(p.app(), "/").await.location(), Some("/login"));
}

#[tokio::test]
async fn malformed_and_oversized_forms_get_a_clear_error() {
    let p = Portal::with_demo_directory();
    let mut b = Browser::new();
    b.get(p.app(), "/login").await;
    let huge = "x".repeat(64 * 1024);
    let reply = b.post(p.app(), "/login", &[("username", &huge), ("password", "p")]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("role=\"alert\""));
}

#[tokio::test]
async fn french_browsers_get_the_french_pages() {
    let p = Portal::with_demo_directory();
    let req = axum::http::Request::get("/login")
        .header(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = common::send(p.app(), req).await;
    assert!(reply.body.contains("Connexion") && reply.body.contains(r#"lang="fr""#));
}
