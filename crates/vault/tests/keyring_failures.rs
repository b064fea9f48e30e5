//! Keyring failures give a clear error, never a hang, and leave nothing half-written: no bus,
//! a bus without a Secret Service, a keyring daemon that stops answering, a locked keyring.
//!
//! Each case needs a process-wide D-Bus address (or a daemon of its own to break), so the
//! parent test re-runs this binary on one `#[ignore]`d `child_…` test with the environment it
//! needs, and checks that the child passed. The children do nothing unless [`CHILD`] is set.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use twofold_core::{OtpAuth, Secret};
use twofold_vault::{KeyringStore, SecretStore, Vault, VaultError, SERVICE};

const CHILD: &str = "TWOFOLD_VAULT_TEST_CHILD";
const NOW: u64 = 1_700_000_000;

fn account(issuer: &str) -> OtpAuth {
    let secret = Secret::from_bytes((0..20).map(|_| rand::random::<u8>()).collect()).unwrap();
    OtpAuth::portal(issuer, "alice", secret)
}

/// Runs the ignored test `name` of this binary in a child process with `bus_address` as its
/// session bus (`None`: the variable removed), and fails if the child failed.
fn run_child(name: &str, bus_address: Option<&str>) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = Command::new(exe);
    command
        .args([name, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::null());
    match bus_address {
        Some(address) => command.env("DBUS_SESSION_BUS_ADDRESS", address),
        None => command.env_remove("DBUS_SESSION_BUS_ADDRESS"),
    };
    let out = command.output().expect("run the child test");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "child {name} failed:\n{text}");
    eprintln!("{text}");
}

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

fn expect_unavailable_and_nothing_written(dir: &Path) {
    // A generous timeout: the failure must come from the error, not from waiting it out.
    let store = KeyringStore::new().timeout(Duration::from_secs(60));
    let mut vault = Vault::open(dir, Arc::new(store)).unwrap();
    match vault.add(&account("Unavailable"), NOW) {
        Err(VaultError::KeyringUnavailable { hint }) => {
            eprintln!("KeyringUnavailable: {hint}");
            assert!(hint.contains("Start"), "the hint must say what to start: {hint}");
        }
        other => panic!("expected KeyringUnavailable, got {other:?}"),
    }
    assert!(vault.accounts().unwrap().is_empty(), "metadata was written without a secret");
}

#[test]
fn a_dead_session_bus_gives_keyring_unavailable() {
    run_child("child_dead_bus", Some("unix:path=/nonexistent/twofold-vault-test-bus"));
}

#[test]
#[ignore = "run in a child process by a_dead_session_bus_gives_keyring_unavailable"]
fn child_dead_bus() {
    if !is_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    expect_unavailable_and_nothing_written(dir.path());
}

/// A bus with no activatable services and no keyring on it.
const BARE_BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

#[test]
fn a_bus_without_a_secret_service_gives_keyring_unavailable() {
    if !common::tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bus.conf");
    std::fs::write(&config, BARE_BUS_CONFIG).unwrap();
    let mut bus = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon");
    let mut address = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(bus.stdout.take().unwrap()),
        &mut address,
    )
    .unwrap();
    let result = std::panic::catch_unwind(|| {
        run_child("child_bus_without_secret_service", Some(address.trim()));
    });
    let _ = bus.kill();
    let _ = bus.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
#[ignore = "run in a child process by a_bus_without_a_secret_service_gives_keyring_unavailable"]
fn child_bus_without_secret_service() {
    if !is_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    expect_unavailable_and_nothing_written(dir.path());
}

#[test]
fn a_keyring_that_stops_answering_times_out_and_a_late_write_is_undone() {
    run_child("child_stopped_keyring", None);
}

#[test]
#[ignore = "run in a child process by a_keyring_that_stops_answering_…"]
fn child_stopped_keyring() {
    if !is_child() {
        return;
    }
    let Some(session) = common::session() else { return };
    let store = Arc::new(KeyringStore::new().timeout(Duration::from_secs(2)));
    store.check().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), store.clone()).unwrap();

    common::signal(session.keyring_pid, "STOP");
    let outcome = vault.add(&account("StoppedKeyring"), NOW);
    common::signal(session.keyring_pid, "CONT");
    assert!(matches!(outcome, Err(VaultError::KeyringTimeout { .. })), "{outcome:?}");
    assert!(vault.accounts().unwrap().is_empty(), "metadata written after a timeout");

    // While the abandoned write is still in flight the store fails fast; once the daemon has
    // answered it (and the late write has been deleted again) the store works again.
    let mut answered = false;
    for _ in 0..600 {
        match store.get("probe") {
            Err(VaultError::KeyringTimeout { .. }) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            other => {
                assert!(matches!(other, Ok(None)), "{other:?}");
                answered = true;
                break;
            }
        }
    }
    assert!(answered, "the keyring never answered again after SIGCONT");
    let listed = common::secret_tool(&["search", "--all", "service", SERVICE]);
    assert!(!listed.contains("StoppedKeyring"), "a late write was left behind:\n{listed}");
}

#[test]
fn a_locked_keyring_gives_keyring_locked_or_timeout_not_a_hang() {
    run_child("child_locked_keyring", None);
}

#[test]
#[ignore = "run in a child process by a_locked_keyring_gives_…"]
fn child_locked_keyring() {
    if !is_child() {
        return;
    }
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = || Arc::new(KeyringStore::new().timeout(Duration::from_secs(3)));
    let mut vault = Vault::open(dir.path(), store()).unwrap();
    vault.add(&account("LockedKeyring"), NOW).unwrap();
    common::lock_login_collection();

    // A new session has no cached secret and must ask the (locked) keyring.
    let mut fresh = Vault::open(dir.path(), store()).unwrap();
    let err = fresh.list_with_codes(NOW).unwrap_err();
    eprintln!("locked keyring: {err}");
    assert!(
        matches!(err, VaultError::KeyringLocked | VaultError::KeyringTimeout { .. }),
        "{err:?}"
    );
    assert_eq!(fresh.accounts().unwrap().len(), 1, "the account must survive a locked keyring");
}
