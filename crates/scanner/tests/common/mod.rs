//! Helpers shared by the scanner's integration tests: QR images made with the `qrcode`
//! crate, in any format the `image` crate encodes.
#![allow(dead_code)]

pub mod xvfb;

use image::{GrayImage, ImageFormat, Luma};
use std::io::Cursor;

/// A QR code of `text` as a gray image, `scale` pixels per module, with a 4-module quiet zone.
pub fn qr_image(text: &str, scale: u32) -> GrayImage {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("text fits in a QR code");
    code.render::<Luma<u8>>().quiet_zone(true).module_dimensions(scale, scale).build()
}

/// Encodes a gray image in `format`.
pub fn encode(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        // The GIF and WebP encoders want colour input.
        ImageFormat::Gif | ImageFormat::WebP => image::DynamicImage::ImageLuma8(image.clone())
            .to_rgba8()
            .write_to(&mut out, format)
            .expect("encode"),
        _ => image.write_to(&mut out, format).expect("encode"),
    }
    out.into_inner()
}

/// Places several gray images side by side on a white canvas with a gap between them.
pub fn side_by_side(images: &[GrayImage], gap: u32) -> GrayImage {
    let width = images.iter().map(|i| i.width() + gap).sum::<u32>() + gap;
    let height = images.iter().map(|i| i.height()).max().unwrap_or(0) + 2 * gap;
    let mut canvas = GrayImage::from_pixel(width, height, Luma([255]));
    let mut x = gap;
    for img in images {
        image::imageops::overlay(&mut canvas, img, x as i64, gap as i64);
        x += img.width() + gap;
    }
    canvas
}

pub const URI: &str =
    "otpauth://totp/Twofold:alice@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Twofold";

/// True when the environment demands every external tool be present (CI), so tests fail
/// instead of skipping.
pub fn tools_required() -> bool {
    std::env::var_os("TWOFOLD_E2E_REQUIRE_TOOLS").is_some()
}
