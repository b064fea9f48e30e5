//! Twofold's QR scanner: turns a frame source (image file or bytes, clipboard, every screen,
//! webcam) into a grayscale [`LumaFrame`] and decodes every QR code in it to raw text with
//! rxing. It leaves out what the text means: checking it is an `otpauth://` URI is the
//! caller's job (`twofold_core`'s parser), as is storing anything.
//!
//! | source | call | effort |
//! |---|---|---|
//! | image file / bytes (PNG, JPEG, WebP, GIF) | [`scan_file`], [`scan_image_bytes`] | Thorough |
//! | clipboard image | [`scan_clipboard`] | Thorough |
//! | every monitor | [`scan_screen`] | Fast on every monitor, then Thorough |
//! | webcam stream | [`camera::list`], [`camera::CameraScan::start`] | Fast, per frame |
//! | a frame you already have | [`decode`] with [`DecodeEffort`] | either |
//!
//! "No code" is `Ok(vec![])`, never an error; errors ([`ScanError`]) are reasons the image
//! could not be looked at. Decoder panics are caught and count as "no code".

pub mod camera;
mod clipboard;
mod decode;
mod error;
mod frame;
mod image_source;
mod screen;
#[cfg(target_os = "linux")]
mod x11;

pub use clipboard::{clipboard_frame, scan_clipboard};
pub use decode::{decode, DecodeEffort};
// Tuning knobs for the benchmark examples; not a stable API.
#[doc(hidden)]
pub use decode::{run_pass, Detector, Pass, Prep, Threshold, FAST_PASSES, THOROUGH_PASSES};
pub use error::ScanError;
pub use frame::LumaFrame;
pub use image_source::{
    load_image_bytes, load_image_file, scan_file, scan_image_bytes, MAX_FILE_BYTES,
    MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE,
};
pub use screen::{capture_screens, scan_screen};
// For the benchmark and tests; not a stable API.
#[doc(hidden)]
pub use frame::Pixel32;
#[doc(hidden)]
pub use screen::{capture_screens_with, decode_screens, ScreenBackend};
