//! A browser's part of the loop, over plain HTTP(S): a cookie jar, redirects followed the way
//! a browser follows them (303 and 302 after a POST become a GET), forms submitted with their
//! hidden fields, and bounded bodies. Only the portal's own origin is visited: a redirect
//! elsewhere is reported, not followed.
//!
//! Leaves out JavaScript (the portal's pages need none), caching and HTTP authentication.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

use super::html::{Document, Form};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The portal's pages are a few KiB and its QR image a few more; anything far bigger is not
/// the portal.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const MAX_REDIRECTS: usize = 10;

/// Why a page could not be had.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nothing answered (refused, DNS, timeout, TLS).
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// The answer was not usable (too large, too many redirects, off the portal's origin).
    #[error("{0}")]
    Unexpected(String),
}

impl WebError {
    pub fn is_connection(&self) -> bool {
        matches!(self, WebError::Unreachable { .. })
    }
}

/// One loaded page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where the page finally came from, after redirects.
    pub url: Url,
    pub status: StatusCode,
    pub doc: Document,
    /// The paths visited on the way, for the report (`GET / → /login`).
    pub trail: Vec<String>,
}

impl Page {
    /// `METHOD path → path → …` of how this page was reached.
    pub fn trail_text(&self) -> String {
        self.trail.join(" → ")
    }

    /// `/activate (HTTP 200)`.
    pub fn summary(&self) -> String {
        format!("{} (HTTP {})", self.url.path(), self.status.as_u16())
    }
}

/// One person's browser: its own cookie jar.
pub struct Browser {
    http: reqwest::Client,
    origin: url::Origin,
}

impl Browser {
    pub fn new(portal: &Url) -> Result<Browser, WebError> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("twofold-loop-check/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebError::Unexpected(format!("cannot make an HTTP client: {e}")))?;
        Ok(Browser { http, origin: portal.origin() })
    }

    /// `GET url`, following redirects.
    pub async fn open(&self, url: Url) -> Result<Page, WebError> {
        self.go(Method::GET, url, None).await
    }

    /// Submits `form` of `page` with its hidden fields and `fields` (by input name).
    pub async fn submit(
        &self,
        page: &Page,
        form: &Form,
        fields: &[(String, String)],
    ) -> Result<Page, WebError> {
        let target = page
            .url
            .join(&form.action)
            .map_err(|e| WebError::Unexpected(format!("form action {:?}: {e}", form.action)))?;
        let mut all = form.hidden_fields();
        all.extend(fields.iter().cloned());
        let body = encode_form(&all);
        if form.method == "GET" {
            let mut url = target;
            url.set_query(Some(&body));
            return self.go(Method::GET, url, None).await;
        }
        self.go(Method::POST, target, Some(body)).await
    }

    /// The bytes and content type at `url` (an image of a page), without following redirects.
    pub async fn fetch(&self, url: Url) -> Result<(StatusCode, String, Vec<u8>), WebError> {
        self.check_origin(&url)?;
        let resp = self.http.get(url.clone()).send().await.map_err(|e| unreachable(&url, &e))?;
        let status = resp.status();
        let kind = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = read_body(&url, resp).await?;
        Ok((status, kind, body))
    }

    fn check_origin(&self, url: &Url) -> Result<(), WebError> {
        if url.origin() != self.origin {
            return Err(WebError::Unexpected(format!(
                "the portal sent the browser to another site ({}); the loop check stays on the portal",
                url.origin().ascii_serialization()
            )));
        }
        Ok(())
    }

    async fn go(
        &self,
        mut method: Method,
        mut url: Url,
        mut body: Option<String>,
    ) -> Result<Page, WebError> {
        let mut trail = vec![format!("{method} {}", path_of(&url))];
        for _ in 0..=MAX_REDIRECTS {
            self.check_origin(&url)?;
            let mut req = self.http.request(method.clone(), url.clone());
            if let Some(body) = &body {
                req = req
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone());
            }
            let resp = req.send().await.map_err(|e| unreachable(&url, &e))?;
            let status = resp.status();
            if status.is_redirection() {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        WebError::Unexpected(format!("HTTP {status} without a Location"))
                    })?
                    .to_string();
                let next = url
                    .join(&location)
                    .map_err(|e| WebError::Unexpected(format!("redirect to {location:?}: {e}")))?;
                // What browsers do: 307/308 repeat the request, the others become a GET.
                if !matches!(status.as_u16(), 307 | 308) {
                    method = Method::GET;
                    body = None;
                }
                trail.push(path_of(&next));
                url = next;
                continue;
            }
            let bytes = read_body(&url, resp).await?;
            let text = String::from_utf8_lossy(&bytes);
            return Ok(Page { url, status, doc: Document::parse(&text), trail });
        }
        Err(WebError::Unexpected(format!(
            "more than {MAX_REDIRECTS} redirects: {}",
            trail.join(" → ")
        )))
    }
}

fn path_of(url: &Url) -> String {
    url.path().to_string()
}

fn unreachable(url: &Url, e: &reqwest::Error) -> WebError {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(&format!(": {s}"));
        source = s.source();
    }
    WebError::Unreachable { url: url.origin().ascii_serialization(), detail }
}

async fn read_body(url: &Url, mut resp: reqwest::Response) -> Result<Vec<u8>, WebError> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| unreachable(url, &e))? {
        if out.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(WebError::Unexpected(format!(
                "{} answered more than {MAX_BODY_BYTES} bytes",
                url.path()
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `application/x-www-form-urlencoded`, as a browser encodes a form.
pub fn encode_form(fields: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

#[cfg(test)]
mod tests {
    use super::encode_form;

    #[test]
    fn forms_are_encoded_as_browsers_encode_them() {
        let fields = vec![
            ("csrf".to_string(), "a+b/c=".to_string()),
            ("username".to_string(), "ann lee&co".to_string()),
        ];
        assert_eq!(encode_form(&fields), "csrf=a%2Bb%2Fc%3D&username=ann+lee%26co");
    }
}
