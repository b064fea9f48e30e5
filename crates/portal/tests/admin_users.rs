//! Creating and deleting directory users through the admin API (`POST /api/v1/users`,
//! `DELETE /api/v1/users/{name}`) and the CLI (`user add`, `user delete`): what a delete takes
//! with it (enrollment, sessions, principal entry), the audit, and bad input.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use common::{Browser, Portal};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_twofold-portal");

#[tokio::test]
async fn a_user_created_through_the_api_can_sign_in_with_its_password() {
    let p = Portal::with_demo_directory();
    let made = p
        .admin_call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "dave", "password": "dave-pw"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["username"], "dave");
    // dave is no principal: the password alone signs him in.
    let reply = Browser::new().sign_in(p.app(), "dave", "dave-pw").await;
    assert_eq!(reply.location(), Some("/"), "{}", reply.body);
    let audit = p.admin_call("GET", "/api/v1/audit?user=dave&limit=5", None).await.json();
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"user.add"), "{actions:?}");
    // The password is in no audit field.
    assert!(!audit.to_string().contains("dave-pw"), "{audit}");
}

#[tokio::test]
async fn creating_an_existing_user_is_409_and_bad_bodies_are_400() {
    let p = Portal::with_demo_directory();
    let again = p
        .admin_call("POST", "/api/v1/users", Some(json!({"username": "ALICE", "password": "x"})))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    for body in [
        json!({"username": "eve", "password": ""}),
        json!({"username": "", "password": "pw"}),
        json!({"username": "eve\nx", "password": "pw"}),
        json!({"username": "eve"}),
        json!({"username": "eve", "password": "pw", "admin": true}),
    ] {
        let reply = p.admin_call("POST", "/api/v1/users", Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.body);
        assert!(!reply.json()["error"].is_null(), "{}", reply.body);
    }
    let status = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(status["counts"]["users"], 3, "nothing was added");
}

#[tokio::test]
async fn deleting_an_enrolled_principal_takes_its_enrollment_sessions_and_principal_entry() {
    let p = Portal::with_demo_directory();
    p.enroll("alice", "alice-pw").await;
    // A second, half-finished sign-in leaves a session at the code step.
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "alice", "alice-pw").await.location(), Some("/verify"));

    let reply = p.admin_call("DELETE", "/api/v1/users/Alice", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let deleted = &reply.json()["deleted"];
    assert_eq!(deleted["username"], "alice");
    assert_eq!(deleted["enrollment"], true);
    assert_eq!(deleted["principal"], true);
    assert!(deleted["sessions"].as_u64().unwrap() >= 1, "{deleted}");

    let principals = p.admin_call("GET", "/api/v1/principals", None).await.json();
    let names: Vec<&str> =
        principals["items"].as_array().unwrap().iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, vec!["finance"]);
    let covered = p.admin_call("GET", "/api/v1/users", None).await.json();
    assert!(!covered.to_string().contains("alice"), "{covered}");
    // The session that was waiting for a code is gone with the user.
    let verify = b.get(p.app(), "/verify").await;
    assert_ne!(verify.status, StatusCode::OK, "{}", verify.body);
    let audit = p.admin_call("GET", "/api/v1/audit?user=alice&limit=1", None).await.json();
    assert_eq!(audit["items"][0]["action"], "user.delete");
    assert!(audit["items"][0]["detail"].as_str().unwrap().contains("enrollment"));
}

#[tokio::test]
async fn deleting_an_unknown_user_is_404_and_changes_nothing() {
    let p = Portal::with_demo_directory();
    let reply = p.admin_call("DELETE", "/api/v1/users/nobody", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert!(!reply.json()["error"].is_null(), "{}", reply.body);
    let status = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(status["counts"]["users"], 3);
}

#[tokio::test]
async fn the_existing_user_routes_still_answer_beside_the_new_ones() {
    let p = Portal::with_demo_directory();
    assert_eq!(p.admin_call("GET", "/api/v1/users", None).await.status, StatusCode::OK);
    let reset =
        p.admin_call("POST", "/api/v1/users/reset", Some(json!({"usernames": ["alice"]}))).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
}

fn cli(data: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_cli_adds_and_deletes_a_principal_user_and_says_what_went() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    ok(cli(&data, &["user", "add", "erin", "--password-stdin"], "erin-pw\n"));
    ok(cli(&data, &["principals", "add", "user:erin"], ""));
    let said = ok(cli(&data, &["user", "delete", "erin"], ""));
    assert!(said.contains("deleted user erin") && said.contains("principal user:erin"), "{said}");
    assert_eq!(ok(cli(&data, &["principals", "list"], "")).trim(), "");
    assert_eq!(ok(cli(&data, &["user", "list"], "")).trim(), "");
    let audit = ok(cli(&data, &["audit", "--user", "erin"], ""));
    assert!(audit.lines().next().unwrap().contains("user.delete"), "{audit}");

    let missing = cli(&data, &["user", "delete", "erin"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("erin"));
}
