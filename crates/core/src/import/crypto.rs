//! The key derivations and AES-256-GCM opening the encrypted backups share.
//!
//! Leaves out each format's container layout (its own module) and any encryption: importers
//! only ever decrypt.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::{Format, ImportError};

/// A 256-bit key, wiped on drop.
pub(crate) type Key = Zeroizing<[u8; 32]>;

/// GCM's nonce length as every format here uses it.
pub(crate) const NONCE_LEN: usize = 12;
/// GCM's tag length.
pub(crate) const TAG_LEN: usize = 16;

/// Opens `ciphertext_and_tag` (tag appended, as the aes-gcm crate and Java's GCM cipher both
/// lay it out). `None` means the tag did not match: a wrong password, or damaged data, which
/// the caller cannot tell apart.
pub(crate) fn open(
    format: Format,
    key: &[u8; 32],
    nonce: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, ImportError> {
    // GCM without additional data is GCM with empty additional data.
    open_with_aad(format, key, nonce, ciphertext_and_tag, &[])
}

/// PBKDF2-HMAC-SHA256 to a 256-bit key.
pub(crate) fn pbkdf2_sha256(password: &str, salt: &[u8], rounds: u32) -> Key {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, rounds, key.as_mut());
    key
}

/// PBKDF2-HMAC-SHA1 to a 256-bit key.
pub(crate) fn pbkdf2_sha1(password: &str, salt: &[u8], rounds: u32) -> Key {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, rounds, key.as_mut());
    key
}

/// Largest scrypt cost accepted from a file: N = 2^20 with r = 8 needs 1 GiB. A crafted file
/// must not be able to make the importer allocate without bound.
const SCRYPT_MAX_LOG_N: u8 = 20;
const SCRYPT_MAX_R: u32 = 32;
const SCRYPT_MAX_P: u32 = 16;
/// 1 GiB: N = 2^20 with r = 8, or any other shape of the same size.
const SCRYPT_MAX_MEMORY: u64 = 1 << 30;
/// N·r·p of 2^24: sixteen times Aegis's default (N = 2^15, r = 8, p = 1 is 2^18) and more.
const SCRYPT_MAX_WORK: u64 = 1 << 24;

/// scrypt to a 256-bit key, with N, r and p as the file gives them (checked against limits).
pub(crate) fn scrypt(
    format: Format,
    password: &str,
    salt: &[u8],
    n: u64,
    r: u32,
    p: u32,
) -> Result<Key, ImportError> {
    if n < 2 || !n.is_power_of_two() {
        return Err(ImportError::malformed(format, format!("scrypt N = {n} is not a power of 2")));
    }
    let log_n = n.trailing_zeros() as u8;
    // Each parameter within its cap is not enough: N = 2^20 with r = 32 needs 4 GiB. Bound
    // the memory (128·r·N bytes) and the work (N·r·p) as products too (fuzzing found it).
    let memory = 128u64 * u64::from(r) * n;
    let work = n * u64::from(r) * u64::from(p);
    if log_n > SCRYPT_MAX_LOG_N
        || r > SCRYPT_MAX_R
        || p > SCRYPT_MAX_P
        || memory > SCRYPT_MAX_MEMORY
        || work > SCRYPT_MAX_WORK
    {
        return Err(ImportError::unsupported(format, format!("scrypt cost N={n} r={r} p={p}")));
    }
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|_| ImportError::malformed(format, format!("scrypt N={n} r={r} p={p}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password.as_bytes(), salt, &params, key.as_mut())
        .map_err(|_| ImportError::malformed(format, "scrypt output length"))?;
    Ok(key)
}

/// SHA-256 of the password, the whole key derivation of andOTP's first encrypted format.
pub(crate) fn sha256(password: &str) -> Key {
    use sha2::Digest;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&sha2::Sha256::digest(password.as_bytes()));
    key
}

/// Decodes hex as Aegis writes it (lower case; upper case accepted too).
pub(crate) fn hex(format: Format, what: &str, text: &str) -> Result<Vec<u8>, ImportError> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .map_err(|_| ImportError::malformed(format, format!("{what} is not hex")))
}

/// Decodes standard base64 with or without padding.
pub(crate) fn base64(format: Format, what: &str, text: &str) -> Result<Vec<u8>, ImportError> {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose};
    use base64::Engine;
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        general_purpose::GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let cleaned: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    ENGINE
        .decode(cleaned.as_bytes())
        .map_err(|_| ImportError::malformed(format, format!("{what} is not base64")))
}

/// AES's block length, and the IV length of CBC.
pub(crate) const BLOCK_LEN: usize = 16;

/// Decrypts AES-256-CBC and removes PKCS#7 padding. `None` means the padding was not valid:
/// with a wrong key that is what nearly always happens (the caller treats it like a failed
/// GCM tag); a length that is not a whole number of blocks is reported as truncated.
pub(crate) fn cbc_decrypt(
    format: Format,
    key: &[u8; 32],
    iv: &[u8; BLOCK_LEN],
    ciphertext: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, ImportError> {
    use aes_gcm::aes::cipher::{BlockDecrypt, KeyInit as _};
    use aes_gcm::aes::Aes256;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK_LEN) {
        return Err(ImportError::Truncated { format });
    }
    let cipher = Aes256::new(key.into());
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    let mut previous = *iv;
    for block in plain.chunks_exact_mut(BLOCK_LEN) {
        let mut this = [0u8; BLOCK_LEN];
        this.copy_from_slice(block);
        cipher.decrypt_block(block.into());
        for (byte, chained) in block.iter_mut().zip(previous) {
            *byte ^= chained;
        }
        previous = this;
    }
    let pad = usize::from(*plain.last().unwrap_or(&0));
    if pad == 0
        || pad > BLOCK_LEN
        || plain[plain.len() - pad..].iter().any(|&b| usize::from(b) != pad)
    {
        return Ok(None);
    }
    // Zeroizing<Vec> wipes the whole capacity on drop, the cut-off padding included.
    let len = plain.len() - pad;
    plain.truncate(len);
    Ok(Some(plain))
}

/// [`open`] with additional authenticated data, which FreeOTP 2 binds each key to.
pub(crate) fn open_with_aad(
    format: Format,
    key: &[u8; 32],
    nonce: &[u8],
    ciphertext_and_tag: &[u8],
    aad: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, ImportError> {
    use aes_gcm::aead::Payload;
    if nonce.len() != NONCE_LEN {
        return Err(ImportError::malformed(format, format!("nonce of {} bytes", nonce.len())));
    }
    if ciphertext_and_tag.len() < TAG_LEN {
        return Err(ImportError::Truncated { format });
    }
    let cipher = Aes256Gcm::new(key.into());
    let payload = Payload { msg: ciphertext_and_tag, aad };
    Ok(cipher.decrypt(Nonce::from_slice(nonce), payload).ok().map(Zeroizing::new))
}

/// PBKDF2-HMAC-SHA512 to a 256-bit key.
pub(crate) fn pbkdf2_sha512(password: &str, salt: &[u8], rounds: u32) -> Key {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password.as_bytes(), salt, rounds, key.as_mut());
    key
}
