//! HTTP request fuzzing of the real portal: `twofold-portal serve` on loopback gets a
//! deterministic, seeded, bounded stream of generated bad requests at every page route and
//! form, the forward-auth endpoints, the RDP gate and the admin API — raw malformed HTTP over
//! a `TcpStream`, invalid UTF-8 and percent-encodings, control, bidi, zero-width and combining
//! characters and 10k-character user names, duplicated and missing fields, wrong and missing
//! content types, oversize and chunked bodies, bad methods, huge headers — with and without a
//! real session cookie and CSRF token. Then: no 5xx but the documented 503 (busy, with
//! `Retry-After`), the process alive, no panic, no ERROR and nothing secret or raw-control in
//! its log, a normal sign-in still works and the audit log prints control characters escaped.
//!
//! `TWOFOLD_FUZZ_REQUESTS` sets the count (default [`DEFAULT_REQUESTS`], a few seconds),
//! `TWOFOLD_FUZZ_SEED` the seed; a failure names both and the request that caused it, so it
//! can be replayed. `scripts/reliability.sh` runs it with 20,000. Leaves out HTTP/2 framing
//! (hyper's own, fuzzed upstream) and TLS; the `cargo fuzz` targets cover the parsers below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use twofold_core::otp::Algorithm;

pub(crate) const DEFAULT_REQUESTS: usize = 1200;
pub(crate) const DEFAULT_SEED: u64 = 0x2f0f_d0e5_1a7e_5eed;
/// Requests in flight at once: enough to exercise concurrent handlers and hash slots.
pub(crate) const WORKERS: usize = 4;
/// Longer than the server's own 30 s request deadline, so a 408 arrives before this gives
/// up; reaching it means the portal neither answered nor closed (a hang).
pub(crate) const READ_BOUND: Duration = Duration::from_secs(45);
/// Every password the fuzzer types: it must never appear in the portal's log.
pub(crate) const MARKER: &str = "Fz-Secret-Pw-91c4e7";

/// Users the fuzzer never names (final sign-ins and session contexts depend on them); it
/// does attack `alice` and `dana` and every odd spelling of them.
pub(crate) const PROTECTED: &[&str] =
    &["carol", "bob", "finance", "fz-activate", "fz-code", "fz-zoë-plain"];
pub(crate) const ACTIVATE_USER: (&str, &str) = ("fz-activate", "fz-activate-pw-5521");
pub(crate) const CODE_USER: (&str, &str) = ("fz-code", "fz-code-pw-8812");
/// A password-only user whose name is not ASCII: the signed-in context's session.
pub(crate) const PLAIN_USER: (&str, &str) = ("fz-zoë-plain", "fz-plain-pw-3307");
pub(crate) const DEMO_PASSWORDS: &[&str] =
    &["alice-demo-pass", "bob-demo-pass", "dana-demo-pass", "carol-demo-pass"];

/// Where the fuzz traffic comes from: 16 loopback addresses in turn, so the per-address
/// password limit (50 failures) bounds the hashing without closing every path at once.
pub(crate) fn fuzz_source(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1, 1 + (i % 16) as u8)
}
/// Setup and the contexts' sign-ins (correct passwords only, so never throttled).
pub(crate) const SETUP_SOURCE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// The sign-ins after the fuzz: an address the fuzzer never used.
pub(crate) const FINAL_SOURCE: Ipv4Addr = Ipv4Addr::new(127, 0, 2, 1);

mod inputs;
mod requests;
mod rng;
mod wire;

use inputs::*;
use requests::*;
use rng::*;
use wire::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_bad_requests_get_no_5xx_no_panic_and_leave_the_portal_working() {
    let requests = env_number("TWOFOLD_FUZZ_REQUESTS", DEFAULT_REQUESTS as u64) as usize;
    let seed = env_number("TWOFOLD_FUZZ_SEED", DEFAULT_SEED);
    let started = Instant::now();
    let mut portal = Portal::start().await;
    let tokens = Arc::new(portal.tokens());

    // A 2FA user enrolled through the real page: its session answers the code step.
    let (code_secret, _) = portal.enroll(SETUP_SOURCE, CODE_USER.0, CODE_USER.1).await;
    let csrf = portal.csrf(SETUP_SOURCE).await;
    let renew = SessionMaker { web: portal.web, csrf: csrf.clone() };
    let first = renew.contexts().await.expect("sessions for the fuzzer");
    let contexts = Arc::new(Mutex::new(first));
    let seen_sessions = Arc::new(Mutex::new(Vec::<String>::new()));
    let tally = Arc::new(Mutex::new(Tally::default()));

    let (web, admin) = (portal.web, portal.admin);
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (contexts, tally, tokens, seen) =
            (contexts.clone(), tally.clone(), tokens.clone(), seen_sessions.clone());
        let renew = SessionMaker { web, csrf: csrf.clone() };
        workers.push(tokio::spawn(async move {
            for (n, i) in (w..requests).step_by(WORKERS).enumerate() {
                // Sessions get signed out, superseded or locked by the stream: renew them.
                if w == 0 && n > 0 && n % 100 == 0 {
                    if let Ok(fresh) = renew.contexts().await {
                        let mut s = seen.lock().unwrap();
                        s.extend([
                            fresh.activate.clone(),
                            fresh.code.clone(),
                            fresh.signed_in.clone(),
                        ]);
                        *contexts.lock().unwrap() = fresh;
                    }
                }
                let ctx = contexts.lock().unwrap().clone();
                let case = generate(seed, i, &ctx, &tokens);
                let to = if case.admin { admin } else { web };
                let outcome = exchange(to, fuzz_source(i), &case.bytes, case.close_write).await;
                let mut t = tally.lock().unwrap();
                let describe = |what: &str| {
                    format!(
                        "request {i} (seed {seed:#x}) {what}: {}\n    sent: {}",
                        case.label,
                        shorten(&case.bytes[..case.bytes.len().min(300)])
                    )
                };
                match outcome {
                    Outcome::Refused(e) => {
                        t.failures.push(describe(&format!("could not connect ({e})")));
                        return;
                    }
                    Outcome::Hung => t.failures.push(describe("hung")),
                    Outcome::Closed(_) if case.h2 => t.http2 += 1,
                    Outcome::Closed(raw) => match parse_answer(&raw) {
                        Some(answer) => {
                            *t.statuses.entry(answer.status).or_default() += 1;
                            if answer.status == 503 && answer.header("retry-after").is_some() {
                                t.busy += 1;
                            } else if answer.status >= 500 {
                                let body = shorten(&answer.body);
                                t.failures.push(describe(&format!("got {} {body}", answer.status)));
                            }
                        }
                        None if raw.is_empty() && !case.must_answer => t.unanswered += 1,
                        None if raw.is_empty() => {
                            t.failures.push(describe("closed without an answer"))
                        }
                        None => t.failures.push(describe(&format!(
                            "unparseable answer {}",
                            shorten(&raw[..raw.len().min(200)])
                        ))),
                    },
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let fuzz_time = started.elapsed();
    assert!(portal.alive(), "the portal died during the fuzz:\n{}", portal.log_text());

    // Afterwards a normal sign-in works: a password-only demo user, and a 2FA demo user's
    // first sign-in through the activation page. (The stream may have turned 2FA off.)
    cli(portal.dir.path(), &["2fa", "on"], None);
    let csrf_final = portal.csrf(FINAL_SOURCE).await;
    let carol = portal.password_step(FINAL_SOURCE, &csrf_final, "carol", "carol-demo-pass").await;
    assert_eq!(carol.header("location"), Some("/"), "carol: {} {}", carol.status, carol.text());
    let session = carol.cookie("twofold_session").unwrap();
    let home = call(
        web,
        FINAL_SOURCE,
        "GET",
        "/",
        &[("Cookie", &format!("twofold_session={session}"))],
        None,
    )
    .await;
    assert_eq!(home.status, 200);
    assert!(home.text().contains("carol"), "{}", home.text());
    let (_, bob) = portal.enroll(FINAL_SOURCE, "bob", "bob-demo-pass").await;
    let home =
        call(web, FINAL_SOURCE, "GET", "/", &[("Cookie", &format!("twofold_session={bob}"))], None)
            .await;
    assert_eq!(home.status, 200);
    assert!(home.text().contains("bob"), "{}", home.text());

    // Names with invisible characters reach the audit log through the admin API; every
    // output of it shows them escaped, one entry a line.
    let bearer = format!("Bearer {}", tokens.admin);
    for name in ["fz\u{202E}gnp.exe", "fz\u{200B}alice\u{0301}"] {
        let body = serde_json::json!({"username": name, "password": MARKER}).to_string();
        let made = call(
            admin,
            SETUP_SOURCE,
            "POST",
            "/api/v1/users",
            &[("Authorization", &bearer), ("Content-Type", "application/json")],
            Some(&body),
        )
        .await;
        assert!(matches!(made.status, 201 | 409), "{} {}", made.status, made.text());
    }
    let audit = cli(portal.dir.path(), &["audit"], None);
    assert!(audit.contains("fz\\u{202e}gnp.exe"), "the bidi name is not shown escaped:\n{audit}");
    for line in audit.lines() {
        assert!(
            !line.chars().any(|c| c != '\t' && twofold_core::display::is_unsafe_char(c)),
            "an audit line holds a raw control or invisible character: {line:?}"
        );
        assert_eq!(line.matches('\t').count(), 4, "an audit line has extra columns: {line:?}");
    }
    let api_audit = call(
        admin,
        SETUP_SOURCE,
        "GET",
        "/api/v1/audit?limit=500",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(api_audit.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&api_audit.body).unwrap();
    let mut strings = Vec::new();
    collect_strings(&json, &mut strings);
    for s in &strings {
        assert!(!s.chars().any(twofold_core::display::is_unsafe_char), "admin API audit: {s:?}");
    }

    // The log: no panic, no internal error, no secret, nothing that could forge a log line.
    unsafe { libc::kill(portal.child.id() as i32, libc::SIGINT) };
    let _ = portal.child.wait();
    let log = portal.log_text();
    let mut secrets: Vec<String> =
        vec![tokens.admin.clone(), tokens.gateway.clone(), MARKER.into()];
    secrets.extend(DEMO_PASSWORDS.iter().map(|s| s.to_string()));
    secrets.extend([ACTIVATE_USER.1, CODE_USER.1, PLAIN_USER.1].map(String::from));
    secrets.extend([code_secret.clone(), csrf.0.clone(), csrf.1.clone(), bob]);
    secrets.extend(seen_sessions.lock().unwrap().iter().cloned());
    let ctx = contexts.lock().unwrap().clone();
    secrets.extend([ctx.activate, ctx.code, ctx.signed_in]);
    let mut problems = Vec::new();
    if log.contains("panicked") {
        problems.push("a panic".to_string());
    }
    for line in log.lines().filter(|l| l.contains(" ERROR ")) {
        problems.push(format!("an ERROR line: {line}"));
    }
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if log.contains(secret.as_str()) {
            problems.push(format!("a secret ({}…)", &secret[..4]));
        }
    }
    for line in log.lines() {
        if line.chars().any(twofold_core::display::is_unsafe_char) {
            problems.push(format!("a raw control or invisible character: {line:?}"));
        }
    }

    let t = tally.lock().unwrap();
    println!(
        "page_fuzz: {requests} requests (seed {seed:#x}, {WORKERS} at once) in {:.1} s: \
         statuses {:?}; 503 busy {}; HTTP/2 answers {}; closed without an answer (allowed) {}; \
         failures {}",
        fuzz_time.as_secs_f64(),
        t.statuses,
        t.busy,
        t.http2,
        t.unanswered,
        t.failures.len()
    );
    let mut report = String::new();
    for f in t.failures.iter().take(15) {
        let _ = writeln!(report, "  {f}");
    }
    assert!(t.failures.is_empty(), "{} bad answers:\n{report}", t.failures.len());
    assert!(problems.is_empty(), "the portal's log shows:\n  {}", problems.join("\n  "));
    assert!(t.statuses.values().sum::<usize>() > requests / 2, "most requests went unanswered");
}

/// Signs the fuzzer's users in for fresh sessions at each step (correct passwords, from the
/// setup address, so never throttled).
struct SessionMaker {
    web: SocketAddr,
    csrf: (String, String),
}

impl SessionMaker {
    async fn contexts(&self) -> Result<Contexts, String> {
        let mut ctx = Contexts {
            csrf_cookie: self.csrf.0.clone(),
            csrf_token: self.csrf.1.clone(),
            ..Default::default()
        };
        for ((user, pw), slot) in [
            (ACTIVATE_USER, &mut ctx.activate),
            (CODE_USER, &mut ctx.code),
            (PLAIN_USER, &mut ctx.signed_in),
        ] {
            let cookie = format!("twofold_csrf={}", self.csrf.0);
            let body = form(&[("username", user), ("password", pw), ("csrf", &self.csrf.1)]);
            let step = call(
                self.web,
                SETUP_SOURCE,
                "POST",
                "/login",
                &[("Cookie", &cookie), FORM],
                Some(&body),
            )
            .await;
            *slot =
                step.cookie("twofold_session").ok_or_else(|| format!("{user}: {}", step.status))?;
        }
        Ok(ctx)
    }
}

pub(crate) fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
