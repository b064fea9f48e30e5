//! Behind a reverse proxy every request arrives from the proxy's address. Forwarding headers
//! name the real client, but only a configured trusted proxy is believed: otherwise one
//! attacker behind the proxy would throttle everyone, or any client could pick the address
//! its failures count against.

mod common;

use axum::http::StatusCode;
use common::{Browser, Portal};

const PROXY: &str = "127.0.0.1:40000";

fn portal(trusted: &[&str]) -> Portal {
    let trusted: Vec<_> = trusted
        .iter()
        .map(|n| twofold_portal::config::parse_network(n).expect("network"))
        .collect();
    Portal::with_demo_directory().with_settings(|s| {
        s.address_limit = 3;
        s.trusted_proxies = trusted;
    })
}

/// Three wrong passwords for three different accounts (so no per-account back-off applies).
async fn spray(p: &Portal, b: &mut Browser) {
    for user in ["alice", "bob", "carol"] {
        let reply = b.sign_in(p.app(), user, "wrong").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    }
}

#[tokio::test]
async fn one_attacker_behind_a_trusted_proxy_does_not_throttle_the_other_clients() {
    let p = portal(&["127.0.0.1"]);
    let mut attacker = Browser::from(PROXY, &[("x-forwarded-for", "203.0.113.9")]);
    spray(&p, &mut attacker).await;
    let reply = attacker.sign_in(p.app(), "carol", "wrong").await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "the attacker is throttled");
    let mut user = Browser::from(PROXY, &[("x-forwarded-for", "198.51.100.20")]);
    let reply = user.sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(reply.location(), Some("/"), "another client behind the proxy signs in");
}

#[tokio::test]
async fn the_audit_log_records_the_client_behind_a_trusted_proxy() {
    let p = portal(&["127.0.0.0/8"]);
    let mut b = Browser::from(PROXY, &[("forwarded", "for=\"[2001:db8::5]:4711\";proto=https")]);
    b.sign_in(p.app(), "nobody", "wrong").await;
    let entries = p.admin_call("GET", "/api/v1/audit?limit=5", None).await.json();
    let text = entries.to_string();
    assert!(text.contains("2001:db8::5"), "{text}");
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarding_header_is_ignored() {
    let p = portal(&[]);
    // An attacker rotating made-up addresses still counts against its own.
    for (i, user) in ["alice", "bob", "carol"].into_iter().enumerate() {
        let fake = format!("203.0.113.{i}");
        let mut b = Browser::from("198.51.100.7:5000", &[("x-forwarded-for", &fake)]);
        assert_eq!(b.sign_in(p.app(), user, "wrong").await.status, StatusCode::UNAUTHORIZED);
    }
    let mut b = Browser::from("198.51.100.7:5000", &[("x-forwarded-for", "203.0.113.77")]);
    assert_eq!(b.sign_in(p.app(), "carol", "wrong").await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_spoofed_header_from_an_address_that_is_not_a_trusted_proxy_is_ignored() {
    let p = portal(&["10.0.0.1"]);
    let mut attacker = Browser::from("198.51.100.7:5000", &[("x-forwarded-for", "10.9.9.9")]);
    spray(&p, &mut attacker).await;
    // The victim's address was named in the header; it is not the one throttled.
    let mut victim = Browser::from("10.9.9.9:6000", &[]);
    assert_eq!(victim.sign_in(p.app(), "carol", "carol-pw").await.location(), Some("/"));
    let mut again = Browser::from("198.51.100.7:5001", &[]);
    assert_eq!(
        again.sign_in(p.app(), "carol", "wrong").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
