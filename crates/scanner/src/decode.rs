//! QR decoding of a [`LumaFrame`] with rxing: a cheap single pass for video frames and a
//! measured sequence of retries for still images. Every rxing call runs under
//! `catch_unwind`, so a decoder panic on a hostile or odd image becomes "no code found".
//! It returns the raw text of each symbol; it does not interpret it (otpauth parsing is the
//! caller's job) and does not join structured-append parts that arrive in separate images.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::qrcode::QRCodeMultiReader;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source};

use crate::LumaFrame;

/// How hard to look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeEffort {
    /// One pass, no retries: for webcam frames, where the next frame is the retry. A 1280x720
    /// frame with no code costs a few milliseconds in release builds (see docs/BENCHMARKS.md).
    Fast,
    /// The fast pass, then (only while nothing was found) other binarizers, the inverted
    /// image, rescaled, blurred, contrast-stretched and rotated copies. For files, the
    /// clipboard and the screen, where there is only one image. When there is no code every
    /// pass runs: ~36 ms for a 1280x720 image (release), proportionally more for big photos.
    Thorough,
}

/// Which rxing detector to run. The C++-port detector finds more codes in photos; the
/// original zxing detector (`QRCodeMultiReader`) is kept for the retries because it succeeds
/// on a few images the other misses (measured on the corpus).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detector {
    Cpp,
    Zxing,
}

/// Which rxing binarizer turns gray into black and white.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// Local thresholds per 8x8 block: robust to uneven light.
    Hybrid,
    /// One threshold per row or for the image: better on low-contrast, evenly lit codes.
    Global,
}

/// What to do to the image before binarizing.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prep {
    None,
    Invert,
    /// Shrink by this factor, only if the shorter side is at least `min_side` pixels.
    Downscale {
        factor: u32,
        min_side: u32,
    },
    /// Grow by this factor, only if the shorter side is at most `max_side` pixels.
    Upscale {
        factor: u32,
        max_side: u32,
    },
    Blur,
    Stretch,
    Rotate(f32),
}

/// One attempt: a preparation, a binarizer, a detector, and whether rxing should try harder.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pass {
    pub prep: Prep,
    pub threshold: Threshold,
    pub detector: Detector,
    pub try_harder: bool,
}

const fn pass(prep: Prep, threshold: Threshold, detector: Detector, try_harder: bool) -> Pass {
    Pass { prep, threshold, detector, try_harder }
}

use Detector::*;
use Prep::*;
use Threshold::*;

/// The video-frame pass: the C++-port detector without TRY_HARDER (which scans every row
/// instead of every few rows and roughly doubles the cost of an empty frame).
pub const FAST_PASSES: &[Pass] = &[pass(None, Hybrid, Cpp, false)];

/// The still-image sequence, stopped at the first pass that finds anything. Chosen by
/// measurement on the photo corpus (`examples/pass_matrix.rs` runs every candidate alone):
/// the fast pass decodes 118 of 137 images; global-histogram thresholding adds 2 (evenly lit,
/// low-contrast photos), a 3x3 blur before it adds 5 (halftone, dotted and textured codes),
/// the inverted image adds 2 (light-on-dark codes), and the original zxing detector adds 1:
/// 128 of 137. Rescaled, contrast-stretched and rotated copies were measured too and added
/// nothing, so they are not run. TRY_HARDER (every row scanned) added nothing on the corpus
/// but is kept last for small codes in large screenshots, which skip-scanning can step over.
pub const THOROUGH_PASSES: &[Pass] = &[
    pass(None, Hybrid, Cpp, false),
    pass(None, Global, Cpp, true),
    pass(Blur, Global, Cpp, true),
    pass(Invert, Hybrid, Cpp, true),
    pass(None, Hybrid, Zxing, true),
    pass(None, Hybrid, Cpp, true),
];

/// Decodes every QR code in `frame`; an empty list means none was found (or the decoder
/// failed, which the caller cannot act on differently). Texts are unique, in detection order.
pub fn decode(frame: &LumaFrame, effort: DecodeEffort) -> Vec<String> {
    let passes = match effort {
        DecodeEffort::Fast => FAST_PASSES,
        DecodeEffort::Thorough => THOROUGH_PASSES,
    };
    for p in passes {
        let found = run_pass(frame, p);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The Thorough passes that [`DecodeEffort::Fast`] does not already run: what a caller that
/// tried Fast on several frames first runs next, without repeating work.
pub(crate) fn decode_thorough_retries(frame: &LumaFrame) -> Vec<String> {
    for p in THOROUGH_PASSES.iter().filter(|p| !FAST_PASSES.contains(p)) {
        let found = run_pass(frame, p);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// Runs one pass. Public (hidden) so the benchmark can measure what each pass contributes.
#[doc(hidden)]
pub fn run_pass(frame: &LumaFrame, p: &Pass) -> Vec<String> {
    let prepared;
    let (image, invert) = match p.prep {
        None => (frame, false),
        Invert => (frame, true),
        Downscale { factor, min_side } => {
            if frame.width().min(frame.height()) < min_side {
                return Vec::new();
            }
            match frame.downscale(factor) {
                Some(f) => {
                    prepared = f;
                    (&prepared, false)
                }
                Option::None => return Vec::new(),
            }
        }
        Upscale { factor, max_side } => {
            if frame.width().min(frame.height()) > max_side {
                return Vec::new();
            }
            prepared = frame.upscale(factor);
            (&prepared, false)
        }
        Blur => {
            prepared = frame.blur3();
            (&prepared, false)
        }
        Stretch => match frame.stretch() {
            Some(f) => {
                prepared = f;
                (&prepared, false)
            }
            Option::None => return Vec::new(),
        },
        Rotate(deg) => {
            prepared = frame.rotate(deg);
            (&prepared, false)
        }
    };
    let Ok(source) = Luma8Source::new_with_slice(image.data(), image.width(), image.height())
    else {
        return Vec::new();
    };
    let hints = DecodeHints {
        // Enrollment codes are plain QR; Micro QR and rMQR candidates found in textured photos
        // would only add false positives.
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: p.try_harder.then_some(true),
        ..DecodeHints::default()
    };
    match p.threshold {
        Hybrid => detect(BinaryBitmap::new(HybridBinarizer::new(source)), p, &hints, invert),
        Global => {
            detect(BinaryBitmap::new(GlobalHistogramBinarizer::new(source)), p, &hints, invert)
        }
    }
}

fn detect<B: Binarizer>(
    mut bitmap: BinaryBitmap<B>,
    p: &Pass,
    hints: &DecodeHints,
    invert: bool,
) -> Vec<String> {
    // rxing indexes arrays with values computed from pixels; on unusual images it has
    // panicked (an out-of-bounds index is a panic, not an error). A panic here means "this
    // pass found nothing", never a crash of the app. AssertUnwindSafe is sound because the
    // bitmap and readers are dropped right after and nothing observes a half-updated state.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if invert {
            bitmap.invert();
        }
        match p.detector {
            Cpp => QrReader.decode_multiple_with_hints(&mut bitmap, hints),
            Zxing => QRCodeMultiReader::default().decode_multiple_with_hints(&mut bitmap, hints),
        }
    }));
    let Ok(Ok(results)) = outcome else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    results
        .into_iter()
        .filter(|r| *r.getBarcodeFormat() == BarcodeFormat::QR_CODE)
        .map(|r| r.getText().to_owned())
        .filter(|t| seen.insert(t.clone()))
        .collect()
}
