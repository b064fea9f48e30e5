//! The admin API through `oneshot` requests: token, status, switch, directory, principals,
//! license seats, users, audit, and bad input.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Portal, START};
use serde_json::json;
use twofold_core::{issue_license, LicenseTerms};

#[tokio::test]
async fn requests_without_the_right_token_are_refused() {
    let p = Portal::with_demo_directory();
    for auth in [None, Some("Bearer wrong"), Some("Basic xyz")] {
        let mut req = Request::get("/api/v1/status");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let reply = common::send(p.admin(), req.body(Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(reply.json()["error"]["message"].is_string());
        let code = if auth == Some("Bearer wrong") { "invalid_token" } else { "missing_token" };
        assert_eq!(reply.json()["error"]["code"], code, "{auth:?}");
    }
}

#[tokio::test]
async fn status_reports_switch_license_counts_and_the_directory() {
    let p = Portal::with_demo_directory();
    let s = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(s["two_factor_enabled"], true);
    assert_eq!(s["license"]["status"], "evaluation");
    assert_eq!(s["counts"]["users"], 3);
    assert_eq!(s["counts"]["groups"], 1);
    assert_eq!(s["counts"]["principals"], 2);
    assert_eq!(s["counts"]["users_needing_2fa"], 2);
    assert_eq!(
        s["directory"],
        json!({"kind": "builtin", "url": null, "answering": true, "problem": null})
    );
}

#[tokio::test]
async fn toggling_the_switch_is_stored_and_audited() {
    let p = Portal::with_demo_directory();
    let off = p.admin_call("PUT", "/api/v1/two-factor", Some(json!({"enabled": false}))).await;
    assert_eq!(off.json()["two_factor_enabled"], false);
    let audit = p.admin_call("GET", "/api/v1/audit?limit=1", None).await.json();
    assert_eq!(audit["items"][0]["action"], "2fa.off");
}

#[tokio::test]
async fn directory_search_is_paged_and_mixes_users_and_groups() {
    let p = Portal::with_demo_directory();
    let page = p.admin_call("GET", "/api/v1/directory?q=&limit=2", None).await.json();
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["kind"], "group");
    assert_eq!(page["items"][0]["members"], 1);
    let bob = p.admin_call("GET", "/api/v1/directory?q=BO", None).await.json();
    assert_eq!(bob["items"][0]["name"], "bob");
}

#[tokio::test]
async fn adding_an_unknown_principal_is_404_and_adds_nothing() {
    let p = Portal::with_demo_directory();
    let reply = p
        .admin_call(
            "POST",
            "/api/v1/principals",
            Some(json!({"principals": [{"kind": "user", "name": "carol"}, {"kind": "group", "name": "ghosts"}]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let error = &reply.json()["error"];
    assert!(error["message"].as_str().unwrap().contains("ghosts"));
    assert_eq!(error["code"], "group_not_found");
    assert_eq!(error["params"]["group"], "ghosts");
    let list = p.admin_call("GET", "/api/v1/principals", None).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn removing_a_principal_releases_its_users() {
    let p = Portal::with_demo_directory();
    let reply = p.admin_call("DELETE", "/api/v1/principals/group/finance", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let users = p.admin_call("GET", "/api/v1/users", None).await.json();
    let names: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alice"]);
    assert_eq!(
        p.admin_call("DELETE", "/api/v1/principals/group/finance", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_evaluation_refuses_a_sixth_user_but_keeps_2fa_for_the_first_five() {
    let p = Portal::with_demo_directory();
    for i in 0..4 {
        twofold_portal::ops::add_user(p.store.as_ref(), &format!("u{i}"), "pw", "t", START)
            .unwrap();
    }
    let add = |names: Vec<&str>| json!({"principals": names.iter().map(|n| json!({"kind":"user","name":n})).collect::<Vec<_>>()});
    assert_eq!(
        p.admin_call("POST", "/api/v1/principals", Some(add(vec!["u0", "u1", "u2"]))).await.status,
        StatusCode::OK
    );
    let refused = p.admin_call("POST", "/api/v1/principals", Some(add(vec!["u3"]))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.json()["error"]["message"].as_str().unwrap().contains("license allows 5"),
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["error"]["code"], "seat_limit");
    assert_eq!(refused.json()["error"]["params"]["limit"], "5");
    assert_eq!(refused.json()["error"]["params"]["seats_after"], "6");
    let s = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(s["counts"]["users_needing_2fa"], 5);
    assert_eq!(s["two_factor_enabled"], true);
}

#[tokio::test]
async fn a_valid_license_raises_the_seat_limit_and_a_forged_one_changes_nothing() {
    let p = Portal::with_demo_directory();
    let key =
        twofold_portal::vendor::decode_signing_key(include_str!("../dev/vendor-dev.key")).unwrap();
    let terms = LicenseTerms {
        licensee: "ACME".into(),
        seats: 50,
        expires: START + 86400 * 365,
        issued: START,
    };
    let text = issue_license(&key, &terms);
    let forged = text.replace(
        &text.lines().nth(1).unwrap().to_string(),
        "eyJsaWNlbnNlZSI6IkFDTUUiLCJzZWF0cyI6OTk5OX0=",
    );
    let install = |body: String| {
        Request::put("/api/v1/license")
            .header(header::AUTHORIZATION, format!("Bearer {}", common::TOKEN))
            .body(Body::from(body))
            .unwrap()
    };
    let bad = common::send(p.admin(), install(forged)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(p.admin_call("GET", "/api/v1/license", None).await.json()["status"], "evaluation");
    let good = common::send(p.admin(), install(text)).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert_eq!(good.json()["status"], "valid");
    assert_eq!(good.json()["seats"], 50);
    assert_eq!(good.json()["licensee"], "ACME");
}

#[tokio::test]
async fn users_needing_2fa_show_their_enrollment_state() {
    let p = Portal::with_demo_directory();
    let users = p.admin_call("GET", "/api/v1/users", None).await.json();
    let alice = &users["items"][0];
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["state"], "none");
    assert_eq!(alice["locked"], false);
    assert_eq!(alice["last_sign_in"], serde_json::Value::Null);
}

#[tokio::test]
async fn reset_or_unlock_of_an_unknown_user_is_404() {
    let p = Portal::with_demo_directory();
    for path in ["/api/v1/users/reset", "/api/v1/users/unlock"] {
        let reply =
            p.admin_call("POST", path, Some(json!({"usernames": ["alice", "nobody"]}))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    let empty = p.admin_call("POST", "/api/v1/users/reset", Some(json!({"usernames": []}))).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn malformed_json_wrong_fields_and_oversized_bodies_get_json_errors() {
    let p = Portal::with_demo_directory();
    let send_raw = |body: String, content_type: &str| {
        Request::put("/api/v1/two-factor")
            .header(header::AUTHORIZATION, format!("Bearer {}", common::TOKEN))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let syntax = common::send(p.admin(), send_raw("{not json".into(), "application/json")).await;
    assert_eq!(syntax.status, StatusCode::BAD_REQUEST);
    assert!(syntax.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("invalid request body"));
    let fields =
        common::send(p.admin(), send_raw(r#"{"enable": true}"#.into(), "application/json")).await;
    assert_eq!(fields.status, StatusCode::BAD_REQUEST);
    let media =
        common::send(p.admin(), send_raw(r#"{"enabled": true}"#.into(), "text/plain")).await;
    assert_eq!(media.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = common::send(
        p.admin(),
        send_raw(
            format!(r#"{{"enabled": true, "pad": "{}"}}"#, "x".repeat(400_000)),
            "application/json",
        ),
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(huge.json()["error"]["message"].is_string());
    let unknown = p.admin_call("GET", "/api/v1/nope", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.json()["error"]["message"].is_string());
}

#[tokio::test]
async fn a_query_string_that_does_not_parse_is_a_json_400_with_a_code() {
    let p = Portal::with_demo_directory();
    for path in ["/api/v1/directory?offset=-1", "/api/v1/audit?before=x", "/api/v1/audit?limit=1e9"]
    {
        let reply = p.admin_call("GET", path, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.json()["error"]["code"], "invalid_query", "{path}: {}", reply.body);
    }
}

#[tokio::test]
async fn an_unknown_path_names_no_such_endpoint() {
    let p = Portal::with_demo_directory();
    let reply = p.admin_call("GET", "/api/v1/nothing", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json()["error"]["code"], "no_such_endpoint");
}
