//! The license as the admin API and CLI report it: a build trusting the development vendor
//! key says so everywhere the status shows, and every refusal of a license install is JSON.

mod common;

use std::process::Command;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Portal, START};
use twofold_core::{issue_license, LicenseTerms};

fn install(body: impl Into<Body>) -> Request<Body> {
    Request::put("/api/v1/license")
        .header(header::AUTHORIZATION, format!("Bearer {}", common::TOKEN))
        .body(body.into())
        .unwrap()
}

fn dev_license(seats: u32) -> String {
    let key =
        twofold_portal::vendor::decode_signing_key(include_str!("../dev/vendor-dev.key")).unwrap();
    let terms =
        LicenseTerms { licensee: "ACME".into(), seats, expires: START + 86400, issued: START };
    issue_license(&key, &terms)
}

#[tokio::test]
async fn the_api_says_when_the_development_key_is_trusted() {
    // Tests build without TWOFOLD_VENDOR_PUBLIC_KEY, so the portal trusts the development key.
    let p = Portal::with_demo_directory();
    let license = p.admin_call("GET", "/api/v1/license", None).await.json();
    assert_eq!(license["development_key"], true, "{license}");
    assert_eq!(license["status"], "evaluation");
    let status = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(status["license"]["development_key"], true, "{status}");

    let installed = common::send(p.admin(), install(dev_license(100_000))).await;
    assert_eq!(installed.status, StatusCode::OK, "{}", installed.body);
    assert_eq!(installed.json()["status"], "valid");
    assert_eq!(installed.json()["development_key"], true, "{}", installed.body);
}

#[tokio::test]
async fn a_portal_trusting_another_key_reports_no_development_key_and_refuses_dev_licenses() {
    let mut p = Portal::with_demo_directory();
    let vendor = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    p.state.vendor_key = vendor.verifying_key();
    let license = p.admin_call("GET", "/api/v1/license", None).await.json();
    assert_eq!(license["development_key"], false, "{license}");
    let refused = common::send(p.admin(), install(dev_license(100_000))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.json()["error"]["message"].is_string(), "{}", refused.body);
}

#[tokio::test]
async fn every_refused_license_install_is_a_json_error() {
    let p = Portal::with_demo_directory();
    let forged = common::send(p.admin(), install("not a license")).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged.json()["error"]["message"].as_str().unwrap().contains("not valid"),
        "{}",
        forged.body
    );

    let binary = common::send(p.admin(), install(vec![0xff, 0xfe, 0x00, 0x80])).await;
    assert_eq!(binary.status, StatusCode::BAD_REQUEST, "{}", binary.body);
    assert!(binary.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("invalid request body"));

    let huge = common::send(p.admin(), install("x".repeat(400_000))).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", huge.body);
    assert!(huge.json()["error"]["message"].is_string(), "{}", huge.body);
    assert_eq!(p.admin_call("GET", "/api/v1/license", None).await.json()["status"], "evaluation");
}

#[test]
fn license_status_on_the_command_line_says_development_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
        .arg("--data")
        .arg(&data)
        .args(["license", "status"])
        .output()
        .expect("run twofold-portal");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["development_key"], true, "{json}");
    assert_eq!(json["status"], "evaluation");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("development key"), "{stderr}");
}
