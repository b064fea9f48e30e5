//! Three portal servers on one real PostgreSQL behind a real nginx round-robin upstream, the
//! way DEPLOY.md §8 deploys several servers with one point of entry:
//! - an admin change made through one server's admin API is seen at once through the others';
//! - a real (headless) Chromium enrolls and signs in through nginx, and its requests land on
//!   every server (nginx's access log names the upstream of each);
//! - one server is killed mid-sign-in: the same browser session finishes the step and signs
//!   in again through the two left, and no request gets a 502.

#[path = "../../crates/store/tests/common/pg.rs"]
mod pg;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use twofold_e2e::browser::{Browser, CHROMEDRIVER, CHROMIUM};
use twofold_e2e::clock::{now_unix, step_after, step_of};
use twofold_e2e::desktop_stack::start_nginx;
use twofold_e2e::portal::{portal_binary, PortalOptions};
use twofold_e2e::process::free_ports;
use twofold_e2e::{oathtool_totp, tools_present, Portal};

const USER: &str = "erin";
const PASSWORD: &str = "erin-correct-horse";

fn cli(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new(portal_binary())
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run twofold-portal");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    let out = child.wait_with_output().expect("wait for twofold-portal");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// nginx's site: one upstream of the three portals, round robin; each access log line names
/// the upstream that answered ("-" when none did).
fn site(listen: SocketAddr, portals: &[&Portal]) -> String {
    let servers: String = portals
        .iter()
        .map(|p| {
            format!(
                "        server {} max_fails=1 fail_timeout=30s;\n",
                p.base.trim_start_matches("http://")
            )
        })
        .collect();
    format!(
        "log_format upstreams '$request_method $uri $status $upstream_addr';
upstream portals {{
{servers}}}
server {{
    listen {listen};
    access_log access-upstreams.log upstreams;
    location / {{
        proxy_pass http://portals;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_next_upstream error timeout;
    }}
}}
"
    )
}

async fn sign_in_with_password(browser: &Browser, entry: &str) {
    browser.goto(&format!("{entry}/login")).await;
    browser.type_into("input[name=username]", USER).await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click("#sign-in").await;
}

async fn assert_signed_in(browser: &Browser) {
    browser.wait_for_path("/").await;
    let who = browser.find("#signed-in-as").await.text().await.expect("signed-in-as");
    assert_eq!(who, USER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_behind_nginx_share_one_state_and_a_sign_in_survives_one_of_them_killed() {
    let test =
        "three_servers_behind_nginx_share_one_state_and_a_sign_in_survives_one_of_them_killed";
    if !tools_present(test, &["nginx", "oathtool", CHROMEDRIVER, CHROMIUM]) {
        return;
    }
    let Some(pg) = pg::PgServer::start() else { return };
    pg.create_database("twofold");
    let url = pg.url("twofold");

    // The directory made with the admin CLI, copied into PostgreSQL.
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let source = root.path().join("source");
    cli(&source, &["user", "add", USER, "--password-stdin"], Some(&format!("{PASSWORD}\n")));
    cli(&source, &["2fa", "on"], None);
    let copied = cli(&source, &["migrate", "--from", source.to_str().unwrap(), "--to", &url], None);
    assert!(copied.contains("verified"), "{copied}");
    let config = root.path().join("portal.toml");
    std::fs::write(&config, format!("store = \"{url}\"\n")).unwrap();
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(
            Portal::start_with(PortalOptions {
                args: vec!["--config".into(), config.clone().into()],
                key_file: Some(source.join("secrets.key")),
                ..PortalOptions::default()
            })
            .await,
        );
    }

    // An admin change through one server is there at once through the others.
    servers[0]
        .admin_post(
            "/api/v1/principals",
            serde_json::json!({ "principals": [{ "kind": "user", "name": USER }] }),
        )
        .await
        .ok("add the principal through server 0");
    for (n, server) in servers.iter().enumerate().skip(1) {
        let listed = server.admin_get("/api/v1/principals").await.ok("principals");
        let names: Vec<&str> =
            listed["items"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, [USER], "server {n} sees the principal added through server 0");
    }

    let prefix = root.path().join("nginx");
    std::fs::create_dir(&prefix).unwrap();
    std::fs::set_permissions(&prefix, std::fs::Permissions::from_mode(0o755)).unwrap();
    let listen = SocketAddr::from(([127, 0, 0, 1], free_ports(1)[0]));
    let _nginx = start_nginx(&prefix, &site(listen, &servers.iter().collect::<Vec<_>>()), listen);
    let entry = format!("http://{listen}");
    let log = prefix.join("access-upstreams.log");
    let upstreams = |from_line: usize| -> Vec<String> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .skip(from_line)
            .map(str::to_string)
            .collect()
    };

    // Enrollment and sign-in through nginx: the steps land on every server.
    let browser = Browser::start().await;
    sign_in_with_password(&browser, &entry).await;
    browser.wait_for_path("/activate").await;
    let key = browser.find("#secret-key").await.text().await.expect("key").replace(' ', "");
    let activated_at = now_unix();
    browser.type_into("input[name=code]", &oathtool_totp(&key, activated_at)).await;
    browser.click("#activate").await;
    assert_signed_in(&browser).await;
    let lines = upstreams(0);
    let served_by: std::collections::BTreeSet<&str> =
        lines.iter().filter_map(|l| l.split(' ').nth(3)).collect();
    assert_eq!(served_by.len(), 3, "round robin reaches all three servers:\n{}", lines.join("\n"));

    // Server 1 dies between the password and the code; the session goes on through the others.
    browser.click("#sign-out").await;
    browser.wait_for_path("/login").await;
    sign_in_with_password(&browser, &entry).await;
    browser.wait_for_path("/verify").await;
    let before_kill = upstreams(0).len();
    let killed = servers[1].base.trim_start_matches("http://").to_string();
    servers[1].kill();
    if step_of(now_unix()) <= step_of(activated_at) {
        step_after(step_of(activated_at)).await;
    }
    browser.type_into("input[name=code]", &oathtool_totp(&key, now_unix())).await;
    browser.click("#verify").await;
    assert_signed_in(&browser).await;
    browser.goto(&format!("{entry}/")).await;
    assert_signed_in(&browser).await;
    let after: Vec<String> = upstreams(before_kill);
    assert!(!after.is_empty(), "requests after the kill were logged");
    for line in &after {
        let status = line.split(' ').nth(2).unwrap_or("");
        assert!(!status.starts_with('5'), "a 5xx after the kill: {line}\n{}", after.join("\n"));
        let answered_by = line.split(' ').nth(3).unwrap_or("");
        assert!(
            answered_by.split(", ").last() != Some(killed.as_str()),
            "the killed server answered: {line}"
        );
    }
    browser.close().await;
}
