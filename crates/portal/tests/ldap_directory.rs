//! The portal against a real OpenLDAP slapd started by each test (see `ldap_support`):
//! directory users sign in with their directory password, unknown user and wrong password get
//! one answer, 2FA follows the directory's (nested) groups at the next sign-in, a stopped
//! directory fails closed with "directory unavailable" (and the admin status says it does not
//! answer) and recovers when it returns, principals follow the directory's stable id (a
//! renamed user keeps their 2FA and enrollment, a renamed group stays enabled, a deleted one is
//! listed as no longer in the directory), and `twofold-portal directory test` says what it
//! found.

mod common;
mod ldap_support;

use std::sync::Arc;

use axum::http::{header, StatusCode};
use common::ldap::{enroll, rdp, run_directory_test, strip_csrf};
use common::{Browser, Portal, START};
use ldap_support::Slapd;
use twofold_portal::directory::DIRECTORY_PASSWORD_MARK;
use twofold_store::{DirectoryRepo, EnrollmentRepo};

/// A portal on `slapd` with the group `twofa` enabled for 2FA and the switch on.
fn portal_on(slapd: &Slapd, extra: &str) -> Portal {
    common::ldap::portal_with(&slapd.config_file(extra))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_user_signs_in_with_the_directory_password() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "");
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ann", "ann-password").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), Some("/"), "ann is in no 2FA group: password only");
    let home = b.get(p.app(), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("ann"), "{}", home.body);
    // The portal keeps a row for her sessions, never her password.
    let row = p.store.user("ann").unwrap().expect("a row for ann");
    assert_eq!(row.password_hash, DIRECTORY_PASSWORD_MARK);
    // And the RDP gate lets her in with the same password.
    let answer = rdp(&p, "ann", "ann-password").await;
    assert_eq!(answer["allowed"], true, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_wrong_password_and_empty_password_get_the_same_answer() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "");
    let mut answers = Vec::new();
    for (user, password) in
        [("ann", "wrong-password"), ("nobody", "ann-password"), ("ann", ""), ("*", "x")]
    {
        let mut b = Browser::new();
        let reply = b.sign_in(p.app(), user, password).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{user}: {}", reply.body);
        // The page echoes the name typed; everything else must be the same.
        let page = reply.body.replace(&format!("value=\"{user}\""), "value=\"…\"");
        let page = strip_csrf(&page);
        answers.push(page);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "the refusals differ");
    assert!(answers[0].contains("Wrong user name or password") || answers[0].contains("password"));
    let answer = rdp(&p, "ann", "wrong-password").await;
    let unknown = rdp(&p, "nobody", "ann-password").await;
    assert_eq!(answer, unknown);
    assert_eq!(answer["allowed"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_a_nested_2fa_group_is_asked_to_enroll_and_refused_by_the_rdp_gate() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "");
    let mut b = Browser::new();
    // cat is in admins, and admins is a member of twofa.
    let reply = b.sign_in(p.app(), "cat", "cat-password").await;
    assert_eq!(reply.location(), Some("/activate"), "{}", reply.body);
    let answer = rdp(&p, "cat", "cat-password").await;
    assert_eq!(answer["allowed"], false, "{answer}");
    assert!(answer["reason"].as_str().unwrap().contains("two-factor"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_added_to_a_2fa_group_in_ldap_needs_a_code_at_the_next_sign_in() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "");
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ben", "ben-password").await;
    assert_eq!(reply.location(), Some("/"), "not yet in twofa");
    slapd.modify(
        "dn: cn=twofa,ou=groups,dc=example,dc=com\nchangetype: modify\nadd: member\n\
         member: uid=ben,ou=people,dc=example,dc=com\n",
    );
    // No sync, no waiting for the cache: the next sign-in asks the directory.
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ben", "ben-password").await;
    assert_eq!(reply.location(), Some("/activate"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_directory_fails_closed_with_503_and_recovers_when_it_returns() {
    let Some(mut slapd) = Slapd::start() else { return };
    // No cache: the open session's guard asks the directory on every request.
    let p = portal_on(&slapd, "cache_seconds = 0\ntimeout_seconds = 2\n");
    let mut signed_in = Browser::new();
    assert_eq!(signed_in.sign_in(p.app(), "ann", "ann-password").await.location(), Some("/"));
    let status = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(status["directory"]["kind"], "ldap", "{status}");
    assert_eq!(status["directory"]["url"], slapd.url(), "{status}");
    assert_eq!(status["directory"]["answering"], true, "{status}");

    slapd.stop();
    // The Admin mode's status still answers, and says the directory does not.
    let status = p.admin_call("GET", "/api/v1/status", None).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    let status = status.json();
    assert_eq!(status["directory"]["answering"], false, "{status}");
    assert!(status["directory"]["problem"].as_str().unwrap().contains("connecting"), "{status}");
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "ann", "ann-password").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.body);
    assert!(reply.body.contains("Directory unavailable"), "{}", reply.body);
    assert!(reply.headers.get(header::RETRY_AFTER).is_some());
    let answer = rdp(&p, "ann", "ann-password").await;
    assert_eq!(answer["allowed"], false, "{answer}");
    assert!(answer["reason"].as_str().unwrap().contains("directory unavailable"), "{answer}");
    // The open session is not let through on a guess either.
    let home = signed_in.get(p.app(), "/").await;
    assert_eq!(home.status, StatusCode::SERVICE_UNAVAILABLE, "{}", home.body);
    assert!(home.body.contains("Directory unavailable"), "{}", home.body);

    slapd.run();
    let status = p.admin_call("GET", "/api/v1/status", None).await.json();
    assert_eq!(status["directory"]["answering"], true, "back: {status}");
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "ann", "ann-password").await.location(), Some("/"));
    assert_eq!(signed_in.get(p.app(), "/").await.status, StatusCode::OK);
    assert_eq!(rdp(&p, "ann", "ann-password").await["allowed"], true);
    // Refusals while it was down did not count against ann's lock or the address.
    let _ = Arc::clone(&p.store);
}

fn principal_named<'a>(list: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    list["items"].as_array().unwrap().iter().find(|p| p["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_renamed_in_ldap_still_needs_2fa_and_keeps_the_enrollment_under_the_new_name() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "");
    // cat is in admins, which is in the 2FA group twofa; she enrolls her phone.
    enroll(&p, "cat", "cat-password").await;

    // The directory renames her (the group's member value follows, as OpenLDAP's refint
    // overlay or Active Directory does it).
    slapd.rename("uid=cat,ou=people,dc=example,dc=com", "uid=kit");
    slapd.modify(
        "dn: cn=admins,ou=groups,dc=example,dc=com\nchangetype: modify\nreplace: member\n\
         member: uid=kit,ou=people,dc=example,dc=com\n",
    );

    // Signing in under the new name asks for a code from the phone she already has: no new
    // QR code, no way around the second factor.
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "kit", "cat-password").await;
    assert_eq!(reply.location(), Some("/verify"), "{}", reply.body);
    p.clock.advance(30);
    let code = p.code_for("kit", START + 30);
    b.get(p.app(), "/verify").await;
    let ok = b.post(p.app(), "/verify", &[("code", &code)]).await;
    assert_eq!(ok.location(), Some("/"), "{}", ok.body);
    assert!(p.store.user("cat").unwrap().is_none(), "the row was renamed, not copied");
    let row = p.store.enrollment("kit").unwrap().expect("the enrollment followed the id");
    assert_eq!(row.state, twofold_core::EnrollmentState::Active);
    // The RDP gate refuses her password alone under the new name too.
    let answer = rdp(&p, "kit", "cat-password").await;
    assert_eq!(answer["allowed"], false, "{answer}");
    // The old name is nobody now.
    let mut b = Browser::new();
    assert_eq!(b.sign_in(p.app(), "cat", "cat-password").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2fa_group_renamed_in_ldap_still_requires_2fa_of_its_members() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "");
    // Admin mode lists the principals: twofa is found in the directory and linked to its id.
    let list = p.admin_call("GET", "/api/v1/principals", None).await.json();
    let twofa = principal_named(&list, "twofa").expect("listed");
    assert_eq!(twofa["in_directory"], "yes", "{list}");
    assert!(twofa["directory_id"].as_str().is_some_and(|id| id.len() == 36), "{list}");

    slapd.rename("cn=twofa,ou=groups,dc=example,dc=com", "cn=mfa");

    // cat (in admins, in the renamed group) is still asked to enroll.
    let mut b = Browser::new();
    let reply = b.sign_in(p.app(), "cat", "cat-password").await;
    assert_eq!(reply.location(), Some("/activate"), "{}", reply.body);
    assert_eq!(rdp(&p, "cat", "cat-password").await["allowed"], false);
    // And Admin mode shows the group under its new name, still in the directory.
    let list = p.admin_call("GET", "/api/v1/principals", None).await.json();
    assert!(principal_named(&list, "twofa").is_none(), "{list}");
    let mfa = principal_named(&list, "mfa").expect("renamed");
    assert_eq!(mfa["in_directory"], "yes", "{list}");
    assert_eq!(mfa["directory_id"], twofa["directory_id"], "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_and_group_deleted_from_ldap_are_listed_as_no_longer_in_the_directory() {
    let Some(mut slapd) = Slapd::start() else { return };
    let p = portal_on(&slapd, "timeout_seconds = 2\n");
    // The admin adds ann through the picker's API: her row is made under her entryUUID.
    let added = p
        .admin_call(
            "POST",
            "/api/v1/principals",
            Some(serde_json::json!({ "principals": [{ "kind": "user", "name": "ann" }] })),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let list = added.json();
    assert_eq!(principal_named(&list, "ann").unwrap()["in_directory"], "yes", "{list}");

    slapd.modify("dn: uid=ann,ou=people,dc=example,dc=com\nchangetype: delete\n");
    slapd.modify("dn: cn=twofa,ou=groups,dc=example,dc=com\nchangetype: delete\n");
    let list = p.admin_call("GET", "/api/v1/principals", None).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "still listed: {list}");
    assert_eq!(principal_named(&list, "ann").unwrap()["in_directory"], "no", "{list}");
    assert_eq!(principal_named(&list, "twofa").unwrap()["in_directory"], "no", "{list}");

    // The directory down is "unknown", not "gone", and the list still answers.
    slapd.stop();
    let reply = p.admin_call("GET", "/api/v1/principals", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let list = reply.json();
    assert_eq!(principal_named(&list, "ann").unwrap()["in_directory"], "unknown", "{list}");
    slapd.run();

    // The admin removes the gone ones.
    let left = p.admin_call("DELETE", "/api/v1/principals/user/ann", None).await.json();
    assert!(principal_named(&left, "ann").is_none(), "{left}");
}

#[test]
fn directory_test_prints_the_connection_the_bind_the_user_and_their_nested_groups() {
    let Some(slapd) = Slapd::start() else { return };
    let file = slapd.config_file("");
    let out = run_directory_test(&file, &["--user", "cat"]);
    assert!(out.0, "exit status: {}", out.1);
    let text = out.1;
    assert!(text.contains(&format!("connect:    ok ({}", slapd.url())), "{text}");
    assert!(text.contains("bind:       ok as cn=twofold,ou=services,dc=example,dc=com"), "{text}");
    assert!(text.contains("user:       cat (Cat Cooper)"), "{text}");
    assert!(text.contains("dn:       uid=cat,ou=people,dc=example,dc=com"), "{text}");
    assert!(text.contains("(entryUUID)"), "{text}");
    assert!(text.contains("groups:     admins, twofa (member, nested"), "{text}");

    let (ok, text) = run_directory_test(&file, &["--user", "nobody"]);
    assert!(!ok);
    assert!(text.contains("user:       FAILED: no single entry"), "{text}");

    // A wrong service password is named as what failed.
    std::fs::write(slapd.dir.path().join("ldap.password"), "not-it\n").unwrap();
    let (ok, text) = run_directory_test(&file, &[]);
    assert!(!ok);
    assert!(text.contains("bind:       FAILED:") && text.contains("invalidCredentials"), "{text}");
    assert!(!text.contains("not-it"), "the password is never printed: {text}");

    drop(slapd);
}

#[test]
fn directory_test_names_an_unreachable_directory() {
    let Some(mut slapd) = Slapd::start() else { return };
    let file = slapd.config_file("timeout_seconds = 2\n");
    slapd.stop();
    let (ok, text) = run_directory_test(&file, &[]);
    assert!(!ok);
    assert!(text.contains("connect:    FAILED: the directory is unavailable"), "{text}");
}
