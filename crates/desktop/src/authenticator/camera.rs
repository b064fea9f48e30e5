//! The webcam scan as the UI drives it: list cameras, start one with a live preview, stop at
//! the first code (then offer it like any other scan), or stop when the dialog closes. Events
//! go to a sink the app provides (a Tauri channel): small grayscale preview frames, at most
//! [`PREVIEW_FPS`] a second and at most [`PREVIEW_WIDTH`] wide, then the result.
//!
//! Leaves out capturing and decoding (twofold-scanner's `CameraScan`) and drawing the preview.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Serialize;
use twofold_scanner::camera::{self, CameraScan};
use twofold_scanner::LumaFrame;

use super::error::{AuthError, Result};
use super::service::{Authenticator, Offer};

/// Preview frames sent per second (the decoder still sees every frame).
pub const PREVIEW_FPS: u32 = 15;
/// Widest preview frame sent to the UI, in pixels.
pub const PREVIEW_WIDTH: u32 = 480;

/// A camera the user can pick.
#[derive(Clone, Debug, Serialize)]
pub struct CameraChoice {
    pub index: u32,
    pub name: String,
}

/// What the webcam scan tells the UI.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CameraEvent {
    /// A preview frame: `width * height` gray bytes, base64.
    Frame { width: u32, height: u32, pixels: String },
    /// A QR code was read; the scan has stopped.
    Found { offer: Offer },
    /// The scan stopped on an error (also: the code read is not an authenticator code).
    Failed { error: AuthError },
}

pub type CameraSink = Arc<dyn Fn(CameraEvent) + Send + Sync>;

/// The running scan, if any.
#[derive(Default)]
pub(crate) struct CameraSlot(Mutex<Option<CameraScan>>);

impl Authenticator {
    /// The cameras present; empty when there is none (the UI says so).
    pub fn cameras(&self) -> Result<Vec<CameraChoice>> {
        Ok(camera::list()?
            .into_iter()
            .map(|c| CameraChoice { index: c.index, name: c.name })
            .collect())
    }

    /// Starts camera `index` (stopping a scan already running). Fails at once, with the
    /// reason, when there is no camera, access is denied or it is busy.
    pub fn camera_start(&self, index: u32, sink: CameraSink) -> Result<()> {
        self.camera_stop();
        let mut last_sent: Option<Instant> = None;
        let frame_sink = Arc::clone(&sink);
        let on_frame = move |frame: &LumaFrame| {
            let due = last_sent
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(1000 / PREVIEW_FPS as u64));
            if due {
                last_sent = Some(Instant::now());
                frame_sink(preview_frame(frame));
            }
        };
        let this = self.clone();
        let on_code = move |texts: Vec<String>| {
            let event = match this.offer_camera(texts) {
                Ok(offer) => CameraEvent::Found { offer },
                Err(error) => CameraEvent::Failed { error },
            };
            sink(event);
        };
        let scan = CameraScan::start(index, on_frame, on_code)?;
        *self.inner.camera.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(scan);
        Ok(())
    }

    /// Stops the webcam (its light goes off); nothing happens if none is running.
    pub fn camera_stop(&self) {
        // Taken out first: stopping joins the capture thread, whose code callback needs the
        // vault and pending locks, never this one.
        let scan = self.inner.camera.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(scan) = scan {
            let _ = scan.stop();
        }
    }

    fn offer_camera(&self, texts: Vec<String>) -> Result<Offer> {
        let found = super::found::accounts_from_texts(&texts);
        if found.accounts.is_empty() && found.skipped.is_empty() {
            return Err(AuthError::NotAuthenticatorCode { found: found.ignored });
        }
        self.offer(found, super::preview::Source::Camera, None)
    }
}

/// `frame` shrunk (nearest pixel) to at most [`PREVIEW_WIDTH`] wide, as an event.
pub fn preview_frame(frame: &LumaFrame) -> CameraEvent {
    let (w, h) = (frame.width().max(1), frame.height().max(1));
    let step = w.div_ceil(PREVIEW_WIDTH).max(1);
    let (pw, ph) = (w / step, h / step);
    let data = frame.data();
    let mut pixels = Vec::with_capacity((pw * ph) as usize);
    for y in 0..ph {
        let row = (y * step * w) as usize;
        for x in 0..pw {
            pixels.push(data.get(row + (x * step) as usize).copied().unwrap_or(0));
        }
    }
    CameraEvent::Frame {
        width: pw,
        height: ph,
        pixels: base64::engine::general_purpose::STANDARD.encode(pixels),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_720p_frame_is_previewed_at_most_480_pixels_wide() {
        let frame = LumaFrame::new(1280, 720, vec![128; 1280 * 720]).unwrap();
        let CameraEvent::Frame { width, height, pixels } = preview_frame(&frame) else {
            panic!("not a frame")
        };
        assert!(width <= PREVIEW_WIDTH && width > 0);
        assert_eq!((width, height), (426, 240));
        let bytes = base64::engine::general_purpose::STANDARD.decode(pixels).unwrap();
        assert_eq!(bytes.len(), (width * height) as usize);
    }
}
