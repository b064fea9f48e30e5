//! Reliability scenarios against running portals on loopback: code guessing from many
//! addresses, password spraying, code replay, timing of unknown against known user names, a
//! mixed sign-in load with concurrent admin changes, and two portal processes on one data
//! directory. Prints one table (scenario, what was measured, result, pass/fail) and exits
//! non-zero if any row failed.
//!
//! Leaves out starting the portals and creating the users: `scripts/reliability.sh` does both,
//! and the user names (and the password `pw-NAME` of each) are its convention. All traffic goes
//! to 127.0.0.0/8; every loop is bounded in count and in time. Timings are reported, never
//! asserted, except the timing scenario's stated criterion (medians within 5 %); the portal's
//! peak RSS is held to the bound its hash slots are meant to give.
//!
//! Usage: reliability PORTAL_URL PORTAL2_URL ADMIN_URL DATA_DIR PORTAL_PID LOG1 LOG2
//!        [LOAD_CLIENTS] [LOAD_SECONDS]
//! with `RELIABILITY_PORTAL_BIN` naming the portal binary for the admin-CLI checks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::{json, Value};
use twofold_core::{Algorithm, Secret, VerifierPolicy};

/// The portal issues SHA1, 6 digits, 30 s; the scenarios compute codes the way a phone does.
const PERIOD: u64 = 30;
const DIGITS: u32 = 6;
/// Longer than any answer should take, shorter than the portal's own request limit (30 s), so
/// a stuck request shows up as a transport error here rather than hanging a scenario.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(25);
/// Below the portal's keep-alive idle timeout (10 s): a pooled connection the server has
/// just closed would otherwise turn into a spurious "connection closed" error.
const POOL_IDLE: Duration = Duration::from_secs(5);
/// The name the admin client gives the audit log (`admin:reliability`).
const ACTOR: &str = "reliability";
/// The load's per-client round bound, beside its time bound.
const MAX_ROUNDS: u32 = 10_000;

fn password_of(user: &str) -> String {
    format!("pw-{user}")
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn loopback(a: u8, b: u8, c: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, a, b, c))
}

fn code_at(secret: &Secret, unix: u64) -> String {
    code_of_step(secret, unix / PERIOD)
}

fn code_of_step(secret: &Secret, step: u64) -> String {
    twofold_core::hotp(secret, Algorithm::Sha1, DIGITS, step).expect("6 digits is valid")
}

/// A code valid at none of the steps the portal could be judging against around `unix`.
fn wrong_code(secret: &Secret, unix: u64) -> String {
    let valid: Vec<String> = [unix.saturating_sub(PERIOD), unix, unix + PERIOD]
        .iter()
        .map(|&t| code_at(secret, t))
        .collect();
    (0u64..10)
        .map(|k| format!("{:06}", (123_457 + k * 7_919) % 1_000_000))
        .find(|c| !valid.contains(c))
        .expect("three valid codes cannot cover ten candidates")
}

/// The portal's English messages, as they appear in its pages (HTML-escaped), read from the
/// same catalogue the portal renders, so a rewording does not break the classification.
#[derive(Clone)]
struct Texts {
    bad_credentials: String,
    too_many_attempts: String,
    account_too_many_attempts: String,
    busy: String,
    wrong_code: String,
    replayed_code: String,
    locked: String,
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Texts {
    fn load() -> anyhow::Result<Texts> {
        let catalogue: Value = serde_json::from_str(include_str!("../locales/en.json"))?;
        let get = |key: &str| {
            catalogue[key]
                .as_str()
                .map(escape_html)
                .with_context(|| format!("locales/en.json has no {key}"))
        };
        Ok(Texts {
            bad_credentials: get("bad_credentials")?,
            too_many_attempts: get("too_many_attempts")?,
            account_too_many_attempts: get("account_too_many_attempts")?,
            busy: get("busy")?,
            wrong_code: get("wrong_code")?,
            replayed_code: get("replayed_code")?,
            locked: get("locked")?,
        })
    }

    fn kind(&self, r: &Reply) -> Kind {
        let says = |text: &String| r.body.contains(text.as_str());
        match r.status {
            303 => match r.location.as_str() {
                "/" => Kind::SignedIn,
                "/verify" => Kind::ToVerify,
                "/activate" => Kind::ToActivate,
                _ => Kind::Other,
            },
            401 if says(&self.bad_credentials) => Kind::BadCredentials,
            401 if says(&self.wrong_code) => Kind::WrongCode,
            401 if says(&self.replayed_code) => Kind::Replayed,
            423 if says(&self.locked) => Kind::Locked,
            429 if says(&self.too_many_attempts) => Kind::AddressThrottled,
            429 if says(&self.account_too_many_attempts) => Kind::AccountThrottled,
            503 if says(&self.busy) => Kind::Busy,
            s if s >= 500 => Kind::ServerError,
            _ => Kind::Other,
        }
    }
}

/// What an answer means for a visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    SignedIn,
    ToVerify,
    ToActivate,
    BadCredentials,
    AddressThrottled,
    AccountThrottled,
    Busy,
    WrongCode,
    Replayed,
    Locked,
    ServerError,
    Other,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::SignedIn => "303 → /",
            Kind::ToVerify => "303 → /verify",
            Kind::ToActivate => "303 → /activate",
            Kind::BadCredentials => "401 bad credentials",
            Kind::AddressThrottled => "429 address limit",
            Kind::AccountThrottled => "429 account limit",
            Kind::Busy => "503 busy",
            Kind::WrongCode => "401 wrong code",
            Kind::Replayed => "401 already used",
            Kind::Locked => "423 locked",
            Kind::ServerError => "5xx",
            Kind::Other => "other",
        }
    }
}

/// One answer, read to the end.
struct Reply {
    status: u16,
    location: String,
    body: String,
    /// From sending the request to the last byte of the body.
    elapsed: Duration,
}

impl Reply {
    /// The answer in one line, for reports: status, redirect, and the page's text.
    fn summary(&self) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let text: Vec<&str> = text.split_whitespace().collect();
        let text: String = text.join(" ").chars().take(240).collect();
        format!("{} location={:?} text={text:?}", self.status, self.location)
    }
}

/// A visitor: one connection pool bound to one source address, cookies kept by hand (a
/// cookie store would also keep the session cookie, which a new sign-in must not carry), and
/// the CSRF token of the last page.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

impl Browser {
    fn new(base: &str, from: IpAddr) -> anyhow::Result<Browser> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(from)
            .timeout(REQUEST_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE)
            .build()?;
        Ok(Browser {
            client,
            base: base.to_string(),
            cookies: BTreeMap::new(),
            csrf: String::new(),
        })
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Reply> {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// Posts a form with this visitor's CSRF token added.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Reply> {
        let csrf = self.csrf.clone();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", csrf.as_str()));
        let request = self.client.post(format!("{}{path}", self.base)).form(&form);
        self.send(request).await
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
        let request = if self.cookies.is_empty() {
            request
        } else {
            let header: Vec<String> =
                self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request.header(COOKIE, header.join("; "))
        };
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_string();
        for cookie in response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok())
        {
            let Some((name, rest)) = cookie.split_once('=') else { continue };
            let value = rest.split(';').next().unwrap_or_default();
            if cookie.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let body = response.text().await?;
        let elapsed = started.elapsed();
        if let Some(token) =
            body.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next())
        {
            self.csrf = token.to_string();
        }
        Ok(Reply { status, location, body, elapsed })
    }

    /// Starts over as a visitor without a session (the CSRF cookie stays, as in a browser).
    fn forget_session(&mut self) {
        self.cookies.retain(|name, _| !name.contains("session"));
    }

    /// The password step of a new sign-in; `elapsed` of the answer is the POST alone.
    async fn sign_in(&mut self, user: &str, password: &str) -> anyhow::Result<Reply> {
        self.forget_session();
        if self.csrf.is_empty() {
            self.get("/login").await?;
        }
        self.post("/login", &[("username", user), ("password", password)]).await
    }
}

/// The admin API, as the desktop app's admin mode uses it.
#[derive(Clone)]
struct Admin {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("x-twofold-actor", ACTOR);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (status, value) = self.call(Method::GET, path, None).await?;
        ensure!(status == 200, "GET {path} answered {status}: {value}");
        Ok(value)
    }

    /// The users covered by the principals, by name.
    async fn users(&self) -> anyhow::Result<BTreeMap<String, Value>> {
        let list = self.get("/api/v1/users").await?;
        let items = list["items"].as_array().context("users: no items")?;
        Ok(items
            .iter()
            .filter_map(|u| Some((u["username"].as_str()?.to_string(), u.clone())))
            .collect())
    }

    /// Every audit entry about `user`, newest first (paged; at most 20 pages).
    async fn audit_of(&self, user: &str) -> anyhow::Result<Vec<Value>> {
        let mut all = Vec::new();
        let mut before: Option<i64> = None;
        for _ in 0..20 {
            let path = match before {
                Some(id) => format!("/api/v1/audit?user={user}&limit=500&before={id}"),
                None => format!("/api/v1/audit?user={user}&limit=500"),
            };
            let page = self.get(&path).await?;
            let items = page["items"].as_array().context("audit: no items")?.clone();
            let done = items.len() < 500;
            before = items.last().and_then(|e| e["id"].as_i64());
            all.extend(items);
            if done {
                return Ok(all);
            }
        }
        bail!("the audit log of {user} has more than 20 pages")
    }
}

fn count_actions(
    entries: &[Value],
    action: &str,
    actor: Option<&str>,
    detail: Option<&str>,
) -> usize {
    entries
        .iter()
        .filter(|e| e["action"] == action)
        .filter(|e| actor.is_none_or(|a| e["actor"] == a))
        .filter(|e| detail.is_none_or(|d| e["detail"] == d))
        .count()
}

/// A user enrolled through the real activation page, with the last step the portal accepted.
struct Enrolled {
    name: String,
    secret: Secret,
    last_step: u64,
}

async fn enroll(portal: &str, from: IpAddr, name: &str) -> anyhow::Result<Enrolled> {
    let mut b = Browser::new(portal, from)?;
    let mut reply = b.sign_in(name, &password_of(name)).await?;
    // Enrollment runs several at once; a full set of hash slots is the portal's documented
    // answer (503, retry shortly), not a failure of enrollment.
    for _ in 0..10 {
        if reply.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        reply = b.sign_in(name, &password_of(name)).await?;
    }
    ensure!(
        reply.location == "/activate",
        "{name}: the password step answered {}",
        reply.summary()
    );
    let page = b.get("/activate").await?;
    let key = page
        .body
        .split("id=\"secret-key\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .with_context(|| {
            format!("{name}: no secret-key element on /activate: {}", page.summary())
        })?;
    let secret = Secret::from_base32(key).with_context(|| format!("{name}: key {key:?}"))?;
    let now = unix_now();
    let reply = b.post("/activate", &[("code", &code_at(&secret, now))]).await?;
    ensure!(
        reply.status == 303 && reply.location == "/",
        "{name}: activation answered {}",
        reply.summary()
    );
    Ok(Enrolled { name: name.to_string(), secret, last_step: now / PERIOD })
}

async fn enroll_all(portal: &str, names: &[String]) -> anyhow::Result<BTreeMap<String, Enrolled>> {
    // Four at a time: the portal's hash slots on two cores, so enrollment itself is not a
    // load test.
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let (portal, name, gate) = (portal.to_string(), name.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            enroll(&portal, loopback(0, 0, 1), &name).await
        });
    }
    let mut enrolled = BTreeMap::new();
    while let Some(result) = tasks.join_next().await {
        let user = result??;
        enrolled.insert(user.name.clone(), user);
    }
    Ok(enrolled)
}

/// Waits until `ready(unix)` holds, for at most `limit`: codes are tied to 30-second steps.
async fn wait_for(limit: Duration, what: &str, ready: impl Fn(u64) -> bool) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    while !ready(unix_now()) {
        ensure!(Instant::now() < until, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Pass,
    Fail,
    Info,
}

struct Row {
    scenario: u8,
    name: &'static str,
    measured: String,
    result: String,
    mark: Mark,
}

fn row(
    scenario: u8,
    name: &'static str,
    measured: impl Into<String>,
    result: impl Into<String>,
    pass: bool,
) -> Row {
    let mark = if pass { Mark::Pass } else { Mark::Fail };
    Row { scenario, name, measured: measured.into(), result: result.into(), mark }
}

fn info(
    scenario: u8,
    name: &'static str,
    measured: impl Into<String>,
    result: impl Into<String>,
) -> Row {
    Row { scenario, name, measured: measured.into(), result: result.into(), mark: Mark::Info }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Runs of equal answers: "4 × 401 wrong code, 36 × 423 locked".
fn runs(kinds: &[Kind]) -> String {
    let mut out: Vec<(Kind, usize)> = Vec::new();
    for &k in kinds {
        match out.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => out.push((k, 1)),
        }
    }
    out.iter().map(|(k, n)| format!("{n} × {}", k.label())).collect::<Vec<_>>().join(", ")
}

struct Ctx {
    portal: String,
    portal2: String,
    admin: Admin,
    data: PathBuf,
    pid: u32,
    logs: Vec<PathBuf>,
    texts: Arc<Texts>,
    clients: usize,
    seconds: u64,
    /// The portal binary, for the admin CLI (`RELIABILITY_PORTAL_BIN`).
    bin: Option<PathBuf>,
}

/// Scenario 1: one enrolled user's code guessed from 20 addresses, two wrong codes each.
async fn code_guessing(ctx: &Ctx, victim: &Enrolled) -> anyhow::Result<Vec<Row>> {
    let mut kinds = Vec::new();
    let mut lock_time = None;
    let mut first_lock_address = None;
    for i in 0..20u8 {
        let from = loopback(0, 0, 2 + i);
        let mut b = Browser::new(&ctx.portal, from)?;
        let reply = b.sign_in(&victim.name, &password_of(&victim.name)).await?;
        ensure!(reply.location == "/verify", "password step from {from}: {}", reply.summary());
        for _ in 0..2 {
            let now = unix_now();
            let reply = b.post("/verify", &[("code", &wrong_code(&victim.secret, now))]).await?;
            let kind = ctx.texts.kind(&reply);
            if kind == Kind::Locked && lock_time.is_none() {
                lock_time = Some(now);
                first_lock_address = Some(from);
            }
            kinds.push(kind);
        }
    }
    // The right code does not get through a lock either: the lock is on the account.
    let mut b = Browser::new(&ctx.portal, loopback(0, 0, 22))?;
    b.sign_in(&victim.name, &password_of(&victim.name)).await?;
    let right = b.post("/verify", &[("code", &code_at(&victim.secret, unix_now()))]).await?;
    let right_kind = ctx.texts.kind(&right);

    let users = ctx.admin.users().await?;
    let state = users.get(&victim.name).context("the victim is not in /api/v1/users")?;
    let locked_until = state["locked_until"].as_i64().unwrap_or(0);
    let lock_seconds = lock_time.map(|t| locked_until - t as i64).unwrap_or(0);

    let first_lock = kinds.iter().position(|&k| k == Kind::Locked);
    let counted_before = kinds.iter().take_while(|&&k| k == Kind::WrongCode).count();
    let held = first_lock.is_some_and(|i| kinds[i..].iter().all(|&k| k == Kind::Locked));
    let addresses_after = first_lock.map(|i| 20 - i / 2).unwrap_or(0);
    let lock_ok = first_lock == Some(4) && counted_before == 4 && held;
    let mut rows = vec![
        row(
            1,
            "code guessing",
            "40 wrong codes, 2 from each of 127.0.0.2–21 after a correct password",
            format!(
                "{}; lock reached at the 5th from {}, then held on {} addresses",
                runs(&kinds),
                first_lock_address.map(|a| a.to_string()).unwrap_or_else(|| "nowhere".into()),
                addresses_after
            ),
            lock_ok,
        ),
        row(
            1,
            "code guessing",
            "the right code while locked (127.0.0.22)",
            right_kind.label(),
            right_kind == Kind::Locked,
        ),
        row(
            1,
            "code guessing",
            "admin API after (`GET /api/v1/users`)",
            format!(
                "locked={} failures={} lock lasts {lock_seconds} s",
                state["locked"], state["failures"]
            ),
            state["locked"] == true
                && state["failures"] == 5
                && (895..=905).contains(&lock_seconds),
        ),
    ];

    // What the lock leaves an attacker who has the password: the core's own policy, played
    // forward (each lock doubles up to a day), at 2 acceptable codes in 10^6 per guess.
    let policy = VerifierPolicy::default();
    let mut per_day = [0u64; 365];
    let (mut t, mut locks) = (0u64, 0u32);
    for _ in 0..10_000 {
        let day = (t / 86_400) as usize;
        if day >= per_day.len() {
            break;
        }
        per_day[day] += u64::from(policy.max_failures);
        t += policy.lock_duration(locks);
        locks += 1;
    }
    let p = 2.0 / 1e6;
    let chance = |guesses: u64| 1.0 - (1.0f64 - p).powf(guesses as f64);
    let year: u64 = per_day.iter().sum();
    rows.push(row(
        1,
        "code guessing",
        "derived: attacker's chance (doubling locks, p = 2/10^6 a guess)",
        format!(
            "day 1: {} guesses → {:.1e} (1 in {:.0}); each later day: {} → {:.1e} (1 in {:.0}); first year: {} → {:.1e}",
            per_day[0],
            chance(per_day[0]),
            1.0 / chance(per_day[0]),
            per_day[1],
            chance(per_day[1]),
            1.0 / chance(per_day[1]),
            year,
            chance(year)
        ),
        lock_ok && policy.lock_seconds == 900,
    ));
    Ok(rows)
}

/// Scenario 2: one password against many accounts from one address; many passwords against
/// one account from many addresses.
async fn spraying(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let mut b = Browser::new(&ctx.portal, loopback(0, 1, 1))?;
    let mut kinds = Vec::new();
    for i in 0..60 {
        let reply = b.sign_in(&format!("spr{i:02}"), "Spring2025!").await?;
        kinds.push(ctx.texts.kind(&reply));
    }
    let right = b.sign_in("spr00", &password_of("spr00")).await?;
    let right_kind = ctx.texts.kind(&right);
    let sprayed_ok = kinds[..50].iter().all(|&k| k == Kind::BadCredentials)
        && kinds[50..].iter().all(|&k| k == Kind::AddressThrottled);

    let mut account = Vec::new();
    for i in 0..20u8 {
        let mut b = Browser::new(&ctx.portal, loopback(0, 1, 10 + i))?;
        let reply = b.sign_in("victim", &format!("guess-{i}")).await?;
        account.push(ctx.texts.kind(&reply));
    }
    let mut fresh = Browser::new(&ctx.portal, loopback(0, 1, 40))?;
    let owner = fresh.sign_in("victim", &password_of("victim")).await?;
    let owner_kind = ctx.texts.kind(&owner);
    let account_ok = account[..10].iter().all(|&k| k == Kind::BadCredentials)
        && account[10..].iter().all(|&k| k == Kind::AccountThrottled);
    Ok(vec![
        row(
            2,
            "password spraying",
            "one password against spr00–spr59 from 127.0.1.1",
            runs(&kinds),
            sprayed_ok,
        ),
        row(
            2,
            "password spraying",
            "then a correct password from that address",
            right_kind.label(),
            right_kind == Kind::AddressThrottled,
        ),
        row(
            2,
            "password spraying",
            "20 wrong passwords for `victim`, one from each of 127.0.1.10–29",
            runs(&account),
            account_ok,
        ),
        row(
            2,
            "password spraying",
            "then victim's correct password from a fresh address (127.0.1.40)",
            format!("{} (the back-off holds the account for its window)", owner_kind.label()),
            owner_kind == Kind::AccountThrottled,
        ),
    ])
}

/// Scenario 3: a code the user already used, re-sent by someone else in a new session.
async fn replay(ctx: &Ctx, user: &mut Enrolled) -> anyhow::Result<Vec<Row>> {
    // The intercepted code is the previous step's, the attacker's best case: still inside the
    // window, so only replay protection refuses it. It must stay inside the window for the
    // whole scenario (at least 12 s left in the step), and be newer than the activation.
    let last = user.last_step;
    wait_for(Duration::from_secs(75), "a usable step", |now| {
        now / PERIOD >= last + 2 && now % PERIOD <= 18
    })
    .await?;
    let step = unix_now() / PERIOD;
    let intercepted = code_of_step(&user.secret, step - 1);

    let mut owner = Browser::new(&ctx.portal, loopback(0, 0, 30))?;
    owner.sign_in(&user.name, &password_of(&user.name)).await?;
    let first = owner.post("/verify", &[("code", &intercepted)]).await?;
    ensure!(first.status == 303 && first.location == "/", "the owner's code: {}", first.summary());

    let mut attacker = Browser::new(&ctx.portal, loopback(0, 0, 31))?;
    let signed = attacker.sign_in(&user.name, &password_of(&user.name)).await?;
    ensure!(signed.location == "/verify", "attacker's password step: {}", signed.summary());
    let mut kinds = Vec::new();
    for _ in 0..10 {
        let reply = attacker.post("/verify", &[("code", &intercepted)]).await?;
        kinds.push(ctx.texts.kind(&reply));
    }
    let still_in_step = unix_now() / PERIOD == step;
    let state = ctx.admin.users().await?.remove(&user.name).context("user not listed")?;

    let mut next = Browser::new(&ctx.portal, loopback(0, 0, 30))?;
    next.sign_in(&user.name, &password_of(&user.name)).await?;
    let fresh = next.post("/verify", &[("code", &code_of_step(&user.secret, step))]).await?;
    let fresh_kind = ctx.texts.kind(&fresh);
    if fresh_kind == Kind::SignedIn {
        user.last_step = step;
    }
    Ok(vec![
        row(
            3,
            "replay",
            "the owner's accepted code (previous step) re-sent 10 × in a new session from 127.0.0.31",
            runs(&kinds),
            kinds.iter().all(|&k| k == Kind::Replayed) && still_in_step,
        ),
        row(
            3,
            "replay",
            "after the replays: user state, then the next step's code",
            format!(
                "locked={} failures={}; next code: {}",
                state["locked"],
                state["failures"],
                fresh_kind.label()
            ),
            state["locked"] == false && state["failures"] == 0 && fresh_kind == Kind::SignedIn,
        ),
    ])
}

/// Scenario 4: how long a wrong password takes for an unknown name and for a known user.
async fn timing(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    const N: usize = 200;
    // 20 addresses × 20 failures and 25 users × 8 failures: both under their limits (50 and
    // 10), so every sample is a full check, never a throttled refusal.
    let mut browsers = Vec::new();
    for k in 1..=20u8 {
        let mut b = Browser::new(&ctx.portal, loopback(0, 2, k))?;
        b.get("/login").await?;
        browsers.push(b);
    }
    let mut warm = Browser::new(&ctx.portal, loopback(0, 2, 100))?;
    for i in 0..5 {
        warm.sign_in(&format!("warmup{i}"), "x").await?;
    }
    let (mut unknown, mut known) = (Vec::new(), Vec::new());
    // unknown − known within each pair: the two ran back to back, so they share whatever else
    // the machine was doing, which the two separate medians do not.
    let mut paired = Vec::new();
    let mut anomalies = Vec::new();
    for i in 0..N {
        let b = &mut browsers[i / 10];
        let ghost = format!("ghost{i:03}");
        let real = format!("tim{:02}", i % 25);
        // Alternate which goes first, so neither kind always follows the other.
        let order = if i % 2 == 0 { [true, false] } else { [false, true] };
        let mut pair = [None, None];
        for is_known in order {
            let name = if is_known { &real } else { &ghost };
            let reply = b.sign_in(name, &format!("not-the-password-{i}")).await?;
            if ctx.texts.kind(&reply) != Kind::BadCredentials {
                anomalies.push(format!("{name}: {}", reply.summary()));
                continue;
            }
            let samples = if is_known { &mut known } else { &mut unknown };
            samples.push(reply.elapsed);
            pair[usize::from(is_known)] = Some(reply.elapsed.as_secs_f64());
        }
        if let [Some(u), Some(k)] = pair {
            paired.push(u - k);
        }
    }
    paired.sort_by(f64::total_cmp);
    unknown.sort();
    known.sort();
    let (mu, mk) = (percentile(&unknown, 0.5), percentile(&known, 0.5));
    let (pu, pk) = (percentile(&unknown, 0.9), percentile(&known, 0.9));
    let diff = (mu.as_secs_f64() - mk.as_secs_f64()) / mk.as_secs_f64().max(1e-9) * 100.0;
    let diff90 = (pu.as_secs_f64() - pk.as_secs_f64()) / pk.as_secs_f64().max(1e-9) * 100.0;
    // The median of the paired differences with its distribution-free 95 % interval (order
    // statistics k and n−1−k, k = ⌊(n − 1.96·√n) / 2⌋, as in the sign test).
    let n = paired.len();
    let relative = |d: f64| d / mk.as_secs_f64().max(1e-9) * 100.0;
    let k = ((n as f64 - 1.96 * (n as f64).sqrt()) / 2.0).floor().max(0.0) as usize;
    let (paired_median, low, high) = match n {
        0 => (0.0, 0.0, 0.0),
        _ => (
            relative(paired[n / 2]),
            relative(paired[k.min(n - 1)]),
            relative(paired[(n - 1).saturating_sub(k)]),
        ),
    };
    let mut rows = vec![
        info(
            4,
            "timing",
            format!("unknown name, wrong password: {} samples", unknown.len()),
            format!("median {}, p90 {}", ms(mu), ms(pu)),
        ),
        info(
            4,
            "timing",
            format!("known user, wrong password: {} samples", known.len()),
            format!("median {}, p90 {}", ms(mk), ms(pk)),
        ),
        row(
            4,
            "timing",
            "difference (unknown − known), criterion |median| < 5 %",
            format!("median {diff:+.1} %, p90 {diff90:+.1} %"),
            diff.abs() < 5.0 && anomalies.is_empty(),
        ),
        info(
            4,
            "timing",
            format!("paired: median of {n} back-to-back differences (unknown − known)"),
            format!("{paired_median:+.1} % of the known median (95 % interval {low:+.1} … {high:+.1} %)"),
        ),
    ];
    if !anomalies.is_empty() {
        rows.push(row(4, "timing", "answers other than 401", anomalies.join(" | "), false));
    }
    Ok(rows)
}

#[derive(Default)]
struct ClientStats {
    user: String,
    password_latency: Vec<Duration>,
    code_latency: Vec<Duration>,
    password_posts: u32,
    sign_ins: u32,
    accepted: u32,
    replays: u32,
    busy: u32,
    server_errors: Vec<String>,
    unexpected: Vec<String>,
    transport: Vec<String>,
    last_step: Option<u64>,
}

/// One load client: signs in as `user` over and over until `deadline`. A 2FA user sends the
/// current code when its step is new for them, else the code of the step they already used,
/// whose answer must be "already used" (codes are single-use per step).
async fn load_client(
    portal: String,
    from: IpAddr,
    user: String,
    mut enrolled: Option<Enrolled>,
    deadline: Instant,
    texts: Arc<Texts>,
) -> ClientStats {
    let mut s = ClientStats { user: user.clone(), ..Default::default() };
    let mut b = match Browser::new(&portal, from) {
        Ok(b) => b,
        Err(e) => {
            s.transport.push(format!("{e:#}"));
            return s;
        }
    };
    let password = password_of(&user);
    for _ in 0..MAX_ROUNDS {
        if Instant::now() >= deadline {
            break;
        }
        b.forget_session();
        if let Err(e) = b.get("/login").await {
            s.transport.push(format!("GET /login: {e:#}"));
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let reply = match b.sign_in(&user, &password).await {
            Ok(r) => r,
            Err(e) => {
                s.transport.push(format!("POST /login: {e:#}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        s.password_posts += 1;
        s.password_latency.push(reply.elapsed);
        match (texts.kind(&reply), enrolled.is_some()) {
            (Kind::SignedIn, false) => {
                s.sign_ins += 1;
                continue;
            }
            (Kind::ToVerify, true) => {}
            (Kind::Busy, _) => {
                s.busy += 1;
                continue;
            }
            (Kind::ServerError, _) => {
                s.server_errors.push(format!("POST /login as {user}: {}", reply.summary()));
                continue;
            }
            _ => {
                s.unexpected.push(format!("POST /login as {user}: {}", reply.summary()));
                continue;
            }
        }
        let Some(e) = enrolled.as_mut() else { continue };
        let now = unix_now();
        let step = now / PERIOD;
        let fresh = step > e.last_step;
        let code = if fresh {
            code_of_step(&e.secret, step)
        } else {
            code_of_step(&e.secret, e.last_step)
        };
        let reply = match b.post("/verify", &[("code", &code)]).await {
            Ok(r) => r,
            Err(err) => {
                s.transport.push(format!("POST /verify: {err:#}"));
                continue;
            }
        };
        s.code_latency.push(reply.elapsed);
        match (texts.kind(&reply), fresh) {
            (Kind::SignedIn, true) => {
                s.sign_ins += 1;
                s.accepted += 1;
                e.last_step = step;
                s.last_step = Some(step);
            }
            (Kind::Replayed, false) => s.replays += 1,
            (Kind::ServerError, _) => {
                s.server_errors.push(format!("POST /verify as {user}: {}", reply.summary()))
            }
            _ => s.unexpected.push(format!(
                "POST /verify as {user} ({} code): {}",
                if fresh { "fresh" } else { "used" },
                reply.summary()
            )),
        }
    }
    s
}

#[derive(Default)]
struct AdminStats {
    calls: u32,
    failures: Vec<String>,
    latency: Vec<Duration>,
    adds: [u32; 20],
    removes: [u32; 20],
    resets: [u32; 10],
    listed: [bool; 20],
}

/// The admin side of the load: adm00–adm19 made principals and removed again in turn (both
/// removal routes), rst00–rst09 reset, the user list read; one call every 20 ms or so.
async fn admin_churn(admin: Admin, deadline: Instant) -> AdminStats {
    let mut s = AdminStats::default();
    let mut toggles = 0usize;
    let mut resets = 0usize;
    for op in 0..5_000usize {
        if Instant::now() >= deadline {
            break;
        }
        let started = Instant::now();
        let (what, result) = match op % 4 {
            0 | 1 => {
                let j = toggles % 20;
                toggles += 1;
                let name = format!("adm{j:02}");
                let body = json!({ "principals": [{ "kind": "user", "name": name }] });
                let result = if !s.listed[j] {
                    admin.call(Method::POST, "/api/v1/principals", Some(body)).await
                } else if toggles.is_multiple_of(3) {
                    admin
                        .call(Method::DELETE, &format!("/api/v1/principals/user/{name}"), None)
                        .await
                } else {
                    admin.call(Method::POST, "/api/v1/principals/remove", Some(body)).await
                };
                if matches!(result, Ok((200, _))) {
                    if s.listed[j] {
                        s.removes[j] += 1;
                    } else {
                        s.adds[j] += 1;
                    }
                    s.listed[j] = !s.listed[j];
                }
                (format!("toggle {name}"), result)
            }
            2 => {
                let k = resets % 10;
                resets += 1;
                let name = format!("rst{k:02}");
                let body = json!({ "usernames": [name] });
                let result = admin.call(Method::POST, "/api/v1/users/reset", Some(body)).await;
                if matches!(result, Ok((200, _))) {
                    s.resets[k] += 1;
                }
                (format!("reset {name}"), result)
            }
            _ => ("list users".to_string(), admin.call(Method::GET, "/api/v1/users", None).await),
        };
        s.calls += 1;
        s.latency.push(started.elapsed());
        match result {
            Ok((200, _)) => {}
            Ok((status, body)) => s.failures.push(format!("{what}: {status} {body}")),
            Err(e) => s.failures.push(format!("{what}: {e:#}")),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s
}

fn peak_rss(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .with_context(|| format!("/proc/{pid}/status has no {name}"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

/// The last accepted step of each user, read from the database itself (the column the
/// verifier's compare-and-set writes).
fn stored_steps(data: &Path) -> anyhow::Result<BTreeMap<String, Option<i64>>> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("twofold.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let mut stmt = db.prepare("SELECT user_name, last_step FROM enrollments")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Scenario 5: mixed sign-in load with concurrent admin changes.
async fn load(ctx: &Ctx, users: Vec<Enrolled>) -> anyhow::Result<Vec<Row>> {
    let two_factor = users.len();
    let plain = ctx.clients.saturating_sub(two_factor);
    // One source address each, in 127.0.3.1–250.
    ensure!(two_factor + plain <= 250, "at most 250 load clients");
    let deadline = Instant::now() + Duration::from_secs(ctx.seconds);
    let mut tasks = Vec::new();
    let mut slot = 0u8;
    for e in users {
        slot += 1;
        let (portal, texts, name) = (ctx.portal.clone(), ctx.texts.clone(), e.name.clone());
        let from = loopback(0, 3, slot);
        tasks.push(tokio::spawn(load_client(portal, from, name, Some(e), deadline, texts)));
    }
    for i in 0..plain {
        slot += 1;
        let (portal, texts) = (ctx.portal.clone(), ctx.texts.clone());
        let from = loopback(0, 3, slot);
        tasks.push(tokio::spawn(load_client(
            portal,
            from,
            format!("pwd{i:03}"),
            None,
            deadline,
            texts,
        )));
    }
    let admin = tokio::spawn(admin_churn(ctx.admin.clone(), deadline));
    let mut stats = Vec::new();
    for t in tasks {
        stats.push(t.await?);
    }
    let admin = admin.await?;
    let (hwm_kib, rss_kib) = peak_rss(ctx.pid)?;
    // The portal bounds password hashing to two slots per core of 19 MiB each (Argon2id's
    // m = 19 MiB), so that much plus a generous allowance for everything else is what its
    // memory should stay under, however many clients wait.
    let slots = std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4) as u64;
    let memory_bound = slots * 19 + 128;

    let mut password: Vec<Duration> =
        stats.iter().flat_map(|s| s.password_latency.clone()).collect();
    let mut code: Vec<Duration> = stats.iter().flat_map(|s| s.code_latency.clone()).collect();
    password.sort();
    code.sort();
    let sum = |f: fn(&ClientStats) -> u32| stats.iter().map(f).sum::<u32>();
    let posts = sum(|s| s.password_posts);
    let sign_ins = sum(|s| s.sign_ins);
    let accepted = sum(|s| s.accepted);
    let replays = sum(|s| s.replays);
    let busy = sum(|s| s.busy);
    let server_errors: Vec<&String> = stats.iter().flat_map(|s| &s.server_errors).collect();
    let unexpected: Vec<&String> = stats.iter().flat_map(|s| &s.unexpected).collect();
    let transport: Vec<&String> = stats.iter().flat_map(|s| &s.transport).collect();
    let sample =
        |list: &[&String]| list.iter().take(3).map(|s| s.as_str()).collect::<Vec<_>>().join(" | ");

    // Lost updates, admin side: the final principals, the reset users' state and the audit
    // count of every change must match what the admin client was told succeeded.
    let mut lost = Vec::new();
    let principals = ctx.admin.get("/api/v1/principals").await?;
    let listed: BTreeSet<String> = principals["items"]
        .as_array()
        .context("principals: no items")?
        .iter()
        .filter(|p| p["kind"] == "user")
        .filter_map(|p| p["name"].as_str().filter(|n| n.starts_with("adm")).map(String::from))
        .collect();
    let expected: BTreeSet<String> =
        (0..20).filter(|&j| admin.listed[j]).map(|j| format!("adm{j:02}")).collect();
    if listed != expected {
        lost.push(format!("principals: listed {listed:?}, expected {expected:?}"));
    }
    let actor = format!("admin:{ACTOR}");
    for j in 0..20 {
        let name = format!("adm{j:02}");
        let log = ctx.admin.audit_of(&name).await?;
        let (adds, removes) = (
            count_actions(&log, "principal.add", Some(&actor), None),
            count_actions(&log, "principal.remove", Some(&actor), None),
        );
        if adds != admin.adds[j] as usize || removes != admin.removes[j] as usize {
            lost.push(format!(
                "{name}: audit {adds} adds/{removes} removes, client saw {}/{}",
                admin.adds[j], admin.removes[j]
            ));
        }
    }
    let covered = ctx.admin.users().await?;
    for k in 0..10 {
        let name = format!("rst{k:02}");
        let log = ctx.admin.audit_of(&name).await?;
        let resets = count_actions(&log, "user.reset", Some(&actor), None);
        let state = covered.get(&name).map(|u| u["state"].clone()).unwrap_or(Value::Null);
        if resets != admin.resets[k] as usize || (admin.resets[k] > 0 && state != "none") {
            lost.push(format!(
                "{name}: audit {resets} resets, client saw {}; state {state}",
                admin.resets[k]
            ));
        }
    }

    // Lost updates, sign-in side: every accepted code is in the audit log, every answered
    // replay too, and the stored last step is the last one the client had accepted.
    let steps = stored_steps(&ctx.data)?;
    let mut unrecorded = Vec::new();
    for s in stats.iter().filter(|s| s.user.starts_with("tfa")) {
        let log = ctx.admin.audit_of(&s.user).await?;
        let ok = count_actions(&log, "signin.code_ok", None, None);
        let replayed = count_actions(&log, "signin.code_failed", None, Some("replayed code"));
        let stored = steps.get(&s.user).copied().flatten();
        let state = covered.get(&s.user);
        let clean = state.is_some_and(|u| u["failures"] == 0 && u["locked"] == false);
        let step_ok = s.last_step.is_none_or(|step| stored == Some(step as i64));
        if ok != s.accepted as usize || replayed != s.replays as usize || !step_ok || !clean {
            unrecorded.push(format!(
                "{}: audit {ok} accepted/{replayed} replays, client {}/{}; stored step {stored:?}, \
                 client {:?}; state {:?}",
                s.user, s.accepted, s.replays, s.last_step, state
            ));
        }
    }

    let mut admin_latency = admin.latency.clone();
    admin_latency.sort();
    let responses_ok = server_errors.is_empty() && unexpected.is_empty() && transport.is_empty();
    let mut rows = vec![
        row(
            5,
            "load",
            format!(
                "{} clients ({two_factor} 2FA, {plain} password-only; one address each, 127.0.3.x) for {} s",
                two_factor + plain,
                ctx.seconds
            ),
            format!(
                "{posts} password POSTs, {sign_ins} sign-ins completed ({:.1}/s), {accepted} codes \
                 accepted, {replays} used codes refused as expected; 5xx other than 503: {}; \
                 unexpected answers: {}; transport errors: {}",
                sign_ins as f64 / ctx.seconds as f64,
                server_errors.len(),
                unexpected.len(),
                transport.len()
            ),
            responses_ok,
        ),
        info(
            5,
            "load",
            "503 busy (all hash slots taken for 2 s; nothing counted)",
            format!(
                "{busy} of {posts} password POSTs ({:.1} %); the other {} were checked, {:.1}/s",
                busy as f64 * 100.0 / posts.max(1) as f64,
                posts - busy,
                (posts - busy) as f64 / ctx.seconds as f64
            ),
        ),
        info(
            5,
            "load",
            "password POST latency (every answer, 503 included)",
            format!("p50 {}, p99 {} ({} samples)", ms(percentile(&password, 0.5)), ms(percentile(&password, 0.99)), password.len()),
        ),
        info(
            5,
            "load",
            "code POST latency",
            format!("p50 {}, p99 {} ({} samples)", ms(percentile(&code, 0.5)), ms(percentile(&code, 0.99)), code.len()),
        ),
        row(
            5,
            "load",
            format!("admin API meanwhile: {} calls (principal add/remove, reset, list)", admin.calls),
            format!(
                "{} failed; p50 {}, p99 {}; final principals, reset states and audit counts: {}",
                admin.failures.len(),
                ms(percentile(&admin_latency, 0.5)),
                ms(percentile(&admin_latency, 0.99)),
                if lost.is_empty() { "all match".to_string() } else { lost.join(" | ") }
            ),
            admin.failures.is_empty() && lost.is_empty(),
        ),
        row(
            5,
            "load",
            "every accepted code recorded (audit signin.code_ok, stored last step) per 2FA user",
            if unrecorded.is_empty() {
                format!("{accepted} accepted codes, all {two_factor} users match, none locked or failed")
            } else {
                unrecorded.iter().take(3).cloned().collect::<Vec<_>>().join(" | ")
            },
            unrecorded.is_empty(),
        ),
        row(
            5,
            "load",
            format!(
                "portal peak RSS (VmHWM), criterion ≤ {memory_bound} MiB: {slots} hash slots × \
                 19 MiB + 128 MiB for the rest"
            ),
            format!("{:.1} MiB (now {:.1} MiB)", hwm_kib as f64 / 1024.0, rss_kib as f64 / 1024.0),
            hwm_kib / 1024 <= memory_bound,
        ),
    ];
    if !server_errors.is_empty() {
        rows.push(row(5, "load", "5xx answers (first 3)", sample(&server_errors), false));
    }
    if !unexpected.is_empty() {
        rows.push(row(5, "load", "unexpected answers (first 3)", sample(&unexpected), false));
    }
    if !transport.is_empty() {
        rows.push(row(5, "load", "transport errors (first 3)", sample(&transport), false));
    }
    if !admin.failures.is_empty() {
        let failures: Vec<&String> = admin.failures.iter().collect();
        rows.push(row(5, "load", "admin failures (first 3)", sample(&failures), false));
    }
    Ok(rows)
}

/// Scenario 6: the same valid code sent to two portal processes on one data directory at the
/// same moment, one round per user.
async fn two_processes(ctx: &Ctx, users: Vec<Enrolled>) -> anyhow::Result<Vec<Row>> {
    let rounds = users.len();
    let mut exactly_one = 0;
    let mut winners = [0u32; 2];
    let mut losers: Vec<Kind> = Vec::new();
    let mut problems = Vec::new();
    for e in users {
        let mut a = Browser::new(&ctx.portal, loopback(0, 4, 1))?;
        let mut b = Browser::new(&ctx.portal2, loopback(0, 4, 2))?;
        let ra = a.sign_in(&e.name, &password_of(&e.name)).await?;
        let rb = b.sign_in(&e.name, &password_of(&e.name)).await?;
        if ra.location != "/verify" || rb.location != "/verify" {
            problems.push(format!(
                "{}: password steps {} / {}",
                e.name,
                ra.summary(),
                rb.summary()
            ));
            continue;
        }
        let last = e.last_step;
        wait_for(Duration::from_secs(35), "a step newer than the activation", |now| {
            now / PERIOD > last
        })
        .await?;
        let code = code_at(&e.secret, unix_now());
        let form = [("code", code.as_str())];
        let (ra, rb) = tokio::join!(a.post("/verify", &form), b.post("/verify", &form));
        let (ra, rb) = (ra?, rb?);
        let kinds = [ctx.texts.kind(&ra), ctx.texts.kind(&rb)];
        let accepted = kinds.iter().filter(|&&k| k == Kind::SignedIn).count();
        if accepted == 1 {
            exactly_one += 1;
            let w = kinds.iter().position(|&k| k == Kind::SignedIn).unwrap_or(0);
            winners[w] += 1;
            losers.push(kinds[1 - w]);
        } else {
            problems.push(format!(
                "{}: {accepted} accepted: portal 1 {} / portal 2 {}",
                e.name,
                ra.summary(),
                rb.summary()
            ));
        }
        if kinds.contains(&Kind::ServerError) {
            problems.push(format!("{}: 5xx: {} / {}", e.name, ra.summary(), rb.summary()));
        }
        let log = ctx.admin.audit_of(&e.name).await?;
        let recorded = count_actions(&log, "signin.code_ok", None, None);
        if recorded != accepted {
            problems.push(format!("{}: {accepted} accepted, {recorded} signin.code_ok", e.name));
        }
    }
    losers.sort();
    let mut loser_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &losers {
        *loser_counts.entry(k.label()).or_default() += 1;
    }
    let losers: Vec<String> = loser_counts.iter().map(|(k, n)| format!("{n} × {k}")).collect();
    Ok(vec![row(
        6,
        "two processes",
        format!("{rounds} rounds (one user each): the same code to both portals at once"),
        format!(
            "exactly one accepted in {exactly_one}/{rounds} (portal 1 won {}, portal 2 won {}); \
             the other got {}; audit agrees{}",
            winners[0],
            winners[1],
            losers.join(", "),
            if problems.is_empty() {
                String::new()
            } else {
                format!("; problems: {}", problems.join(" | "))
            }
        ),
        exactly_one == rounds && problems.is_empty(),
    )])
}

/// Scenario 6, the other half: two processes opening the data directory at the same moment,
/// as when two portals start together or an admin command runs while one starts. Read-only
/// commands (`user list`), so nothing changes whatever happens.
async fn concurrent_opens(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    const ROUNDS: usize = 30;
    let Some(bin) = ctx.bin.as_ref() else {
        return Ok(vec![info(
            6,
            "two processes",
            "concurrent opens",
            "skipped: no portal binary given",
        )]);
    };
    let mut failed = Vec::new();
    for _ in 0..ROUNDS {
        let mut children = Vec::new();
        for _ in 0..2 {
            children.push(
                tokio::process::Command::new(bin)
                    .arg("--data")
                    .arg(&ctx.data)
                    .args(["user", "list"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()?,
            );
        }
        for child in children {
            let out = tokio::time::timeout(REQUEST_TIMEOUT, child.wait_with_output()).await??;
            if !out.status.success() {
                failed.push(String::from_utf8_lossy(&out.stderr).trim().to_string());
            }
        }
    }
    let sample = failed.first().map(|m| format!(": {m}")).unwrap_or_default();
    Ok(vec![row(
        6,
        "two processes",
        format!("{ROUNDS} rounds: two `user list` processes opening the data directory at once"),
        format!("{} of {} opens failed{sample}", failed.len(), ROUNDS * 2),
        failed.is_empty(),
    )])
}

/// The portals' logs: no panic and no error line across all scenarios.
fn logs(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let mut panics = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = 0;
    for path in &ctx.logs {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for line in text.lines() {
            if line.contains("panicked") {
                panics.push(line.to_string());
            } else if line.contains("ERROR") {
                errors.push(line.to_string());
            } else if line.contains("WARN") {
                warnings += 1;
            }
        }
    }
    let mut result =
        format!("{} panics, {} ERROR lines, {warnings} WARN lines", panics.len(), errors.len());
    for line in panics.iter().chain(errors.iter()).take(3) {
        result.push_str(&format!(" | {}", line.chars().take(300).collect::<String>()));
    }
    Ok(vec![row(
        7,
        "portal logs",
        "both processes' stderr, whole run",
        result,
        panics.is_empty() && errors.is_empty(),
    )])
}

fn print_table(rows: &[Row]) {
    println!("| # | scenario | measured | result | pass |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let mark = match r.mark {
            Mark::Pass => "PASS",
            Mark::Fail => "**FAIL**",
            Mark::Info => "info",
        };
        let cell = |s: &str| s.replace('|', "\\|");
        println!(
            "| {} | {} | {} | {} | {mark} |",
            r.scenario,
            r.name,
            cell(&r.measured),
            cell(&r.result)
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: reliability PORTAL_URL PORTAL2_URL ADMIN_URL DATA_DIR PORTAL_PID LOG1 LOG2 [CLIENTS] [SECONDS]";
    ensure!(args.len() >= 8, "{usage}");
    let data = PathBuf::from(&args[4]);
    let token = std::fs::read_to_string(data.join("admin.token")).context("reading admin.token")?;
    let admin = Admin {
        client: reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE)
            .build()?,
        base: args[3].clone(),
        token: token.trim().to_string(),
    };
    let ctx = Ctx {
        portal: args[1].clone(),
        portal2: args[2].clone(),
        admin,
        data,
        pid: args[5].parse().context("PORTAL_PID")?,
        logs: vec![PathBuf::from(&args[6]), PathBuf::from(&args[7])],
        texts: Arc::new(Texts::load()?),
        clients: args.get(8).and_then(|a| a.parse().ok()).unwrap_or(200),
        seconds: args.get(9).and_then(|a| a.parse().ok()).unwrap_or(30),
        bin: std::env::var_os("RELIABILITY_PORTAL_BIN").map(PathBuf::from),
    };
    let load_2fa = (ctx.clients / 2).min(100);

    let mut names = vec!["guess".to_string(), "replay".to_string()];
    names.extend((0..load_2fa).map(|i| format!("tfa{i:03}")));
    names.extend((0..10).map(|i| format!("rst{i:02}")));
    names.extend((0..20).map(|i| format!("dbl{i:02}")));
    let started = Instant::now();
    let mut enrolled = enroll_all(&ctx.portal, &names).await?;
    let mut rows = vec![info(
        0,
        "setup",
        "users enrolled through the real flow (password → /activate → key → code)",
        format!("{} users in {:.1} s", enrolled.len(), started.elapsed().as_secs_f64()),
    )];
    eprintln!("enrolled {} users in {:.1} s", enrolled.len(), started.elapsed().as_secs_f64());

    let mut take = |prefix: &str| -> Vec<Enrolled> {
        let keys: Vec<String> =
            enrolled.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
        keys.iter().filter_map(|k| enrolled.remove(k)).collect()
    };
    let guess = take("guess").pop().context("guess not enrolled")?;
    let mut replayer = take("replay").pop().context("replay not enrolled")?;
    let tfa = take("tfa");
    let dbl = take("dbl");

    fn collect(
        rows: &mut Vec<Row>,
        scenario: u8,
        name: &'static str,
        result: anyhow::Result<Vec<Row>>,
    ) {
        match result {
            Ok(r) => rows.extend(r),
            Err(e) => {
                rows.push(row(scenario, name, "scenario did not complete", format!("{e:#}"), false))
            }
        }
        eprintln!("scenario {scenario} ({name}) done");
    }
    collect(&mut rows, 1, "code guessing", code_guessing(&ctx, &guess).await);
    collect(&mut rows, 2, "password spraying", spraying(&ctx).await);
    // Timing before replay: the replay scenario needs a step two steps past its user's
    // activation, and the timing scenario's half minute gets it there without waiting.
    collect(&mut rows, 4, "timing", timing(&ctx).await);
    collect(&mut rows, 3, "replay", replay(&ctx, &mut replayer).await);
    collect(&mut rows, 5, "load", load(&ctx, tfa).await);
    collect(&mut rows, 6, "two processes", two_processes(&ctx, dbl).await);
    collect(&mut rows, 6, "two processes", concurrent_opens(&ctx).await);
    collect(&mut rows, 7, "portal logs", logs(&ctx));

    rows.sort_by_key(|r| r.scenario);
    print_table(&rows);
    let failed = rows.iter().filter(|r| r.mark == Mark::Fail).count();
    if failed > 0 {
        // The table says what failed; an error's backtrace would only bury it.
        eprintln!("reliability: {failed} rows failed");
        std::process::exit(1);
    }
    Ok(())
}
