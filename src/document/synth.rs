//! Synthesised evaluation and test data (issue 13, item 6): identity-document photos made from face photos, so the
//! API suite and `faceverify eval --document-cards` keep real selfie-vs-document pairs now that the document part
//! must show a document.
//!
//! `specimen_card` draws an ID-1 card (85.6 x 54 mm at 300 dpi: 1012 x 638 px): a printed background pattern, a
//! title, six labelled fields in an 8x8 bitmap font (font8x8, public domain) and the person's photo as the portrait
//! (the centre 3:4 crop of the photo, as a photo studio frames it). `photographed` then lays it on a desk and
//! photographs it: a seeded perspective, uneven light, a glare spot, blur, sensor noise and JPEG compression.
//! `flat` is the card as a digital composite (what an attacker who pastes a picture into a card template sends).
//! `photographed_with_zone` adds a TD1 machine-readable zone at the bottom (`td1_zone` makes one with valid check
//! digits); the real card carries it on the back.
//!
//! None of this is a real capture: the font, the layout and the optics are stand-ins. What the suite learns here
//! (documents found, faces matched through a card) a lender must re-measure on photos of real Kazakh ID cards
//! taken with real phones.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Mutex, OnceLock};

use image::{imageops, DynamicImage, ImageDecoder, ImageReader, Rgb, RgbImage};

use crate::seeded::SplitMix;

const CARD_W: u32 = 1012;
const CARD_H: u32 = 638;
/// The portrait box: 3:4, on the left as on ID-1 cards.
const PORTRAIT: (u32, u32, u32, u32) = (48, 140, 270, 360);
const INK: Rgb<u8> = Rgb([28, 32, 48]);

/// Field labels and specimen values (no real person's data).
const FIELDS: [(&str, &str); 6] = [
    ("SURNAME", "SPECIMEN"),
    ("GIVEN NAMES", "AIGERIM"),
    ("DATE OF BIRTH", "01.01.1990"),
    ("IIN", "900101400122"),
    ("DOCUMENT NUMBER", "012345678"),
    ("DATE OF EXPIRY", "01.01.2034"),
];

/// A photographed specimen card around `photo` (any image the `image` crate decodes), or `None` when `photo` does
/// not decode. Deterministic: the same photo and seed give the same bytes.
pub fn photographed(photo: &[u8], seed: u64) -> Option<Vec<u8>> {
    photographed_with_zone(photo, seed, &[])
}

/// As `photographed`, the card carrying `zone` (MRZ lines) below its fields.
pub fn photographed_with_zone(photo: &[u8], seed: u64, zone: &[String]) -> Option<Vec<u8>> {
    let digest = sha256(zone.concat().as_bytes());
    let key = seed ^ u64::from_le_bytes(std::array::from_fn(|i| digest[i]));
    cached(photo, key, |portrait| {
        let mut card = specimen_card(portrait);
        for (i, line) in zone.iter().enumerate() {
            text(&mut card, 48, 520 + 38 * i as u32, 3, line);
        }
        jpeg(&photograph(&card, seed), 85)
    })
}

/// A TD1 zone (ID card, 3 x 30) for the specimen card: `iin` as its optional data, `birth` (YYMMDD) as the birth
/// date, every check digit computed by ICAO 9303's rule.
pub fn td1_zone(iin: &str, birth: &str) -> Vec<String> {
    let cd = |f: &str| super::mrz::check_digit(f).unwrap_or(0);
    let doc = "N12345678";
    let l1 = format!("IDKAZ{doc}{}{iin}<<<", cd(doc));
    let l2 = format!("{birth}{}F340101{}KAZ<<<<<<<<<<<", cd(birth), cd("340101"));
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    vec![l1, format!("{l2}{}", cd(&composite)), "SPECIMEN<<AIGERIM<<<<<<<<<<<<<".into()]
}

/// The specimen card around `photo` as a flat digital composite (JPEG 92), no capture.
pub fn flat(photo: &[u8]) -> Option<Vec<u8>> {
    cached(photo, u64::MAX, |portrait| jpeg(&specimen_card(portrait), 92))
}

/// Generating a photographed card takes a while (in an unoptimised test build above all); many tests send the same
/// photo. Bounded: the cache is emptied when it holds 256 cards.
fn cached(photo: &[u8], seed: u64, make: impl FnOnce(&RgbImage) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    type Cache = Mutex<HashMap<(Vec<u8>, u64), Vec<u8>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (sha256(photo), seed);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Some(hit.clone());
    }
    let made = make(&decode_upright(photo)?)?;
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= 256 {
        cache.clear();
    }
    cache.insert(key, made.clone());
    Some(made)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// Decodes and applies the EXIF orientation, as the service does.
fn decode_upright(bytes: &[u8]) -> Option<RgbImage> {
    let mut decoder = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?.into_decoder().ok()?;
    let orientation = decoder.orientation().ok()?;
    let mut img = DynamicImage::from_decoder(decoder).ok()?;
    img.apply_orientation(orientation);
    Some(img.to_rgb8())
}

fn jpeg(img: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).ok()?;
    Some(out)
}

/// The card, portrait included.
pub fn specimen_card(photo: &RgbImage) -> RgbImage {
    let mut card = RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        // A fine printed wave pattern over a pale tint, as security printing has.
        let (xf, yf) = (x as f32, y as f32);
        let wave = ((xf / 9.0 + (yf / 23.0).sin() * 3.0).sin() * (yf / 11.0 + (xf / 31.0).sin() * 2.0).sin()).abs();
        let shade = if wave > 0.93 { 18 } else { 0 };
        Rgb([226 - shade, 236 - shade, 242 - shade / 2])
    });
    let (px, py, pw, ph) = PORTRAIT;
    imageops::replace(&mut card, &portrait_crop(photo, pw, ph), i64::from(px), i64::from(py));
    text(&mut card, 48, 28, 4, "REPUBLIC OF KAZAKHSTAN");
    text(&mut card, 48, 78, 3, "IDENTITY CARD");
    for (i, (label, value)) in FIELDS.iter().enumerate() {
        let y = 140 + 62 * i as u32;
        text(&mut card, 350, y, 2, label);
        text(&mut card, 350, y + 22, 3, value);
    }
    card
}

/// The centre crop of `photo` at the portrait's aspect ratio, scaled to `w` x `h`.
fn portrait_crop(photo: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (sw, sh) = photo.dimensions();
    let (cw, ch) = if sw * h > sh * w { (sh * w / h, sh) } else { (sw, sw * h / w) };
    let crop = imageops::crop_imm(photo, (sw - cw) / 2, (sh - ch) / 2, cw.max(1), ch.max(1)).to_image();
    imageops::resize(&crop, w, h, imageops::FilterType::Triangle)
}

/// Draws `s` in the 8x8 font, each font pixel `scale` x `scale` device pixels.
fn text(img: &mut RgbImage, x: u32, y: u32, scale: u32, s: &str) {
    for (i, c) in s.chars().enumerate() {
        let glyph = font8x8::legacy::BASIC_LEGACY.get(c as usize).copied().unwrap_or([0; 8]);
        let gx = x + i as u32 * 8 * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8u32 {
                if bits >> col & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let (tx, ty) = (gx + col * scale + dx, y + row as u32 * scale + dy);
                            if tx < img.width() && ty < img.height() {
                                img.put_pixel(tx, ty, INK);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The card lying on a desk, photographed from slightly off-axis.
fn photograph(card: &RgbImage, seed: u64) -> RgbImage {
    const W: u32 = 1280;
    const H: u32 = 960;
    let mut rng = SplitMix(seed);
    // Where the card's corners land: about 80% of the frame's width, each corner moved a little.
    let cw = 1000.0 * rng.range(0.9, 1.02);
    let ch = cw * f64::from(CARD_H) / f64::from(CARD_W);
    let ox = (f64::from(W) - cw) / 2.0 + rng.range(-40.0, 40.0);
    let oy = (f64::from(H) - ch) / 2.0 + rng.range(-40.0, 40.0);
    let mut jitter = || rng.range(-35.0, 35.0);
    let quad = [
        (ox + jitter(), oy + jitter()),
        (ox + cw + jitter(), oy + jitter()),
        (ox + cw + jitter(), oy + ch + jitter()),
        (ox + jitter(), oy + ch + jitter()),
    ];
    let (cwf, chf) = (f64::from(CARD_W), f64::from(CARD_H));
    let to_card = homography(quad, [(0.0, 0.0), (cwf, 0.0), (cwf, chf), (0.0, chf)]);
    let desk = [rng.range(90.0, 150.0), rng.range(70.0, 120.0), rng.range(50.0, 100.0)];
    let (gx, gy, gr) = (ox + rng.range(0.2, 0.8) * cw, oy + rng.range(0.2, 0.8) * ch, rng.range(80.0, 160.0));
    let light = rng.range(-0.15, 0.15);
    let mut out = RgbImage::from_fn(W, H, |x, y| {
        let (xf, yf) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let [u, v] = apply(&to_card, xf, yf);
        let base = if (0.0..cwf - 1.0).contains(&u) && (0.0..chf - 1.0).contains(&v) {
            bilinear(card, u, v)
        } else {
            let grain = ((xf * 0.37).sin() * (yf * 0.23).cos()) * 6.0;
            [desk[0] + grain, desk[1] + grain, desk[2] + grain]
        };
        let gain = 1.0 + light * (xf / f64::from(W) - 0.5) * 2.0;
        let d2 = ((xf - gx).powi(2) + (yf - gy).powi(2)) / (gr * gr);
        let glare = 70.0 * (-d2).exp();
        Rgb(base.map(|c| (c * gain + glare).clamp(0.0, 255.0) as u8))
    });
    out = imageops::blur(&out, rng.range(0.6, 1.1) as f32);
    let mut noise = SplitMix(seed ^ 0xA5A5);
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (f64::from(*c) + noise.range(-5.0, 5.0)).clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn bilinear(img: &RgbImage, u: f64, v: f64) -> [f64; 3] {
    let (x0, y0) = (u.floor() as u32, v.floor() as u32);
    let (fx, fy) = (u - f64::from(x0), v - f64::from(y0));
    let p = |x: u32, y: u32| img.get_pixel(x, y).0.map(f64::from);
    let (a, b, c, d) = (p(x0, y0), p(x0 + 1, y0), p(x0, y0 + 1), p(x0 + 1, y0 + 1));
    std::array::from_fn(|i| (a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy)
}

/// The 3x3 projective map taking each `from` point to its `to` point (solved by Gaussian elimination).
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0.0f64; 9]; 8];
    for (i, ((x, y), (u, v))) in from.iter().zip(to.iter()).enumerate() {
        a[2 * i] = [*x, *y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, *u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, *x, *y, 1.0, -v * x, -v * y, *v];
    }
    for col in 0..8 {
        let pivot = (col..8).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(pivot_row.iter()).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    let h: [f64; 8] = std::array::from_fn(|i| a[i][8] / a[i][i]);
    [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]
}

fn apply(h: &[f64; 9], x: f64, y: f64) -> [f64; 2] {
    let w = h[6] * x + h[7] * y + h[8];
    [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_homography_maps_each_corner_where_it_was_asked() {
        let from = [(10.0, 20.0), (900.0, 5.0), (950.0, 700.0), (0.0, 650.0)];
        let to = [(0.0, 0.0), (1012.0, 0.0), (1012.0, 638.0), (0.0, 638.0)];
        let h = homography(from, to);
        for (f, t) in from.iter().zip(to.iter()) {
            let [u, v] = apply(&h, f.0, f.1);
            assert!((u - t.0).abs() < 1e-6 && (v - t.1).abs() < 1e-6, "{f:?} -> {u},{v}");
        }
    }

    #[test]
    fn photographs_are_reproducible_and_differ_by_seed() {
        let img = RgbImage::from_fn(300, 400, |x, y| Rgb([(x % 200) as u8, (y % 200) as u8, 80]));
        let photo = jpeg(&img, 90).expect("encodes");
        let a = photographed(&photo, 7).expect("decodes");
        assert_eq!(a, photographed(&photo, 7).expect("decodes"));
        assert_ne!(a, photographed(&photo, 8).expect("decodes"));
        assert!(photographed(b"not an image", 7).is_none());
    }
}
