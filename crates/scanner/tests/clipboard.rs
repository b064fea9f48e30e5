//! The clipboard source under a real X server (private Xvfb): an image put on the clipboard
//! is scanned; text or nothing on the clipboard gives the matching error. One test in this
//! binary, because it sets DISPLAY for the whole process.

mod common;

use common::xvfb;

use twofold_scanner::*;

#[test]
fn scan_clipboard_reads_a_copied_qr_image_and_names_text_or_nothing_as_errors() {
    let Some(x) = xvfb::Xvfb::start(800, 600) else {
        assert!(!common::tools_required(), "Xvfb missing");
        eprintln!("SKIPPED: Xvfb not installed; the clipboard source was not tested");
        return;
    };
    xvfb::use_display(&x.display);
    // This clipboard handle owns the selection; it must live while the scanner reads it.
    let mut owner = arboard::Clipboard::new().expect("clipboard on Xvfb");

    assert!(matches!(scan_clipboard(), Err(ScanError::ClipboardEmpty)));

    owner.set_text("not a picture").unwrap();
    assert!(matches!(scan_clipboard(), Err(ScanError::ClipboardNoImage)));

    let gray = common::qr_image(common::URI, 4);
    let rgba = image::DynamicImage::ImageLuma8(gray).to_rgba8();
    owner
        .set_image(arboard::ImageData {
            width: rgba.width() as usize,
            height: rgba.height() as usize,
            bytes: rgba.as_raw().as_slice().into(),
        })
        .unwrap();
    assert_eq!(scan_clipboard().unwrap(), vec![common::URI.to_string()]);
}
