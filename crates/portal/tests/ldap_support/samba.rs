//! A real Samba Active Directory domain controller for the AD tests: provisioned with
//! `samba-tool domain provision` in a temp dir (realm EXAMPLE.TEST, no DNS), run as one
//! process (`samba -i -M single`) in its own network namespace, because its LDAP ports
//! (389, 636) are fixed. The test process reaches it through [`bridge`]: a loopback port of the
//! test's own namespace whose connections a thread living in the DC's namespace forwards to
//! the DC. The DC has a certificate from a CA made here (`ca.pem`), since AD refuses simple
//! binds in clear ("strongerAuthRequired"), so the portal uses StartTLS or ldaps.
//!
//! Provisioning costs seconds, so a test binary provisions one DC ([`shared`]) and its tests
//! share it, each with its own user names. A static is never dropped, so the DC dies with the
//! process instead: samba gets `PR_SET_PDEATHSIG` = SIGKILL from the thread that spawned it,
//! which lives as long as the process, and an `atexit` hook kills it and removes the temp dir
//! at a normal exit. Changes are made with `samba-tool` on the DC's database (as an admin does
//! on a DC), which the running samba sees at once.
//!
//! Leaves out DNS, Kerberos, SMB and replication: the portal speaks LDAP only.

use std::fs::File;
use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use super::{make_certificates, tool};

pub const REALM: &str = "example.test";
pub const BASE: &str = "DC=example,DC=test";
/// The service account the portal searches with: an ordinary domain user (any authenticated
/// user may read users and groups in AD).
pub const SERVICE_USER: &str = "twofold-svc";
pub const SERVICE_DN: &str = "CN=twofold-svc,CN=Users,DC=example,DC=test";
pub const SERVICE_PW: &str = "Service-Pass-1";
/// The group enabled for 2FA, and the group nested in it (a member of it).
pub const TWOFA_GROUP: &str = "twofa";
pub const NESTED_GROUP: &str = "admins";
const ADMIN_PW: &str = "Admin-Pass-123";

pub struct SambaDc {
    pub dir: tempfile::TempDir,
    /// samba's pid (in the DC's network namespace).
    pub pid: i32,
    conf: PathBuf,
    /// Loopback ports of the test's namespace forwarded to the DC's 389 and 636.
    pub ldap_port: u16,
    pub ldaps_port: u16,
    configs: AtomicUsize,
}

static DC: OnceLock<Result<Option<SambaDc>, String>> = OnceLock::new();

/// The test binary's DC, provisioned at the first call; `None` when Samba is not installed
/// (and not required). A failed provisioning fails every test that asks, without retrying.
pub fn shared() -> Option<&'static SambaDc> {
    let dc = DC.get_or_init(|| {
        std::panic::catch_unwind(SambaDc::start).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "provisioning panicked".into())
        })
    });
    match dc {
        Ok(dc) => dc.as_ref(),
        Err(e) => panic!("the Samba DC did not start: {e}"),
    }
}

extern "C" fn stop_at_exit() {
    if let Some(Ok(Some(dc))) = DC.get() {
        // SAFETY: kill(2) on the pid of samba, which this process started.
        unsafe {
            libc::kill(dc.pid, libc::SIGKILL);
        }
        let _ = std::fs::remove_dir_all(dc.dir.path());
    }
}

impl SambaDc {
    fn start() -> Option<SambaDc> {
        let samba = tool("samba")?;
        let samba_tool = tool("samba-tool")?;
        let unshare = tool("unshare")?;
        tool("ip")?;
        let started = Instant::now();
        let dir = tempfile::Builder::new().prefix("twofold-samba-").tempdir().unwrap();
        let target = dir.path().join("dc");
        let empty = dir.path().join("empty.conf");
        std::fs::write(&empty, "").unwrap();
        let out = Command::new(&samba_tool)
            .args(["domain", "provision", "--realm=EXAMPLE.TEST", "--domain=EXAMPLE"])
            .args(["--server-role=dc", "--dns-backend=NONE", "--host-name=dc1"])
            .arg(format!("--adminpass={ADMIN_PW}"))
            .arg(format!("--targetdir={}", target.display()))
            .arg("-s")
            .arg(&empty)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "samba-tool domain provision: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("samba: provisioned in {:.1} s", started.elapsed().as_secs_f64());
        make_certificates(dir.path())?;
        let key = dir.path().join("server.key");
        // samba refuses a key that others may read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let conf = target.join("etc/smb.conf");
        let run = target.join("run");
        std::fs::create_dir_all(&run).unwrap();
        // Later lines of [global] win over provision's: LDAP only, sockets inside the temp dir,
        // our certificate, and the audit lines of every password check (the tests read them).
        let d = dir.path().display();
        let r = run.display();
        let ours = format!(
            "\tserver services = ldap\n\tpid directory = {r}\n\tncalrpc dir = {r}/ncalrpc\n\
             \tntp signd socket directory = {r}/ntp_signd\n\
             \twinbindd socket directory = {r}/winbindd\n\
             \ttls enabled = yes\n\ttls keyfile = {d}/server.key\n\
             \ttls certfile = {d}/server.pem\n\ttls cafile = {d}/ca.pem\n\
             \tlog level = 1 auth_audit:3\n\n[sysvol]"
        );
        let text = std::fs::read_to_string(&conf).unwrap();
        assert!(text.contains("\n[sysvol]"), "unexpected smb.conf: {text}");
        std::fs::write(&conf, text.replacen("\n[sysvol]", &format!("\n{ours}"), 1)).unwrap();

        let mut dc = SambaDc {
            dir,
            pid: 0,
            conf,
            ldap_port: 0,
            ldaps_port: 0,
            configs: AtomicUsize::new(0),
        };
        // The directory's fixed content, written before samba starts.
        dc.samba_tool(&["user", "create", SERVICE_USER, SERVICE_PW, "--use-username-as-cn"]);
        dc.samba_tool(&["group", "add", TWOFA_GROUP]);
        dc.samba_tool(&["group", "add", NESTED_GROUP]);
        dc.samba_tool(&["group", "addmembers", TWOFA_GROUP, NESTED_GROUP]);
        std::fs::write(dc.dir.path().join("service.password"), format!("{SERVICE_PW}\n")).unwrap();
        std::fs::set_permissions(
            dc.dir.path().join("service.password"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();

        let log = File::create(dc.log_path()).unwrap();
        let mut command = Command::new(unshare);
        command
            .args(["--net", "sh", "-c"])
            .arg(format!(
                "ip link set lo up && exec {} -i -M single -s {}",
                samba.display(),
                dc.conf.display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        // SAFETY: prctl is async-signal-safe; it runs in the child between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        // PR_SET_PDEATHSIG fires when the spawning *thread* ends: spawn from one that waits
        // on samba for as long as it runs, never from a test's thread.
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("samba-dc".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    tx.send(Ok(child.id() as i32)).unwrap();
                    let _ = child.wait();
                }
                Err(e) => tx.send(Err(e)).unwrap(),
            })
            .unwrap();
        dc.pid = rx.recv().unwrap().expect("starting samba");
        // SAFETY: atexit with a function that only reads a static and calls kill/remove.
        unsafe {
            libc::atexit(stop_at_exit);
        }
        // spawn() returns once `unshare` is exec'd, before it made the namespace: until then
        // /proc/PID/ns/net is ours.
        let deadline = Instant::now() + Duration::from_secs(60);
        let pid = dc.pid;
        let namespace = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/net")).ok();
        while namespace(&pid.to_string()) == namespace("self") {
            assert!(Instant::now() < deadline, "samba's namespace did not appear: {}", dc.log());
            std::thread::sleep(Duration::from_millis(10));
        }
        // Then wait for samba's LDAP port inside it.
        let listening = in_namespace(pid, move || loop {
            if TcpStream::connect(("127.0.0.1", 389)).is_ok() {
                return true;
            }
            if Instant::now() > deadline || !Path::new(&format!("/proc/{pid}")).exists() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        });
        assert!(listening, "samba did not listen on 389: {}", dc.log());
        dc.ldap_port = bridge(pid, 389);
        dc.ldaps_port = bridge(pid, 636);
        eprintln!("samba: answering after {:.1} s", started.elapsed().as_secs_f64());
        Some(dc)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("samba.log")
    }

    /// What samba logged so far (its audit lines name each password check).
    pub fn log(&self) -> String {
        let mut text = String::new();
        File::open(self.log_path()).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    /// The lines of samba's log saying a simple bind was checked for `dn_part`.
    pub fn binds_of(&self, dn_part: &str) -> Vec<String> {
        let needle = dn_part.to_ascii_lowercase();
        self.log()
            .lines()
            .filter(|l| l.starts_with("Auth: [LDAP,simple bind"))
            .filter(|l| l.to_ascii_lowercase().contains(&needle))
            .map(String::from)
            .collect()
    }

    /// Runs `samba-tool ARGS` on the DC's database and returns its output.
    pub fn samba_tool(&self, args: &[&str]) -> String {
        let out = Command::new(tool("samba-tool").unwrap())
            .args(args)
            .arg("-s")
            .arg(&self.conf)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "samba-tool {args:?}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    /// A domain user `name` with `password` (CN = name), given name and surname set, in
    /// `groups`.
    pub fn add_user(&self, name: &str, password: &str, given: &str, groups: &[&str]) {
        self.samba_tool(&[
            "user",
            "create",
            name,
            password,
            "--use-username-as-cn",
            &format!("--given-name={given}"),
            "--surname=Tester",
        ]);
        for group in groups {
            self.samba_tool(&["group", "addmembers", group, name]);
        }
    }

    /// The entry's objectGUID as samba-tool shows it.
    pub fn object_guid(&self, name: &str) -> String {
        let text = self.samba_tool(&["user", "show", name, "--attributes=objectGUID"]);
        text.lines()
            .find_map(|l| l.strip_prefix("objectGUID: "))
            .unwrap_or_else(|| panic!("no objectGUID in {text}"))
            .trim()
            .to_string()
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A portal config file for this DC with the Active Directory preset, `transport` (the
    /// `url`, `starttls`, `ca_file` lines) and `extra` keys; a new file each call.
    pub fn config_file_with(&self, transport: &str, extra: &str) -> PathBuf {
        let n = self.configs.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("portal-{n}.toml"));
        let password = self.dir.path().join("service.password");
        std::fs::write(
            &path,
            format!(
                "[directory]\npreset = \"active-directory\"\n{transport}base = \"{BASE}\"\n\
                 bind_dn = \"{SERVICE_DN}\"\nbind_password_file = \"{}\"\n{extra}",
                password.display()
            ),
        )
        .unwrap();
        path
    }

    /// As [`SambaDc::config_file_with`] over StartTLS on the `ldap://` port, with the CA file.
    pub fn config_file(&self, extra: &str) -> PathBuf {
        let transport = format!(
            "url = \"ldap://127.0.0.1:{}\"\nca_file = \"{}\"\n",
            self.ldap_port,
            self.ca_file().display()
        );
        self.config_file_with(&transport, extra)
    }
}

fn namespace_of(pid: i32) -> File {
    File::open(format!("/proc/{pid}/ns/net")).expect("the DC's network namespace")
}

/// Moves the calling thread (only) into the network namespace `ns`.
fn join(ns: &File) {
    // SAFETY: setns(2) on an open namespace fd.
    let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
}

/// Runs `work` on a thread that joined the network namespace of process `pid`.
fn in_namespace<T: Send + 'static>(pid: i32, work: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = namespace_of(pid);
    std::thread::spawn(move || {
        join(&ns);
        work()
    })
    .join()
    .unwrap()
}

/// A port on 127.0.0.1 of the test's namespace whose connections go to `port` on the
/// loopback of `pid`'s namespace: a thread in that namespace accepts (the listener belongs to
/// ours) and connects (so the outgoing socket belongs to the DC's), and two threads per
/// connection copy the bytes. All of it ends with the process.
fn bridge(pid: i32, port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let local = listener.local_addr().unwrap().port();
    let ns = namespace_of(pid);
    std::thread::Builder::new()
        .name(format!("samba-bridge-{port}"))
        .spawn(move || {
            join(&ns);
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else { continue };
                let pipe = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        })
        .unwrap();
    local
}
