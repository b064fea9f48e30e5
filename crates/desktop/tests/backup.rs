//! The automatic encrypted backup, through the Authenticator service without a window: turned
//! on, it writes a backup at once and after every change; each one is an Aegis vault that
//! Twofold's importer opens with the password and no other, holding every account field by
//! field; the last N are kept and nothing else in the folder is touched; a folder that cannot
//! be used is refused before anything is saved; a backup failing later does not undo the
//! change and is reported with the list until one succeeds again; turned off, nothing more is
//! written and the password leaves the keyring.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use twofold_desktop::authenticator::backup::{backups_in, PASSWORD_ITEM};
use twofold_desktop::authenticator::{Authenticator, BackupChoice, MemoryClipboard};
use twofold_vault::{MemoryStore, SecretStore};

const PASSWORD: &str = "backup pass 7";
const LINKS: [&str; 3] = [
    "otpauth://totp/ACME:ann?secret=JBSWY3DPEHPK3PXP&issuer=ACME",
    "otpauth://totp/Bank:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Bank&digits=8&period=60&algorithm=SHA256",
    "otpauth://hotp/Shop:carol?secret=KRSXG5CTMVRXEZLU&issuer=Shop&counter=7",
];

struct Setup {
    dir: tempfile::TempDir,
    folder: tempfile::TempDir,
    store: Arc<MemoryStore>,
    app: Authenticator,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(AtomicU64::new(1_764_633_600));
    let ticking = Arc::clone(&clock);
    // Each reading of the clock is a second later, as changes by a person would be.
    let app = Authenticator::with_clock(
        dir.path(),
        store.clone(),
        Arc::new(MemoryClipboard::default()),
        Box::new(move || ticking.fetch_add(1, Ordering::SeqCst)),
    );
    Setup { dir, folder, store, app }
}

fn choice(folder: &Path, keep: u32) -> BackupChoice {
    BackupChoice { folder: folder.display().to_string(), keep, password: PASSWORD.into() }
}

fn newest(folder: &Path) -> std::path::PathBuf {
    backups_in(folder).unwrap().pop().expect("a backup")
}

/// The accounts of a backup, as `otpauth://` URIs (every field, the secret included).
fn read_backup(path: &Path, password: Option<&str>) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).unwrap();
    twofold_core::import::detect_and_import(&bytes, password)
        .map(|r| r.accounts.iter().map(|a| a.to_uri().to_string()).collect())
        .map_err(|e| e.to_string())
}

fn parsed(uri: &str) -> twofold_core::OtpAuth {
    twofold_core::OtpAuth::parse(uri).unwrap()
}

fn assert_same_accounts(got: &[String], want: &[&str]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        let (g, w) = (parsed(g), parsed(w));
        assert_eq!(g.secret.as_bytes(), w.secret.as_bytes());
        assert_eq!((g.issuer, g.account), (w.issuer, w.account));
        assert_eq!((g.algorithm, g.digits, g.kind), (w.algorithm, w.digits, w.kind));
    }
}

#[test]
fn turning_the_backup_on_writes_one_at_once_that_opens_with_its_password_only() {
    let s = setup();
    s.app.add_text(LINKS[0]).unwrap();
    let status = s.app.set_backup(&choice(s.folder.path(), 3)).unwrap();
    assert!(status.enabled && status.problem.is_none());
    let path = newest(s.folder.path());
    assert_eq!(status.last_path.as_deref(), Some(path.to_str().unwrap()));
    assert!(path.file_name().unwrap().to_str().unwrap().starts_with("twofold-backup-2025"));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_same_accounts(&read_backup(&path, Some(PASSWORD)).unwrap(), &LINKS[..1]);
    assert!(read_backup(&path, Some("another one")).is_err());
    assert!(read_backup(&path, None).is_err());
    assert!(s.store.get(PASSWORD_ITEM).unwrap().is_some(), "the password is in the keyring");
    let settings = std::fs::read_to_string(s.dir.path().join("backup.json")).unwrap();
    assert!(!settings.contains(PASSWORD), "the password is not in the settings: {settings}");
}

#[test]
fn every_change_writes_a_backup_and_only_the_last_n_are_kept() {
    let s = setup();
    std::fs::write(s.folder.path().join("notes.txt"), "mine").unwrap();
    std::fs::write(s.folder.path().join("twofold-backup-notes.json"), "mine too").unwrap();
    s.app.add_text(LINKS[0]).unwrap();
    s.app.set_backup(&choice(s.folder.path(), 2)).unwrap();
    assert_eq!(backups_in(s.folder.path()).unwrap().len(), 1);

    s.app.add_text(LINKS[1]).unwrap();
    assert_eq!(backups_in(s.folder.path()).unwrap().len(), 2);
    assert_same_accounts(
        &read_backup(&newest(s.folder.path()), Some(PASSWORD)).unwrap(),
        &LINKS[..2],
    );

    s.app.add_text(LINKS[2]).unwrap();
    let kept = backups_in(s.folder.path()).unwrap();
    assert_eq!(kept.len(), 2, "the oldest beyond 2 was removed: {kept:?}");
    assert_same_accounts(&read_backup(&newest(s.folder.path()), Some(PASSWORD)).unwrap(), &LINKS);

    // An HOTP counter moving is a change (the backup holds the next counter).
    let hotp =
        s.app.list().unwrap().accounts.iter().find(|a| a.account == "carol").unwrap().id.clone();
    let before = newest(s.folder.path());
    s.app.next_hotp(&hotp).unwrap();
    let after = newest(s.folder.path());
    assert_ne!(before, after);
    let uris = read_backup(&after, Some(PASSWORD)).unwrap();
    let carol = uris.iter().find(|u| u.contains("carol")).unwrap();
    assert_eq!(parsed(carol).kind, twofold_core::OtpKind::Hotp { counter: 8 });

    // Reordering and deleting are changes too.
    let first = s.app.list().unwrap().accounts[0].id.clone();
    s.app.move_account(&first, 2).unwrap();
    assert_ne!(newest(s.folder.path()), after);
    s.app.delete(&first).unwrap();
    assert_eq!(read_backup(&newest(s.folder.path()), Some(PASSWORD)).unwrap().len(), 2);

    assert_eq!(std::fs::read_to_string(s.folder.path().join("notes.txt")).unwrap(), "mine");
    assert!(s.folder.path().join("twofold-backup-notes.json").exists());
    assert_eq!(backups_in(s.folder.path()).unwrap().len(), 2);
}

#[test]
fn a_folder_that_cannot_be_used_is_refused_and_nothing_is_saved() {
    let s = setup();
    s.app.add_text(LINKS[0]).unwrap();
    let missing = s.folder.path().join("not-there");
    assert_eq!(s.app.set_backup(&choice(&missing, 3)).unwrap_err().kind(), "backup_folder");
    let relative = BackupChoice { folder: "backups".into(), keep: 3, password: PASSWORD.into() };
    assert_eq!(s.app.set_backup(&relative).unwrap_err().kind(), "backup_folder");
    assert_eq!(s.app.set_backup(&choice(s.folder.path(), 0)).unwrap_err().kind(), "backup_keep");
    let no_password = BackupChoice {
        folder: s.folder.path().display().to_string(),
        keep: 3,
        password: String::new(),
    };
    assert_eq!(s.app.set_backup(&no_password).unwrap_err().kind(), "export_password_required");
    assert!(!s.app.backup_status().enabled);
    assert!(!s.dir.path().join("backup.json").exists());
    assert!(s.store.get(PASSWORD_ITEM).unwrap().is_none());
}

#[test]
fn a_backup_that_fails_later_keeps_the_change_and_is_reported_until_one_succeeds() {
    let s = setup();
    s.app.add_text(LINKS[0]).unwrap();
    s.app.set_backup(&choice(s.folder.path(), 5)).unwrap();
    std::fs::set_permissions(s.folder.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let writable = std::fs::File::create(s.folder.path().join("probe")).is_ok();
    if writable {
        // As root a read-only folder is still writable: take the folder away instead.
        std::fs::set_permissions(s.folder.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::remove_dir_all(s.folder.path()).unwrap();
    }
    s.app.add_text(LINKS[1]).unwrap();
    let list = s.app.list().unwrap();
    assert_eq!(list.accounts.len(), 2, "the change is kept");
    let problem = list.backup_problem.expect("the failed backup is reported with the list");
    assert_eq!(problem.kind, "write_failed");
    assert!(s.app.backup_status().problem.is_some());

    if writable {
        std::fs::create_dir(s.folder.path()).unwrap();
    } else {
        std::fs::set_permissions(s.folder.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    s.app.add_text(LINKS[2]).unwrap();
    assert!(s.app.list().unwrap().backup_problem.is_none(), "the next backup succeeded");
    assert_same_accounts(&read_backup(&newest(s.folder.path()), Some(PASSWORD)).unwrap(), &LINKS);
}

#[test]
fn a_password_missing_from_the_keyring_is_reported_not_guessed() {
    let s = setup();
    s.app.add_text(LINKS[0]).unwrap();
    s.app.set_backup(&choice(s.folder.path(), 5)).unwrap();
    s.store.delete(PASSWORD_ITEM).unwrap();
    s.app.add_text(LINKS[1]).unwrap();
    assert_eq!(s.app.list().unwrap().backup_problem.unwrap().kind, "backup_password_missing");
}

#[test]
fn turned_off_nothing_more_is_written_and_the_password_leaves_the_keyring() {
    let s = setup();
    s.app.add_text(LINKS[0]).unwrap();
    s.app.set_backup(&choice(s.folder.path(), 5)).unwrap();
    let off = s.app.turn_off_backup().unwrap();
    assert!(!off.enabled);
    assert!(s.store.get(PASSWORD_ITEM).unwrap().is_none());
    s.app.add_text(LINKS[1]).unwrap();
    assert_eq!(backups_in(s.folder.path()).unwrap().len(), 1, "the earlier backup stays");
}
