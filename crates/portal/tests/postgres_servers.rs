//! Three real portal processes (`twofold-portal serve`) on one real PostgreSQL, with the same
//! key file: the data directory made with the admin CLI and copied over by
//! `twofold-portal migrate`, then
//! - the same valid code sent to all three at the same moment, many rounds: exactly one
//!   server accepts it, the others answer "already used";
//! - wrong codes spread over the servers lock the user at exactly the fifth;
//! - the database stopped: sign-in and the admin API answer 503, and both work again by
//!   themselves once it is back.
//!
//! The nginx round-robin + Chromium variant, with a server killed mid-sign-in, is
//! `tests/tests/round_robin.rs`.

#[path = "../../store/tests/common/pg.rs"]
mod pg;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use twofold_core::otp::Algorithm;
use twofold_core::Secret;

/// Rounds of the race; users take turns and are reset between their rounds (an unlicensed
/// portal allows 5 users with 2FA: 4 racers and carol).
const ROUNDS: usize = 12;
const RACERS: usize = 4;

fn portal(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    base: String,
    admin: String,
    data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A portal with its own data directory (holding a copy of the key file) on `url`.
    async fn start(root: &Path, n: usize, url: &str, key: &Path) -> Server {
        let data = root.join(format!("server{n}"));
        std::fs::create_dir(&data).unwrap();
        std::fs::copy(key, data.join("secrets.key")).unwrap();
        let config = root.join(format!("server{n}.toml"));
        std::fs::write(&config, format!("store = \"{url}\"\n")).unwrap();
        // A port found free can be taken by a parallel test before the portal binds it:
        // then the portal exits with "Address already in use", and new ports are tried.
        for attempt in 1..=5 {
            let (port, admin_port) = (free_port(), free_port());
            let child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
                .arg("--data")
                .arg(&data)
                .arg("serve")
                .arg("--config")
                .arg(&config)
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .args(["--admin-listen", &format!("127.0.0.1:{admin_port}")])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(root.join(format!("server{n}.log"))).unwrap())
                .spawn()
                .unwrap();
            let mut server = Server {
                child,
                base: format!("http://127.0.0.1:{port}"),
                admin: format!("http://127.0.0.1:{admin_port}"),
                data: data.clone(),
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut port_taken = false;
            while reqwest::get(format!("{}/login", server.base)).await.is_err() {
                let log = std::fs::read_to_string(root.join(format!("server{n}.log"))).unwrap();
                if matches!(server.child.try_wait(), Ok(Some(_)))
                    && log.contains("Address already in use")
                    && attempt < 5
                {
                    port_taken = true;
                    break;
                }
                assert!(Instant::now() < deadline, "portal {n} did not start: {log}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if !port_taken {
                return server;
            }
        }
        unreachable!("the last attempt returns or fails")
    }

    fn token(&self) -> String {
        std::fs::read_to_string(self.data.join("admin.token")).unwrap().trim().to_string()
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
            .timeout(Duration::from_secs(30))
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

    /// Posts a form; the status and where it redirects to, if anywhere.
    async fn post(&self, url: String, fields: &[(&str, &str)]) -> (u16, Option<String>) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.csrf));
        let reply = self.client.post(url).form(&form).send().await.unwrap();
        let location = reply.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        (reply.status().as_u16(), location)
    }

    async fn sign_in(&mut self, s: &Server, user: &str) -> (u16, Option<String>) {
        self.get(format!("{}/login", s.base)).await;
        self.post(format!("{}/login", s.base), &[("username", user), ("password", "pw-of-all")])
            .await
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn code(secret: &Secret, at: u64) -> String {
    twofold_core::totp(secret, Algorithm::Sha1, 6, 30, at).unwrap()
}

/// Enrolls `user` through `server` with the previous step's code, so the current step's code
/// is still fresh for the race that follows.
async fn enroll(server: &Server, user: &str) -> Secret {
    let mut v = Visitor::new();
    assert_eq!(v.sign_in(server, user).await.1.as_deref(), Some("/activate"));
    let page = v.get(format!("{}/activate", server.base)).await;
    let rest = page.split(r#"id="secret-key""#).nth(1).expect("the key shown as text");
    let key = rest[rest.find('>').unwrap() + 1..].split('<').next().unwrap().replace(' ', "");
    let secret = Secret::from_base32(&key).unwrap();
    let done =
        v.post(format!("{}/activate", server.base), &[("code", &code(&secret, now() - 30))]).await;
    assert_eq!(done.1.as_deref(), Some("/"), "activation through {}", server.base);
    secret
}

/// PostgreSQL, a SQLite directory with `users` (all needing 2FA, password `pw-of-all`) copied
/// into it by `migrate`, and three portals on it.
async fn three_servers(
    root: &Path,
    users: &[String],
) -> Option<(pg::PgServer, String, Vec<Server>)> {
    let pg = pg::PgServer::start()?;
    pg.create_database("twofold");
    let source = root.join("source");
    let data = source.to_str().unwrap();
    portal(&["--data", data, "group", "add", "staff"], None);
    for user in users {
        portal(&["--data", data, "user", "add", user, "--password-stdin"], Some("pw-of-all\n"));
        portal(&["--data", data, "group", "add-member", "staff", user], None);
    }
    portal(&["--data", data, "principals", "add", "group:staff"], None);
    portal(&["--data", data, "2fa", "on"], None);
    let url = pg.url("twofold");
    let copied = portal(&["migrate", "--from", data, "--to", &url], None);
    assert!(copied.contains("verified: every table read back equal"), "{copied}");
    let key = source.join("secrets.key");
    let mut servers = Vec::new();
    for n in 0..3 {
        servers.push(Server::start(root, n, &url, &key).await);
    }
    Some((pg, url, servers))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_accept_each_code_once_and_lock_a_user_at_the_fifth_wrong_code() {
    let root = tempfile::tempdir().unwrap();
    let mut users: Vec<String> = (0..RACERS).map(|i| format!("racer{i}")).collect();
    users.push("carol".to_string());
    let Some((pg, _url, servers)) = three_servers(root.path(), &users).await else { return };

    let admin = reqwest::Client::new();
    for round in 0..ROUNDS {
        let user = &users[round % RACERS];
        if round >= RACERS {
            // Reset through one server, enrolled again through another: a fresh secret.
            let server = &servers[(round + 1) % 3];
            let reset = admin
                .post(format!("{}/api/v1/users/reset", server.admin))
                .bearer_auth(server.token())
                .json(&serde_json::json!({ "usernames": [user] }))
                .send()
                .await
                .unwrap();
            assert!(reset.status().is_success(), "reset {user}: {}", reset.status());
        }
        let secret = enroll(&servers[round % 3], user).await;
        // One visitor per server, each past the password and at the code step.
        let mut visitors = Vec::new();
        for server in &servers {
            let mut v = Visitor::new();
            assert_eq!(v.sign_in(server, user).await.1.as_deref(), Some("/verify"));
            v.get(format!("{}/verify", server.base)).await;
            visitors.push(v);
        }
        let fresh = code(&secret, now());
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(3));
        let tasks: Vec<_> = visitors
            .into_iter()
            .zip(&servers)
            .map(|(v, server)| {
                let (url, fresh, barrier) =
                    (format!("{}/verify", server.base), fresh.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    v.post(url, &[("code", &fresh)]).await
                })
            })
            .collect();
        let mut replies = Vec::new();
        for t in tasks {
            replies.push(t.await.unwrap());
        }
        let accepted = replies.iter().filter(|(_, l)| l.as_deref() == Some("/")).count();
        assert_eq!(accepted, 1, "round {round}: {replies:?}");
        assert_eq!(
            replies.iter().filter(|(status, _)| *status == 401).count(),
            2,
            "round {round}: the others are told the code was used: {replies:?}"
        );
    }

    // Wrong codes, one server after another: counted as one sequence, locked at the fifth.
    let secret = enroll(&servers[0], "carol").await;
    let right = [code(&secret, now()), code(&secret, now() - 30), code(&secret, now() + 30)];
    let wrong = (0..100u64)
        .map(|i| code(&secret, now() + 3600 + 30 * i))
        .find(|c| !right.contains(c))
        .unwrap();
    let mut visitors = Vec::new();
    for server in &servers {
        let mut v = Visitor::new();
        assert_eq!(v.sign_in(server, "carol").await.1.as_deref(), Some("/verify"));
        v.get(format!("{}/verify", server.base)).await;
        visitors.push(v);
    }
    let state = || {
        pg.psql(
            "twofold",
            "SELECT failures, coalesce(locked_until::text, '-') FROM enrollments \
             WHERE user_name = 'carol'",
        )
    };
    for attempt in 1..=5 {
        let (v, server) = (&visitors[attempt % 3], &servers[attempt % 3]);
        let (status, _) = v.post(format!("{}/verify", server.base), &[("code", &wrong)]).await;
        if attempt < 5 {
            assert_eq!(status, 401, "wrong code {attempt}");
            assert_eq!(state(), format!("{attempt}|-"), "after wrong code {attempt}");
        } else {
            assert_eq!(status, 423, "the fifth wrong code locks");
            let (failures, until) =
                state().split_once('|').map(|(f, u)| (f.to_string(), u.to_string())).unwrap();
            assert_eq!(failures, "5");
            assert_ne!(until, "-", "locked");
        }
    }
    // Locked everywhere: the right code on another server is refused unread.
    let (v, server) = (&visitors[0], &servers[0]);
    let (status, _) =
        v.post(format!("{}/verify", server.base), &[("code", &code(&secret, now()))]).await;
    assert_eq!(status, 423);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_database_answers_503_and_the_servers_recover_when_it_is_back() {
    let root = tempfile::tempdir().unwrap();
    let users = vec!["dana".to_string()];
    let Some((pg, _url, servers)) = three_servers(root.path(), &users).await else { return };
    enroll(&servers[0], "dana").await;
    let admin = reqwest::Client::new();
    let status_of = |server: &Server| {
        admin.get(format!("{}/api/v1/status", server.admin)).bearer_auth(server.token()).send()
    };
    assert_eq!(status_of(&servers[1]).await.unwrap().status(), 200);

    pg.stop();
    for server in &servers {
        let mut v = Visitor::new();
        let (status, _) = v.sign_in(server, "dana").await;
        assert_eq!(status, 503, "sign-in on {} with the database down", server.base);
        assert_eq!(status_of(server).await.unwrap().status(), 503, "admin API");
        // Every screen of the Admin mode says the same: the principals' list goes through the
        // directory's code and must still answer as the store does, not as an internal error.
        let principals = admin
            .get(format!("{}/api/v1/principals", server.admin))
            .bearer_auth(server.token())
            .send()
            .await
            .unwrap();
        assert_eq!(principals.status(), 503, "principals with the database down");
        let body: serde_json::Value = principals.json().await.unwrap();
        assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    }

    pg.restart();
    for server in &servers {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut v = Visitor::new();
            let (status, location) = v.sign_in(server, "dana").await;
            if location.as_deref() == Some("/verify") {
                break;
            }
            assert_eq!(status, 503, "only 'unavailable' while recovering");
            assert!(Instant::now() < deadline, "{} did not recover", server.base);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(status_of(server).await.unwrap().status(), 200, "admin API back");
    }
}

/// The admin CLI given a server's config file acts on the shared database, not on a SQLite
/// file of its own: what it adds, enables and resets is what every server sees at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_admin_cli_with_the_config_file_changes_the_state_every_server_sees() {
    let root = tempfile::tempdir().unwrap();
    let users = vec!["erin".to_string()];
    let Some((_pg, _url, servers)) = three_servers(root.path(), &users).await else { return };
    let data = servers[0].data.to_str().unwrap().to_string();
    let config = root.path().join("server0.toml");
    let cli = |args: &[&str], stdin: Option<&str>| {
        let mut all = vec!["--data", &data, "--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        portal(&all, stdin)
    };
    cli(&["user", "add", "zed", "--password-stdin"], Some("pw-of-all\n"));
    cli(&["principals", "add", "user:zed"], None);
    let listed = cli(&["user", "list"], None);
    assert!(
        listed.lines().any(|l| l.starts_with("zed\t") && l.ends_with("2fa=required")),
        "{listed}"
    );
    assert!(
        !servers[0].data.join("twofold.db").exists(),
        "the CLI made a SQLite database beside the key file instead of using PostgreSQL"
    );

    let admin = reqwest::Client::new();
    for server in &servers {
        let principals = admin
            .get(format!("{}/api/v1/principals", server.admin))
            .bearer_auth(server.token())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(principals.contains("\"zed\""), "{} lists {principals}", server.admin);
    }
    // zed signs in with the password the CLI set, through another server, and is enrolled.
    let mut v = Visitor::new();
    assert_eq!(v.sign_in(&servers[1], "zed").await.1.as_deref(), Some("/activate"));

    // erin enrolls through server 2; a reset from the CLI gives her a new QR code anywhere.
    enroll(&servers[2], "erin").await;
    let mut v = Visitor::new();
    assert_eq!(v.sign_in(&servers[1], "erin").await.1.as_deref(), Some("/verify"));
    cli(&["reset", "erin"], None);
    let mut v = Visitor::new();
    assert_eq!(v.sign_in(&servers[1], "erin").await.1.as_deref(), Some("/activate"));
    let audit = cli(&["audit", "--user", "erin"], None);
    assert!(
        audit.lines().any(|l| l.contains("\tcli:") && l.contains("\tuser.reset\terin")),
        "{audit}"
    );
}
