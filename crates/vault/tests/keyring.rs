//! The vault against a real gnome-keyring on a private D-Bus session (see `common`): secrets
//! land in the keyring and nowhere else, codes equal oathtool's, deletes and failed adds leave
//! no item behind. Failure modes that need their own bus or daemon (no keyring, a keyring
//! that never answers, a locked keyring) run in a child process: see `keyring_failures.rs`.

mod common;

use std::sync::Arc;

use twofold_core::{Algorithm, OtpAuth, OtpKind, Secret};
use twofold_vault::{KeyringStore, Vault, VaultError, SERVICE};

const NOW: u64 = 1_700_000_000;

fn random_secret(len: usize) -> Secret {
    Secret::from_bytes((0..len).map(|_| rand::random::<u8>()).collect()).unwrap()
}

fn auth(issuer: &str, account: &str, secret: Secret, kind: OtpKind) -> OtpAuth {
    OtpAuth {
        issuer: Some(issuer.to_string()),
        account: account.to_string(),
        secret,
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind,
    }
}

fn keyring() -> Arc<KeyringStore> {
    Arc::new(KeyringStore::new())
}

/// The keyring items for `id`, as secret-tool prints them (empty output: none).
fn items_of(id: &str) -> String {
    common::secret_tool(&["search", "--all", "service", SERVICE, "username", id])
}

#[test]
fn an_added_secret_is_in_the_keyring_and_not_in_the_database() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    let secret = random_secret(20);
    let base32 = secret.to_base32().to_string();
    let account = vault
        .add(&auth("KeyringCheck", "alice@example.com", secret.clone(), totp30()), NOW)
        .unwrap();

    let listed = common::secret_tool(&["search", "--all", "service", SERVICE]);
    assert!(listed.contains(&format!("attribute.username = {}", account.id)), "{listed}");
    assert!(listed.contains(&format!("secret = {base32}")), "{listed}");
    assert!(listed.contains("label = Twofold: KeyringCheck (alice@example.com)"), "{listed}");

    drop(vault); // Checkpoints nothing, but closes the file before it is read.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&base32), "base32 secret found in the data directory");
        assert!(
            !bytes.windows(secret.as_bytes().len()).any(|w| w == secret.as_bytes()),
            "raw secret found in the data directory"
        );
    }
}

fn totp30() -> OtpKind {
    OtpKind::Totp { period: 30 }
}

#[test]
fn totp_codes_read_back_from_the_keyring_equal_oathtool() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    let mut cases = Vec::new();
    for (algorithm, mode, key_len) in [
        (Algorithm::Sha1, "sha1", 20),
        (Algorithm::Sha256, "sha256", 32),
        (Algorithm::Sha512, "sha512", 64),
    ] {
        for digits in [6, 7, 8] {
            for period in [15, 30, 60] {
                let mut a = auth(
                    "OathCheck",
                    &format!("{mode}-{digits}-{period}"),
                    random_secret(key_len),
                    OtpKind::Totp { period },
                );
                a.algorithm = algorithm;
                a.digits = digits;
                let id = vault.add(&a, NOW).unwrap().id;
                cases.push((id, mode, digits, period, a.secret.to_base32().to_string()));
            }
        }
    }
    // A fresh vault has no cached secrets: every code below comes from a keyring read.
    drop(vault);
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    for now in [59, 1_111_111_109, NOW + 7, 2_000_000_000] {
        let rows = vault.list_with_codes(now).unwrap();
        for (id, mode, digits, period, base32) in &cases {
            let row = rows.iter().find(|r| &r.id == id).unwrap();
            let oath = |at: u64| {
                common::oathtool(&[
                    &format!("--totp={mode}"),
                    "-d",
                    &digits.to_string(),
                    "-s",
                    &format!("{period}s"),
                    "-b",
                    base32,
                    "-N",
                    &format!("@{at}"),
                ])
            };
            let what = format!("{mode} {digits} digits {period} s at {now}");
            assert_eq!(row.code.as_deref(), Some(oath(now).as_str()), "{what}");
            let next_period_start = (now / period + 1) * period;
            assert_eq!(row.next_code.as_deref(), Some(oath(next_period_start).as_str()), "{what}");
            assert_eq!(row.seconds_left, Some(next_period_start - now), "{what}");
        }
    }
}

#[test]
fn hotp_codes_equal_oathtool_and_the_counter_advances() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    for digits in [6, 7, 8] {
        let mut a = auth(
            "HotpCheck",
            &format!("h{digits}"),
            random_secret(20),
            OtpKind::Hotp { counter: 41 },
        );
        a.digits = digits;
        let base32 = a.secret.to_base32().to_string();
        let id = vault.add(&a, NOW).unwrap().id;
        vault.forget_secrets();
        for counter in 41..44u64 {
            let expected = common::oathtool(&[
                "-c",
                &counter.to_string(),
                "-d",
                &digits.to_string(),
                "-b",
                &base32,
            ]);
            assert_eq!(vault.next_hotp(&id).unwrap(), expected, "{digits} digits, {counter}");
        }
        assert_eq!(vault.account(&id).unwrap().kind, OtpKind::Hotp { counter: 44 });
    }
}

#[test]
fn deleting_an_account_removes_its_keyring_item() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    let id = vault.add(&auth("DeleteCheck", "bob", random_secret(20), totp30()), NOW).unwrap().id;
    assert!(items_of(&id).contains(&id));
    vault.delete(&id).unwrap();
    assert!(!items_of(&id).contains(&id), "the keyring item is still there");
    assert!(vault.accounts().unwrap().is_empty());
}

#[test]
fn a_failed_metadata_write_leaves_no_keyring_item() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    let conn = rusqlite::Connection::open(vault.database_path()).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER broken BEFORE INSERT ON accounts \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .unwrap();
    let issuer = format!("OrphanCheck{:x}", rand::random::<u64>());
    let err = vault.add(&auth(&issuer, "carol", random_secret(20), totp30()), NOW).unwrap_err();
    assert!(matches!(err, VaultError::Database(_)), "{err:?}");
    let listed = common::secret_tool(&["search", "--all", "service", SERVICE]);
    assert!(!listed.contains(&issuer), "orphan keyring item left behind:\n{listed}");
}

#[test]
fn an_account_whose_keyring_item_was_removed_shows_a_problem_not_a_code() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    let id = vault.add(&auth("ClearCheck", "dave", random_secret(20), totp30()), NOW).unwrap().id;
    common::secret_tool(&["clear", "service", SERVICE, "username", &id]);
    let mut fresh = Vault::open(dir.path(), keyring()).unwrap();
    let row = fresh.code(&id, NOW).unwrap();
    assert_eq!(row.code, None);
    assert!(row.problem.unwrap().contains("missing from the system keyring"));
    // Deleting completes even though the secret is already gone.
    fresh.delete(&id).unwrap();
    assert!(fresh.accounts().unwrap().is_empty());
}

#[test]
fn an_existing_secret_is_found_as_a_duplicate_through_the_keyring() {
    let Some(_session) = common::session() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path(), keyring()).unwrap();
    let a = auth("DupCheck", "erin", random_secret(20), totp30());
    let id = vault.add(&a, NOW).unwrap().id;
    let mut fresh = Vault::open(dir.path(), keyring()).unwrap();
    assert_eq!(fresh.find_duplicate(&a).unwrap(), Some(id));
}
