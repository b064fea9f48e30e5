//! Encryption at rest for TOTP secrets: AES-256-GCM under a key kept in a 0600 file beside
//! the database, so a copy of the database alone reveals no secret.
//!
//! The database also keeps a *check value* (a fixed label sealed under the key), so opening
//! can tell a lost or swapped key file from a new installation instead of quietly making a
//! new key that opens none of the stored secrets (see `sqlite.rs`).
//!
//! The username is the associated data, so a ciphertext moved to another user's row fails to
//! decrypt instead of silently handing that user someone else's secret. Key rotation is left
//! out.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;
use twofold_core::Secret;
use zeroize::Zeroizing;

use crate::StoreError;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// Associated data of the key check value. A user's secret has the username as associated
/// data, and names never hold control characters, so the two can never be swapped.
const CHECK_AAD: &[u8] = b"\0twofold key check v1";
/// What the key check value seals; its content matters less than that it opens.
const CHECK_LABEL: &[u8] = b"twofold secrets.key";

pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    /// Loads the key file; `None` when there is none. Anything else wrong with it (unreadable,
    /// wrong length) is an error: a damaged key must be restored, not replaced.
    pub fn load(path: &Path) -> Result<Option<Self>, StoreError> {
        let shown = path.display().to_string();
        let key_error = |reason: String| StoreError::KeyFile { path: shown.clone(), reason };
        let mut file = match OpenOptions::new().read(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(key_error(e.to_string())),
        };
        let mut bytes = Zeroizing::new(Vec::new());
        file.read_to_end(&mut bytes).map_err(|e| key_error(e.to_string()))?;
        if bytes.len() != KEY_LEN {
            return Err(key_error(format!(
                "expected {KEY_LEN} bytes, found {}; restore it from backup",
                bytes.len()
            )));
        }
        Ok(Some(Self::from_key(&bytes)))
    }

    /// Creates a new random key file (mode 0600, exclusively: an existing file is never
    /// overwritten). Callers decide first that no data depends on an old key.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let key_error = |reason: String| StoreError::KeyFile { path: shown.clone(), reason };
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| key_error(e.to_string()))?;
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        file.write_all(key.as_ref()).and_then(|_| file.sync_all()).map_err(|e| {
            // A half-written key file would make every later secret unreadable.
            let _ = std::fs::remove_file(path);
            key_error(e.to_string())
        })?;
        Ok(Self::from_key(key.as_ref()))
    }

    fn from_key(key: &[u8]) -> Self {
        SecretBox { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)) }
    }

    /// A value that only this key opens (a fixed label sealed under a random nonce), kept in
    /// the database so a later open can tell a missing or swapped key file from a new one.
    /// It reveals nothing about the key.
    pub fn check_value(&self) -> Vec<u8> {
        self.seal_with(CHECK_LABEL, CHECK_AAD)
    }

    /// Whether `check` was made by [`Self::check_value`] under this key.
    pub fn matches_check(&self, check: &[u8]) -> bool {
        self.open_with(check, CHECK_AAD).is_some_and(|plain| plain.as_slice() == CHECK_LABEL)
    }

    fn seal_with(&self, msg: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad })
            .expect("AES-GCM encryption of a short message cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    fn open_with(&self, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
            .ok()
            .map(Zeroizing::new)
    }

    pub fn seal(&self, user: &str, secret: &Secret) -> Vec<u8> {
        let aad = user.to_ascii_lowercase();
        self.seal_with(secret.as_bytes(), aad.as_bytes())
    }

    pub fn open(&self, user: &str, sealed: &[u8]) -> Result<Secret, StoreError> {
        let aad = user.to_ascii_lowercase();
        let plain = self.open_with(sealed, aad.as_bytes()).ok_or(StoreError::Decrypt)?;
        Secret::from_bytes(plain.to_vec()).map_err(|_| StoreError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_value_matches_its_own_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let one = SecretBox::create(&dir.path().join("one")).unwrap();
        let two = SecretBox::create(&dir.path().join("two")).unwrap();
        let check = one.check_value();
        assert!(one.matches_check(&check));
        assert!(!two.matches_check(&check));
        assert!(!one.matches_check(&check[..NONCE_LEN]));
        assert!(!one.matches_check(b""));
    }

    #[test]
    fn a_sealed_user_secret_is_no_check_value() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretBox::create(&dir.path().join("key")).unwrap();
        let secret = Secret::from_bytes(CHECK_LABEL.to_vec()).unwrap();
        // The label as a user name: the nearest a user row can get to a check value.
        let sealed = key.seal("twofold key check v1", &secret);
        assert!(!key.matches_check(&sealed));
    }

    #[test]
    fn creating_never_overwrites_an_existing_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let first = SecretBox::create(&path).unwrap();
        assert!(matches!(SecretBox::create(&path), Err(StoreError::KeyFile { .. })));
        let again = SecretBox::load(&path).unwrap().expect("still there");
        assert!(again.matches_check(&first.check_value()));
        assert!(SecretBox::load(&dir.path().join("missing")).unwrap().is_none());
    }
}
