//! The store failing under the portal: the database held by another process longer than the
//! busy timeout, and the data directory's disk full. Both must give a clear "try again"
//! (503), lose nothing, and recover by themselves.

mod common;

use std::process::Command;
use std::time::Duration;

use axum::http::{header, StatusCode};
use common::{Browser, Portal};
use twofold_store::{DirectoryRepo, EnrollmentRepo};

#[tokio::test]
async fn a_database_held_by_another_process_gives_a_retryable_503_and_loses_nothing() {
    let p = Portal::with_demo_directory();
    p.enroll("alice", "alice-pw").await;
    let db = p.store.dir().join("twofold.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE; UPDATE users SET created = created;").unwrap();
        locked_tx.send(()).unwrap();
        // Longer than the store's 10-second busy timeout.
        std::thread::sleep(Duration::from_secs(12));
        conn.execute_batch("COMMIT").unwrap();
    });
    locked_rx.recv().unwrap();
    let reply = Browser::new().sign_in(p.app(), "carol", "carol-pw").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.body);
    assert!(reply.body.contains("busy"), "{}", reply.body);
    assert!(reply.headers.get(header::RETRY_AFTER).is_some());
    holder.join().unwrap();

    assert_eq!(Browser::new().sign_in(p.app(), "carol", "carol-pw").await.location(), Some("/"));
    assert_eq!(p.store.user_names().unwrap().len(), 3);
    assert!(p.store.enrollment("alice").unwrap().is_some());
}

/// A 4 MiB tmpfs at a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: Option<tempfile::TempDir>,
    mount: std::path::PathBuf,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().to_path_buf();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "twofold-test", mount.to_str().unwrap()])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("TWOFOLD_E2E_REQUIRE_TOOLS").is_none(),
                "mounting a tmpfs failed (the disk-full test needs root)"
            );
            return None;
        }
        Some(SmallDisk { dir: Some(dir), mount })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
        drop(self.dir.take());
    }
}

/// Writes a file until the disk is full.
fn fill(path: &std::path::Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
}

#[tokio::test]
async fn a_full_disk_gives_a_clear_503_keeps_existing_data_and_recovers() {
    let Some(mut disk) = SmallDisk::mount() else { return };
    let dir = disk.dir.take().unwrap();
    let p = Portal::in_dir(dir).demo_directory();
    p.enroll("alice", "alice-pw").await;
    let secret = p.store.enrollment("alice").unwrap().unwrap().secret;
    // Many sign-ins' worth of rows, so the WAL has no room left to grow into.
    let filler = disk.mount.join("filler");
    fill(&filler);

    let mut failures = 0;
    for n in 0..40 {
        let reply = Browser::new().sign_in(p.app(), "carol", &format!("wrong-{n}")).await;
        assert!(
            matches!(reply.status, StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE),
            "{}: {}",
            reply.status,
            reply.body
        );
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(reply.body.contains("cannot record"), "{}", reply.body);
            failures += 1;
        }
    }
    assert!(failures > 0, "the full disk was never noticed");

    std::fs::remove_file(&filler).unwrap();
    assert_eq!(Browser::new().sign_in(p.app(), "carol", "carol-pw").await.location(), Some("/"));
    let after = p.store.enrollment("alice").unwrap().unwrap();
    assert_eq!(after.secret.as_bytes(), secret.as_bytes());
    assert_eq!(p.store.user_names().unwrap().len(), 3);
    drop(p);
    drop(disk);
}
