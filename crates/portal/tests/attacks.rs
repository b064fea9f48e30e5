//! What an attacker who knows a user's password tries against the sign-in, each a hole once
//! found in the portal: capturing or substituting the key at enrollment, keeping a
//! password-only session after 2FA becomes required, outrunning the throttles with
//! concurrent guesses, and locking a user out with replays.

mod common;

use axum::http::{header, StatusCode};
use common::{Browser, Portal, START};
use twofold_core::{otp::Algorithm, EnrollmentState, Principal, Secret};
use twofold_portal::ops;
use twofold_store::{AuditFilter, AuditRepo, EnrollmentRepo, SettingsRepo, ThrottleRepo};

/// The key the activation page shows, without the grouping spaces.
fn shown_key(body: &str) -> Option<String> {
    let start = body.find(r#"id="secret-key""#)?;
    let rest = &body[start..];
    let text = &rest[rest.find('>')? + 1..];
    Some(text[..text.find('<')?].replace(' ', ""))
}

fn pending_secret(p: &Portal, user: &str) -> Secret {
    let e = p.store.enrollment(user).unwrap().unwrap();
    assert_eq!(e.state, EnrollmentState::Pending);
    e.secret
}

fn code(secret: &Secret, at: u64) -> String {
    twofold_core::totp(secret, Algorithm::Sha1, 6, 30, at).unwrap()
}

fn audit_actions(p: &Portal, user: &str) -> Vec<String> {
    let filter = AuditFilter { subject: Some(user.into()), limit: 100, ..Default::default() };
    p.store.audit(&filter).unwrap().into_iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn an_older_activation_session_never_sees_the_key_a_newer_sign_in_was_shown() {
    let p = Portal::with_demo_directory();
    // The attacker signs in first and waits on the activation page.
    let mut attacker = Browser::new();
    attacker.sign_in(p.app(), "alice", "alice-pw").await;
    assert_eq!(attacker.get(p.app(), "/activate").await.status, StatusCode::OK);
    // The real user signs in and is shown key K.
    let mut user = Browser::new();
    user.sign_in(p.app(), "alice", "alice-pw").await;
    let page = user.get(p.app(), "/activate").await;
    let k = pending_secret(&p, "alice");
    assert_eq!(shown_key(&page.body), Some(k.to_base32().to_string()));

    // The attacker's page and QR image no longer show anything, let alone K.
    let qr = attacker.get(p.app(), "/activate/qr.png").await;
    assert_eq!(qr.status, StatusCode::NOT_FOUND);
    let stale = attacker.get(p.app(), "/activate").await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("newer sign-in"), "{}", stale.body);
    assert_eq!(shown_key(&stale.body), None);
    assert!(!stale.body.contains(k.to_grouped_base32().as_str()));
    // Nor can it activate K with a code it might get from somewhere.
    let tried = attacker.post(p.app(), "/activate", &[("code", &code(&k, START))]).await;
    assert_ne!(tried.location(), Some("/"));
    assert_eq!(pending_secret(&p, "alice").as_bytes(), k.as_bytes());

    // The user activates K undisturbed.
    let done = user.post(p.app(), "/activate", &[("code", &code(&k, START))]).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    assert!(audit_actions(&p, "alice").contains(&"enrollment.concurrent".to_string()));
}

#[tokio::test]
async fn a_newer_sign_in_cannot_slip_its_key_under_the_users_code() {
    let p = Portal::with_demo_directory();
    let mut user = Browser::new();
    user.sign_in(p.app(), "alice", "alice-pw").await;
    user.get(p.app(), "/activate").await;
    let k1 = pending_secret(&p, "alice");
    // The attacker signs in while the user scans K1, and is shown K2.
    let mut attacker = Browser::new();
    attacker.sign_in(p.app(), "alice", "alice-pw").await;
    let k2_page = attacker.get(p.app(), "/activate").await;
    let k2 = pending_secret(&p, "alice");
    assert_eq!(shown_key(&k2_page.body), Some(k2.to_base32().to_string()));

    // The user's code from K1 is not judged (no failure counted) and the page does not
    // re-render with K2: it says what happened and ends that session.
    let reply = user.post(p.app(), "/activate", &[("code", &code(&k1, START))]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains("newer sign-in"), "{}", reply.body);
    assert!(!reply.body.contains(k2.to_grouped_base32().as_str()), "the attacker's key was shown");
    assert_eq!(shown_key(&reply.body), None);
    let e = p.store.enrollment("alice").unwrap().unwrap();
    assert_eq!(e.verifier.consecutive_failures, 0);

    // Signing in again gives the user a key of their own, and ends the attacker's.
    user.sign_in(p.app(), "alice", "alice-pw").await;
    user.get(p.app(), "/activate").await;
    let k3 = pending_secret(&p, "alice");
    assert_ne!(k3.as_bytes(), k2.as_bytes());
    let attackers_try = attacker.post(p.app(), "/activate", &[("code", &code(&k2, START))]).await;
    assert_eq!(attackers_try.status, StatusCode::CONFLICT);
    let done = user.post(p.app(), "/activate", &[("code", &code(&k3, START))]).await;
    assert_eq!(done.location(), Some("/"));
    assert_eq!(p.store.enrollment("alice").unwrap().unwrap().secret.as_bytes(), k3.as_bytes());
}

#[tokio::test]
async fn a_password_only_session_is_sent_to_activation_once_its_user_becomes_a_principal() {
    let p = Portal::with_demo_directory();
    let mut carol = Browser::new();
    carol.sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(carol.get(p.app(), "/").await.status, StatusCode::OK);

    ops::add_principals(
        p.store.as_ref(),
        &p.state.vendor_key,
        &[Principal::User("carol".into())],
        "admin",
        START,
    )
    .unwrap();
    let home = carol.get(p.app(), "/").await;
    assert_eq!(home.location(), Some("/activate"), "{}", home.body);
    let page = carol.get(p.app(), "/activate").await;
    assert_eq!(shown_key(&page.body), Some(pending_secret(&p, "carol").to_base32().to_string()));
    // Until activated, the home page stays closed.
    assert_eq!(carol.get(p.app(), "/").await.location(), Some("/activate"));
    let code = code(&pending_secret(&p, "carol"), START);
    assert_eq!(carol.post(p.app(), "/activate", &[("code", &code)]).await.location(), Some("/"));
    assert_eq!(carol.get(p.app(), "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_only_session_is_sent_to_the_code_step_when_the_switch_is_turned_on() {
    let p = Portal::with_demo_directory();
    p.enroll("alice", "alice-pw").await;
    p.store.set_two_factor_enabled(false, "admin", START as i64).unwrap();
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "alice", "alice-pw").await.location(), Some("/"));
    assert_eq!(b.get(p.app(), "/").await.status, StatusCode::OK);

    p.store.set_two_factor_enabled(true, "admin", START as i64).unwrap();
    assert_eq!(b.get(p.app(), "/").await.location(), Some("/verify"));
    p.clock.advance(30);
    let fresh = p.code_for("alice", START + 30);
    assert_eq!(b.post(p.app(), "/verify", &[("code", &fresh)]).await.location(), Some("/"));
    assert_eq!(b.get(p.app(), "/").await.status, StatusCode::OK);
    assert!(audit_actions(&p, "alice").contains(&"session.step_up".to_string()));
}

#[tokio::test]
async fn concurrent_wrong_passwords_from_one_address_are_counted_before_hashing() {
    let p = Portal::with_demo_directory().with_settings(|s| {
        s.address_limit = 5;
        s.account_limit = 1000;
    });
    let mut tasks = Vec::new();
    for n in 0..20 {
        let app = p.app();
        tasks.push(tokio::spawn(async move {
            Browser::new().sign_in(app, &format!("nobody{n}"), "wrong").await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let rejected = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((rejected, throttled), (5, 15), "{statuses:?}");
}

#[tokio::test]
async fn wrong_passwords_for_one_account_back_off_that_account_from_any_address() {
    let p = Portal::with_demo_directory().with_settings(|s| s.account_limit = 3);
    for _ in 0..3 {
        let reply = Browser::new().sign_in(p.app(), "Carol", "guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let backed_off = Browser::new().sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(backed_off.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(backed_off.body.contains("this account"), "{}", backed_off.body);
    // Other accounts are not affected, and the back-off ends with its window.
    assert_eq!(
        Browser::new().sign_in(p.app(), "bob", "bob-pw").await.status,
        StatusCode::SEE_OTHER
    );
    p.clock.advance(15 * 60);
    let later = Browser::new().sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(later.location(), Some("/"));
}

#[tokio::test]
async fn a_correct_password_gives_its_counted_attempt_back() {
    let p = Portal::with_demo_directory().with_settings(|s| s.address_limit = 3);
    for _ in 0..10 {
        assert_eq!(
            Browser::new().sign_in(p.app(), "carol", "carol-pw").await.location(),
            Some("/")
        );
    }
    assert_eq!(p.store.address_failures("unknown", START as i64, 900).unwrap(), 0);
}

#[tokio::test]
async fn when_every_hash_slot_is_busy_the_answer_is_a_quick_503_and_nothing_is_counted() {
    let p = Portal::with_demo_directory();
    let held = p.state.hash_slots.clone().acquire_many_owned(4).await.unwrap();
    let reply = Browser::new().sign_in(p.app(), "carol", "carol-pw").await;
    drop(held);
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers.get(header::RETRY_AFTER).unwrap(), "2");
    assert_eq!(p.store.address_failures("unknown", START as i64, 900).unwrap(), 0);
    assert_eq!(Browser::new().sign_in(p.app(), "carol", "carol-pw").await.location(), Some("/"));
}

#[tokio::test]
async fn the_sign_in_fails_closed_when_the_throttle_cannot_be_read() {
    let p = Portal::with_demo_directory();
    let db = p.store.dir().join("twofold.db");
    rusqlite::Connection::open(db).unwrap().execute_batch("DROP TABLE address_failures").unwrap();
    let reply = Browser::new().sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.location(), None, "signed in without a working throttle");
}

#[tokio::test]
async fn replaying_a_just_accepted_code_never_locks_the_user() {
    let p = Portal::with_demo_directory();
    p.enroll("alice", "alice-pw").await;
    let used = p.code_for("alice", START);
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    for _ in 0..8 {
        let reply = b.post(p.app(), "/verify", &[("code", &used)]).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(reply.body.contains("already used"), "{}", reply.body);
    }
    let state = p.store.enrollment("alice").unwrap().unwrap().verifier;
    assert_eq!((state.consecutive_failures, state.locked_until), (0, None));
    p.clock.advance(30);
    let next = p.code_for("alice", START + 30);
    assert_eq!(b.post(p.app(), "/verify", &[("code", &next)]).await.location(), Some("/"));
}

#[tokio::test]
async fn a_second_lock_lasts_twice_as_long_as_the_first() {
    let p = Portal::with_demo_directory();
    p.enroll("alice", "alice-pw").await;
    let lock_for = |p: &Portal| {
        let v = p.store.enrollment("alice").unwrap().unwrap().verifier;
        v.locked_until.map(|until| until as i64 - START as i64)
    };
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    for _ in 0..5 {
        b.post(p.app(), "/verify", &[("code", "000000")]).await;
    }
    let first = lock_for(&p).unwrap();
    assert_eq!(first, 900);
    p.clock.advance(900);
    let mut b = Browser::new();
    b.sign_in(p.app(), "alice", "alice-pw").await;
    for _ in 0..5 {
        b.post(p.app(), "/verify", &[("code", "000000")]).await;
    }
    assert_eq!(lock_for(&p), Some(900 + 1800));
}

#[tokio::test]
async fn under_tls_cookies_are_host_prefixed_and_browsers_are_told_to_keep_to_https() {
    let p = Portal::with_demo_directory().with_settings(|s| s.secure_cookies = true);
    let mut b = Browser::new();
    let page = b.get(p.app(), "/login").await;
    let hsts = page.headers.get(header::STRICT_TRANSPORT_SECURITY).unwrap().to_str().unwrap();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
    let cookie = page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.starts_with("__Host-twofold_csrf=") && cookie.contains("Secure"), "{cookie}");
    let reply = b.post(p.app(), "/login", &[("username", "carol"), ("password", "carol-pw")]).await;
    assert_eq!(reply.location(), Some("/"));
    assert!(b.cookies.contains_key("__Host-twofold_session"), "{:?}", b.cookies.keys());
    assert_eq!(b.get(p.app(), "/").await.status, StatusCode::OK);

    let plain = Portal::with_demo_directory();
    let page = Browser::new().get(plain.app(), "/login").await;
    assert!(page.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
}

#[tokio::test]
async fn an_unknown_name_typed_at_sign_in_is_not_recorded_in_the_audit_log() {
    let p = Portal::with_demo_directory();
    Browser::new().sign_in(p.app(), "correct-horse-battery", "x").await;
    let all = p.store.audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap();
    assert!(all.iter().any(|e| e.action == "signin.password_failed"));
    for e in all {
        let line = format!("{} {} {:?} {:?}", e.actor, e.action, e.subject, e.detail);
        assert!(!line.contains("correct-horse-battery"), "{line}");
    }
}
