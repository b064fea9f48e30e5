//! The portal over TLS as real clients speak it: `curl` over HTTP/2 and HTTP/1.1 (ALPN picks;
//! the server must serve what it advertises), for the pages and the admin API, with a CA and
//! certificate made by `openssl` for the test.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use common::{Portal, TOKEN};
use twofold_portal::server::{self, Limits};
use twofold_portal::{admin_app, tls};

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A throwaway CA and a certificate for localhost / 127.0.0.1 signed by it.
fn make_certificates(dir: &Path) {
    let p = |name: &str| dir.join(name);
    std::fs::write(p("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    run(Command::new("openssl")
        .args(["req", "-x509"])
        .args(ec)
        .args(["-days", "2"])
        .args(["-subj", "/CN=Twofold test CA", "-keyout"])
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .arg("req")
        .args(ec)
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")));
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-in"])
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(p("san.ext"))
        .arg("-out")
        .arg(p("server.pem")));
}

fn tools_present() -> bool {
    let found =
        ["curl", "openssl"].iter().all(|t| Command::new(t).arg("--version").output().is_ok());
    if !found && std::env::var_os("TWOFOLD_E2E_REQUIRE_TOOLS").is_some() {
        panic!("curl and openssl are required (scripts/install-deps.sh installs them)");
    }
    found
}

async fn start(router: axum::Router, dir: &Path) -> SocketAddr {
    let config = tls::load_config(&dir.join("server.pem"), &dir.join("server.key")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(
        listener,
        Some(config),
        router,
        Limits::default(),
        std::future::pending(),
    ));
    addr
}

/// `curl` with the test CA; returns (HTTP version, status, body).
async fn curl(dir: &Path, protocol: &str, url: String, extra: &[&str]) -> (String, String, String) {
    let mut cmd = tokio::process::Command::new("curl");
    cmd.args(["-sS", protocol, "--cacert"])
        .arg(dir.join("ca.pem"))
        .args(["-w", "\n%{http_version} %{http_code}"])
        .args(extra)
        .arg(url);
    let out = cmd.output().await.unwrap();
    assert!(out.status.success(), "curl {protocol}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, tail) = text.rsplit_once('\n').unwrap();
    let (version, status) = tail.split_once(' ').unwrap();
    (version.to_string(), status.to_string(), body.to_string())
}

#[tokio::test]
async fn curl_gets_the_pages_over_tls_with_http2_and_http1() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let p = Portal::with_demo_directory();
    let addr = start(p.app(), dir.path()).await;
    let url = format!("https://localhost:{}/login", addr.port());
    let resolve = format!("localhost:{}:127.0.0.1", addr.port());
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let (got, status, body) =
            curl(dir.path(), flag, url.clone(), &["--resolve", &resolve]).await;
        assert_eq!((got.as_str(), status.as_str()), (version, "200"), "{flag}");
        assert!(body.contains(r#"autocomplete="current-password""#), "{flag}: {body}");
    }
}

#[tokio::test]
async fn curl_reaches_the_admin_api_over_tls_with_http2_and_http1() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let p = Portal::with_demo_directory();
    let addr = start(admin_app(p.state.clone()), dir.path()).await;
    let url = format!("https://127.0.0.1:{}/api/v1/status", addr.port());
    let auth = format!("Authorization: Bearer {TOKEN}");
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let (got, status, body) = curl(dir.path(), flag, url.clone(), &["-H", &auth]).await;
        assert_eq!((got.as_str(), status.as_str()), (version, "200"), "{flag}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["two_factor_enabled"], true, "{body}");
    }
}
