//! Builders of synthetic and hostile inputs, shared by unit tests, API tests, benches and fuzz seeds.

use image::{Rgb, RgbImage};

use super::{Embedding, EMBEDDING_DIM};

/// A deterministic pseudo-random unit vector (xorshift): distinct seeds are nearly orthogonal, so synthetic
/// galleries behave like galleries of different people.
pub fn synthetic_embedding(seed: u64) -> Embedding {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut raw = [0.0f32; EMBEDDING_DIM];
    for v in raw.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *v = (x % 2001) as f32 / 1000.0 - 1.0;
    }
    // x starts odd and xorshift never reaches zero, so the vector has non-zero components.
    Embedding::normalised(raw).unwrap_or_else(|| unreachable!("xorshift never yields an all-zero vector"))
}

/// Rewrites the IHDR width/height of a PNG (and its CRC) so the header claims `w` x `h` pixels.
pub fn png_with_dimensions(png: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = png.to_vec();
    // 8-byte signature, 4-byte length, "IHDR", then width and height.
    if out.len() < 33 {
        return out;
    }
    out[16..20].copy_from_slice(&w.to_be_bytes());
    out[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The service's resize (OpenCV's INTER_LINEAR), for benches.
pub fn resize(src: &RgbImage, dst_w: u32, dst_h: u32) -> RgbImage {
    super::image_ops::resize_linear(src, dst_w, dst_h)
}

/// The pixel-by-pixel bilinear resize the service used before it worked on rows, kept as the reference the row
/// version must equal byte for byte (image_ops tests) and as the bench's "before". Not for an exact halving, which
/// OpenCV (and `resize`) average in 2x2 blocks instead.
pub fn resize_pixel_by_pixel(src: &RgbImage, dst_w: u32, dst_h: u32) -> RgbImage {
    let taps = super::image_ops::axis_taps;
    let (xs, ys) = (taps(src.width(), dst_w), taps(src.height(), dst_h));
    RgbImage::from_fn(dst_w, dst_h, |dx, dy| {
        let ((x0, x1, fx), (y0, y1, fy)) = (xs[dx as usize], ys[dy as usize]);
        let (p00, p01) = (src.get_pixel(x0, y0).0, src.get_pixel(x1, y0).0);
        let (p10, p11) = (src.get_pixel(x0, y1).0, src.get_pixel(x1, y1).0);
        Rgb(std::array::from_fn(|c| {
            let top = f32::from(p00[c]) * (1.0 - fx) + f32::from(p01[c]) * fx;
            let bottom = f32::from(p10[c]) * (1.0 - fx) + f32::from(p11[c]) * fx;
            (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
        }))
    })
}
