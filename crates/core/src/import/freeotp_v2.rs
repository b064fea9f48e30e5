//! FreeOTP 2's token store (`tokens.xml` in name only, and its `externalBackup.xml`): a
//! Java-serialized `java.util.HashMap<String, String>`.
//!
//! Entries: `masterKey`, the JSON of a master key wrapped with a password key; per token a
//! `<uuid>` entry, JSON `{"key": "<JSON of the encrypted key>"}`, and `<uuid>-token`, the token
//! JSON as FreeOTP 1 wrote it but without `secret`.
//!
//! Quirks:
//! - The password key is PBKDF2 (`mAlgorithm`: `PBKDF2withHmacSHA512` or `…SHA1`) over the
//!   password with `mSalt` and `mIterations`, 256 bits. It opens the master key, AES-256-GCM,
//!   and the master key opens each token key the same way. Byte arrays are JSON arrays of
//!   signed Java bytes; the GCM nonce is inside `mParameters`, DER `GCMParameters`
//!   (`SEQUENCE { OCTET STRING nonce, INTEGER tag length }`), or on older Android versions
//!   the bare `OCTET STRING`; the additional authenticated data
//!   is the `mToken` text (`AES` for the master key, `HmacSHA1`… for token keys).
//! - Unlike FreeOTP 1, the HOTP `counter` stored is the next one to use; it is imported as is.
//! - A token JSON without `algo`, `digits` or `period` takes the defaults (SHA-1, 6, 30 s).
//! - Tokens come in the serialized map's order, which is the order of the file.
//!
//! The serialization reader is strict: only a `HashMap` with primitive fields and `String`
//! keys and values (`TC_STRING`, `TC_LONGSTRING`), no back-references. Leaves out images.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::freeotp_plus::{self, Token};
use super::{crypto, json, Format, ImportError, ImportReport};

const FORMAT: Format = Format::FreeOtp2;
/// Java serialization's stream magic and version.
const MAGIC: [u8; 4] = [0xac, 0xed, 0x00, 0x05];
const MASTER_KEY: &str = "masterKey";
const TOKEN_SUFFIX: &str = "-token";
const GCM: &str = "AES/GCM/NoPadding";
/// Bounds on the PBKDF2 rounds read from the file: FreeOTP uses 100 000.
const ITERATIONS: std::ops::RangeInclusive<u32> = 1_000..=10_000_000;

const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const TC_LONGSTRING: u8 = 0x7c;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MasterKey {
    m_algorithm: String,
    m_encrypted_key: EncryptedKey,
    m_iterations: u32,
    m_salt: Vec<i8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EncryptedKey {
    m_cipher: String,
    m_cipher_text: Vec<i8>,
    m_parameters: Vec<i8>,
    m_token: String,
}

#[derive(Deserialize)]
struct KeyEntry {
    key: Zeroizing<String>,
}

/// Whether `bytes` start like a Java serialization stream.
pub(crate) fn is_serialized(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Imports FreeOTP 2's token store with the password it was protected with.
pub fn import(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    let map = read_map(bytes)?;
    let get = |name: &str| map.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let master =
        get(MASTER_KEY).ok_or_else(|| ImportError::malformed(FORMAT, "no masterKey entry"))?;
    let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
    let master: MasterKey = json::parse(FORMAT, master.as_bytes())?;
    let master = open_master(&master, password)?;
    let mut report = ImportReport::new(FORMAT);
    for (name, value) in &map {
        if name == MASTER_KEY || name.ends_with(TOKEN_SUFFIX) {
            continue;
        }
        let token_json = get(&format!("{name}{TOKEN_SUFFIX}"));
        let token: Option<Token> = token_json.and_then(|t| json::parse(FORMAT, t.as_bytes()).ok());
        let Some(mut token) = token else {
            let label = name.clone();
            report.push(|| label, Err("the token's details are missing or not JSON".into()));
            continue;
        };
        match token_key(&master, value) {
            Ok(secret) => {
                // FreeOTP keeps keys as Java's signed bytes; the bit pattern is what counts.
                token.secret = Zeroizing::new(secret.iter().map(|b| *b as i8).collect());
                let (label, entry) = freeotp_plus::entry(&token);
                report.push(|| label, entry);
            }
            Err(reason) => {
                let (label, _) = freeotp_plus::entry(&token);
                report.push(|| label, Err(reason));
            }
        }
    }
    Ok(report)
}

/// The master key, opened with the password key.
fn open_master(master: &MasterKey, password: &str) -> Result<crypto::Key, ImportError> {
    if !ITERATIONS.contains(&master.m_iterations) {
        return Err(ImportError::unsupported(
            FORMAT,
            format!("{} PBKDF2 rounds", master.m_iterations),
        ));
    }
    let salt = unsigned(&master.m_salt);
    let key = match master.m_algorithm.to_ascii_lowercase().as_str() {
        "pbkdf2withhmacsha512" => crypto::pbkdf2_sha512(password, &salt, master.m_iterations),
        "pbkdf2withhmacsha1" => crypto::pbkdf2_sha1(password, &salt, master.m_iterations),
        other => return Err(ImportError::unsupported(FORMAT, format!("key derivation {other:?}"))),
    };
    let plain = open(&key, &master.m_encrypted_key)?
        .ok_or(ImportError::WrongPassword { format: FORMAT })?;
    let mut master = Zeroizing::new([0u8; 32]);
    if plain.len() != master.len() {
        return Err(ImportError::malformed(
            FORMAT,
            format!("a master key of {} bytes", plain.len()),
        ));
    }
    master.copy_from_slice(&plain);
    Ok(master)
}

/// One token's key, or why it could not be had (a skip reason).
fn token_key(master: &crypto::Key, value: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let entry: KeyEntry = json::parse(FORMAT, value.as_bytes())
        .map_err(|_| "the encrypted key is not JSON".to_string())?;
    let key: EncryptedKey = json::parse(FORMAT, entry.key.as_bytes())
        .map_err(|_| "the encrypted key is not JSON".to_string())?;
    match open(master, &key) {
        Ok(Some(secret)) => Ok(secret),
        Ok(None) => Err("the key could not be decrypted (the entry is damaged)".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn open(key: &[u8; 32], sealed: &EncryptedKey) -> Result<Option<Zeroizing<Vec<u8>>>, ImportError> {
    if sealed.m_cipher != GCM {
        return Err(ImportError::unsupported(FORMAT, format!("cipher {:?}", sealed.m_cipher)));
    }
    let nonce = gcm_nonce(&unsigned(&sealed.m_parameters))?;
    let ciphertext = Zeroizing::new(unsigned(&sealed.m_cipher_text));
    crypto::open_with_aad(FORMAT, key, &nonce, &ciphertext, sealed.m_token.as_bytes())
}

fn unsigned(bytes: &[i8]) -> Vec<u8> {
    bytes.iter().map(|b| *b as u8).collect()
}

/// The nonce of DER `GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER }`;
/// the tag must be the 16 bytes the GCM here checks.
fn gcm_nonce(der: &[u8]) -> Result<Vec<u8>, ImportError> {
    let bad = || ImportError::malformed(FORMAT, "GCM parameters are not DER GCMParameters");
    let (tag, body, rest) = der_item(der).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    // Older Android versions wrote the bare nonce (`IvParameterSpec`), the tag then 16 bytes.
    if tag == 0x04 {
        return Ok(body.to_vec());
    }
    if tag != 0x30 {
        return Err(bad());
    }
    let (tag, nonce, rest) = der_item(body).ok_or_else(bad)?;
    if tag != 0x04 {
        return Err(bad());
    }
    if !rest.is_empty() {
        let (tag, length, rest) = der_item(rest).ok_or_else(bad)?;
        if tag != 0x02 || !rest.is_empty() {
            return Err(bad());
        }
        if length != [crypto::TAG_LEN as u8] {
            return Err(ImportError::unsupported(FORMAT, "a GCM tag that is not 16 bytes"));
        }
    }
    Ok(nonce.to_vec())
}

/// One DER item with a short-form length: its tag, contents and what follows.
fn der_item(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if len >= 0x80 {
        return None;
    }
    let (body, rest) = rest.split_at_checked(usize::from(len))?;
    Some((tag, body, rest))
}

/// The serialized `HashMap`'s entries, in stream order.
fn read_map(bytes: &[u8]) -> Result<Vec<(String, Zeroizing<String>)>, ImportError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(ImportError::malformed(FORMAT, "not a Java serialization stream"));
    }
    r.expect(TC_OBJECT)?;
    r.expect(TC_CLASSDESC)?;
    let class = r.utf(2)?;
    if class.as_str() != "java.util.HashMap" {
        return Err(ImportError::unsupported(FORMAT, "a serialized object that is not a HashMap"));
    }
    r.take(8)?; // serialVersionUID
    r.take(1)?; // flags
    let fields = r.u16()?;
    let mut size_of_fields = 0usize;
    for _ in 0..fields {
        let size = match r.byte()? {
            b'B' | b'Z' => 1,
            b'C' | b'S' => 2,
            b'I' | b'F' => 4,
            b'J' | b'D' => 8,
            _ => return Err(ImportError::unsupported(FORMAT, "HashMap fields that are objects")),
        };
        r.utf(2)?;
        size_of_fields += size;
    }
    r.expect(TC_ENDBLOCKDATA)?; // no class annotation
    r.expect(TC_NULL)?; // no superclass description
    r.take(size_of_fields)?; // loadFactor, threshold
                             // writeObject's own data: the bucket count and the number of entries.
    r.expect(TC_BLOCKDATA)?;
    if r.byte()? != 8 {
        return Err(ImportError::malformed(FORMAT, "unexpected HashMap header"));
    }
    r.take(4)?;
    let size = u32::from_be_bytes(r.take(4)?.try_into().unwrap_or_default());
    let mut map = Vec::new();
    for _ in 0..size {
        let key = r.string()?;
        let value = r.string()?;
        map.push((key.to_string(), value));
    }
    r.expect(TC_ENDBLOCKDATA)?;
    if r.at != bytes.len() {
        return Err(ImportError::malformed(FORMAT, "data after the serialized map"));
    }
    Ok(map)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImportError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(ImportError::Truncated { format: FORMAT })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, ImportError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, ImportError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn expect(&mut self, code: u8) -> Result<(), ImportError> {
        if self.byte()? == code {
            Ok(())
        } else {
            Err(ImportError::malformed(
                FORMAT,
                format!("unexpected serialization code at byte {}", self.at - 1),
            ))
        }
    }

    /// A string object: `TC_STRING` (2-byte length) or `TC_LONGSTRING` (8-byte length).
    fn string(&mut self) -> Result<Zeroizing<String>, ImportError> {
        match self.byte()? {
            TC_STRING => self.utf(2),
            TC_LONGSTRING => self.utf(8),
            TC_REFERENCE => {
                Err(ImportError::unsupported(FORMAT, "back-references in the serialized map"))
            }
            _ => Err(ImportError::malformed(FORMAT, "a map entry that is not a string")),
        }
    }

    /// Java's modified UTF-8 with a big-endian length of `width` bytes.
    fn utf(&mut self, width: usize) -> Result<Zeroizing<String>, ImportError> {
        let mut len = 0u64;
        for &b in self.take(width)? {
            len = (len << 8) | u64::from(b);
        }
        let len = usize::try_from(len).map_err(|_| ImportError::Truncated { format: FORMAT })?;
        modified_utf8(self.take(len)?)
            .ok_or_else(|| ImportError::malformed(FORMAT, "a string that is not modified UTF-8"))
    }
}

/// Decodes Java's modified UTF-8: UTF-8 but for NUL as `C0 80` and characters outside the BMP
/// as two 3-byte surrogates.
fn modified_utf8(bytes: &[u8]) -> Option<Zeroizing<String>> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(Zeroizing::new(text.to_string()));
    }
    let mut units = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (unit, len) = match b {
            0x01..=0x7f => (u16::from(b), 1),
            0xc0..=0xdf => {
                let c = *bytes.get(i + 1)?;
                (u16::from(b & 0x1f) << 6 | u16::from(c & 0x3f), 2)
            }
            0xe0..=0xef => {
                let (c, d) = (*bytes.get(i + 1)?, *bytes.get(i + 2)?);
                (u16::from(b & 0x0f) << 12 | u16::from(c & 0x3f) << 6 | u16::from(d & 0x3f), 3)
            }
            _ => return None,
        };
        units.push(unit);
        i += len;
    }
    String::from_utf16(&units).ok().map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcm_parameters_give_the_nonce_and_refuse_other_tag_lengths() {
        let mut der = vec![0x30, 0x11, 0x04, 0x0c];
        der.extend(1..=12u8);
        der.extend([0x02, 0x01, 0x10]);
        assert_eq!(gcm_nonce(&der).unwrap(), (1..=12u8).collect::<Vec<_>>());
        let last = der.len() - 1;
        der[last] = 12;
        assert!(matches!(gcm_nonce(&der), Err(ImportError::Unsupported { .. })));
        assert!(matches!(gcm_nonce(&der[..5]), Err(ImportError::Malformed { .. })));
        // The bare OCTET STRING older Android versions write.
        assert_eq!(gcm_nonce(&der[2..16]).unwrap(), (1..=12u8).collect::<Vec<_>>());
    }

    #[test]
    fn modified_utf8_decodes_nul_and_surrogate_pairs() {
        assert_eq!(modified_utf8(b"a\xc0\x80b").unwrap().as_str(), "a\0b");
        // U+1F600 as the surrogates D83D DE00, each in three bytes.
        assert_eq!(modified_utf8(b"\xed\xa0\xbd\xed\xb8\x80").unwrap().as_str(), "\u{1F600}");
        assert!(modified_utf8(b"\xff").is_none());
    }

    #[test]
    fn a_stream_that_is_not_a_hash_map_is_refused() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend([TC_OBJECT, TC_CLASSDESC, 0, 3]);
        bytes.extend(b"Foo");
        assert!(matches!(read_map(&bytes), Err(ImportError::Unsupported { .. })));
    }
}
