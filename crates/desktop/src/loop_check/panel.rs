//! The app's Loop check panel without the window: one run at a time ([`LoopCheckPanel::begin`]
//! refuses a second), the portal URL remembered between runs (`loop-check.json` in the app's
//! config directory, beside the Admin connection's `admin.json`), the run configured from the
//! Admin connection (its admin URL and token: nothing is asked again), the run's
//! [`LoopEvent`]s mapped to what the panel draws ([`PanelEvent`]), and the last report kept
//! for "Copy report" — the very table the CLI prints.
//!
//! The run is the CLI's: same vault (the app's, secrets in the OS keyring), same steps, same
//! clean-up, also after [`LoopCheckPanel::cancel`] (the window closing). Leaves out the steps
//! ([`super::run`]) and the window (src-tauri's `commands/loop_check.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize, Serializer};
use twofold_vault::SecretStore;
use url::Url;
use zeroize::Zeroizing;

use super::clock::{self, ClockCheck};
use super::report::{LoopReport, StepReport, STEP_NAMES};
use super::{token, LoopConfig, LoopEvent};
use crate::admin::url_is_loopback;
use crate::authenticator::ClipboardAccess;
use crate::connection::settings;
use crate::session::AdminSession;

/// The panel's settings file in the app's config directory.
pub const SETTINGS_FILE: &str = "loop-check.json";
/// The portal's default `--listen` port: with a loopback admin API at its default 8081, the
/// pages are most likely at 8080 on the same host.
pub const DEFAULT_PORTAL_PORT: u16 = 8080;

/// What the panel remembers between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelSettings {
    #[serde(default)]
    pub portal_url: Option<String>,
}

/// What the panel shows before a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PanelState {
    /// The URL the last run used, else one guessed from the admin URL.
    pub portal_url: String,
    /// Every step, in order, to draw as "pending" before the run fills them in.
    pub steps: Vec<&'static str>,
    /// A run is under way (another window or a reload of the page started it).
    pub running: bool,
}

/// One message of a run to the panel, in the order things happen.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PanelEvent {
    /// The clocks compared before the run (for the clock warning of both modes).
    Clock { check: ClockCheck },
    /// Step `index` (in [`PanelState::steps`] order) began.
    Started { index: usize, name: &'static str },
    /// Step `index` ended: its status, time, detail, and on failure expected / actual.
    Finished { index: usize, step: StepReport },
}

impl From<LoopEvent> for PanelEvent {
    fn from(event: LoopEvent) -> PanelEvent {
        match event {
            LoopEvent::Started { index, name } => PanelEvent::Started { index, name },
            LoopEvent::Finished { index, report } => PanelEvent::Finished { index, step: report },
        }
    }
}

/// The finished run: the report's fields, and the table the CLI prints (what "Copy report"
/// copies).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportView {
    #[serde(flatten)]
    pub report: LoopReport,
    pub table: String,
}

impl From<LoopReport> for ReportView {
    fn from(report: LoopReport) -> ReportView {
        ReportView { table: report.to_table(), report }
    }
}

/// Why the panel did not run or copy. Crosses to the UI as `{kind, message, params}`: the UI
/// writes its sentence from `kind` and `params`, `message` is the English detail.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    /// Running it twice at once would make two throwaway users fight over one vault.
    #[error("a loop check is already running")]
    AlreadyRunning,
    #[error("not connected to a portal's admin API")]
    NotConnected,
    #[error("{url:?} is not an http(s) URL of the portal's pages")]
    InvalidPortalUrl { url: String },
    #[error("no loop check has finished yet")]
    NoReport,
    #[error("{0}")]
    Clipboard(String),
}

impl PanelError {
    /// The stable name the UI's message catalogue is keyed by.
    pub fn kind(&self) -> &'static str {
        match self {
            PanelError::AlreadyRunning => "already_running",
            PanelError::NotConnected => "not_connected",
            PanelError::InvalidPortalUrl { .. } => "invalid_portal_url",
            PanelError::NoReport => "no_report",
            PanelError::Clipboard(_) => "clipboard",
        }
    }

    fn params(&self) -> BTreeMap<&'static str, String> {
        match self {
            PanelError::InvalidPortalUrl { url } => BTreeMap::from([("url", url.clone())]),
            _ => BTreeMap::new(),
        }
    }
}

impl Serialize for PanelError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("PanelError", 3)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.serialize_field("params", &self.params())?;
        s.end()
    }
}

/// Held while a run is under way; dropping it (the run ended, or its future was dropped)
/// frees the panel for the next run.
#[must_use]
pub struct RunGuard<'a>(&'a AtomicBool);

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The panel's state between commands.
pub struct LoopCheckPanel {
    config_dir: PathBuf,
    vault_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    clipboard: Arc<dyn ClipboardAccess>,
    running: AtomicBool,
    cancel: tokio::sync::Notify,
    last_table: Mutex<Option<String>>,
}

impl LoopCheckPanel {
    /// A panel keeping its settings in `config_dir` and running against the vault in
    /// `vault_dir` with its secrets in `secrets` (the app's own: the OS keyring).
    pub fn new(
        config_dir: PathBuf,
        vault_dir: PathBuf,
        secrets: Arc<dyn SecretStore>,
        clipboard: Arc<dyn ClipboardAccess>,
    ) -> LoopCheckPanel {
        LoopCheckPanel {
            config_dir,
            vault_dir,
            secrets,
            clipboard,
            running: AtomicBool::new(false),
            cancel: tokio::sync::Notify::new(),
            last_table: Mutex::new(None),
        }
    }

    /// The URL to show in the panel's field for an Admin connection to `admin_url`.
    pub fn state(&self, admin_url: &str) -> PanelState {
        PanelState {
            portal_url: load(&self.config_dir)
                .portal_url
                .unwrap_or_else(|| default_portal_url(admin_url)),
            steps: STEP_NAMES.to_vec(),
            running: self.is_running(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Takes the panel for one run, or refuses: [`PanelError::AlreadyRunning`].
    pub fn begin(&self) -> Result<RunGuard<'_>, PanelError> {
        self.running
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .map(|_| RunGuard(&self.running))
            .map_err(|_| PanelError::AlreadyRunning)
    }

    /// Stops the run under way where it is; its clean-up still runs (the window closing).
    pub fn cancel(&self) {
        self.cancel.notify_waiters();
    }

    /// Waits until no run is under way (after [`LoopCheckPanel::cancel`], for clean-up).
    pub async fn idle(&self) {
        while self.is_running() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Runs the loop check against the portal at `portal_url` with the admin connection of
    /// `session`, telling `events` as it goes. The URL is remembered for the next run.
    pub async fn run(
        &self,
        session: &AdminSession,
        portal_url: &str,
        events: &(dyn Fn(PanelEvent) + Send + Sync),
    ) -> Result<ReportView, PanelError> {
        // Taken before the first await: a second call sees it at once.
        let _guard = self.begin()?;
        let client = session.client().map_err(|_| PanelError::NotConnected)?;
        let portal_url = check_portal_url(portal_url)?;
        let _ = save(&self.config_dir, &PanelSettings { portal_url: Some(portal_url.clone()) });
        // The clock step measures too, but the warning of both modes should not wait for it.
        if let Ok(check) = clock::measure(&portal_url).await {
            events(PanelEvent::Clock { check });
        }
        let info = session.info();
        let config = LoopConfig {
            portal_url,
            admin_url: client.url().to_string(),
            admin_token: Zeroizing::new(client.token().to_string()),
            gateway_token: gateway_token(info.token_file.as_deref()),
            vault_dir: self.vault_dir.clone(),
            secrets: self.secrets.clone(),
            max_clock_offset_secs: clock::MAX_OFFSET_SECS,
        };
        let cancelled = self.cancel.notified();
        let observer = |event: LoopEvent| events(event.into());
        let report = super::run(&config, &observer, cancelled).await;
        let view = ReportView::from(report);
        *self.last_table.lock().unwrap_or_else(|p| p.into_inner()) = Some(view.table.clone());
        Ok(view)
    }

    /// The last finished run's table, as the CLI prints it.
    pub fn last_table(&self) -> Option<String> {
        self.last_table.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts the last report's table on the clipboard.
    pub fn copy_report(&self) -> Result<(), PanelError> {
        let table = self.last_table().ok_or(PanelError::NoReport)?;
        self.clipboard.set_text(&table).map_err(|e| PanelError::Clipboard(e.to_string()))
    }

    /// The clocks compared for the warning of both modes, against the portal the app knows:
    /// the Admin connection's, else the admin URL saved or set for this run. `None` when no
    /// portal is known or it does not answer (offline, the authenticator must not nag).
    pub async fn clock_check(&self, session: &AdminSession) -> Option<ClockCheck> {
        let info = session.info();
        let url = if info.connected { Some(info.url) } else { known_admin_url(&self.config_dir) };
        clock::measure(&url?).await.ok()
    }
}

/// The admin URL given by the environment or saved by an earlier connection, but not the
/// built-in default: that one is a guess, not a portal the app knows.
fn known_admin_url(config_dir: &Path) -> Option<String> {
    std::env::var(settings::ADMIN_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| settings::load(config_dir).admin_url)
}

/// The portal URL to suggest for an admin API at `admin_url`: the same scheme and host, on
/// the portal's default port for a loopback address (a local `twofold-portal serve`), on the
/// scheme's own port otherwise (a portal behind a reverse proxy).
pub fn default_portal_url(admin_url: &str) -> String {
    let fallback = format!("http://127.0.0.1:{DEFAULT_PORTAL_PORT}");
    let Ok(url) = Url::parse(admin_url.trim()) else {
        return fallback;
    };
    let Some(host) = url.host_str() else {
        return fallback;
    };
    if url_is_loopback(&url) {
        format!("{}://{host}:{DEFAULT_PORTAL_PORT}", url.scheme())
    } else {
        format!("{}://{host}", url.scheme())
    }
}

/// `url` trimmed and without a trailing slash, if it is an http(s) URL with a host.
fn check_portal_url(url: &str) -> Result<String, PanelError> {
    let trimmed = url.trim();
    match Url::parse(trimmed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(trimmed.trim_end_matches('/').to_string())
        }
        _ => Err(PanelError::InvalidPortalUrl { url: url.to_string() }),
    }
}

/// The RDP gate's token beside the admin token file the connection used (a local portal),
/// or why the RDP step is skipped.
fn gateway_token(token_file: Option<&str>) -> Result<Zeroizing<String>, String> {
    match token_file {
        Some(file) => token::gateway_beside(Some(Path::new(file))),
        None => Err("no gateway token: the Admin connection's token did not come from a portal \
                     data directory on this machine"
            .to_string()),
    }
}

/// Reads the panel's settings; missing or broken gives the defaults.
pub fn load(config_dir: &Path) -> PanelSettings {
    std::fs::read(config_dir.join(SETTINGS_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Writes the panel's settings atomically (temp file, then rename).
pub fn save(config_dir: &Path, panel: &PanelSettings) -> std::io::Result<()> {
    std::fs::create_dir_all(config_dir)?;
    let path = config_dir.join(SETTINGS_FILE);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(panel).map_err(std::io::Error::other)?)?;
    std::fs::rename(&tmp, &path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authenticator::clipboard::MemoryClipboard;
    use crate::connection::token_store::MemoryTokenStore;
    use crate::loop_check::StepStatus;

    fn panel(dir: &Path, clipboard: Arc<MemoryClipboard>) -> LoopCheckPanel {
        LoopCheckPanel::new(
            dir.to_path_buf(),
            dir.join("vault"),
            Arc::new(twofold_vault::MemoryStore::new()),
            clipboard,
        )
    }

    fn session(dir: &Path) -> AdminSession {
        AdminSession::with_local_tokens(
            dir.to_path_buf(),
            Arc::new(MemoryTokenStore::default()),
            Box::new(Vec::new),
        )
    }

    #[test]
    fn a_second_run_is_refused_while_one_holds_the_panel_and_allowed_after() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel(dir.path(), Arc::default());
        let first = p.begin().expect("the first run takes the panel");
        assert!(p.is_running());
        let refused = p.begin().err().expect("a second run at once is refused");
        assert_eq!(refused.kind(), "already_running");
        drop(first);
        assert!(!p.is_running());
        assert!(p.begin().is_ok(), "free again once the first run ended");
    }

    #[tokio::test]
    async fn run_refuses_a_concurrent_run_before_doing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel(dir.path(), Arc::default());
        let s = session(dir.path());
        let _held = p.begin().unwrap();
        let events = Mutex::new(Vec::new());
        let out = p.run(&s, "http://127.0.0.1:9", &|e| events.lock().unwrap().push(e)).await;
        assert_eq!(out.err().map(|e| e.kind()), Some("already_running"));
        assert!(events.lock().unwrap().is_empty());
        assert_eq!(load(dir.path()), PanelSettings::default(), "nothing saved");
    }

    #[tokio::test]
    async fn run_without_an_admin_connection_is_refused_and_frees_the_panel() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel(dir.path(), Arc::default());
        let out = p.run(&session(dir.path()), "http://127.0.0.1:9", &|_| {}).await;
        assert_eq!(out.err().map(|e| e.kind()), Some("not_connected"));
        assert!(!p.is_running());
    }

    #[test]
    fn the_run_future_can_move_to_another_thread() {
        // Tauri runs async commands on its multi-threaded runtime.
        fn is_send<T: Send>(_: &T) {}
        let dir = tempfile::tempdir().unwrap();
        let p = panel(dir.path(), Arc::default());
        let s = session(dir.path());
        let events = |_: PanelEvent| {};
        let run = p.run(&s, "http://127.0.0.1:9", &events);
        is_send(&run);
    }

    #[test]
    fn loop_events_map_to_panel_events_keeping_index_status_and_failure_detail() {
        let started = PanelEvent::from(LoopEvent::Started { index: 1, name: "clock" });
        assert_eq!(
            serde_json::to_value(&started).unwrap(),
            serde_json::json!({"type": "started", "index": 1, "name": "clock"})
        );
        let failed = StepReport {
            name: "clock",
            passed: false,
            status: StepStatus::Failed,
            duration_ms: 7,
            detail: Some("the portal's clock is 120 s ahead of this machine's".into()),
            expected: Some("the clocks within 5 s of each other".into()),
            actual: Some("+120.1 s (portal minus this machine)".into()),
        };
        let finished = PanelEvent::from(LoopEvent::Finished { index: 1, report: failed.clone() });
        assert_eq!(finished, PanelEvent::Finished { index: 1, step: failed });
        let v = serde_json::to_value(&finished).unwrap();
        assert_eq!(v["type"], "finished");
        assert_eq!(v["index"], 1);
        assert_eq!(v["step"]["status"], "failed");
        assert_eq!(v["step"]["duration_ms"], 7);
        assert_eq!(v["step"]["expected"], "the clocks within 5 s of each other");
        assert_eq!(v["step"]["actual"], "+120.1 s (portal minus this machine)");
    }

    #[test]
    fn the_report_view_carries_the_cli_table_and_copy_report_copies_it() {
        let dir = tempfile::tempdir().unwrap();
        let clipboard = Arc::new(MemoryClipboard::default());
        let p = panel(dir.path(), clipboard.clone());
        assert_eq!(p.copy_report().err().map(|e| e.kind()), Some("no_report"));
        let report = LoopReport {
            portal: "http://p".into(),
            steps: vec![StepReport::passed("admin-api", 3, "ok")],
            passed: true,
            ..LoopReport::default()
        };
        let view = ReportView::from(report.clone());
        assert_eq!(view.table, report.to_table());
        let v = serde_json::to_value(&view).unwrap();
        assert_eq!(v["passed"], true);
        assert_eq!(v["steps"][0]["name"], "admin-api");
        assert_eq!(v["table"], report.to_table());
        *p.last_table.lock().unwrap() = Some(view.table.clone());
        p.copy_report().unwrap();
        assert_eq!(clipboard.held().as_deref(), Some(report.to_table().as_str()));
    }

    #[test]
    fn errors_cross_as_a_kind_and_params_with_the_english_detail() {
        let e = PanelError::InvalidPortalUrl { url: "ftp://x".into() };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "invalid_portal_url");
        assert_eq!(v["params"]["url"], "ftp://x");
        assert!(v["message"].as_str().unwrap().contains("ftp://x"));
        let v = serde_json::to_value(PanelError::AlreadyRunning).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "already_running", "message": "a loop check is already running", "params": {}})
        );
    }

    #[test]
    fn the_portal_url_is_guessed_from_the_admin_url_until_a_run_remembers_one() {
        assert_eq!(default_portal_url("http://127.0.0.1:8081"), "http://127.0.0.1:8080");
        assert_eq!(default_portal_url("http://localhost:9001/"), "http://localhost:8080");
        assert_eq!(
            default_portal_url("https://admin.example.net:8443"),
            "https://admin.example.net"
        );
        assert_eq!(default_portal_url("not a url"), "http://127.0.0.1:8080");
        let dir = tempfile::tempdir().unwrap();
        let p = panel(dir.path(), Arc::default());
        let state = p.state("http://127.0.0.1:8081");
        assert_eq!(state.portal_url, "http://127.0.0.1:8080");
        assert_eq!(state.steps, STEP_NAMES.to_vec());
        assert!(!state.running);
        save(dir.path(), &PanelSettings { portal_url: Some("http://127.0.0.1:4000".into()) })
            .unwrap();
        assert_eq!(p.state("http://127.0.0.1:8081").portal_url, "http://127.0.0.1:4000");
        std::fs::write(dir.path().join(SETTINGS_FILE), b"{broken").unwrap();
        assert_eq!(p.state("http://127.0.0.1:8081").portal_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn only_http_urls_with_a_host_are_taken_for_the_portal() {
        assert_eq!(check_portal_url(" http://127.0.0.1:8080/ ").unwrap(), "http://127.0.0.1:8080");
        for bad in ["", "127.0.0.1:8080", "ftp://host", "http://"] {
            assert_eq!(
                check_portal_url(bad).err().map(|e| e.kind()),
                Some("invalid_portal_url"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn without_a_local_token_file_the_rdp_step_is_told_why_it_has_no_gateway_token() {
        let why = gateway_token(None).unwrap_err();
        assert!(why.contains("no gateway token"), "{why}");
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("admin.token");
        std::fs::write(&admin, "t").unwrap();
        std::fs::write(dir.path().join(token::GATEWAY_TOKEN_FILE), "gw-0123\n").unwrap();
        assert_eq!(gateway_token(admin.to_str()).unwrap().as_str(), "gw-0123");
    }

    /// A one-shot HTTP server answering with `date` as its `Date` header.
    async fn serve_date(date: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            if let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 2048];
                let _ = sock.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 401 Unauthorized\r\nDate: {date}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn measuring_reads_the_date_of_any_answer_even_a_refusal() {
        // A date long past: this machine's clock is decades ahead of that "portal".
        let url = serve_date("Sun, 06 Nov 1994 08:49:37 GMT").await;
        let check = clock::measure(&url).await.expect("a Date was read");
        assert!(check.skewed && check.offset_secs < -1.0e8, "{check:?}");
        assert_eq!(check.url, url);
        let none = clock::measure("http://127.0.0.1:9").await;
        assert!(matches!(none, Err(clock::ClockError::Unreachable { .. })), "{none:?}");
        assert!(matches!(clock::measure("nope").await, Err(clock::ClockError::InvalidUrl(_))));
    }

    #[tokio::test]
    async fn the_clock_is_checked_only_against_a_portal_the_app_knows() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel(dir.path(), Arc::default());
        // The environment may name one (make run); this test is about the saved one.
        if std::env::var_os(settings::ADMIN_URL_ENV).is_some() {
            return;
        }
        assert_eq!(p.clock_check(&session(dir.path())).await, None, "no portal known");
        let url = serve_date("Sun, 06 Nov 1994 08:49:37 GMT").await;
        settings::save(dir.path(), &settings::Settings { admin_url: Some(url.clone()) }).unwrap();
        let check = p.clock_check(&session(dir.path())).await.expect("the saved portal");
        assert!(check.skewed, "{check:?}");
    }
}
