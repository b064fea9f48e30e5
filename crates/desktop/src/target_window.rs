//! The window that had focus before the quick-pick opened: its title (so the quick-pick can
//! put the account it names first) and typing a code into it.
//!
//! On X11 the focus is read with `GetInputFocus` (or the window manager's
//! `_NET_ACTIVE_WINDOW`), given back with `_NET_ACTIVE_WINDOW` when a window manager is
//! running and `SetInputFocus` when none is, and the digits are typed as XTEST key events —
//! real key presses to the receiving program, unlike `SendEvent`, which xterm and others
//! ignore. On Wayland no app may read or move the focus; the code is typed with `wtype`
//! (the virtual-keyboard protocol) where it is installed and the compositor offers it, and
//! otherwise the caller is told so and puts the code on the clipboard.
//!
//! Leaves out which code to type (the authenticator) and the quick-pick window.

use std::time::{Duration, Instant};

use x11rb::connection::{Connection, RequestConnection as _};
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, InputFocus, KeyButMask, Window,
    KEY_PRESS_EVENT, KEY_RELEASE_EVENT,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

/// How long to wait for the focus to come back, and for the user to let go of Shift (held
/// for Shift+Enter), before typing.
const SETTLE: Duration = Duration::from_millis(1500);
/// Pause between keys: some programs drop keys that arrive in the same instant.
const KEY_GAP: Duration = Duration::from_millis(4);
const XK_SHIFT_L: u32 = 0xffe1;

/// Why a code could not be typed.
#[derive(Debug, thiserror::Error)]
pub enum TypingError {
    #[error("{0}")]
    Unavailable(String),
}

/// The window to type into, as found when the quick-pick was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetWindow {
    /// The X11 top-level window (none on Wayland).
    x11: Option<Window>,
    pub title: Option<String>,
}

fn wayland_session() -> bool {
    let wayland = std::env::var("XDG_SESSION_TYPE").is_ok_and(|t| t == "wayland");
    wayland
        || (std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_some())
}

/// The window that has the focus now, if this desktop lets an app see it.
pub fn focused() -> Option<TargetWindow> {
    if wayland_session() {
        return Some(TargetWindow { x11: None, title: None });
    }
    let (conn, screen) = x11rb::connect(None).ok()?;
    let root = conn.setup().roots.get(screen)?.root;
    let window = active_window(&conn, root).or_else(|| {
        let focus = conn.get_input_focus().ok()?.reply().ok()?.focus;
        (focus > 1).then(|| top_level(&conn, root, focus))
    })?;
    Some(TargetWindow { x11: Some(window), title: title_of(&conn, root, window) })
}

/// Gives the focus to this process's window titled `title` once it is mapped (the quick-pick
/// just shown). GTK asks for the focus with the time of its last event, which the X server
/// ignores once anything moved the focus since (typing into another window does), and a
/// window manager may refuse a window that was not clicked; this asks as a pager does.
/// Returns whether the window has the focus.
pub fn focus_own_window(title: &str) -> bool {
    if wayland_session() {
        return false;
    }
    let Ok((conn, screen)) = x11rb::connect(None) else { return false };
    let Some(root) = conn.setup().roots.get(screen).map(|s| s.root) else { return false };
    let mut window = None;
    wait_for(|| {
        window = own_window(&conn, root, title);
        window.is_some()
    });
    let Some(window) = window else { return false };
    give_focus(&conn, root, window).is_ok() && wait_for(|| focus_is(&conn, root, window))
}

/// This process's mapped window titled `title`: a child of the root (no window manager) or of
/// a frame (with one), found by `_NET_WM_PID`.
fn own_window(conn: &RustConnection, root: Window, title: &str) -> Option<Window> {
    let pid_atom = atom(conn, "_NET_WM_PID")?;
    let pid = std::process::id();
    let mut candidates = conn.query_tree(root).ok()?.reply().ok()?.children;
    let frames = candidates.clone();
    for frame in frames {
        if let Some(tree) = conn.query_tree(frame).ok().and_then(|c| c.reply().ok()) {
            candidates.extend(tree.children);
        }
    }
    candidates.into_iter().find(|&w| {
        let owned = conn
            .get_property(false, w, pid_atom, AtomEnum::CARDINAL, 0, 1)
            .ok()
            .and_then(|c| c.reply().ok())
            .and_then(|r| r.value32().and_then(|mut v| v.next()))
            == Some(pid);
        let mapped = conn
            .get_window_attributes(w)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == x11rb::protocol::xproto::MapState::VIEWABLE);
        owned && mapped && title_of(conn, root, w).as_deref() == Some(title)
    })
}

/// Gives the focus back to `target` and types `text` (digits) into it.
pub fn type_into(target: &TargetWindow, text: &str) -> Result<(), TypingError> {
    match target.x11 {
        Some(window) => type_x11(window, text),
        None => type_wayland(text),
    }
}

fn type_wayland(text: &str) -> Result<(), TypingError> {
    // `-s 50` first: wtype's virtual keyboard is new to the compositor at each run, and a key
    // sent before the focused program has its keymap is dropped — on sway about every other
    // run lost the first digit, typing a wrong code (tests/wayland_typing.rs).
    let run = std::process::Command::new("wtype")
        .args(["-s", "50", "-d", "4", "--", text])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output();
    match run {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(TypingError::Unavailable(format!(
            "the compositor refused wtype: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Err(_) => Err(TypingError::Unavailable(
            "on Wayland typing needs wtype and a compositor with the virtual-keyboard protocol"
                .into(),
        )),
    }
}

fn x11_err(what: &str) -> impl Fn(&dyn std::fmt::Display) -> TypingError + '_ {
    move |e| TypingError::Unavailable(format!("{what}: {e}"))
}

fn type_x11(window: Window, text: &str) -> Result<(), TypingError> {
    let (conn, screen) =
        x11rb::connect(None).map_err(|e| x11_err("cannot reach the X display")(&e))?;
    let root = conn.setup().roots[screen].root;
    let failed = x11_err("the X server refused");
    conn.extension_information(x11rb::protocol::xtest::X11_EXTENSION_NAME)
        .map_err(|e| failed(&e))?
        .ok_or_else(|| TypingError::Unavailable("the X server has no XTEST extension".into()))?;
    let keys = keys_for(&conn, text)?;
    give_focus(&conn, root, window).map_err(|e| failed(&e))?;
    if !wait_for(|| focus_is(&conn, root, window)) {
        // Typing anyway could hand the code to whatever window has the focus now.
        return Err(TypingError::Unavailable(
            "the window you came from did not take the focus back".into(),
        ));
    }
    wait_for(|| modifiers_up(&conn, root));
    let shift = keycode_of(&conn, XK_SHIFT_L)?.map(|(code, _)| code);
    for (code, shifted) in keys {
        let shift = if shifted { shift } else { None };
        let press = |kind, key| conn.xtest_fake_input(kind, key, 0, root, 0, 0, 0).map(|_| ());
        let send = || -> Result<(), x11rb::errors::ConnectionError> {
            if let Some(s) = shift {
                press(KEY_PRESS_EVENT, s)?;
            }
            press(KEY_PRESS_EVENT, code)?;
            press(KEY_RELEASE_EVENT, code)?;
            if let Some(s) = shift {
                press(KEY_RELEASE_EVENT, s)?;
            }
            conn.flush()
        };
        send().map_err(|e| failed(&e))?;
        std::thread::sleep(KEY_GAP);
    }
    conn.get_input_focus().map_err(|e| failed(&e))?.reply().map_err(|e| failed(&e))?;
    Ok(())
}

/// The keycode of each character of `text` and whether it needs Shift on this layout.
fn keys_for(conn: &RustConnection, text: &str) -> Result<Vec<(u8, bool)>, TypingError> {
    text.chars()
        .map(|c| {
            keycode_of(conn, c as u32)?.ok_or_else(|| {
                TypingError::Unavailable(format!("the keyboard layout has no key for {c:?}"))
            })
        })
        .collect()
}

/// The keycode giving `keysym` (Latin-1 characters are their own keysym), and whether Shift
/// is needed for it (it is in the keycode's second column, as digits are on AZERTY).
fn keycode_of(conn: &RustConnection, keysym: u32) -> Result<Option<(u8, bool)>, TypingError> {
    let failed = x11_err("cannot read the keyboard map");
    let setup = conn.setup();
    let (min, max) = (setup.min_keycode, setup.max_keycode);
    let map = conn
        .get_keyboard_mapping(min, max - min + 1)
        .map_err(|e| failed(&e))?
        .reply()
        .map_err(|e| failed(&e))?;
    let per = usize::from(map.keysyms_per_keycode).max(1);
    for (i, syms) in map.keysyms.chunks(per).enumerate() {
        let code = min + i as u8;
        if syms.first() == Some(&keysym) {
            return Ok(Some((code, false)));
        }
        if syms.get(1) == Some(&keysym) {
            return Ok(Some((code, true)));
        }
    }
    Ok(None)
}

fn atom(conn: &RustConnection, name: &str) -> Option<u32> {
    conn.intern_atom(false, name.as_bytes()).ok()?.reply().ok().map(|r| r.atom)
}

/// The window manager's active window, when one runs and says.
fn active_window(conn: &RustConnection, root: Window) -> Option<Window> {
    let active = atom(conn, "_NET_ACTIVE_WINDOW")?;
    let reply =
        conn.get_property(false, root, active, AtomEnum::WINDOW, 0, 1).ok()?.reply().ok()?;
    let window = reply.value32()?.next();
    window.filter(|w| *w != 0)
}

/// The ancestor of `window` just below the root (the client's top-level without a window
/// manager, its frame with one).
fn top_level(conn: &RustConnection, root: Window, mut window: Window) -> Window {
    for _ in 0..64 {
        let Some(tree) = conn.query_tree(window).ok().and_then(|c| c.reply().ok()) else {
            break;
        };
        if tree.parent == root || tree.parent == 0 {
            break;
        }
        window = tree.parent;
    }
    window
}

/// The title of `window` or of the first window under it that has one (a frame's client).
fn title_of(conn: &RustConnection, root: Window, window: Window) -> Option<String> {
    let net_name = atom(conn, "_NET_WM_NAME")?;
    let utf8 = atom(conn, "UTF8_STRING")?;
    let mut queue = vec![window];
    let mut seen = 0;
    while let Some(w) = queue.pop() {
        seen += 1;
        if seen > 256 || w == root {
            break;
        }
        for (name, kind) in [(net_name, utf8), (AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())] {
            let value = conn
                .get_property(false, w, name, kind, 0, 1024)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|r| r.value)
                .unwrap_or_default();
            if !value.is_empty() {
                return Some(String::from_utf8_lossy(&value).into_owned());
            }
        }
        if let Some(tree) = conn.query_tree(w).ok().and_then(|c| c.reply().ok()) {
            queue.extend(tree.children);
        }
    }
    None
}

fn give_focus(
    conn: &RustConnection,
    root: Window,
    window: Window,
) -> Result<(), Box<dyn std::error::Error>> {
    let managed = atom(conn, "_NET_ACTIVE_WINDOW").filter(|_| active_window(conn, root).is_some());
    match managed {
        Some(active) => {
            // Source 2: a pager-like request, which window managers honour without
            // focus-stealing prevention.
            let event = ClientMessageEvent::new(32, window, active, [2, 0, 0, 0, 0]);
            let mask = EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY;
            conn.send_event(false, root, mask, event)?;
        }
        None => {
            conn.set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)?;
        }
    }
    conn.flush()?;
    Ok(())
}

fn focus_is(conn: &RustConnection, root: Window, window: Window) -> bool {
    let Some(focus) = conn.get_input_focus().ok().and_then(|c| c.reply().ok()) else {
        return false;
    };
    focus.focus > 1 && top_level(conn, root, focus.focus) == top_level(conn, root, window)
}

fn modifiers_up(conn: &RustConnection, root: Window) -> bool {
    let held = KeyButMask::SHIFT | KeyButMask::CONTROL | KeyButMask::MOD1 | KeyButMask::MOD4;
    conn.query_pointer(root)
        .ok()
        .and_then(|c| c.reply().ok())
        .is_some_and(|p| u16::from(p.mask) & u16::from(held) == 0)
}

/// Polls `ready` until it holds (true) or [`SETTLE`] passes (false).
fn wait_for(mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if ready() {
            return true;
        }
        if start.elapsed() >= SETTLE {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
