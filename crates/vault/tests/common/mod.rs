//! A private D-Bus session with a real, unlocked gnome-keyring for the keyring tests, started
//! by the test binary itself so plain `cargo test` works, and torn down when it exits.
//!
//! Leaves out the user's own session: nothing here talks to the real keyring. The daemon gets
//! a fresh temporary HOME and XDG directories and no DISPLAY (so no unlock window can appear).

#![allow(dead_code)] // Each test binary uses a different part.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The keyring password the test daemon is unlocked with.
pub const PASSWORD: &str = "twofold-test";

/// Env var that turns a missing dbus-daemon / gnome-keyring-daemon from a skip into a failure.
pub const REQUIRE_TOOLS: &str = "TWOFOLD_E2E_REQUIRE_TOOLS";

pub struct Session {
    pub address: String,
    /// gnome-keyring-daemon's pid (the tests stop it to simulate a keyring that never answers).
    pub keyring_pid: u32,
    // Dropping these is never needed: the supervisor script sees its stdin close when this
    // process exits (however it exits) and then kills the bus and the daemon.
    _supervisor: Mutex<(Child, ChildStdin)>,
    _home: tempfile::TempDir,
}

// The supervisor: starts the bus, unlocks a fresh keyring on it, reports
// "ADDRESS KEYRING_PID", then waits for stdin to close and stops both.
const SUPERVISOR: &str = r#"
set -u
out=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) || exit 1
addr=$(printf '%s\n' "$out" | sed -n 1p)
bus_pid=$(printf '%s\n' "$out" | sed -n 2p)
export DBUS_SESSION_BUS_ADDRESS="$addr"
printf '%s' "$KEYRING_PASSWORD" | timeout 20 gnome-keyring-daemon --unlock --components=secrets >/dev/null
kr_pid=""
tries=0
while [ -z "$kr_pid" ] && [ $tries -lt 100 ]; do
  kr_pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null \
      | awk '/uint32/ {print $2}')
  [ -n "$kr_pid" ] || sleep 0.1
  tries=$((tries + 1))
done
echo "$addr ${kr_pid:-0}"
cat >/dev/null
[ -n "$kr_pid" ] && kill -CONT "$kr_pid" 2>/dev/null && kill "$kr_pid" 2>/dev/null
kill "$bus_pid" 2>/dev/null
exit 0
"#;

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// Whether dbus-daemon and gnome-keyring-daemon are installed. If not: panics when
/// [`REQUIRE_TOOLS`] is set, else says the test is skipped and returns `false`.
pub fn tools_present() -> bool {
    let missing: Vec<&str> =
        ["dbus-daemon", "gnome-keyring-daemon"].into_iter().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os(REQUIRE_TOOLS).is_some() {
        panic!("{} not installed and {REQUIRE_TOOLS} is set", missing.join(", "));
    }
    // Straight to stderr, not eprintln!: the test harness swallows captured output of
    // passing tests, and a skip must be visible in a plain `cargo test` run.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: keyring tests need {} (Debian: dbus-daemon gnome-keyring); set \
             {REQUIRE_TOOLS}=1 to make this a failure",
            missing.join(" and ")
        );
    });
    false
}

/// The shared session, started on first use; `None` (after saying why) if the tools are
/// missing and [`REQUIRE_TOOLS`] is unset. Sets `DBUS_SESSION_BUS_ADDRESS` for this process
/// before any test can reach the keyring.
pub fn session() -> Option<&'static Session> {
    static SESSION: OnceLock<Option<Session>> = OnceLock::new();
    SESSION.get_or_init(start).as_ref()
}

fn start() -> Option<Session> {
    if !tools_present() {
        return None;
    }
    let home = tempfile::tempdir().expect("temp dir");
    let dir = |name: &str| {
        let path = home.path().join(name);
        std::fs::create_dir_all(&path).expect("create dir");
        set_private(&path);
        path
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(SUPERVISOR)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", dir("data"))
        .env("XDG_CONFIG_HOME", dir("config"))
        .env("XDG_CACHE_HOME", dir("cache"))
        .env("XDG_RUNTIME_DIR", dir("run"))
        .env("KEYRING_PASSWORD", PASSWORD)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the D-Bus/keyring supervisor");
    let stdin = child.stdin.take().expect("piped stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read the bus address");
    let mut parts = line.split_whitespace();
    let address = parts.next().unwrap_or_default().to_string();
    let keyring_pid: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    assert!(
        address.starts_with("unix:") && keyring_pid > 0,
        "the private keyring session did not start (got {line:?})"
    );
    // Before any keyring call: the Secret Service store reads this when it connects. All other
    // test threads are blocked on the OnceLock here, so nothing reads the environment meanwhile.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    std::env::remove_var("DISPLAY");
    Some(Session { address, keyring_pid, _supervisor: Mutex::new((child, stdin)), _home: home })
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700));
}

/// `secret-tool ARGS…` on the test session; stdout and stderr together (secret-tool prints
/// attributes on stderr).
pub fn secret_tool(args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("20")
        .arg("secret-tool")
        .args(args)
        .output()
        .expect("secret-tool (Debian package libsecret-tools) must be installed");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Locks the login collection (where the tests' items live) through the Secret Service API.
/// (`secret-tool lock` crashes on this libsecret version.)
pub fn lock_login_collection() {
    let out = Command::new("timeout")
        .args(["20", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets"])
        .args(["/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock"])
        .arg("array:objpath:/org/freedesktop/secrets/collection/login")
        .output()
        .expect("dbus-send (Debian package dbus-bin) must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("collection/login"),
        "locking failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `oathtool ARGS…`, trimmed.
pub fn oathtool(args: &[&str]) -> String {
    let out = Command::new("oathtool")
        .args(args)
        .output()
        .expect("oathtool (Debian package oathtool) must be installed");
    assert!(out.status.success(), "oathtool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Sends `signal` (e.g. "STOP", "CONT") to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status =
        Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}
