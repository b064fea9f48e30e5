//! The real `twofold` desktop app driven over WebDriver: `tauri-driver` (which starts Debian's
//! `WebKitWebDriver`, which starts the app) on free ports inside a [`DesktopSession`], a
//! fantoccini client for the app's web view, and the waits and screenshots a UI test needs.
//! The app inherits the session's environment plus what the test adds (e.g.
//! `TWOFOLD_ADMIN_URL`). What the screens should show is left to the tests.

use crate::desktop_session::DesktopSession;
use crate::process::{free_ports, ChildGuard};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the app binary to test (else `target/<profile>/twofold`).
pub const APP_BIN_ENV: &str = "TWOFOLD_APP_BIN";
/// The tools an app test needs besides the desktop session's (and tauri-driver, which
/// [`tauri_driver`] also finds in cargo's bin directory when it is not on PATH).
pub const APP_TOOLS: &[&str] = &["WebKitWebDriver"];

/// Longest wait for the driver, the window or an element.
const WAIT: Duration = Duration::from_secs(30);

/// The `twofold` binary (built with the front end embedded: scripts/build-app.sh).
pub fn app_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os(APP_BIN_ENV) {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir =
        exe.parent().and_then(Path::parent).expect("test exe in target/<profile>/deps");
    let bin = profile_dir.join("twofold");
    assert!(
        bin.is_file(),
        "{} does not exist: build it with scripts/build-app.sh (or set {APP_BIN_ENV})",
        bin.display()
    );
    bin
}

/// `tauri-driver`: on PATH or in cargo's bin directory (where scripts/install-tauri-driver.sh
/// puts it).
pub fn tauri_driver() -> Option<PathBuf> {
    crate::tools::find_program("tauri-driver").or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        let bin = home.join("bin/tauri-driver");
        bin.is_file().then_some(bin)
    })
}

/// Whether everything a driven-app test needs is installed — the desktop session's tools,
/// tauri-driver, WebKitWebDriver — plus `extra`; see [`crate::tools_present`] for what a
/// missing one does.
pub fn driven_app_tools_present(test: &str, extra: &[&str]) -> bool {
    let driver = tauri_driver().map(|p| p.to_string_lossy().into_owned());
    let mut all: Vec<&str> = crate::desktop_session::SESSION_TOOLS.to_vec();
    // An absolute path is checked as given; the bare name is reported missing when not found.
    all.push(driver.as_deref().unwrap_or("tauri-driver"));
    all.extend_from_slice(APP_TOOLS);
    all.extend_from_slice(extra);
    crate::tools_present(test, &all)
}

pub struct App {
    pub client: Client,
    logs: PathBuf,
    driver: ChildGuard,
    _dir: tempfile::TempDir,
}

impl App {
    /// Starts the app in `session` with `env` added, and waits for its window.
    pub async fn start(session: &DesktopSession, env: &[(&str, &str)]) -> App {
        let driver_bin =
            tauri_driver().expect("tauri-driver not found: run scripts/install-tauri-driver.sh");
        let dir = tempfile::Builder::new().prefix("twofold-app-").tempdir().expect("temp dir");
        let logs = dir.path().join("tauri-driver.log");
        let ports = free_ports(2);
        let mut cmd = Command::new(driver_bin);
        cmd.args(["--port", &ports[0].to_string(), "--native-port", &ports[1].to_string()])
            .envs(session.env())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(File::create(&logs).expect("driver log"))
            .stderr(File::create(dir.path().join("tauri-driver.err.log")).expect("driver err log"));
        let mut driver = ChildGuard::spawn("tauri-driver", &mut cmd);
        let url = format!("http://127.0.0.1:{}", ports[0]);
        wait_for_driver(&url, &mut driver, dir.path()).await;

        let caps = serde_json::json!({
            "tauri:options": { "application": app_binary().to_string_lossy() },
        });
        let caps = caps.as_object().expect("object").clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client =
            ClientBuilder::new(connector).capabilities(caps).connect(&url).await.unwrap_or_else(
                |e| panic!("new WebDriver session with the app: {e}\n{}", read_logs(dir.path())),
            );
        App { client, logs, driver, _dir: dir }
    }

    /// Starts the app against `portal` (token found through `TWOFOLD_DATA`, as for a local
    /// portal) and opens the Admin mode, waiting for the portal's live status.
    pub async fn open_admin(session: &DesktopSession, portal: &crate::Portal) -> App {
        let data = portal.data_dir().to_string_lossy().into_owned();
        let env = [("TWOFOLD_ADMIN_URL", portal.admin_base.as_str()), ("TWOFOLD_DATA", &data)];
        let app = App::start(session, &env).await;
        app.click("[data-testid=mode-admin]").await;
        app.find("[data-testid=admin-screen]").await;
        app.find("[data-testid=two-factor-toggle]:not([disabled])").await;
        app
    }

    /// Ends the session (the app quits), then stops tauri-driver with SIGTERM.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if let Err(e) = client.close().await {
            eprintln!("closing the app session: {e}");
        }
        self.driver.stop();
    }

    /// Waits for the element matching `css`; panics with the page source if it never comes.
    /// An element that the page replaces while WebKitWebDriver is handing it over ("stale
    /// element") is looked up again: the page is re-rendering, not missing it.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.wait().at_most(left).for_element(Locator::Css(css)).await {
                Ok(el) => return el,
                Err(e) if is_stale(&e) && !left.is_zero() => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    let source = self.client.source().await.unwrap_or_default();
                    panic!("no element {css} in the app ({e}):\n{source}")
                }
            }
        }
    }

    /// Clicks the element matching `css`, finding it again if the page replaced it between
    /// the lookup and the click.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(e) if is_stale(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Types `text` into the field matching `css` after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// The text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    /// An attribute of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("attribute {name} of {css}: {e}"))
    }

    /// Polls until the JavaScript expression `condition` is true; panics naming `what`.
    pub async fn wait_until(&self, condition: &str, what: &str) {
        let script = format!("return !!({condition});");
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.client.execute(&script, vec![]).await;
            if matches!(value, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            if Instant::now() > deadline {
                let source = self.client.source().await.unwrap_or_default();
                panic!("{what}: still not true after {WAIT:?} ({value:?})\n{source}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element matching `css` exists whose text contains `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) {
        let condition = format!(
            "[...document.querySelectorAll({css})].some(e => e.textContent.includes({text}))",
            css = serde_json::to_string(css).expect("json"),
            text = serde_json::to_string(text).expect("json"),
        );
        self.wait_until(&condition, &format!("an element {css} containing {text:?}")).await;
    }

    /// Waits for two animation frames, so a screenshot shows the current DOM.
    pub async fn settle(&self) {
        crate::artifacts::settle(&self.client).await;
    }

    /// Saves the window's content as `artifacts/NAME.png` and returns the path.
    /// WebKitWebDriver sends a screenshot only after the page's next presentation update. A
    /// page where nothing moves (an empty list, a dialog) never makes one when WebKit's
    /// DMA-BUF renderer is off (the app's default), and the command then waits forever;
    /// moving the pointer over the window releases it (seen with strace). So the page is kept
    /// painting, one nearly transparent pixel, while the screenshot is taken.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.client.execute(KEEP_PAINTING, vec![]).await.expect("keep the page painting");
        crate::artifacts::screenshot(&self.client, name).await
    }

    /// Where tauri-driver logs to.
    pub fn driver_log(&self) -> &Path {
        &self.logs
    }
}

fn read_logs(dir: &Path) -> String {
    ["tauri-driver.log", "tauri-driver.err.log"]
        .iter()
        .map(|f| {
            format!("--- {f} ---\n{}", std::fs::read_to_string(dir.join(f)).unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn wait_for_driver(url: &str, driver: &mut ChildGuard, dir: &Path) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = driver.exited() {
            panic!("tauri-driver exited ({status}):\n{}", read_logs(dir));
        }
        if let Ok(resp) =
            http.get(format!("{url}/status")).timeout(Duration::from_secs(2)).send().await
        {
            if resp.status().is_success() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "tauri-driver not ready at {url} after {WAIT:?}:\n{}",
            read_logs(dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Changes one near-transparent pixel in the bottom-right corner at every animation frame for
/// three seconds, then removes it.
const KEEP_PAINTING: &str = r#"
const dot = document.createElement("div");
dot.setAttribute("aria-hidden", "true");
dot.style.cssText = "position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647";
document.documentElement.appendChild(dot);
const end = performance.now() + 3000;
let odd = false;
const step = (now) => {
  odd = !odd;
  dot.style.background = odd ? "rgba(0,0,0,0.02)" : "rgba(0,0,0,0.01)";
  if (now < end) requestAnimationFrame(step); else dot.remove();
};
requestAnimationFrame(step);
"#;

/// A WebDriver error saying the element went away while it was being used.
fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    e.to_string().to_lowercase().contains("stale element")
}
