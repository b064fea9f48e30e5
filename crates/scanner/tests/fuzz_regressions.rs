//! Replays the scanner inputs kept in `fuzz/regressions/scanner_image/` (see fuzz/README.md) on
//! stable: image headers that claim sizes far beyond the scanner's limits, in every format it
//! reads. Each must be refused from its header, before a decoder allocates for the claimed
//! size; the fuzz target checks the allocation itself (libFuzzer's malloc limit), these tests
//! pin the outcome so a change to the size checks cannot quietly let such images through.

use std::path::PathBuf;

use twofold_scanner::{load_image_bytes, scan_image_bytes, ScanError};

fn input(name: &str) -> Vec<u8> {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "../../fuzz/regressions/scanner_image", name].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every header here claims more than `MAX_IMAGE_SIDE` or `MAX_IMAGE_PIXELS`.
const CLAIMS_TOO_LARGE: &[&str] = &[
    "png-claims-100000x100000",
    "png-claims-20000x20000",
    "gif-claims-65535x65535",
    "jpeg-claims-65500x65500",
    "webp-claims-16000x16000",
];

#[test]
fn headers_claiming_huge_sizes_are_refused_as_too_large() {
    for name in CLAIMS_TOO_LARGE {
        match scan_image_bytes(&input(name)) {
            Err(ScanError::TooLarge { .. }) => {}
            other => panic!("{name}: expected TooLarge, got {other:?}"),
        }
    }
}

#[test]
fn a_gif_frame_larger_than_its_one_pixel_canvas_is_not_decoded() {
    // The canvas passes the header check; the frame (65535x65535) must still not be decoded.
    let result = load_image_bytes(&input("gif-frame-claims-65535x65535"));
    match result {
        Err(_) => {}
        Ok(frame) => assert!(
            u64::from(frame.width()) * u64::from(frame.height()) <= 1,
            "decoded a {}x{} frame",
            frame.width(),
            frame.height()
        ),
    }
}
