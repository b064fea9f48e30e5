//! Forward authentication: the reverse proxy in front of a web remote desktop asks the
//! portal, for every request to the desktop, whether the browser's session may pass.
//!
//! - `/auth/request` answers the way nginx `auth_request` expects: 200 with the user in a
//!   header (`Remote-User`, configurable) or 401 with the sign-in URL in `Location`, which
//!   the nginx config turns into a redirect (`auth_request_set` + `error_page 401 =302`).
//! - `/auth/forward` answers the way Traefik ForwardAuth and Caddy `forward_auth` expect: the
//!   same 200, or a 302 to the sign-in URL that the proxy hands to the browser as it is.
//!
//! Both decide with the same guard as the portal's own pages ([`check_signed_in`]), so a
//! session passes only with every factor its user needs *now*: signing out, a reset, a lock
//! for wrong codes, the user leaving the directory, or 2FA becoming required all end the
//! access at the next subrequest. The page first asked for travels as `rd=` and is used only
//! if it is on a configured protected origin: the portal is no open redirect.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::blocking;
use crate::signin::{check_signed_in, NotSignedIn, Visit};
use crate::state::{AppState, ForwardAuth};

/// Longest return URL the portal carries through a sign-in.
pub const RETURN_URL_MAX: usize = 2048;

/// How a refusal is said to the proxy.
#[derive(Clone, Copy)]
enum Refusal {
    /// 401 + `Location` (nginx `auth_request`).
    Unauthorized,
    /// 302 to the sign-in page (Traefik, Caddy).
    Redirect,
}

/// nginx `auth_request`.
pub async fn auth_request(
    State(state): State<AppState>,
    visit: Visit,
    headers: HeaderMap,
) -> Response {
    decide(state, visit, headers, Refusal::Unauthorized).await
}

/// Traefik ForwardAuth and Caddy `forward_auth`.
pub async fn auth_forward(
    State(state): State<AppState>,
    visit: Visit,
    headers: HeaderMap,
) -> Response {
    decide(state, visit, headers, Refusal::Redirect).await
}

async fn decide(state: AppState, visit: Visit, headers: HeaderMap, refusal: Refusal) -> Response {
    blocking::respond(move || {
        let settings = &state.settings.forward_auth;
        let mut response = match check_signed_in(&state, &visit) {
            Ok(signed_in) => match HeaderValue::from_str(&signed_in.session.user) {
                Ok(user) => {
                    let mut ok = StatusCode::OK.into_response();
                    ok.headers_mut().insert(settings.user_header.clone(), user);
                    ok
                }
                Err(_) => {
                    tracing::error!("a user name cannot be sent in a header; access refused");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            },
            Err(NotSignedIn::Step(_)) => refuse(settings, &headers, refusal),
            // The store failed: the proxy shows its error page, nobody passes.
            Err(NotSignedIn::Failed(page)) => page.status().into_response(),
        };
        // Proxies may cache subrequests; an answer about one session is for it alone, now.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    })
    .await
}

fn refuse(settings: &ForwardAuth, headers: &HeaderMap, refusal: Refusal) -> Response {
    let back = original_url(headers).and_then(|url| allowed_return(&url, settings));
    let location = sign_in_url(settings, back.as_deref());
    let status = match refusal {
        Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
        Refusal::Redirect => StatusCode::FOUND,
    };
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The portal's sign-in page, with the page to come back to.
pub fn sign_in_url(settings: &ForwardAuth, back: Option<&str>) -> String {
    let base = settings.public_url.as_deref().unwrap_or("");
    match back {
        Some(url) => {
            let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
            format!("{base}/login?rd={encoded}")
        }
        None => format!("{base}/login"),
    }
}

/// The URL the browser asked the proxy for: `X-Original-URL` (nginx, set in its config), or
/// `X-Forwarded-Proto` + `X-Forwarded-Host` + `X-Forwarded-Uri` (Traefik, Caddy).
pub fn original_url(headers: &HeaderMap) -> Option<String> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(url) = get("x-original-url").filter(|u| !u.is_empty()) {
        return Some(url.to_string());
    }
    let proto = get("x-forwarded-proto")?;
    let host = get("x-forwarded-host")?;
    let uri = get("x-forwarded-uri").unwrap_or("/");
    // Several proxies in a row append: the first value is the browser's.
    let proto = proto.split(',').next()?.trim();
    let host = host.split(',').next()?.trim();
    uri.starts_with('/').then(|| format!("{proto}://{host}{uri}"))
}

/// `url`, normalised, if it may be returned to: http(s), no credentials, on one of the
/// protected origins, not absurdly long.
pub fn allowed_return(url: &str, settings: &ForwardAuth) -> Option<String> {
    if url.len() > RETURN_URL_MAX {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return None;
    }
    let origin = parsed.origin().ascii_serialization();
    settings.protected_origins.contains(&origin).then(|| parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ForwardAuth {
        ForwardAuth {
            protected_origins: vec!["https://desktop.example.com".into()],
            public_url: Some("https://portal.example.com".into()),
            ..ForwardAuth::default()
        }
    }

    #[test]
    fn only_urls_on_a_protected_origin_are_returned_to() {
        let s = settings();
        let ok = allowed_return("https://desktop.example.com/vnc.html?x=1", &s);
        assert_eq!(ok.as_deref(), Some("https://desktop.example.com/vnc.html?x=1"));
        for bad in [
            "https://evil.example.net/",
            "http://desktop.example.com/",
            "https://desktop.example.com:444/",
            "https://desktop.example.com.evil.net/",
            "https://user:pw@desktop.example.com/",
            "//desktop.example.com/",
            "javascript:alert(1)",
            "/relative",
        ] {
            assert_eq!(allowed_return(bad, &s), None, "{bad}");
        }
        let long = format!("https://desktop.example.com/{}", "a".repeat(RETURN_URL_MAX));
        assert_eq!(allowed_return(&long, &s), None);
    }

    #[test]
    fn the_original_url_comes_from_nginx_or_from_traefik_and_caddy_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert("x-forwarded-host", HeaderValue::from_static("desktop.example.com"));
        h.insert("x-forwarded-uri", HeaderValue::from_static("/vnc.html?a=b"));
        assert_eq!(original_url(&h).as_deref(), Some("https://desktop.example.com/vnc.html?a=b"));
        h.insert("x-original-url", HeaderValue::from_static("https://d.example.com/x"));
        assert_eq!(original_url(&h).as_deref(), Some("https://d.example.com/x"));
        assert_eq!(original_url(&HeaderMap::new()), None);
    }

    #[test]
    fn the_sign_in_url_carries_the_return_url_encoded() {
        let s = settings();
        assert_eq!(
            sign_in_url(&s, Some("https://desktop.example.com/vnc.html?a=b&c")),
            "https://portal.example.com/login?rd=https%3A%2F%2Fdesktop.example.com%2Fvnc.html%3Fa%3Db%26c"
        );
        assert_eq!(sign_in_url(&ForwardAuth::default(), None), "/login");
    }
}
