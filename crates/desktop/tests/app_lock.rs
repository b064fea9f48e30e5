//! The Authenticator window's app lock, through the service without a window, with the clock
//! in the test's hands: off until set; once set, shut at start, on demand and after the idle
//! time; while shut, every command that would show a code, an account name or a secret is
//! refused; it opens with its password only, and wrong passwords are throttled across a
//! restart; the account names stay in sight while shut only if the user chose so, and never a
//! code; the file holds an Argon2 hash, never the password; a damaged file keeps it shut;
//! the session bus's screen saver signal shuts it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use twofold_desktop::authenticator::app_lock::LOCK_FILE;
use twofold_desktop::authenticator::{
    AuthError, Authenticator, ExportFormat, LockChange, LockedName, MemoryClipboard, TrayAccounts,
};
use twofold_vault::MemoryStore;

const LINK: &str = "otpauth://totp/ACME:ann?secret=JBSWY3DPEHPK3PXP&issuer=ACME";
const PASSWORD: &str = "desk lamp 42";

struct Setup {
    dir: tempfile::TempDir,
    store: Arc<MemoryStore>,
    clock: Arc<AtomicU64>,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            dir: tempfile::tempdir().unwrap(),
            store: Arc::new(MemoryStore::new()),
            clock: Arc::new(AtomicU64::new(1_000_000)),
        }
    }

    /// The window's authenticator (a restart is a new one over the same folder and keyring).
    fn app(&self) -> Authenticator {
        let clock = Arc::clone(&self.clock);
        Authenticator::with_clock(
            self.dir.path(),
            self.store.clone(),
            Arc::new(MemoryClipboard::default()),
            Box::new(move || clock.load(Ordering::SeqCst)),
        )
        .with_app_lock()
    }

    fn advance(&self, secs: u64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }
}

fn set(password: &str, idle_secs: Option<u64>) -> LockChange {
    LockChange { current: None, password: Some(password.into()), idle_secs, show_names: false }
}

fn is_locked<T>(result: Result<T, AuthError>) -> bool {
    matches!(result, Err(AuthError::Locked))
}

#[test]
fn without_a_password_the_lock_is_off_and_offered_once_declined_never_again() {
    let s = Setup::new();
    let app = s.app();
    let status = app.lock_status();
    assert!(!status.enabled && !status.locked && status.offer);
    assert!(!app.lock_now(), "nothing to lock without a password");
    app.add_text(LINK).unwrap();
    assert_eq!(app.list().unwrap().accounts.len(), 1);
    assert!(!app.decline_lock_offer().unwrap().offer);
    assert!(!s.app().lock_status().offer, "declining is remembered across a restart");
}

#[test]
fn a_locked_app_refuses_every_command_that_shows_codes_names_or_secrets() {
    let s = Setup::new();
    let app = s.app();
    app.add_text(LINK).unwrap();
    let id = app.list().unwrap().accounts[0].id.clone();
    app.set_lock(&set(PASSWORD, None)).unwrap();
    assert!(app.lock_now());

    assert!(is_locked(app.list()));
    assert!(is_locked(app.copy(&id)));
    assert!(is_locked(app.next_hotp(&id)));
    assert!(is_locked(app.account_qr(&id)));
    assert!(is_locked(app.transfer_codes()));
    assert!(is_locked(app.export(ExportFormat::UriList, None)));
    assert!(is_locked(app.move_account(&id, 0)));
    assert!(is_locked(app.delete(&id)));
    assert!(is_locked(app.add_text("otpauth://totp/B:bob?secret=GEZDGNBVGY3TQOJQ")));
    assert!(is_locked(app.set_lock(&LockChange {
        current: Some(PASSWORD.into()),
        password: None,
        idle_secs: None,
        show_names: true,
    })));
    assert!(is_locked(app.remove_lock(PASSWORD)));

    app.unlock(PASSWORD).unwrap();
    let list = app.list().unwrap();
    assert_eq!(list.accounts.len(), 1, "the account was not touched while locked");
    assert!(list.accounts[0].code.is_some());
}

#[test]
fn the_names_stay_in_sight_while_locked_only_when_chosen_and_never_with_a_code() {
    let s = Setup::new();
    let app = s.app();
    app.add_text(LINK).unwrap();
    app.set_lock(&set(PASSWORD, None)).unwrap();
    assert!(app.lock_now());
    assert!(!app.lock_status().show_names, "hidden unless chosen");
    assert!(app.names_while_locked().unwrap().is_empty());
    assert_eq!(app.tray_accounts(), TrayAccounts::Locked(vec![]));

    app.unlock(PASSWORD).unwrap();
    let keep_names = LockChange {
        current: Some(PASSWORD.into()),
        password: None,
        idle_secs: None,
        show_names: true,
    };
    assert!(app.set_lock(&keep_names).unwrap().show_names);
    assert!(app.names_while_locked().unwrap().is_empty(), "unlocked, the list itself names them");
    assert!(app.lock_now());
    // The names come from the account database alone: no keyring is needed to show them.
    s.store.set_available(false);
    let ann = LockedName { issuer: Some("ACME".into()), account: "ann".into() };
    assert_eq!(app.names_while_locked().unwrap(), vec![ann.clone()]);
    assert!(is_locked(app.list()), "the codes stay hidden");
    assert_eq!(app.tray_accounts(), TrayAccounts::Locked(vec!["ACME — ann".into()]));

    let restarted = s.app();
    assert!(restarted.lock_status().locked && restarted.lock_status().show_names);
    assert_eq!(restarted.names_while_locked().unwrap(), vec![ann], "the choice is kept");
}

#[test]
fn a_set_lock_is_shut_when_the_app_starts_and_opens_with_its_password_only() {
    let s = Setup::new();
    s.app().set_lock(&set(PASSWORD, None)).unwrap();
    let app = s.app();
    assert!(app.lock_status().locked);
    assert!(matches!(app.unlock("desk lamp 43"), Err(AuthError::WrongLockPassword { .. })));
    assert!(is_locked(app.list()));
    assert!(!app.unlock(PASSWORD).unwrap().locked);
    assert!(app.list().is_ok());
}

#[test]
fn the_lock_file_holds_an_argon2_hash_readable_by_the_user_only_and_never_the_password() {
    use std::os::unix::fs::PermissionsExt;
    let s = Setup::new();
    s.app().set_lock(&set(PASSWORD, Some(300))).unwrap();
    let path = s.dir.path().join(LOCK_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("$argon2id$"), "{text}");
    assert!(!text.contains(PASSWORD) && !text.contains("desk"), "{text}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn the_app_locks_after_the_idle_time_and_use_of_the_window_postpones_it() {
    let s = Setup::new();
    let app = s.app();
    app.set_lock(&set(PASSWORD, Some(60))).unwrap();
    s.advance(50);
    assert!(!app.lock_if_idle());
    app.activity();
    s.advance(50);
    assert!(!app.lock_if_idle(), "used 50 s ago: not idle for 60 s yet");
    assert!(app.list().is_ok());
    s.advance(10);
    // The list's own refresh is not use: it does not postpone the lock.
    assert!(app.lock_if_idle());
    assert!(app.lock_status().locked);
    assert!(is_locked(app.list()));
    // A command after the idle time locks too, even before the timer noticed.
    app.unlock(PASSWORD).unwrap();
    s.advance(61);
    assert!(is_locked(app.list()));
}

#[test]
fn wrong_passwords_are_throttled_and_a_restart_does_not_reset_the_count() {
    let s = Setup::new();
    s.app().set_lock(&set(PASSWORD, None)).unwrap();
    let app = s.app();
    for _ in 0..twofold_core::app_lock::FREE_ATTEMPTS - 1 {
        assert!(matches!(
            app.unlock("nope"),
            Err(AuthError::WrongLockPassword { retry_after_secs: 0 })
        ));
    }
    let Err(AuthError::WrongLockPassword { retry_after_secs: wait }) = app.unlock("nope") else {
        panic!("the last free attempt is a wrong password")
    };
    assert_eq!(wait, 2);
    // Even the right password is not tried during the wait…
    let restarted = s.app();
    assert!(matches!(
        restarted.unlock(PASSWORD),
        Err(AuthError::LockThrottled { retry_after_secs: 2 })
    ));
    assert!(restarted.lock_status().locked);
    // …and is heard once it is over; the count starts again.
    s.advance(2);
    assert!(!restarted.unlock(PASSWORD).unwrap().locked);
    assert_eq!(restarted.lock_status().retry_after_secs, 0);
    assert!(restarted.lock_now());
    assert!(matches!(
        restarted.unlock("nope"),
        Err(AuthError::WrongLockPassword { retry_after_secs: 0 })
    ));
}

#[test]
fn changing_or_removing_the_lock_asks_for_the_current_password() {
    let s = Setup::new();
    let app = s.app();
    app.set_lock(&set(PASSWORD, None)).unwrap();
    let wrong = LockChange {
        current: Some("guess".into()),
        password: Some("new one".into()),
        idle_secs: None,
        show_names: false,
    };
    assert!(matches!(app.set_lock(&wrong), Err(AuthError::WrongLockPassword { .. })));
    assert!(matches!(app.remove_lock("guess"), Err(AuthError::WrongLockPassword { .. })));

    // The idle time alone, keeping the password.
    let idle_only = LockChange {
        current: Some(PASSWORD.into()),
        password: None,
        idle_secs: Some(120),
        show_names: false,
    };
    assert_eq!(app.set_lock(&idle_only).unwrap().idle_secs, Some(120));
    assert!(app.lock_now());
    app.unlock(PASSWORD).unwrap();

    let off = app.remove_lock(PASSWORD).unwrap();
    assert!(!off.enabled && !off.offer);
    assert!(!s.app().lock_status().locked, "no lock after a restart either");
}

#[test]
fn a_short_password_or_idle_time_is_refused_and_nothing_is_set() {
    let s = Setup::new();
    let app = s.app();
    assert_eq!(app.set_lock(&set("abc", None)).unwrap_err().kind(), "lock_password_too_short");
    assert_eq!(app.set_lock(&set(PASSWORD, Some(1))).unwrap_err().kind(), "lock_idle_too_short");
    let none = LockChange { current: None, password: None, idle_secs: None, show_names: false };
    assert_eq!(app.set_lock(&none).unwrap_err().kind(), "lock_password_too_short");
    assert!(!app.lock_status().enabled);
    assert!(!s.dir.path().join(LOCK_FILE).exists());
}

#[test]
fn a_damaged_lock_file_keeps_the_app_locked_and_says_which_file() {
    let s = Setup::new();
    s.app().add_text(LINK).unwrap();
    std::fs::write(s.dir.path().join(LOCK_FILE), "{ not json").unwrap();
    let app = s.app();
    assert!(app.lock_status().locked);
    let err = app.unlock(PASSWORD).unwrap_err();
    assert_eq!(err.kind(), "lock_file_damaged");
    assert!(err.to_string().contains(LOCK_FILE), "{err}");
    assert!(is_locked(app.list()));
}

#[test]
fn the_command_line_is_not_behind_the_window_lock() {
    let s = Setup::new();
    let app = s.app();
    app.add_text(LINK).unwrap();
    app.set_lock(&set(PASSWORD, None)).unwrap();
    let cli =
        Authenticator::new(s.dir.path(), s.store.clone(), Arc::new(MemoryClipboard::default()));
    assert_eq!(cli.list().unwrap().accounts.len(), 1);
}

#[test]
fn locking_wipes_the_pending_scan_so_it_cannot_be_confirmed_after_unlocking() {
    let s = Setup::new();
    let app = s.app();
    app.set_lock(&set(PASSWORD, None)).unwrap();
    let two =
        "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP\notpauth://totp/B:b?secret=GEZDGNBVGY3TQOJQ";
    let twofold_desktop::authenticator::Offer::Preview { preview } = app.add_text(two).unwrap()
    else {
        panic!("two links are previewed")
    };
    app.lock_now();
    app.unlock(PASSWORD).unwrap();
    assert_eq!(app.confirm(preview.id, &[0, 1]).unwrap_err().kind(), "preview_expired");
    assert!(app.list().unwrap().accounts.is_empty());
}

/// A private session bus (dbus-daemon from Debian), as the e2e tests use.
fn private_bus() -> Option<(std::process::Child, String)> {
    use std::io::BufRead;
    let mut child = std::process::Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take()?).read_line(&mut line).ok()?;
    Some((child, line.trim().to_string()))
}

#[test]
fn the_screen_savers_active_signal_on_the_session_bus_locks_and_its_inactive_one_does_not() {
    let Some((mut bus, address)) = private_bus() else {
        assert!(
            std::env::var_os("TWOFOLD_E2E_REQUIRE_TOOLS").is_none(),
            "dbus-daemon is needed (make deps installs dbus)"
        );
        return;
    };
    let s = Setup::new();
    let app = s.app();
    app.set_lock(&set(PASSWORD, None)).unwrap();
    let watched = app.clone();
    twofold_desktop::authenticator::session_lock::watch_screen_saver(Some(&address), move || {
        watched.lock_now();
    })
    .unwrap();
    let send = |interface: &str, active: &str| {
        let status = std::process::Command::new("dbus-send")
            .arg(format!("--bus={address}"))
            .args(["--type=signal", "/org/freedesktop/ScreenSaver"])
            .arg(format!("{interface}.ActiveChanged"))
            .arg(format!("boolean:{active}"))
            .status()
            .unwrap();
        assert!(status.success());
    };
    let locked_within = |secs: u64| {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < until {
            if app.lock_status().locked {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    };
    send("org.freedesktop.ScreenSaver", "false");
    send("org.example.NotASaver", "true");
    assert!(!locked_within(1), "a screen saver turning off, or another interface, does not lock");
    send("org.freedesktop.ScreenSaver", "true");
    assert!(locked_within(5), "the screen saver's ActiveChanged(true) locks the app");
    app.unlock(PASSWORD).unwrap();
    send("org.gnome.ScreenSaver", "true");
    assert!(locked_within(5), "GNOME's screen saver signal locks too");
    let _ = bus.kill();
    let _ = bus.wait();
}
