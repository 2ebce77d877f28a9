//! Any bytes through the upload decoder: it must return an image or a typed error, never panic, and never hand
//! back an image over the pixel limit.
#![no_main]

use faceverify::pipeline::{decode, DecodeLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each input fast; a 540 px floor sends any JPEG of 1080 px or more through the scaled decoder.
    let limits = DecodeLimits { max_bytes: 4 << 20, max_pixels: 4_000_000, max_side: 4096, downscale_min_side: 540 };
    if let Ok(img) = decode(data, &limits) {
        assert!(u64::from(img.width()) * u64::from(img.height()) <= limits.max_pixels);
    }
});
