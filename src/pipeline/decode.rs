//! Image decoding at the edge: JPEG, PNG and WebP only, byte and pixel limits checked before pixels are
//! allocated, EXIF orientation applied.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct DecodeLimits {
    pub max_bytes: usize,
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_bytes: 15 * 1024 * 1024, max_pixels: 40_000_000, max_side: 12_000 }
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

pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, DecodeError> {
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
    if format == ImageFormat::Jpeg && !has_jpeg_end(bytes) {
        return Err(DecodeError::Corrupt);
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
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(classify)?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// A complete JPEG has an end-of-image marker (FF D9) somewhere after its first top-level start-of-scan.
/// A truncated upload has none (the decoder would fill the missing part with grey and carry on); data a phone
/// appends after the image (motion-photo video, vendor trailers) is allowed. Entropy-coded data never holds FF D9,
/// and an EXIF thumbnail's markers sit inside an APP segment, which the walk skips by its length.
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            i += 2; // standalone markers carry no length
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xDA {
            return bytes[i..].windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        i += 2 + len;
    }
    false
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
}
