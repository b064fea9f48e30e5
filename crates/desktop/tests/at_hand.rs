//! "Always at hand" through the Authenticator service, without a window: the quick-pick's
//! list puts the account the focused window names first; Enter's copy and the typed code are
//! the code of that instant (HOTP: the next one, with the counter moved); a code that cannot be
//! typed goes on the clipboard and says why; the tray's model names the accounts, and none
//! while the app is locked; the tray and shortcut settings keep what the user chose, refuse a
//! shortcut that would take keys from every program, and fall back to the defaults, saying
//! so, when their file is damaged.

use std::sync::Arc;

use twofold_core::OtpAuth;
use twofold_desktop::authenticator::at_hand::{AT_HAND_FILE, DEFAULT_SHORTCUT};
use twofold_desktop::authenticator::{
    AtHand, Authenticator, LockChange, MemoryClipboard, TrayAccounts,
};
use twofold_vault::MemoryStore;

const NOW: u64 = 1_764_633_600;
const LINKS: [&str; 3] = [
    "otpauth://totp/AWS:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=AWS",
    "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
    "otpauth://hotp/Shop:carol?secret=KRSXG5CTMVRXEZLU&issuer=Shop&counter=7",
];

fn setup() -> (tempfile::TempDir, Arc<MemoryClipboard>, Authenticator) {
    let dir = tempfile::tempdir().unwrap();
    let clipboard = Arc::new(MemoryClipboard::default());
    let app = Authenticator::with_clock(
        dir.path(),
        Arc::new(MemoryStore::new()),
        clipboard.clone(),
        Box::new(|| NOW),
    );
    let accounts: Vec<OtpAuth> = LINKS.iter().map(|l| OtpAuth::parse(l).unwrap()).collect();
    assert_eq!(app.add_all(&accounts).added.len(), 3);
    (dir, clipboard, app)
}

/// What the link's account shows at NOW, by twofold-core's own reckoning.
fn code_of(link: &str) -> String {
    OtpAuth::parse(link).unwrap().code_at(NOW).unwrap()
}

#[test]
fn the_account_the_focused_window_names_comes_first_and_the_rest_keep_their_order() {
    let (_dir, _clip, app) = setup();
    let list = app.quick_list(Some("Sign in to GitHub · GitHub - Chromium")).unwrap();
    let issuers: Vec<_> = list.accounts.iter().map(|a| a.issuer.clone().unwrap()).collect();
    assert_eq!(issuers, ["GitHub", "AWS", "Shop"]);
    assert_eq!(list.matched, 1);
    let plain = app.quick_list(Some("xterm")).unwrap();
    assert_eq!((plain.accounts[0].issuer.as_deref(), plain.matched), (Some("AWS"), 0));
}

#[test]
fn enter_copies_the_code_of_now_and_an_hotp_account_gives_its_next_code() {
    let (_dir, clip, app) = setup();
    let list = app.quick_list(None).unwrap();
    let github = &list.accounts[1];
    app.quick_copy(&github.id).unwrap();
    assert_eq!(clip.held().unwrap(), code_of(LINKS[1]));

    let shop = &list.accounts[2];
    assert_eq!(shop.counter, Some(7));
    app.quick_copy(&shop.id).unwrap();
    let first = clip.held().unwrap();
    app.quick_copy(&shop.id).unwrap();
    assert_ne!(clip.held().unwrap(), first, "each use takes a new HOTP code");
    let after = app.quick_list(None).unwrap();
    assert_eq!(after.accounts[2].counter, Some(9), "the counter moved once per use");
}

#[test]
fn a_code_that_cannot_be_typed_goes_on_the_clipboard_and_the_error_says_so() {
    let (_dir, clip, app) = setup();
    let list = app.quick_list(None).unwrap();
    let err = app.type_code(&list.accounts[0].id, None).unwrap_err();
    assert_eq!(err.kind(), "typing_unavailable");
    assert!(err.to_string().contains("clipboard"), "{err}");
    assert_eq!(clip.held().unwrap(), code_of(LINKS[0]));
}

#[test]
fn the_tray_names_every_account_and_none_while_locked() {
    let (dir, _clip, app) = setup();
    let TrayAccounts::Listed(entries) = app.tray_accounts() else { panic!("not listed") };
    let labels: Vec<_> = entries.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["AWS — bob", "GitHub — alice@example.com", "Shop — carol"]);

    let locking = Authenticator::with_clock(
        dir.path(),
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryClipboard::default()),
        Box::new(|| NOW),
    )
    .with_app_lock();
    locking
        .set_lock(&LockChange {
            current: None,
            password: Some("desk lamp".into()),
            idle_secs: None,
            show_names: false,
        })
        .unwrap();
    assert!(locking.lock_now());
    assert_eq!(locking.tray_accounts(), TrayAccounts::Locked(vec![]));
    assert_eq!(locking.quick_list(None).unwrap_err().kind(), "locked");
}

#[test]
fn the_settings_keep_what_was_chosen_and_start_with_the_default_shortcut() {
    let (dir, _clip, app) = setup();
    let first = app.at_hand();
    assert_eq!(
        first.settings,
        AtHand { keep_in_tray: false, shortcut: Some(DEFAULT_SHORTCUT.into()) }
    );
    assert!(first.problem.is_none());

    let saved = app
        .save_at_hand(AtHand { keep_in_tray: true, shortcut: Some("super + alt+k".into()) })
        .unwrap();
    assert_eq!(saved.shortcut.as_deref(), Some("Super+Alt+K"));
    assert_eq!(app.at_hand().settings, saved);
    let mode = std::fs::metadata(dir.path().join(AT_HAND_FILE)).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777, 0o600);

    app.save_at_hand(AtHand { keep_in_tray: false, shortcut: None }).unwrap();
    assert_eq!(app.at_hand().settings.shortcut, None, "no shortcut is a choice kept");
}

#[test]
fn a_shortcut_taking_keys_from_every_program_is_refused_and_nothing_is_saved() {
    let (dir, _clip, app) = setup();
    let err = app.save_at_hand(AtHand { keep_in_tray: true, shortcut: Some("Shift+O".into()) });
    assert_eq!(err.unwrap_err().kind(), "shortcut");
    assert!(!dir.path().join(AT_HAND_FILE).exists());
}

#[test]
fn a_damaged_settings_file_gives_the_defaults_and_says_which_file() {
    let (dir, _clip, app) = setup();
    std::fs::write(dir.path().join(AT_HAND_FILE), b"{ not json").unwrap();
    let status = app.at_hand();
    assert_eq!(status.settings, AtHand::default());
    let problem = status.problem.expect("a problem");
    assert_eq!(problem.kind(), "at_hand_settings_damaged");
    assert!(problem.to_string().contains(AT_HAND_FILE), "{problem}");
}
