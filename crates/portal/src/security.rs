//! Security headers on every response: a strict CSP (no scripts at all: the portal's pages
//! are plain forms), no framing, no sniffing, no referrer, and no caching of pages that show
//! secrets or session state. Under TLS (or behind a TLS proxy) browsers are also told to
//! use HTTPS only for a year (HSTS), so a network attacker cannot downgrade a later visit.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// The CSP for these settings: [`CSP`], with the protected origins added to `form-action`.
/// Browsers apply `form-action` to the redirects that follow a form's submission too, and the
/// last step of a sign-in started at a desktop answers its POST with a redirect back there.
pub fn content_security_policy(origins: &[String]) -> HeaderValue {
    if origins.is_empty() {
        return HeaderValue::from_static(CSP);
    }
    let allowed = origins.join(" ");
    let csp = CSP.replace("form-action 'self'", &format!("form-action 'self' {allowed}"));
    // Origins are checked URL origins (ASCII, no spaces or semicolons): always a valid value.
    HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(CSP))
}

pub const HSTS: &str = "max-age=31536000";

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if state.settings.secure_cookies {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        content_security_policy(&state.settings.forward_auth.protected_origins),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_action_allows_the_protected_origins_and_nothing_else_changes() {
        assert_eq!(content_security_policy(&[]), CSP);
        let csp = content_security_policy(&[
            "https://d.example.com".into(),
            "https://e.example.com:8443".into(),
        ]);
        assert_eq!(
            csp.to_str().unwrap(),
            CSP.replace(
                "form-action 'self'",
                "form-action 'self' https://d.example.com https://e.example.com:8443"
            )
        );
    }
}
