//! The RDP gate through `oneshot` requests: only callers with the gateway token are heard,
//! and their wrong passwords count like the sign-in page's.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Browser, Portal, GATEWAY_TOKEN};
use twofold_store::{AuditFilter, AuditRepo, SettingsRepo};

async fn ask_with(p: &Portal, token: Option<&str>, body: &str) -> common::Reply {
    let mut req =
        Request::post("/api/rdp/authorize").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    common::send(p.app(), req.body(Body::from(body.to_string())).unwrap()).await
}

async fn ask(p: &Portal, body: &str) -> common::Reply {
    ask_with(p, Some(GATEWAY_TOKEN), body).await
}

fn login(user: &str, password: &str) -> String {
    serde_json::json!({ "username": user, "password": password }).to_string()
}

fn login_from(user: &str, password: &str, address: &str) -> String {
    serde_json::json!({ "username": user, "password": password, "client_address": address })
        .to_string()
}

fn rdp_audit(p: &Portal) -> Vec<(String, String, Option<String>)> {
    p.store
        .audit(&AuditFilter { limit: 500, ..Default::default() })
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("rdp."))
        .map(|e| (e.action, e.actor, e.subject))
        .collect()
}

#[tokio::test]
async fn two_factor_users_are_denied_with_a_reason_and_others_are_allowed() {
    let p = Portal::with_demo_directory();
    for user in ["alice", "bob"] {
        let reply = ask(&p, &login(user, &format!("{user}-pw"))).await.json();
        assert_eq!(reply["allowed"], false, "{user}");
        assert!(reply["reason"].as_str().unwrap().contains("two-factor"), "{user}");
    }
    let carol = ask(&p, &login("carol", "carol-pw")).await.json();
    assert_eq!(carol["allowed"], true);
    let wrong = ask(&p, &login("carol", "nope")).await.json();
    assert_eq!(wrong["allowed"], false);
    assert!(wrong["reason"].as_str().unwrap().contains("incorrect"));
}

#[tokio::test]
async fn malformed_requests_get_a_json_error() {
    let p = Portal::with_demo_directory();
    let reply = ask(&p, r#"{"username": 5}"#).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"]["message"].is_string());
}

#[tokio::test]
async fn anonymous_callers_are_refused_before_any_password_is_counted() {
    // Without the token check, these eleven wrong passwords would back carol's account off
    // (limit 10) and leave eleven rdp.denied entries.
    let p = Portal::with_demo_directory();
    for _ in 0..11 {
        let reply = ask_with(&p, None, &login("carol", "guess")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert!(reply.json()["error"]["message"].as_str().unwrap().contains("gateway token"));
        assert_eq!(
            reply.headers.get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap()),
            Some("Bearer")
        );
    }
    // Not even the correct password gets an answer without the token.
    let anonymous = ask_with(&p, None, &login("carol", "carol-pw")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(rdp_audit(&p).is_empty(), "{:?}", rdp_audit(&p));
    // Nothing was counted: the real front end is still answered normally.
    assert_eq!(ask(&p, &login("carol", "carol-pw")).await.json()["allowed"], true);
}

#[tokio::test]
async fn a_wrong_or_malformed_token_is_refused_like_none_and_counts_nothing() {
    let p = Portal::with_demo_directory().with_settings(|s| s.account_limit = 2);
    let near = &GATEWAY_TOKEN[..GATEWAY_TOKEN.len() - 1];
    let longer = format!("{GATEWAY_TOKEN}x");
    for token in ["wrong", near, longer.as_str(), ""] {
        for _ in 0..3 {
            let reply = ask_with(&p, Some(token), &login("carol", "guess")).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token:?}: {}", reply.body);
        }
    }
    // A token in another scheme is no token either.
    let req = Request::post("/api/rdp/authorize")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Basic {GATEWAY_TOKEN}"))
        .body(Body::from(login("carol", "guess")))
        .unwrap();
    assert_eq!(common::send(p.app(), req).await.status, StatusCode::UNAUTHORIZED);
    // An unauthenticated malformed body is refused for the token, not parsed.
    assert_eq!(ask_with(&p, None, "{").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ask(&p, &login("carol", "carol-pw")).await.json()["allowed"], true);
    assert_eq!(rdp_audit(&p).len(), 1);
}

#[tokio::test]
async fn the_gate_answers_404_when_no_gateway_token_is_configured() {
    let mut p = Portal::with_demo_directory();
    p.state.gateway_token = None;
    for token in [Some(GATEWAY_TOKEN), None] {
        let reply = ask_with(&p, token, &login("carol", "carol-pw")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.json()["error"]["message"], "the RDP gate is not enabled");
    }
    assert!(rdp_audit(&p).is_empty());
}

#[tokio::test]
async fn wrong_passwords_through_the_gate_back_off_the_account_for_the_sign_in_page_too() {
    let p = Portal::with_demo_directory().with_settings(|s| s.account_limit = 3);
    for _ in 0..3 {
        let reply = ask(&p, &login("carol", "guess")).await.json();
        assert_eq!(reply["allowed"], false);
    }
    let backed_off = ask(&p, &login("carol", "carol-pw")).await.json();
    assert_eq!(backed_off["allowed"], false);
    assert!(backed_off["reason"].as_str().unwrap().contains("this account"), "{backed_off}");
    // The sign-in page shares the count: the same account is backed off there.
    let page = Browser::new().sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // Until the window ends.
    p.clock.advance(15 * 60);
    assert_eq!(ask(&p, &login("carol", "carol-pw")).await.json()["allowed"], true);
}

#[tokio::test]
async fn the_front_ends_client_address_is_throttled_and_audited_not_the_front_end() {
    let p = Portal::with_demo_directory().with_settings(|s| {
        s.address_limit = 3;
        s.account_limit = 1000;
    });
    // One RDP client guesses passwords of several accounts through the shared front end.
    for user in ["alice", "bob", "dana"] {
        let reply = ask(&p, &login_from(user, "guess", "203.0.113.7")).await.json();
        assert_eq!(reply["allowed"], false);
    }
    let throttled = ask(&p, &login_from("carol", "carol-pw", "203.0.113.7")).await.json();
    assert_eq!(throttled["allowed"], false);
    assert!(throttled["reason"].as_str().unwrap().contains("this address"), "{throttled}");
    // Another RDP client behind the same front end is not affected.
    let other = ask(&p, &login_from("carol", "carol-pw", "198.51.100.20")).await.json();
    assert_eq!(other["allowed"], true, "{other}");
    let actors: Vec<String> = rdp_audit(&p).into_iter().map(|(_, actor, _)| actor).collect();
    assert!(actors.contains(&"203.0.113.7".to_string()), "{actors:?}");
    assert!(actors.contains(&"198.51.100.20".to_string()), "{actors:?}");
}

#[tokio::test]
async fn a_client_address_that_is_not_an_ip_is_ignored_for_the_connections_address() {
    let p = Portal::with_demo_directory().with_settings(|s| s.address_limit = 2);
    for _ in 0..2 {
        ask(&p, &login_from("carol", "guess", "evil.example.com\nforged line")).await;
    }
    // Both counted against the connection's address (here "unknown": oneshot has none), so a
    // third from there is throttled, whatever name it gives.
    let third = ask(&p, &login_from("carol", "carol-pw", "not an address")).await.json();
    assert!(third["reason"].as_str().unwrap().contains("this address"), "{third}");
    assert!(rdp_audit(&p).iter().all(|(_, actor, _)| !actor.contains("evil")));
}

#[tokio::test]
async fn a_user_locked_by_wrong_codes_is_refused_even_after_two_factor_is_switched_off() {
    let p = Portal::with_demo_directory();
    p.enroll("alice", "alice-pw").await;
    p.clock.advance(30);
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    b.get(p.app(), "/verify").await;
    for _ in 0..5 {
        b.post(p.app(), "/verify", &[("code", "999999")]).await;
    }
    p.store.set_two_factor_enabled(false, "test", common::START as i64).unwrap();
    let locked = ask(&p, &login("alice", "alice-pw")).await.json();
    assert_eq!(locked["allowed"], false);
    assert!(locked["reason"].as_str().unwrap().contains("locked"), "{locked}");
    let reply = p
        .admin_call(
            "POST",
            "/api/v1/users/unlock",
            Some(serde_json::json!({"usernames": ["alice"]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(ask(&p, &login("alice", "alice-pw")).await.json()["allowed"], true);
}
