//! A real Caddy (Debian's `caddy`) running the `forward_auth` site of docs/DEPLOY.md
//! section 5 — the block as written there, with only its host names and ports replaced — in
//! front of a stand-in desktop that echoes the user header it was given, and the portal.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Portal, START};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use twofold_portal::clock::Clock;
use twofold_portal::server::{self, Limits};

/// Caddy with its config, data and logs in a temp dir; killed on drop.
struct Caddy(Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn caddy_present() -> bool {
    let found = Command::new("caddy").arg("version").output().is_ok();
    if !found && std::env::var_os("TWOFOLD_E2E_REQUIRE_TOOLS").is_some() {
        panic!("caddy is required (scripts/install-deps.sh installs it)");
    }
    found
}

/// The ```caddyfile block of docs/DEPLOY.md.
fn documented_caddyfile() -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/DEPLOY.md"))
            .expect("docs/DEPLOY.md");
    let start = doc.find("```caddyfile\n").expect("a caddyfile block in DEPLOY.md") + 13;
    let len = doc[start..].find("```").expect("the block ends");
    doc[start..start + len].to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The stand-in desktop: answers every request with the `Remote-User` it received.
async fn echo_desktop() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let user = text
                    .lines()
                    .filter_map(|l| l.strip_prefix("remote-user:"))
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(",");
                let body = format!("desktop for [{user}]");
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    addr
}

async fn start_caddy(dir: &Path, port: u16, portal: SocketAddr, desktop: SocketAddr) -> Caddy {
    let site = documented_caddyfile()
        .replace("desktop.example.com {", &format!("http://127.0.0.1:{port} {{"))
        .replace("https://portal.example.com", &format!("http://{portal}"))
        .replace("127.0.0.1:6080", &desktop.to_string());
    let config = format!("{{\n    admin off\n    auto_https off\n}}\n\n{site}");
    let file = dir.join("Caddyfile");
    std::fs::write(&file, config).unwrap();
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("caddy.log")).unwrap())
        .spawn()
        .expect("start caddy");
    let caddy = Caddy(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return caddy;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("caddy did not listen: {}", std::fs::read_to_string(dir.join("caddy.log")).unwrap());
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn caddy_forward_auth_sends_a_visitor_to_the_sign_in_and_lets_a_full_session_through() {
    if !caddy_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let caddy_port = free_port();
    let desktop_origin = format!("http://127.0.0.1:{caddy_port}");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let portal_addr = listener.local_addr().unwrap();
    let p = Portal::with_demo_directory().with_settings(|s| {
        s.trusted_proxies = vec![twofold_portal::config::parse_network("127.0.0.1").unwrap()];
        s.forward_auth.protected_origins = vec![desktop_origin.clone()];
        s.forward_auth.public_url = Some(format!("http://{portal_addr}"));
    });
    p.enroll("alice", "alice-pw").await;
    p.clock.set(START + 30);
    tokio::spawn(server::serve(listener, None, p.app(), Limits::default(), std::future::pending()));
    let desktop = echo_desktop().await;
    let _caddy = start_caddy(tmp.path(), caddy_port, portal_addr, desktop).await;
    let page = format!("{desktop_origin}/vnc.html?autoconnect=true");

    // No session: Caddy passes on the portal's redirect to the sign-in, with the way back.
    let browser = client();
    let refused = browser.get(&page).send().await.unwrap();
    assert_eq!(refused.status(), 302, "{:?}", refused.text().await);
    let login = refused.headers()["location"].to_str().unwrap().to_string();
    let expected_rd: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
    assert_eq!(login, format!("http://{portal_addr}/login?rd={expected_rd}"));
    // A Remote-User header sent by the client does not get it in.
    let spoofed = client().get(&page).header("Remote-User", "alice").send().await.unwrap();
    assert_eq!(spoofed.status(), 302);

    // Password, then code: sent back to the desktop, which learns who it is.
    let form = browser.get(&login).send().await.unwrap().text().await.unwrap();
    let reply = browser
        .post(format!("http://{portal_addr}/login"))
        .form(&[("username", "alice"), ("password", "alice-pw"), ("csrf", &csrf_of(&form))])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["location"], "/verify");
    let form = browser.get(format!("http://{portal_addr}/verify")).send().await.unwrap();
    let csrf = csrf_of(&form.text().await.unwrap());
    // Password only, the desktop stays shut.
    assert_eq!(browser.get(&page).send().await.unwrap().status(), 302);
    let code = p.code_for("alice", p.clock.now());
    let reply = browser
        .post(format!("http://{portal_addr}/verify"))
        .form(&[("code", code.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["location"].to_str().unwrap(), page);
    let through = browser.get(&page).header("Remote-User", "mallory").send().await.unwrap();
    assert_eq!(through.status(), 200);
    assert_eq!(through.text().await.unwrap(), "desktop for [alice]", "the portal's user wins");

    // Signed out: shut again.
    let home = browser.get(format!("http://{portal_addr}/")).send().await.unwrap();
    let csrf = csrf_of(&home.text().await.unwrap());
    browser
        .post(format!("http://{portal_addr}/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(browser.get(&page).send().await.unwrap().status(), 302);
}
