//! `pam-hook`: the RDP server's side of the RDP gate. PAM's `pam_exec` runs it for every
//! password login (xrdp-sesman, or any PAM service), it asks the portal's gate whether this
//! user may open a session with a password alone, and its exit status is PAM's answer:
//!
//! ```text
//! auth requisite pam_exec.so expose_authtok quiet /usr/bin/twofold-portal pam-hook \
//!     --portal https://portal.example.com --token-file /etc/twofold/gateway.token
//! ```
//!
//! Exit 0: the gate allowed the user (then `pam_unix` or the directory checks the password as
//! before). Exit 1: the gate refused (a user who needs 2FA, a wrong password, a lock or a
//! throttle). Exit 2: the hook is misconfigured (bad URL, unreadable token file, the gate
//! rejected the token) — always refused. Exit 3: no usable answer from the portal within the
//! deadline (unreachable, TLS failure, timeout, portal error) — refused, unless `--fail-open`,
//! which lets the user through and says so loudly in the log. Every outcome writes one line to
//! stderr (pam_exec's `log=FILE` keeps it) and to the system log (`authpriv`, if a syslog
//! daemon listens on `/dev/log`). The password is never logged.
//!
//! Why `pam_exec` calling this subcommand rather than a PAM module of our own (a `cdylib`
//! loaded into the login process):
//! - one binary to ship and upgrade: the hook is the portal's own code and speaks the gate's
//!   API of the same version; no C ABI, no second artefact to keep in step;
//! - nothing of ours runs inside sesman/sshd/login: a bug in the hook (or in the TLS and HTTP
//!   stack it links) cannot crash or corrupt the process that holds every login, and that
//!   process's threads, signals and allocator are none of our business;
//! - `pam_exec` has no timeout, but a separate process can bound itself: the hook runs its
//!   request under a deadline and a watchdog thread ends the process when the deadline passes
//!   whatever it is blocked on (a hanging DNS lookup included), so the login never hangs;
//! - the cost, one process start per login (a few milliseconds), is nothing next to the
//!   password hash the gate runs anyway.
//!
//! The price of `pam_exec`: a refusal is PAM_SYSTEM_ERR ("System error") to the RDP server,
//! not PAM_AUTH_ERR, and the hook cannot talk to the user. The reason goes to the log.
//!
//! Leaves out the decision itself (the gate in `rdp.rs`) and the rest of the PAM stack.

use std::ffi::CString;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use zeroize::Zeroizing;

#[derive(Args)]
pub struct PamHookArgs {
    /// The portal's URL: `https://portal.example.com[/prefix]`, or `http://` on loopback only
    /// (the password travels in the request).
    #[arg(long, value_name = "URL")]
    portal: String,
    /// File holding the gateway token (the portal's `DIR/gateway.token`, copied here, 0600).
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
    /// PEM file of the CA(s) that signed the portal's certificate. Default: the system's CA
    /// bundle (/etc/ssl/certs/ca-certificates.crt).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Deadline for the whole check (connect, TLS, answer), in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_timeout)]
    timeout: Duration,
    /// Let users through when the portal gives no answer in time (unreachable, TLS failure,
    /// timeout, portal error). The gate's explicit refusals still refuse. Logged loudly.
    #[arg(long)]
    fail_open: bool,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 =
        text.trim().parse().map_err(|_| format!("not a number of seconds: {text}"))?;
    if !(0.1..=120.0).contains(&seconds) {
        return Err("the timeout must be between 0.1 and 120 seconds".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Largest password the hook forwards; anything longer is not a password a person typed.
const MAX_PASSWORD: usize = 4096;
/// Largest answer read from the gate.
const MAX_ANSWER: usize = 64 * 1024;
/// The gate's path under the portal's URL.
const GATE_PATH: &str = "/api/rdp/authorize";
/// CA bundles tried when `--ca-file` is not given (Debian/Ubuntu first).
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

const EXIT_ALLOWED: i32 = 0;
const EXIT_DENIED: i32 = 1;
const EXIT_MISCONFIGURED: i32 = 2;
const EXIT_NO_ANSWER: i32 = 3;

/// Set by whichever of the check and the watchdog reports first: one line per login, and the
/// other one stays quiet while the first exits.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// What the check came to.
enum Verdict {
    /// The gate allowed the user; its reason.
    Allowed(String),
    /// The gate refused the user; its reason.
    Denied(String),
    /// The hook cannot ask (bad URL, token file, the gate refused the token): always refused.
    Misconfigured(String),
    /// No usable answer in time: refused unless `--fail-open`.
    NoAnswer(String),
}

/// Who is logging in, from pam_exec's environment, for the log line.
struct Login {
    user: String,
    service: String,
    rhost: Option<String>,
}

impl Login {
    fn describe(&self) -> String {
        format!(
            "user={} service={} rhost={}",
            printable(&self.user),
            printable(&self.service),
            self.rhost.as_deref().map(printable).unwrap_or_else(|| "-".into())
        )
    }
}

pub fn run(args: PamHookArgs) -> ! {
    let login = Login {
        user: std::env::var("PAM_USER").unwrap_or_default(),
        service: std::env::var("PAM_SERVICE").unwrap_or_else(|_| "?".into()),
        rhost: std::env::var("PAM_RHOST").ok().filter(|h| !h.is_empty()),
    };
    match std::env::var("PAM_TYPE").as_deref() {
        Ok("auth") => {}
        // Only authentication carries a password; account, session and password stacks have
        // nothing for the gate to check.
        Ok(_) => std::process::exit(EXIT_ALLOWED),
        Err(_) => finish(
            &login,
            &args,
            Verdict::Misconfigured("PAM_TYPE is not set: run me from pam_exec".into()),
        ),
    }
    start_watchdog(&login, &args);
    let verdict = check(&login, &args);
    finish(&login, &args, verdict)
}

/// Ends the process when the deadline passed, whatever the check is blocked on. Half a second
/// after the request's own deadline, so that one normally reports first.
fn start_watchdog(login: &Login, args: &PamHookArgs) {
    let deadline = args.timeout + Duration::from_millis(500);
    let (line, fail_open, timeout) = (login.describe(), args.fail_open, args.timeout);
    std::thread::spawn(move || {
        std::thread::sleep(deadline);
        let reason = format!("no answer from the portal within {timeout:?} (watchdog)");
        let (code, text) = no_answer_line(&line, &reason, fail_open);
        if REPORTED.swap(true, Ordering::SeqCst) {
            return; // the check finished meanwhile and is exiting
        }
        report(code, &text);
        std::process::exit(code);
    });
}

fn check(login: &Login, args: &PamHookArgs) -> Verdict {
    if login.user.trim().is_empty() {
        return Verdict::Misconfigured("PAM_USER is empty".into());
    }
    let password = match read_password(std::io::stdin().lock()) {
        Ok(password) => password,
        Err(e) => return Verdict::Misconfigured(format!("{e:#}")),
    };
    if password.is_empty() {
        // Not worth a counted failure at the portal: most likely expose_authtok is missing.
        return Verdict::Misconfigured("no password on stdin (is expose_authtok set?)".into());
    }
    let target = match Target::parse(&args.portal) {
        Ok(target) => target,
        Err(e) => return Verdict::Misconfigured(format!("--portal {}: {e:#}", args.portal)),
    };
    let token = match read_token(&args.token_file) {
        Ok(token) => token,
        Err(e) => return Verdict::Misconfigured(format!("{e:#}")),
    };
    let tls = match target.tls {
        false => None,
        true => match client_tls(args.ca_file.as_deref()) {
            Ok(config) => Some(config),
            Err(e) => return Verdict::Misconfigured(format!("{e:#}")),
        },
    };
    let client_address = login
        .rhost
        .as_deref()
        .and_then(|h| h.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_string());
    let body = Zeroizing::new(
        serde_json::to_vec(&serde_json::json!({
            "username": login.user,
            "password": password.as_str(),
            "client_address": client_address,
        }))
        .expect("a JSON object of strings always serialises"),
    );
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return Verdict::NoAnswer(format!("starting the async runtime: {e}")),
    };
    let verdict = runtime.block_on(async {
        match tokio::time::timeout(args.timeout, ask(&target, tls, &token, &body)).await {
            Ok(verdict) => verdict,
            Err(_) => Verdict::NoAnswer(format!(
                "no answer from {} within {:?}",
                target.display, args.timeout
            )),
        }
    });
    // Do not wait for a DNS lookup still running on a blocking thread.
    runtime.shutdown_background();
    verdict
}

/// Logs the verdict and exits with PAM's answer.
fn finish(login: &Login, args: &PamHookArgs, verdict: Verdict) -> ! {
    let who = login.describe();
    let (code, line) = match verdict {
        Verdict::Allowed(reason) => {
            (EXIT_ALLOWED, format!("{who}: allowed: {}", printable(&reason)))
        }
        Verdict::Denied(reason) => (EXIT_DENIED, format!("{who}: refused: {}", printable(&reason))),
        Verdict::Misconfigured(reason) => (
            EXIT_MISCONFIGURED,
            format!("{who}: refused: the hook cannot ask the portal: {}", printable(&reason)),
        ),
        Verdict::NoAnswer(reason) => no_answer_line(&who, &reason, args.fail_open),
    };
    if REPORTED.swap(true, Ordering::SeqCst) {
        // The watchdog reported first and is ending the process.
        loop {
            std::thread::park();
        }
    }
    report(code, &line);
    std::process::exit(code)
}

fn no_answer_line(who: &str, reason: &str, fail_open: bool) -> (i32, String) {
    let reason = printable(reason);
    if fail_open {
        (
            EXIT_ALLOWED,
            format!(
                "{who}: ALLOWED WITHOUT ANY CHECK (--fail-open): {reason}; two-factor users get \
                 in with a password alone until the portal answers again"
            ),
        )
    } else {
        (EXIT_NO_ANSWER, format!("{who}: refused (fail closed): {reason}"))
    }
}

/// One line to stderr (pam_exec's `log=` file) and to the system log.
fn report(code: i32, line: &str) {
    use std::io::Write;
    // Not eprintln!: a log that cannot be written must not turn into a panic.
    let _ = writeln!(std::io::stderr(), "twofold-portal pam-hook: {line}");
    let priority = if code == EXIT_ALLOWED && !line.contains("--fail-open") {
        libc::LOG_INFO
    } else {
        libc::LOG_WARNING
    };
    syslog(priority, line);
}

fn syslog(priority: libc::c_int, line: &str) {
    let Ok(text) = CString::new(line.replace('\0', "")) else { return };
    // SAFETY: the ident and format are static NUL-terminated strings, `text` outlives the
    // call, and "%s" consumes exactly the one argument given. Without a syslog daemon the
    // message is dropped; nothing here can fail in a way that matters.
    unsafe {
        libc::openlog(c"twofold-pam-hook".as_ptr(), libc::LOG_PID, libc::LOG_AUTHPRIV);
        libc::syslog(priority, c"%s".as_ptr(), text.as_ptr());
        libc::closelog();
    }
}

/// Text from outside (user names, the portal's reason) made safe for a one-line log entry.
fn printable(text: &str) -> String {
    text.chars().take(200).map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// The password pam_exec's `expose_authtok` writes on stdin: raw bytes, perhaps ended by a NUL
/// or a newline (versions differ); both are stripped. Bounded, zeroized.
fn read_password(input: impl Read) -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(256));
    input
        .take(MAX_PASSWORD as u64 + 2)
        .read_to_end(&mut bytes)
        .context("reading the password from stdin (is expose_authtok set?)")?;
    let mut end = bytes.len();
    if bytes[..end].ends_with(b"\0") {
        end -= 1;
    }
    if bytes[..end].ends_with(b"\n") {
        end -= 1;
        if bytes[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    anyhow::ensure!(
        end <= MAX_PASSWORD,
        "the password on stdin is longer than {MAX_PASSWORD} bytes"
    );
    let text = std::str::from_utf8(&bytes[..end]).context("the password is not UTF-8")?;
    Ok(Zeroizing::new(text.to_string()))
}

fn read_token(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the gateway token {}", path.display()))?,
    );
    let token = Zeroizing::new(text.trim().to_string());
    anyhow::ensure!(!token.is_empty(), "the gateway token file {} is empty", path.display());
    Ok(token)
}

/// Where the gate is.
struct Target {
    tls: bool,
    /// Host name or address as written (no brackets), for DNS and TLS.
    host: String,
    port: u16,
    /// `Host:` header value.
    authority: String,
    /// Path of the gate under the portal's URL.
    path: String,
    /// The URL for log lines.
    display: String,
}

impl Target {
    fn parse(url: &str) -> anyhow::Result<Target> {
        let uri: Uri = url.trim().parse().context("not a URL")?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => anyhow::bail!("the URL must start with https:// (or http:// on loopback)"),
        };
        let authority = uri.authority().context("the URL has no host")?;
        anyhow::ensure!(!authority.as_str().contains('@'), "the URL must not carry credentials");
        anyhow::ensure!(uri.query().is_none(), "the URL must not have a query");
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
        anyhow::ensure!(!host.is_empty(), "the URL has no host");
        if !tls {
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            anyhow::ensure!(
                loopback,
                "plain http:// would send passwords in the clear: use https:// for {host}"
            );
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/');
        Ok(Target {
            tls,
            host,
            port,
            authority: authority.as_str().to_string(),
            path: format!("{prefix}{GATE_PATH}"),
            display: format!("{}://{}{prefix}", if tls { "https" } else { "http" }, authority),
        })
    }
}

fn client_tls(ca_file: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let (path, pem) = match ca_file {
        Some(path) => (
            path.to_path_buf(),
            std::fs::read(path).with_context(|| format!("reading --ca-file {}", path.display()))?,
        ),
        None => SYSTEM_CA_BUNDLES
            .iter()
            .find_map(|p| std::fs::read(p).ok().map(|pem| (PathBuf::from(p), pem)))
            .context("no system CA bundle found: give --ca-file")?,
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", path.display()))?;
    let (added, _) = roots.add_parsable_certificates(certs);
    anyhow::ensure!(added > 0, "no usable CA certificate in {}", path.display());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// One request to the gate. Every step is under the caller's deadline.
async fn ask(
    target: &Target,
    tls: Option<Arc<rustls::ClientConfig>>,
    token: &str,
    body: &[u8],
) -> Verdict {
    let tcp = match connect(target).await {
        Ok(tcp) => tcp,
        Err(e) => return Verdict::NoAnswer(format!("{e:#}")),
    };
    let request = match Request::builder()
        .method(Method::POST)
        .uri(target.path.as_str())
        .header(hyper::header::HOST, target.authority.as_str())
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, concat!("twofold-pam-hook/", env!("CARGO_PKG_VERSION")))
        // Bytes are not zeroized; the process ends within the deadline.
        .body(Full::new(Bytes::copy_from_slice(body)))
    {
        Ok(request) => request,
        Err(e) => return Verdict::Misconfigured(format!("building the request: {e}")),
    };
    let answer = match tls {
        None => exchange(tcp, request).await,
        Some(config) => {
            let name = match rustls::pki_types::ServerName::try_from(target.host.clone()) {
                Ok(name) => name,
                Err(e) => return Verdict::Misconfigured(format!("TLS server name: {e}")),
            };
            match tokio_rustls::TlsConnector::from(config).connect(name, tcp).await {
                Ok(stream) => exchange(stream, request).await,
                Err(e) => {
                    return Verdict::NoAnswer(format!("TLS with {}: {e}", target.display));
                }
            }
        }
    };
    match answer {
        Ok((status, bytes)) => judge(status, &bytes),
        Err(e) => Verdict::NoAnswer(format!("{}: {e:#}", target.display)),
    }
}

async fn connect(target: &Target) -> anyhow::Result<tokio::net::TcpStream> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .with_context(|| format!("resolving {}", target.host))?
        // Plain HTTP only ever goes to this machine (see `Target::parse`).
        .filter(|a| target.tls || a.ip().is_loopback())
        .collect();
    anyhow::ensure!(!addresses.is_empty(), "{} has no usable address", target.host);
    let mut last = None;
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(anyhow::anyhow!("connecting to {address}: {e}")),
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("no address to connect to")))
}

async fn exchange<S>(io: S, request: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(io)).await.context("HTTP handshake")?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await.context("sending the request")?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("reading the answer: {e}"))?
        .to_bytes();
    Ok((status, body))
}

/// The gate's answer, read strictly: only `200` with `"allowed": true` lets anyone in.
fn judge(status: StatusCode, body: &[u8]) -> Verdict {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        json.as_ref().and_then(|j| j.get(name)).and_then(|v| v.as_str()).map(str::to_string)
    };
    // The portal's errors are `{"error": {"code", "params", "message"}}`; a bare string is
    // read too, so an older portal's refusal is still explained in the log.
    let error_text = || {
        json.as_ref()
            .and_then(|j| j.get("error"))
            .and_then(|e| e.get("message").and_then(|m| m.as_str()).or(e.as_str()))
            .unwrap_or_default()
            .to_string()
    };
    match status {
        StatusCode::OK => {
            let allowed = json.as_ref().and_then(|j| j.get("allowed")).and_then(|v| v.as_bool());
            let reason = field("reason").unwrap_or_else(|| "no reason given".into());
            match allowed {
                Some(true) => Verdict::Allowed(reason),
                Some(false) => Verdict::Denied(reason),
                None => Verdict::NoAnswer("the portal's answer is not the gate's JSON".into()),
            }
        }
        StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => {
            let error = error_text();
            Verdict::Misconfigured(format!("the portal answered {status}: {error}"))
        }
        other => {
            let error = error_text();
            Verdict::NoAnswer(format!("the portal answered {other}: {error}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_loses_one_trailing_nul_and_newline_only() {
        let read = |bytes: &[u8]| read_password(bytes).unwrap().to_string();
        assert_eq!(read(b"secret"), "secret");
        assert_eq!(read(b"secret\0"), "secret");
        assert_eq!(read(b"secret\n"), "secret");
        assert_eq!(read(b"secret\n\0"), "secret");
        assert_eq!(read(b"secret\r\n"), "secret");
        assert_eq!(read(b" two words \n\n"), " two words \n");
        assert_eq!(read(b""), "");
    }

    #[test]
    fn an_overlong_or_non_utf8_password_is_refused() {
        assert!(read_password(&[b'a'; MAX_PASSWORD][..]).is_ok());
        assert!(read_password(&[b'a'; MAX_PASSWORD + 1][..]).is_err());
        assert!(read_password(&[0xff, 0xfe][..]).is_err());
    }

    #[test]
    fn plain_http_is_accepted_on_loopback_only() {
        assert!(Target::parse("http://127.0.0.1:8080").is_ok());
        assert!(Target::parse("http://[::1]:8080").is_ok());
        assert!(Target::parse("http://localhost").is_ok());
        assert!(Target::parse("http://portal.example.com").is_err());
        assert!(Target::parse("http://10.0.0.5:8080").is_err());
        assert!(Target::parse("ftp://127.0.0.1").is_err());
        assert!(Target::parse("https://user:pw@portal.example.com").is_err());
        assert!(Target::parse("not a url").is_err());
    }

    #[test]
    fn the_gate_path_follows_the_portal_url_prefix() {
        let t = Target::parse("https://portal.example.com/twofold/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("portal.example.com", 443, "/twofold/api/rdp/authorize")
        );
        let t = Target::parse("http://[::1]:9000").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("::1", 9000, "/api/rdp/authorize"));
    }

    #[test]
    fn only_an_explicit_allowed_true_lets_a_user_in() {
        assert!(matches!(
            judge(StatusCode::OK, br#"{"allowed":true,"reason":"ok"}"#),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            judge(StatusCode::OK, br#"{"allowed":false,"reason":"2fa"}"#),
            Verdict::Denied(_)
        ));
        assert!(matches!(judge(StatusCode::OK, br#"{"allowed":"yes"}"#), Verdict::NoAnswer(_)));
        assert!(matches!(judge(StatusCode::OK, b"<html>"), Verdict::NoAnswer(_)));
        assert!(matches!(
            judge(StatusCode::UNAUTHORIZED, br#"{"error":"x"}"#),
            Verdict::Misconfigured(_)
        ));
        let coded = br#"{"error":{"code":"bad_gateway_token","params":{},"message":"the gateway token is not valid"}}"#;
        assert!(matches!(
            judge(StatusCode::UNAUTHORIZED, coded),
            Verdict::Misconfigured(m) if m.ends_with("the gateway token is not valid")
        ));
        assert!(matches!(judge(StatusCode::SERVICE_UNAVAILABLE, b""), Verdict::NoAnswer(_)));
        assert!(matches!(judge(StatusCode::BAD_GATEWAY, b""), Verdict::NoAnswer(_)));
    }

    #[test]
    fn log_lines_cannot_be_split_by_a_user_name() {
        assert_eq!(printable("eve\nroot: allowed"), "eve?root: allowed");
    }

    #[test]
    fn timeouts_outside_a_sane_range_are_refused() {
        assert_eq!(parse_timeout("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_timeout("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("1000").is_err());
        assert!(parse_timeout("abc").is_err());
    }
}
