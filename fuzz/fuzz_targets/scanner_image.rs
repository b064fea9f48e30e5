//! Fuzzes the scanner's image path: encoded bytes (PNG, JPEG, WebP, GIF, as from a file the
//! user picks or an image pasted from anywhere) to a grayscale frame (`load_image_bytes`) and
//! on to QR texts (`decode`, thorough effort), i.e. exactly what `scan_image_bytes` does, in
//! two calls so the frame in between can be checked.
//!
//! Checked beyond "never panics": a frame that loads is within the scanner's published size
//! limits, and its buffer matches its dimensions. Sizes are meant to be refused from the
//! header, so a decoder allocating for a huge claimed size shows up as a libFuzzer
//! out-of-memory report (`-rss_limit_mb`/`-malloc_limit_mb`).
//!
//! The scanner promises to contain panics of the QR decoder (rxing) and report them as "no
//! code", with `catch_unwind`. libFuzzer's panic hook would abort before that unwinding
//! happens, so this target installs a hook that lets panics raised inside rxing unwind to the
//! scanner (logging each distinct location once, so they stay visible) and aborts on any
//! other panic as usual. A decoder panic that escapes the scanner still aborts the run.

#![no_main]

use std::collections::HashSet;
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use twofold_scanner::{decode, load_image_bytes, DecodeEffort, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE};

static SEEN_DECODER_PANICS: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn install_panic_hook() {
    let abort_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
        let in_decoder = location.as_deref().is_some_and(|l| l.contains("rxing"));
        if !in_decoder {
            return abort_hook(info);
        }
        let location = location.unwrap_or_default();
        let mut seen = SEEN_DECODER_PANICS.lock().unwrap_or_else(|e| e.into_inner());
        if seen.get_or_insert_with(HashSet::new).insert(location.clone()) {
            eprintln!("scanner_image: rxing panicked at {location} (contained by the scanner)");
        }
    }));
}

fuzz_target!(init: install_panic_hook(), |data: &[u8]| {
    let Ok(frame) = load_image_bytes(data) else { return };
    let (width, height) = (frame.width(), frame.height());
    assert!(width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE, "{width}x{height} loaded");
    assert!(u64::from(width) * u64::from(height) <= MAX_IMAGE_PIXELS, "{width}x{height} loaded");
    assert_eq!(frame.data().len() as u64, u64::from(width) * u64::from(height));
    let _ = decode(&frame, DecodeEffort::Thorough);
});
