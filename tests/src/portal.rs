//! A real `twofold-portal` process per test: a fresh temp data directory, two free loopback
//! ports, readiness by polling `GET /login`, the admin token from `DIR/admin.token`, the admin
//! CLI on the same data directory, and bearer-token helpers for the admin API. The process
//! (and its logs, shown when a test fails) lives as long as the [`Portal`] value.
//! [`Portal::start_with`] serves over TLS or with extra arguments (a config file) for the
//! tests whose other processes must know the portal's address before it starts.

use crate::process::{free_ports, ChildGuard};
use crate::web::{Page, WebClient};
use reqwest::{Method, StatusCode};
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the portal binary to test (else it is found next to the tests).
pub const PORTAL_BIN_ENV: &str = "TWOFOLD_PORTAL_BIN";

/// How long a portal may take to answer `GET /login` after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// The `twofold-portal` binary: `$TWOFOLD_PORTAL_BIN`, else `target/<profile>/twofold-portal`
/// beside the running test executable (which sits in `target/<profile>/deps`).
pub fn portal_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os(PORTAL_BIN_ENV) {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "{PORTAL_BIN_ENV}={} is not a file", bin.display());
        return bin;
    }
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir =
        exe.parent().and_then(Path::parent).expect("test exe in target/<profile>/deps");
    let bin = profile_dir.join("twofold-portal");
    assert!(
        bin.is_file(),
        "{} does not exist: build it first: cargo build -p twofold-portal (or set {PORTAL_BIN_ENV})",
        bin.display()
    );
    bin
}

/// An admin API answer, read whole.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: String,
}

impl ApiResponse {
    /// The body as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {:?}", self.status, self.body))
    }

    /// Asserts a 2xx status (naming `what` otherwise) and returns the body as JSON, or `null`
    /// for an empty body.
    pub fn ok(&self, what: &str) -> serde_json::Value {
        assert!(self.status.is_success(), "{what}: {} {}", self.status, self.body);
        if self.body.trim().is_empty() {
            serde_json::Value::Null
        } else {
            self.json()
        }
    }
}

/// How [`Portal::start_with`] starts the portal; the default is what [`Portal::start`] does.
#[derive(Default)]
pub struct PortalOptions {
    /// The portal and admin listener ports, when something started before the portal (a
    /// reverse proxy's config) must name them; else two free ports.
    pub ports: Option<[u16; 2]>,
    /// Arguments after `serve --data DIR --listen ADDR --admin-listen ADDR` (TLS flags,
    /// `--config FILE`).
    pub args: Vec<OsString>,
    /// The PEM CA that signed the portal's certificate, when `args` make it serve TLS: the base
    /// URLs become `https://` and the harness's own clients trust this CA (and no other).
    pub tls_ca: Option<PathBuf>,
    /// Extra environment of the portal process (libfaketime's variables for a portal whose
    /// clock is off).
    pub env: Vec<(String, String)>,
    /// Another `twofold-portal` binary than the one built here (the one extracted from the
    /// Debian package).
    pub bin: Option<PathBuf>,
    /// A `secrets.key` copied into the fresh data directory before the start: servers that
    /// share one store (PostgreSQL) need the same key.
    pub key_file: Option<PathBuf>,
}

/// libfaketime's preload library (Debian package `faketime`).
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// Whether libfaketime is installed; under `TWOFOLD_E2E_REQUIRE_TOOLS` its absence fails the
/// test instead of skipping it.
pub fn faketime_present(test: &str) -> bool {
    if Path::new(FAKETIME_LIB).is_file() {
        return true;
    }
    assert!(
        std::env::var_os(crate::tools::REQUIRE_TOOLS_ENV).is_none_or(|v| v.is_empty()),
        "{test}: {FAKETIME_LIB} missing (package faketime; run `make deps`)"
    );
    eprintln!("SKIPPED {test}: {FAKETIME_LIB} missing (package faketime)");
    false
}

impl PortalOptions {
    /// A portal whose clock runs `secs` ahead of this machine's: libfaketime on the portal's
    /// own process (the product has no clock switch). Without FAKETIME_DONT_FAKE_MONOTONIC
    /// tokio's timers never fire (TESTING-NOTES).
    pub fn clock_ahead(secs: i64) -> PortalOptions {
        let env = [
            ("LD_PRELOAD", FAKETIME_LIB.to_string()),
            ("FAKETIME", format!("{secs:+}s")),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_string()),
        ];
        PortalOptions {
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ..PortalOptions::default()
        }
    }
}

/// A running portal with its own data directory.
pub struct Portal {
    /// `http://127.0.0.1:PORT` (`https://` under TLS) of the main listener (pages, RDP gate).
    pub base: String,
    /// `http://127.0.0.1:PORT` (`https://` under TLS) of the admin listener.
    pub admin_base: String,
    /// The bearer token from `DIR/admin.token`.
    pub admin_token: String,
    data: PathBuf,
    logs: [PathBuf; 2],
    bin: PathBuf,
    http: reqwest::Client,
    ca_pem: Option<Vec<u8>>,
    process: ChildGuard,
    // Dropped last: the directory must outlive the process writing into it.
    _dir: tempfile::TempDir,
}

impl Portal {
    /// Starts `twofold-portal serve` on a fresh data directory and waits until it serves
    /// `/login`; panics with its logs if it exits or is not ready in time.
    pub async fn start() -> Portal {
        Portal::start_with(PortalOptions::default()).await
    }

    /// Like [`Portal::start`], with `--config CONFIG` (a portal config file, e.g. the
    /// `[directory]` of an LDAP test).
    pub async fn start_with_config(config: &Path) -> Portal {
        let args = vec![OsString::from("--config"), config.as_os_str().to_owned()];
        Portal::start_with(PortalOptions { args, ..PortalOptions::default() }).await
    }

    /// Like [`Portal::start`], with the listener ports, extra arguments and TLS trust of
    /// `options`.
    pub async fn start_with(options: PortalOptions) -> Portal {
        let bin = options.bin.clone().unwrap_or_else(portal_binary);
        let dir = tempfile::Builder::new().prefix("twofold-e2e-").tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("create data dir");
        if let Some(key) = &options.key_file {
            std::fs::copy(key, data.join("secrets.key")).expect("copy the key file");
        }
        let logs = [dir.path().join("portal.stdout.log"), dir.path().join("portal.stderr.log")];
        let ports = match options.ports {
            Some(ports) => ports.to_vec(),
            None => free_ports(2),
        };
        let listen = format!("127.0.0.1:{}", ports[0]);
        let admin_listen = format!("127.0.0.1:{}", ports[1]);
        let mut cmd = Command::new(&bin);
        cmd.arg("serve")
            .arg("--data")
            .arg(&data)
            .args(["--listen", &listen, "--admin-listen", &admin_listen])
            .args(&options.args)
            .envs(options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(File::create(&logs[0]).expect("stdout log"))
            .stderr(File::create(&logs[1]).expect("stderr log"));
        let process = ChildGuard::spawn("twofold-portal serve", &mut cmd);
        let ca_pem = options.tls_ca.as_ref().map(|path| {
            std::fs::read(path).unwrap_or_else(|e| panic!("read CA {}: {e}", path.display()))
        });
        let scheme = if ca_pem.is_some() { "https" } else { "http" };
        let http = crate::web::trusting(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30)),
            ca_pem.as_deref(),
        )
        .build()
        .expect("HTTP client");
        let mut portal = Portal {
            base: format!("{scheme}://{listen}"),
            admin_base: format!("{scheme}://{admin_listen}"),
            admin_token: String::new(),
            data,
            logs,
            bin,
            http,
            ca_pem,
            process,
            _dir: dir,
        };
        portal.wait_ready().await;
        portal
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        let login = format!("{}/login", self.base);
        let token_file = self.data.join("admin.token");
        loop {
            if let Some(status) = self.process.exited() {
                panic!("twofold-portal exited during start-up ({status})\n{}", self.logs_text());
            }
            let up = matches!(
                self.http.get(&login).timeout(Duration::from_secs(2)).send().await,
                Ok(r) if r.status() == StatusCode::OK
            );
            if up {
                if let Ok(token) = std::fs::read_to_string(&token_file) {
                    if !token.trim().is_empty() {
                        self.admin_token = token.trim().to_string();
                        return;
                    }
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "twofold-portal not ready after {READY_TIMEOUT:?} (GET /login 200: {up}, \
                     {} present: {})\n{}",
                    token_file.display(),
                    token_file.exists(),
                    self.logs_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the portal process now (the data directory stays until the value is dropped).
    pub fn kill(&mut self) {
        self.process.stop();
    }

    /// The data directory given to `--data`.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The portal's stdout and stderr so far.
    pub fn logs_text(&self) -> String {
        let mut text = String::new();
        for path in &self.logs {
            let body = std::fs::read_to_string(path).unwrap_or_default();
            text.push_str(&format!("----- {} -----\n{body}\n", path.display()));
        }
        text
    }

    /// A fresh browser-less user of this portal.
    pub fn web(&self) -> WebClient {
        WebClient::with_ca(&self.base, self.ca_pem.as_deref())
    }

    /// Runs the admin CLI as `twofold-portal ARGS… --data DIR` (the data flag is global, so it
    /// may follow the subcommand), feeding `stdin` if given. Returns stdout; panics with stderr
    /// on a non-zero exit.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .arg("--data")
            .arg(&self.data)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("run twofold-portal {args:?}: {e}"));
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(input.as_bytes()).expect("write CLI stdin");
        }
        let out = child.wait_with_output().expect("wait for CLI");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "twofold-portal {args:?} --data DIR failed ({}):\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// An admin API request with full control over token, content type and body (for the
    /// negative cases); the helpers below are the usual way in.
    pub async fn admin_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json_body: Option<&str>,
    ) -> ApiResponse {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.admin_base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = json_body {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let content_type =
            resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = resp.text().await.unwrap_or_else(|e| panic!("{method} {path} body: {e}"));
        ApiResponse { status, content_type, body }
    }

    /// `GET` on the admin API with the portal's token.
    pub async fn admin_get(&self, path: &str) -> ApiResponse {
        self.admin_raw(Method::GET, path, Some(&self.admin_token), None).await
    }

    /// `POST` JSON on the admin API with the portal's token.
    pub async fn admin_post(&self, path: &str, body: serde_json::Value) -> ApiResponse {
        self.admin_raw(Method::POST, path, Some(&self.admin_token), Some(&body.to_string())).await
    }

    /// `PUT` JSON on the admin API with the portal's token.
    pub async fn admin_put(&self, path: &str, body: serde_json::Value) -> ApiResponse {
        self.admin_raw(Method::PUT, path, Some(&self.admin_token), Some(&body.to_string())).await
    }

    /// `DELETE` on the admin API with the portal's token.
    pub async fn admin_delete(&self, path: &str) -> ApiResponse {
        self.admin_raw(Method::DELETE, path, Some(&self.admin_token), None).await
    }

    /// The RDP front ends' credential from the portal's `DIR/gateway.token`.
    pub fn gateway_token(&self) -> String {
        let path = self.data.join("gateway.token");
        let token = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        token.trim().to_string()
    }

    /// `POST /api/rdp/authorize` as an RDP front end (the PAM hook) calls it: with `token` as
    /// the bearer credential, or without any when `token` is `None`.
    pub async fn rdp_call(&self, token: Option<&str>, username: &str, password: &str) -> Page {
        let mut request = self
            .http
            .post(format!("{}/api/rdp/authorize", self.base))
            .json(&serde_json::json!({ "username": username, "password": password }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let resp = request.send().await.unwrap_or_else(|e| panic!("RDP gate for {username}: {e}"));
        let status = resp.status();
        let body = resp.text().await.unwrap_or_else(|e| panic!("RDP gate body: {e}"));
        Page { status, location: None, content_type: None, body }
    }

    /// The RDP gate's answer (`allowed`, `reason`) for `username` and `password`, asked with
    /// the gateway token.
    pub async fn rdp(&self, username: &str, password: &str) -> (bool, String) {
        let resp = self.rdp_call(Some(&self.gateway_token()), username, password).await;
        assert_eq!(resp.status, StatusCode::OK, "RDP gate for {username}: {}", resp.body);
        let body: serde_json::Value = serde_json::from_str(&resp.body)
            .unwrap_or_else(|e| panic!("RDP gate answer is not JSON ({e}): {}", resp.body));
        let allowed =
            body["allowed"].as_bool().unwrap_or_else(|| panic!("no bool allowed: {body}"));
        let reason = body["reason"].as_str().unwrap_or_else(|| panic!("no string reason: {body}"));
        (allowed, reason.to_string())
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.process.stop();
        if std::thread::panicking() {
            eprintln!(
                "portal at {} (data {}):\n{}",
                self.base,
                self.data.display(),
                self.logs_text()
            );
        }
    }
}
