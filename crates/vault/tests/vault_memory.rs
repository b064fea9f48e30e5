//! Vault bookkeeping against the in-memory secret store: ordering, search, duplicates, HOTP
//! counters, and that failures on either side leave nothing half-written. The real keyring is
//! exercised in `keyring.rs`.

use std::sync::Arc;

use twofold_core::{Algorithm, OtpAuth, OtpKind, Secret};
use twofold_vault::{MemoryStore, SecretStore, Vault, VaultError};

const NOW: u64 = 1_700_000_000;

fn auth(issuer: &str, account: &str, secret_b32: &str) -> OtpAuth {
    OtpAuth {
        issuer: Some(issuer.to_string()),
        account: account.to_string(),
        secret: Secret::from_base32(secret_b32).unwrap(),
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind: OtpKind::Totp { period: 30 },
    }
}

fn open() -> (tempfile::TempDir, Arc<MemoryStore>, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Vault::open(dir.path(), store.clone()).unwrap();
    (dir, store, vault)
}

fn names(vault: &Vault) -> Vec<String> {
    vault.accounts().unwrap().into_iter().map(|a| a.account).collect()
}

/// Makes every write of `statement` (INSERT, DELETE, UPDATE) on the accounts table fail, the
/// way a full disk or a broken file would, through a second connection to the real file.
fn break_table(vault: &Vault, statement: &str) {
    let conn = rusqlite::Connection::open(vault.database_path()).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER broken BEFORE {statement} ON accounts \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
    ))
    .unwrap();
}

fn repair_table(vault: &Vault) {
    let conn = rusqlite::Connection::open(vault.database_path()).unwrap();
    conn.execute_batch("DROP TRIGGER broken;").unwrap();
}

#[test]
fn accounts_are_listed_in_the_order_they_were_added() {
    let (_dir, _store, mut vault) = open();
    for name in ["a", "b", "c"] {
        vault.add(&auth("X", name, "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    }
    assert_eq!(names(&vault), ["a", "b", "c"]);
}

#[test]
fn move_account_reorders_and_survives_reopening() {
    let (dir, store, mut vault) = open();
    let ids: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| vault.add(&auth("X", n, "JBSWY3DPEHPK3PXP"), NOW).unwrap().id)
        .collect();
    vault.move_account(&ids[3], 0).unwrap();
    assert_eq!(names(&vault), ["d", "a", "b", "c"]);
    vault.move_account(&ids[3], 2).unwrap();
    assert_eq!(names(&vault), ["a", "b", "d", "c"]);
    // An index past the end means "last".
    vault.move_account(&ids[0], 99).unwrap();
    assert_eq!(names(&vault), ["b", "d", "c", "a"]);
    drop(vault);
    let reopened = Vault::open(dir.path(), store).unwrap();
    assert_eq!(names(&reopened), ["b", "d", "c", "a"]);
}

#[test]
fn moving_an_unknown_account_is_not_found() {
    let (_dir, _store, mut vault) = open();
    assert!(matches!(vault.move_account("nope", 0), Err(VaultError::NotFound(_))));
}

#[test]
fn filter_matches_issuer_or_account_ignoring_case() {
    let (_dir, _store, mut vault) = open();
    vault.add(&auth("GitHub", "alice@example.com", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    vault.add(&auth("GitLab", "bob", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    vault.add(&auth("Example", "carol", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    let found = |q: &str| -> Vec<String> {
        vault.filter(q).unwrap().into_iter().map(|a| a.account).collect()
    };
    assert_eq!(found("git"), ["alice@example.com", "bob"]);
    assert_eq!(found("ALICE"), ["alice@example.com"]);
    assert_eq!(found("lab bo"), ["bob"]);
    assert_eq!(found("").len(), 3);
    assert!(found("nothing").is_empty());
}

#[test]
fn an_exact_duplicate_is_detected_and_refused() {
    let (_dir, store, mut vault) = open();
    let first = vault.add(&auth("GitHub", "alice", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    // Same names in another case, same key in another spelling: still the same account.
    let again = auth(" github ", "ALICE", "jbsw y3dp ehpk 3pxp");
    assert_eq!(vault.find_duplicate(&again).unwrap(), Some(first.id.clone()));
    match vault.add(&again, NOW) {
        Err(VaultError::Duplicate { id }) => assert_eq!(id, first.id),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert_eq!(vault.accounts().unwrap().len(), 1);
    assert_eq!(store.len(), 1);
}

#[test]
fn same_names_with_another_secret_is_not_a_duplicate() {
    let (_dir, _store, mut vault) = open();
    vault.add(&auth("GitHub", "alice", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    let other = auth("GitHub", "alice", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_eq!(vault.find_duplicate(&other).unwrap(), None);
    vault.add(&other, NOW).unwrap();
    assert_eq!(vault.accounts().unwrap().len(), 2);
}

#[test]
fn adding_while_the_keyring_is_unavailable_writes_no_metadata() {
    let (_dir, store, mut vault) = open();
    store.set_available(false);
    let err = vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap_err();
    assert!(matches!(err, VaultError::KeyringUnavailable { .. }), "{err:?}");
    store.set_available(true);
    assert!(vault.accounts().unwrap().is_empty());
    assert!(store.is_empty());
}

#[test]
fn a_failed_metadata_write_takes_the_secret_back_out() {
    let (_dir, store, mut vault) = open();
    break_table(&vault, "INSERT");
    let err = vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap_err();
    assert!(matches!(err, VaultError::Database(_)), "{err:?}");
    assert!(store.is_empty(), "no orphan secret may remain");
    assert!(vault.accounts().unwrap().is_empty());
}

#[test]
fn deleting_while_the_keyring_is_unavailable_keeps_the_account_and_its_secret() {
    let (_dir, store, mut vault) = open();
    let account = vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    store.set_available(false);
    assert!(matches!(vault.delete(&account.id), Err(VaultError::KeyringUnavailable { .. })));
    store.set_available(true);
    assert_eq!(vault.accounts().unwrap().len(), 1);
    assert_eq!(store.len(), 1);
}

#[test]
fn a_delete_interrupted_after_the_secret_is_completed_by_deleting_again() {
    let (_dir, store, mut vault) = open();
    let account = vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    break_table(&vault, "DELETE");
    assert!(matches!(vault.delete(&account.id), Err(VaultError::Database(_))));
    // The account is still listed, with an explanation instead of a code.
    let rows = vault.list_with_codes(NOW).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].code, None);
    assert!(rows[0].problem.as_deref().unwrap_or("").contains("missing"));
    repair_table(&vault);
    vault.delete(&account.id).unwrap();
    assert!(vault.accounts().unwrap().is_empty());
    assert!(store.is_empty());
}

#[test]
fn next_hotp_advances_the_stored_counter_and_returns_rfc4226_codes() {
    let (dir, store, mut vault) = open();
    let mut hotp = auth("X", "h", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    hotp.kind = OtpKind::Hotp { counter: 0 };
    let id = vault.add(&hotp, NOW).unwrap().id;
    assert_eq!(vault.list_with_codes(NOW).unwrap()[0].code, None);
    assert_eq!(vault.next_hotp(&id).unwrap(), "755224");
    assert_eq!(vault.next_hotp(&id).unwrap(), "287082");
    let row = &vault.list_with_codes(NOW).unwrap()[0];
    assert_eq!(row.grouped.as_deref(), Some("287 082"));
    assert_eq!(row.counter, Some(2));
    drop(vault);
    let mut reopened = Vault::open(dir.path(), store).unwrap();
    assert_eq!(reopened.next_hotp(&id).unwrap(), "359152");
}

#[test]
fn next_hotp_with_the_keyring_down_does_not_use_up_a_counter() {
    let (_dir, store, mut vault) = open();
    let mut hotp = auth("X", "h", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    hotp.kind = OtpKind::Hotp { counter: 5 };
    let id = vault.add(&hotp, NOW).unwrap().id;
    vault.forget_secrets();
    store.set_available(false);
    assert!(vault.next_hotp(&id).is_err());
    store.set_available(true);
    assert_eq!(vault.account(&id).unwrap().kind, OtpKind::Hotp { counter: 5 });
    assert_eq!(vault.next_hotp(&id).unwrap(), "254676");
}

#[test]
fn next_hotp_on_a_totp_account_is_refused() {
    let (_dir, _store, mut vault) = open();
    let id = vault.add(&auth("X", "t", "JBSWY3DPEHPK3PXP"), NOW).unwrap().id;
    assert!(matches!(vault.next_hotp(&id), Err(VaultError::NotHotp)));
}

#[test]
fn the_code_list_fails_as_a_whole_when_the_keyring_is_unavailable() {
    let (_dir, store, mut vault) = open();
    vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    vault.forget_secrets();
    store.set_available(false);
    assert!(matches!(vault.list_with_codes(NOW), Err(VaultError::KeyringUnavailable { .. })));
}

#[test]
fn secrets_are_cached_for_the_session_until_forgotten() {
    let (_dir, store, mut vault) = open();
    let id = vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap().id;
    // The keyring going away does not stop the codes: they come from the session cache.
    store.set_available(false);
    assert!(vault.list_with_codes(NOW).unwrap()[0].code.is_some());
    store.set_available(true);
    // A secret removed behind the vault's back shows up once the cache is dropped.
    store.delete(&id).unwrap();
    vault.forget_secrets();
    assert!(vault.list_with_codes(NOW).unwrap()[0].problem.is_some());
}

#[test]
fn invalid_accounts_are_refused_before_anything_is_stored() {
    let (_dir, store, mut vault) = open();
    let mut bad_digits = auth("X", "a", "JBSWY3DPEHPK3PXP");
    bad_digits.digits = 9;
    let mut no_name = auth("X", "  ", "JBSWY3DPEHPK3PXP");
    no_name.digits = 6;
    let mut zero_period = auth("X", "a", "JBSWY3DPEHPK3PXP");
    zero_period.kind = OtpKind::Totp { period: 0 };
    let mut huge_counter = auth("X", "a", "JBSWY3DPEHPK3PXP");
    huge_counter.kind = OtpKind::Hotp { counter: u64::MAX };
    for bad in [bad_digits, no_name, zero_period, huge_counter] {
        assert!(matches!(vault.add(&bad, NOW), Err(VaultError::InvalidAccount(_))), "{bad:?}");
    }
    assert!(store.is_empty());
    assert!(vault.accounts().unwrap().is_empty());
}

#[test]
fn metadata_is_stored_as_given_with_names_trimmed() {
    let (_dir, _store, mut vault) = open();
    let mut a = auth(" Example ", " alice ", "JBSWY3DPEHPK3PXP");
    a.algorithm = Algorithm::Sha512;
    a.digits = 8;
    a.kind = OtpKind::Totp { period: 60 };
    let added = vault.add(&a, NOW).unwrap();
    let stored = vault.account(&added.id).unwrap();
    assert_eq!(stored, added);
    assert_eq!(stored.issuer.as_deref(), Some("Example"));
    assert_eq!(stored.account, "alice");
    assert_eq!(stored.algorithm, Algorithm::Sha512);
    assert_eq!(stored.digits, 8);
    assert_eq!(stored.kind, OtpKind::Totp { period: 60 });
    assert_eq!(stored.created, NOW);
}

#[test]
fn debug_output_of_the_vault_shows_no_secret_or_code() {
    let (_dir, _store, mut vault) = open();
    vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    let code = vault.list_with_codes(NOW).unwrap()[0].code.clone().unwrap();
    let shown = format!("{vault:?}");
    assert!(!shown.contains("JBSW") && !shown.contains(&code), "{shown}");
}

/// Rows of the pending-secrets journal (what a sweep would look at).
fn pending_records(vault: &Vault) -> i64 {
    let conn = rusqlite::Connection::open(vault.database_path()).unwrap();
    conn.query_row("SELECT count(*) FROM pending_secrets", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_successful_add_leaves_no_pending_record() {
    let (_dir, store, mut vault) = open();
    vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    assert_eq!(pending_records(&vault), 0);
    assert_eq!(vault.sweep_orphans(NOW + 10_000).unwrap(), 0);
    assert_eq!(store.len(), 1, "a sweep never removes an account's secret");
}

#[test]
fn failed_adds_leave_no_pending_record_when_nothing_reached_the_keyring() {
    let (_dir, store, mut vault) = open();
    store.set_available(false);
    assert!(vault.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).is_err());
    store.set_available(true);
    break_table(&vault, "INSERT");
    assert!(vault.add(&auth("X", "b", "JBSWY3DPEHPK3PXP"), NOW).is_err());
    assert_eq!(pending_records(&vault), 0);
    assert!(store.is_empty());
}

#[test]
fn a_secret_whose_metadata_and_cleanup_both_failed_is_swept_later() {
    let (_dir, store, mut vault) = open();
    // The metadata write fails, and so does the delete that should take the secret back.
    let conn = rusqlite::Connection::open(vault.database_path()).unwrap();
    let flaky = Arc::new(FailingDelete { inner: store.clone(), fail: true.into() });
    let mut vault2 = Vault::open(vault.database_path().parent().unwrap(), flaky.clone()).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER broken BEFORE INSERT ON accounts \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .unwrap();
    let err = vault2.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap_err();
    assert!(matches!(err, VaultError::OrphanedSecret { .. }), "{err:?}");
    assert!(err.to_string().contains("retries by itself"), "{err}");
    assert_eq!(store.len(), 1, "the orphan is there");
    flaky.fail.store(false, std::sync::atomic::Ordering::SeqCst);

    assert_eq!(vault.sweep_orphans(NOW + 5).unwrap(), 0, "too recent: may be an add in progress");
    assert_eq!(store.len(), 1);
    assert!(vault.list_with_codes(NOW + 120).unwrap().is_empty());
    assert!(store.is_empty(), "the list swept the orphan");
    assert_eq!(pending_records(&vault), 0);
}

/// A store whose deletes fail while `fail` is set.
struct FailingDelete {
    inner: Arc<MemoryStore>,
    fail: std::sync::atomic::AtomicBool,
}

impl SecretStore for FailingDelete {
    fn set(&self, id: &str, label: &str, secret: &Secret) -> twofold_vault::Result<()> {
        self.inner.set(id, label, secret)
    }
    fn get(&self, id: &str) -> twofold_vault::Result<Option<Secret>> {
        self.inner.get(id)
    }
    fn delete(&self, id: &str) -> twofold_vault::Result<bool> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(VaultError::KeyringUnavailable { hint: "test".into() });
        }
        self.inner.delete(id)
    }
}

#[test]
fn a_list_whose_sweep_fails_still_lists_and_sweeps_again_a_grace_period_later() {
    let (dir, store, mut vault) = open();
    let flaky = Arc::new(FailingDelete { inner: store.clone(), fail: true.into() });
    let mut failing = Vault::open(dir.path(), flaky.clone()).unwrap();
    break_table(&vault, "INSERT");
    assert!(failing.add(&auth("X", "a", "JBSWY3DPEHPK3PXP"), NOW).is_err());
    repair_table(&vault);
    vault.add(&auth("X", "b", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    assert_eq!(store.len(), 2);

    // The keyring refuses the sweep's delete: the list still works.
    let later = NOW + 2 * twofold_vault::ORPHAN_GRACE_SECS;
    assert_eq!(failing.list_with_codes(later).unwrap().len(), 1);
    assert_eq!(store.len(), 2);
    flaky.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    // Backing off: not at the very next refresh...
    failing.list_with_codes(later + 1).unwrap();
    assert_eq!(store.len(), 2);
    // ...but a grace period later.
    failing.list_with_codes(later + twofold_vault::ORPHAN_GRACE_SECS).unwrap();
    assert_eq!(store.len(), 1);
}

#[test]
fn export_all_gives_every_account_with_its_secret_in_the_users_order() {
    let (_dir, _store, mut vault) = open();
    vault.add(&auth("B", "second", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    vault.add(&auth("A", "first", "MFRGGZDFMZTWQ2LK"), NOW).unwrap();
    let id = vault.accounts().unwrap()[1].id.clone();
    vault.move_account(&id, 0).unwrap();
    let all = vault.export_all().unwrap();
    assert_eq!(
        all,
        vec![auth("A", "first", "MFRGGZDFMZTWQ2LK"), auth("B", "second", "JBSWY3DPEHPK3PXP")]
    );
}

#[test]
fn export_all_fails_as_a_whole_when_one_secret_is_gone_or_the_keyring_is_down() {
    let (_dir, store, mut vault) = open();
    vault.add(&auth("A", "a", "JBSWY3DPEHPK3PXP"), NOW).unwrap();
    let b = vault.add(&auth("B", "b", "MFRGGZDFMZTWQ2LK"), NOW).unwrap();
    // Secrets read this session are cached; a new session reads the keyring.
    vault.forget_secrets();
    store.set_available(false);
    assert!(matches!(vault.export_all(), Err(VaultError::KeyringUnavailable { .. })));
    store.set_available(true);
    vault.forget_secrets();
    store.delete(&b.id).unwrap();
    assert!(
        matches!(vault.export_all(), Err(VaultError::SecretMissing { id }) if id == b.id),
        "an export never silently leaves an account out"
    );
}
