//! Still images as a frame source: files and in-memory bytes (PNG, JPEG, WebP, GIF). Sizes
//! are checked from the header before any pixel is decoded, so a hostile or absurd image is
//! refused without allocating for it. It leaves out decoding QR codes (see `decode`).

use std::io::{Cursor, Read};
use std::path::Path;

use image::{ImageError, ImageFormat, ImageReader, Limits};

use crate::{decode, DecodeEffort, LumaFrame, ScanError};

/// Largest image accepted, in pixels: a 48-megapixel phone photo (8000x6000) fits; the
/// decoded RGBA copy of the limit is 200 MB, which is as much as a desktop app should take.
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;
/// Longest side accepted, so that a 1x50_000_000 "image" is refused too.
pub const MAX_IMAGE_SIDE: u32 = 20_000;
/// Largest file read into memory. Compressed images of the pixel limit are far smaller.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// Still images bigger than this on their longer side are shrunk before decoding: past it
/// the thorough retries cost seconds while a QR code meant to be scanned stays readable.
const DECODE_MAX_SIDE: u32 = 4096;

/// Decodes every QR code in an encoded image (thorough effort).
pub fn scan_image_bytes(bytes: &[u8]) -> Result<Vec<String>, ScanError> {
    let frame = load_image_bytes(bytes)?;
    Ok(decode(&frame, DecodeEffort::Thorough))
}

/// Decodes every QR code in an image file (thorough effort).
pub fn scan_file(path: impl AsRef<Path>) -> Result<Vec<String>, ScanError> {
    let frame = load_image_file(path)?;
    Ok(decode(&frame, DecodeEffort::Thorough))
}

/// Reads an image file into a grayscale frame, refusing oversized files and images.
pub fn load_image_file(path: impl AsRef<Path>) -> Result<LumaFrame, ScanError> {
    let path = path.as_ref();
    let io_err = |source| ScanError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ScanError::FileTooLarge { size, max: MAX_FILE_BYTES });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // take() guards against a file that grows while we read it.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScanError::FileTooLarge { size: bytes.len() as u64, max: MAX_FILE_BYTES });
    }
    load_image_bytes(&bytes)
}

/// Decodes encoded image bytes into a grayscale frame, refusing oversized images before
/// decoding their pixels.
pub fn load_image_bytes(bytes: &[u8]) -> Result<LumaFrame, ScanError> {
    let format = image::guess_format(bytes).map_err(|_| ScanError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(ScanError::UnsupportedFormat(
            format.extensions_str().first().unwrap_or(&"?").to_uppercase(),
        ));
    }
    // Only the header is parsed here.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(map_image_error)?;
    check_size(width, height)?;

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Belt and braces: the header said the size is fine, but a decoder must not be talked
    // into allocating more than that (e.g. a GIF whose frames are bigger than its canvas).
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(map_image_error)?;
    let frame = LumaFrame::from_image(&image);
    drop(image);
    Ok(shrink_for_decoding(frame))
}

fn check_size(width: u32, height: u32) -> Result<(), ScanError> {
    if width as u64 * height as u64 > MAX_IMAGE_PIXELS
        || width > MAX_IMAGE_SIDE
        || height > MAX_IMAGE_SIDE
    {
        return Err(ScanError::TooLarge {
            width,
            height,
            max_pixels: MAX_IMAGE_PIXELS,
            max_side: MAX_IMAGE_SIDE,
        });
    }
    Ok(())
}

fn shrink_for_decoding(frame: LumaFrame) -> LumaFrame {
    let longest = frame.width().max(frame.height());
    if longest <= DECODE_MAX_SIDE {
        return frame;
    }
    let factor = longest.div_ceil(DECODE_MAX_SIDE);
    frame.downscale(factor).unwrap_or(frame)
}

fn map_image_error(e: ImageError) -> ScanError {
    match e {
        ImageError::Unsupported(u) => ScanError::UnsupportedFormat(u.to_string()),
        ImageError::Limits(l) => ScanError::Corrupt(format!("over the size limit: {l}")),
        ImageError::IoError(e) => ScanError::Corrupt(e.to_string()),
        other => ScanError::Corrupt(other.to_string()),
    }
}
