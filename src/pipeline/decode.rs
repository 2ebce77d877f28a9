//! Image decoding at the edge: JPEG, PNG and WebP only, byte and pixel limits checked before pixels are
//! allocated, EXIF orientation applied. Large JPEGs (phone cameras: 12 MP and up) are decoded at 1/2, 1/4 or 1/8
//! scale by the IDCT itself, never below `downscale_min_side` on the shorter side: detection looks at 640 px,
//! alignment at 112 px, so the full resolution only costs decode time.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use serde::Deserialize;

use super::buffers::Pixels;
use super::jpeg_scan::{self, ScanError};

#[derive(Debug, Clone, Deserialize)]
pub struct DecodeLimits {
    pub max_bytes: usize,
    pub max_pixels: u64,
    pub max_side: u32,
    /// A JPEG whose shorter side is at least twice this is decoded scaled down, keeping the shorter side at or
    /// above it; 0 decodes everything at full resolution.
    pub downscale_min_side: u32,
}

/// The values of config/default.toml (the one source of defaults), for tools and tests that need no settings file;
/// `config::tests` keeps them equal.
impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_bytes: 15 * 1024 * 1024, max_pixels: 40_000_000, max_side: 12_000, downscale_min_side: 1080 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the image is empty")]
    Empty,
    #[error("the image exceeds the byte limit")]
    TooManyBytes,
    #[error("the data is not a JPEG, PNG or WebP image")]
    UnsupportedFormat,
    #[error("the image dimensions exceed the pixel limit")]
    TooManyPixels,
    #[error("the image data is corrupt or truncated")]
    Corrupt,
}

/// Decodes an upload to RGB. The pixels are zeroed when the result drops (intermediate conversions and rotations
/// are zeroed as they go).
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Pixels, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooManyBytes);
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(DecodeError::UnsupportedFormat);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(1 << 20));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(DecodeError::Corrupt);
    }
    if u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(DecodeError::TooManyPixels);
    }
    if format == ImageFormat::Jpeg {
        // After the pixel limit: the walk's work and memory grow with the image.
        jpeg_scan::check(bytes).map_err(|e| match e {
            ScanError::Unsupported => DecodeError::UnsupportedFormat,
            ScanError::Truncated | ScanError::Corrupt => DecodeError::Corrupt,
        })?;
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let scaled = match scale_denominator(w, h, limits.downscale_min_side) {
        Some(denominator) if format == ImageFormat::Jpeg => decode_jpeg_scaled(bytes, w, h, denominator)?,
        _ => None,
    };
    let img = match scaled {
        Some(img) => img,
        None => Pixels::from_dynamic(DynamicImage::from_decoder(decoder).map_err(classify)?),
    };
    Ok(img.oriented(orientation))
}

/// The largest of 8, 4 and 2 that keeps the shorter side at or above `min_side`, if any.
fn scale_denominator(w: u32, h: u32, min_side: u32) -> Option<u32> {
    if min_side == 0 {
        return None;
    }
    [8, 4, 2].into_iter().find(|d| w.min(h) / d >= min_side)
}

/// Decodes at 1/`denominator` scale; `None` for pixel formats left to the full decoder (CMYK, 16-bit grey).
fn decode_jpeg_scaled(bytes: &[u8], w: u32, h: u32, denominator: u32) -> Result<Option<Pixels>, DecodeError> {
    let corrupt = |_| DecodeError::Corrupt;
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let want = |side: u32| u16::try_from(side.div_ceil(denominator)).map_err(|_| DecodeError::TooManyPixels);
    let (sw, sh) = decoder.scale(want(w)?, want(h)?).map_err(corrupt)?;
    let format = decoder.info().map(|i| i.pixel_format);
    if !matches!(format, Some(jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8)) {
        return Ok(None);
    }
    let mut pixels = zeroize::Zeroizing::new(decoder.decode().map_err(corrupt)?);
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let raw = std::mem::take(&mut *pixels);
    let img = match format {
        Some(jpeg_decoder::PixelFormat::L8) => {
            image::GrayImage::from_raw(sw, sh, raw).map(|g| Pixels::from_dynamic(DynamicImage::ImageLuma8(g)))
        }
        _ => RgbImage::from_raw(sw, sh, raw).map(Pixels::new),
    };
    img.map(Some).ok_or(DecodeError::Corrupt)
}

fn classify(e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::Limits(_) => DecodeError::TooManyPixels,
        image::ImageError::Unsupported(_) => DecodeError::UnsupportedFormat,
        _ => DecodeError::Corrupt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb};

    fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).expect("encode");
        out.into_inner()
    }

    fn sample() -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8 * 3, y as u8 * 5, 128]))
    }

    #[test]
    fn decodes_the_three_accepted_formats() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let img = decode(&encode(&sample(), format), &DecodeLimits::default()).expect("decodes");
            assert_eq!(img.dimensions(), (64, 48), "{format:?}");
        }
    }

    #[test]
    fn rejects_empty_and_non_images() {
        let limits = DecodeLimits::default();
        assert_eq!(decode(b"", &limits), Err(DecodeError::Empty));
        assert_eq!(decode(b"%PDF-1.7 not an image", &limits), Err(DecodeError::UnsupportedFormat));
        assert_eq!(decode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &limits), Err(DecodeError::UnsupportedFormat));
        assert_eq!(decode(b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0", &limits), Err(DecodeError::UnsupportedFormat));
    }

    #[test]
    fn rejects_truncated_jpeg_and_png() {
        let limits = DecodeLimits::default();
        let jpeg = encode(&sample(), ImageFormat::Jpeg);
        assert_eq!(decode(&jpeg[..jpeg.len() / 2], &limits), Err(DecodeError::Corrupt));
        let png = encode(&sample(), ImageFormat::Png);
        assert_eq!(decode(&png[..png.len() / 2], &limits), Err(DecodeError::Corrupt));
    }

    #[test]
    fn rejects_a_jpeg_cut_short_with_an_end_marker_appended() {
        let limits = DecodeLimits::default();
        let img = RgbImage::from_fn(256, 192, |x, y| Rgb([(x ^ y) as u8, (x * 3) as u8, (y * 7) as u8]));
        let jpeg = encode(&img, ImageFormat::Jpeg);
        assert!(decode(&jpeg, &limits).is_ok());
        let forged = [&jpeg[..jpeg.len() / 2], &[0xFF, 0xD9]].concat();
        assert_eq!(decode(&forged, &limits), Err(DecodeError::Corrupt), "half a JPEG + EOI");
        let nearly = [&jpeg[..jpeg.len() - 40], &[0xFF, 0xD9]].concat();
        assert_eq!(decode(&nearly, &limits), Err(DecodeError::Corrupt), "all but the last 40 bytes + EOI");
    }

    #[test]
    fn accepts_data_appended_after_the_image_and_rejects_a_missing_scan() {
        let mut jpeg = encode(&sample(), ImageFormat::Jpeg);
        jpeg.extend(std::iter::repeat_n(0x42u8, 64 * 1024));
        assert!(decode(&jpeg, &DecodeLimits::default()).is_ok(), "motion-photo style trailer");
        let header_only = b"\xFF\xD8\xFF\xE0\x00\x04ab\xFF\xD9".to_vec();
        assert_eq!(decode(&header_only, &DecodeLimits::default()), Err(DecodeError::Corrupt));
    }

    #[test]
    fn rejects_oversized_dimensions_before_allocating() {
        // A valid PNG header claiming 20000x20000 pixels followed by almost no data.
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new(&mut out);
        let tiny = RgbImage::new(1, 1);
        encoder.write_image(tiny.as_raw(), 1, 1, image::ExtendedColorType::Rgb8).expect("png");
        let header = super::super::testing::png_with_dimensions(&out, 20_000, 20_000);
        assert_eq!(decode(&header, &DecodeLimits::default()), Err(DecodeError::TooManyPixels));
        let limits = DecodeLimits { max_pixels: 1000, ..DecodeLimits::default() };
        assert_eq!(decode(&encode(&sample(), ImageFormat::Png), &limits), Err(DecodeError::TooManyPixels));
    }

    #[test]
    fn byte_limit_is_enforced() {
        let limits = DecodeLimits { max_bytes: 10, ..DecodeLimits::default() };
        assert_eq!(decode(&encode(&sample(), ImageFormat::Png), &limits), Err(DecodeError::TooManyBytes));
    }

    /// A smooth 2400x2200 photo-like gradient as a JPEG, with an EXIF orientation when given.
    fn large_jpeg(orientation: Option<u8>) -> Vec<u8> {
        let img = RgbImage::from_fn(2400, 2200, |x, y| Rgb([(x / 10) as u8, (y / 9) as u8, ((x + y) / 18) as u8]));
        let jpeg = encode(&img, ImageFormat::Jpeg);
        let Some(o) = orientation else { return jpeg };
        // APP1 "Exif", big-endian TIFF, one IFD entry: Orientation (0x0112), SHORT, 1, value.
        let tiff = [b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0".as_slice(), &[o, 0, 0, 0, 0, 0, 0]].concat();
        let payload = [b"Exif\0\0".as_slice(), &tiff].concat();
        let len = u16::try_from(payload.len() + 2).expect("short segment").to_be_bytes();
        [&jpeg[..2], &[0xFF, 0xE1, len[0], len[1]], &payload, &jpeg[2..]].concat()
    }

    #[test]
    fn the_scale_keeps_the_shorter_side_at_or_above_the_minimum() {
        assert_eq!(scale_denominator(4000, 3000, 1080), Some(2));
        assert_eq!(scale_denominator(8000, 6000, 1080), Some(4));
        assert_eq!(scale_denominator(3000, 9000, 360), Some(8));
        assert_eq!(scale_denominator(2200, 2100, 1080), None, "under twice the minimum: full resolution");
        assert_eq!(scale_denominator(1000, 750, 1080), None);
        assert_eq!(scale_denominator(4000, 3000, 0), None, "0 turns it off");
    }

    #[test]
    fn large_jpegs_are_decoded_scaled_with_the_same_content() {
        let jpeg = large_jpeg(None);
        let full = decode(&jpeg, &DecodeLimits { downscale_min_side: 0, ..DecodeLimits::default() }).expect("full");
        let scaled = decode(&jpeg, &DecodeLimits { downscale_min_side: 1000, ..DecodeLimits::default() }).expect("1/2");
        assert_eq!((full.width(), full.height()), (2400, 2200));
        assert_eq!((scaled.width(), scaled.height()), (1200, 1100));
        let mut total = 0u64;
        for (x, y, px) in scaled.enumerate_pixels() {
            for c in 0..3 {
                let block = (0..2).flat_map(|dy| (0..2).map(move |dx| (dx, dy)));
                let mean = block.map(|(dx, dy)| u32::from(full.get_pixel(2 * x + dx, 2 * y + dy)[c])).sum::<u32>() / 4;
                total += u64::from(mean.abs_diff(u32::from(px[c])));
            }
        }
        let mean_abs_diff = total as f64 / (1200.0 * 1100.0 * 3.0);
        assert!(mean_abs_diff < 2.0, "scaled decode differs from the full one by {mean_abs_diff} levels on average");
    }

    #[test]
    fn exif_orientation_applies_on_both_paths() {
        let jpeg = large_jpeg(Some(6)); // rotate 90 degrees clockwise
        let full = decode(&jpeg, &DecodeLimits { downscale_min_side: 0, ..DecodeLimits::default() }).expect("full");
        let scaled = decode(&jpeg, &DecodeLimits { downscale_min_side: 1000, ..DecodeLimits::default() }).expect("1/2");
        assert_eq!((full.width(), full.height()), (2200, 2400));
        assert_eq!((scaled.width(), scaled.height()), (1100, 1200));
    }

    #[test]
    fn a_large_greyscale_jpeg_comes_out_rgb() {
        let grey = image::GrayImage::from_fn(2400, 2200, |x, y| image::Luma([((x + y) / 18) as u8]));
        let mut out = Cursor::new(Vec::new());
        grey.write_to(&mut out, ImageFormat::Jpeg).expect("encode");
        let img = decode(out.get_ref(), &DecodeLimits { downscale_min_side: 1000, ..DecodeLimits::default() })
            .expect("decode");
        assert_eq!((img.width(), img.height()), (1200, 1100));
        let px = img.get_pixel(600, 550);
        assert!(px[0] == px[1] && px[1] == px[2], "grey stays grey: {px:?}");
    }
}
