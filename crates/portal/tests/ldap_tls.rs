//! The LDAP directory over TLS against a real slapd with a certificate from a CA made by the
//! test: StartTLS on `ldap://` and `ldaps://` both sign users in when `ca_file` names the CA,
//! and a certificate the portal does not trust is "directory unavailable", never a fallback to
//! plain LDAP.

mod common;
mod ldap_support;

use axum::http::StatusCode;
use common::{Browser, Portal};
use ldap_support::Slapd;
use twofold_portal::directory::config::parse_table;
use twofold_portal::directory::ConfiguredDirectory;

fn portal(slapd: &Slapd, transport: &str) -> Portal {
    let file = slapd.config_file_with(transport, "timeout_seconds = 3\n");
    let text = std::fs::read_to_string(&file).unwrap();
    let config = parse_table(&text, file.parent().unwrap()).expect("valid [directory]");
    let configured = ConfiguredDirectory::open(&config).expect("opens").expect("ldap");
    Portal::new().with_settings(|s| s.directory = Some(configured))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_with_the_directory_ca_signs_a_user_in() {
    let Some(slapd) = Slapd::start_tls() else { return };
    let transport = format!(
        "url = \"ldap://localhost:{}\"\nstarttls = true\nca_file = \"ca.pem\"\n",
        slapd.port
    );
    let p = portal(&slapd, &transport);
    let reply = Browser::new().sign_in(p.app(), "ann", "ann-password").await;
    assert_eq!(reply.location(), Some("/"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldaps_with_the_directory_ca_signs_a_user_in() {
    let Some(slapd) = Slapd::start_tls() else { return };
    let port = slapd.tls_port.unwrap();
    let p = portal(&slapd, &format!("url = \"ldaps://localhost:{port}\"\nca_file = \"ca.pem\"\n"));
    let reply = Browser::new().sign_in(p.app(), "ann", "ann-password").await;
    assert_eq!(reply.location(), Some("/"), "{}", reply.body);
    let reply = Browser::new().sign_in(p.app(), "ann", "wrong").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_untrusted_ca_is_directory_unavailable() {
    let Some(slapd) = Slapd::start_tls() else { return };
    // Another CA's file: the directory's certificate does not chain to it.
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(other.path())
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem"])
        .args(["-out", "other-ca.pem", "-days", "1", "-subj", "/CN=Someone else"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let ca = other.path().join("other-ca.pem");
    let port = slapd.tls_port.unwrap();
    for transport in [
        format!("url = \"ldaps://localhost:{port}\"\nca_file = \"{}\"\n", ca.display()),
        format!(
            "url = \"ldap://localhost:{}\"\nstarttls = true\nca_file = \"{}\"\n",
            slapd.port,
            ca.display()
        ),
    ] {
        let p = portal(&slapd, &transport);
        let reply = Browser::new().sign_in(p.app(), "ann", "ann-password").await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{transport}: {}", reply.body);
        assert!(reply.body.contains("Directory unavailable"), "{}", reply.body);
    }
}
