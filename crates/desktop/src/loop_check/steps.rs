//! The steps of a loop check, in order, and the clean-up that always follows them.
//!
//! Each step returns its detail line or a [`Failure`] (what was expected, what came back).
//! After a failure the later steps are reported as skipped — they all build on the earlier
//! ones — and clean-up removes whatever the run made. What the run made is written down
//! before it is made ([`Leftovers`]), so an interruption at any point leaves clean-up a list.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rand::distributions::Alphanumeric;
use rand::Rng;
use reqwest::StatusCode;
use twofold_core::otp::time_step;
use twofold_core::{OtpAuth, OtpKind, Principal};
use twofold_vault::Vault;
use url::Url;
use zeroize::Zeroizing;

use super::clock;
use super::html::Form;
use super::report::{LoopReport, StepReport, StepStatus, STEP_NAMES};
use super::web::{Browser, Page, WebError};
use super::{LoopConfig, LoopEvent};
use crate::admin::{AdminClient, AdminError};

/// A step's failure, as the report shows it.
#[derive(Debug)]
struct Failure {
    detail: String,
    expected: Option<String>,
    actual: Option<String>,
    /// Nothing answered or the token was refused: exit status 2, not 1.
    connection: bool,
    /// Not a failure: the step cannot run here (`detail` says why).
    skipped: bool,
}

impl Failure {
    fn new(
        detail: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Failure {
        Failure {
            detail: detail.into(),
            expected: Some(expected.into()),
            actual: Some(actual.into()),
            connection: false,
            skipped: false,
        }
    }

    fn admin(what: &str, e: AdminError) -> Failure {
        let connection = matches!(
            e,
            AdminError::Unreachable { .. }
                | AdminError::Tls { .. }
                | AdminError::Unauthorized { .. }
                | AdminError::InvalidUrl(_)
                | AdminError::InvalidToken
        );
        Failure {
            detail: format!("{what}: {e}"),
            expected: Some(format!("the admin API to {what}")),
            actual: Some(e.to_string()),
            connection,
            skipped: false,
        }
    }

    fn web(what: &str, e: WebError) -> Failure {
        Failure {
            connection: e.is_connection(),
            detail: format!("{what}: {e}"),
            expected: Some(format!("the portal to {what}")),
            actual: Some(e.to_string()),
            skipped: false,
        }
    }
}

type StepResult = Result<String, Failure>;

/// What the run has made and clean-up must remove; written before each thing is made.
#[derive(Default)]
struct Leftovers {
    user: Option<String>,
    vault_account: Option<String>,
    /// 2FA was off and the run turned it on.
    restore_switch_off: bool,
}

/// What the steps hand on to the next ones.
#[derive(Default)]
struct Progress {
    username: String,
    password: Zeroizing<String>,
    browser: Option<Browser>,
    /// The activation page of the first sign-in.
    activation: Option<Page>,
    auth: Option<OtpAuth>,
    first_secret: Option<Zeroizing<Vec<u8>>>,
    /// The page after the code was accepted.
    signed_in: Option<Page>,
    /// The time step of the code the portal accepted last.
    accepted_step: u64,
    last_code: Zeroizing<String>,
}

struct Run<'a> {
    config: &'a LoopConfig,
    portal: Url,
    admin: AdminClient,
    leftovers: Arc<Mutex<Leftovers>>,
    reports: Mutex<Vec<StepReport>>,
    observer: &'a (dyn Fn(LoopEvent) + Send + Sync),
    clock_offset: Mutex<Option<f64>>,
    connection_error: Mutex<bool>,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn unix_now_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Runs the loop against the portal of `config`, telling `observer` as each step starts and
/// ends. When `cancel` completes first (Ctrl-C), the steps stop where they are and clean-up
/// runs; the report says it was interrupted.
pub async fn run(
    config: &LoopConfig,
    observer: &(dyn Fn(LoopEvent) + Send + Sync),
    cancel: impl std::future::Future<Output = ()>,
) -> LoopReport {
    let mut report = LoopReport {
        portal: config.portal_url.clone(),
        admin_url: config.admin_url.clone(),
        ..LoopReport::default()
    };
    let portal = match Url::parse(config.portal_url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
        _ => {
            return usage_failure(report, format!("{:?} is not an http(s) URL", config.portal_url))
        }
    };
    let admin = match AdminClient::new(&config.admin_url, &config.admin_token) {
        Ok(client) => client.with_actor(Some("loop-check".to_string())),
        Err(e) => return usage_failure(report, e.to_string()),
    };
    let run = Run {
        config,
        portal,
        admin,
        leftovers: Arc::default(),
        reports: Mutex::default(),
        observer,
        clock_offset: Mutex::default(),
        connection_error: Mutex::default(),
    };
    let mut interrupted = false;
    tokio::select! {
        _ = run.steps() => {}
        _ = cancel => { interrupted = true; }
    }
    let index = STEP_NAMES.len() - 1;
    (run.observer)(LoopEvent::Started { index, name: STEP_NAMES[index] });
    let started = Instant::now();
    let (outcome, removed) = run.clean_up().await;
    let cleanup = finish(STEP_NAMES[index], started, outcome);
    (run.observer)(LoopEvent::Finished { index, report: cleanup.clone() });

    let mut steps = lock(&run.reports).clone();
    if interrupted {
        // The step cut short, and those after it, are reported as not run.
        for (i, name) in STEP_NAMES.iter().enumerate().take(index).skip(steps.len()) {
            let why = if i == steps.len() {
                "interrupted while running"
            } else {
                "interrupted before it ran"
            };
            steps.push(StepReport::skipped(name, why));
        }
    }
    steps.push(cleanup);
    report.passed = !interrupted && steps.iter().all(|s| s.status != StepStatus::Failed);
    report.steps = steps;
    report.removed = removed;
    report.interrupted = interrupted;
    report.clock_offset_secs = *lock(&run.clock_offset);
    report.connection_error = *lock(&run.connection_error);
    report
}

fn usage_failure(mut report: LoopReport, why: String) -> LoopReport {
    report.steps.push(StepReport {
        name: STEP_NAMES[0],
        passed: false,
        status: StepStatus::Failed,
        duration_ms: 0,
        detail: Some(why.clone()),
        expected: Some("a usable portal URL, admin URL and token".into()),
        actual: Some(why),
    });
    report.connection_error = true;
    report
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn finish(name: &'static str, started: Instant, outcome: StepResult) -> StepReport {
    let duration_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(detail) => StepReport::passed(name, duration_ms, detail),
        Err(f) => StepReport {
            name,
            passed: false,
            status: StepStatus::Failed,
            duration_ms,
            detail: Some(f.detail),
            expected: f.expected,
            actual: f.actual,
        },
    }
}

impl Run<'_> {
    async fn steps(&self) {
        let mut p = Progress::default();
        for (index, name) in STEP_NAMES.iter().enumerate().take(STEP_NAMES.len() - 1) {
            (self.observer)(LoopEvent::Started { index, name });
            let started = Instant::now();
            let outcome = match index {
                0 => self.admin_api().await,
                1 => self.clock().await,
                2 => self.throwaway_user(&mut p).await,
                3 => self.password_sign_in(&mut p).await,
                4 => self.activation_qr(&mut p).await,
                5 => self.vault(&mut p).await,
                6 => self.activate(&mut p).await,
                7 => self.next_code_sign_in(&mut p).await,
                8 => self.rdp_gate(&p).await,
                _ => self.reset(&p).await,
            };
            let skipped = matches!(&outcome, Err(f) if f.skipped);
            let failed = outcome.is_err() && !skipped;
            if let Err(f) = &outcome {
                if f.connection {
                    *lock(&self.connection_error) = true;
                }
            }
            let report = match outcome {
                Err(f) if skipped => StepReport::skipped(name, f.detail),
                other => finish(name, started, other),
            };
            lock(&self.reports).push(report.clone());
            (self.observer)(LoopEvent::Finished { index, report });
            if failed {
                for (later, later_name) in
                    STEP_NAMES.iter().enumerate().take(STEP_NAMES.len() - 1).skip(index + 1)
                {
                    let skip = StepReport::skipped(later_name, format!("not run: {name} failed"));
                    lock(&self.reports).push(skip.clone());
                    (self.observer)(LoopEvent::Finished { index: later, report: skip });
                }
                return;
            }
        }
    }

    // 1. The admin API answers, the token works, 2FA is on (turned on if it was off).
    async fn admin_api(&self) -> StepResult {
        let status = self.admin.status().await.map_err(|e| Failure::admin("answer", e))?;
        if status.two_factor_enabled {
            return Ok(format!("{} answers; 2FA is on", self.admin.url()));
        }
        lock(&self.leftovers).restore_switch_off = true;
        let after =
            self.admin.set_two_factor(true).await.map_err(|e| Failure::admin("turn 2FA on", e))?;
        if !after.two_factor_enabled {
            return Err(Failure::new("2FA stayed off", "2FA on", "2FA off"));
        }
        Ok(format!("{} answers; 2FA was off: turned on (off again at clean-up)", self.admin.url()))
    }

    // The portal's clock against ours: codes are computed here and checked there.
    async fn clock(&self) -> StepResult {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| Failure::new("no HTTP client", "an HTTP client", e.to_string()))?;
        let sent = unix_now_f64();
        let resp = http.get(self.portal.clone()).send().await.map_err(|e| Failure {
            connection: true,
            ..Failure::new(
                format!(
                    "the portal at {} does not answer",
                    self.portal.origin().ascii_serialization()
                ),
                "an HTTP answer with a Date header",
                e.to_string(),
            )
        })?;
        let received = unix_now_f64();
        let date = resp.headers().get(reqwest::header::DATE).and_then(|v| v.to_str().ok());
        let Some(portal_time) = date.and_then(clock::parse_http_date) else {
            return Err(Failure::new(
                "the portal's answer has no usable Date header",
                "Date: <IMF-fixdate>",
                format!("{date:?}"),
            ));
        };
        let offset = clock::offset_secs(portal_time, sent, received);
        let uncertainty = clock::uncertainty_secs(sent, received);
        *lock(&self.clock_offset) = Some(offset);
        let said = clock::describe_offset(offset, uncertainty);
        let limit = self.config.max_clock_offset_secs.max(uncertainty);
        if offset.abs() > limit {
            return Err(Failure::new(
                format!("{said}: codes computed here would be refused; set both clocks by NTP"),
                format!("the clocks within {limit:.0} s of each other"),
                format!("{offset:+.1} s (portal minus this machine)"),
            ));
        }
        Ok(format!("{said} (offset {offset:+.1} s)"))
    }

    // 2. A throwaway user with a random password, made a principal, needing 2FA.
    async fn throwaway_user(&self, p: &mut Progress) -> StepResult {
        {
            // Dropped before the first await: ThreadRng is not Send, and the app's panel runs
            // this future on Tauri's multi-threaded runtime.
            let mut rng = rand::thread_rng();
            p.username = format!("loopcheck-{:08x}", rng.gen::<u32>());
            p.password = Zeroizing::new(
                (&mut rng).sample_iter(Alphanumeric).take(24).map(char::from).collect(),
            );
        }
        // Written down first: an interruption during the request still gets it deleted.
        lock(&self.leftovers).user = Some(p.username.clone());
        self.admin
            .create_user(&p.username, &p.password)
            .await
            .map_err(|e| Failure::admin("create the user", e))?;
        self.admin
            .add_principals(&[Principal::User(p.username.clone())])
            .await
            .map_err(|e| Failure::admin("enable the user for 2FA", e))?;
        let users =
            self.admin.users().await.map_err(|e| Failure::admin("list users needing 2FA", e))?;
        match users.iter().find(|u| u.username.eq_ignore_ascii_case(&p.username)) {
            Some(_) => Ok(format!(
                "{} (random 24-character password), principal user:{0}; the portal lists it as needing 2FA",
                p.username
            )),
            None => Err(Failure::new(
                "the new principal is not among the users needing 2FA",
                format!("{} in GET /api/v1/users", p.username),
                format!("{} other user(s)", users.len()),
            )),
        }
    }

    /// Opens the portal in `browser` and signs in with the password through the form whose
    /// inputs say `username` and `current-password`.
    async fn sign_in_with_password(
        &self,
        browser: &Browser,
        p: &Progress,
    ) -> Result<(Page, String), Failure> {
        let start = browser
            .open(self.portal.clone())
            .await
            .map_err(|e| Failure::web("show its first page", e))?;
        // A browser with no session is sent to the sign-in form, wherever the portal keeps it.
        let Some(form) = start.doc.form_with_autocomplete("current-password") else {
            return Err(Failure::new(
                "no sign-in form on the portal's first page",
                "a form with inputs autocomplete=username and autocomplete=current-password",
                format!("{} after {}", start.summary(), start.trail_text()),
            ));
        };
        let fields = fill(&form, &[("username", &p.username), ("current-password", &p.password)])?;
        let trail = start.trail_text();
        let next = browser
            .submit(&start, &form, &fields)
            .await
            .map_err(|e| Failure::web("take the password", e))?;
        let said = format!("{trail}; {}", next.trail_text());
        Ok((next, said))
    }

    // 3. Sign in with the password as a browser does; the activation page follows.
    async fn password_sign_in(&self, p: &mut Progress) -> StepResult {
        let browser = Browser::new(&self.portal).map_err(|e| Failure::web("be reached", e))?;
        let (page, trail) = self.sign_in_with_password(&browser, p).await?;
        let is_activation = page.status == StatusCode::OK
            && page.doc.form_with_autocomplete("one-time-code").is_some()
            && !page.doc.tags("img").is_empty();
        p.browser = Some(browser);
        if !is_activation {
            return Err(Failure::new(
                "the password did not lead to the activation page",
                "a page with a QR image and a one-time-code form",
                format!("{} after {trail}", page.summary()),
            ));
        }
        let detail = format!("{trail}: activation page (CSRF field and cookies carried)");
        p.activation = Some(page);
        Ok(detail)
    }

    /// Fetches every image of `page`, decodes them with the app's scanner, and returns the
    /// otpauth URI found, checked against the key shown as text.
    async fn read_activation(
        &self,
        browser: &Browser,
        page: &Page,
        username: &str,
    ) -> Result<(OtpAuth, String), Failure> {
        let mut uris = Vec::new();
        let mut looked = Vec::new();
        for img in page.doc.tags("img") {
            let Some(src) = img.attr("src") else { continue };
            let Ok(url) = page.url.join(src) else { continue };
            let (status, kind, bytes) = browser
                .fetch(url.clone())
                .await
                .map_err(|e| Failure::web("serve the QR image", e))?;
            looked.push(format!(
                "{} HTTP {} {kind} {} bytes",
                url.path(),
                status.as_u16(),
                bytes.len()
            ));
            if !status.is_success() {
                continue;
            }
            let found =
                tokio::task::spawn_blocking(move || twofold_scanner::scan_image_bytes(&bytes))
                    .await
                    .map_err(|e| {
                        Failure::new("the scanner stopped", "a decoded image", e.to_string())
                    })?;
            if let Ok(texts) = found {
                uris.extend(
                    texts.into_iter().filter(|t| t.to_ascii_lowercase().starts_with("otpauth://")),
                );
            }
        }
        let Some(uri) = uris.first() else {
            return Err(Failure::new(
                "no otpauth QR code in the activation page's images",
                "an image holding an otpauth:// QR code",
                if looked.is_empty() { "no image".to_string() } else { looked.join("; ") },
            ));
        };
        let uri = Zeroizing::new(uri.clone());
        let auth = OtpAuth::parse(&uri).map_err(|e| {
            Failure::new("the QR code is not a valid otpauth URI", "a key URI", e.to_string())
        })?;
        if !auth.account.eq_ignore_ascii_case(username) {
            return Err(Failure::new(
                "the QR code names another account",
                username.to_string(),
                auth.account.clone(),
            ));
        }
        // The key as text: the element text that reads as a base32 key once spaces go.
        let shown: Vec<Zeroizing<String>> = page
            .doc
            .texts_of("code")
            .into_iter()
            .map(|t| {
                Zeroizing::new(
                    t.chars()
                        .filter(|c| !c.is_whitespace() && *c != '-')
                        .collect::<String>()
                        .to_ascii_uppercase(),
                )
            })
            .filter(|t| {
                t.len() >= 16
                    && t.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
            })
            .collect();
        let qr_key = auth.secret.to_base32();
        match shown.iter().find(|k| k.trim_end_matches('=') == qr_key.trim_end_matches('=')) {
            Some(_) => {}
            None if shown.is_empty() => {
                return Err(Failure::new(
                    "the activation page shows no key as text",
                    "the key as text (a <code> element of base32) beside the QR",
                    "none",
                ))
            }
            None => {
                return Err(Failure::new(
                    "the key shown as text differs from the QR code's",
                    format!("the QR's key ({} characters)", qr_key.len()),
                    format!("a different key as text ({} characters)", shown[0].len()),
                ))
            }
        }
        let (algorithm, period) = match auth.kind {
            OtpKind::Totp { period } => (auth.algorithm.as_str(), period),
            _ => {
                return Err(Failure::new(
                    "the QR code is not a TOTP key",
                    "otpauth://totp/…",
                    "another kind",
                ))
            }
        };
        let issuer = auth.issuer.clone().unwrap_or_default();
        let said = format!(
            "QR decoded by twofold-scanner: {issuer}:{} ({algorithm}, {} digits, {period} s); equals the key shown as text",
            auth.account, auth.digits
        );
        Ok((auth, said))
    }

    // 4. The QR image decoded with the app's scanner equals the key shown as text.
    async fn activation_qr(&self, p: &mut Progress) -> StepResult {
        let (Some(browser), Some(page)) = (&p.browser, &p.activation) else {
            return Err(Failure::new("no activation page", "the activation page", "none"));
        };
        let (auth, said) = self.read_activation(browser, page, &p.username).await?;
        p.first_secret = Some(Zeroizing::new(auth.secret.as_bytes().to_vec()));
        p.auth = Some(auth);
        Ok(said)
    }

    /// The current code of the vault account, computed from the secret the keyring holds.
    async fn vault_code(&self, at: u64) -> Result<Zeroizing<String>, Failure> {
        let id = lock(&self.leftovers).vault_account.clone();
        let Some(id) = id else {
            return Err(Failure::new("no vault account", "the account in the vault", "none"));
        };
        let (dir, secrets) = (self.config.vault_dir.clone(), self.config.secrets.clone());
        let row = tokio::task::spawn_blocking(move || {
            let mut vault = Vault::open(&dir, secrets)?;
            vault.code(&id, at)
        })
        .await
        .map_err(|e| Failure::new("the vault stopped", "a code", e.to_string()))?
        .map_err(|e| {
            Failure::new("the vault gave no code", "a code from the vault", e.to_string())
        })?;
        match row.code {
            Some(code) => Ok(Zeroizing::new(code)),
            None => Err(Failure::new(
                "the vault gave no code",
                "a code from the vault",
                row.problem.unwrap_or_else(|| "no code".to_string()),
            )),
        }
    }

    // 5. The account in the vault (OS keyring); the code computed from the vault.
    async fn vault(&self, p: &mut Progress) -> StepResult {
        let Some(auth) = p.auth.clone() else {
            return Err(Failure::new("no key", "the decoded key", "none"));
        };
        let (dir, secrets) = (self.config.vault_dir.clone(), self.config.secrets.clone());
        let leftovers = self.leftovers.clone();
        let now = unix_now();
        let added = tokio::task::spawn_blocking(move || {
            let mut vault = Vault::open(&dir, secrets)?;
            let account = vault.add(&auth, now)?;
            lock(&leftovers).vault_account = Some(account.id.clone());
            // From here the secret comes from the keyring, not from memory.
            vault.forget_secrets();
            Ok::<_, twofold_vault::VaultError>(account.display_name())
        })
        .await
        .map_err(|e| Failure::new("the vault stopped", "the account stored", e.to_string()))?
        .map_err(|e| {
            Failure::new(
                "the vault refused the account",
                "the account stored in the vault",
                e.to_string(),
            )
        })?;
        let now = unix_now();
        let from_vault = self.vault_code(now).await?;
        let from_uri = p.auth.as_ref().and_then(|a| a.code_at(now).ok()).map(Zeroizing::new);
        if from_uri.as_deref().map(String::as_str) != Some(from_vault.as_str())
            && time_step(unix_now(), 30) == time_step(now, 30)
        {
            return Err(Failure::new(
                "the vault's code differs from the key's",
                "the same code from the keyring's secret as from the decoded key",
                "different codes",
            ));
        }
        Ok(format!(
            "{added} stored in the vault at {} (secret in the OS keyring); code computed from the keyring's secret",
            self.config.vault_dir.display()
        ))
    }

    /// Submits `code` in the one-time-code form of `page`.
    async fn submit_code(
        &self,
        browser: &Browser,
        page: &Page,
        code: &str,
    ) -> Result<Page, Failure> {
        let Some(form) = page.doc.form_with_autocomplete("one-time-code") else {
            return Err(Failure::new(
                "no code form",
                "a form with autocomplete=one-time-code",
                page.summary(),
            ));
        };
        let fields = fill(&form, &[("one-time-code", code)])?;
        browser.submit(page, &form, &fields).await.map_err(|e| Failure::web("take the code", e))
    }

    fn is_signed_in(page: &Page, username: &str) -> bool {
        page.status == StatusCode::OK
            && page.doc.form_with_autocomplete("current-password").is_none()
            && page.doc.form_with_autocomplete("one-time-code").is_none()
            && page.doc.text().to_lowercase().contains(&username.to_lowercase())
    }

    // 6. Submit the vault's code; the signed-in page follows.
    async fn activate(&self, p: &mut Progress) -> StepResult {
        let now = unix_now();
        let code = self.vault_code(now).await?;
        let (Some(browser), Some(page)) = (&p.browser, &p.activation) else {
            return Err(Failure::new("no activation page", "the activation page", "none"));
        };
        let done = self.submit_code(browser, page, &code).await?;
        if !Self::is_signed_in(&done, &p.username) {
            return Err(Failure::new(
                "the portal did not accept the vault's code",
                format!("the signed-in page naming {}", p.username),
                format!("{} after {}", done.summary(), done.trail_text()),
            ));
        }
        let users = self.admin.users().await.map_err(|e| Failure::admin("list users", e))?;
        let state =
            users.iter().find(|u| u.username.eq_ignore_ascii_case(&p.username)).map(|u| u.state);
        if state != Some(twofold_core::EnrollmentState::Active) {
            return Err(Failure::new(
                "the enrollment is not active",
                "state active",
                format!("{state:?}"),
            ));
        }
        p.accepted_step = time_step(now, 30);
        p.last_code = code;
        let said =
            format!("{}: signed in; the admin API shows the enrollment active", done.trail_text());
        p.signed_in = Some(done);
        Ok(said)
    }

    /// Signs out through the signed-in page's form that has nothing to type (sign-out).
    async fn sign_out(&self, browser: &Browser, page: &Page) -> Result<Page, Failure> {
        let form = page
            .doc
            .forms()
            .into_iter()
            .rev()
            .find(|f| f.method == "POST" && !f.has_visible_inputs());
        let Some(form) = form else {
            return Err(Failure::new(
                "no sign-out form",
                "a sign-out form on the signed-in page",
                page.summary(),
            ));
        };
        browser.submit(page, &form, &[]).await.map_err(|e| Failure::web("sign out", e))
    }

    // 7. Sign out, sign in again with the next step's code (after waiting for it); the used
    //    code again is refused.
    async fn next_code_sign_in(&self, p: &mut Progress) -> StepResult {
        let (Some(browser), Some(home)) = (&p.browser, &p.signed_in) else {
            return Err(Failure::new("not signed in", "the signed-in page", "none"));
        };
        let out = self.sign_out(browser, home).await?;
        if out.doc.form_with_autocomplete("current-password").is_none() {
            return Err(Failure::new(
                "signing out did not lead back to the sign-in form",
                "the sign-in form",
                format!("{} after {}", out.summary(), out.trail_text()),
            ));
        }
        let (verify, _) = self.sign_in_with_password(browser, p).await?;
        if verify.doc.form_with_autocomplete("one-time-code").is_none() {
            return Err(Failure::new(
                "the enrolled user was not asked for a code",
                "a one-time-code form",
                format!("{} after {}", verify.summary(), verify.trail_text()),
            ));
        }
        // A code of the step already used would be a replay: wait for the next step.
        let waited = Instant::now();
        while time_step(unix_now(), 30) <= p.accepted_step {
            let left = 30.0 - unix_now_f64() % 30.0;
            tokio::time::sleep(std::time::Duration::from_secs_f64(left.clamp(0.05, 30.0) + 0.05))
                .await;
        }
        let waited = waited.elapsed().as_secs_f64();
        let now = unix_now();
        let code = self.vault_code(now).await?;
        let done = self.submit_code(browser, &verify, &code).await?;
        if !Self::is_signed_in(&done, &p.username) {
            return Err(Failure::new(
                "the next step's code was refused",
                "the signed-in page",
                format!("{} after {}", done.summary(), done.trail_text()),
            ));
        }
        p.accepted_step = time_step(now, 30);
        // The same code once more, in a new sign-in: the verifier must refuse it (replay).
        self.sign_out(browser, &done).await?;
        let (verify, _) = self.sign_in_with_password(browser, p).await?;
        let replay = self.submit_code(browser, &verify, &code).await?;
        if Self::is_signed_in(&replay, &p.username) || replay.status.is_success() {
            return Err(Failure::new(
                "a used code was accepted again",
                "the used code refused (HTTP 401)",
                format!("{} after {}", replay.summary(), replay.trail_text()),
            ));
        }
        p.last_code = code;
        Ok(format!(
            "signed out, waited {waited:.1} s for the next 30 s step, signed in with its code; the same code again was refused (HTTP {})",
            replay.status.as_u16()
        ))
    }

    // 8. The RDP gate refuses the user's password alone.
    async fn rdp_gate(&self, p: &Progress) -> StepResult {
        let token = match &self.config.gateway_token {
            Ok(token) => token,
            Err(why) => return Err(skip(why)),
        };
        let url = self
            .portal
            .join("api/rdp/authorize")
            .map_err(|e| Failure::new("no gate URL", "the gate's URL", e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| Failure::new("no HTTP client", "an HTTP client", e.to_string()))?;
        let body = serde_json::json!({ "username": p.username, "password": p.password.as_str() });
        let resp =
            http.post(url).bearer_auth(token.as_str()).json(&body).send().await.map_err(|e| {
                Failure::new("the RDP gate does not answer", "an answer", e.to_string())
            })?;
        let status = resp.status();
        let answer: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
        match status {
            StatusCode::NOT_FOUND => {
                Err(skip("the portal's RDP gate is turned off ([gateway] enabled = false)"))
            }
            StatusCode::UNAUTHORIZED => Err(Failure::new(
                "the RDP gate refused the gateway token",
                "the gate to accept the gateway token",
                "HTTP 401",
            )),
            StatusCode::OK if answer["allowed"] == false => {
                let reason: String =
                    answer["reason"].as_str().unwrap_or("").chars().take(200).collect();
                Ok(format!("password-only access refused: {reason}"))
            }
            StatusCode::OK => Err(Failure::new(
                "the RDP gate let a 2FA user in with the password alone",
                "allowed: false",
                answer.to_string(),
            )),
            other => Err(Failure::new(
                "the RDP gate failed",
                "HTTP 200",
                format!("HTTP {}", other.as_u16()),
            )),
        }
    }

    // 9. Reset through the admin API; the next sign-in shows a new QR with another secret.
    async fn reset(&self, p: &Progress) -> StepResult {
        self.admin
            .reset(std::slice::from_ref(&p.username))
            .await
            .map_err(|e| Failure::admin("reset the user", e))?;
        let browser = Browser::new(&self.portal).map_err(|e| Failure::web("be reached", e))?;
        let (page, trail) = self.sign_in_with_password(&browser, p).await?;
        if page.doc.form_with_autocomplete("one-time-code").is_none()
            || page.doc.tags("img").is_empty()
        {
            return Err(Failure::new(
                "after the reset the sign-in did not show a new QR code",
                "the activation page",
                format!("{} after {trail}", page.summary()),
            ));
        }
        let (auth, _) = self.read_activation(&browser, &page, &p.username).await?;
        let first = p.first_secret.as_ref().map(|s| s.as_slice());
        if first == Some(auth.secret.as_bytes()) {
            return Err(Failure::new(
                "the QR after the reset holds the old secret",
                "a new secret",
                "the same secret as before the reset",
            ));
        }
        Ok("reset; the next sign-in showed a new QR whose secret differs from the first"
            .to_string())
    }

    // 10. Clean-up: the vault account, the user (enrollment, sessions, principal entry with
    //     it), and the switch. Runs whatever happened before.
    async fn clean_up(&self) -> (StepResult, Vec<String>) {
        let (user, account, restore) = {
            let l = lock(&self.leftovers);
            (l.user.clone(), l.vault_account.clone(), l.restore_switch_off)
        };
        let mut removed = Vec::new();
        let mut problems = Vec::new();
        if let Some(user) = &user {
            let (dir, secrets) = (self.config.vault_dir.clone(), self.config.secrets.clone());
            let user_name = user.clone();
            // The recorded account, and any other of this throwaway user (an add cut short
            // after the keyring write is found by its name).
            let outcome = tokio::task::spawn_blocking(move || {
                let mut vault = Vault::open(&dir, secrets)?;
                let mut gone = Vec::new();
                for a in vault.accounts()? {
                    if Some(&a.id) == account.as_ref() || a.account.eq_ignore_ascii_case(&user_name)
                    {
                        vault.delete(&a.id)?;
                        gone.push(a.display_name());
                    }
                }
                Ok::<_, twofold_vault::VaultError>(gone)
            })
            .await;
            match outcome {
                Ok(Ok(gone)) => removed.extend(
                    gone.into_iter().map(|n| format!("vault account {n} and its OS keyring item")),
                ),
                Ok(Err(e)) => problems.push(format!("vault account of {user}: {e}")),
                Err(e) => problems.push(format!("vault account of {user}: {e}")),
            }
            match self.admin.delete_user(user).await {
                Ok(d) => {
                    let mut with = vec![format!("{} session(s)", d.sessions)];
                    if d.enrollment {
                        with.insert(0, "its enrollment".to_string());
                    }
                    if d.principal {
                        with.push(format!("principal entry user:{}", d.username));
                    }
                    removed.push(format!("portal user {} with {}", d.username, with.join(", ")));
                }
                // Never created (the run stopped before or during the request).
                Err(AdminError::Server { status: 404, .. }) => {}
                Err(e) => problems.push(format!("portal user {user}: {e}")),
            }
        }
        if restore {
            match self.admin.set_two_factor(false).await {
                Ok(_) => {
                    removed.push("2FA switched off again, as it was before the check".to_string())
                }
                Err(e) => problems.push(format!("2FA switch (it was off; left on): {e}")),
            }
        }
        let outcome = if problems.is_empty() {
            Ok(if removed.is_empty() {
                "nothing to remove".to_string()
            } else {
                removed.join("; ")
            })
        } else {
            Err(Failure::new(
                format!("left behind: {}", problems.join("; ")),
                "everything the check made removed",
                problems.join("; "),
            ))
        };
        (outcome, removed)
    }
}

/// A step that cannot run here, and why (reported as skipped, not failed).
fn skip(why: &str) -> Failure {
    Failure {
        detail: why.to_string(),
        expected: None,
        actual: None,
        connection: false,
        skipped: true,
    }
}

/// The fields to type into `form`: for each `(autocomplete token, value)`, the input that
/// lists the token, by its name.
fn fill(form: &Form, values: &[(&str, &str)]) -> Result<Vec<(String, String)>, Failure> {
    values
        .iter()
        .map(|(token, value)| {
            let input = form.input_with_autocomplete(token).and_then(|i| i.name.clone());
            input.map(|name| (name, value.to_string())).ok_or_else(|| {
                Failure::new(
                    "a form input is missing",
                    format!("a named input with autocomplete={token}"),
                    "none".to_string(),
                )
            })
        })
        .collect()
}
