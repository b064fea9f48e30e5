//! A real headless Chromium driven over WebDriver: `chromedriver` on its own free port (killed
//! with the browser it started when dropped), a fresh profile per session, and the small waits
//! and screenshots a browser test needs. What the page should show is left to the tests.
//! [`Browser::start_with`] gives Chromium its own `HOME` (where it finds an NSS db trusting a
//! test CA) and extra command-line flags.

use crate::process::{free_ports, ChildGuard};
use fantoccini::{Client, ClientBuilder, Locator};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromium-driver.
pub const CHROMEDRIVER: &str = "chromedriver";

/// Longest wait for the driver to come up, a page to load or an element to appear.
const WAIT: Duration = Duration::from_secs(30);

/// What [`Browser::start_with`] adds to the default session.
#[derive(Default)]
pub struct BrowserOptions {
    /// `HOME` for chromedriver and so for Chromium, which reads its certificate store from
    /// `$HOME/.pki/nssdb` (see [`crate::desktop_stack::TestCa::nss_home`]).
    pub home: Option<PathBuf>,
    /// More Chromium flags.
    pub args: Vec<String>,
    /// A visible window on the X display these variables name (`DISPLAY`, …; a
    /// [`crate::desktop_session::DesktopSession`]'s), beside the app, instead of headless.
    pub visible_in: Option<Vec<(String, String)>>,
}

/// A browser session and everything behind it. Call [`Browser::close`] at the end of a test;
/// if the test panics first, dropping this kills chromedriver's process group (the browser
/// included) and removes the profile.
pub struct Browser {
    pub client: Client,
    logs: PathBuf,
    driver: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and opens a headless Chromium window of 1280x900 with a fresh
    /// profile (a visible one with [`BrowserOptions::visible_in`]).
    pub async fn start() -> Browser {
        Browser::start_with(BrowserOptions::default()).await
    }

    /// Like [`Browser::start`], with the `HOME` and extra flags of `options`.
    pub async fn start_with(options: BrowserOptions) -> Browser {
        let dir =
            tempfile::Builder::new().prefix("twofold-e2e-chromium-").tempdir().expect("temp dir");
        let logs = dir.path().join("chromedriver.log");
        let profile = dir.path().join("profile");
        let port = free_ports(1)[0];
        let mut cmd = Command::new(CHROMEDRIVER);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(File::create(&logs).expect("driver log"))
            .stderr(Stdio::inherit());
        if let Some(home) = &options.home {
            cmd.env("HOME", home);
        }
        if let Some(env) = &options.visible_in {
            cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let mut driver = ChildGuard::spawn("chromedriver", &mut cmd);
        let url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&url, &mut driver, &logs).await;

        let headless = options.visible_in.is_none().then_some("--headless=new");
        let args: Vec<String> = headless
            .into_iter()
            .chain([
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
            ])
            .map(|s| s.to_string())
            .chain([format!("--user-data-dir={}", profile.display())])
            .chain(options.args)
            .collect();
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let caps = caps.as_object().expect("object").clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client =
            ClientBuilder::new(connector).capabilities(caps).connect(&url).await.unwrap_or_else(
                |e| {
                    panic!(
                        "new WebDriver session: {e}\n{}",
                        std::fs::read_to_string(&logs).unwrap_or_default()
                    )
                },
            );
        client.set_window_size(1280, 900).await.expect("set window size");
        Browser { client, logs, driver, _dir: dir }
    }

    /// Ends the session (Chromium quits), then stops chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if let Err(e) = client.close().await {
            eprintln!("closing the WebDriver session: {e}");
        }
        self.driver.stop();
    }

    /// Opens `url` and waits until the document is complete.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Waits until the current URL's path is `path`; panics with the page source if not.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let current = self.client.current_url().await.expect("current url");
            if current.path() == path {
                return;
            }
            if Instant::now() > deadline {
                let source = self.client.source().await.unwrap_or_default();
                panic!("expected to reach {path}, still at {current}:\n{source}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the element matching `css` to exist.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => {
                let url =
                    self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                let source = self.client.source().await.unwrap_or_default();
                panic!("no element {css} on {url} ({e}):\n{source}")
            }
        }
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
            assert!(Instant::now() < deadline, "{what}: still not true after {WAIT:?} ({value:?})");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` into the field matching `css` (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Waits for two animation frames, so that a screenshot shows the current DOM rather than
    /// the previous frame.
    pub async fn settle(&self) {
        crate::artifacts::settle(&self.client).await;
    }

    /// Saves a screenshot of the viewport as `artifacts/NAME.png` and returns its path.
    pub async fn save_screenshot(&self, name: &str) -> PathBuf {
        crate::artifacts::screenshot(&self.client, name).await
    }

    /// The PNG of the element matching `css`, as the browser rendered it.
    pub async fn element_png(&self, css: &str) -> Vec<u8> {
        self.settle().await;
        self.find(css)
            .await
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot of {css}: {e}"))
    }

    /// Where chromedriver logs to.
    pub fn driver_log(&self) -> &Path {
        &self.logs
    }
}

async fn wait_for_driver(url: &str, driver: &mut ChildGuard, logs: &Path) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = driver.exited() {
            panic!(
                "chromedriver exited ({status}):\n{}",
                std::fs::read_to_string(logs).unwrap_or_default()
            );
        }
        if let Ok(resp) =
            http.get(format!("{url}/status")).timeout(Duration::from_secs(2)).send().await
        {
            if let Ok(body) = resp.json::<serde_json::Value>().await {
                if body["value"]["ready"] == serde_json::Value::Bool(true) {
                    return;
                }
            }
        }
        assert!(Instant::now() < deadline, "chromedriver not ready at {url} after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
