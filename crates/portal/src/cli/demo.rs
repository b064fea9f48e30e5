//! `demo`: a small directory that shows every path of the product — a user enabled directly,
//! users enabled through a group, a user without 2FA — with 2FA switched on.
//! Running it again keeps what is there.

use twofold_core::Principal;
use twofold_portal::clock::{Clock, SystemClock};
use twofold_portal::{ops, vendor};
use twofold_store::{Store, StoreError};

/// Demo accounts: (user, password, what they show). Demo passwords are printed on purpose.
const USERS: &[(&str, &str, &str)] = &[
    ("alice", "alice-demo-pass", "2FA: enabled as a user"),
    ("bob", "bob-demo-pass", "2FA: member of group finance"),
    ("dana", "dana-demo-pass", "2FA: member of group finance"),
    ("carol", "carol-demo-pass", "no 2FA: password only, RDP allowed"),
];

fn ignore_existing(result: Result<(), StoreError>) -> Result<(), StoreError> {
    match result {
        Err(StoreError::AlreadyExists { .. }) => Ok(()),
        other => other,
    }
}

pub fn run(store: &dyn Store, dir: &std::path::Path) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let actor = "demo";
    for (name, password, _) in USERS {
        if store.user(name)?.is_none() {
            ops::add_user(store, name, password, actor, now)?;
        }
    }
    ignore_existing(store.add_group("finance", actor, now as i64))?;
    store.add_member("finance", "bob", actor, now as i64)?;
    store.add_member("finance", "dana", actor, now as i64)?;
    let wanted = [Principal::User("alice".into()), Principal::Group("finance".into())];
    let listed: Vec<Principal> = store.principals()?.into_iter().map(|p| p.principal).collect();
    let missing: Vec<Principal> = wanted.into_iter().filter(|p| !listed.contains(p)).collect();
    if !missing.is_empty() {
        ops::add_principals(store, &vendor::vendor_public_key(), &missing, actor, now)?;
    }
    store.set_two_factor_enabled(true, actor, now as i64)?;

    println!("demo directory ready in {}", dir.display());
    println!("two-factor authentication: on; principals: user:alice, group:finance");
    println!();
    println!("  {:<8} password", "user");
    for (name, password, what) in USERS {
        println!("  {name:<8} {password:<18} {what}");
    }
    Ok(())
}
