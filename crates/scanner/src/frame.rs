//! The grayscale frame every source produces and the decoder consumes, plus the cheap image
//! operations the thorough decoder retries with (downscale, blur) and the tuning example measures
//! (upscale, contrast stretch, rotation). It does no decoding and no I/O.

use crate::ScanError;

/// An 8-bit grayscale image, one byte per pixel, rows top to bottom, no padding.
#[derive(Clone, PartialEq, Eq)]
pub struct LumaFrame {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for LumaFrame {
    // The pixel buffer is megabytes; printing it helps no one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LumaFrame")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl LumaFrame {
    /// Wraps a grayscale buffer; fails if `data.len() != width * height` or a side is zero.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Self, ScanError> {
        let expected = (width as usize).checked_mul(height as usize);
        if width == 0 || height == 0 || expected != Some(data.len()) {
            return Err(ScanError::BadFrame { width, height, len: data.len() });
        }
        Ok(Self { width, height, data })
    }

    /// Converts tightly packed RGBA8 pixels (what screen and clipboard capture give) to gray.
    pub fn from_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Self, ScanError> {
        let pixels = (width as usize)
            .checked_mul(height as usize)
            .filter(|n| n.checked_mul(4) == Some(rgba.len()));
        if pixels.is_none() || width == 0 || height == 0 {
            return Err(ScanError::BadFrame { width, height, len: rgba.len() });
        }
        let data = rgba.chunks_exact(4).map(|p| luma(p[0], p[1], p[2])).collect();
        Self::new(width, height, data)
    }

    /// Converts any decoded image to gray (transparent pixels count as white, since a QR
    /// code drawn on a transparent background is meant to be seen on a light page).
    pub fn from_image(image: &image::DynamicImage) -> Self {
        let rgba = image.to_rgba8();
        let data = rgba
            .pixels()
            .map(|p| {
                let [r, g, b, a] = p.0;
                let y = luma(r, g, b) as u32;
                let a = a as u32;
                ((y * a + 255 * (255 - a)) / 255) as u8
            })
            .collect();
        Self { width: rgba.width(), height: rgba.height(), data }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Box-filter downscale by an integer factor: averaging (not skipping) keeps thin modules
    /// from vanishing, and shrinking very large photos makes the finder patterns a size the
    /// detector's scan steps are tuned for.
    pub(crate) fn downscale(&self, factor: u32) -> Option<Self> {
        let f = factor.max(1) as usize;
        let (w, h) = (self.width as usize / f, self.height as usize / f);
        if w < 21 || h < 21 {
            return None;
        }
        let src_w = self.width as usize;
        let area = (f * f) as u32;
        let mut data = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0u32;
                for dy in 0..f {
                    let row = (y * f + dy) * src_w + x * f;
                    sum += self.data[row..row + f].iter().map(|&v| v as u32).sum::<u32>();
                }
                data.push((sum / area) as u8);
            }
        }
        Some(Self { width: w as u32, height: h as u32, data })
    }

    /// Nearest-neighbour upscale: tiny renders (1 px per module) give the binarizer's blocks
    /// too little to work with; repeating pixels keeps the edges sharp.
    pub(crate) fn upscale(&self, factor: u32) -> Self {
        let f = factor.max(1) as usize;
        let (w, h) = (self.width as usize * f, self.height as usize * f);
        let mut data = Vec::with_capacity(w * h);
        for y in 0..h {
            let row = &self.data[(y / f) * self.width as usize..][..self.width as usize];
            for &v in row {
                data.extend(std::iter::repeat_n(v, f));
            }
        }
        Self { width: w as u32, height: h as u32, data }
    }

    /// 3x3 box blur: smooths JPEG noise, halftone dots and fabric texture that otherwise break
    /// the run-length patterns the finder-pattern search looks for.
    pub(crate) fn blur3(&self) -> Self {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut data = vec![0u8; w * h];
        for y in 0..h {
            let y0 = y.saturating_sub(1);
            let y1 = (y + 1).min(h - 1);
            for x in 0..w {
                let x0 = x.saturating_sub(1);
                let x1 = (x + 1).min(w - 1);
                let mut sum = 0u32;
                let mut n = 0u32;
                for yy in y0..=y1 {
                    for xx in x0..=x1 {
                        sum += self.data[yy * w + xx] as u32;
                        n += 1;
                    }
                }
                data[y * w + x] = (sum / n) as u8;
            }
        }
        Self { width: self.width, height: self.height, data }
    }

    /// Linear contrast stretch between the 1st and 99th percentiles: dim or washed-out photos
    /// then use the full range, which helps the global-histogram binarizer find its valley.
    pub(crate) fn stretch(&self) -> Option<Self> {
        let mut hist = [0usize; 256];
        for &v in &self.data {
            hist[v as usize] += 1;
        }
        let cut = self.data.len() / 100;
        let mut acc = 0;
        let lo = hist
            .iter()
            .position(|&c| {
                acc += c;
                acc > cut
            })
            .unwrap_or(0);
        acc = 0;
        let hi = 255
            - hist
                .iter()
                .rev()
                .position(|&c| {
                    acc += c;
                    acc > cut
                })
                .unwrap_or(0);
        if hi <= lo + 8 {
            // A flat image: stretching would only amplify noise.
            return None;
        }
        let span = (hi - lo) as u32;
        let lut: Vec<u8> = (0..256u32)
            .map(|v| {
                let v = v.clamp(lo as u32, hi as u32) - lo as u32;
                (v * 255 / span) as u8
            })
            .collect();
        Some(Self {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|&v| lut[v as usize]).collect(),
        })
    }

    /// Rotation by `degrees` about the centre, bilinear, onto a canvas large enough to hold
    /// the whole rotated image (uncovered corners are filled with the mean gray so they add
    /// no edges). Small codes tilted ~45° are where finder detection is weakest, so
    /// rotating them back towards upright lets the detector see square finder patterns.
    pub(crate) fn rotate(&self, degrees: f32) -> Self {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (w, h) = (self.width as f32, self.height as f32);
        let nw = (w * cos.abs() + h * sin.abs()).ceil() as usize;
        let nh = (w * sin.abs() + h * cos.abs()).ceil() as usize;
        let fill =
            (self.data.iter().map(|&v| v as u64).sum::<u64>() / self.data.len() as u64) as u8;
        let (cx, cy) = (w / 2.0, h / 2.0);
        let (ncx, ncy) = (nw as f32 / 2.0, nh as f32 / 2.0);
        let sw = self.width as usize;
        let mut data = vec![fill; nw * nh];
        for y in 0..nh {
            let dy = y as f32 + 0.5 - ncy;
            for x in 0..nw {
                let dx = x as f32 + 0.5 - ncx;
                // Inverse mapping: where in the source does this destination pixel come from?
                let sx = cos * dx + sin * dy + cx - 0.5;
                let sy = -sin * dx + cos * dy + cy - 0.5;
                if sx < 0.0 || sy < 0.0 || sx >= w - 1.0 || sy >= h - 1.0 {
                    continue;
                }
                let (x0, y0) = (sx as usize, sy as usize);
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let p = |xx: usize, yy: usize| self.data[yy * sw + xx] as f32;
                let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
                let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
                data[y * nw + x] = (top * (1.0 - fy) + bottom * fy).round() as u8;
            }
        }
        Self { width: nw as u32, height: nh as u32, data }
    }
}

/// ITU-R BT.601 luma in integer arithmetic (the weights zxing uses, so results match it).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((306 * r as u32 + 601 * g as u32 + 117 * b as u32 + 512) >> 10) as u8
}
