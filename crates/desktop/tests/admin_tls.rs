//! A portal serving its admin API over TLS with a certificate this machine does not trust
//! (self-signed, made with `openssl` for the test) is reported as a TLS failure, not as an
//! unreachable server or a wrong token.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use twofold_desktop::{AdminClient, AdminError};
use twofold_e2e::process::{free_ports, ChildGuard};
use twofold_e2e::{portal_binary, tools_present};

#[tokio::test]
async fn an_untrusted_certificate_is_reported_as_a_tls_error() {
    let test = "an_untrusted_certificate_is_reported_as_a_tls_error";
    if !tools_present(test, &["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(made.success(), "openssl could not make a certificate");

    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let ports = free_ports(2);
    let mut cmd = Command::new(portal_binary());
    cmd.arg("serve")
        .arg("--data")
        .arg(&data)
        .args([
            "--listen",
            &format!("127.0.0.1:{}", ports[0]),
            "--admin-listen",
            &format!("127.0.0.1:{}", ports[1]),
        ])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut portal = ChildGuard::spawn("twofold-portal serve (TLS)", &mut cmd);

    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", ports[1])).is_err() {
        assert!(portal.exited().is_none(), "the TLS portal exited at start-up");
        assert!(Instant::now() < deadline, "the TLS portal did not listen in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token =
        std::fs::read_to_string(data.join("admin.token")).expect("admin token").trim().to_string();
    let client =
        AdminClient::new(&format!("https://127.0.0.1:{}", ports[1]), &token).expect("client");
    let err = client.status().await.expect_err("untrusted certificate");
    assert!(matches!(err, AdminError::Tls { .. }), "{err:?}");
    portal.stop();
}
