//! The key file and the database belong together: a lost or swapped `secrets.key` stops the
//! store from opening (with what to restore) instead of being silently replaced by a new key
//! that opens none of the enrolled secrets. A brand-new directory still just works.

use std::path::{Path, PathBuf};

use twofold_core::Secret;
use twofold_store::{DirectoryRepo, EnrollmentRepo, SqliteStore, StoreError};

const NOW: i64 = 1_700_000_000;

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    (tmp, dir)
}

fn key_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("secrets.key")).unwrap()
}

/// Gives `user` a pending secret (twenty 7s), sealed under the directory's key.
fn seal_a_secret(store: &SqliteStore, user: &str) {
    let secret = Secret::from_bytes(vec![7; 20]).unwrap();
    store.issue_pending(user, &secret, b"session-hash", NOW).unwrap();
}

/// A directory with one user who has a (pending) secret sealed under its key.
fn enrolled_directory() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = data_dir();
    let store = SqliteStore::open(&dir).unwrap();
    store.add_user("alice", "hash", "test", NOW).unwrap();
    seal_a_secret(&store, "alice");
    (tmp, dir)
}

#[test]
fn a_brand_new_directory_gets_a_key_and_opens_again_with_it() {
    let (_tmp, dir) = data_dir();
    let store = SqliteStore::open(&dir).unwrap();
    store.add_user("alice", "hash", "test", NOW).unwrap();
    seal_a_secret(&store, "alice");
    let key = key_bytes(&dir);
    drop(store);
    let again = SqliteStore::open(&dir).unwrap();
    assert_eq!(key_bytes(&dir), key, "reopening must not touch the key file");
    assert_eq!(again.enrollment("alice").unwrap().unwrap().secret.as_bytes(), &[7; 20]);
}

#[test]
fn a_missing_key_file_with_enrolled_users_is_refused_and_not_recreated() {
    let (_tmp, dir) = enrolled_directory();
    std::fs::remove_file(dir.join("secrets.key")).unwrap();
    let err = SqliteStore::open(&dir).err().expect("must refuse");
    assert!(matches!(err, StoreError::KeyMissing { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("secrets.key") && message.contains("backup"), "{message}");
    assert!(message.contains("DELETE FROM enrollments"), "says how to start over: {message}");
    assert!(!dir.join("secrets.key").exists(), "no new key file may be created");
    // Still refused the second time: the first refusal left nothing behind that hides it.
    assert!(matches!(SqliteStore::open(&dir), Err(StoreError::KeyMissing { .. })));
}

#[test]
fn a_missing_key_file_is_refused_even_after_every_user_was_reset() {
    let (_tmp, dir) = enrolled_directory();
    let store = SqliteStore::open(&dir).unwrap();
    store.reset(&["alice".to_string()], "test", NOW).unwrap();
    drop(store);
    std::fs::remove_file(dir.join("secrets.key")).unwrap();
    // No enrollment rows are left, but the check value still says a key was in use.
    let err = SqliteStore::open(&dir).err().expect("must refuse");
    assert!(matches!(err, StoreError::KeyMissing { .. }), "{err}");
}

#[test]
fn another_directorys_key_file_is_refused_and_kept() {
    let (_tmp, dir) = enrolled_directory();
    let (_other_tmp, other) = data_dir();
    drop(SqliteStore::open(&other).unwrap());
    let wrong = key_bytes(&other);
    std::fs::write(dir.join("secrets.key"), &wrong).unwrap();
    let err = SqliteStore::open(&dir).err().expect("must refuse");
    assert!(matches!(err, StoreError::KeyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("backup"), "{err}");
    assert_eq!(key_bytes(&dir), wrong, "the key file is left for the operator to replace");
}

#[test]
fn restoring_the_key_file_from_backup_opens_the_secrets_again() {
    let (_tmp, dir) = enrolled_directory();
    let backup = key_bytes(&dir);
    std::fs::remove_file(dir.join("secrets.key")).unwrap();
    assert!(SqliteStore::open(&dir).is_err());
    std::fs::write(dir.join("secrets.key"), &backup).unwrap();
    let store = SqliteStore::open(&dir).unwrap();
    assert_eq!(store.enrollment("alice").unwrap().unwrap().secret.as_bytes(), &[7; 20]);
}

#[test]
fn starting_over_as_the_message_says_gives_a_new_key_and_keeps_the_users() {
    let (_tmp, dir) = enrolled_directory();
    std::fs::remove_file(dir.join("secrets.key")).unwrap();
    assert!(SqliteStore::open(&dir).is_err());
    let conn = rusqlite::Connection::open(dir.join("twofold.db")).unwrap();
    conn.execute_batch(
        "DELETE FROM enrollments; DELETE FROM settings WHERE key = 'secrets.key_check'",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&dir).unwrap();
    assert!(dir.join("secrets.key").exists());
    assert!(store.user("alice").unwrap().is_some());
    assert!(store.enrollment("alice").unwrap().is_none());
}

#[test]
fn a_database_without_users_and_no_key_file_gets_a_new_key() {
    // Nothing was ever sealed: a new key loses nothing (e.g. a directory whose key was
    // created by a command that then failed, or only users and groups so far).
    let (_tmp, dir) = data_dir();
    let store = SqliteStore::open(&dir).unwrap();
    store.add_user("alice", "hash", "test", NOW).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.join("twofold.db")).unwrap();
    conn.execute("DELETE FROM settings WHERE key = 'secrets.key_check'", []).unwrap();
    drop(conn);
    std::fs::remove_file(dir.join("secrets.key")).unwrap();
    let store = SqliteStore::open(&dir).unwrap();
    assert!(dir.join("secrets.key").exists());
    assert!(store.user("alice").unwrap().is_some());
}

#[test]
fn a_database_from_before_check_values_is_checked_against_its_secrets() {
    // Built as an older release left it: enrollments sealed under the key, no check value.
    let (_tmp, dir) = enrolled_directory();
    let strip_check = |dir: &Path| {
        let conn = rusqlite::Connection::open(dir.join("twofold.db")).unwrap();
        conn.execute("DELETE FROM settings WHERE key = 'secrets.key_check'", []).unwrap();
    };
    strip_check(&dir);
    let right = key_bytes(&dir);

    let (_other_tmp, other) = data_dir();
    drop(SqliteStore::open(&other).unwrap());
    std::fs::write(dir.join("secrets.key"), key_bytes(&other)).unwrap();
    let err = SqliteStore::open(&dir).err().expect("a key that opens no secret must refuse");
    assert!(matches!(err, StoreError::KeyMismatch { .. }), "{err}");

    std::fs::write(dir.join("secrets.key"), &right).unwrap();
    let store = SqliteStore::open(&dir).unwrap();
    assert_eq!(store.enrollment("alice").unwrap().unwrap().secret.as_bytes(), &[7; 20]);
    drop(store);
    // The check value is stored now: the wrong key is refused even with no enrollment left.
    let store = SqliteStore::open(&dir).unwrap();
    store.reset(&["alice".to_string()], "test", NOW).unwrap();
    drop(store);
    std::fs::write(dir.join("secrets.key"), key_bytes(&other)).unwrap();
    assert!(matches!(SqliteStore::open(&dir), Err(StoreError::KeyMismatch { .. })));
}
