//! Builders of synthetic and hostile inputs, shared by unit tests, API tests, benches and fuzz seeds.

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
