//! A browser-less portal user over real HTTP: a cookie jar, redirects left unfollowed so tests
//! can assert `Location`, and the form steps of the sign-in flow (fetch the page, take its
//! csrf token, post). It asserts nothing about outcomes; the tests do.

use crate::html;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

/// One HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Page {
    /// The page's csrf token; panics with the page if there is none.
    pub fn csrf(&self) -> String {
        html::csrf(&self.body).unwrap_or_else(|| {
            panic!("no csrf input on this page ({}):\n{}", self.status, self.body)
        })
    }

    /// The text of the element with this id, if present.
    pub fn text_by_id(&self, id: &str) -> Option<String> {
        html::text_by_id(&self.body, id)
    }

    /// The text of the first `<p class="error" role="alert">`, if present.
    pub fn error_text(&self) -> Option<String> {
        html::tags(&self.body)
            .into_iter()
            .find(|t| t.name == "p" && t.has_class("error") && t.attr("role") == Some("alert"))
            .map(|t| html::text_of(&self.body, &t))
    }

    /// `"STATUS -> Location"` for assertion messages.
    pub fn summary(&self) -> String {
        format!("{} -> {:?}", self.status, self.location)
    }
}

/// A user agent with its own cookie jar, talking to one portal.
pub struct WebClient {
    base: String,
    http: Client,
}

impl WebClient {
    /// A fresh user (empty cookie jar) of the portal at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> WebClient {
        WebClient::with_ca(base, None)
    }

    /// A fresh user of the portal at `base`, trusting only the PEM CA `ca_pem` when given (a
    /// portal serving TLS with a test certificate).
    pub fn with_ca(base: &str, ca_pem: Option<&[u8]>) -> WebClient {
        let http = trusting(Client::builder().cookie_store(true).redirect(Policy::none()), ca_pem)
            .build()
            .expect("build HTTP client");
        WebClient { base: base.trim_end_matches('/').to_string(), http }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Page {
        let resp = self.http.get(self.url(path)).send().await;
        read(path, resp).await
    }

    /// `GET path`, returning the raw body bytes (for images) and the content type.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, Option<String>, Vec<u8>) {
        let resp = self
            .http
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status();
        let ct = header(&resp, "content-type");
        let bytes = resp.bytes().await.unwrap_or_else(|e| panic!("GET {path} body: {e}"));
        (status, ct, bytes.to_vec())
    }

    /// `POST path` with an `application/x-www-form-urlencoded` body.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self.http.post(self.url(path)).form(fields).send().await;
        read(path, resp).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Page {
        let resp = self.http.post(self.url(path)).json(body).send().await;
        read(path, resp).await
    }

    /// Loads `/login` and posts the credentials with the page's csrf token.
    pub async fn sign_in(&self, username: &str, password: &str) -> Page {
        let login = self.get("/login").await;
        assert_eq!(login.status, StatusCode::OK, "GET /login: {}", login.body);
        let csrf = login.csrf();
        self.post_form("/login", &[("username", username), ("password", password), ("csrf", &csrf)])
            .await
    }

    /// Loads `path` (`/activate` or `/verify`) and posts `code` with the page's csrf token.
    pub async fn submit_code(&self, path: &str, code: &str) -> Page {
        let form = self.get(path).await;
        assert_eq!(form.status, StatusCode::OK, "GET {path}: {}\n{}", form.summary(), form.body);
        let csrf = form.csrf();
        self.post_form(path, &[("code", code), ("csrf", &csrf)]).await
    }

    /// Loads `/` and posts its sign-out form.
    pub async fn sign_out(&self) -> Page {
        let home = self.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "GET / before sign-out: {}", home.summary());
        let csrf = home.csrf();
        self.post_form("/logout", &[("csrf", &csrf)]).await
    }
}

/// `builder` trusting only the PEM CA `ca_pem` when given (else the defaults).
pub fn trusting(builder: reqwest::ClientBuilder, ca_pem: Option<&[u8]>) -> reqwest::ClientBuilder {
    match ca_pem {
        Some(pem) => builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(pem).expect("CA PEM")),
        None => builder,
    }
}

async fn read(path: &str, resp: reqwest::Result<reqwest::Response>) -> Page {
    let resp = resp.unwrap_or_else(|e| panic!("request to {path} failed: {e}"));
    let status = resp.status();
    let location = header(&resp, "location");
    let content_type = header(&resp, "content-type");
    let body = resp.text().await.unwrap_or_else(|e| panic!("body of {path}: {e}"));
    Page { status, location, content_type, body }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}
