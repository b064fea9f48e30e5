//! The PAM hook under real PAM: Debian's `pamtester` against a service file in `/etc/pam.d`
//! whose first line is `pam_exec.so expose_authtok … twofold-portal pam-hook`, and a real
//! portal process. What PAM answers is what an RDP server would get: 2FA users refused,
//! password-only users allowed, wrong passwords refused, no portal (down, hanging, wrong
//! certificate) refused within the deadline unless `--fail-open`, which says so.
//!
//! The service ends with `pam_permit`, so the hook alone decides (the test users are portal
//! users, not Unix accounts); `xrdp_gate.rs` runs the real stack with `pam_unix`.

mod pam;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use pam::{PortalProcess, TempFile, PASSWORD_ONLY_USER, TWO_FACTOR_USER};

/// A PAM service using the hook with these arguments; its `log=` file keeps the hook's line.
struct Service {
    name: String,
    log: std::path::PathBuf,
    _file: TempFile,
    _dir: tempfile::TempDir,
}

impl Service {
    fn new(hook: &str) -> Service {
        let dir = tempfile::Builder::new().prefix("twofold-pam-svc-").tempdir().unwrap();
        let log = dir.path().join("hook.log");
        let name = pam::unique("twofold-test-");
        let text = format!(
            "# written by twofold's pam_gate test; removed when it ends\n\
             auth requisite pam_exec.so expose_authtok quiet log={} {hook}\n\
             auth required pam_permit.so\n\
             account required pam_permit.so\n",
            log.display()
        );
        let file = TempFile::write(Path::new("/etc/pam.d").join(&name), &text);
        Service { name, log, _file: file, _dir: dir }
    }

    /// `echo PW | pamtester SERVICE USER authenticate`: (allowed, pamtester's words, hook log).
    fn authenticate(&self, user: &str, password: &str, rhost: Option<&str>) -> Attempt {
        let mut cmd = Command::new("timeout");
        cmd.args(["20", "pamtester"]);
        if let Some(rhost) = rhost {
            cmd.args(["-I", &format!("rhost={rhost}")]);
        }
        cmd.args([self.name.as_str(), user, "authenticate"]);
        let (out, took) =
            pam::run_bounded(&mut cmd, format!("{password}\n").as_bytes(), Duration::from_secs(25));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        // Every attempt's line is appended: keep only this one's.
        let _ = std::fs::write(&self.log, "");
        Attempt { allowed: out.status.success(), said, log, took }
    }
}

#[derive(Debug)]
struct Attempt {
    allowed: bool,
    said: String,
    log: String,
    took: Duration,
}

fn tools() -> bool {
    pam::tools_present(&["pamtester", "timeout"])
}

#[test]
fn a_two_factor_user_is_refused_with_the_reason_in_the_log() {
    if !tools() {
        return;
    }
    let portal = PortalProcess::start();
    let svc = Service::new(&pam::hook_line(&portal.url, &portal.token_file(), ""));
    let (user, password) = TWO_FACTOR_USER;
    let a = svc.authenticate(user, password, None);
    assert!(!a.allowed, "{a:?}");
    assert!(a.said.contains("System error"), "{a:?}");
    assert!(a.log.contains("user=alice") && a.log.contains("refused"), "{a:?}");
    assert!(a.log.contains("two-factor authentication is required"), "{a:?}");
    assert!(!a.log.contains(password), "the password is in the log: {a:?}");
}

#[test]
fn a_password_only_user_is_allowed_and_a_wrong_password_refused() {
    if !tools() {
        return;
    }
    let portal = PortalProcess::start();
    let svc = Service::new(&pam::hook_line(&portal.url, &portal.token_file(), ""));
    let (user, password) = PASSWORD_ONLY_USER;
    let ok = svc.authenticate(user, password, None);
    assert!(ok.allowed, "{ok:?}\nportal: {}", portal.logs());
    assert!(ok.said.contains("successfully authenticated"), "{ok:?}");
    assert!(ok.log.contains("user=carol") && ok.log.contains("allowed"), "{ok:?}");

    let wrong = svc.authenticate(user, "not-carols-password", Some("203.0.113.9"));
    assert!(!wrong.allowed, "{wrong:?}");
    assert!(wrong.log.contains("incorrect user name or password"), "{wrong:?}");
    assert!(wrong.log.contains("rhost=203.0.113.9"), "{wrong:?}");
    assert!(!wrong.log.contains("not-carols-password"), "{wrong:?}");
    // The portal counted the failure against the RDP client's address, not the hook's.
    let audit = portal.audit();
    assert!(
        audit.lines().any(|l| l.contains("rdp.denied") && l.contains("203.0.113.9")),
        "{audit}"
    );
    assert!(audit.lines().any(|l| l.contains("rdp.allowed") && l.contains("carol")), "{audit}");
}

#[test]
fn a_wrong_gateway_token_is_refused_whatever_the_password() {
    if !tools() {
        return;
    }
    let portal = PortalProcess::start();
    let token = portal.dir.path().join("wrong.token");
    std::fs::write(&token, "not-the-gateway-token-at-all\n").unwrap();
    let svc = Service::new(&pam::hook_line(&portal.url, &token, "--fail-open"));
    let (user, password) = PASSWORD_ONLY_USER;
    let a = svc.authenticate(user, password, None);
    // A portal that answers "who are you?" is not a portal that is down: --fail-open does
    // not apply.
    assert!(!a.allowed, "{a:?}");
    assert!(a.log.contains("gateway token is not valid"), "{a:?}");
    assert!(!portal.audit().contains("rdp."), "an anonymous call reached the gate");
}

#[test]
fn with_the_portal_down_the_hook_fails_closed() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("gateway.token");
    std::fs::write(&token, "some-gateway-token-0123456789").unwrap();
    let url = format!("http://127.0.0.1:{}", pam::free_port());
    let svc = Service::new(&pam::hook_line(&url, &token, ""));
    let (user, password) = PASSWORD_ONLY_USER;
    let a = svc.authenticate(user, password, None);
    assert!(!a.allowed, "{a:?}");
    assert!(a.log.contains("refused (fail closed)"), "{a:?}");
    assert!(a.log.contains("connecting to 127.0.0.1"), "{a:?}");
}

#[test]
fn a_portal_that_never_answers_is_refused_within_the_timeout() {
    if !tools() {
        return;
    }
    // Accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("gateway.token");
    std::fs::write(&token, "some-gateway-token-0123456789").unwrap();
    let svc = Service::new(&pam::hook_line(&url, &token, "--timeout 2"));
    let (user, password) = PASSWORD_ONLY_USER;
    let a = svc.authenticate(user, password, None);
    assert!(!a.allowed, "{a:?}");
    assert!(a.log.contains("refused (fail closed)") && a.log.contains("within 2s"), "{a:?}");
    assert!(a.took >= Duration::from_secs(2), "{a:?}");
    // The deadline bounds the login: 2 s plus process starts, far below pamtester's 20 s.
    assert!(a.took < Duration::from_secs(6), "{a:?}");
}

#[test]
fn fail_open_lets_users_through_when_the_portal_is_down_and_says_so() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("gateway.token");
    std::fs::write(&token, "some-gateway-token-0123456789").unwrap();
    let url = format!("http://127.0.0.1:{}", pam::free_port());
    let svc = Service::new(&pam::hook_line(&url, &token, "--fail-open --timeout 2"));
    let (user, password) = TWO_FACTOR_USER;
    let a = svc.authenticate(user, password, None);
    assert!(a.allowed, "{a:?}");
    assert!(a.log.contains("ALLOWED WITHOUT ANY CHECK (--fail-open)"), "{a:?}");
    assert!(a.log.contains("user=alice"), "{a:?}");
}

#[test]
fn over_tls_the_hook_trusts_the_ca_it_is_given_and_refuses_any_other() {
    if !tools() || !pam::tools_present(&["openssl"]) {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    pam::make_certificates(certs.path());
    let portal = PortalProcess::start_tls(
        &certs.path().join("server.pem"),
        &certs.path().join("server.key"),
    );
    let token = portal.token_file();
    let ca = format!("--ca-file {}", certs.path().join("ca.pem").display());
    let (user, password) = PASSWORD_ONLY_USER;

    let trusted = Service::new(&pam::hook_line(&portal.url, &token, &ca));
    let a = trusted.authenticate(user, password, None);
    assert!(a.allowed, "{a:?}\nportal: {}", portal.logs());

    let (two_factor, its_password) = TWO_FACTOR_USER;
    let refused = trusted.authenticate(two_factor, its_password, None);
    assert!(!refused.allowed && refused.log.contains("two-factor"), "{refused:?}");

    // The system CAs do not know the test CA: no answer, so refused (and nothing was sent).
    let untrusted = Service::new(&pam::hook_line(&portal.url, &token, ""));
    let b = untrusted.authenticate(user, password, None);
    assert!(!b.allowed, "{b:?}");
    assert!(b.log.contains("TLS with") && b.log.contains("fail closed"), "{b:?}");
}

/// The hook run the way pam_exec runs it (no PATH, PAM_* variables), without PAM.
fn hook_command(pam_type: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(pam::BIN);
    cmd.env_clear()
        .env("PAM_TYPE", pam_type)
        .env("PAM_USER", "carol")
        .env("PAM_SERVICE", "direct-test")
        .args(["pam-hook", "--token-file", "/nonexistent/gateway.token"])
        .args(extra);
    cmd
}

#[test]
fn the_watchdog_ends_a_hook_blocked_on_anything_within_the_deadline() {
    // stdin is never closed: the hook blocks reading the password, outside any async
    // deadline. Only the watchdog can end it.
    let mut child = hook_command("auth", &["--portal", "http://127.0.0.1:9", "--timeout", "1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _open_stdin = child.stdin.take();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the hook ran past its deadline");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut said).unwrap();
    assert_eq!(status.code(), Some(3), "{said}");
    assert!(said.contains("refused (fail closed)") && said.contains("watchdog"), "{said}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[test]
fn the_hook_lets_non_auth_stacks_pass_and_refuses_an_empty_password_without_asking() {
    let portal = ["--portal", "http://127.0.0.1:9"];
    for pam_type in ["account", "open_session", "close_session"] {
        let (out, _) =
            pam::run_bounded(&mut hook_command(pam_type, &portal), b"", Duration::from_secs(10));
        assert!(out.status.success(), "{pam_type}: {out:?}");
    }
    let (out, _) =
        pam::run_bounded(&mut hook_command("auth", &portal), b"\0", Duration::from_secs(10));
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("no password on stdin"), "{said}");
    // Not run by pam_exec at all.
    let (out, _) = pam::run_bounded(
        Command::new(pam::BIN).env_clear().args(["pam-hook", "--token-file", "x"]).args(portal),
        b"pw",
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
