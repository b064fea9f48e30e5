//! The keyring side of the locked-keyring test: lock the session's login collection over the
//! Secret Service API, and answer gnome-keyring's unlock prompt (`gcr-prompter`, a real window
//! on the test display) the way a person does — pointer over it, then Escape, or the password
//! and Return — with `xdotool`, whose keystrokes go through the X server's XTEST extension like
//! a keyboard's. Also a screenshot of the whole display, to show the prompt beside the app.
//!
//! Leaves out what the app should show (the test checks that) and unlocking without the prompt
//! (gnome-keyring offers no supported way, and the prompt is what a user meets).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::desktop_session::{DesktopSession, KEYRING_PASSWORD};

/// Tools these helpers run (for [`crate::tools_present`]).
pub const KEYRING_PROMPT_TOOLS: &[&str] = &["xdotool", "dbus-send", "import"];

/// The title gnome-keyring's prompter gives the unlock window of the login keyring.
const PROMPT_TITLE: &str = "Unlock Login Keyring";

/// Lets gnome-keyring show its unlock prompt on the test display, as on a desktop: a login
/// session puts `DISPLAY` and friends into the session bus's activation environment, and
/// `gcr-prompter` is started by D-Bus activation with it. The test session's bus starts without
/// them, so without this every unlock is refused at once as if the prompt had been dismissed.
pub fn allow_unlock_prompts(session: &DesktopSession) {
    let pairs: Vec<String> = session
        .env()
        .into_iter()
        .filter(|(key, value)| key != "DBUS_SESSION_BUS_ADDRESS" && !value.is_empty())
        .map(|(key, value)| format!("{key},{value}"))
        .collect();
    let out = Command::new("timeout")
        .args(["20", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus"])
        .args(["/org/freedesktop/DBus", "org.freedesktop.DBus.UpdateActivationEnvironment"])
        .arg(format!("dict:string:string:{}", pairs.join(",")))
        .envs(session.env())
        .stdin(Stdio::null())
        .output()
        .expect("run dbus-send");
    assert!(
        out.status.success(),
        "UpdateActivationEnvironment failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Locks the login collection (where the app's items live) through the Secret Service API.
/// (`secret-tool lock` crashes on Debian 12's libsecret.)
pub fn lock_login_collection(session: &DesktopSession) {
    let out = Command::new("timeout")
        .args(["20", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets"])
        .args(["/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock"])
        .arg("array:objpath:/org/freedesktop/secrets/collection/login")
        .envs(session.env())
        .stdin(Stdio::null())
        .output()
        .expect("run dbus-send");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("collection/login"),
        "locking the login keyring failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn xdotool(session: &DesktopSession, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("20")
        .arg("xdotool")
        .args(args)
        .envs(session.env())
        .stdin(Stdio::null())
        .output()
        .expect("run xdotool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// gnome-keyring's unlock prompt, on screen.
pub struct UnlockPrompt<'a> {
    session: &'a DesktopSession,
    window: String,
}

impl<'a> UnlockPrompt<'a> {
    /// Waits (up to `within`) for the unlock prompt to be mapped; `None` if it never is.
    pub fn wait(session: &'a DesktopSession, within: Duration) -> Option<UnlockPrompt<'a>> {
        let deadline = Instant::now() + within;
        loop {
            let found = xdotool(session, &["search", "--onlyvisible", "--name", PROMPT_TITLE]);
            if let Some(window) = found.lines().map(str::trim).find(|l| !l.is_empty()) {
                // Mapped is not yet drawn, nor ready for keys.
                std::thread::sleep(Duration::from_millis(700));
                return Some(UnlockPrompt { session, window: window.to_string() });
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the prompt is still on screen.
    pub fn is_open(&self) -> bool {
        !xdotool(self.session, &["search", "--onlyvisible", "--name", PROMPT_TITLE])
            .trim()
            .is_empty()
    }

    /// Without a window manager the keyboard goes to the window under the pointer: put the
    /// pointer on the password field and click it.
    fn focus(&self) {
        xdotool(self.session, &["mousemove", "--window", &self.window, "300", "85", "click", "1"]);
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Presses Escape in the prompt (its Cancel) and waits for it to close.
    pub fn cancel(self) {
        self.focus();
        xdotool(self.session, &["key", "Escape"]);
        self.wait_closed();
    }

    /// Types the keyring's password and Return, and waits for the prompt to close.
    pub fn unlock(self) {
        self.focus();
        xdotool(self.session, &["type", "--delay", "30", KEYRING_PASSWORD]);
        xdotool(self.session, &["key", "Return"]);
        self.wait_closed();
    }

    fn wait_closed(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.is_open() {
            assert!(Instant::now() < deadline, "the unlock prompt did not close");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The whole test display (app, prompt and all) as `artifacts/NAME.png`, via ImageMagick's
/// `import`; the WebDriver screenshot shows only the app's web view.
pub fn display_screenshot(session: &DesktopSession, name: &str) -> PathBuf {
    let path = crate::artifacts::artifact_path(&format!("{name}.png"));
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .envs(session.env())
        .stdin(Stdio::null())
        .status()
        .expect("run import");
    assert!(status.success(), "import -window root failed");
    path
}
