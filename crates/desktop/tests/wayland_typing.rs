//! Typing a code on Wayland against real compositors, as the quick-pick does in a Wayland
//! session (`target_window::focused()` then `type_into`, no X11 window):
//! - sway (wlroots' headless backend and pixman renderer: no GPU, no display) offers the
//!   virtual-keyboard protocol, and `wtype` types the code into the focused `foot` terminal —
//!   whole, five times in a row (the first digit used to be lost about every other time);
//! - weston (headless) does not offer it: the caller gets the compositor's refusal to show,
//!   and without `wtype` an explanation naming it.
//!
//! sway refuses to run as root, so when the tests are root it runs as `nobody` (setpriv);
//! root reaches its sockets anyway. Each test has its own runtime directory and compositor.
//! The tests set the Wayland variables for this process, so they take turns.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use twofold_desktop::target_window::{self, TypingError};

const CODE: &str = "492039";
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn installed(tools: &[&str]) -> bool {
    let missing: Vec<&&str> = tools
        .iter()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("TWOFOLD_E2E_REQUIRE_TOOLS").is_none(),
        "{missing:?} not installed (make deps installs them)"
    );
    eprintln!("skipped: {missing:?} not installed");
    false
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(15), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A compositor running in its own runtime directory; killed when dropped.
struct Compositor {
    child: Child,
    dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Compositor {
    fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// Points this process (and the wtype it runs) at the compositor, as a Wayland session.
    fn export(&self) {
        std::env::set_var("XDG_SESSION_TYPE", "wayland");
        std::env::set_var("XDG_RUNTIME_DIR", self.runtime_dir());
        std::env::set_var("WAYLAND_DISPLAY", &self.socket);
        std::env::remove_var("DISPLAY");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("compositor.log")).unwrap_or_default()
    }
}

impl Drop for Compositor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(program: &[&str], setup: impl FnOnce(&Path, &mut Command)) -> Compositor {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("run");
    std::fs::create_dir(&run).expect("runtime dir");
    // Open to the unprivileged compositor (sway as nobody); nothing secret is in it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o777)).unwrap();
    let log = std::fs::File::create(dir.path().join("compositor.log")).expect("log file");
    let mut cmd = Command::new(program[0]);
    cmd.args(&program[1..])
        .env("XDG_RUNTIME_DIR", &run)
        .env("HOME", dir.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    setup(dir.path(), &mut cmd);
    let child = cmd.spawn().unwrap_or_else(|e| panic!("start {program:?}: {e}"));
    let mut socket = None;
    wait_until("the compositor's socket", || {
        socket = std::fs::read_dir(&run).ok().and_then(|entries| {
            entries.flatten().map(|e| e.path()).find(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with("wayland-") && !name.ends_with(".lock")
            })
        });
        socket.is_some()
    });
    Compositor { child, dir, socket: socket.unwrap() }
}

fn start_sway() -> Compositor {
    let root = is_root();
    let mut program = vec!["sway"];
    if root {
        program = vec!["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sway"];
    }
    start(&program, |dir, cmd| {
        let config = dir.join("sway.config");
        std::fs::write(&config, "output HEADLESS-1 resolution 1280x800\n").unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        cmd.arg("-c")
            .arg(&config)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman");
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The title of the window sway has focused, from its IPC tree.
fn focused_title(sway: &Compositor) -> Option<String> {
    let ipc =
        std::fs::read_dir(sway.runtime_dir()).ok()?.flatten().map(|e| e.path()).find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("sway-ipc"))
        })?;
    let out = Command::new("swaymsg").arg("-s").arg(&ipc).args(["-t", "get_tree"]).output().ok()?;
    let tree: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    fn find(node: &serde_json::Value) -> Option<String> {
        if node["focused"] == true && node["type"] == "con" {
            return node["name"].as_str().map(str::to_string);
        }
        let children = node["nodes"].as_array().into_iter().flatten();
        children.chain(node["floating_nodes"].as_array().into_iter().flatten()).find_map(find)
    }
    find(&tree)
}

/// A `foot` terminal titled `title` that writes the first six keys it gets to `out`.
fn terminal(sway: &Compositor, title: &str, out: &Path) -> Child {
    Command::new("foot")
        .args(["-T", title, "sh", "-c"])
        .arg(format!("stty raw -echo; dd bs=1 count=6 of='{}' 2>/dev/null", out.display()))
        .env("XDG_RUNTIME_DIR", sway.runtime_dir())
        .env("WAYLAND_DISPLAY", &sway.socket)
        .env_remove("DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start foot")
}

#[test]
fn on_sway_the_code_is_typed_whole_into_the_focused_terminal_every_time() {
    if !installed(&["sway", "swaymsg", "foot", "wtype", "setpriv"]) {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sway = start_sway();
    sway.export();
    for round in 0..5 {
        let title = format!("Sign in - GitHub {round}");
        let out = sway.dir.path().join(format!("typed-{round}"));
        let mut foot = terminal(&sway, &title, &out);
        wait_until("the terminal to have the focus", || {
            focused_title(&sway).as_deref() == Some(title.as_str())
        });
        // Its shell puts the terminal in raw mode once it runs.
        std::thread::sleep(Duration::from_millis(300));
        let target = target_window::focused().expect("a Wayland session has a target");
        target_window::type_into(&target, CODE)
            .unwrap_or_else(|e| panic!("round {round}: {e}\n{}", sway.log()));
        // Up to 3 s for the six keys; fewer is the failure this test is for, so say what came.
        let start = Instant::now();
        while std::fs::metadata(&out).map_or(0, |m| m.len()) < 6
            && start.elapsed() < Duration::from_secs(3)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let typed = std::fs::read_to_string(&out).unwrap_or_default();
        assert_eq!(typed, CODE, "round {round}: the terminal got {typed:?}, not the code");
        let _ = foot.kill();
        let _ = foot.wait();
    }
}

#[test]
fn on_weston_typing_is_refused_with_the_compositors_reason_and_without_wtype_it_is_named() {
    if !installed(&["weston", "wtype"]) {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let weston =
        start(&["weston", "--backend=headless-backend.so", "--socket=wayland-t"], |_, _| {});
    weston.export();
    let target = target_window::focused().expect("a Wayland session has a target");
    let Err(TypingError::Unavailable(why)) = target_window::type_into(&target, CODE) else {
        panic!("weston has no virtual keyboard, yet typing succeeded\n{}", weston.log());
    };
    assert!(why.starts_with("the compositor refused wtype"), "{why}");
    assert!(why.contains("virtual keyboard"), "the compositor's reason is kept: {why}");

    let path = std::env::var_os("PATH");
    std::env::set_var("PATH", "/nonexistent");
    let missing = target_window::type_into(&target, CODE);
    if let Some(path) = path {
        std::env::set_var("PATH", path);
    }
    let Err(TypingError::Unavailable(why)) = missing else { panic!("typed without wtype") };
    assert!(why.contains("needs wtype"), "{why}");
}
