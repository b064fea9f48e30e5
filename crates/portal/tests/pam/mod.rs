//! What the PAM tests share: a real `twofold-portal serve` process on a temp data directory
//! with the demo users, PAM service files that clean up after themselves, the tools check,
//! and commands run under a hard time limit. Blocking std code: PAM tools are processes.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_twofold-portal");

/// Demo users (`twofold-portal demo`): alice needs 2FA, carol does not.
pub const TWO_FACTOR_USER: (&str, &str) = ("alice", "alice-demo-pass");
pub const PASSWORD_ONLY_USER: (&str, &str) = ("carol", "carol-demo-pass");

/// Whether the tools are here and we may write `/etc/pam.d` (root). Under
/// `TWOFOLD_E2E_REQUIRE_TOOLS=1` (the Makefile) a missing tool fails the test instead.
pub fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| which(t).is_none()).collect();
    // SAFETY: geteuid only reads the process's effective user id.
    let root = unsafe { libc::geteuid() } == 0;
    if missing.is_empty() && root {
        return true;
    }
    let why = format!(
        "missing tools: {missing:?}{} (scripts/install-deps.sh installs them)",
        if root { "" } else { "; writing /etc/pam.d needs root" }
    );
    if std::env::var("TWOFOLD_E2E_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    false
}

pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A name no other test run uses at the same time.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{}-{}-{nanos:x}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// Runs `cmd` with `stdin`; kills it if it runs past `limit` (then the test fails). Returns its
/// output and how long it took.
pub fn run_bounded(cmd: &mut Command, stdin: &[u8], limit: Duration) -> (Output, Duration) {
    use std::io::Read;
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut pipe = child.stdin.take().unwrap();
    // A child that exits before reading its stdin is not an error here.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = r.read_to_end(&mut bytes);
            bytes
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} ran past {limit:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let output = Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
    (output, took)
}

/// A real portal with the demo directory, serving on loopback (plain or TLS).
pub struct PortalProcess {
    child: Child,
    pub url: String,
    pub data: PathBuf,
    log: PathBuf,
    // Last: the directory outlives the process writing into it.
    pub dir: tempfile::TempDir,
}

impl PortalProcess {
    pub fn start() -> PortalProcess {
        PortalProcess::start_with(&[], "http", "127.0.0.1")
    }

    /// Served over TLS with `cert`/`key`; `host` is the name the certificate carries.
    pub fn start_tls(cert: &Path, key: &Path) -> PortalProcess {
        let args = ["--tls-cert".into(), cert.display().to_string()]
            .into_iter()
            .chain(["--tls-key".into(), key.display().to_string()])
            .collect::<Vec<String>>();
        PortalProcess::start_with(&args, "https", "localhost")
    }

    fn start_with(extra: &[String], scheme: &str, host: &str) -> PortalProcess {
        let dir = tempfile::Builder::new().prefix("twofold-pam-").tempdir().unwrap();
        let data = dir.path().join("data");
        let demo = Command::new(BIN).arg("--data").arg(&data).arg("demo").output().unwrap();
        assert!(demo.status.success(), "demo: {}", String::from_utf8_lossy(&demo.stderr));
        let (port, admin_port) = (free_port(), free_port());
        let log = dir.path().join("portal.log");
        let child = Command::new(BIN)
            .arg("--data")
            .arg(&data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--admin-listen", &format!("127.0.0.1:{admin_port}")])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut portal =
            PortalProcess { child, url: format!("{scheme}://{host}:{port}"), data, log, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = portal.child.try_wait() {
                panic!("the portal exited ({status}): {}", portal.logs());
            }
            assert!(Instant::now() < deadline, "the portal did not start: {}", portal.logs());
            std::thread::sleep(Duration::from_millis(50));
        }
        portal
    }

    /// The gateway token copied where an RDP host keeps it (0600), as an admin would.
    pub fn token_file(&self) -> PathBuf {
        let path = self.dir.path().join("hook-gateway.token");
        std::fs::copy(self.data.join("gateway.token"), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `twofold-portal audit` on the live data directory.
    pub fn audit(&self) -> String {
        let out = Command::new(BIN).arg("--data").arg(&self.data).arg("audit").output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PortalProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A file this test put in place; removed on drop, also when the test panics.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn write(path: PathBuf, text: &str) -> TempFile {
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The hook's command line as it goes into a PAM service file (after `pam_exec.so …`).
pub fn hook_line(portal_url: &str, token_file: &Path, extra: &str) -> String {
    format!("{BIN} pam-hook --portal {portal_url} --token-file {} {extra}", token_file.display())
        .trim_end()
        .to_string()
}

/// A throwaway CA and a certificate for localhost / 127.0.0.1 signed by it, by `openssl`.
pub fn make_certificates(dir: &Path) {
    let p = |name: &str| dir.join(name);
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    std::fs::write(p("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    run(Command::new("openssl")
        .args(["req", "-x509"])
        .args(ec)
        .args(["-days", "2", "-subj", "/CN=Twofold PAM test CA", "-keyout"])
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .arg("req")
        .args(ec)
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")));
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-in"])
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(p("san.ext"))
        .arg("-out")
        .arg(p("server.pem")));
}
