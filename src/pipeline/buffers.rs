//! Buffers of personal data that are zeroed when dropped: the raw bytes of an uploaded photo and its decoded pixels.
//! They cost one pass of writes at the end of a request. What they cannot reach: copies the decoders keep inside
//! (coefficient planes, row buffers), the HTTP stack's receive buffers, and images derived later (the 640 px
//! detection copy, liveness crops); the aligned crop has its own zeroizing type.

use std::ops::Deref;

use image::{DynamicImage, RgbImage};
use zeroize::{Zeroize, Zeroizing};

/// The raw bytes of an uploaded photo: zeroed on drop, and when growing it moves into a larger buffer and zeroes
/// the old one, so no copy is left behind in freed memory. Debug shows the length only.
#[derive(Default)]
pub struct UploadBytes(Zeroizing<Vec<u8>>);

impl UploadBytes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn extend_from_slice(&mut self, chunk: &[u8]) {
        let needed = self.0.len().saturating_add(chunk.len());
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity().saturating_mul(2))));
            bigger.extend_from_slice(&self.0);
            // The old buffer is zeroed as it drops here.
            self.0 = bigger;
        }
        self.0.extend_from_slice(chunk);
    }
}

impl From<Zeroizing<Vec<u8>>> for UploadBytes {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl From<Vec<u8>> for UploadBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

impl Deref for UploadBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for UploadBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UploadBytes({} bytes)", self.0.len())
    }
}

/// A decoded photo (RGB, 8 bits): read through `Deref`, zeroed on drop (its whole allocation), never handed out
/// by value. Debug shows the dimensions only.
#[derive(PartialEq, Eq)]
pub struct Pixels(RgbImage);

impl Pixels {
    pub fn new(image: RgbImage) -> Self {
        Self(image)
    }

    /// `image` as RGB; the source buffer, when a conversion copied it, is zeroed.
    pub(crate) fn from_dynamic(image: DynamicImage) -> Self {
        match image {
            DynamicImage::ImageRgb8(rgb) => Self(rgb),
            mut other => {
                let rgb = other.to_rgb8();
                wipe(&mut other);
                Self(rgb)
            }
        }
    }

    /// Applies an EXIF orientation; a rotation's source buffer is zeroed when it drops.
    pub(crate) fn oriented(mut self, orientation: image::metadata::Orientation) -> Self {
        use image::imageops::{
            flip_horizontal_in_place, flip_vertical_in_place, rotate180_in_place, rotate270, rotate90,
        };
        use image::metadata::Orientation as O;
        match orientation {
            O::NoTransforms => self,
            O::Rotate180 => {
                rotate180_in_place(&mut self.0);
                self
            }
            O::FlipHorizontal => {
                flip_horizontal_in_place(&mut self.0);
                self
            }
            O::FlipVertical => {
                flip_vertical_in_place(&mut self.0);
                self
            }
            O::Rotate90 => Self(rotate90(&self.0)),
            O::Rotate270 => Self(rotate270(&self.0)),
            O::Rotate90FlipH => {
                let mut turned = rotate90(&self.0);
                flip_horizontal_in_place(&mut turned);
                Self(turned)
            }
            O::Rotate270FlipH => {
                let mut turned = rotate270(&self.0);
                flip_horizontal_in_place(&mut turned);
                Self(turned)
            }
        }
    }
}

impl Deref for Pixels {
    type Target = RgbImage;

    fn deref(&self) -> &RgbImage {
        &self.0
    }
}

impl Drop for Pixels {
    fn drop(&mut self) {
        drop(Zeroizing::new(std::mem::take(&mut self.0).into_raw()));
    }
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({}x{})", self.0.width(), self.0.height())
    }
}

/// Zeroes the samples of any decoded image.
pub(crate) fn wipe(image: &mut DynamicImage) {
    match image {
        DynamicImage::ImageLuma8(b) => (**b).zeroize(),
        DynamicImage::ImageLumaA8(b) => (**b).zeroize(),
        DynamicImage::ImageRgb8(b) => (**b).zeroize(),
        DynamicImage::ImageRgba8(b) => (**b).zeroize(),
        DynamicImage::ImageLuma16(b) => (**b).zeroize(),
        DynamicImage::ImageLumaA16(b) => (**b).zeroize(),
        DynamicImage::ImageRgb16(b) => (**b).zeroize(),
        DynamicImage::ImageRgba16(b) => (**b).zeroize(),
        DynamicImage::ImageRgb32F(b) => (**b).zeroize(),
        DynamicImage::ImageRgba32F(b) => (**b).zeroize(),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_bytes_grow_keep_their_content_and_hide_it_from_debug() {
        let mut bytes = UploadBytes::new();
        for chunk in [b"abc".as_slice(), &[7u8; 1000], b"xyz"] {
            bytes.extend_from_slice(chunk);
        }
        assert_eq!(bytes.len(), 1006);
        assert_eq!(&bytes[..3], b"abc");
        assert_eq!(&bytes[1003..], b"xyz");
        assert_eq!(format!("{bytes:?}"), "UploadBytes(1006 bytes)");
    }

    #[test]
    fn pixels_convert_orient_and_hide_their_content_from_debug() {
        let grey = image::GrayImage::from_fn(3, 2, |x, y| image::Luma([(10 * x + y) as u8]));
        let px = Pixels::from_dynamic(DynamicImage::ImageLuma8(grey));
        assert_eq!(px.get_pixel(2, 1).0, [21, 21, 21]);
        let turned = px.oriented(image::metadata::Orientation::Rotate90);
        assert_eq!(turned.dimensions(), (2, 3));
        assert_eq!(format!("{turned:?}"), "Pixels(2x3)");
        let mut dynamic = DynamicImage::ImageRgb8(RgbImage::from_pixel(2, 2, image::Rgb([9, 9, 9])));
        wipe(&mut dynamic);
        assert!(dynamic.as_bytes().iter().all(|b| *b == 0));
    }

    #[test]
    fn every_orientation_matches_the_image_crate() {
        use image::metadata::Orientation as O;
        let img = RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8, y as u8, (x * y) as u8]));
        for o in [
            O::NoTransforms,
            O::Rotate90,
            O::Rotate180,
            O::Rotate270,
            O::FlipHorizontal,
            O::FlipVertical,
            O::Rotate90FlipH,
            O::Rotate270FlipH,
        ] {
            let mut expected = DynamicImage::ImageRgb8(img.clone());
            expected.apply_orientation(o);
            assert_eq!(*Pixels::new(img.clone()).oriented(o), expected.into_rgb8(), "{o:?}");
        }
    }
}
