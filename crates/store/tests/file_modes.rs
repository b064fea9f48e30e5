//! Everything the store keeps in its data directory is private to the portal's user whatever
//! the umask: the directory 0700, the database with its `-wal`/`-shm` and the key file 0600,
//! for a new directory and for one left readable by an older build or by hand.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use twofold_store::{DirectoryRepo, SqliteStore};

const NOW: i64 = 1_700_000_000;

extern "C" {
    // libc's umask(2) (mode_t is u32 on Linux), declared here rather than pulling in the libc
    // crate for one test call.
    fn umask(mask: u32) -> u32;
}

/// The permissive umask most systems default to: what makes files 0644 if the store lets it.
fn permissive_umask() {
    // SAFETY: umask only swaps the process's file mode mask; every test here wants 022.
    unsafe {
        umask(0o022);
    }
}

/// The permission bits in octal, as `ls -l` and chmod speak of them.
fn mode(path: &Path) -> String {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{:o}", meta.permissions().mode() & 0o777)
}

fn assert_private(dir: &Path) {
    assert_eq!(mode(dir), "700", "{}", dir.display());
    for name in ["twofold.db", "twofold.db-wal", "twofold.db-shm", "secrets.key"] {
        assert_eq!(mode(&dir.join(name)), "600", "{name}");
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bits = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(bits & 0o077, 0, "{} is open to others", path.display());
    }
}

#[test]
fn a_new_data_directory_is_private_under_a_permissive_umask() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let store = SqliteStore::open(&dir).unwrap();
    store.add_user("alice", "$argon2id$hash", "test", NOW).unwrap();
    assert_private(&dir);
}

#[test]
fn an_existing_world_readable_directory_is_made_private_on_open() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    {
        let store = SqliteStore::open(&dir).unwrap();
        store.add_user("alice", "$argon2id$hash", "test", NOW).unwrap();
        // `store` stays open, so the -wal and -shm are still there when the modes are loosened.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for name in ["twofold.db", "twofold.db-wal", "twofold.db-shm", "secrets.key"] {
            let path = dir.join(name);
            assert!(path.exists(), "{name} should exist while the store is open");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let reopened = SqliteStore::open(&dir).unwrap();
        assert_private(&dir);
        assert!(reopened.user("alice").unwrap().is_some());
    }
}

#[test]
fn a_directory_made_by_hand_with_a_database_made_by_another_tool_is_made_private() {
    permissive_umask();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    assert_eq!(mode(&dir), "755", "the umask should have made the directory 0755");
    // SQLite on its own follows the umask: 0644 for the database and its WAL files, which
    // stay while this connection is open (as while a portal is serving).
    let other = rusqlite::Connection::open(dir.join("twofold.db")).unwrap();
    other.pragma_update(None, "journal_mode", "WAL").unwrap();
    other.execute_batch("CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1);").unwrap();
    for name in ["twofold.db", "twofold.db-wal", "twofold.db-shm"] {
        assert_eq!(mode(&dir.join(name)), "644", "{name} before the store opened it");
    }
    let _store = SqliteStore::open(&dir).unwrap();
    assert_private(&dir);
}
