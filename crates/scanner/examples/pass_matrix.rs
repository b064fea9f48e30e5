//! Decoder tuning aid: runs every candidate pass alone on every corpus image (qrcode-1..6)
//! and prints which images each pass decodes, and which images no pass decodes. It does not
//! time anything (see `bench_corpus`).
use std::path::Path;
use twofold_scanner::*;

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "/work/shared/corpus/qr-photos".into());
    let manifest =
        std::fs::read_to_string(Path::new(&root).join("manifest.tsv")).expect("manifest");
    let mut candidates: Vec<Pass> = THOROUGH_PASSES.to_vec();
    // The adopted sequence first, then every candidate that was measured and not adopted.
    let extra = [
        Pass {
            prep: Prep::None,
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Invert,
            threshold: Threshold::Global,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Downscale { factor: 3, min_side: 600 },
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Upscale { factor: 3, max_side: 200 },
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Blur,
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Stretch,
            threshold: Threshold::Global,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(45.0),
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(22.5),
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(-22.5),
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::None,
            threshold: Threshold::Global,
            detector: Detector::Zxing,
            try_harder: true,
        },
        Pass {
            prep: Prep::Stretch,
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Downscale { factor: 2, min_side: 400 },
            threshold: Threshold::Global,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(45.0),
            threshold: Threshold::Global,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(45.0),
            threshold: Threshold::Hybrid,
            detector: Detector::Zxing,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(30.0),
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(-30.0),
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Rotate(-45.0),
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Upscale { factor: 2, max_side: 600 },
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
        Pass {
            prep: Prep::Downscale { factor: 4, min_side: 800 },
            threshold: Threshold::Hybrid,
            detector: Detector::Cpp,
            try_harder: true,
        },
    ];
    candidates.extend(extra);
    let mut per_pass = vec![0usize; candidates.len()];
    let mut any = 0;
    let mut total = 0;
    let mut never = Vec::new();
    for line in manifest.lines() {
        let mut parts = line.split('\t');
        let (Some(img), Some(txt)) = (parts.next(), parts.next()) else { continue };
        if img.starts_with("qrcode-7") {
            continue;
        }
        total += 1;
        let expected = std::fs::read(Path::new(&root).join(txt)).expect("txt");
        let expected = String::from_utf8_lossy(&expected).into_owned();
        let frame = match load_image_file(Path::new(&root).join(img)) {
            Ok(f) => f,
            Err(e) => {
                println!("{img}: load error {e}");
                continue;
            }
        };
        let mut hits = String::new();
        let mut ok_any = false;
        for (i, p) in candidates.iter().enumerate() {
            let r = run_pass(&frame, p);
            let ok = r.contains(&expected);
            if ok {
                per_pass[i] += 1;
                ok_any = true;
                hits.push_str(&format!("{i} "));
            } else if !r.is_empty() {
                hits.push_str(&format!(
                    "!{i}({:?}) ",
                    r.iter().map(|s| s.chars().take(20).collect::<String>()).collect::<Vec<_>>()
                ));
            }
        }
        if ok_any {
            any += 1
        } else {
            never.push(img.to_string())
        }
        println!("{img} {}x{}: {hits}", frame.width(), frame.height());
    }
    for (i, p) in candidates.iter().enumerate() {
        println!("pass {i:2} {p:?}: {}", per_pass[i]);
    }
    println!("any pass: {any}/{total}; never: {never:?}");
}
