//! What the Authenticator-mode tests need besides the app: `oathtool` for every algorithm,
//! digit count and period (and HOTP), QR PNGs from `qrencode`, an image shown on the test
//! display with ImageMagick's `display` (to scan from the screen), the X clipboard read with
//! `xclip`, the importer fixtures, and the `twofold` CLI run with an isolated vault.
//! The checks themselves are the tests'.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::desktop_session::DesktopSession;
use crate::process::ChildGuard;

/// The tools these helpers run (for [`crate::tools_present`]).
pub const AUTHENTICATOR_TOOLS: &[&str] = &["oathtool", "qrencode", "display", "xclip"];

/// One account's parameters, as oathtool takes them.
#[derive(Clone, Debug)]
pub struct OathParams<'a> {
    pub secret_b32: &'a str,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: &'a str,
    pub digits: u32,
    /// TOTP period; `None` for HOTP.
    pub period: Option<u64>,
}

/// oathtool's TOTP code at `unix`.
pub fn oathtool_totp_at(p: &OathParams, unix: u64) -> String {
    let period = p.period.expect("a TOTP account has a period");
    oathtool(&[
        &format!("--totp={}", p.algorithm.to_ascii_lowercase()),
        "--base32",
        &format!("--digits={}", p.digits),
        &format!("--time-step-size={period}s"),
        &format!("--now=@{unix}"),
        p.secret_b32,
    ])
}

/// oathtool's HOTP code for `counter`.
pub fn oathtool_hotp(p: &OathParams, counter: u64) -> String {
    oathtool(&[
        "--hotp",
        "--base32",
        &format!("--digits={}", p.digits),
        &format!("--counter={counter}"),
        p.secret_b32,
    ])
}

fn oathtool(args: &[&str]) -> String {
    let out = Command::new("oathtool").args(args).output().expect("run oathtool");
    assert!(out.status.success(), "oathtool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every TOTP code oathtool gives between `from` and `to` (inclusive): a code read from the
/// screen between those two instants must be one of them, whatever period boundary passed.
pub fn oathtool_totp_between(p: &OathParams, from: u64, to: u64) -> Vec<String> {
    let period = p.period.expect("TOTP");
    let mut codes = Vec::new();
    let mut t = from;
    loop {
        codes.push(oathtool_totp_at(p, t));
        let next = (t / period + 1) * period;
        if next > to {
            break;
        }
        t = next;
    }
    codes
}

/// Writes a QR code of `text` as a PNG (`scale` pixels per module, 4-module quiet zone).
pub fn qr_png(text: &str, path: &Path, scale: u32) {
    let status = Command::new("qrencode")
        .args(["-o"])
        .arg(path)
        .args(["-s", &scale.to_string(), "-m", "4", "-l", "M"])
        .arg(text)
        .status()
        .expect("run qrencode");
    assert!(status.success(), "qrencode failed");
}

/// An image shown in its own window on the session's display, at `x`,`y`; closed on drop.
pub struct ShownImage {
    _display: ChildGuard,
}

impl ShownImage {
    /// Opens `png` with ImageMagick's `display` and waits until its window is mapped.
    pub fn show(session: &DesktopSession, png: &Path, x: u32, y: u32) -> ShownImage {
        let title = format!("twofold-test-{}", std::process::id());
        let mut cmd = Command::new("display");
        cmd.args(["-geometry", &format!("+{x}+{y}"), "-title", &title, "-borderwidth", "0"])
            .arg(png)
            .envs(session.env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let guard = ChildGuard::spawn("display", &mut cmd);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let tree = Command::new("xwininfo")
                .args(["-root", "-tree"])
                .envs(session.env())
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            if tree.contains(&title) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the image window never appeared");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // Mapped is not yet drawn: give the X server a moment to paint the image.
        std::thread::sleep(std::time::Duration::from_millis(500));
        ShownImage { _display: guard }
    }
}

/// The text on the session's CLIPBOARD selection (empty if none).
pub fn clipboard_text(session: &DesktopSession) -> String {
    let out = Command::new("timeout")
        .args(["10", "xclip", "-o", "-selection", "clipboard"])
        .envs(session.env())
        .stdin(Stdio::null())
        .output()
        .expect("run xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `../shared/corpus/imports/NAME`.
pub fn import_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/imports").join(name)
}

/// `../shared/corpus/imports/expected.json`.
pub fn expected_imports() -> serde_json::Value {
    let text =
        std::fs::read_to_string(import_fixture("expected.json")).expect("read expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Runs `twofold ARGS…` with `env` added and `stdin` fed; returns its output.
pub fn twofold_cli(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(crate::app::app_binary());
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run twofold");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait for twofold")
}
