use std::io::Cursor;

use super::*;

fn encode(img: image::DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).expect("encode");
    out.into_inner()
}

fn colour(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x ^ y) as u8, (x * 5) as u8, (y * 3) as u8]));
    encode(image::DynamicImage::ImageRgb8(img))
}

fn grey(w: u32, h: u32) -> Vec<u8> {
    encode(image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(w, h, |x, y| image::Luma([(x * y) as u8]))))
}

/// Where the first scan's data starts.
fn scan_start(jpeg: &[u8]) -> usize {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).expect("SOS");
    sos + 2 + usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]))
}

#[test]
fn complete_images_pass_with_or_without_trailing_data() {
    for jpeg in [colour(64, 48), colour(333, 97), grey(100, 100), colour(8, 8), colour(1, 1)] {
        assert_eq!(check(&jpeg), Ok(()));
        let trailer = [jpeg.as_slice(), &[0x42; 4096]].concat();
        assert_eq!(check(&trailer), Ok(()), "data after EOI is not looked at");
    }
}

#[test]
fn every_cut_inside_the_scan_is_refused_with_or_without_an_end_marker() {
    for jpeg in [colour(200, 150), grey(160, 120)] {
        let start = scan_start(&jpeg);
        let end = jpeg.len() - 2; // the EOI
        for cut in (start..end).step_by(7).chain([end - 1]) {
            let with_eoi = [&jpeg[..cut], &[0xFF, 0xD9]].concat();
            assert_eq!(check(&with_eoi), Err(ScanError::Truncated), "cut at {cut} of {end} + EOI");
            assert!(check(&jpeg[..cut]).is_err(), "cut at {cut} without EOI");
        }
    }
}

#[test]
fn a_file_without_end_marker_or_scan_is_truncated() {
    let jpeg = colour(64, 48);
    assert_eq!(check(&jpeg[..jpeg.len() - 2]), Err(ScanError::Truncated));
    let headers_only = [&jpeg[..scan_start(&jpeg) - 14], &[0xFF, 0xD9]].concat();
    assert!(check(&headers_only).is_err());
    assert_eq!(check(b"\xFF\xD8\xFF\xD9"), Err(ScanError::Corrupt), "no frame at all");
}

#[test]
fn other_coding_processes_are_unsupported() {
    let mut jpeg = colour(64, 48);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
    jpeg[sof + 1] = 0xC3; // lossless
    assert_eq!(check(&jpeg), Err(ScanError::Unsupported));
    jpeg[sof + 1] = 0xC9; // arithmetic coding
    assert_eq!(check(&jpeg), Err(ScanError::Unsupported));
}

#[test]
fn huffman_codes_are_canonical_and_overfull_tables_are_corrupt() {
    // Two 1-bit codes would use the whole code space; a third symbol of length 2 cannot exist.
    let mut counts = [0u8; 16];
    counts[0] = 2;
    counts[1] = 1;
    assert!(Huffman::new(&counts, &[1, 2, 3]).is_err());
    // Lengths 1, 2, 3: codes 0, 10, 110.
    let mut counts = [0u8; 16];
    counts[..3].copy_from_slice(&[1, 1, 1]);
    let table = Huffman::new(&counts, &[7, 8, 9]).expect("table");
    let data = [0b0101_1000u8, 0x00];
    let mut r = BitReader::new(&data, 0);
    let symbols: Vec<u8> = (0..3).map(|_| table.decode(&mut r).expect("symbol")).collect();
    assert_eq!(symbols, [7, 8, 9]);
}

#[test]
fn stuffed_bytes_are_data_and_markers_end_the_data() {
    let data = [0xFF, 0x00, 0xAB, 0xFF, 0xD9];
    let mut r = BitReader::new(&data, 0);
    assert_eq!(r.value(16), Ok(0xFFAB));
    assert_eq!(r.value(1), Err(ScanError::Truncated));
    assert_eq!(r.skip_to_marker(), Some((0xD9, 5)));
    let long = [0x12; 16];
    let mut r = BitReader::new(&long, 0);
    assert_eq!(r.skip(64), Ok(()), "more than one buffer's worth");
    assert_eq!(r.value(8), Ok(0x12));
    assert_eq!(r.skip(57), Err(ScanError::Truncated));
}

#[test]
fn mangled_files_are_refused_or_accepted_but_never_panic() {
    let originals = [colour(64, 48), grey(40, 24)];
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize
    };
    for round in 0..3000 {
        let mut jpeg = originals[round % 2].clone();
        for _ in 0..1 + next() % 4 {
            let at = next() % jpeg.len();
            jpeg[at] = next() as u8;
        }
        let _ = check(&jpeg);
        let _ = check(&jpeg[..next() % jpeg.len()]);
    }
    let mut no_components = colour(16, 16);
    let sos = no_components.windows(2).position(|w| w == [0xFF, 0xDA]).expect("SOS");
    no_components[sos + 4] = 0;
    assert_eq!(check(&no_components), Err(ScanError::Corrupt), "a scan of no component");
}
