//! The scanner's one error type. Messages are written for the person holding the camera or
//! choosing the file; they do not include decoder internals. "No code in the image" is not an
//! error: scans return an empty list for it.

use std::path::PathBuf;

/// Everything that can stop a scan before the decoder gets a frame.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("this file is not an image (or not a kind this app reads: PNG, JPEG, WebP or GIF)")]
    NotAnImage,

    #[error("image format {0} is not supported; use PNG, JPEG, WebP or GIF")]
    UnsupportedFormat(String),

    #[error("the image is {width}x{height} pixels, more than the {max_pixels}-pixel limit (or a side over {max_side} pixels); crop or shrink it first")]
    TooLarge { width: u32, height: u32, max_pixels: u64, max_side: u32 },

    #[error("the file is {size} bytes, more than the {max} bytes an image to scan may have")]
    FileTooLarge { size: u64, max: u64 },

    #[error("the image data is damaged and cannot be decoded: {0}")]
    Corrupt(String),

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("a frame of {width}x{height} pixels cannot hold {len} bytes")]
    BadFrame { width: u32, height: u32, len: usize },

    #[error("no screen to capture (no display is available: {0})")]
    NoDisplay(String),

    #[error("screen capture failed: {0}")]
    ScreenCapture(String),

    #[error("the clipboard is empty")]
    ClipboardEmpty,

    #[error("the clipboard holds no image (copy the QR code as an image, not as a file or text)")]
    ClipboardNoImage,

    #[error("cannot use the clipboard: {0}")]
    Clipboard(String),

    #[error("no camera was found")]
    NoCamera,

    #[error("camera {index} does not exist ({count} found)")]
    CameraNotFound { index: usize, count: usize },

    #[error("access to the camera was denied; allow this app to use the camera (on Linux: be in the `video` group)")]
    CameraDenied,

    #[error("the camera is in use by another program")]
    CameraBusy,

    #[error("camera error: {0}")]
    Camera(String),
}
