//! The clipboard as a frame source: an image copied from a browser, a screenshot tool or an
//! image viewer (arboard gives it as RGBA). It leaves out text on the clipboard: an
//! `otpauth://` URI copied as text is the caller's to read, not a QR scan.

use crate::{decode, DecodeEffort, LumaFrame, ScanError};

/// Decodes every QR code in the image on the clipboard (thorough effort).
pub fn scan_clipboard() -> Result<Vec<String>, ScanError> {
    let frame = clipboard_frame()?;
    Ok(decode(&frame, DecodeEffort::Thorough))
}

/// Reads the clipboard image as a grayscale frame.
pub fn clipboard_frame() -> Result<LumaFrame, ScanError> {
    let mut clipboard = arboard::Clipboard::new().map_err(map_error)?;
    let image = match clipboard.get_image() {
        Ok(image) => image,
        // arboard says the same thing for "empty" and "not an image"; the user needs to
        // know which, so look for text before answering.
        Err(arboard::Error::ContentNotAvailable) => {
            return Err(match clipboard.get_text() {
                Ok(text) if !text.is_empty() => ScanError::ClipboardNoImage,
                _ => ScanError::ClipboardEmpty,
            })
        }
        Err(e) => return Err(map_error(e)),
    };
    let (w, h) = (image.width as u64, image.height as u64);
    if w * h > crate::MAX_IMAGE_PIXELS
        || w > crate::MAX_IMAGE_SIDE as u64
        || h > crate::MAX_IMAGE_SIDE as u64
    {
        return Err(ScanError::TooLarge {
            width: u32::try_from(w).unwrap_or(u32::MAX),
            height: u32::try_from(h).unwrap_or(u32::MAX),
            max_pixels: crate::MAX_IMAGE_PIXELS,
            max_side: crate::MAX_IMAGE_SIDE,
        });
    }
    LumaFrame::from_rgba(w as u32, h as u32, &image.bytes)
}

fn map_error(e: arboard::Error) -> ScanError {
    match e {
        arboard::Error::ContentNotAvailable => ScanError::ClipboardNoImage,
        arboard::Error::ClipboardNotSupported => {
            ScanError::NoDisplay("this session has no clipboard".into())
        }
        other => ScanError::Clipboard(other.to_string()),
    }
}
