//! A private desktop for one test: an Xvfb display, a session D-Bus of its own, and an
//! unlocked gnome-keyring (Secret Service) in a fresh home directory — everything a real
//! desktop app needs, nothing shared with the machine or other tests. Dropping it stops the
//! three processes; the temp home goes with it.
//!
//! Xvfb and dbus-daemon pick free names themselves (`-displayfd`, `--print-address`), so
//! tests may run in parallel.

use crate::process::ChildGuard;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The programs a desktop session needs (for [`crate::tools_present`]).
pub const SESSION_TOOLS: &[&str] =
    &["Xvfb", "dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"];

const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The password of the test keyring (it protects nothing real; the locked-keyring test types
/// it into the unlock prompt).
pub const KEYRING_PASSWORD: &str = "twofold-test-keyring";

pub struct DesktopSession {
    /// `:N`, for `DISPLAY`.
    pub display: String,
    /// For `DBUS_SESSION_BUS_ADDRESS`.
    pub bus: String,
    /// The fresh `HOME`; XDG directories live under it.
    pub home: PathBuf,
    // Stopped in reverse order of start by Drop (fields drop in declaration order).
    keyring: std::sync::Mutex<ChildGuard>,
    _dbus: ChildGuard,
    _xvfb: ChildGuard,
    _dir: tempfile::TempDir,
}

impl DesktopSession {
    /// Starts Xvfb (1920x1080x24), a session bus and an unlocked gnome-keyring.
    pub fn start() -> DesktopSession {
        DesktopSession::start_with(true)
    }

    /// As [`DesktopSession::start`], on a session bus that starts no service by D-Bus
    /// activation: a keyring daemon that is killed stays gone (on the standard bus the next
    /// client's call would start a second, locked one), until [`DesktopSession::restart_keyring`].
    pub fn start_without_activation() -> DesktopSession {
        DesktopSession::start_with(false)
    }

    fn start_with(activation: bool) -> DesktopSession {
        let dir = tempfile::Builder::new().prefix("twofold-desktop-").tempdir().expect("temp dir");
        let home = dir.path().join("home");
        for sub in ["", ".config", ".local/share", ".cache", "runtime"] {
            std::fs::create_dir_all(home.join(sub)).expect("home dirs");
        }
        set_mode_700(&home.join("runtime"));

        let xvfb_out = dir.path().join("xvfb.display");
        let mut xvfb_cmd = Command::new("Xvfb");
        xvfb_cmd
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdin(Stdio::null())
            .stdout(File::create(&xvfb_out).expect("xvfb out"))
            .stderr(File::create(dir.path().join("xvfb.log")).expect("xvfb log"));
        let mut xvfb = ChildGuard::spawn("Xvfb", &mut xvfb_cmd);
        let number = wait_for_line(&xvfb_out, &mut xvfb, "Xvfb display number");
        let display = format!(":{}", number.trim());

        let bus_out = dir.path().join("dbus.address");
        let mut dbus_cmd = Command::new("dbus-daemon");
        if activation {
            dbus_cmd.arg("--session");
        } else {
            let config = dir.path().join("session-bus.conf");
            std::fs::write(&config, NO_ACTIVATION_BUS).expect("bus config");
            dbus_cmd.arg(format!("--config-file={}", config.display()));
        }
        dbus_cmd
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .env("HOME", &home)
            .stdin(Stdio::null())
            .stdout(File::create(&bus_out).expect("dbus out"))
            .stderr(File::create(dir.path().join("dbus.log")).expect("dbus log"));
        let mut dbus = ChildGuard::spawn("dbus-daemon", &mut dbus_cmd);
        let bus = wait_for_line(&bus_out, &mut dbus, "session bus address").trim().to_string();

        std::fs::write(dir.path().join("keyring.password"), KEYRING_PASSWORD)
            .expect("keyring password file");
        let keyring = start_keyring(dir.path(), &base_env(&home, &display, &bus));
        DesktopSession {
            display,
            bus,
            home,
            keyring: std::sync::Mutex::new(keyring),
            _dbus: dbus,
            _xvfb: xvfb,
            _dir: dir,
        }
    }

    /// The environment a program of this desktop runs with.
    pub fn env(&self) -> Vec<(String, String)> {
        base_env(&self.home, &self.display, &self.bus)
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`…) to the keyring daemon, as a crash, a hang or
    /// an administrator would.
    pub fn signal_keyring(&self, signal: &str) {
        let keyring = self.keyring.lock().unwrap_or_else(|p| p.into_inner());
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &keyring.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} of the keyring daemon failed");
    }

    /// Kills the keyring daemon (SIGKILL, no chance to clean up) and reaps it.
    pub fn kill_keyring(&self) {
        self.signal_keyring("KILL");
        self.keyring.lock().unwrap_or_else(|p| p.into_inner()).stop();
    }

    /// Starts the keyring daemon again on the same keyring files, unlocked with the same
    /// password, and waits until it serves the bus.
    pub fn restart_keyring(&self) {
        let mut keyring = self.keyring.lock().unwrap_or_else(|p| p.into_inner());
        keyring.stop();
        *keyring = start_keyring(self._dir.path(), &self.env());
    }

    /// `secret-tool search --all service SERVICE` in this session: what the keyring holds.
    pub fn keyring_search(&self, service: &str) -> String {
        let out = Command::new("timeout")
            .args(["10", "secret-tool", "search", "--all", "service", service])
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

/// A session bus like the standard one but without service directories: nothing is started
/// by D-Bus activation.
const NO_ACTIVATION_BUS: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// gnome-keyring-daemon on the keyring files under the session's home, unlocked with
/// `dir/keyring.password`; returns once it owns the Secret Service name.
fn start_keyring(dir: &Path, env: &[(String, String)]) -> ChildGuard {
    let password = dir.join("keyring.password");
    let mut keyring_cmd = Command::new("gnome-keyring-daemon");
    keyring_cmd
        .args(["--foreground", "--unlock", "--components=secrets"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(File::open(&password).expect("password"))
        .stdout(File::create(dir.join("keyring.out")).expect("keyring out"))
        .stderr(File::create(dir.join("keyring.log")).expect("keyring log"));
    let mut keyring = ChildGuard::spawn("gnome-keyring-daemon", &mut keyring_cmd);
    wait_for_secret_service(env, &mut keyring);
    keyring
}

/// Waits until the keyring owns `org.freedesktop.secrets` on the bus, so that no client
/// triggers D-Bus activation of a second, locked daemon.
fn wait_for_secret_service(env: &[(String, String)], keyring: &mut ChildGuard) {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = keyring.exited() {
            panic!("gnome-keyring-daemon exited ({status})");
        }
        let owned = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
            ])
            .args(["org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false);
        if owned {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "gnome-keyring-daemon did not register on the session bus"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn base_env(home: &Path, display: &str, bus: &str) -> Vec<(String, String)> {
    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    vec![
        ("HOME".into(), s(home.to_path_buf())),
        ("XDG_CONFIG_HOME".into(), s(home.join(".config"))),
        ("XDG_DATA_HOME".into(), s(home.join(".local/share"))),
        ("XDG_CACHE_HOME".into(), s(home.join(".cache"))),
        ("XDG_RUNTIME_DIR".into(), s(home.join("runtime"))),
        ("DISPLAY".into(), display.to_string()),
        ("DBUS_SESSION_BUS_ADDRESS".into(), bus.to_string()),
        ("GDK_BACKEND".into(), "x11".into()),
        // No accessibility bus: it would start its own D-Bus daemons outside this session.
        ("NO_AT_BRIDGE".into(), "1".into()),
        ("WAYLAND_DISPLAY".into(), String::new()),
    ]
}

fn set_mode_700(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
}

/// Waits until `file` holds a complete first line written by `child`.
fn wait_for_line(file: &Path, child: &mut ChildGuard, what: &str) -> String {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Some((line, _)) = text.split_once('\n') {
            if !line.trim().is_empty() {
                return line.to_string();
            }
        }
        if let Some(status) = child.exited() {
            panic!("no {what}: the process exited ({status})");
        }
        assert!(Instant::now() < deadline, "no {what} after {START_TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
