//! Session and CSRF cookies.
//!
//! The session cookie carries a random id; the store keeps only its SHA-256, and a new id is
//! minted at every step up (password accepted, code accepted) so a fixed or stolen
//! pre-sign-in id is worthless. CSRF uses a separate random cookie and, in each form, an
//! HMAC of it under a server key: a cross-site page can neither read the cookie nor compute
//! the token. Both cookies are HttpOnly, SameSite=Lax (Strict would drop the cookie when a
//! user follows a link to the portal), and Secure under TLS. Under TLS their names carry the
//! `__Host-` prefix, so a browser refuses them unless they are Secure, host-only and for
//! `/`: a sibling subdomain or a plain-HTTP page cannot plant or overwrite them. The one
//! exception is a configured cookie domain (portal and desktops on sibling hosts): the
//! session cookie is then `__Secure-` prefixed with `Domain=`, so every host under it sends
//! it to the proxy's auth subrequest; the CSRF cookie stays host-only.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "twofold_session";
pub const CSRF_COOKIE: &str = "twofold_csrf";
pub const SECURE_SESSION_COOKIE: &str = "__Host-twofold_session";
pub const SECURE_CSRF_COOKIE: &str = "__Host-twofold_csrf";
pub const SHARED_SESSION_COOKIE: &str = "__Secure-twofold_session";
pub const RETURN_COOKIE: &str = "twofold_return";
pub const SECURE_RETURN_COOKIE: &str = "__Host-twofold_return";

/// The session cookie's name when it may be shared with a parent `domain`.
pub fn scoped_session_cookie(secure: bool, domain: Option<&str>) -> &'static str {
    match (secure, domain) {
        (true, Some(_)) => SHARED_SESSION_COOKIE,
        _ => session_cookie(secure),
    }
}

/// The cookie holding where to send the visitor after the sign-in.
pub fn return_cookie(secure: bool) -> &'static str {
    if secure {
        SECURE_RETURN_COOKIE
    } else {
        RETURN_COOKIE
    }
}

/// The session cookie's name: `__Host-` prefixed when cookies are Secure.
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The CSRF cookie's name: `__Host-` prefixed when cookies are Secure.
pub fn csrf_cookie(secure: bool) -> &'static str {
    if secure {
        SECURE_CSRF_COOKIE
    } else {
        CSRF_COOKIE
    }
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_id(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

/// The value of cookie `name` in the request, if present and well-formed.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    read_cookie_up_to(headers, name, 128)
}

/// [`read_cookie`] for values up to `max_len` bytes (url-safe base64 only).
pub fn read_cookie_up_to(headers: &HeaderMap, name: &str, max_len: usize) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= max_len
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    set_scoped_cookie(name, value, max_age, secure, None)
}

/// A cookie for `domain` and its subdomains (`None`: this host only).
pub fn set_scoped_cookie(
    name: &str,
    value: &str,
    max_age: u64,
    secure: bool,
    domain: Option<&str>,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let domain = domain.map(|d| format!("; Domain={d}")).unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}{domain}"
    ))
    .expect("cookie values are url-safe base64 and domains are checked names")
}

pub fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    set_cookie(name, "", 0, secure)
}

pub fn csrf_token(key: &[u8; 32], cookie: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"twofold-csrf:");
    mac.update(cookie.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn csrf_valid(key: &[u8; 32], cookie: Option<&str>, submitted: &str) -> bool {
    match cookie {
        Some(cookie) => csrf_token(key, cookie).as_bytes().ct_eq(submitted.as_bytes()).into(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_token_is_bound_to_its_cookie_and_key() {
        let key = [7u8; 32];
        let token = csrf_token(&key, "cookie-a");
        assert!(csrf_valid(&key, Some("cookie-a"), &token));
        assert!(!csrf_valid(&key, Some("cookie-b"), &token));
        assert!(!csrf_valid(&[8u8; 32], Some("cookie-a"), &token));
        assert!(!csrf_valid(&key, None, &token));
        assert!(!csrf_valid(&key, Some("cookie-a"), ""));
    }

    #[test]
    fn cookies_are_read_by_exact_name_and_odd_values_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("x_twofold_session=no; twofold_session=abc-_1"),
        );
        assert_eq!(read_cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc-_1"));
        headers.insert(header::COOKIE, HeaderValue::from_static("twofold_session=a\"b"));
        assert_eq!(read_cookie(&headers, SESSION_COOKIE), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_under_tls() {
        let plain = set_cookie(SESSION_COOKIE, "v", 60, false);
        let tls = set_cookie(SESSION_COOKIE, "v", 60, true);
        assert!(plain.to_str().unwrap().contains("HttpOnly; SameSite=Lax"));
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(tls.to_str().unwrap().ends_with("; Secure"));
    }

    #[test]
    fn secure_cookies_use_the_host_prefix_with_path_root_and_no_domain() {
        let cookie = set_cookie(session_cookie(true), "v", 60, true);
        let text = cookie.to_str().unwrap();
        assert!(text.starts_with("__Host-twofold_session=v; Path=/;"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("domain="));
        assert_eq!(csrf_cookie(true), "__Host-twofold_csrf");
        assert_eq!(session_cookie(false), "twofold_session");
    }

    #[test]
    fn a_shared_session_cookie_names_its_domain_and_uses_the_secure_prefix() {
        let name = scoped_session_cookie(true, Some("example.com"));
        let cookie = set_scoped_cookie(name, "v", 60, true, Some("example.com"));
        let text = cookie.to_str().unwrap();
        assert!(text.starts_with("__Secure-twofold_session=v; Path=/; HttpOnly"), "{text}");
        assert!(text.ends_with("; Secure; Domain=example.com"), "{text}");
        assert_eq!(scoped_session_cookie(true, None), "__Host-twofold_session");
    }
}
