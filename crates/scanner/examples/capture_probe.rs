//! Where screen-capture time goes: xcap (monitor enumeration, its capture, RGBA to gray) next
//! to our X11 capture (all monitors, gray frames out) and the 32-bit-to-gray conversion alone
//! on a buffer of the same size, 20 runs each, medians. Needs DISPLAY; asserts nothing.
use std::time::Instant;
use twofold_scanner::{capture_screens_with, LumaFrame, Pixel32, ScreenBackend};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let (mut all, mut cap, mut conv, mut ours, mut gray) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..20 {
        let t = Instant::now();
        let monitors = xcap::Monitor::all().expect("monitors");
        all.push(ms(t));
        let t = Instant::now();
        let img = monitors[0].capture_image().expect("capture");
        cap.push(ms(t));
        let t = Instant::now();
        let f = LumaFrame::from_rgba(img.width(), img.height(), img.as_raw());
        conv.push(ms(t));
        std::hint::black_box(f.ok());

        let t = Instant::now();
        let frames = capture_screens_with(ScreenBackend::X11).expect("X11 capture");
        ours.push(ms(t));
        let (w, h) = (frames[0].width(), frames[0].height());
        let bgrx = vec![0x80u8; w as usize * h as usize * 4];
        let t = Instant::now();
        let f = LumaFrame::from_pixel32(w, h, w as usize * 4, &bgrx, Pixel32::Bgrx);
        gray.push(ms(t));
        std::hint::black_box(f.ok());
    }
    println!(
        "xcap: Monitor::all {:.2} ms, capture_image {:.2} ms, RGBA to gray {:.2} ms",
        median(all),
        median(cap),
        median(conv)
    );
    println!(
        "X11: capture (all monitors, gray) {:.2} ms, of which 32-bit to gray {:.2} ms (medians)",
        median(ours),
        median(gray)
    );
}
