//! Authy's token store, `shared_prefs/com.authy.storage.tokens.authenticator.xml` (or
//! `….tokens.authy.xml`) taken from a rooted phone: Android preference XML whose
//! `com.authy.storage.tokens.authenticator.key` (or `….authy.key`) string holds a JSON array
//! of tokens.
//!
//! Quirks:
//! - Third-party ("authenticator") tokens carry the key as base32 text, either in the clear
//!   (`decryptedSecret`) or encrypted (`encryptedSecret`, base64, with a per-token `salt`):
//!   AES-256-CBC with an all-zero IV and PKCS#7 padding, the key PBKDF2-HMAC-SHA1 over the
//!   backup password and the salt *text* (its UTF-8 bytes, not decoded), 1 000 rounds. A bad
//!   padding on every token means a wrong password.
//! - Authy stores no algorithm or period for them: SHA-1 and 30 s, as Authy itself uses;
//!   `digits` is per token.
//! - The issuer is `originalIssuer`, or what precedes `:` in `originalName`, or what precedes
//!   ` - ` in `name`, or the capitalised `accountType`. `name` is shown as "Issuer: account",
//!   so the issuer and the separator are cut off its front to get the account.
//! - Authy's own tokens (`secretSeed`, hex) are 7 digits every 10 s; they are named after
//!   `name` alone.
//!
//! Leaves out logos, upload state and the Authy cloud backup (which needs Authy's servers).

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{
    base32_secret, crypto, json, prefs, Format, ImportError, ImportReport, RawEntry, RawKind,
};
use crate::secret::Secret;

const FORMAT: Format = Format::Authy;
/// The preference entries that hold the token list.
const KEYS: [&str; 2] =
    ["com.authy.storage.tokens.authenticator.key", "com.authy.storage.tokens.authy.key"];
const ITERATIONS: u32 = 1_000;
const IV: [u8; crypto::BLOCK_LEN] = [0; crypto::BLOCK_LEN];
/// Authy's own tokens: 10-second codes.
const AUTHY_PERIOD: u64 = 10;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    account_type: Option<String>,
    decrypted_secret: Option<Zeroizing<String>>,
    encrypted_secret: Option<String>,
    salt: Option<String>,
    secret_seed: Option<Zeroizing<String>>,
    digits: Option<u64>,
    original_issuer: Option<String>,
    original_name: Option<String>,
    #[serde(default)]
    name: String,
}

/// Whether a preference file looks like Authy's token store.
pub(crate) fn looks_like_authy(text: &str) -> bool {
    KEYS.iter().any(|k| text.contains(k))
}

/// Imports Authy's token store, plain or with encrypted secrets (then `password` is the
/// backup password).
pub fn import(bytes: &[u8], password: Option<&str>) -> Result<ImportReport, ImportError> {
    let prefs = prefs::strings(FORMAT, bytes)?;
    let list = KEYS
        .iter()
        .find_map(|k| prefs::find(&prefs, k))
        .ok_or_else(|| ImportError::malformed(FORMAT, "no Authy token list in the file"))?;
    let tokens: Vec<Token> = json::parse(FORMAT, list.value.as_bytes())?;
    let secrets = secrets(&tokens, password)?;
    let mut report = ImportReport::new(FORMAT);
    for (token, secret) in tokens.iter().zip(secrets) {
        let (issuer, account) = names(token);
        let label = super::label(issuer.as_deref(), &account);
        let entry = secret.and_then(|(secret, authy)| {
            let mut raw = RawEntry::new(issuer, account, RawKind::Totp);
            raw.secret = Ok(secret);
            raw.digits = token.digits;
            raw.period = Some(if authy { AUTHY_PERIOD } else { 30 });
            raw.build()
        });
        report.push(|| label, entry);
    }
    Ok(report)
}

/// Each token's key (and whether it is an Authy token), or why it has none. Decrypts where
/// needed; fails the file only for a missing or wrong password.
#[allow(clippy::type_complexity)]
fn secrets(
    tokens: &[Token],
    password: Option<&str>,
) -> Result<Vec<Result<(Secret, bool), String>>, ImportError> {
    let encrypted = tokens.iter().any(|t| {
        t.decrypted_secret.is_none() && t.secret_seed.is_none() && t.encrypted_secret.is_some()
    });
    let password = match (encrypted, password) {
        (true, None) => return Err(ImportError::PasswordRequired { format: FORMAT }),
        (_, password) => password,
    };
    let mut out = Vec::with_capacity(tokens.len());
    let (mut opened, mut refused) = (0, 0);
    for token in tokens {
        let secret = if let Some(seed) = &token.secret_seed {
            hex_secret(seed).map(|s| (s, true))
        } else if let Some(text) = &token.decrypted_secret {
            base32_secret(text).map(|s| (s, false))
        } else if let (Some(sealed), Some(password)) = (&token.encrypted_secret, password) {
            match decrypt(sealed, token.salt.as_deref().unwrap_or(""), password)? {
                Some(secret) => {
                    opened += 1;
                    Ok((secret, false))
                }
                None => {
                    refused += 1;
                    Err("the secret could not be decrypted (the entry is damaged)".to_string())
                }
            }
        } else {
            Err("the entry has no secret".to_string())
        };
        out.push(secret);
    }
    // The password is one for the whole file: if it opened no token at all, it is wrong;
    // if it opened some, the others are damaged.
    if refused > 0 && opened == 0 {
        return Err(ImportError::WrongPassword { format: FORMAT });
    }
    Ok(out)
}

/// One encrypted secret: `None` if the padding or the base32 text inside is wrong, which is
/// what a wrong password gives.
fn decrypt(sealed: &str, salt: &str, password: &str) -> Result<Option<Secret>, ImportError> {
    let ciphertext = crypto::base64(FORMAT, "an encrypted secret", sealed)?;
    let key = crypto::pbkdf2_sha1(password, salt.as_bytes(), ITERATIONS);
    let Some(plain) = crypto::cbc_decrypt(FORMAT, &key, &IV, &ciphertext)? else {
        return Ok(None);
    };
    Ok(std::str::from_utf8(&plain).ok().and_then(|text| base32_secret(text).ok()))
}

/// An Authy token's hex seed as a key.
fn hex_secret(seed: &str) -> Result<Secret, String> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(seed.trim().as_bytes())
        .map_err(|_| "the secret seed is not hex".to_string())?;
    Secret::from_bytes(bytes).map_err(|e| e.to_string())
}

/// The issuer and account name, as Authy shows them.
fn names(token: &Token) -> (Option<String>, String) {
    if token.secret_seed.is_some() {
        return (Some(token.name.clone()), String::new());
    }
    let from_original = token
        .original_name
        .as_deref()
        .and_then(|n| n.split_once(':'))
        .map(|(issuer, account)| (issuer.to_string(), account.trim().to_string()));
    let issuer = token
        .original_issuer
        .clone()
        .filter(|i| !i.trim().is_empty())
        .or_else(|| from_original.as_ref().map(|(i, _)| i.clone()))
        .or_else(|| token.name.split_once(" - ").map(|(i, _)| i.to_string()))
        .or_else(|| token.account_type.as_deref().map(capitalise))
        .filter(|i| !i.trim().is_empty());
    let mut account = match &issuer {
        Some(issuer) => strip_issuer(&token.name, issuer),
        None => token.name.trim().to_string(),
    };
    if account.is_empty() {
        account = from_original.map(|(_, a)| a).unwrap_or_default();
    }
    (issuer, account)
}

/// `name` without a leading "issuer:" / "issuer - " / "issuer"; a name that merely starts with
/// the same letters ("Denominator" for "Deno") is kept whole.
fn strip_issuer(name: &str, issuer: &str) -> String {
    let name = name.trim();
    match name.strip_prefix(issuer.trim()) {
        Some(rest) => {
            let cut = rest.trim_start();
            if let Some(account) = cut.strip_prefix(':').or_else(|| cut.strip_prefix("- ")) {
                account.trim().to_string()
            } else if rest.is_empty() {
                String::new()
            } else {
                name.to_string()
            }
        }
        None => name.to_string(),
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::OtpKind;

    fn store(tokens: &str) -> String {
        let escaped = tokens.replace('&', "&amp;").replace('"', "&quot;");
        format!(
            "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n<string \
             name=\"com.authy.storage.tokens.authenticator.key\">{escaped}</string>\n</map>\n"
        )
    }

    #[test]
    fn the_issuer_prefix_is_cut_off_the_name_only_at_a_separator() {
        assert_eq!(strip_issuer("Deno: Mason", "Deno"), "Mason");
        assert_eq!(strip_issuer("Deno - Mason", "Deno"), "Mason");
        assert_eq!(strip_issuer("Deno", "Deno"), "");
        assert_eq!(strip_issuer("Denominator", "Deno"), "Denominator");
        assert_eq!(strip_issuer("mason@example.com", "Deno"), "mason@example.com");
    }

    #[test]
    fn without_an_original_issuer_the_issuer_comes_from_the_original_name_or_the_type() {
        let report = import(
            store(
                r#"[{"accountType":"authenticator","decryptedSecret":"JBSWY3DPEHPK3PXP","digits":6,"originalName":"Acme:alice","name":"Acme:alice"},
                    {"accountType":"gitlab","decryptedSecret":"JBSWY3DPEHPK3PXP","digits":6,"name":"bob"}]"#,
            )
            .as_bytes(),
            None,
        )
        .unwrap();
        let names: Vec<(Option<&str>, &str)> =
            report.accounts.iter().map(|a| (a.issuer.as_deref(), a.account.as_str())).collect();
        assert_eq!(names, [(Some("Acme"), "alice"), (Some("Gitlab"), "bob")]);
    }

    #[test]
    fn authy_native_tokens_are_ten_second_codes_named_after_the_token() {
        let report = import(
            store(r#"[{"accountType":"authy","secretSeed":"48656c6c6f21deadbeef","digits":7,"name":"Twitch"}]"#)
                .as_bytes(),
            None,
        )
        .unwrap();
        let account = &report.accounts[0];
        assert_eq!(
            (account.issuer.as_deref(), account.account.as_str()),
            (Some("Twitch"), "Twitch")
        );
        assert_eq!((account.digits, account.kind.clone()), (7, OtpKind::Totp { period: 10 }));
    }

    #[test]
    fn a_store_without_the_token_list_is_malformed() {
        let xml = "<map><string name=\"other\">[]</string></map>";
        assert!(matches!(import(xml.as_bytes(), None), Err(ImportError::Malformed { .. })));
    }
}
