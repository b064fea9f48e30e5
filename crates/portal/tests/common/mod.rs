//! A portal on a temporary SQLite file with a hand-set clock, driven by `oneshot` requests
//! (no socket), with a tiny cookie jar so a test reads like a browser session.

#![allow(dead_code)]

pub mod ldap;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;
use twofold_core::{otp::Algorithm, Principal};
use twofold_portal::clock::ManualClock;
use twofold_portal::state::{AppState, PortalSettings};
use twofold_portal::{admin_app, app, ops, password_check, vendor};
use twofold_store::{DirectoryRepo, EnrollmentRepo, SettingsRepo, SqliteStore};

/// 2026-11-28 00:00:10 UTC: ten seconds into a 30-second step.
pub const START: u64 = 1_795_824_010;
pub const TOKEN: &str = "test-admin-token-0123456789";
pub const GATEWAY_TOKEN: &str = "test-gateway-token-0123456789";

pub struct Portal {
    pub _dir: tempfile::TempDir,
    pub store: Arc<SqliteStore>,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Portal {
    pub fn new() -> Portal {
        Portal::in_dir(tempfile::tempdir().unwrap())
    }

    /// A portal whose data directory is `dir/data` (e.g. on a small file system).
    pub fn in_dir(dir: tempfile::TempDir) -> Portal {
        let store = Arc::new(SqliteStore::open(&dir.path().join("data")).unwrap());
        let clock = Arc::new(ManualClock::new(START));
        let state = AppState {
            store: store.clone(),
            clock: clock.clone(),
            csrf_key: Arc::new([9u8; 32]),
            vendor_key: vendor::vendor_public_key(),
            verifier: Default::default(),
            settings: Arc::new(PortalSettings::default()),
            admin_token: Arc::new(zeroize::Zeroizing::new(TOKEN.to_string())),
            hash_slots: password_check::hash_slots(4),
            gateway_token: Some(Arc::new(zeroize::Zeroizing::new(GATEWAY_TOKEN.to_string()))),
        };
        Portal { _dir: dir, store, clock, state }
    }

    /// alice (user principal), bob (via group finance), carol (no 2FA); switch on.
    pub fn with_demo_directory() -> Portal {
        Portal::new().demo_directory()
    }

    /// Fills this portal's directory as `with_demo_directory` does.
    pub fn demo_directory(self) -> Portal {
        let p = self;
        for (user, password) in [("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")] {
            ops::add_user(p.store.as_ref(), user, password, "test", START).unwrap();
        }
        p.store.add_group("finance", "test", START as i64).unwrap();
        p.store.add_member("finance", "bob", "test", START as i64).unwrap();
        ops::add_principals(
            p.store.as_ref(),
            &p.state.vendor_key,
            &[Principal::User("alice".into()), Principal::Group("finance".into())],
            "test",
            START,
        )
        .unwrap();
        p.store.set_two_factor_enabled(true, "test", START as i64).unwrap();
        p
    }

    pub fn app(&self) -> Router {
        app(self.state.clone())
    }

    /// The same portal with other settings (limits, TLS cookies).
    pub fn with_settings(mut self, edit: impl FnOnce(&mut PortalSettings)) -> Portal {
        let mut settings = (*self.state.settings).clone();
        edit(&mut settings);
        self.state.settings = Arc::new(settings);
        self
    }

    /// Signs `user` in for the first time and activates the secret shown, at the clock's time.
    pub async fn enroll(&self, user: &str, password: &str) {
        use twofold_portal::clock::Clock;
        let mut b = Browser::new();
        b.sign_in(self.app(), user, password).await;
        b.get(self.app(), "/activate").await;
        let code = self.code_for(user, self.clock.now());
        let reply = b.post(self.app(), "/activate", &[("code", &code)]).await;
        assert_eq!(reply.location(), Some("/"), "{}", reply.body);
    }

    pub fn admin(&self) -> Router {
        admin_app(self.state.clone())
    }

    /// The code an authenticator app shows for `user`'s stored secret at the clock's time.
    pub fn code_for(&self, user: &str, at: u64) -> String {
        let secret = self.store.enrollment(user).unwrap().expect("enrolled").secret;
        twofold_core::totp(&secret, Algorithm::Sha1, 6, 30, at).unwrap()
    }

    pub async fn admin_call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        let body = match body {
            Some(json) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        send(self.admin(), req.body(body).unwrap()).await
    }
}

pub async fn send(router: Router, request: Request<Body>) -> Reply {
    let response: Response<Body> = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// A browser: keeps cookies, reads the CSRF token out of the last page.
pub struct Browser {
    pub cookies: HashMap<String, String>,
    pub csrf: String,
    /// The connection's peer address (as the listener would record it), if any.
    pub peer: Option<std::net::SocketAddr>,
    /// Headers sent with every request (e.g. `X-Forwarded-For` from a proxy).
    pub headers: Vec<(String, String)>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser { cookies: HashMap::new(), csrf: String::new(), peer: None, headers: Vec::new() }
    }

    /// A browser whose requests arrive from `peer`, with `headers` added to each.
    pub fn from(peer: &str, headers: &[(&str, &str)]) -> Browser {
        Browser {
            peer: Some(peer.parse().expect("ip:port")),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Browser::new()
        }
    }

    fn prepare(&self, mut req: Request<Body>) -> Request<Body> {
        if let Some(peer) = self.peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(twofold_portal::tls::ClientAddr(peer)));
        }
        for (k, v) in &self.headers {
            req.headers_mut()
                .append(header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        req
    }

    /// A GET with extra headers for this request only (what a proxy's subrequest carries).
    pub async fn get_with(&mut self, router: Router, path: &str, extra: &[(&str, &str)]) -> Reply {
        let mut req = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        for (k, v) in extra {
            req.headers_mut()
                .append(header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        let reply = send(router, self.prepare(req)).await;
        self.absorb(&reply);
        reply
    }

    fn absorb(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        if let Some(start) = reply.body.find("name=\"csrf\" value=\"") {
            let rest = &reply.body[start + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_string();
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&mut self, router: Router, path: &str) -> Reply {
        let req = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let reply = send(router, self.prepare(req)).await;
        self.absorb(&reply);
        reply
    }

    /// Posts a form; the CSRF token of the last page is added unless the fields name one.
    pub async fn post(&mut self, router: Router, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut pairs: Vec<(String, String)> =
            fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf".into(), self.csrf.clone()));
        }
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let reply = send(router, self.prepare(req)).await;
        self.absorb(&reply);
        reply
    }

    /// Password step: loads the login page, posts the credentials.
    pub async fn sign_in(&mut self, router: Router, user: &str, password: &str) -> Reply {
        self.get(router.clone(), "/login").await;
        self.post(router, "/login", &[("username", user), ("password", password)]).await
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
