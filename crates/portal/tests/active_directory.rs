//! The portal against a real Active Directory: a Samba AD domain controller provisioned once
//! for this test binary and shared by its tests, each with its own users (see
//! `ldap_support::samba`). The portal uses the `active-directory` preset over StartTLS with
//! the DC's CA: users sign in with their domain password by `sAMAccountName` or, configured, by
//! `userPrincipalName`; a wrong password, an unknown user and a disabled account get one answer
//! after one password check at the DC each; 2FA follows a group nested in the 2FA group (the
//! in-chain rule) and a group change at the next sign-in; a renamed user keeps their
//! enrollment (objectGUID); `twofold-portal directory test` prints what it found.

mod common;
mod ldap_support;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::ldap::{enroll, portal_with, rdp, run_directory_test, strip_csrf};
use common::{Browser, START};
use ldap_support::samba::{self, SambaDc, BASE, NESTED_GROUP, SERVICE_DN, TWOFA_GROUP};
use twofold_portal::directory::config::{parse_table, DirectoryConfig, Nesting};
use twofold_portal::directory::DIRECTORY_PASSWORD_MARK;
use twofold_store::{DirectoryRepo, EnrollmentRepo};

/// The DC's audit lines of simple binds naming `dn_part`, once there are `count` of them.
fn binds(dc: &SambaDc, dn_part: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let lines = dc.binds_of(dn_part);
        if lines.len() >= count || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_user_signs_in_by_sam_account_name_and_wrong_unknown_or_disabled_get_one_answer() {
    let Some(dc) = samba::shared() else { return };
    dc.add_user("ann", "Ann-Pass-1", "Ann", &[]);
    dc.add_user("dora", "Dora-Pass-1", "Dora", &[]);
    dc.samba_tool(&["user", "disable", "dora"]);
    let p = portal_with(&dc.config_file(""));

    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ann", "Ann-Pass-1").await;
    assert_eq!(reply.location(), Some("/"), "ann is in no 2FA group: {}", reply.body);
    let home = b.get(p.app(), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("ann"), "{}", home.body);
    let row = p.store.user("ann").unwrap().expect("a row for ann");
    assert_eq!(row.password_hash, DIRECTORY_PASSWORD_MARK, "the password stays in AD");

    let mut answers = Vec::new();
    for (user, password) in [
        ("ann", "Wrong-Pass-1"),
        ("nobody", "Ann-Pass-1"),
        // Disabled in AD: the right password must not let her in.
        ("dora", "Dora-Pass-1"),
        ("ann", ""),
    ] {
        let mut b = Browser::new();
        let reply = b.sign_in(p.app(), user, password).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{user}: {}", reply.body);
        let page = reply.body.replace(&format!("value=\"{user}\""), "value=\"…\"");
        answers.push(strip_csrf(&page));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "the refusals differ");

    // The same work: the DC checked one password for the wrong one (ann's entry) and one for
    // each name it does not let sign in (the decoy entry), and never tried the disabled
    // account's own entry.
    let wrong = binds(dc, "CN=ann,CN=Users", 2);
    assert_eq!(wrong.len(), 2, "ann's sign-in and the wrong password: {wrong:#?}");
    assert!(wrong.iter().any(|l| l.contains("NT_STATUS_WRONG_PASSWORD")), "{wrong:#?}");
    for name in ["nobody", "dora"] {
        let decoy = binds(dc, &format!("cn=twofold-no-such-user-{name},"), 1);
        assert_eq!(decoy.len(), 1, "{name}: {decoy:#?}");
        assert!(decoy[0].contains("/TLS]"), "over TLS: {decoy:#?}");
    }
    assert!(dc.binds_of("CN=dora,CN=Users").is_empty(), "a disabled entry is not even tried");

    // The RDP gate: ann's password lets her in, the refusals are one answer.
    assert_eq!(rdp(&p, "ann", "Ann-Pass-1").await["allowed"], true);
    let wrong = rdp(&p, "ann", "Wrong-Pass-1").await;
    assert_eq!(wrong["allowed"], false, "{wrong}");
    assert_eq!(wrong, rdp(&p, "nobody", "Ann-Pass-1").await);
    assert_eq!(wrong, rdp(&p, "dora", "Dora-Pass-1").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_user_signs_in_by_user_principal_name_when_configured() {
    let Some(dc) = samba::shared() else { return };
    dc.add_user("ursula", "Ursula-Pass-1", "Ursula", &[]);
    dc.add_user("uma", "Uma-Pass-1", "Uma", &[NESTED_GROUP]);
    let p = portal_with(&dc.config_file("name_attribute = \"userPrincipalName\"\n"));

    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ursula@example.test", "Ursula-Pass-1").await;
    assert_eq!(reply.location(), Some("/"), "{}", reply.body);
    assert!(p.store.user("ursula@example.test").unwrap().is_some(), "known by her UPN");
    for (user, password) in [("ursula@example.test", "Wrong-Pass-1"), ("ursula", "Ursula-Pass-1")] {
        let mut b = Browser::new();
        let reply = b.sign_in(p.app(), user, password).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{user}: {}", reply.body);
    }
    // 2FA through the nested group works by UPN too.
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "uma@example.test", "Uma-Pass-1").await;
    assert_eq!(reply.location(), Some("/activate"), "{}", reply.body);
    assert_eq!(rdp(&p, "uma@example.test", "Uma-Pass-1").await["allowed"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_a_group_nested_in_the_2fa_group_must_enroll_found_by_the_in_chain_rule() {
    let Some(dc) = samba::shared() else { return };
    // cat is in admins only; admins is a member of twofa.
    dc.add_user("cat", "Cat-Pass-1", "Cat", &[NESTED_GROUP]);
    let file = dc.config_file("");
    let text = std::fs::read_to_string(&file).unwrap();
    let DirectoryConfig::Ldap(settings) = parse_table(&text, file.parent().unwrap()).unwrap()
    else {
        panic!("an LDAP directory")
    };
    assert_eq!(settings.nesting, Nesting::InChain, "the AD preset asks AD to follow nesting");
    let p = portal_with(&file);
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "cat", "Cat-Pass-1").await;
    assert_eq!(reply.location(), Some("/activate"), "{}", reply.body);
    let answer = rdp(&p, "cat", "Cat-Pass-1").await;
    assert_eq!(answer["allowed"], false, "{answer}");
    assert!(answer["reason"].as_str().unwrap().contains("two-factor"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_added_to_the_2fa_group_with_samba_tool_needs_a_code_at_the_next_sign_in() {
    let Some(dc) = samba::shared() else { return };
    dc.add_user("ben", "Ben-Pass-1", "Ben", &[]);
    let p = portal_with(&dc.config_file(""));
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "ben", "Ben-Pass-1").await.location(), Some("/"));
    dc.samba_tool(&["group", "addmembers", TWOFA_GROUP, "ben"]);
    // A sign-in always asks the directory (the cache serves open sessions only).
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ben", "Ben-Pass-1").await;
    assert_eq!(reply.location(), Some("/activate"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_renamed_in_ad_keeps_the_enrollment_and_still_needs_2fa() {
    let Some(dc) = samba::shared() else { return };
    dc.add_user("carl", "Carl-Pass-1", "Carl", &[NESTED_GROUP]);
    let p = portal_with(&dc.config_file(""));
    enroll(&p, "carl", "Carl-Pass-1").await;

    // A new logon name, UPN and CN; AD moves the group's member value itself.
    dc.samba_tool(&[
        "user",
        "rename",
        "carl",
        "--samaccountname=karl",
        "--upn=karl@example.test",
        "--force-new-cn=karl",
    ]);

    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "karl", "Carl-Pass-1").await;
    assert_eq!(reply.location(), Some("/verify"), "the same phone, no new QR: {}", reply.body);
    p.clock.advance(30);
    let code = p.code_for("karl", START + 30);
    b.get(p.app(), "/verify").await;
    let ok = b.post(p.app(), "/verify", &[("code", &code)]).await;
    assert_eq!(ok.location(), Some("/"), "{}", ok.body);
    assert!(p.store.user("carl").unwrap().is_none(), "the row was renamed, not copied");
    let row = p.store.enrollment("karl").unwrap().expect("the enrollment followed the id");
    assert_eq!(row.state, twofold_core::EnrollmentState::Active);
    assert_eq!(rdp(&p, "karl", "Carl-Pass-1").await["allowed"], false);
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "carl", "Carl-Pass-1").await.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn directory_test_prints_the_dc_the_user_its_object_guid_and_nested_groups() {
    let Some(dc) = samba::shared() else { return };
    dc.add_user("dave", "Dave-Pass-1", "Dave", &[NESTED_GROUP]);
    let guid = dc.object_guid("dave");

    let (ok, text) = run_directory_test(&dc.config_file(""), &["--user", "dave"]);
    assert!(ok, "{text}");
    let url = format!("ldap://127.0.0.1:{}", dc.ldap_port);
    assert!(text.contains(&format!("connect:    ok ({url}, StartTLS)")), "{text}");
    assert!(text.contains(&format!("bind:       ok as {SERVICE_DN}")), "{text}");
    assert!(text.contains("user:       dave (Dave Tester)"), "{text}");
    assert!(text.contains(&format!("dn:       CN=dave,CN=Users,{BASE}")), "{text}");
    // The binary objectGUID shown as AD shows it (samba-tool's spelling).
    assert!(text.contains(&format!("id:       {guid} (objectGUID)")), "{guid}: {text}");
    assert!(text.contains("groups:     admins, twofa (member, nested (in-chain rule))"), "{text}");

    // ldaps:// works the same way.
    let ldaps = format!(
        "url = \"ldaps://127.0.0.1:{}\"\nca_file = \"{}\"\n",
        dc.ldaps_port,
        dc.ca_file().display()
    );
    let (ok, text) = run_directory_test(&dc.config_file_with(&ldaps, ""), &["--user", "dave"]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("(ldaps://127.0.0.1:{}, TLS)", dc.ldaps_port)), "{text}");

    // Plain LDAP (allowed by the config on loopback) is refused by AD's default, and the
    // failure is named.
    let plain = format!("url = \"{url}\"\nstarttls = false\n");
    let (ok, text) = run_directory_test(&dc.config_file_with(&plain, ""), &["--user", "dave"]);
    assert!(!ok, "{text}");
    assert!(text.contains("bind:       FAILED:"), "{text}");
    assert!(text.contains("strongerAuthRequired (8)"), "{text}");
}
