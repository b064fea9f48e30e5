//! What the Authenticator-mode tests need besides the app: `oathtool` for every algorithm,
//! digit count and period (and HOTP), QR PNGs from `qrencode`, images put together with
//! ImageMagick (two QR codes side by side, a picture without one) and a huge PNG written row by
//! row, an image shown on the test display with ImageMagick's `display` (to scan from the
//! screen), the X clipboard read and offered with `xclip`, the importer fixtures, the vault's
//! metadata file, and the `twofold` CLI run with an isolated vault.
//! The checks themselves are the tests'.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::desktop_session::DesktopSession;
use crate::process::ChildGuard;

/// The tools these helpers run (for [`crate::tools_present`]).
pub const AUTHENTICATOR_TOOLS: &[&str] = &["oathtool", "qrencode", "display", "xclip", "xwininfo"];

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

/// ImageMagick's `convert`. Debian's is `/usr/bin/convert`; a `convert` earlier on PATH may be
/// a stand-in that is not ImageMagick (see TESTING-NOTES).
fn imagemagick_convert() -> PathBuf {
    let debian = PathBuf::from("/usr/bin/convert");
    if debian.is_file() {
        return debian;
    }
    crate::tools::find_program("convert").expect("ImageMagick's convert (package imagemagick)")
}

fn run_convert(args: &[&std::ffi::OsStr]) {
    let out = Command::new(imagemagick_convert()).args(args).output().expect("run convert");
    assert!(out.status.success(), "convert {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `left` and `right` side by side in one PNG (`convert LEFT RIGHT +append OUT`), the way a
/// page showing two QR codes looks in a screenshot.
pub fn side_by_side(left: &Path, right: &Path, out: &Path) {
    run_convert(&[left.as_os_str(), right.as_os_str(), "+append".as_ref(), out.as_os_str()]);
}

/// A 640x400 picture with no QR code in it (a gradient with a few shapes), as a PNG.
pub fn picture_without_qr(out: &Path) {
    run_convert(&[
        "-size".as_ref(),
        "640x400".as_ref(),
        "gradient:#cfe3ff-#1d3b6b".as_ref(),
        "-fill".as_ref(),
        "#f4b400".as_ref(),
        "-draw".as_ref(),
        "circle 180,200 260,200".as_ref(),
        "-fill".as_ref(),
        "white".as_ref(),
        "-draw".as_ref(),
        "rectangle 360,120 560,280".as_ref(),
        out.as_os_str(),
    ]);
}

/// A valid, all-white PNG of `width` x `height` pixels (1-bit grayscale), written one row at a
/// time, so even 20000x20000 costs a few kilobytes of memory and about 50 KB on disk.
pub fn blank_png(path: &Path, width: u32, height: u32) {
    let file = std::fs::File::create(path).expect("create png");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().expect("png header");
    let mut rows = writer.stream_writer().expect("png stream");
    let row = vec![0xFF_u8; width.div_ceil(8) as usize];
    for _ in 0..height {
        rows.write_all(&row).expect("png row");
    }
    rows.finish().expect("finish png");
}

/// Something offered on the test display's CLIPBOARD selection by `xclip`, for as long as this
/// value lives (on X11 the owner must stay alive to hand the data over when the app asks).
pub struct ClipboardOffer {
    _xclip: ChildGuard,
    _file: Option<tempfile::NamedTempFile>,
}

impl ClipboardOffer {
    /// A PNG image (target `image/png`), as a browser's "Copy image" offers it.
    pub fn image(session: &DesktopSession, png: &Path) -> ClipboardOffer {
        ClipboardOffer::start(session, png, "image/png", None)
    }

    /// Plain text (target `UTF8_STRING`).
    pub fn text(session: &DesktopSession, text: &str) -> ClipboardOffer {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write text");
        let path = file.path().to_path_buf();
        ClipboardOffer::start(session, &path, "UTF8_STRING", Some(file))
    }

    fn start(
        session: &DesktopSession,
        file: &Path,
        target: &str,
        keep: Option<tempfile::NamedTempFile>,
    ) -> ClipboardOffer {
        let mut cmd = Command::new("xclip");
        // -quiet keeps xclip in the foreground (it would otherwise fork away from the guard).
        cmd.args(["-quiet", "-selection", "clipboard", "-t", target, "-i"])
            .arg(file)
            .envs(session.env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut guard = ChildGuard::spawn("xclip", &mut cmd);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let targets = Command::new("timeout")
                .args(["5", "xclip", "-o", "-selection", "clipboard", "-t", "TARGETS"])
                .envs(session.env())
                .stdin(Stdio::null())
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            if targets.lines().any(|t| t.trim() == target) {
                break;
            }
            if let Some(status) = guard.exited() {
                panic!("xclip exited ({status}) before offering {target}");
            }
            assert!(std::time::Instant::now() < deadline, "the clipboard never offered {target}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        ClipboardOffer { _xclip: guard, _file: keep }
    }
}

/// Rows in the vault's account table (`TWOFOLD_VAULT_DIR/accounts.sqlite3`), read beside the
/// running app: what is really stored, whatever the screen shows.
pub fn stored_accounts(vault_dir: &Path) -> i64 {
    let path = vault_dir.join("accounts.sqlite3");
    if !path.exists() {
        return 0;
    }
    let conn = rusqlite::Connection::open(&path).expect("open the vault database");
    conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    conn.query_row("SELECT count(*) FROM accounts", [], |row| row.get(0)).expect("count accounts")
}

/// How many keyring items Twofold has in this session (`secret-tool search --all service
/// twofold`; secret-tool prints one `label = …` line per item, also for locked ones).
pub fn keyring_item_count(session: &DesktopSession) -> usize {
    session.keyring_search("twofold").lines().filter(|l| l.starts_with("label = ")).count()
}
