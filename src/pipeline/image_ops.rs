//! Pixel operations that mirror OpenCV's `resize(INTER_LINEAR)` and `warpAffine(INTER_LINEAR, BORDER_CONSTANT 0)`,
//! the two OpenCV calls the reference pipeline (`shared/models/reference/facepipe.py`) depends on.

use image::{Rgb, RgbImage};

/// Resizes like `cv2.resize(src, (w, h), interpolation=INTER_LINEAR)`: half-pixel centres, edge clamping,
/// no anti-aliasing, and OpenCV's switch to 2x2 box averaging for an exact halving.
pub(crate) fn resize_linear(src: &RgbImage, dst_w: u32, dst_h: u32) -> RgbImage {
    resize_region(src, [0, 0, src.width(), src.height()], dst_w, dst_h)
}

/// `resize_linear` of the rectangle `[x, y, width, height]` of `src` (cut to the image), without copying it out
/// first: `cv2.resize(src[y:y+h, x:x+w], ...)`.
pub(crate) fn resize_region(src: &RgbImage, region: [u32; 4], dst_w: u32, dst_h: u32) -> RgbImage {
    let region = Region::new(src, region);
    let (sw, sh) = (region.width, region.height);
    if [sw, sh, dst_w, dst_h].contains(&0) {
        return RgbImage::new(dst_w, dst_h);
    }
    if (sw, sh) == (dst_w, dst_h) {
        let rows = (0..sh).flat_map(|y| region.row(y).iter().copied()).collect();
        return RgbImage::from_raw(dst_w, dst_h, rows).unwrap_or_default();
    }
    if sw == dst_w * 2 && sh == dst_h * 2 {
        return halve(&region);
    }
    let xs: Vec<(usize, usize, f32)> =
        axis_taps(sw, dst_w).into_iter().map(|(x0, x1, fx)| (x0 as usize * 3, x1 as usize * 3, fx)).collect();
    let ys = axis_taps(sh, dst_h);
    let mut out = vec![0u8; dst_w as usize * dst_h as usize * 3];
    // Separable: each source row is interpolated across once into `upper` / `lower` (kept while the next output row
    // needs the same source row), then the two are blended down the whole row at once, which vectorises. The
    // arithmetic is the per-pixel formula's, term for term, so the bytes are the same.
    let across = |row: &[u8], out: &mut [f32]| {
        for (o, &(x0, x1, fx)) in out.chunks_exact_mut(3).zip(&xs) {
            let (a, b) = (&row[x0..x0 + 3], &row[x1..x1 + 3]);
            for c in 0..3 {
                o[c] = f32::from(a[c]) * (1.0 - fx) + f32::from(b[c]) * fx;
            }
        }
    };
    let (mut upper, mut lower) = (vec![0f32; dst_w as usize * 3], vec![0f32; dst_w as usize * 3]);
    let (mut upper_row, mut lower_row) = (u32::MAX, u32::MAX);
    for (dst_row, &(y0, y1, fy)) in out.chunks_exact_mut(dst_w as usize * 3).zip(&ys) {
        if y0 != upper_row {
            if y0 == lower_row {
                std::mem::swap(&mut upper, &mut lower);
                lower_row = u32::MAX;
            } else {
                across(region.row(y0), &mut upper);
            }
            upper_row = y0;
        }
        if y1 != lower_row {
            across(region.row(y1), &mut lower);
            lower_row = y1;
        }
        for ((d, &u), &l) in dst_row.iter_mut().zip(&upper).zip(&lower) {
            *d = to_u8(u * (1.0 - fy) + l * fy);
        }
    }
    // Rows of a face photo: not left behind in freed memory.
    zeroize::Zeroize::zeroize(&mut upper);
    zeroize::Zeroize::zeroize(&mut lower);
    RgbImage::from_raw(dst_w, dst_h, out).unwrap_or_default()
}

/// A rectangle of an RGB image's rows.
struct Region<'a> {
    pixels: &'a [u8],
    stride: usize,
    x: usize,
    y: usize,
    width: u32,
    height: u32,
}

impl<'a> Region<'a> {
    fn new(img: &'a RgbImage, [x, y, w, h]: [u32; 4]) -> Self {
        let (x, y) = (x.min(img.width()), y.min(img.height()));
        let (width, height) = (w.min(img.width() - x), h.min(img.height() - y));
        let stride = img.width() as usize * 3;
        Self { pixels: img.as_raw(), stride, x: x as usize * 3, y: y as usize, width, height }
    }

    /// Row `y` of the rectangle, `width * 3` bytes.
    fn row(&self, y: u32) -> &'a [u8] {
        &self.pixels[(self.y + y as usize) * self.stride + self.x..][..self.width as usize * 3]
    }
}

/// For each destination index: the two source indices and the weight of the second.
pub(crate) fn axis_taps(src_len: u32, dst_len: u32) -> Vec<(u32, u32, f32)> {
    let scale = f64::from(src_len) / f64::from(dst_len);
    let last = src_len.saturating_sub(1);
    (0..dst_len)
        .map(|d| {
            let f = (f64::from(d) + 0.5) * scale - 0.5;
            let i = f.floor();
            let frac = (f - i) as f32;
            if i < 0.0 {
                (0, 0, 0.0)
            } else if i as u32 >= last {
                (last, last, 0.0)
            } else {
                (i as u32, i as u32 + 1, frac)
            }
        })
        .collect()
}

fn halve(src: &Region<'_>) -> RgbImage {
    let (w, h) = (src.width / 2, src.height / 2);
    let mut out = vec![0u8; w as usize * h as usize * 3];
    for (y, dst_row) in out.chunks_exact_mut(w as usize * 3).enumerate() {
        let (top, bottom) = (src.row(2 * y as u32), src.row(2 * y as u32 + 1));
        for (x, px) in dst_row.chunks_exact_mut(3).enumerate() {
            for (c, v) in px.iter_mut().enumerate() {
                let (left, right) = (6 * x + c, 6 * x + 3 + c);
                let sum = [top[left], top[right], bottom[left], bottom[right]].map(u32::from).iter().sum::<u32>();
                *v = ((sum + 2) / 4) as u8;
            }
        }
    }
    RgbImage::from_raw(w, h, out).unwrap_or_default()
}

/// A 2x3 affine map from source to destination pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine {
    pub(crate) m: [[f64; 3]; 2],
}

impl Affine {
    pub(crate) fn inverse(&self) -> Option<Affine> {
        let [[a, b, c], [d, e, f]] = self.m;
        let det = a * e - b * d;
        if det.abs() < 1e-12 {
            return None;
        }
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Some(Affine { m: [[ia, ib, -(ia * c + ib * f)], [id, ie, -(id * c + ie * f)]] })
    }
}

/// `cv2.warpAffine(src, m, (w, h), flags=INTER_LINEAR, borderValue=0)`, including OpenCV's fixed-point source
/// coordinates (10 fractional bits, rounded to 1/32 pixel). A degenerate map gives a black image.
pub(crate) fn warp_affine(src: &RgbImage, m: &Affine, w: u32, h: u32) -> RgbImage {
    const AB_SCALE: f64 = 1024.0;
    const ROUND_DELTA: i64 = 16;
    let mut out = RgbImage::new(w, h);
    let Some(inv) = m.inverse() else {
        return out;
    };
    let [[a, b, c], [d, e, f]] = inv.m;
    let fixed = |v: f64| (v * AB_SCALE).round() as i64;
    for y in 0..h {
        let yf = f64::from(y);
        let (x0, y0) = (fixed(b * yf + c) + ROUND_DELTA, fixed(e * yf + f) + ROUND_DELTA);
        for x in 0..w {
            let xf = f64::from(x);
            let sx = (x0 + fixed(a * xf)) >> 5;
            let sy = (y0 + fixed(d * xf)) >> 5;
            let px = sample_bilinear(src, sx >> 5, sy >> 5, (sx & 31) as f64 / 32.0, (sy & 31) as f64 / 32.0);
            out.put_pixel(x, y, Rgb(px));
        }
    }
    out
}

/// Bilinear sample at (x0 + fx, y0 + fy) with a constant black border, as OpenCV's remap does.
fn sample_bilinear(src: &RgbImage, x0: i64, y0: i64, fx: f64, fy: f64) -> [u8; 3] {
    let (w, h) = (i64::from(src.width()), i64::from(src.height()));
    let fetch = |x: i64, y: i64| -> [f64; 3] {
        if x < 0 || y < 0 || x >= w || y >= h {
            [0.0; 3]
        } else {
            let p = src.get_pixel(x as u32, y as u32).0;
            [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]
        }
    };
    let (p00, p01, p10, p11) = (fetch(x0, y0), fetch(x0 + 1, y0), fetch(x0, y0 + 1), fetch(x0 + 1, y0 + 1));
    let mut px = [0u8; 3];
    for c in 0..3 {
        let top = p00[c] * (1.0 - fx) + p01[c] * fx;
        let bottom = p10[c] * (1.0 - fx) + p11[c] * fx;
        px[c] = to_u8((top * (1.0 - fy) + bottom * fy) as f32);
    }
    px
}

/// `v.round().clamp(0.0, 255.0) as u8` (NaN: 0), without the call to `roundf` that `round` becomes on a baseline
/// x86-64 build (no SSE4.1): for 0 <= v <= 255 the fraction `v - trunc(v)` is exact, so comparing it with one half
/// rounds half away from zero exactly as `round` does.
fn to_u8(v: f32) -> u8 {
    // `max` and `min` ignore NaN, so NaN becomes 0 (`clamp` would keep it); no branch, so loops over it vectorise.
    #[allow(clippy::manual_clamp)]
    let v = v.max(0.0).min(255.0);
    let whole = v as u32;
    (whole + u32::from(v - whole as f32 >= 0.5)) as u8
}

/// `img` in the middle of a border `border` pixels wide, filled with the image's mean colour.
pub(crate) fn padded(img: &RgbImage, border: u32) -> RgbImage {
    let n = u64::from(img.width()) * u64::from(img.height());
    let mut sum = [0u64; 3];
    for p in img.pixels() {
        for (s, v) in sum.iter_mut().zip(p.0) {
            *s += u64::from(v);
        }
    }
    let mean = sum.map(|s| (s / n.max(1)) as u8);
    let mut out = RgbImage::from_pixel(img.width() + 2 * border, img.height() + 2 * border, Rgb(mean));
    image::imageops::replace(&mut out, img, i64::from(border), i64::from(border));
    out
}

/// A dim photo (mean brightness below 80 of 255) with its levels stretched so that its 1st and 99th percentiles of
/// brightness span 0..255; `None` for a photo that is not dim.
pub(crate) fn stretched_if_dim(img: &RgbImage) -> Option<RgbImage> {
    let mut histogram = [0u64; 256];
    for p in img.pixels() {
        let [r, g, b] = p.0.map(u32::from);
        histogram[((299 * r + 587 * g + 114 * b) / 1000) as usize] += 1;
    }
    let n: u64 = histogram.iter().sum();
    let mean = histogram.iter().enumerate().map(|(v, c)| v as u64 * c).sum::<u64>() / n.max(1);
    if n == 0 || mean >= 80 {
        return None;
    }
    let percentile = |q: u64| {
        let mut seen = 0;
        histogram.iter().position(|&c| {
            seen += c;
            seen * 100 >= q * n
        })
    };
    let (lo, hi) = (percentile(1)? as f32, percentile(99)? as f32);
    if hi - lo < 8.0 {
        return None;
    }
    let gain = 255.0 / (hi - lo);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0 = p.0.map(|c| to_u8((f32::from(c) - lo) * gain));
    }
    Some(out)
}

/// Fills a planar f32 tensor buffer (C, H, W) from an RGB image, in BGR or RGB channel order, raw 0..255.
pub(crate) fn write_planar(img: &RgbImage, bgr: bool, dst: &mut ndarray::ArrayViewMut3<'_, f32>) {
    let width = img.width() as usize * 3;
    if width == 0 {
        return;
    }
    let order = if bgr { [2, 1, 0] } else { [0, 1, 2] };
    for (channel, &c) in order.iter().enumerate() {
        let mut plane = dst.index_axis_mut(ndarray::Axis(0), channel);
        for (mut row, src) in plane.outer_iter_mut().zip(img.as_raw().chunks_exact(width)) {
            for (d, px) in row.iter_mut().zip(src.chunks_exact(3)) {
                *d = f32::from(px[c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x + y) % 256) as u8]))
    }

    fn noise(w: u32, h: u32, seed: u64) -> RgbImage {
        let mut rng = crate::seeded::SplitMix(seed);
        RgbImage::from_fn(w, h, |_, _| {
            let v = rng.next_u32();
            Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
        })
    }

    proptest::proptest! {
        #[test]
        fn row_resize_equals_the_pixel_by_pixel_one(
            (w, h) in (1u32..40, 1u32..40),
            (dw, dh) in (1u32..60, 1u32..60),
            seed in 0u64..1000,
        ) {
            let img = noise(w, h, seed);
            if (w, h) != (2 * dw, 2 * dh) {
                proptest::prop_assert_eq!(resize_linear(&img, dw, dh), crate::pipeline::testing::resize_pixel_by_pixel(&img, dw, dh));
            }
        }

        #[test]
        fn a_region_resizes_as_its_copy_does(
            (w, h) in (1u32..40, 1u32..40),
            (x, y, rw, rh) in (0u32..40, 0u32..40, 1u32..40, 1u32..40),
            (dw, dh) in (1u32..50, 1u32..50),
            seed in 0u64..1000,
        ) {
            let img = noise(w, h, seed);
            let (x, y) = (x.min(w - 1), y.min(h - 1));
            let (rw, rh) = (rw.min(w - x), rh.min(h - y));
            let copy = image::imageops::crop_imm(&img, x, y, rw, rh).to_image();
            proptest::prop_assert_eq!(resize_region(&img, [x, y, rw, rh], dw, dh), resize_linear(&copy, dw, dh));
        }

        #[test]
        fn halving_averages_every_two_by_two_block((w, h) in (1u32..30, 1u32..30), seed in 0u64..1000) {
            let img = noise(2 * w, 2 * h, seed);
            let want = RgbImage::from_fn(w, h, |x, y| {
                let block = [(0, 0), (1, 0), (0, 1), (1, 1)].map(|(ox, oy)| img.get_pixel(2 * x + ox, 2 * y + oy).0);
                Rgb(std::array::from_fn(|c| ((block.iter().map(|p| u32::from(p[c])).sum::<u32>() + 2) / 4) as u8))
            });
            proptest::prop_assert_eq!(resize_linear(&img, w, h), want);
        }

        #[test]
        fn to_u8_rounds_like_round(v in -10.0f32..270.0) {
            proptest::prop_assert_eq!(to_u8(v), v.round().clamp(0.0, 255.0) as u8);
        }
    }

    #[test]
    fn to_u8_rounds_halves_away_from_zero_and_saturates() {
        for (v, want) in [(0.5, 1), (1.5, 2), (2.4999998, 2), (254.5, 255), (-0.5, 0), (f32::NAN, 0), (1e9, 255)] {
            assert_eq!(to_u8(v), want, "{v}");
        }
        let mut v = 0.0f32;
        while v < 256.0 {
            assert_eq!(to_u8(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
            v = f32::from_bits(v.to_bits() + 97);
        }
    }

    #[test]
    fn empty_sizes_give_an_empty_image_not_a_panic() {
        assert_eq!(resize_linear(&gradient(4, 4), 0, 2).dimensions(), (0, 2));
        assert_eq!(resize_linear(&RgbImage::new(0, 4), 3, 2).dimensions(), (3, 2));
    }

    #[test]
    fn identity_resize_is_a_copy() {
        let img = gradient(13, 7);
        assert_eq!(resize_linear(&img, 13, 7), img);
    }

    #[test]
    fn upscale_of_a_constant_image_stays_constant() {
        let img = RgbImage::from_pixel(3, 3, Rgb([10, 200, 77]));
        let out = resize_linear(&img, 10, 8);
        assert!(out.pixels().all(|p| p.0 == [10, 200, 77]));
    }

    #[test]
    fn halving_averages_two_by_two_blocks() {
        let img = RgbImage::from_fn(4, 2, |x, _| Rgb([(x * 10) as u8, 0, 0]));
        let out = resize_linear(&img, 2, 1);
        assert_eq!(out.get_pixel(0, 0).0[0], 5);
        assert_eq!(out.get_pixel(1, 0).0[0], 25);
    }

    #[test]
    fn padding_keeps_the_image_in_the_middle_of_its_mean_colour() {
        let img = RgbImage::from_fn(4, 2, |x, _| Rgb([if x < 2 { 0 } else { 200 }, 50, 50]));
        let out = padded(&img, 3);
        assert_eq!(out.dimensions(), (10, 8));
        assert_eq!(out.get_pixel(0, 0).0, [100, 50, 50]);
        assert_eq!(out.get_pixel(3, 3).0, [0, 50, 50]);
        assert_eq!(out.get_pixel(6, 4).0, [200, 50, 50]);
    }

    #[test]
    fn only_dim_photos_are_stretched() {
        let bright = RgbImage::from_fn(10, 10, |x, _| Rgb([(100 + x * 10) as u8; 3]));
        assert!(stretched_if_dim(&bright).is_none());
        let dim = RgbImage::from_fn(10, 10, |x, _| Rgb([(10 + x * 4) as u8; 3]));
        let out = stretched_if_dim(&dim).expect("dim");
        assert_eq!(out.get_pixel(0, 0).0, [0; 3]);
        assert_eq!(out.get_pixel(9, 0).0, [255; 3]);
    }

    #[test]
    fn identity_warp_reproduces_the_source() {
        let img = gradient(20, 10);
        let id = Affine { m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]] };
        assert_eq!(warp_affine(&img, &id, 20, 10), img);
    }

    #[test]
    fn translation_outside_the_source_is_black() {
        let img = RgbImage::from_pixel(4, 4, Rgb([255, 255, 255]));
        let shift = Affine { m: [[1.0, 0.0, 10.0], [0.0, 1.0, 0.0]] };
        let out = warp_affine(&img, &shift, 4, 4);
        assert!(out.pixels().all(|p| p.0 == [0, 0, 0]));
    }

    #[test]
    fn degenerate_map_gives_black_instead_of_panicking() {
        let img = gradient(4, 4);
        let zero = Affine { m: [[0.0; 3]; 2] };
        assert!(warp_affine(&img, &zero, 3, 3).pixels().all(|p| p.0 == [0, 0, 0]));
    }
}
