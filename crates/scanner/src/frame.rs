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

    /// Converts 32-bit pixels (an X server's depth-24/32 ZPixmap) straight to gray. Going
    /// through RGBA first would write and read another 8 MB for a 1920x1080 screen. `stride` is
    /// the byte length of a row (at least `width * 4`; padding after each row is skipped), and
    /// the fourth byte of a pixel (padding or alpha) is ignored.
    #[doc(hidden)]
    pub fn from_pixel32(
        width: u32,
        height: u32,
        stride: usize,
        data: &[u8],
        layout: Pixel32,
    ) -> Result<Self, ScanError> {
        let bad = || ScanError::BadFrame { width, height, len: data.len() };
        let row_bytes = (width as usize).checked_mul(4).ok_or_else(bad)?;
        // The last row needs no padding after it, so a tightly cut buffer is accepted.
        let needed = (height as usize)
            .checked_sub(1)
            .and_then(|rows| rows.checked_mul(stride))
            .and_then(|n| n.checked_add(row_bytes));
        if width == 0 || height == 0 || stride < row_bytes || needed.is_none_or(|n| n > data.len())
        {
            return Err(bad());
        }
        let mut gray = vec![0u8; width as usize * height as usize];
        let rows = gray.chunks_exact_mut(width as usize).zip(data.chunks(stride));
        match layout {
            Pixel32::Bgrx => rows.for_each(|(dst, src)| row_to_luma::<2, 1, 0>(dst, src)),
            Pixel32::Xrgb => rows.for_each(|(dst, src)| row_to_luma::<1, 2, 3>(dst, src)),
            Pixel32::Rgbx => rows.for_each(|(dst, src)| row_to_luma::<0, 1, 2>(dst, src)),
            Pixel32::Xbgr => rows.for_each(|(dst, src)| row_to_luma::<3, 2, 1>(dst, src)),
        }
        Self::new(width, height, gray)
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

/// Where red, green and blue sit in each 4-byte pixel of a 32-bit image, in memory order
/// (`x` is padding or alpha). X servers on little-endian machines send `Bgrx`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pixel32 {
    Bgrx,
    Xrgb,
    Rgbx,
    Xbgr,
}

/// One row; the channel offsets are constants so the loop has no per-pixel branching and the
/// compiler can vectorise it (this runs over two million pixels per 1080p capture).
fn row_to_luma<const R: usize, const G: usize, const B: usize>(dst: &mut [u8], src: &[u8]) {
    for (y, p) in dst.iter_mut().zip(src.chunks_exact(4)) {
        *y = luma(p[R], p[G], p[B]);
    }
}

/// ITU-R BT.601 luma in integer arithmetic (the weights zxing uses, so results match it).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((306 * r as u32 + 601 * g as u32 + 117 * b as u32 + 512) >> 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    // (r, g, b) and the gray each must become: the BT.601 weights 306/601/117 out of 1024,
    // rounded, so a swapped red and blue channel gives 76 vs 29 and fails.
    const COLOURS: [([u8; 3], u8); 6] = [
        ([0, 0, 0], 0),
        ([255, 255, 255], 255),
        ([255, 0, 0], 76),
        ([0, 255, 0], 150),
        ([0, 0, 255], 29),
        ([128, 128, 128], 128),
    ];

    /// Lays out the colours as a 3x2 image in `layout`, each row followed by `pad` junk bytes.
    fn pack(layout: Pixel32, pad: usize) -> Vec<u8> {
        let mut data = Vec::new();
        for row in COLOURS.chunks(3) {
            for ([r, g, b], _) in row {
                let x = 0xa5; // padding byte: must not leak into the gray value
                data.extend_from_slice(&match layout {
                    Pixel32::Bgrx => [*b, *g, *r, x],
                    Pixel32::Xrgb => [x, *r, *g, *b],
                    Pixel32::Rgbx => [*r, *g, *b, x],
                    Pixel32::Xbgr => [x, *b, *g, *r],
                });
            }
            data.extend(std::iter::repeat_n(0x5a, pad));
        }
        data
    }

    #[test]
    fn pixel32_to_gray_gives_bt601_luma_in_every_channel_order() {
        let expected: Vec<u8> = COLOURS.iter().map(|(_, y)| *y).collect();
        for layout in [Pixel32::Bgrx, Pixel32::Xrgb, Pixel32::Rgbx, Pixel32::Xbgr] {
            let frame = LumaFrame::from_pixel32(3, 2, 12, &pack(layout, 0), layout).unwrap();
            assert_eq!((frame.width(), frame.height()), (3, 2));
            assert_eq!(frame.data(), &expected[..], "{layout:?}");
        }
    }

    #[test]
    fn pixel32_to_gray_skips_row_padding() {
        let expected: Vec<u8> = COLOURS.iter().map(|(_, y)| *y).collect();
        let data = pack(Pixel32::Bgrx, 8);
        let frame = LumaFrame::from_pixel32(3, 2, 20, &data, Pixel32::Bgrx).unwrap();
        assert_eq!(frame.data(), &expected[..]);
        // The last row's padding is optional.
        let frame = LumaFrame::from_pixel32(3, 2, 20, &data[..32], Pixel32::Bgrx).unwrap();
        assert_eq!(frame.data(), &expected[..]);
    }

    #[test]
    fn pixel32_to_gray_matches_the_rgba_conversion() {
        let bgrx = pack(Pixel32::Bgrx, 0);
        let rgba: Vec<u8> = bgrx.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0], 255]).collect();
        assert_eq!(
            LumaFrame::from_pixel32(3, 2, 12, &bgrx, Pixel32::Bgrx).unwrap(),
            LumaFrame::from_rgba(3, 2, &rgba).unwrap()
        );
    }

    #[test]
    fn pixel32_to_gray_rejects_sizes_the_buffer_cannot_hold() {
        let data = pack(Pixel32::Bgrx, 0);
        for (w, h, stride, len) in [
            (3, 2, 12, 23),               // one byte short
            (3, 2, 8, 24),                // stride shorter than a row
            (0, 2, 12, 24),               // empty
            (3, 0, 12, 24),               // empty
            (u32::MAX, u32::MAX, 12, 24), // overflowing sizes
            (3, u32::MAX, usize::MAX, 24),
        ] {
            let result = LumaFrame::from_pixel32(w, h, stride, &data[..len], Pixel32::Bgrx);
            assert!(
                matches!(result, Err(ScanError::BadFrame { .. })),
                "{w}x{h} stride {stride} len {len}"
            );
        }
    }
}
