//! The portal in front of a real web remote desktop, as a user meets it in Chromium over TLS:
//! the sign-in on the portal alone (over HTTP/2), then nginx — running the config of
//! docs/DEPLOY.md section 4 — sending a stranger from the noVNC page to the portal's sign-in
//! and back, and the noVNC client connecting through nginx to an Xvnc desktop. And what is
//! refused without a full session: the page and its websocket, checked with `curl`, before the
//! code and after signing out.
//!
//! Chromium trusts the test CA through an NSS db in a temp `HOME` (`certutil`), with no
//! certificate-error flags: a page that loads at all was verified.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use twofold_e2e::browser::{Browser, BrowserOptions, CHROMEDRIVER, CHROMIUM};
use twofold_e2e::clock::{now_unix, step_after, step_of};
use twofold_e2e::desktop_stack::{DesktopStack, TestCa, DESKTOP_RGB, STACK_TOOLS};
use twofold_e2e::portal::PortalOptions;
use twofold_e2e::process::free_ports;
use twofold_e2e::signin_steps::enroll;
use twofold_e2e::{oathtool_totp, tools_present, Portal};

const ALICE_PW: &str = "alice-correct-horse";
const DESKTOP_NAME: &str = "Office desktop";

fn tools(test: &str) -> bool {
    let mut needed = vec!["oathtool", CHROMEDRIVER, CHROMIUM];
    needed.extend_from_slice(STACK_TOOLS);
    tools_present(test, &needed)
}

/// A Chromium whose certificate store trusts `ca` (and nothing was switched off).
async fn browser_trusting(ca: &TestCa) -> Browser {
    Browser::start_with(BrowserOptions { home: Some(ca.nss_home()), ..BrowserOptions::default() })
        .await
}

/// The protocol the current page's document came over (`h2`, `http/1.1`).
async fn page_protocol(browser: &Browser) -> String {
    let value = browser
        .client
        .execute("return performance.getEntriesByType('navigation')[0].nextHopProtocol;", vec![])
        .await
        .expect("read nextHopProtocol");
    value.as_str().unwrap_or_default().to_string()
}

async fn type_password(browser: &Browser) {
    browser.find("#sign-in").await;
    browser.type_into("input[name=username]", "alice").await;
    browser.type_into("input[name=password]", ALICE_PW).await;
    browser.click("#sign-in").await;
}

/// Types a code for a step later than `used_step` (the portal refuses a step it already
/// accepted, as a phone would show the same code until the step ends) on `/verify`. Returns
/// the step of the code typed.
async fn type_fresh_code(browser: &Browser, secret: &str, used_step: u64) -> u64 {
    if step_of(now_unix()) <= used_step {
        step_after(used_step).await;
    }
    let now = now_unix();
    browser.type_into("input[name=code]", &oathtool_totp(secret, now)).await;
    record_csp_violations(browser).await;
    browser.click("#verify").await;
    step_of(now)
}

/// From now on the current page keeps the Content-Security-Policy violations it sees: a
/// redirect after a form post to another origin is checked against `form-action`, and a
/// blocked one leaves the browser on the form's page with nothing else to show for it.
async fn record_csp_violations(browser: &Browser) {
    browser
        .client
        .execute(
            "window.twofoldCsp = []; document.addEventListener('securitypolicyviolation', \
             e => window.twofoldCsp.push(e.violatedDirective + ' (blocked ' + e.blockedURI + ')'));",
            vec![],
        )
        .await
        .expect("listen for CSP violations");
}

/// What [`record_csp_violations`] saw on the current page (empty when it was not set up).
async fn csp_violations(browser: &Browser) -> Vec<String> {
    match browser.client.execute("return window.twofoldCsp || [];", vec![]).await {
        Ok(serde_json::Value::Array(items)) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        }
        _ => Vec::new(),
    }
}

async fn assert_home_shows_alice(browser: &Browser) {
    browser.wait_for_path("/").await;
    let who = browser.find("#signed-in-as").await.text().await.expect("signed-in-as text");
    assert_eq!(who, "alice", "home page names the wrong user");
}

#[tokio::test]
async fn chromium_over_tls_enrolls_and_signs_in_with_password_and_code_over_http2() {
    let test = "chromium_over_tls_enrolls_and_signs_in_with_password_and_code_over_http2";
    if !tools(test) {
        return;
    }
    let ca = TestCa::make();
    let portal = Portal::start_with(PortalOptions {
        args: vec![
            "--tls-cert".into(),
            ca.cert_pem.clone().into(),
            "--tls-key".into(),
            ca.key_pem.clone().into(),
        ],
        tls_ca: Some(ca.ca_pem.clone()),
        ..PortalOptions::default()
    })
    .await;
    portal.cli(&["user", "add", "alice", "--password-stdin"], Some(ALICE_PW));
    portal.cli(&["principals", "add", "user:alice"], None);
    portal.cli(&["2fa", "on"], None);
    let browser = browser_trusting(&ca).await;

    browser.goto(&format!("{}/login", portal.base)).await;
    // Before the portal served HTTP/2 for real, Chromium (which picks h2 by ALPN) got no page.
    assert_eq!(page_protocol(&browser).await, "h2", "the login page came over HTTP/2");
    type_password(&browser).await;

    browser.wait_for_path("/activate").await;
    let key = browser.find("#secret-key").await.text().await.expect("secret-key text");
    let secret = key.replace(' ', "");
    let activated_at = now_unix();
    browser.type_into("input[name=code]", &oathtool_totp(&secret, activated_at)).await;
    browser.click("#activate").await;
    assert_home_shows_alice(&browser).await;
    println!("home over TLS: {}", browser.save_screenshot("tls-home").await.display());

    browser.click("#sign-out").await;
    browser.wait_for_path("/login").await;
    type_password(&browser).await;
    browser.wait_for_path("/verify").await;
    type_fresh_code(&browser, &secret, step_of(activated_at)).await;
    assert_home_shows_alice(&browser).await;
    assert_eq!(page_protocol(&browser).await, "h2", "the home page came over HTTP/2");

    browser.close().await;
}

/// The portal (TLS, config file naming the desktop as a protected origin), nginx with the
/// DEPLOY.md site in front of noVNC/websockify/Xvnc, and alice enrolled (2FA on).
struct WebDesktop {
    // Dropped first: nginx stops asking the portal before it goes.
    stack: DesktopStack,
    portal: Portal,
    ca: TestCa,
    /// alice's TOTP secret and the step of the last code she used.
    secret: String,
    used_step: u64,
    _config_dir: tempfile::TempDir,
}

/// The portal's config file for the stack, in the documented format (docs/DEPLOY.md section
/// 2); the listeners are also given as flags by the harness, which take precedence.
fn portal_config(
    ca: &TestCa,
    portal: SocketAddr,
    admin: SocketAddr,
    desktop_origin: &str,
) -> String {
    format!(
        r#"issuer = "Twofold"

[listen]
portal = "{portal}"
admin = "{admin}"

[tls]
cert = "{cert}"
key = "{key}"

[proxy]
trusted = ["127.0.0.1/32"]

[forward_auth]
user_header = "Remote-User"
protected_origins = ["{desktop_origin}"]
public_url = "https://{portal}"

[[desktops]]
name = "{DESKTOP_NAME}"
url = "{desktop_origin}/vnc.html?autoconnect=true&resize=scale"
"#,
        cert = ca.cert_pem.display(),
        key = ca.key_pem.display(),
    )
}

async fn web_desktop() -> WebDesktop {
    let ca = TestCa::make();
    let ports = free_ports(3);
    let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let (portal_addr, admin_addr) = (loopback(ports[0]), loopback(ports[1]));
    let stack = DesktopStack::start(&ca, ports[2], portal_addr);
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path().join("portal.toml");
    std::fs::write(&config, portal_config(&ca, portal_addr, admin_addr, &stack.origin))
        .expect("write portal.toml");
    let portal = Portal::start_with(PortalOptions {
        ports: Some([ports[0], ports[1]]),
        args: vec!["--config".into(), config.into()],
        tls_ca: Some(ca.ca_pem.clone()),
        ..PortalOptions::default()
    })
    .await;
    portal.cli(&["user", "add", "alice", "--password-stdin"], Some(ALICE_PW));
    portal.cli(&["principals", "add", "user:alice"], None);
    portal.cli(&["2fa", "on"], None);
    let secret = enroll(&portal, "alice", ALICE_PW).await;
    // enroll() typed the code of the step current when it returned at the latest.
    let used_step = step_of(now_unix());
    WebDesktop { stack, portal, ca, secret, used_step, _config_dir: config_dir }
}

impl WebDesktop {
    /// Waits until the browser shows the portal's page `path` (on the portal's origin).
    async fn wait_for_portal_page(&self, browser: &Browser, path: &str) -> String {
        browser.wait_for_path(path).await;
        let url = browser.client.current_url().await.expect("current url");
        assert_eq!(
            url.origin().ascii_serialization(),
            self.portal.base,
            "{path} is the portal's page, not the desktop's: {url}"
        );
        url.to_string()
    }

    /// Waits until noVNC on the current page has connected through nginx and drawn the
    /// desktop: its `noVNC_connected` state and the root window's colour on its canvas.
    async fn wait_for_connected_desktop(&self, browser: &Browser) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let url = browser.client.current_url().await.expect("current url");
            if url.path() == "/vnc.html" {
                break;
            }
            let blocked = csp_violations(browser).await;
            assert!(
                blocked.is_empty(),
                "the browser did not follow the portal back to the desktop: its CSP blocked the \
                 redirect ({blocked:?}); still at {url}"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "not back at the desktop, still at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let url = browser.client.current_url().await.expect("current url");
        assert_eq!(url.origin().ascii_serialization(), self.stack.origin, "on the desktop: {url}");
        browser
            .wait_until(
                "document.documentElement.classList.contains('noVNC_connected')",
                "noVNC connects to the desktop",
            )
            .await;
        let [r, g, b] = DESKTOP_RGB;
        // The canvas holds the remote framebuffer at its own size; (8, 8) is root window,
        // away from the clock.
        let drawn = format!(
            "(() => {{ const c = document.querySelector('#noVNC_container canvas');\
               if (!c || c.width !== 1280 || c.height !== 800) return false;\
               const p = c.getContext('2d').getImageData(8, 8, 1, 1).data;\
               return p[0] === {r} && p[1] === {g} && p[2] === {b}; }})()"
        );
        browser.wait_until(&drawn, "noVNC's canvas shows the desktop's root colour").await;
    }

    /// The browser's cookies for the current page's host, as a `Cookie` header value.
    async fn cookie_header(&self, browser: &Browser) -> String {
        let cookies = browser.client.get_all_cookies().await.expect("get cookies");
        assert!(!cookies.is_empty(), "the browser holds no cookie for this host");
        cookies.iter().map(|c| format!("{}={}", c.name(), c.value())).collect::<Vec<_>>().join("; ")
    }

    /// What nginx answers `curl` for the desktop page.
    async fn page(&self, cookie: Option<&str>) -> Answer {
        curl(&self.ca.ca_pem, &self.stack.desktop_url, cookie, false).await
    }

    /// What nginx answers `curl` for a websocket upgrade of noVNC's path.
    async fn websocket(&self, cookie: Option<&str>) -> Answer {
        curl(&self.ca.ca_pem, &format!("{}/websockify", self.stack.origin), cookie, true).await
    }

    /// Asserts the page is a redirect to the portal's sign-in with the desktop as `rd`, and
    /// the websocket upgrade a plain 401.
    async fn assert_refused(&self, cookie: Option<&str>, when: &str) {
        let page = self.page(cookie).await;
        assert_eq!(page.status, 302, "{when}: the desktop page: {page:?}");
        let location = page.location.clone().unwrap_or_default();
        let sign_in = format!("{}/login?rd=", self.portal.base);
        assert!(location.starts_with(&sign_in), "{when}: redirected to {location:?}");
        let rd = percent_decode(&location[sign_in.len()..]);
        assert_eq!(rd, self.stack.desktop_url, "{when}: rd is the page first asked for");
        let ws = self.websocket(cookie).await;
        assert_eq!(ws.status, 401, "{when}: the websocket upgrade: {ws:?}");
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8().expect("UTF-8 rd").into_owned()
}

/// A status line and `Location` header as curl received them.
#[derive(Debug)]
struct Answer {
    status: u16,
    location: Option<String>,
}

/// `curl` trusting only the test CA. The page over HTTP/2 (what browsers use); the websocket
/// over HTTP/1.1 with the upgrade headers a browser sends (nginx upgrades only on HTTP/1.1).
/// After a 101 the connection stays open: curl is cut off after a few seconds and the headers
/// it printed are read.
async fn curl(ca: &Path, url: &str, cookie: Option<&str>, websocket: bool) -> Answer {
    let mut cmd = tokio::process::Command::new("curl");
    cmd.args(["-sS", "-o", "/dev/null", "-D", "-", "--max-time", "4", "--cacert"]).arg(ca);
    if let Some(cookie) = cookie {
        cmd.args(["-H", &format!("Cookie: {cookie}")]);
    }
    if websocket {
        cmd.args(["--http1.1", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket"])
            .args(["-H", "Sec-WebSocket-Version: 13"])
            .args(["-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]);
    } else {
        cmd.arg("--http2");
    }
    cmd.arg(url);
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .expect("curl ended (it has --max-time 4)")
        .expect("run curl");
    let headers = String::from_utf8_lossy(&out.stdout).into_owned();
    // 28: cut off by --max-time, expected after a 101.
    assert!(
        out.status.success() || out.status.code() == Some(28),
        "curl {url} failed ({}): {}\n{headers}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let status = headers
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line from curl {url}:\n{headers}"));
    let location = headers.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| value.trim().to_string())
    });
    Answer { status, location }
}

#[tokio::test]
async fn a_stranger_at_the_desktop_is_sent_to_sign_in_and_back_and_novnc_connects_after_password_and_code(
) {
    let test = "a_stranger_at_the_desktop_is_sent_to_sign_in_and_back_and_novnc_connects_after_password_and_code";
    if !tools(test) {
        return;
    }
    let desk = web_desktop().await;
    let browser = browser_trusting(&desk.ca).await;

    browser.goto(&desk.stack.desktop_url).await;
    let login = desk.wait_for_portal_page(&browser, "/login").await;
    let rd = login.split_once("?rd=").map(|(_, rd)| percent_decode(rd));
    assert_eq!(rd.as_deref(), Some(desk.stack.desktop_url.as_str()), "rd of {login}");
    type_password(&browser).await;
    desk.wait_for_portal_page(&browser, "/verify").await;
    type_fresh_code(&browser, &desk.secret, desk.used_step).await;

    desk.wait_for_connected_desktop(&browser).await;
    let shot = browser.save_screenshot("web-desktop-connected").await;
    println!("noVNC connected through nginx: {}", shot.display());

    // The portal's home page lists the desktop, and its link opens it without a new sign-in.
    browser.goto(&format!("{}/", desk.portal.base)).await;
    // Leaving the page closed the websocket, which nginx logs only now: it was upgraded there.
    desk.stack.wait_for_access_log("\"GET /websockify HTTP/1.1\" 101");
    assert_home_shows_alice(&browser).await;
    let link = browser.find("a[data-testid=desktop-link]").await;
    let href = link.attr("href").await.expect("href").unwrap_or_default();
    assert_eq!(href, desk.stack.desktop_url, "the desktop link");
    let text = link.text().await.expect("link text");
    assert!(text.contains(DESKTOP_NAME), "the link names the desktop: {text:?}");
    link.click().await.expect("click the desktop link");
    desk.wait_for_connected_desktop(&browser).await;

    browser.close().await;
}

#[tokio::test]
async fn the_desktop_page_and_its_websocket_are_refused_without_a_full_session_and_after_sign_out()
{
    let test =
        "the_desktop_page_and_its_websocket_are_refused_without_a_full_session_and_after_sign_out";
    if !tools(test) {
        return;
    }
    let desk = web_desktop().await;
    desk.assert_refused(None, "no cookie").await;

    // Password only: alice needs a code, so her half-signed-in session opens nothing.
    let browser = browser_trusting(&desk.ca).await;
    browser.goto(&format!("{}/login", desk.portal.base)).await;
    type_password(&browser).await;
    desk.wait_for_portal_page(&browser, "/verify").await;
    let half = desk.cookie_header(&browser).await;
    desk.assert_refused(Some(&half), "password only").await;
    browser.goto(&desk.stack.desktop_url).await;
    let url = browser.client.current_url().await.expect("current url");
    assert_eq!(
        url.origin().ascii_serialization(),
        desk.portal.base,
        "password only: the browser is back at the portal, not on the desktop: {url}"
    );

    // With the code the same browser gets the page and the websocket (so the refusals above
    // are the session's doing, not a broken stack).
    if url.path() == "/login" {
        type_password(&browser).await;
    }
    desk.wait_for_portal_page(&browser, "/verify").await;
    type_fresh_code(&browser, &desk.secret, desk.used_step).await;
    desk.wait_for_connected_desktop(&browser).await;
    browser.goto(&format!("{}/", desk.portal.base)).await;
    assert_home_shows_alice(&browser).await;
    let full = desk.cookie_header(&browser).await;
    let page = desk.page(Some(&full)).await;
    assert_eq!(page.status, 200, "full session: the desktop page: {page:?}");
    let ws = desk.websocket(Some(&full)).await;
    assert_eq!(ws.status, 101, "full session: the websocket upgrade: {ws:?}");

    // Signed out: the same cookie, replayed, opens nothing any more.
    browser.click("#sign-out").await;
    desk.wait_for_portal_page(&browser, "/login").await;
    desk.assert_refused(Some(&full), "after sign-out").await;
    browser.goto(&desk.stack.desktop_url).await;
    desk.wait_for_portal_page(&browser, "/login").await;

    browser.close().await;
}
