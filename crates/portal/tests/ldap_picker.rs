//! The admin picker's search and "add principals" on a real slapd: pages read with Simple
//! Paged Results past slapd's default size limit of 500, and a directory group nobody has
//! signed in from can be enabled for 2FA.

mod common;
mod ldap_support;

use common::{Portal, START};
use ldap_support::Slapd;
use twofold_core::Principal;
use twofold_portal::directory::config::parse_table;
use twofold_portal::directory::{adopt_principals, search_page, ConfiguredDirectory};
use twofold_portal::ops;
use twofold_store::DirectoryRepo;

fn portal(slapd: &Slapd) -> Portal {
    let file = slapd.config_file("");
    let text = std::fs::read_to_string(&file).unwrap();
    let config = parse_table(&text, file.parent().unwrap()).expect("valid [directory]");
    let configured = ConfiguredDirectory::open(&config).expect("opens").expect("ldap");
    Portal::new().with_settings(|s| s.directory = Some(configured))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_pages_through_more_entries_than_the_servers_size_limit() {
    let Some(slapd) = Slapd::start() else { return };
    let ldif: String = (0..600)
        .map(|i| {
            format!(
                "dn: uid=member{i:04},ou=people,dc=example,dc=com\nchangetype: add\n\
                 objectClass: inetOrgPerson\nuid: member{i:04}\ncn: Member {i}\nsn: M\n\n"
            )
        })
        .collect();
    slapd.modify(&ldif);
    let p = portal(&slapd);
    let first = search_page(&p.state, "member", 0, 20).await.unwrap();
    assert_eq!(first.items.len(), 20);
    assert_eq!(first.total, 21, "one more than shown: there is a next page");
    assert!(first.items.iter().all(|e| e.kind == "user" && e.name.starts_with("member")));
    let last = search_page(&p.state, "member", 590, 20).await.unwrap();
    assert_eq!(last.items.len(), 10, "entries 590..600, read past the 500 limit");
    assert_eq!(last.total, 600);
    // Groups come first, users after, as in the built-in directory.
    let mixed = search_page(&p.state, "a", 0, 200).await.unwrap();
    let kinds: Vec<&str> = mixed.items.iter().map(|e| e.kind).collect();
    let first_user = kinds.iter().position(|k| *k == "user").unwrap();
    assert!(kinds[..first_user].iter().all(|k| *k == "group") && first_user > 0, "{kinds:?}");
    assert!(kinds[first_user..].iter().all(|k| *k == "user"), "{kinds:?}");
}

/// The picker opens with the empty query: every group, then every user. `(uid=**)`, what a
/// substring filter of nothing would be, is refused by the LDAP client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_empty_query_lists_every_group_then_every_user() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal(&slapd);
    let all = search_page(&p.state, "", 0, 100).await.expect("the empty query answers");
    let keys: Vec<String> = all.items.iter().map(|e| format!("{}:{}", e.kind, e.name)).collect();
    assert_eq!(
        keys,
        ["group:staff", "group:admins", "group:twofa", "user:ann", "user:ben", "user:cat"],
        "the groups, then the users, in the directory's order"
    );
    assert_eq!(all.total, 6);
    assert_eq!(search_page(&p.state, "  ", 0, 100).await.unwrap().total, 6, "blank is empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_group_nobody_signed_in_from_can_be_enabled_for_2fa() {
    let Some(slapd) = Slapd::start() else { return };
    let p = portal(&slapd);
    let wanted = [Principal::Group("TwoFA".into()), Principal::User("cat".into())];
    assert_eq!(adopt_principals(&p.state, &wanted).await.unwrap(), 2);
    assert_eq!(adopt_principals(&p.state, &wanted).await.unwrap(), 0, "already there");
    ops::add_principals(p.store.as_ref(), &p.state.vendor_key, &wanted, "test", START).unwrap();
    assert!(p.store.user("cat").unwrap().is_some());
    // A name the directory does not have is not made up.
    let missing = [Principal::Group("nope".into())];
    assert_eq!(adopt_principals(&p.state, &missing).await.unwrap(), 0);
    assert!(
        ops::add_principals(p.store.as_ref(), &p.state.vendor_key, &missing, "t", START).is_err()
    );
}
