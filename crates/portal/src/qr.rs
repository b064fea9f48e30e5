//! Renders an otpauth URI as a PNG QR code for the activation page.

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

/// PNG bytes of `text` as a QR code with a quiet zone, scaled for phone cameras.
pub fn png(text: &str) -> Result<Vec<u8>, String> {
    // Medium error correction: a phone photo of a screen is clean enough, and a smaller
    // symbol has bigger modules, which scans from further away.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| e.to_string())?;
    let img = code.render::<Luma<u8>>().module_dimensions(6, 6).quiet_zone(true).build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}
