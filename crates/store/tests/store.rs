//! The store's behaviour, one suite run against both backends: SQLite in a temporary data
//! directory and a real PostgreSQL server started for the test (`common::PgServer`). Tests of
//! the SQLite file itself (modes, copies, many opens of one directory) come first; the
//! PostgreSQL-only ones (several servers on one database) are in tests/postgres.rs.

use std::os::unix::fs::PermissionsExt;

use twofold_core::{EnrollmentState, Principal, Secret, VerifierState};
use twofold_store::*;

mod common;

const NOW: i64 = 1_700_000_000;
const OWNER: &[u8] = b"session-id-hash";

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("data")).unwrap();
    (dir, store)
}

fn secret(byte: u8) -> Secret {
    Secret::from_bytes(vec![byte; 20]).unwrap()
}

fn seed(store: &dyn Store) {
    for user in ["alice", "bob", "carol"] {
        store.add_user(user, "hash", "test", NOW).unwrap();
    }
    store.add_group("finance", "test", NOW).unwrap();
    store.add_member("finance", "bob", "test", NOW).unwrap();
    store.add_member("finance", "carol", "test", NOW).unwrap();
}

fn allow_all(_: u32, _: u32) -> Result<(), u32> {
    Ok(())
}

#[test]
fn secrets_never_appear_in_the_database_file() {
    let (dir, store) = open();
    seed(&store);
    let s = Secret::from_bytes(b"this-is-a-known-sec!".to_vec()).unwrap();
    store.issue_pending("alice", &s, OWNER, NOW).unwrap();
    drop(store);
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(dir.path().join("data")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("twofold.db") {
            raw.extend(std::fs::read(path).unwrap());
        }
    }
    let needle = b"this-is-a-known-sec!";
    assert!(!raw.windows(needle.len()).any(|w| w == needle), "plain secret found in database");
    let b32 = s.to_base32();
    assert!(
        !raw.windows(b32.len()).any(|w| w == b32.as_bytes()),
        "base32 secret found in database"
    );
}

#[test]
fn a_copied_database_without_its_key_file_reveals_no_secret() {
    let (dir, store) = open();
    seed(&store);
    store.issue_pending("alice", &secret(7), OWNER, NOW).unwrap();
    drop(store);
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for name in ["twofold.db", "twofold.db-wal", "twofold.db-shm"] {
        let from = dir.path().join("data").join(name);
        if from.exists() {
            std::fs::copy(from, copy.join(name)).unwrap();
        }
    }
    // The copy will not even open without the key: it would make a new key, which opens
    // nothing (see tests/key_file.rs). With a key of its own it refuses likewise.
    assert!(matches!(SqliteStore::open(&copy), Err(StoreError::KeyMissing { .. })));
    let elsewhere = dir.path().join("elsewhere");
    drop(SqliteStore::open(&elsewhere).unwrap());
    std::fs::copy(elsewhere.join("secrets.key"), copy.join("secrets.key")).unwrap();
    assert!(matches!(SqliteStore::open(&copy), Err(StoreError::KeyMismatch { .. })));
}

#[test]
fn key_file_is_created_private() {
    let (dir, _store) = open();
    let mode = std::fs::metadata(dir.path().join("data/secrets.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_truncated_key_file_is_a_clear_error() {
    let (dir, store) = open();
    drop(store);
    std::fs::write(dir.path().join("data/secrets.key"), b"short").unwrap();
    let err = SqliteStore::open(&dir.path().join("data")).err().expect("must refuse");
    assert!(matches!(err, StoreError::KeyFile { .. }), "{err}");
}

#[test]
fn a_data_dir_whose_parent_is_missing_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(&dir.path().join("no/such/dir")).err().expect("must refuse");
    assert!(matches!(err, StoreError::DataDir { .. }), "{err}");
}

#[test]
fn two_processes_on_one_directory_see_each_others_writes() {
    let (dir, portal) = open();
    let cli = SqliteStore::open(&dir.path().join("data")).unwrap();
    cli.add_user("dave", "hash", "cli", NOW).unwrap();
    cli.set_two_factor_enabled(true, "cli", NOW).unwrap();
    assert!(portal.user("dave").unwrap().is_some());
    assert!(portal.two_factor_enabled().unwrap());
}

#[test]
fn many_opens_of_one_directory_at_once_all_succeed() {
    let (dir, store) = open();
    drop(store);
    let data = dir.path().join("data");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let data = data.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    twofold_store::SqliteStore::open(&data).map(drop).map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
}

/// The tests both backends must pass; `$open` makes a fixture and a store, or `None` to
/// skip (PostgreSQL not installed and not required).
macro_rules! shared_suite {
    ($open:expr) => {
        #[test]
        fn names_are_case_insensitive_and_unique() {
            let Some((_fixture, store)) = $open else { return };
            store.add_user("Alice", "hash", "test", NOW).unwrap();
            assert!(matches!(
                store.add_user("alice", "h", "test", NOW),
                Err(StoreError::AlreadyExists { .. })
            ));
            assert_eq!(store.user("ALICE").unwrap().unwrap().name, "Alice");
        }

        #[test]
        fn bad_names_are_refused() {
            let Some((_fixture, store)) = $open else { return };
            for bad in ["", "  ", " alice", "a\u{7}b", &"x".repeat(200)] {
                assert!(
                    matches!(store.add_user(bad, "h", "t", NOW), Err(StoreError::Invalid { .. })),
                    "{bad:?}"
                );
            }
        }

        #[test]
        fn adding_principals_is_all_or_nothing() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            let err = store
                .add_principals(
                    &[Principal::User("alice".into()), Principal::User("nobody".into())],
                    &allow_all,
                    "admin",
                    NOW,
                )
                .unwrap_err();
            assert!(matches!(err, StoreError::NotFound { kind: "user", .. }));
            assert!(store.principals().unwrap().is_empty());
        }

        #[test]
        fn seat_refusal_rolls_the_whole_addition_back() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            let refuse_over_two = |_: u32, after: u32| if after > 2 { Err(2) } else { Ok(()) };
            let err = store
                .add_principals(
                    &[Principal::User("alice".into()), Principal::Group("finance".into())],
                    &refuse_over_two,
                    "admin",
                    NOW,
                )
                .unwrap_err();
            assert!(matches!(err, StoreError::SeatLimit { seats_after: 3, limit: 2 }), "{err}");
            assert!(store.principals().unwrap().is_empty());
            assert_eq!(store.seats_used().unwrap(), 0);
        }

        #[test]
        fn seats_count_distinct_users_through_users_and_groups() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store
                .add_principals(
                    &[Principal::User("bob".into()), Principal::Group("finance".into())],
                    &allow_all,
                    "admin",
                    NOW,
                )
                .unwrap();
            assert_eq!(
                store.covered_users().unwrap(),
                vec!["bob".to_string(), "carol".to_string()]
            );
            assert_eq!(store.seats_used().unwrap(), 2);
            let listed = store.principals().unwrap();
            assert_eq!(listed.len(), 2);
            let group =
                listed.iter().find(|p| p.principal == Principal::Group("finance".into())).unwrap();
            assert_eq!(group.members, Some(2));
        }

        #[test]
        fn removing_an_unlisted_principal_removes_nothing() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store
                .add_principals(&[Principal::User("alice".into())], &allow_all, "admin", NOW)
                .unwrap();
            let err = store
                .remove_principals(
                    &[Principal::User("alice".into()), Principal::Group("finance".into())],
                    "admin",
                    NOW,
                )
                .unwrap_err();
            assert!(matches!(err, StoreError::NotFound { .. }));
            assert_eq!(store.principals().unwrap().len(), 1);
        }

        #[test]
        fn activation_makes_the_pending_secret_active() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            let pending = store.enrollment("alice").unwrap().unwrap();
            assert_eq!(pending.state, EnrollmentState::Pending);
            store.activate("alice", &pending.secret, OWNER, 42, NOW).unwrap();
            let active = store.enrollment("alice").unwrap().unwrap();
            assert_eq!(active.state, EnrollmentState::Active);
            assert_eq!(active.secret.as_bytes(), secret(1).as_bytes());
            assert_eq!(active.verifier.last_accepted_step, Some(42));
            assert!(matches!(
                store.issue_pending("alice", &secret(2), OWNER, NOW),
                Err(StoreError::Invalid { .. })
            ));
        }

        #[test]
        fn a_pending_secret_can_be_activated_only_by_the_session_it_was_issued_to() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            let pending = store.enrollment("alice").unwrap().unwrap();
            assert!(pending.is_owned_by(OWNER));
            assert!(!pending.is_owned_by(b"another-session"));
            assert!(store.activate("alice", &secret(1), b"another-session", 1, NOW).is_err());
            assert_eq!(store.enrollment("alice").unwrap().unwrap().state, EnrollmentState::Pending);
            store.activate("alice", &secret(1), OWNER, 1, NOW).unwrap();
            assert_eq!(store.enrollment("alice").unwrap().unwrap().owner, None);
        }

        #[test]
        fn replacing_a_key_another_live_activation_session_was_shown_is_audited() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store
                .create_session(b"first", "alice", SessionStage::Activate, false, NOW, NOW + 600)
                .unwrap();
            store.issue_pending("alice", &secret(1), b"first", NOW).unwrap();
            store.issue_pending("alice", &secret(1), b"first", NOW).unwrap();
            let concurrent = |store: &dyn Store| {
                store
                    .audit(&AuditFilter {
                        subject: Some("alice".into()),
                        limit: 50,
                        ..Default::default()
                    })
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.action == "enrollment.concurrent")
                    .count()
            };
            assert_eq!(concurrent(&store), 0, "the same session asking again is no concurrency");
            store.issue_pending("alice", &secret(2), b"second", NOW).unwrap();
            assert_eq!(concurrent(&store), 1);
        }

        #[test]
        fn reserved_attempts_stop_at_the_limit_and_released_ones_come_back() {
            let Some((_fixture, store)) = $open else { return };
            for _ in 0..3 {
                assert!(store.reserve_attempt("127.0.0.9", 3, NOW, 900).unwrap());
            }
            assert!(!store.reserve_attempt("127.0.0.9", 3, NOW, 900).unwrap());
            assert_eq!(store.address_failures("127.0.0.9", NOW, 900).unwrap(), 3);
            store.release_attempt("127.0.0.9", NOW, 900).unwrap();
            assert!(store.reserve_attempt("127.0.0.9", 3, NOW, 900).unwrap());
            // A new window starts afresh.
            assert!(store.reserve_attempt("127.0.0.9", 3, NOW + 900, 900).unwrap());
            assert_eq!(store.address_failures("127.0.0.9", NOW + 900, 900).unwrap(), 1);
        }

        #[test]
        fn a_session_records_its_second_factor_and_can_be_sent_back_a_step() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store
                .create_session(b"s", "bob", SessionStage::SignedIn, false, NOW, NOW + 3600)
                .unwrap();
            assert!(!store.session(b"s", NOW).unwrap().unwrap().two_factor);
            store.step_back_session(b"s", SessionStage::Code, NOW + 600).unwrap();
            let back = store.session(b"s", NOW).unwrap().unwrap();
            assert_eq!(
                (back.stage, back.two_factor, back.expires),
                (SessionStage::Code, false, NOW + 600)
            );
        }

        #[test]
        fn activation_fails_if_another_sign_in_replaced_the_pending_secret() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            store.issue_pending("alice", &secret(2), OWNER, NOW).unwrap();
            assert!(store.activate("alice", &secret(1), OWNER, 1, NOW).is_err());
            assert_eq!(store.enrollment("alice").unwrap().unwrap().state, EnrollmentState::Pending);
        }

        #[test]
        fn verifier_update_is_compare_and_set() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            store.activate("alice", &secret(1), OWNER, 10, NOW).unwrap();
            let before = store.enrollment("alice").unwrap().unwrap().verifier;
            let next = VerifierState { last_accepted_step: Some(11), ..before };
            assert!(store.update_verifier("alice", &before, &next, None, NOW).unwrap());
            // A second process that read the same `before` must lose: the step was already used.
            let other = VerifierState { last_accepted_step: Some(11), ..before };
            assert!(!store.update_verifier("alice", &before, &other, None, NOW).unwrap());
        }

        #[test]
        fn reset_discards_secrets_and_sessions_and_is_audited() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            store.activate("alice", &secret(1), OWNER, 10, NOW).unwrap();
            store
                .create_session(
                    b"hash-of-id",
                    "alice",
                    SessionStage::SignedIn,
                    true,
                    NOW,
                    NOW + 3600,
                )
                .unwrap();
            store.reset(&["ALICE".to_string()], "admin", NOW).unwrap();
            assert!(store.enrollment("alice").unwrap().is_none());
            assert!(store.session(b"hash-of-id", NOW).unwrap().is_none());
            let audit = store
                .audit(&AuditFilter {
                    subject: Some("alice".into()),
                    limit: 10,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(audit[0].action, "user.reset");
            assert_eq!(audit[0].actor, "admin");
        }

        #[test]
        fn reset_of_an_unknown_user_resets_nobody() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            assert!(store.reset(&["alice".into(), "ghost".into()], "admin", NOW).is_err());
            assert!(store.enrollment("alice").unwrap().is_some());
        }

        #[test]
        fn unlock_clears_failures_and_lock() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.issue_pending("alice", &secret(1), OWNER, NOW).unwrap();
            store.activate("alice", &secret(1), OWNER, 10, NOW).unwrap();
            let before = store.enrollment("alice").unwrap().unwrap().verifier;
            let locked = VerifierState {
                consecutive_failures: 5,
                locked_until: Some(NOW as u64 + 900),
                locks: 1,
                ..before
            };
            assert!(store
                .update_verifier("alice", &before, &locked, Some(("user.lock", None)), NOW)
                .unwrap());
            store.unlock(&["alice".into()], "admin", NOW).unwrap();
            let after = store.enrollment("alice").unwrap().unwrap().verifier;
            assert_eq!(after.consecutive_failures, 0);
            assert_eq!(after.locked_until, None);
            assert_eq!(after.last_accepted_step, Some(10));
            assert_eq!(after.locks, 0, "an admin unlock also ends the escalation");
        }

        #[test]
        fn sessions_expire() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store.create_session(b"id", "bob", SessionStage::Code, false, NOW, NOW + 60).unwrap();
            assert_eq!(store.session(b"id", NOW).unwrap().unwrap().stage, SessionStage::Code);
            assert!(store.session(b"id", NOW + 60).unwrap().is_none());
            assert_eq!(store.purge_sessions(NOW + 61).unwrap(), 1);
        }

        #[test]
        fn directory_search_pages_groups_first_and_escapes_wildcards() {
            let Some((_fixture, store)) = $open else { return };
            for i in 0..25 {
                store.add_user(&format!("user{i:02}"), "h", "t", NOW).unwrap();
            }
            store.add_user("per%cent", "h", "t", NOW).unwrap();
            store.add_group("users-group", "t", NOW).unwrap();
            let page = store.search_directory("user", 0, 10).unwrap();
            assert_eq!(page.total, 26);
            assert_eq!(page.items[0].kind, "group");
            assert_eq!(page.items[0].members, Some(0));
            assert_eq!(page.items[1].name, "user00");
            let last = store.search_directory("user", 20, 10).unwrap();
            assert_eq!(last.items.len(), 6);
            let percent = store.search_directory("%", 0, 10).unwrap();
            assert_eq!(percent.total, 1);
            assert_eq!(percent.items[0].name, "per%cent");
        }

        #[test]
        fn a_user_renamed_in_the_directory_keeps_enrollment_groups_sessions_and_principal() {
            let Some((_fixture, store)) = $open else { return };
            let made =
                store.follow_directory_entry(DirectoryKind::User, "id-ann", "ann", true, NOW);
            assert_eq!(made.unwrap(), Followed::Created);
            store.add_group("finance", "test", NOW).unwrap();
            store.add_member("finance", "ann", "test", NOW).unwrap();
            store.add_principals(&[Principal::User("ann".into())], &allow_all, "t", NOW).unwrap();
            store.issue_pending("ann", &secret(7), OWNER, NOW).unwrap();
            store.activate("ann", &secret(7), OWNER, 100, NOW).unwrap();
            store
                .create_session(b"s1", "ann", SessionStage::SignedIn, true, NOW, NOW + 600)
                .unwrap();

            let followed =
                store.follow_directory_entry(DirectoryKind::User, "id-ann", "annie", true, NOW + 1);
            assert_eq!(followed.unwrap(), Followed::Renamed { from: "ann".into() });

            assert!(store.user("ann").unwrap().is_none());
            assert_eq!(
                store.user("annie").unwrap().unwrap().password_hash,
                DIRECTORY_PASSWORD_MARK
            );
            // The secret was sealed again under the new name and still opens.
            let enrollment = store.enrollment("annie").unwrap().expect("the enrollment followed");
            assert_eq!(enrollment.state, EnrollmentState::Active);
            assert_eq!(enrollment.secret.to_base32(), secret(7).to_base32());
            assert_eq!(enrollment.verifier.last_accepted_step, Some(100));
            assert!(store.enrollment("ann").unwrap().is_none());
            assert_eq!(store.groups_of("annie").unwrap(), vec!["finance".to_string()]);
            assert_eq!(store.session(b"s1", NOW + 2).unwrap().unwrap().user, "annie");
            let principals = store.principals().unwrap();
            assert_eq!(principals.len(), 1);
            assert_eq!(principals[0].principal, Principal::User("annie".into()));
            assert_eq!(principals[0].directory_id.as_deref(), Some("id-ann"));
            let audit = store
                .audit(&AuditFilter { subject: Some("annie".into()), before_id: None, limit: 5 })
                .unwrap();
            assert_eq!(audit[0].action, "user.rename", "{audit:?}");
            assert!(audit[0].detail.as_deref().unwrap().contains("from ann"), "{audit:?}");
            // Said again, it changes nothing.
            let again =
                store.follow_directory_entry(DirectoryKind::User, "id-ann", "annie", true, NOW);
            assert_eq!(again.unwrap(), Followed::Unchanged);
        }

        #[test]
        fn a_group_renamed_in_the_directory_stays_a_principal_with_its_members() {
            let Some((_fixture, store)) = $open else { return };
            seed(&store);
            store
                .add_principals(&[Principal::Group("finance".into())], &allow_all, "t", NOW)
                .unwrap();
            // Added by name before its id was known: the first word from the directory links it.
            let linked =
                store.follow_directory_entry(DirectoryKind::Group, "g-1", "finance", false, NOW);
            assert_eq!(linked.unwrap(), Followed::Linked);
            let renamed =
                store.follow_directory_entry(DirectoryKind::Group, "g-1", "Money", false, NOW + 1);
            assert_eq!(renamed.unwrap(), Followed::Renamed { from: "finance".into() });

            let principals = store.principals().unwrap();
            assert_eq!(principals[0].principal, Principal::Group("Money".into()));
            assert_eq!(principals[0].directory_id.as_deref(), Some("g-1"));
            assert_eq!(principals[0].members, Some(2));
            assert_eq!(store.groups_of("bob").unwrap(), vec!["Money".to_string()]);
            assert_eq!(
                store.covered_users().unwrap(),
                vec!["bob".to_string(), "carol".to_string()]
            );
            assert_eq!(
                store.group_names_for_ids(&["g-1".into(), "unknown".into()]).unwrap(),
                vec!["Money".to_string()]
            );
            // A group the store never had is not made when not asked to.
            let absent =
                store.follow_directory_entry(DirectoryKind::Group, "g-2", "other", false, NOW);
            assert_eq!(absent.unwrap(), Followed::Absent);
            assert_eq!(store.directory_counts().unwrap(), (3, 1));
        }

        #[test]
        fn a_name_given_to_another_directory_entry_does_not_pass_on_the_old_holders_secret() {
            let Some((_fixture, store)) = $open else { return };
            store.follow_directory_entry(DirectoryKind::User, "id-old", "ann", true, NOW).unwrap();
            store.add_principals(&[Principal::User("ann".into())], &allow_all, "t", NOW).unwrap();
            store.issue_pending("ann", &secret(3), OWNER, NOW).unwrap();
            store.activate("ann", &secret(3), OWNER, 100, NOW).unwrap();

            // The old ann was deleted from the directory and a new one made under her name.
            let made =
                store.follow_directory_entry(DirectoryKind::User, "id-new", "ann", true, NOW + 1);
            assert_eq!(made.unwrap(), Followed::Created);
            assert!(store.enrollment("ann").unwrap().is_none(), "the newcomer enrolls afresh");
            // The old holder is set aside with her id, enrollment and principal entry, where the
            // admin sees her as no longer in the directory.
            let aside = "ann~id-old";
            assert_eq!(
                store.enrollment(aside).unwrap().unwrap().secret.to_base32(),
                secret(3).to_base32()
            );
            let principals = store.principals().unwrap();
            assert_eq!(principals.len(), 1);
            assert_eq!(principals[0].principal, Principal::User(aside.into()));
            assert_eq!(principals[0].directory_id.as_deref(), Some("id-old"));
        }

        #[test]
        fn address_failures_count_within_a_window() {
            let Some((_fixture, store)) = $open else { return };
            assert_eq!(store.record_address_failure("10.0.0.1", NOW, 60).unwrap(), 1);
            assert_eq!(store.record_address_failure("10.0.0.1", NOW + 1, 60).unwrap(), 2);
            assert_eq!(store.address_failures("10.0.0.1", NOW + 2, 60).unwrap(), 2);
            assert_eq!(store.address_failures("10.0.0.1", NOW + 61, 60).unwrap(), 0);
            assert_eq!(store.record_address_failure("10.0.0.1", NOW + 61, 60).unwrap(), 1);
        }
    };
}

mod sqlite {
    use super::*;
    shared_suite!(common::sqlite());
}

mod postgres {
    use super::*;
    shared_suite!(common::postgres());
}
