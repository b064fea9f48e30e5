//! The portal's side of the directory tests (LDAP and Active Directory): a portal on a
//! directory config, the RDP gate's answer, a page without its CSRF token, an enrollment, and
//! `twofold-portal directory test`. Kept apart from `ldap_support`, which the e2e crate's
//! tests include too and which so must not name the portal's test harness.

use std::path::Path;
use std::process::Command;

/// A portal on the directory of `config_file` with the directory's group `twofa` enabled for
/// 2FA (by name, as an admin picks it) and the switch on.
pub fn portal_with(config_file: &Path) -> crate::common::Portal {
    use crate::common::{Portal, START};
    use twofold_core::Principal;
    use twofold_portal::directory::config::{parse_table, DirectoryConfig};
    use twofold_portal::directory::ConfiguredDirectory;
    use twofold_store::{DirectoryRepo, SettingsRepo};

    let text = std::fs::read_to_string(config_file).unwrap();
    let config = parse_table(&text, config_file.parent().unwrap()).expect("valid [directory]");
    assert!(matches!(config, DirectoryConfig::Ldap(_)));
    let configured = ConfiguredDirectory::open(&config).expect("opens").expect("ldap");
    let p = Portal::new().with_settings(|s| s.directory = Some(configured));
    p.store.add_group("twofa", "test", START as i64).unwrap();
    twofold_portal::ops::add_principals(
        p.store.as_ref(),
        &p.state.vendor_key,
        &[Principal::Group("twofa".into())],
        "test",
        START,
    )
    .unwrap();
    p.store.set_two_factor_enabled(true, "test", START as i64).unwrap();
    p
}

/// The RDP gate's answer for `user` and `password`.
pub async fn rdp(p: &crate::common::Portal, user: &str, password: &str) -> serde_json::Value {
    use axum::body::Body;
    use axum::http::{header, Request};
    let body = serde_json::json!({ "username": user, "password": password }).to_string();
    let req = Request::post("/api/rdp/authorize")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", crate::common::GATEWAY_TOKEN))
        .body(Body::from(body))
        .unwrap();
    crate::common::send(p.app(), req).await.json()
}

/// The CSRF token differs per visit; nothing else should.
pub fn strip_csrf(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(i) = rest.find("name=\"csrf\" value=\"") {
        let start = i + "name=\"csrf\" value=\"".len();
        out.push_str(&rest[..start]);
        let end = rest[start..].find('"').map(|e| start + e).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Signs `user` in, shown the activation page, and activates the key with a correct code.
pub async fn enroll(p: &crate::common::Portal, user: &str, password: &str) {
    use crate::common::{Browser, START};
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), user, password).await.location(), Some("/activate"));
    b.get(p.app(), "/activate").await;
    let code = p.code_for(user, START);
    let reply = b.post(p.app(), "/activate", &[("code", &code)]).await;
    assert_eq!(reply.location(), Some("/"), "{}", reply.body);
}

/// Runs `twofold-portal directory test --config CONFIG EXTRA…`: (success, stdout + stderr).
pub fn run_directory_test(config: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
        .args(["directory", "test", "--config"])
        .arg(config)
        .args(extra)
        .env_remove("TWOFOLD_CONFIG")
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}
