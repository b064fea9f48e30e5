//! The screen as a frame source: captures every monitor and decodes the captures, Fast on all
//! of them first. On Linux X11 sessions it reads the X server itself (`x11.rs`: one kept
//! connection, shared memory); elsewhere (Wayland via the desktop portal, macOS, Windows), and
//! whenever that path fails, it uses xcap. It leaves out window selection and region capture:
//! a QR code anywhere on any screen is what users expect.

use crate::{decode, DecodeEffort, LumaFrame, ScanError};

/// Captures every monitor and returns the QR texts found, unique, in monitor order. Errors
/// only if no monitor could be captured at all; a failing second monitor does not hide a code
/// on the first.
pub fn scan_screen() -> Result<Vec<String>, ScanError> {
    Ok(decode_screens(&capture_screens()?))
}

/// Decodes captured monitors: the Fast pass on every monitor first, and the other Thorough
/// passes only if no monitor showed a readable code. A rendered code on a screen is what the
/// Fast pass reads best, and running every retry on a first monitor without a code (about
/// 80 ms at 1920x1080) before looking at the second one would make the common case slow.
/// Public (hidden) so the benchmark times exactly what [`scan_screen`] does.
#[doc(hidden)]
pub fn decode_screens(frames: &[LumaFrame]) -> Vec<String> {
    fn add(found: &mut Vec<String>, texts: Vec<String>) {
        for text in texts {
            if !found.contains(&text) {
                found.push(text);
            }
        }
    }
    let mut found = Vec::new();
    for frame in frames {
        add(&mut found, decode(frame, DecodeEffort::Fast));
    }
    if found.is_empty() {
        for frame in frames {
            add(&mut found, crate::decode::decode_thorough_retries(frame));
        }
    }
    found
}

/// Which capture implementation to use. Not a stable API: for the benchmark and tests.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenBackend {
    /// Our X11 capture on a Linux X11 session, falling back to xcap; xcap elsewhere.
    Auto,
    /// Our X11 capture only (Linux); an error where it is not built or cannot run.
    X11,
    /// xcap only.
    Xcap,
}

/// Captures every monitor as a grayscale frame.
pub fn capture_screens() -> Result<Vec<LumaFrame>, ScanError> {
    capture_screens_with(ScreenBackend::Auto)
}

/// [`capture_screens`] with a chosen implementation (for the benchmark and tests).
#[doc(hidden)]
pub fn capture_screens_with(backend: ScreenBackend) -> Result<Vec<LumaFrame>, ScanError> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        // xcap would otherwise try a made-up display name and report an X protocol error.
        return Err(ScanError::NoDisplay("neither DISPLAY nor WAYLAND_DISPLAY is set".into()));
    }
    match backend {
        ScreenBackend::Xcap => capture_xcap(),
        ScreenBackend::X11 => capture_x11(),
        ScreenBackend::Auto if !x11_session() => capture_xcap(),
        // xcap reads pixel formats ours does not; if it fails too, our error is the one to
        // show (it says what the X server refused, where xcap's is generic).
        ScreenBackend::Auto => capture_x11().or_else(|e| capture_xcap().map_err(|_| e)),
    }
}

/// An X11 session: DISPLAY set and no Wayland compositor. Under Wayland, XWayland's root
/// window shows only X clients (native windows are black), so xcap's portal capture is the
/// one that sees the screen; xcap makes the same test.
fn x11_session() -> bool {
    let wayland = std::env::var_os("XDG_SESSION_TYPE").is_some_and(|t| t == "wayland")
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    cfg!(target_os = "linux") && std::env::var_os("DISPLAY").is_some() && !wayland
}

#[cfg(target_os = "linux")]
fn capture_x11() -> Result<Vec<LumaFrame>, ScanError> {
    crate::x11::capture_screens().map_err(|e| match e {
        crate::x11::X11Error::Connect(_) => ScanError::NoDisplay(e.to_string()),
        _ => ScanError::ScreenCapture(e.to_string()),
    })
}

#[cfg(not(target_os = "linux"))]
fn capture_x11() -> Result<Vec<LumaFrame>, ScanError> {
    Err(ScanError::NoDisplay("the X11 capture is only built on Linux".into()))
}

fn capture_xcap() -> Result<Vec<LumaFrame>, ScanError> {
    let monitors = xcap::Monitor::all().map_err(|e| ScanError::NoDisplay(e.to_string()))?;
    if monitors.is_empty() {
        return Err(ScanError::NoDisplay("the system reports no monitor".into()));
    }
    let mut frames = Vec::with_capacity(monitors.len());
    let mut last_error = None;
    for monitor in &monitors {
        match monitor.capture_image() {
            Ok(img) => {
                let (w, h) = img.dimensions();
                match LumaFrame::from_rgba(w, h, img.as_raw()) {
                    Ok(f) => frames.push(f),
                    Err(e) => last_error = Some(e),
                }
            }
            Err(e) => last_error = Some(ScanError::ScreenCapture(e.to_string())),
        }
    }
    match (frames.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(ScanError::NoDisplay("no monitor could be captured".into())),
        _ => Ok(frames),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "otpauth://totp/Twofold:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Twofold";

    /// A 640x480 "monitor": a QR code at 4 px per module (dark on light, or inverted, as in a
    /// dark theme) on a white screen, or a blank white screen.
    fn monitor(code: Option<bool>) -> LumaFrame {
        let (w, h) = (640u32, 480u32);
        let mut data = vec![255u8; (w * h) as usize];
        if let Some(inverted) = code {
            let qr = qrcode::QrCode::new(TEXT.as_bytes()).unwrap();
            let img =
                qr.render::<image::Luma<u8>>().quiet_zone(true).module_dimensions(4, 4).build();
            for (x, y, p) in img.enumerate_pixels() {
                let v = if inverted { 255 - p.0[0] } else { p.0[0] };
                data[((y + 40) * w + x + 40) as usize] = v;
            }
        }
        LumaFrame::new(w, h, data).unwrap()
    }

    #[test]
    fn screen_decode_reads_a_code_on_the_second_monitor() {
        let frames = [monitor(None), monitor(Some(false))];
        assert_eq!(decode_screens(&frames), vec![TEXT.to_string()]);
    }

    #[test]
    fn screen_decode_runs_the_thorough_retries_when_no_monitor_has_a_fast_read() {
        let frames = [monitor(None), monitor(Some(true))];
        // The precondition that makes this test mean something: Fast cannot read it.
        assert!(decode(&frames[1], DecodeEffort::Fast).is_empty());
        assert_eq!(decode_screens(&frames), vec![TEXT.to_string()]);
    }

    #[test]
    fn screen_decode_of_blank_monitors_is_empty() {
        assert_eq!(decode_screens(&[monitor(None), monitor(None)]), Vec::<String>::new());
        assert_eq!(decode_screens(&[]), Vec::<String>::new());
    }
}
