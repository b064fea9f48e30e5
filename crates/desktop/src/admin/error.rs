//! What can go wrong talking to the admin API, in the terms the Connection screen needs:
//! each variant maps to one message and one remedy (check the address, paste the token
//! again, fix the certificate, read the portal's answer).

use std::collections::BTreeMap;
use std::error::Error as StdError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The address cannot be used (bad syntax, unsupported scheme, plain HTTP off loopback).
    #[error("{0}")]
    InvalidUrl(String),
    /// The token given is not a token (empty, or spaces or control characters inside).
    #[error("the admin token is empty or contains spaces")]
    InvalidToken,
    /// Nothing answered: connection refused, DNS failure, timeout, or not an HTTP server.
    #[error("cannot reach the admin API at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// The server answered 401: the token is missing or not this portal's.
    #[error("the admin API at {url} refused the token")]
    Unauthorized { url: String },
    /// The TLS handshake failed (unknown issuer, wrong name, expired, or not TLS at all).
    #[error("secure connection to {url} failed: {detail}")]
    Tls { url: String, detail: String },
    /// The server refused the request and said why: its error `code` and `params` (for the
    /// UI's own sentence) and `message` (English, for the details line and logs).
    #[error("the portal refused: {message} (HTTP {status})")]
    Server { status: u16, code: String, params: BTreeMap<String, String>, message: String },
    /// The answer was not what the admin API sends (wrong server, version mismatch).
    #[error("unexpected answer from {url}: {detail}")]
    BadResponse { url: String, detail: String },
}

/// The codes of a portal that is up, took the token, and cannot serve for now: it recovers
/// by itself once its database or directory answers again.
const CANNOT_SERVE_NOW: &[&str] =
    &["database_unavailable", "database_busy", "disk_full", "directory_unavailable"];

impl AdminError {
    /// A 503 with one of [`CANNOT_SERVE_NOW`]'s codes (not a busy listener's 503, which
    /// may come before the token is checked).
    pub fn portal_cannot_serve_now(&self) -> bool {
        matches!(self, AdminError::Server { status: 503, code, .. } if CANNOT_SERVE_NOW.contains(&code.as_str()))
    }

    /// Sorts a transport failure of reqwest into the variants above.
    pub(crate) fn from_transport(url: &str, error: &reqwest::Error) -> AdminError {
        let url = url.to_string();
        if let Some(tls) = find_tls_error(error) {
            return AdminError::Tls { url, detail: tls };
        }
        if error.is_decode() {
            return AdminError::BadResponse { url, detail: chain_text(error) };
        }
        let detail =
            if error.is_timeout() { "no answer in time".to_string() } else { chain_text(error) };
        AdminError::Unreachable { url, detail }
    }
}

/// The TLS error somewhere in the chain, if any. rustls errors travel inside `io::Error`,
/// whose `source()` skips the wrapped error itself, so each `io::Error` is opened too.
fn find_tls_error(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut node: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = node {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                    return Some(tls.to_string());
                }
                if let Some(found) = find_tls_error(inner) {
                    return Some(found);
                }
            }
        }
        node = current.source();
    }
    None
}

/// The messages of the whole chain, most specific last, for the details line of the UI.
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut node = error.source();
    while let Some(current) = node {
        let text = current.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        node = current.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: &str) -> AdminError {
        AdminError::Server {
            status,
            code: code.to_string(),
            params: BTreeMap::new(),
            message: String::new(),
        }
    }

    #[test]
    fn a_portal_whose_database_or_directory_is_down_cannot_serve_now_but_took_the_token() {
        for code in ["database_unavailable", "database_busy", "disk_full", "directory_unavailable"]
        {
            assert!(refused(503, code).portal_cannot_serve_now(), "{code}");
        }
    }

    #[test]
    fn a_busy_listener_a_refusal_or_a_wrong_token_is_not_a_portal_that_cannot_serve_now() {
        assert!(!refused(503, "too_busy").portal_cannot_serve_now());
        assert!(!refused(400, "database_unavailable").portal_cannot_serve_now());
        assert!(!AdminError::Unauthorized { url: "https://p".into() }.portal_cannot_serve_now());
    }
}
