//! The RDP gate through `oneshot` requests.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::Portal;

async fn ask(p: &Portal, body: &str) -> common::Reply {
    let req = Request::post("/api/rdp/authorize")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    common::send(p.app(), req).await
}

#[tokio::test]
async fn two_factor_users_are_denied_with_a_reason_and_others_are_allowed() {
    let p = Portal::with_demo_directory();
    for user in ["alice", "bob"] {
        let reply =
            ask(&p, &format!(r#"{{"username":"{user}","password":"{user}-pw"}}"#)).await.json();
        assert_eq!(reply["allowed"], false, "{user}");
        assert!(reply["reason"].as_str().unwrap().contains("two-factor"), "{user}");
    }
    let carol = ask(&p, r#"{"username":"carol","password":"carol-pw"}"#).await.json();
    assert_eq!(carol["allowed"], true);
    let wrong = ask(&p, r#"{"username":"carol","password":"nope"}"#).await.json();
    assert_eq!(wrong["allowed"], false);
    assert!(wrong["reason"].as_str().unwrap().contains("incorrect"));
}

#[tokio::test]
async fn malformed_requests_get_a_json_error() {
    let p = Portal::with_demo_directory();
    let reply = ask(&p, r#"{"username": 5}"#).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].is_string());
}
