//! The admin client against a real `twofold-portal serve` on loopback (the e2e harness starts
//! one per test on a fresh data directory): every call of the Admin mode, and each kind of
//! failure the Connection screen tells apart.

use twofold_desktop::admin::model::{
    AuditQuery, EnrollmentState, LicenseStatus, Principal, PrincipalKind,
};
use twofold_desktop::{AdminClient, AdminError};
use twofold_e2e::signin_steps::{enroll, lock_out, password_sign_in_leads_to};
use twofold_e2e::Portal;

fn client(portal: &Portal) -> AdminClient {
    AdminClient::new(&portal.admin_base, &portal.admin_token)
        .expect("client")
        .with_actor(Some("tester".into()))
}

fn add_user(portal: &Portal, name: &str) {
    portal.cli(&["user", "add", name, "--password-stdin"], Some(&format!("{name}-pw")));
}

#[tokio::test]
async fn status_of_a_fresh_portal_is_off_in_evaluation_with_empty_counts() {
    let portal = Portal::start().await;
    let status = client(&portal).status().await.expect("status");
    assert!(!status.two_factor_enabled);
    assert!(
        matches!(status.license.status, LicenseStatus::Evaluation { seats_used: 0, .. }),
        "{:?}",
        status.license
    );
    assert_eq!(status.counts.users, 0);
}

#[tokio::test]
async fn turning_two_factor_on_and_off_is_what_the_cli_and_the_next_status_see() {
    let portal = Portal::start().await;
    let admin = client(&portal);
    assert!(admin.set_two_factor(true).await.expect("on").two_factor_enabled);
    assert!(portal.cli(&["2fa", "status"], None).to_lowercase().contains("on"));
    assert!(admin.status().await.expect("status").two_factor_enabled);
    assert!(!admin.set_two_factor(false).await.expect("off").two_factor_enabled);
    assert!(!admin.status().await.expect("status").two_factor_enabled);
}

#[tokio::test]
async fn directory_search_returns_pages_of_users_and_groups_with_the_total() {
    let portal = Portal::start().await;
    for i in 0..12 {
        add_user(&portal, &format!("sales{i:02}"));
    }
    add_user(&portal, "zed");
    portal.cli(&["group", "add", "sales-team"], None);
    portal.cli(&["group", "add-member", "sales-team", "sales00"], None);
    let admin = client(&portal);

    let first = admin.search_directory("sales", 0, 5).await.expect("page 1");
    assert_eq!(first.total, 13, "12 users and one group match");
    assert_eq!(first.items.len(), 5);
    assert_eq!(first.items[0].kind, PrincipalKind::Group, "groups come first");
    assert_eq!(first.items[0].members, Some(1));
    let last = admin.search_directory("sales", 10, 5).await.expect("page 3");
    assert_eq!(last.items.len(), 3);
    let none = admin.search_directory("nobody-like-this", 0, 50).await.expect("no match");
    assert_eq!((none.total, none.items.len()), (0, 0));
}

#[tokio::test]
async fn principals_added_together_are_listed_with_member_counts_and_removed_again() {
    let portal = Portal::start().await;
    add_user(&portal, "alice");
    add_user(&portal, "bob");
    portal.cli(&["group", "add", "finance"], None);
    portal.cli(&["group", "add-member", "finance", "bob"], None);
    let admin = client(&portal);

    let listed = admin
        .add_principals(&[Principal::User("alice".into()), Principal::Group("finance".into())])
        .await
        .expect("add");
    assert_eq!(listed.len(), 2);
    let finance = listed.iter().find(|p| p.name == "finance").expect("finance listed");
    assert_eq!((finance.kind, finance.members), (PrincipalKind::Group, Some(1)));
    assert!(portal.cli(&["principals", "list"], None).contains("group:finance"));

    let left =
        admin.remove_principals(&[Principal::Group("finance".into())]).await.expect("remove");
    assert_eq!(left.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["alice"]);
    assert_eq!(admin.principals().await.expect("list").len(), 1);
}

#[tokio::test]
async fn a_refused_change_carries_the_portals_message_and_changes_nothing() {
    let portal = Portal::start().await;
    let admin = client(&portal);
    let err =
        admin.add_principals(&[Principal::User("ghost".into())]).await.expect_err("unknown user");
    match err {
        AdminError::Server { status, code, params, message } => {
            assert_eq!(status, 404, "{message}");
            assert!(message.contains("ghost"), "{message}");
            assert_eq!(code, "user_not_found", "{message}");
            assert_eq!(params.get("user").map(String::as_str), Some("ghost"));
        }
        other => panic!("expected a server refusal, got {other:?}"),
    }
    assert!(admin.principals().await.expect("list").is_empty());
}

#[tokio::test]
async fn reset_gives_an_enrolled_user_a_new_qr_and_unlock_clears_a_lock() {
    let portal = Portal::start().await;
    add_user(&portal, "dana");
    let admin = client(&portal);
    admin.add_principals(&[Principal::User("dana".into())]).await.expect("add");
    admin.set_two_factor(true).await.expect("on");

    let secret = enroll(&portal, "dana", "dana-pw").await;
    let dana = admin
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "dana")
        .expect("dana listed");
    assert_eq!(dana.state, EnrollmentState::Active);
    assert!(dana.last_sign_in.is_some());

    lock_out(&portal, "dana", "dana-pw", &secret).await;
    let dana = admin
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "dana")
        .expect("dana");
    assert!(dana.locked, "{dana:?}");
    admin.unlock(&["dana".into()]).await.expect("unlock");
    let dana = admin
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "dana")
        .expect("dana");
    assert!(!dana.locked, "{dana:?}");
    assert_eq!(
        password_sign_in_leads_to(&portal, "dana", "dana-pw").await.as_deref(),
        Some("/verify")
    );

    admin.reset(&["dana".into()]).await.expect("reset");
    let dana = admin
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "dana")
        .expect("dana");
    assert_eq!(dana.state, EnrollmentState::None);
    assert_eq!(
        password_sign_in_leads_to(&portal, "dana", "dana-pw").await.as_deref(),
        Some("/activate")
    );
}

#[tokio::test]
async fn the_audit_log_is_newest_first_names_the_actor_and_filters_by_user() {
    let portal = Portal::start().await;
    add_user(&portal, "erin");
    add_user(&portal, "frank");
    let admin = client(&portal);
    admin.add_principals(&[Principal::User("erin".into())]).await.expect("add erin");
    admin.add_principals(&[Principal::User("frank".into())]).await.expect("add frank");

    let all = admin.audit(&AuditQuery::default()).await.expect("audit");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(all[0].subject.as_deref(), Some("frank"));
    assert_eq!(all[0].actor, "admin:tester");
    let erin = admin
        .audit(&AuditQuery { user: Some("erin".into()), ..Default::default() })
        .await
        .expect("filtered");
    assert!(
        !erin.is_empty() && erin.iter().all(|e| e.subject.as_deref() == Some("erin")),
        "{erin:?}"
    );
}

#[tokio::test]
async fn an_invalid_license_is_refused_and_a_signed_one_is_installed() {
    let portal = Portal::start().await;
    let admin = client(&portal);
    let err = admin.install_license("not a license").await.expect_err("garbage");
    assert!(matches!(err, AdminError::Server { status: 400, .. }), "{err:?}");

    let key = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../portal/dev/vendor-dev.key");
    let license = portal.cli(
        &[
            "license",
            "issue",
            "--key",
            key.to_str().expect("utf-8 path"),
            "--licensee",
            "ACME",
            "--seats",
            "50",
            "--expires",
            "2099-12-31",
        ],
        None,
    );
    let status = admin.install_license(&license).await.expect("install");
    assert!(
        matches!(status, LicenseStatus::Valid { ref licensee, seats: 50, .. } if licensee == "ACME"),
        "{status:?}"
    );
    assert!(matches!(admin.license().await.expect("license"), LicenseStatus::Valid { .. }));
}

#[tokio::test]
async fn a_wrong_token_is_told_apart_from_an_unreachable_portal() {
    let portal = Portal::start().await;
    let wrong = AdminClient::new(&portal.admin_base, "not-the-token-0123456789").expect("client");
    assert!(matches!(wrong.status().await, Err(AdminError::Unauthorized { .. })));

    let port = twofold_e2e::process::free_ports(1)[0];
    let closed =
        AdminClient::new(&format!("http://127.0.0.1:{port}"), &portal.admin_token).expect("client");
    assert!(matches!(closed.status().await, Err(AdminError::Unreachable { .. })));
}

#[tokio::test]
async fn the_portal_pages_port_is_not_mistaken_for_the_admin_api() {
    let portal = Portal::start().await;
    let pages = AdminClient::new(&portal.base, &portal.admin_token).expect("client");
    let err = pages.status().await.expect_err("pages listener has no admin API");
    assert!(matches!(err, AdminError::BadResponse { .. }), "{err:?}");
}

/// Two admins adding principals at the same moment, against the evaluation's seat limit:
/// the check and the write are one transaction, so exactly the allowed number get in, every
/// refusal is the seat-limit answer, and nothing is listed twice or lost.
#[tokio::test]
async fn two_admins_adding_at_once_never_exceed_the_seats_or_corrupt_the_list() {
    let portal = Portal::start().await;
    let names: Vec<String> = (0..12).map(|i| format!("user{i:02}")).collect();
    for name in &names {
        add_user(&portal, name);
    }
    let (first, second) = (client(&portal), client(&portal));
    let evens: Vec<&String> = names.iter().step_by(2).collect();
    let odds: Vec<&String> = names.iter().skip(1).step_by(2).collect();
    let add_each = |admin: AdminClient, own: Vec<&String>| {
        let own: Vec<String> = own.into_iter().cloned().collect();
        async move {
            let mut results = Vec::new();
            for name in own {
                let result = admin.add_principals(&[Principal::User(name.clone())]).await;
                results.push((name, result));
            }
            results
        }
    };
    let (a, b) = tokio::join!(add_each(first, evens), add_each(second, odds));

    let mut accepted = Vec::new();
    for (name, result) in a.into_iter().chain(b) {
        match result {
            Ok(_) => accepted.push(name),
            Err(AdminError::Server { status, .. }) if (400..500).contains(&status) => {}
            Err(other) => panic!("adding {name} failed in an unexpected way: {other:?}"),
        }
    }
    let seats = twofold_core::EVALUATION_SEATS as usize;
    assert_eq!(accepted.len(), seats, "accepted {accepted:?}");

    let listed = client(&portal).principals().await.expect("principals");
    let mut listed: Vec<String> = listed.into_iter().map(|p| p.name).collect();
    listed.sort();
    accepted.sort();
    assert_eq!(listed, accepted, "the list is exactly what was accepted, once each");
    let status = client(&portal).status().await.expect("status");
    assert_eq!(status.counts.principals as usize, seats);
}
