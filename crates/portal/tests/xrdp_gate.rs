//! The RDP gate inside a real RDP server: Debian's `xrdp` + `xrdp-sesman` on loopback, the
//! PAM hook at the top of `/etc/pam.d/xrdp-sesman` (before `pam_unix`), Unix users that are
//! also portal users, and `xfreerdp` under `Xvfb` logging in with a password. Decided by
//! sesman's log (the client's exit code says nothing): the 2FA user is refused (`AUTHFAIL`),
//! the password-only user gets a session (`Session started successfully`).
//!
//! Follows ../shared/TESTING-NOTES.md "PAM hook and a real xrdp". Everything it changes
//! outside its temp dir (`/etc/pam.d/xrdp-sesman`, sesman's port in `/etc/xrdp/sesman.ini`,
//! two Unix users) is put back on drop, also when the test panics; a run killed outright is
//! repaired by the next one (the originals are kept beside the files until restored). Runs
//! under an exclusive lock, so no two such tests touch those files at once.

mod pam;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pam::PortalProcess;

/// Held while this test owns the system files below.
const LOCK: &str = "/tmp/twofold-xrdp-sesman.lock";
const PAM_SERVICE: &str = "/etc/pam.d/xrdp-sesman";
const SESMAN_INI: &str = "/etc/xrdp/sesman.ini";
/// Where the original of a changed system file waits until it is restored.
const BACKUP_SUFFIX: &str = ".twofold-test-original";

/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(45);

struct ExclusiveLock(#[allow(dead_code)] File);

impl ExclusiveLock {
    fn take() -> ExclusiveLock {
        let file = File::create(LOCK).unwrap();
        // SAFETY: flock on a descriptor we own; blocks until no other holder.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(rc, 0, "flock {LOCK}");
        ExclusiveLock(file)
    }
}

/// A system file changed for the test; the original is restored on drop.
struct ChangedFile {
    path: PathBuf,
    backup: PathBuf,
}

impl ChangedFile {
    /// Replaces `path`'s text with `edit(original)`.
    fn edit(path: &str, edit: impl FnOnce(&str) -> String) -> ChangedFile {
        let path = PathBuf::from(path);
        let backup = PathBuf::from(format!("{}{BACKUP_SUFFIX}", path.display()));
        // A backup left by a run that was killed is the real original: restore it first.
        if backup.exists() {
            std::fs::copy(&backup, &path).unwrap();
        } else {
            std::fs::copy(&path, &backup).unwrap();
        }
        let original = std::fs::read_to_string(&backup).unwrap();
        std::fs::write(&path, edit(&original)).unwrap();
        ChangedFile { path, backup }
    }
}

impl Drop for ChangedFile {
    fn drop(&mut self) {
        if std::fs::copy(&self.backup, &self.path).is_ok() {
            let _ = std::fs::remove_file(&self.backup);
        }
    }
}

/// A Unix user for the test, removed (with its home) on drop.
struct UnixUser(String);

impl UnixUser {
    fn add(name: &str, password: &str) -> UnixUser {
        // A leftover from a killed run.
        let _ = Command::new("userdel").args(["-f", "-r", name]).output();
        let out = Command::new("useradd").args(["-m", "-s", "/bin/sh", name]).output().unwrap();
        assert!(out.status.success(), "useradd: {}", String::from_utf8_lossy(&out.stderr));
        let user = UnixUser(name.to_string());
        let (out, _) = pam::run_bounded(
            &mut Command::new("chpasswd"),
            format!("{name}:{password}\n").as_bytes(),
            Duration::from_secs(10),
        );
        assert!(out.status.success(), "chpasswd: {}", String::from_utf8_lossy(&out.stderr));
        user
    }
}

impl Drop for UnixUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["-f", "-r", &self.0]).output();
    }
}

/// A process of the test; stopped on drop (SIGTERM, then SIGKILL after a grace period, so
/// sesman can end the sessions it started).
struct Daemon {
    name: &'static str,
    child: Child,
}

impl Daemon {
    fn spawn(name: &'static str, cmd: &mut Command) -> Daemon {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        Daemon { name, child }
    }

    fn assert_running(&mut self, log: &Path) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}): {}", self.name, read(log));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: signals our own child by its id.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until `path` holds `needle`; panics with the file after `WAIT`.
fn wait_for(path: &Path, needle: &str, context: impl Fn() -> String) {
    let deadline = Instant::now() + WAIT;
    while !read(path).contains(needle) {
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in {} after {WAIT:?}:\n{}\n{}",
            path.display(),
            read(path),
            context()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + WAIT;
    // sesman built with IPv6 binds "127.0.0.1" as ::1: either will do.
    let up =
        || ["127.0.0.1", "::1"].iter().any(|h| std::net::TcpStream::connect((*h, port)).is_ok());
    while !up() {
        assert!(Instant::now() < deadline, "{what} does not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free X display number for Xvfb.
fn free_display() -> u32 {
    (100..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display between :100 and :199")
}

/// Sets `key=value` in the lines of `[section]` of an ini text, adding it if absent.
fn set_ini(text: &str, section: &str, key: &str, value: &str) -> String {
    let mut out = Vec::new();
    let (mut inside, mut done) = (false, false);
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if inside && !done {
                out.push(format!("{key}={value}"));
                done = true;
            }
            inside = trimmed == format!("[{section}]");
        }
        if inside && trimmed.split('=').next().map(str::trim) == Some(key) {
            if !done {
                out.push(format!("{key}={value}"));
                done = true;
            }
            continue;
        }
        out.push(line.to_string());
    }
    if inside && !done {
        out.push(format!("{key}={value}"));
    }
    out.join("\n") + "\n"
}

/// Portal users that are also Unix users with the same password: one who needs 2FA, one who
/// does not. Names are unique per run, so they meet no real account.
fn add_portal_user(portal: &PortalProcess, name: &str, password: &str) {
    let (out, _) = pam::run_bounded(
        Command::new(pam::BIN)
            .arg("--data")
            .arg(&portal.data)
            .args(["user", "add", name])
            .arg("--password-stdin"),
        password.as_bytes(),
        Duration::from_secs(20),
    );
    assert!(out.status.success(), "user add {name}: {}", String::from_utf8_lossy(&out.stderr));
}

fn portal_cli(portal: &PortalProcess, args: &[&str]) {
    let out = Command::new(pam::BIN).arg("--data").arg(&portal.data).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn xrdp_refuses_a_two_factor_user_and_lets_a_password_only_user_in() {
    if !pam::tools_present(&["xrdp", "xrdp-sesman", "xfreerdp", "Xvfb", "useradd", "timeout"]) {
        return;
    }
    let _lock = ExclusiveLock::take();
    let tmp = tempfile::Builder::new().prefix("twofold-xrdp-").tempdir().unwrap();
    let dir = tmp.path();
    // Sesman runs the window manager script as the user: the directory must be reachable.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    // Users: unique short names (Unix names are at most 32 characters).
    let tag = format!("{:x}", std::process::id() % 0xfffff);
    let (two_factor, password_only) = (format!("tfa{tag}"), format!("tpw{tag}"));
    let (tf_password, po_password) = ("Tf-xrdp-pass-1", "Po-xrdp-pass-2");

    let portal = PortalProcess::start();
    add_portal_user(&portal, &two_factor, tf_password);
    add_portal_user(&portal, &password_only, po_password);
    portal_cli(&portal, &["principals", "add", &format!("user:{two_factor}")]);
    portal_cli(&portal, &["2fa", "on"]);
    let _unix_users =
        [UnixUser::add(&two_factor, tf_password), UnixUser::add(&password_only, po_password)];

    // The hook at the top of xrdp-sesman's PAM stack.
    let hook_log = dir.join("hook.log");
    let hook = pam::hook_line(&portal.url, &portal.token_file(), "--timeout 5");
    let _pam = ChangedFile::edit(PAM_SERVICE, |original| {
        let mut lines: Vec<&str> = original.lines().collect();
        let at = usize::from(lines.first().is_some_and(|l| l.starts_with("#%PAM")));
        let line = format!(
            "auth requisite pam_exec.so expose_authtok quiet log={} {hook}",
            hook_log.display()
        );
        lines.insert(at, &line);
        lines.join("\n") + "\n"
    });

    // sesman and xrdp on free loopback ports, with their own ini files and logs.
    let (rdp_port, sesman_port) = (pam::free_port(), pam::free_port());
    let wm = dir.join("wm.sh");
    std::fs::write(&wm, "#!/bin/sh\n# the session's whole desktop: it ends after 3 s\nsleep 3\n")
        .unwrap();
    std::fs::set_permissions(&wm, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sesman_log = dir.join("sesman.log");
    let xrdp_log = dir.join("xrdp.log");
    // xrdp asks sesman on the port of the fixed /etc/xrdp/sesman.ini, whatever -c says.
    let sesman_port_line = ChangedFile::edit(SESMAN_INI, |original| {
        set_ini(original, "Globals", "ListenPort", &sesman_port.to_string())
    });
    let mut sesman_ini = std::fs::read_to_string(&sesman_port_line.backup).unwrap();
    for (section, key, value) in [
        ("Globals", "ListenAddress", "127.0.0.1".to_string()),
        ("Globals", "ListenPort", sesman_port.to_string()),
        ("Globals", "EnableUserWindowManager", "false".to_string()),
        ("Globals", "DefaultWindowManager", wm.display().to_string()),
        ("Sessions", "KillDisconnected", "true".to_string()),
        ("Logging", "LogFile", sesman_log.display().to_string()),
        ("Logging", "LogLevel", "DEBUG".to_string()),
        ("Logging", "EnableSyslog", "false".to_string()),
    ] {
        sesman_ini = set_ini(&sesman_ini, section, key, &value);
    }
    let own_sesman = dir.join("sesman.ini");
    std::fs::write(&own_sesman, &sesman_ini).unwrap();
    let mut xrdp_ini = std::fs::read_to_string("/etc/xrdp/xrdp.ini").unwrap();
    for (section, key, value) in [
        ("Globals", "port", format!("tcp://127.0.0.1:{rdp_port}")),
        ("Globals", "fork", "false".to_string()),
        ("Logging", "LogFile", xrdp_log.display().to_string()),
        ("Logging", "LogLevel", "DEBUG".to_string()),
        ("Logging", "EnableSyslog", "false".to_string()),
    ] {
        xrdp_ini = set_ini(&xrdp_ini, section, key, &value);
    }
    let own_xrdp = dir.join("xrdp.ini");
    std::fs::write(&own_xrdp, &xrdp_ini).unwrap();

    let mut sesman = Daemon::spawn(
        "xrdp-sesman",
        Command::new("xrdp-sesman").arg("-n").arg("-c").arg(&own_sesman),
    );
    wait_for_port(sesman_port, "xrdp-sesman");
    sesman.assert_running(&sesman_log);
    let mut xrdp = Daemon::spawn("xrdp", Command::new("xrdp").arg("-n").arg("-c").arg(&own_xrdp));
    wait_for_port(rdp_port, "xrdp");
    xrdp.assert_running(&xrdp_log);

    let display = free_display();
    let _xvfb = Daemon::spawn(
        "Xvfb",
        Command::new("Xvfb").arg(format!(":{display}")).args([
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ]),
    );
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
    let deadline = Instant::now() + WAIT;
    while !socket.exists() {
        assert!(Instant::now() < deadline, "Xvfb :{display} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let context = || {
        format!(
            "hook log:\n{}\nxrdp log:\n{}\nportal log:\n{}",
            read(&hook_log),
            read(&xrdp_log).lines().rev().take(40).collect::<Vec<_>>().join("\n"),
            portal.logs()
        )
    };
    let client = |user: &str, password: &str| {
        Daemon::spawn(
            "xfreerdp",
            Command::new("timeout")
                .arg("40")
                .arg("xfreerdp")
                .arg(format!("/v:127.0.0.1:{rdp_port}"))
                .arg(format!("/u:{user}"))
                .arg(format!("/p:{password}"))
                .arg("/cert:ignore")
                .env("DISPLAY", format!(":{display}")),
        )
    };

    // The 2FA user: sesman's PAM stack refuses at the hook, with the reason in the hook's log.
    {
        let _rdp = client(&two_factor, tf_password);
        wait_for(&sesman_log, &format!("AUTHFAIL: user={two_factor}"), context);
    }
    let hook_said = read(&hook_log);
    assert!(
        hook_said.contains(&format!("user={two_factor}"))
            && hook_said.contains("refused: two-factor authentication is required"),
        "{}",
        context()
    );
    assert!(
        !read(&sesman_log).contains(&format!("Session started successfully for user {two_factor}"))
    );

    // The password-only user: the hook allows, pam_unix checks the password, a session starts.
    {
        let _rdp = client(&password_only, po_password);
        wait_for(
            &sesman_log,
            &format!("Session started successfully for user {password_only}"),
            context,
        );
        // Let the 3-second desktop end on its own, so nothing of the session outlives the test.
        std::thread::sleep(Duration::from_secs(4));
    }
    let hook_said = read(&hook_log);
    // Shown with --nocapture: what an admin finds in the hook's log.
    eprintln!("hook log:\n{hook_said}");
    assert!(
        hook_said.contains(&format!("user={password_only}")) && hook_said.contains("allowed"),
        "{}",
        context()
    );
    assert!(
        !read(&sesman_log).contains(&format!("AUTHFAIL: user={password_only}")),
        "{}",
        context()
    );
}
