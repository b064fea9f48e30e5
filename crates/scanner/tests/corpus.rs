//! Decoding quality on real photos: at least 90% of the qrcode-1..6 corpus images decode to
//! exactly their expected text with the thorough effort (rates printed per folder), and no
//! corpus image, including the ones known to panic other decoders, makes `decode` panic.
//! qrcode-7 is one structured-append message over four images, so no single image can
//! match its expected text; it is only checked for panics.

use std::collections::BTreeMap;
use std::path::PathBuf;
use twofold_scanner::*;

fn corpus_dir() -> PathBuf {
    std::env::var_os("TWOFOLD_QR_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/qr-photos")
    })
}

fn manifest() -> Vec<(String, String)> {
    let dir = corpus_dir();
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap_or_else(|e| {
        panic!("QR corpus not found at {} ({e}); set TWOFOLD_QR_CORPUS", dir.display())
    });
    text.lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_owned(), cols.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn at_least_90_percent_of_the_photo_corpus_decodes_to_the_expected_text() {
    let dir = corpus_dir();
    let mut per_folder: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (image, text) in manifest() {
        let folder = image.split('/').next().unwrap_or_default().to_owned();
        if folder == "qrcode-7" {
            continue;
        }
        let expected = String::from_utf8(std::fs::read(dir.join(&text)).unwrap()).unwrap();
        let found = scan_file(dir.join(&image)).unwrap();
        let entry = per_folder.entry(folder).or_default();
        entry.1 += 1;
        if found.contains(&expected) {
            entry.0 += 1;
        } else {
            misses.push(image);
        }
    }
    let (mut hits, mut total) = (0, 0);
    for (folder, (h, t)) in &per_folder {
        eprintln!("{folder}: {h}/{t} ({:.1}%)", 100.0 * *h as f64 / *t as f64);
        hits += h;
        total += t;
    }
    let rate = 100.0 * hits as f64 / total as f64;
    eprintln!("all: {hits}/{total} ({rate:.1}%); misses: {misses:?}");
    assert_eq!(total, 137, "the corpus changed; recheck the target");
    assert!(rate >= 90.0, "decode rate {rate:.1}% is below 90%");
}

#[test]
fn no_corpus_image_makes_the_decoder_panic_with_either_effort() {
    let dir = corpus_dir();
    for (image, _) in manifest() {
        let frame = load_image_file(dir.join(&image)).unwrap();
        // A panic inside rxing must surface as "nothing found", so these calls return.
        let fast = std::panic::catch_unwind(|| decode(&frame, DecodeEffort::Fast));
        let thorough = std::panic::catch_unwind(|| decode(&frame, DecodeEffort::Thorough));
        assert!(fast.is_ok() && thorough.is_ok(), "{image} panicked");
    }
}

#[test]
fn the_image_that_panics_rqrr_and_the_structured_append_parts_scan_without_panicking() {
    let dir = corpus_dir();
    let found = scan_file(dir.join("qrcode-6/7.png")).unwrap();
    let expected = std::fs::read_to_string(dir.join("qrcode-6/7.txt")).unwrap();
    assert_eq!(found, vec![expected]);
    // The structured-append parts are the other odd input: each must scan without a panic.
    for part in ["01-01.png", "01-02.png", "01-03.png", "01-04.png"] {
        let _ = scan_file(dir.join("qrcode-7").join(part)).unwrap();
    }
}
