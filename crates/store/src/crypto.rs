//! Encryption at rest for TOTP secrets: AES-256-GCM under a key kept in a 0600 file beside
//! the database, so a copy of the database alone reveals no secret.
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

pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    /// Loads the key file, creating it (mode 0600, exclusively) when it does not exist yet.
    pub fn open_or_create(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let key_error = |reason: String| StoreError::KeyFile { path: shown.clone(), reason };
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                rand::rngs::OsRng.fill_bytes(key.as_mut());
                file.write_all(key.as_ref()).and_then(|_| file.sync_all()).map_err(|e| {
                    // A half-written key file would make every later secret unreadable.
                    let _ = std::fs::remove_file(path);
                    key_error(e.to_string())
                })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut file = OpenOptions::new()
                    .read(true)
                    .open(path)
                    .map_err(|e| key_error(e.to_string()))?;
                let mut bytes = Zeroizing::new(Vec::new());
                file.read_to_end(&mut bytes).map_err(|e| key_error(e.to_string()))?;
                if bytes.len() != KEY_LEN {
                    return Err(key_error(format!(
                        "expected {KEY_LEN} bytes, found {}; restore it from backup",
                        bytes.len()
                    )));
                }
                key.copy_from_slice(&bytes);
            }
            Err(e) => return Err(key_error(e.to_string())),
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_ref()));
        Ok(SecretBox { cipher })
    }

    pub fn seal(&self, user: &str, secret: &Secret) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = user.to_ascii_lowercase();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload { msg: secret.as_bytes(), aad: aad.as_bytes() },
            )
            .expect("AES-GCM encryption of a short message cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, user: &str, sealed: &[u8]) -> Result<Secret, StoreError> {
        if sealed.len() <= NONCE_LEN {
            return Err(StoreError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let aad = user.to_ascii_lowercase();
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: aad.as_bytes() })
                .map_err(|_| StoreError::Decrypt)?,
        );
        Secret::from_bytes(plain.to_vec()).map_err(|_| StoreError::Decrypt)
    }
}
