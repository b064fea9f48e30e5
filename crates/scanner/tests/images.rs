//! Still-image sources: every supported format decodes, several codes in one image are all
//! returned, and bad input (huge, not an image, unsupported, damaged, missing) gives the
//! matching error without decoding pixels.

mod common;

use common::*;
use image::ImageFormat;
use std::process::Command;
use twofold_scanner::*;

#[test]
fn png_jpeg_webp_and_gif_bytes_each_decode_to_the_uri() {
    let img = qr_image(URI, 6);
    for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP, ImageFormat::Gif] {
        let bytes = encode(&img, format);
        let found = scan_image_bytes(&bytes).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(found, vec![URI.to_string()], "{format:?}");
    }
}

#[test]
fn scan_file_reads_a_png_written_to_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.png");
    qr_image(URI, 4).save(&path).unwrap();
    assert_eq!(scan_file(&path).unwrap(), vec![URI.to_string()]);
}

/// qrencode and ImageMagick are independent of the crates the scanner uses, so a code they
/// render and convert is a fair test of the file formats as other programs write them.
#[test]
fn codes_rendered_by_qrencode_and_converted_by_imagemagick_decode_in_every_format() {
    let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    if !have("qrencode") || !std::path::Path::new("/usr/bin/convert").exists() {
        assert!(!tools_required(), "qrencode or /usr/bin/convert missing");
        eprintln!("SKIPPED: qrencode or /usr/bin/convert (ImageMagick) not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("code.png");
    let status = Command::new("qrencode")
        .args(["-s", "5", "-m", "4", "-o"])
        .arg(&png)
        .arg(URI)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(scan_file(&png).unwrap(), vec![URI.to_string()], "png");
    for ext in ["jpg", "webp", "gif"] {
        let out = dir.path().join(format!("code.{ext}"));
        // /usr/bin/convert explicitly: the `convert` on PATH may not be ImageMagick.
        let status = Command::new("/usr/bin/convert").arg(&png).arg(&out).status().unwrap();
        assert!(status.success(), "convert to {ext}");
        assert_eq!(scan_file(&out).unwrap(), vec![URI.to_string()], "{ext}");
    }
}

#[test]
fn every_code_in_an_image_with_three_codes_is_returned() {
    let texts = [
        "otpauth://totp/A:one?secret=JBSWY3DPEHPK3PXP&issuer=A",
        "otpauth://totp/B:two?secret=KRSXG5CTMVRXEZLU&issuer=B",
        "otpauth://hotp/C:three?secret=MFRGGZDFMZTWQ2LK&issuer=C&counter=1",
    ];
    let images: Vec<_> = texts.iter().map(|t| qr_image(t, 5)).collect();
    let canvas = side_by_side(&images, 40);
    let mut found = scan_image_bytes(&encode(&canvas, ImageFormat::Png)).unwrap();
    found.sort();
    let mut expected: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn the_same_code_twice_in_one_image_is_reported_once() {
    let img = qr_image(URI, 4);
    let canvas = side_by_side(&[img.clone(), img], 40);
    let found = scan_image_bytes(&encode(&canvas, ImageFormat::Png)).unwrap();
    assert_eq!(found, vec![URI.to_string()]);
}

#[test]
fn an_image_without_a_code_gives_an_empty_list_not_an_error() {
    let blank = image::GrayImage::from_pixel(300, 200, image::Luma([200]));
    assert!(scan_image_bytes(&encode(&blank, ImageFormat::Png)).unwrap().is_empty());
}

/// A PNG whose header claims 20000x20000 pixels but which carries a few bytes of pixel
/// data: refusing it proves the size check reads the header only (decoding would need
/// 400 MB for the gray pixels alone).
#[test]
fn a_20000_by_20000_png_is_refused_as_too_large_before_decoding() {
    let png = png_header_only(20_000, 20_000);
    match scan_image_bytes(&png) {
        Err(ScanError::TooLarge { width, height, .. }) => {
            assert_eq!((width, height), (20_000, 20_000))
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn a_gif_claiming_a_huge_canvas_is_refused_as_too_large() {
    // GIF89a with a 60000x60000 logical screen holding one 1x1 frame.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&60_000u16.to_le_bytes());
    gif.extend_from_slice(&60_000u16.to_le_bytes());
    gif.extend_from_slice(&[0, 0, 0]); // no global palette
    gif.extend_from_slice(&[0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // image descriptor, 1x1
    gif.extend_from_slice(&[2, 2, 0x44, 0x01, 0]); // LZW data
    gif.push(0x3b); // trailer
    assert!(matches!(scan_image_bytes(&gif), Err(ScanError::TooLarge { .. })));
}

#[test]
fn a_very_long_thin_image_is_refused_by_the_side_limit() {
    let png = png_header_only(MAX_IMAGE_SIDE + 1, 1);
    assert!(matches!(scan_image_bytes(&png), Err(ScanError::TooLarge { .. })));
}

#[test]
fn text_bytes_are_not_an_image() {
    let err = scan_image_bytes(b"otpauth://totp/x?secret=ABC").unwrap_err();
    assert!(matches!(err, ScanError::NotAnImage), "{err:?}");
    assert!(err.to_string().contains("not an image"));
}

#[test]
fn empty_bytes_are_not_an_image() {
    assert!(matches!(scan_image_bytes(&[]), Err(ScanError::NotAnImage)));
}

#[test]
fn a_bmp_is_reported_as_an_unsupported_format() {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0; 60]);
    let err = scan_image_bytes(&bmp).unwrap_err();
    assert!(matches!(err, ScanError::UnsupportedFormat(_)), "{err:?}");
}

#[test]
fn a_truncated_png_is_reported_as_damaged() {
    let bytes = encode(&qr_image(URI, 4), ImageFormat::Png);
    let err = scan_image_bytes(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, ScanError::Corrupt(_)), "{err:?}");
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_path() {
    let err = scan_file("/nonexistent/twofold/qr.png").unwrap_err();
    assert!(matches!(err, ScanError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/twofold/qr.png"));
}

#[test]
fn a_luma_frame_whose_buffer_does_not_match_its_size_is_refused() {
    assert!(matches!(LumaFrame::new(10, 10, vec![0; 99]), Err(ScanError::BadFrame { .. })));
    assert!(LumaFrame::new(0, 0, vec![]).is_err());
    assert!(LumaFrame::from_rgba(2, 2, &[0; 15]).is_err());
}

#[test]
fn fast_and_thorough_both_decode_a_clean_frame() {
    let img = qr_image(URI, 4);
    let frame = LumaFrame::new(img.width(), img.height(), img.into_raw()).unwrap();
    assert_eq!(decode(&frame, DecodeEffort::Fast), vec![URI.to_string()]);
    assert_eq!(decode(&frame, DecodeEffort::Thorough), vec![URI.to_string()]);
}

#[test]
fn a_light_on_dark_code_is_found_by_the_thorough_effort() {
    let mut img = qr_image(URI, 4);
    image::imageops::invert(&mut img);
    let found = scan_image_bytes(&encode(&img, ImageFormat::Png)).unwrap();
    assert_eq!(found, vec![URI.to_string()]);
}

#[test]
fn a_code_on_a_transparent_background_is_read_as_if_on_white() {
    let gray = qr_image(URI, 4);
    let rgba = image::RgbaImage::from_fn(gray.width(), gray.height(), |x, y| {
        if gray.get_pixel(x, y).0[0] < 128 {
            image::Rgba([0, 0, 0, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut bytes, ImageFormat::Png).unwrap();
    assert_eq!(scan_image_bytes(bytes.get_ref()).unwrap(), vec![URI.to_string()]);
}

fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grayscale, no interlace
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A token IDAT: decoders read the header up to the first data chunk.
    let idat = b"IDAT\x78\x9c\x63\x00\x00\x00\x01\x00\x01";
    png.extend_from_slice(&((idat.len() - 4) as u32).to_be_bytes());
    png.extend_from_slice(idat);
    png.extend_from_slice(&crc32(idat).to_be_bytes());
    let iend = b"IEND";
    png.extend_from_slice(&0u32.to_be_bytes());
    png.extend_from_slice(iend);
    png.extend_from_slice(&crc32(iend).to_be_bytes());
    png
}

/// CRC-32 (IEEE) as PNG chunks need it; bitwise, since speed does not matter here.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
