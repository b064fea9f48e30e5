//! The real portal killed with SIGKILL in the middle of things — an enrollment, a reset,
//! sign-ins — and started again on the same data directory: no half state. A pending secret
//! is shown again or replaced, never silently active; a reset either happened or did not.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use twofold_core::{otp::Algorithm, EnrollmentState};
use twofold_store::{EnrollmentRepo, SqliteStore};

fn cli(data: &Path, args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

struct Server {
    child: Child,
    base: String,
    admin: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    async fn start(data: &Path) -> Server {
        let (port, admin_port) = (free_port(), free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--admin-listen", &format!("127.0.0.1:{admin_port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/login", server.base)).await.is_err() {
            assert!(Instant::now() < deadline, "the portal did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

/// A browser over HTTP: cookies kept, CSRF token read from the last page.
struct Visitor {
    client: reqwest::Client,
    csrf: String,
}

impl Visitor {
    fn new() -> Visitor {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Visitor { client, csrf: String::new() }
    }

    async fn get(&mut self, url: String) -> String {
        let body = self.client.get(url).send().await.unwrap().text().await.unwrap();
        if let Some(rest) = body.split("name=\"csrf\" value=\"").nth(1) {
            self.csrf = rest.split('"').next().unwrap().to_string();
        }
        body
    }

    /// Posts a form; returns where it redirects to, if anywhere.
    async fn post(&mut self, url: String, fields: &[(&str, &str)]) -> Option<String> {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.csrf));
        let reply = self.client.post(url).form(&form).send().await.unwrap();
        reply.headers().get("location").map(|l| l.to_str().unwrap().to_string())
    }

    async fn sign_in(&mut self, s: &Server, user: &str, password: &str) -> Option<String> {
        self.get(format!("{}/login", s.base)).await;
        self.post(format!("{}/login", s.base), &[("username", user), ("password", password)]).await
    }
}

fn shown_key(page: &str) -> String {
    let rest = page.split(r#"id="secret-key""#).nth(1).unwrap();
    rest[rest.find('>').unwrap() + 1..].split('<').next().unwrap().replace(' ', "")
}

fn state_of(data: &Path, user: &str) -> Option<EnrollmentState> {
    SqliteStore::open(data).unwrap().enrollment(user).unwrap().map(|e| e.state)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn setup(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    cli(&data, &["user", "add", "alice", "--password-stdin"], Some("alice-pw\n"));
    cli(&data, &["principals", "add", "user:alice"], None);
    cli(&data, &["2fa", "on"], None);
    data
}

#[tokio::test]
async fn killed_during_enrollment_the_secret_stays_pending_and_a_new_sign_in_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let server = Server::start(&data).await;
    let mut v = Visitor::new();
    assert_eq!(v.sign_in(&server, "alice", "alice-pw").await.as_deref(), Some("/activate"));
    let first = shown_key(&v.get(format!("{}/activate", server.base)).await);
    server.kill();

    assert_eq!(state_of(&data, "alice"), Some(EnrollmentState::Pending));
    let server = Server::start(&data).await;
    let mut v = Visitor::new();
    assert_eq!(v.sign_in(&server, "alice", "alice-pw").await.as_deref(), Some("/activate"));
    let page = v.get(format!("{}/activate", server.base)).await;
    let second = shown_key(&page);
    assert_ne!(first, second, "the key shown before the crash came back");
    let secret = twofold_core::Secret::from_base32(&second).unwrap();
    let code = twofold_core::totp(&secret, Algorithm::Sha1, 6, 30, now()).unwrap();
    let done = v.post(format!("{}/activate", server.base), &[("code", &code)]).await;
    assert_eq!(done.as_deref(), Some("/"));
    server.kill();
    assert_eq!(state_of(&data, "alice"), Some(EnrollmentState::Active));
}

#[tokio::test]
async fn killed_while_resets_and_sign_ins_run_every_user_is_either_reset_or_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let token_file = data.join("admin.token");
    for round in 0..4u64 {
        // Enroll alice (again), then kill the portal while a reset and sign-ins are in flight.
        let server = Server::start(&data).await;
        if state_of(&data, "alice") != Some(EnrollmentState::Active) {
            let mut v = Visitor::new();
            v.sign_in(&server, "alice", "alice-pw").await;
            let key = shown_key(&v.get(format!("{}/activate", server.base)).await);
            let secret = twofold_core::Secret::from_base32(&key).unwrap();
            let code = twofold_core::totp(&secret, Algorithm::Sha1, 6, 30, now()).unwrap();
            v.post(format!("{}/activate", server.base), &[("code", &code)]).await;
        }
        let before = SqliteStore::open(&data).unwrap().enrollment("alice").unwrap().unwrap();
        assert_eq!(before.state, EnrollmentState::Active);
        let token = std::fs::read_to_string(&token_file).unwrap();
        let reset = reqwest::Client::new()
            .post(format!("{}/api/v1/users/reset", server.admin))
            .bearer_auth(token.trim())
            .json(&serde_json::json!({ "usernames": ["alice"] }))
            .send();
        let base = server.base.clone();
        let sign_ins = tokio::spawn(async move {
            let v = Visitor { client: reqwest::Client::new(), csrf: String::new() };
            for _ in 0..5 {
                let _ = v.client.get(format!("{base}/login")).send().await;
            }
        });
        let in_flight = tokio::spawn(async move {
            let _ = reset.await;
        });
        tokio::time::sleep(Duration::from_millis(round * 3)).await;
        server.kill();
        let _ = in_flight.await;
        let _ = sign_ins.await;

        let after = SqliteStore::open(&data).unwrap().enrollment("alice").unwrap();
        match after {
            None => {}
            Some(e) => {
                assert_eq!(e.state, EnrollmentState::Active, "round {round}: a half reset");
                assert_eq!(e.secret.as_bytes(), before.secret.as_bytes(), "round {round}");
            }
        }
    }
}
