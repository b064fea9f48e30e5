//! The screen source under a real X server: a QR code shown by ImageMagick on a private
//! Xvfb display must be found by `scan_screen`. One test in this binary, because it sets
//! DISPLAY for the whole process.

mod common;

use common::xvfb;

use std::time::{Duration, Instant};
use twofold_scanner::*;

#[test]
fn scan_screen_finds_a_code_shown_in_a_window_on_an_xvfb_display() {
    if !std::path::Path::new("/usr/bin/display").exists() {
        assert!(!common::tools_required(), "/usr/bin/display (ImageMagick) missing");
        eprintln!("SKIPPED: /usr/bin/display (ImageMagick) not installed");
        return;
    }
    let Some(x) = xvfb::Xvfb::start(1920, 1080) else {
        assert!(!common::tools_required(), "Xvfb missing");
        eprintln!("SKIPPED: Xvfb not installed; the screen source was not tested");
        return;
    };
    xvfb::use_display(&x.display);

    // Nothing shown yet: a blank screen is a successful scan with no code.
    assert_eq!(scan_screen().unwrap(), Vec::<String>::new());

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("code.png");
    common::qr_image(common::URI, 4).save(&png).unwrap();
    let _window = x.show(&png, 100, 100);

    // The window appears asynchronously; poll until it is drawn (a readiness deadline, not
    // a timing assertion).
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let found = scan_screen().unwrap();
        if !found.is_empty() || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(found, vec![common::URI.to_string()]);
}
