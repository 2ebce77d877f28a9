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

/// A progressive greyscale JPEG built by hand: every coefficient zero, one DC scan, then `ac_scans` first-pass AC
/// scans of the whole band (a repeated scan, as an attacker would write: each a few bytes, each a pass over every
/// block through end-of-band runs).
fn progressive(side: u16, ac_scans: usize) -> Vec<u8> {
    let blocks = usize::from(side.div_ceil(8)).pow(2);
    let [hi, lo] = side.to_be_bytes();
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0];
    jpeg.extend([1; 64]); // quantisation table 0
    jpeg.extend([0xFF, 0xC2, 0, 11, 8, hi, lo, hi, lo, 1, 1, 0x11, 0]);
    // DC table 0: size 0 is code "0". AC table 0: EOBRUN of 2^14 + extra bits is code "00".
    let one_code = |class: u8, length: usize, symbol: u8| {
        let mut table = vec![class; 18];
        table[1..17].fill(0);
        table[length] = 1;
        table[17] = symbol;
        table
    };
    jpeg.extend([0xFF, 0xC4, 0, 38]);
    jpeg.extend(one_code(0x00, 1, 0x00));
    jpeg.extend(one_code(0x10, 2, 0xE0));
    let scan = |ss: u8, se: u8| [0xFF, 0xDA, 0, 8, 1, 1, 0x00, ss, se, 0];
    jpeg.extend(scan(0, 0));
    jpeg.extend(vec![0; blocks / 8]); // one zero bit per block, padded with ones
    if blocks % 8 != 0 {
        jpeg.push(0xFF >> (blocks % 8));
    }
    for _ in 0..ac_scans {
        jpeg.extend(scan(1, 63));
        for _ in 0..blocks.div_ceil(32_766) {
            jpeg.extend([0x3F, 0xFE]); // "00" and 14 bits of 16382: a run of 32766 blocks
        }
    }
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

#[test]
fn the_hand_built_progressive_file_is_one_a_decoder_reads() {
    let jpeg = progressive(64, 1);
    assert_eq!(check(&jpeg), Ok(()));
    let pixels = jpeg_decoder::Decoder::new(Cursor::new(&jpeg)).decode().expect("decodes");
    assert_eq!(pixels.len(), 64 * 64);
    assert_eq!(check(&progressive(64, 0)), Err(ScanError::Truncated), "no AC coefficient delivered");
}

#[test]
fn more_scans_than_libjpeg_turbo_allows_are_corrupt() {
    // One block: the pass budget (its floor) is far away, the scan count is what refuses.
    assert_eq!(check(&progressive(8, MAX_SCANS - 1)), Ok(()));
    assert_eq!(check(&progressive(8, MAX_SCANS)), Err(ScanError::Corrupt));
    assert_eq!(check(&progressive(8, 300_000)), Err(ScanError::Corrupt), "refused at the cap, not walked to the end");
}

#[test]
fn scans_may_visit_each_block_only_so_many_times() {
    // 65536 blocks, so the budget is the per-block one, above its floor.
    let side = 2048;
    let blocks = (side / 8) * (side / 8);
    assert!(blocks * PASSES_PER_BLOCK > MIN_BLOCK_VISITS);
    assert_eq!(check(&progressive(side as u16, PASSES_PER_BLOCK - 1)), Ok(()), "DC pass + AC passes = the budget");
    assert_eq!(check(&progressive(side as u16, PASSES_PER_BLOCK)), Err(ScanError::Corrupt));
}
