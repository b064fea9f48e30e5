//! A real web remote desktop behind the portal, on loopback, from Debian packages: a test CA
//! and a server certificate for `127.0.0.1`/`localhost` made by `openssl`; a TigerVNC `Xvnc`
//! display painted with `xsetroot` and an `xclock` (so a screenshot shows a desktop, not a
//! black square); `websockify` in front of its VNC port; and `nginx` over TLS serving noVNC's
//! page and proxying its websocket, each request checked first by the portal's forward-auth
//! endpoint (`auth_request`).
//!
//! The nginx site is not written here: it is the `nginx` block of section 4 of
//! `docs/DEPLOY.md`, taken verbatim except for the values listed in [`NGINX_DOC_VALUES`]
//! (listen port, certificate paths, where the portal and websockify are), so the documented
//! config is the tested one. What stands in for Debian's `/etc/nginx/nginx.conf` (pid, logs
//! and temp paths inside the stack's own prefix directory) is [`MAIN_CONF`].
//!
//! Every process runs in its own process group and is killed when the [`DesktopStack`] (or
//! [`VncDesktop`]) is dropped; every wait is bounded and fails with the logs.

use crate::process::{free_ports, ChildGuard};
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for one process of the stack to listen (each starts in well under a second).
const START_WAIT: Duration = Duration::from_secs(15);

/// The colour `xsetroot` paints the VNC desktop's root window, as noVNC's canvas shows it.
pub const DESKTOP_RGB: [u8; 3] = [0x2e, 0x6b, 0x8a];

/// noVNC's static files from the Debian package `novnc` (served by nginx, as documented).
pub const NOVNC_DIR: &str = "/usr/share/novnc";

/// The programs the stack runs, for [`crate::tools_present`].
pub const STACK_TOOLS: &[&str] =
    &["openssl", "certutil", "nginx", "websockify", "Xvnc", "xsetroot", "xclock", "curl"];

/// The values of the DEPLOY.md nginx block that the test replaces, in this order: what the
/// doc says, and what it stands for. Everything else in the block is used as written. A value
/// missing from the block fails the test, so the doc and this list change together (the doc's
/// table under the block lists the same values).
pub const NGINX_DOC_VALUES: [(&str, &str); 7] = [
    ("listen 443 ", "the desktop's HTTPS listener (test: `listen 127.0.0.1:PORT `)"),
    ("/etc/ssl/twofold/desktop.pem", "the desktop host's certificate chain"),
    ("/etc/ssl/twofold/desktop.key", "the desktop host's private key"),
    ("portal.example.com:443", "where nginx reaches the portal (its `[listen] portal`)"),
    ("portal.example.com", "the name on the portal's certificate (test: `localhost`)"),
    ("/etc/ssl/certs/ca-certificates.crt", "the CAs nginx trusts for the portal's certificate"),
    ("127.0.0.1:6080", "where websockify listens"),
];

/// What the test uses in place of Debian's `/etc/nginx/nginx.conf`: everything nginx writes
/// stays in the prefix directory (`@PREFIX@`), and the site is included like a file of
/// `sites-enabled/`. Workers run as `nobody` (nginx's default as root).
pub const MAIN_CONF: &str = "\
worker_processes 1;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log info;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log @PREFIX@/access.log;
    client_body_temp_path @PREFIX@/temp/body;
    proxy_temp_path @PREFIX@/temp/proxy;
    fastcgi_temp_path @PREFIX@/temp/fastcgi;
    uwsgi_temp_path @PREFIX@/temp/uwsgi;
    scgi_temp_path @PREFIX@/temp/scgi;
    include @PREFIX@/twofold-desktop.conf;
}
";

/// Starts nginx as root in `prefix` (a directory workers running as nobody can enter) with
/// [`MAIN_CONF`] around `site_conf`, and waits until it listens on `listen`. Its logs stay in
/// `prefix` (`error.log`, `access.log`).
pub fn start_nginx(prefix: &Path, site_conf: &str, listen: SocketAddr) -> ChildGuard {
    std::fs::write(prefix.join("twofold-desktop.conf"), site_conf).expect("write site");
    let main = MAIN_CONF.replace("@PREFIX@", &prefix.display().to_string());
    std::fs::write(prefix.join("nginx.conf"), main).expect("write nginx.conf");
    std::fs::create_dir_all(prefix.join("temp")).expect("create temp dir");
    let mut cmd = Command::new("nginx");
    // -e: the error log nginx opens before it has read the config (else /var/log/nginx).
    cmd.arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-e")
        .arg(prefix.join("error.log"))
        .args(["-g", "daemon off;"]);
    log_to(&mut cmd, &prefix.join("nginx.out.log"));
    let mut nginx = ChildGuard::spawn("nginx", &mut cmd);
    wait_for_port("nginx", listen, &mut nginx, &prefix.join("error.log"));
    nginx
}

fn run(what: &str, cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A throwaway CA and one server certificate it signed, for `localhost` and `127.0.0.1`
/// (browsers and curl check the IP SAN; nginx checks the portal's DNS name).
pub struct TestCa {
    /// The CA certificate (PEM): what clients trust.
    pub ca_pem: PathBuf,
    /// The server certificate (PEM), used by both the portal and nginx.
    pub cert_pem: PathBuf,
    /// The server's private key (PEM).
    pub key_pem: PathBuf,
    dir: tempfile::TempDir,
}

impl TestCa {
    /// Makes the CA and the certificate with `openssl` (P-256, valid two days).
    pub fn make() -> TestCa {
        let dir = tempfile::Builder::new().prefix("twofold-e2e-ca-").tempdir().expect("temp dir");
        let p = |name: &str| dir.path().join(name);
        std::fs::write(
            p("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write server.ext");
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        run(
            "make the test CA",
            Command::new("openssl")
                .args(["req", "-x509"])
                .args(ec)
                .args(["-days", "2", "-subj", "/CN=Twofold e2e test CA", "-keyout"])
                .arg(p("ca.key"))
                .arg("-out")
                .arg(p("ca.pem")),
        );
        run(
            "make the server key",
            Command::new("openssl")
                .arg("req")
                .args(ec)
                .args(["-subj", "/CN=localhost", "-keyout"])
                .arg(p("server.key"))
                .arg("-out")
                .arg(p("server.csr")),
        );
        run(
            "sign the server certificate",
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-in"])
                .arg(p("server.csr"))
                .arg("-CA")
                .arg(p("ca.pem"))
                .arg("-CAkey")
                .arg(p("ca.key"))
                .arg("-CAcreateserial")
                .arg("-extfile")
                .arg(p("server.ext"))
                .arg("-out")
                .arg(p("server.pem")),
        );
        TestCa { ca_pem: p("ca.pem"), cert_pem: p("server.pem"), key_pem: p("server.key"), dir }
    }

    /// A fresh `HOME` whose NSS database (`.pki/nssdb`, where Chromium on Linux looks) trusts
    /// this CA for TLS servers and nothing else besides Chromium's built-in roots.
    pub fn nss_home(&self) -> PathBuf {
        let home = self.dir.path().join("home");
        let db = home.join(".pki/nssdb");
        std::fs::create_dir_all(&db).expect("create nssdb dir");
        let sql = format!("sql:{}", db.display());
        run(
            "create the NSS db",
            Command::new("certutil").args(["-d", &sql, "-N", "--empty-password"]),
        );
        run(
            "trust the test CA in the NSS db",
            Command::new("certutil")
                .args(["-d", &sql, "-A", "-t", "C,,", "-n", "Twofold e2e test CA", "-i"])
                .arg(&self.ca_pem),
        );
        home
    }
}

/// Waits until `addr` accepts TCP connections; panics (with `log`'s text) if `process`
/// exits first or `START_WAIT` passes.
fn wait_for_port(what: &str, addr: SocketAddr, process: &mut ChildGuard, log: &Path) {
    let deadline = Instant::now() + START_WAIT;
    loop {
        if let Some(status) = process.exited() {
            panic!("{what} exited ({status}):\n{}", read_log(log));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} not listening on {addr} after {START_WAIT:?}:\n{}",
            read_log(log)
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn read_log(path: &Path) -> String {
    format!(
        "----- {} -----\n{}",
        path.display(),
        std::fs::read_to_string(path).unwrap_or_else(|e| format!("(unreadable: {e})"))
    )
}

fn log_file(path: &Path) -> File {
    File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()))
}

/// Sends `cmd`'s stdout and stderr to one new file at `path`.
fn log_to(cmd: &mut Command, path: &Path) {
    let file = log_file(path);
    let copy = file.try_clone().expect("clone log file handle");
    cmd.stdin(Stdio::null()).stdout(file).stderr(copy);
}

/// An `Xvnc` display with a coloured root window and an `xclock` on it.
pub struct VncDesktop {
    /// The X display number (`:N`).
    pub display: u32,
    /// The VNC (RFB) port on 127.0.0.1.
    pub rfb_port: u16,
    // Dropped before the server, so the clock does not outlive its display.
    _clock: ChildGuard,
    xvnc: ChildGuard,
    log: PathBuf,
}

impl VncDesktop {
    /// Starts `Xvnc` on the first free display from `:60` (another test or a developer's
    /// session may hold some), paints it and puts a clock on it.
    pub fn start(dir: &Path) -> VncDesktop {
        let log = dir.join("xvnc.log");
        for display in 60..120u32 {
            // A display whose lock or socket exists belongs to another X server; Xvnc would
            // refuse it (and a stale socket would send our clients elsewhere).
            if Path::new(&format!("/tmp/.X{display}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{display}")).exists()
            {
                continue;
            }
            let rfb_port = free_ports(1)[0];
            let mut cmd = Command::new("Xvnc");
            cmd.arg(format!(":{display}"))
                .args(["-geometry", "1280x800", "-depth", "24", "-rfbport"])
                .arg(rfb_port.to_string())
                .args([
                    "-localhost",
                    "-SecurityTypes",
                    "None",
                    "-nolisten",
                    "tcp",
                    "-AlwaysShared",
                ]);
            log_to(&mut cmd, &log);
            let mut xvnc = ChildGuard::spawn("Xvnc", &mut cmd);
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
            let deadline = Instant::now() + START_WAIT;
            let mut lost_the_race = false;
            while !socket.exists()
                || TcpStream::connect_timeout(
                    &SocketAddr::from(([127, 0, 0, 1], rfb_port)),
                    Duration::from_millis(200),
                )
                .is_err()
            {
                if xvnc.exited().is_some() {
                    // Someone took the display (or the port) between the check and the start.
                    lost_the_race = true;
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "Xvnc :{display} not ready after {START_WAIT:?}:\n{}",
                    read_log(&log)
                );
                std::thread::sleep(Duration::from_millis(25));
            }
            if lost_the_race {
                continue;
            }
            let x = format!(":{display}");
            let colour =
                format!("#{:02x}{:02x}{:02x}", DESKTOP_RGB[0], DESKTOP_RGB[1], DESKTOP_RGB[2]);
            run(
                "paint the VNC desktop",
                Command::new("xsetroot").env("DISPLAY", &x).args(["-solid", &colour]),
            );
            let mut cmd = Command::new("xclock");
            cmd.env("DISPLAY", &x)
                .args(["-geometry", "360x360+460+200", "-update", "1"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file(&dir.join("xclock.log")));
            let clock = ChildGuard::spawn("xclock", &mut cmd);
            return VncDesktop { display, rfb_port, _clock: clock, xvnc, log };
        }
        panic!("no free X display between :60 and :119 for Xvnc");
    }

    /// Xvnc's log so far.
    pub fn log_text(&self) -> String {
        read_log(&self.log)
    }
}

impl Drop for VncDesktop {
    fn drop(&mut self) {
        self.xvnc.stop();
    }
}

/// The fenced ```` ```nginx ```` block of section 4 of `docs/DEPLOY.md`, as written there.
pub fn deploy_doc_nginx_block() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/DEPLOY.md");
    let doc =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    nginx_block_of_section_4(&doc)
        .unwrap_or_else(|| panic!("no ```nginx block in section \"## 4.\" of {}", path.display()))
}

/// The first ```` ```nginx ```` block between the heading `## 4.` and the next `## ` heading.
pub fn nginx_block_of_section_4(doc: &str) -> Option<String> {
    let start = doc.find("\n## 4.")?;
    let section = &doc[start + 1..];
    let section = match section[1..].find("\n## ") {
        Some(end) => &section[..end + 1],
        None => section,
    };
    let open = section.find("\n```nginx\n")? + "\n```nginx\n".len();
    let close = section[open..].find("\n```")?;
    Some(section[open..open + close + 1].to_string())
}

/// What replaces each of [`NGINX_DOC_VALUES`], in the same order.
pub struct NginxSiteValues {
    pub listen: SocketAddr,
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
    pub portal: SocketAddr,
    pub portal_tls_name: String,
    pub ca_pem: PathBuf,
    pub websockify: SocketAddr,
}

/// `block` with each of [`NGINX_DOC_VALUES`] replaced by its value from `values`; panics if
/// the block no longer contains one of them.
pub fn render_nginx_site(block: &str, values: &NginxSiteValues) -> String {
    let replacements = [
        format!("listen {} ", values.listen),
        values.cert_pem.display().to_string(),
        values.key_pem.display().to_string(),
        values.portal.to_string(),
        values.portal_tls_name.clone(),
        values.ca_pem.display().to_string(),
        values.websockify.to_string(),
    ];
    let mut site = block.to_string();
    for ((doc_value, meaning), replacement) in NGINX_DOC_VALUES.iter().zip(replacements) {
        assert!(
            site.contains(doc_value),
            "the nginx block of docs/DEPLOY.md section 4 no longer contains {doc_value:?} \
             ({meaning}): change NGINX_DOC_VALUES in tests/src/desktop_stack.rs with the doc"
        );
        site = site.replace(doc_value, &replacement);
    }
    site
}

/// nginx in front of noVNC/websockify on an Xvnc desktop, asking the portal at every request.
pub struct DesktopStack {
    /// `https://127.0.0.1:PORT`: the protected origin.
    pub origin: String,
    /// The noVNC page as users open it (the portal's desktop link).
    pub desktop_url: String,
    /// The site config nginx runs, rendered from the DEPLOY.md block.
    pub site_conf: String,
    prefix: PathBuf,
    // Dropped in this order: the proxy first, the desktop last.
    nginx: ChildGuard,
    websockify: ChildGuard,
    pub desktop: VncDesktop,
    _dir: tempfile::TempDir,
}

impl DesktopStack {
    /// Starts the desktop, websockify and nginx on `127.0.0.1:listen_port` with `ca`'s server
    /// certificate, asking the portal listening (over TLS, with the same certificate) on
    /// `portal`. Returns once nginx listens; the portal may start before or after.
    pub fn start(ca: &TestCa, listen_port: u16, portal: SocketAddr) -> DesktopStack {
        let dir =
            tempfile::Builder::new().prefix("twofold-e2e-desktop-").tempdir().expect("temp dir");
        // nginx's workers run as nobody and create files under the temp paths in here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the stack dir");
        let prefix = dir.path().to_path_buf();
        let desktop = VncDesktop::start(&prefix);

        let ws_port = free_ports(1)[0];
        let ws_addr = SocketAddr::from(([127, 0, 0, 1], ws_port));
        let ws_log = prefix.join("websockify.log");
        let mut cmd = Command::new("websockify");
        cmd.arg(ws_addr.to_string()).arg(format!("127.0.0.1:{}", desktop.rfb_port));
        log_to(&mut cmd, &ws_log);
        let mut websockify = ChildGuard::spawn("websockify", &mut cmd);
        wait_for_port("websockify", ws_addr, &mut websockify, &ws_log);

        let listen = SocketAddr::from(([127, 0, 0, 1], listen_port));
        let site_conf = render_nginx_site(
            &deploy_doc_nginx_block(),
            &NginxSiteValues {
                listen,
                cert_pem: ca.cert_pem.clone(),
                key_pem: ca.key_pem.clone(),
                portal,
                portal_tls_name: "localhost".to_string(),
                ca_pem: ca.ca_pem.clone(),
                websockify: ws_addr,
            },
        );
        let nginx = start_nginx(&prefix, &site_conf, listen);

        let origin = format!("https://{listen}");
        let desktop_url = format!("{origin}/vnc.html?autoconnect=true&resize=scale");
        DesktopStack {
            origin,
            desktop_url,
            site_conf,
            prefix,
            nginx,
            websockify,
            desktop,
            _dir: dir,
        }
    }

    /// nginx's access log so far (one line per request, the status after the request line).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("access.log")).unwrap_or_default()
    }

    /// Waits (bounded) until nginx's access log has a line containing `needle`, and returns
    /// the log. nginx logs a request when it ends: a websocket only once it is closed.
    pub fn wait_for_access_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + START_WAIT;
        loop {
            let log = self.access_log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in nginx's access log after {START_WAIT:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every log of the stack, for a failing test's message.
    pub fn logs_text(&self) -> String {
        let mut text = String::new();
        for name in ["nginx.out.log", "error.log", "access.log", "websockify.log"] {
            text.push_str(&read_log(&self.prefix.join(name)));
            text.push('\n');
        }
        text.push_str(&self.desktop.log_text());
        text
    }
}

impl Drop for DesktopStack {
    fn drop(&mut self) {
        self.nginx.stop();
        self.websockify.stop();
        if std::thread::panicking() {
            eprintln!("desktop stack in {}:\n{}", self.prefix.display(), self.logs_text());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nginx_block_is_taken_from_section_4_only() {
        let doc =
            "# T\n## 3. TLS\n```nginx\nthree\n```\n## 4. Web\ntext\n```nginx\nfour\nlines\n```\n\
                   ## 5. Other\n```nginx\nfive\n```\n";
        assert_eq!(nginx_block_of_section_4(doc).as_deref(), Some("four\nlines\n"));
        assert_eq!(
            nginx_block_of_section_4("## 4. Web\nno block\n## 5. x\n```nginx\nx\n```\n"),
            None
        );
    }
}
