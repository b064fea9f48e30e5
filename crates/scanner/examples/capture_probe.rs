//! Where screen-capture time goes: monitor enumeration, the capture itself, and the RGBA to
//! gray conversion, timed separately (20 runs each, median). Needs DISPLAY.
use std::time::Instant;
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
fn main() {
    let (mut all, mut cap, mut conv) = (vec![], vec![], vec![]);
    for _ in 0..20 {
        let t = Instant::now();
        let monitors = xcap::Monitor::all().expect("monitors");
        all.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let img = monitors[0].capture_image().expect("capture");
        cap.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let f = twofold_scanner::LumaFrame::from_rgba(img.width(), img.height(), img.as_raw());
        conv.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(f.ok());
    }
    println!(
        "Monitor::all {:.2} ms, capture_image {:.2} ms, to gray {:.2} ms (medians)",
        median(all),
        median(cap),
        median(conv)
    );
}
