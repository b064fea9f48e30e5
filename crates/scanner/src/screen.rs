//! The screen as a frame source: captures every monitor with xcap (X11, Wayland via the
//! desktop portal, macOS, Windows) and decodes each capture thoroughly. It leaves out window
//! selection and region capture: a QR code anywhere on any screen is what users expect.

use crate::{decode, DecodeEffort, LumaFrame, ScanError};

/// Captures every monitor and returns the QR texts found on all of them, unique, in monitor
/// order. Errors only if no monitor could be captured at all; a failing second monitor does
/// not hide a code on the first.
pub fn scan_screen() -> Result<Vec<String>, ScanError> {
    let frames = capture_screens()?;
    let mut found: Vec<String> = Vec::new();
    for frame in &frames {
        for text in decode(frame, DecodeEffort::Thorough) {
            if !found.contains(&text) {
                found.push(text);
            }
        }
    }
    Ok(found)
}

/// Captures every monitor as a grayscale frame.
pub fn capture_screens() -> Result<Vec<LumaFrame>, ScanError> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        // xcap would otherwise try a made-up display name and report an X protocol error.
        return Err(ScanError::NoDisplay("neither DISPLAY nor WAYLAND_DISPLAY is set".into()));
    }
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
