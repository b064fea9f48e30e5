//! The webcam as a frame source (nokhwa: Video4Linux, AVFoundation, Media Foundation): list
//! cameras, and stream one camera on a background thread, handing each grayscale frame to a
//! preview callback and decoding it with the fast effort until the first code is found. It
//! leaves out drawing the preview, choosing a camera for the user, and camera controls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};
use nokhwa::{Camera, NokhwaError};

use crate::{decode, DecodeEffort, LumaFrame, ScanError};

/// A camera as the system lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraInfo {
    /// What [`CameraScan::start`] takes.
    pub index: u32,
    pub name: String,
    pub description: String,
}

/// Lists the cameras; an empty list is not an error (the caller shows "no camera").
pub fn list() -> Result<Vec<CameraInfo>, ScanError> {
    let cameras = nokhwa::query(ApiBackend::Auto).map_err(map_error)?;
    Ok(cameras
        .into_iter()
        .filter_map(|c| {
            Some(CameraInfo {
                // Only numbered cameras can be reopened by index; the native backends on
                // every supported OS number theirs.
                index: c.index().as_index().ok()?,
                name: c.human_name(),
                description: c.description().to_owned(),
            })
        })
        .collect())
}

/// A running webcam scan. Frames are read and decoded on a background thread; the scan
/// ends by itself after the first frame with a code, on a camera error, or on [`stop`].
///
/// [`stop`]: CameraScan::stop
pub struct CameraScan {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), ScanError>>>,
}

impl CameraScan {
    /// Opens camera `index` and starts streaming. `on_frame` sees every frame (for a
    /// preview; keep it quick, it runs on the capture thread), `on_code` is called once with
    /// the texts of the first frame that holds any QR code, and the scan then stops.
    ///
    /// Errors (returned here, before any frame): [`ScanError::NoCamera`] when the system has
    /// none, [`ScanError::CameraNotFound`] for a bad index, [`ScanError::CameraDenied`]
    /// when the OS refuses access, [`ScanError::CameraBusy`] when another program has it.
    pub fn start(
        index: u32,
        on_frame: impl FnMut(&LumaFrame) + Send + 'static,
        on_code: impl FnOnce(Vec<String>) + Send + 'static,
    ) -> Result<Self, ScanError> {
        let cameras = list()?;
        if cameras.is_empty() {
            return Err(ScanError::NoCamera);
        }
        if !cameras.iter().any(|c| c.index == index) {
            return Err(ScanError::CameraNotFound { index: index as usize, count: cameras.len() });
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (opened_tx, opened_rx) = mpsc::channel();
        let thread_stop = Arc::clone(&stop);
        // The camera is opened on its own thread because nokhwa's `Camera` is not `Send` on
        // every backend; the open result comes back over a channel so that start() can
        // still report a denied or busy camera synchronously.
        let thread = std::thread::Builder::new()
            .name("twofold-camera".into())
            .spawn(move || run(index, thread_stop, opened_tx, on_frame, on_code))
            .map_err(|e| ScanError::Camera(format!("cannot start the capture thread: {e}")))?;
        match opened_rx.recv() {
            Ok(Ok(())) => Ok(Self { stop, thread: Some(thread) }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                // The thread died before reporting: it panicked inside the camera backend.
                let _ = thread.join();
                Err(ScanError::Camera("the camera backend crashed while opening".into()))
            }
        }
    }

    /// True once the scan has ended (code found, error, or stopped).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the stream, waits for the capture thread (at most about one frame time), and
    /// reports a camera error that ended the scan early, if any.
    pub fn stop(mut self) -> Result<(), ScanError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ScanError> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ScanError::Camera("the camera backend crashed".into())),
            None => Ok(()),
        }
    }
}

impl Drop for CameraScan {
    fn drop(&mut self) {
        // Dropping without stop() must still release the camera (its light goes off).
        let _ = self.shutdown();
    }
}

fn run(
    index: u32,
    stop: Arc<AtomicBool>,
    opened: mpsc::Sender<Result<(), ScanError>>,
    on_frame: impl FnMut(&LumaFrame),
    on_code: impl FnOnce(Vec<String>),
) -> Result<(), ScanError> {
    let mut camera = match open(index) {
        Ok(c) => c,
        Err(e) => {
            let _ = opened.send(Err(e));
            return Ok(());
        }
    };
    let _ = opened.send(Ok(()));
    let result = scan_frames(
        || {
            let image =
                camera.frame().and_then(|b| b.decode_image::<LumaFormat>()).map_err(map_error)?;
            let (w, h) = image.dimensions();
            LumaFrame::new(w, h, image.into_raw())
        },
        &stop,
        on_frame,
        on_code,
    );
    // nokhwa's Drop for Camera unwraps stop_stream(); stop it ourselves first so a failing
    // stop is an ignored error here rather than a panic in drop.
    let _ = camera.stop_stream();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(camera)));
    result
}

/// The scan loop, apart from the camera so it can be checked with known frames: each frame
/// goes to the preview, then to the Fast decoder; the first frame with a code hands its texts
/// to `on_code` and ends the loop. A frame error ends it with that error; `stop` ends it
/// between frames.
fn scan_frames(
    mut next_frame: impl FnMut() -> Result<LumaFrame, ScanError>,
    stop: &AtomicBool,
    mut on_frame: impl FnMut(&LumaFrame),
    on_code: impl FnOnce(Vec<String>),
) -> Result<(), ScanError> {
    while !stop.load(Ordering::SeqCst) {
        let frame = next_frame()?;
        on_frame(&frame);
        let codes = decode(&frame, DecodeEffort::Fast);
        if !codes.is_empty() {
            on_code(codes);
            return Ok(());
        }
    }
    Ok(())
}

fn open(index: u32) -> Result<Camera, ScanError> {
    // 1280x720 is plenty for a QR code held up to a webcam and keeps the per-frame decode in
    // the few-millisecond range; cameras without it get the closest they have.
    let preferred = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(
        CameraFormat::new_from(1280, 720, FrameFormat::MJPEG, 30),
    ));
    let mut camera = Camera::new(CameraIndex::Index(index), preferred)
        .or_else(|_| {
            Camera::new(
                CameraIndex::Index(index),
                RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate),
            )
        })
        .map_err(map_error)?;
    camera.open_stream().map_err(map_error)?;
    Ok(camera)
}

/// nokhwa reports OS errors as text only, so the OS's own wording is what tells a denied
/// or busy device from other failures.
fn map_error(e: NokhwaError) -> ScanError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("permission denied")
        || lower.contains("os error 13")
        || lower.contains("access denied")
        || lower.contains("not authorized")
    {
        ScanError::CameraDenied
    } else if lower.contains("device or resource busy") || lower.contains("os error 16") {
        ScanError::CameraBusy
    } else if lower.contains("no such file or directory") || lower.contains("os error 2)") {
        ScanError::NoCamera
    } else {
        ScanError::Camera(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "otpauth://totp/Webcam:alice?secret=JBSWY3DPEHPK3PXP&issuer=Webcam";

    fn blank() -> LumaFrame {
        LumaFrame::new(320, 240, vec![200; 320 * 240]).unwrap()
    }

    fn with_code() -> LumaFrame {
        let qr = qrcode::QrCode::new(TEXT.as_bytes()).unwrap();
        let img = qr.render::<image::Luma<u8>>().quiet_zone(true).module_dimensions(4, 4).build();
        let (w, h) = img.dimensions();
        LumaFrame::new(w, h, img.into_raw()).unwrap()
    }

    /// Feeds `frames` in order, then fails as an unplugged camera would.
    fn feed(frames: Vec<LumaFrame>) -> impl FnMut() -> Result<LumaFrame, ScanError> {
        let mut frames = frames.into_iter();
        move || frames.next().ok_or(ScanError::Camera("unplugged".into()))
    }

    #[test]
    fn every_frame_is_previewed_and_the_scan_stops_at_the_first_code() {
        let stop = AtomicBool::new(false);
        let (mut previewed, mut found) = (0, Vec::new());
        let result = scan_frames(
            feed(vec![blank(), blank(), with_code(), with_code(), blank()]),
            &stop,
            |_| previewed += 1,
            |texts| found.push(texts),
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(previewed, 3, "frames after the code are not read");
        assert_eq!(found, vec![vec![TEXT.to_string()]], "the code is handed over once");
    }

    #[test]
    fn a_camera_error_ends_the_scan_with_that_error_and_no_code() {
        let stop = AtomicBool::new(false);
        let mut found = 0;
        let result = scan_frames(feed(vec![blank()]), &stop, |_| {}, |_| found += 1);
        assert!(matches!(result, Err(ScanError::Camera(ref m)) if m == "unplugged"), "{result:?}");
        assert_eq!(found, 0);
    }

    #[test]
    fn a_stop_request_ends_the_scan_before_the_next_frame() {
        let stop = AtomicBool::new(true);
        let mut previewed = 0;
        let result = scan_frames(feed(vec![with_code()]), &stop, |_| previewed += 1, |_| {});
        assert!(result.is_ok());
        assert_eq!(previewed, 0);
    }
}
