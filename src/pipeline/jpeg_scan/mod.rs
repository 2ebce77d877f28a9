//! Does a JPEG's entropy-coded data cover the whole image? Both decoders we use (zune-jpeg through the image crate,
//! jpeg-decoder for scaled decoding) fill a scan that ends early with zero bits and say nothing, so half a photo
//! followed by an end-of-image marker decodes as a whole, grey-padded picture. This walks every scan as a decoder
//! would, but only counts: Huffman codes and their extra bits, no coefficient values, no IDCT. It fails when a scan
//! needs bits beyond its end (or where a restart marker should be), and when the scans leave a coefficient of a
//! component undelivered (a progressive file cut between two scans). Data after the end-of-image marker is not
//! looked at. Huffman-coded baseline, extended and progressive JPEGs (SOF0-2); other processes are refused.
//!
//! The work is bounded whatever the file: at most `MAX_SCANS` scans, and the scans together visit at most
//! `PASSES_PER_BLOCK` times the frame's blocks (or `MIN_BLOCK_VISITS`, for small images). Blocks inside an
//! end-of-band run consume no data, so without this a few bytes per scan could make each scan cost a pass over
//! the whole image. Real progressive files have about ten scans and visit each block under ten times.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A scan or the file ends before the image is complete.
    Truncated,
    Corrupt,
    /// Lossless, hierarchical or arithmetic-coded: neither decoder reads these.
    Unsupported,
}

type Result<T> = std::result::Result<T, ScanError>;

/// libjpeg-turbo's default limit on scans.
const MAX_SCANS: usize = 1000;
/// Block visits allowed per block of the frame, summed over all scans (each visit costs a few nanoseconds).
const PASSES_PER_BLOCK: usize = 32;
/// The floor of that budget, so that small images may have as many scans as any other.
const MIN_BLOCK_VISITS: usize = 1 << 20;

mod bits;
mod blocks;
#[cfg(test)]
mod tests;

use bits::{BitReader, Huffman};
use blocks::{ac_first, ac_refine, dc_first, sequential_block};

struct Component {
    id: u8,
    h: usize,
    v: usize,
    blocks_w: usize,
    blocks_h: usize,
    /// Bit k: coefficient k (zig-zag order) was delivered by some scan.
    covered: u64,
    /// Progressive only: per block, the coefficients already non-zero (refinement scans read a bit for each).
    nonzero: Vec<u64>,
}

struct Frame {
    width: usize,
    height: usize,
    progressive: bool,
    h_max: usize,
    v_max: usize,
    components: Vec<Component>,
}

struct Tables {
    dc: [Option<Huffman>; 4],
    ac: [Option<Huffman>; 4],
    /// Stands in where a scan needs no table (DC refinement).
    placeholder: Huffman,
}

impl Default for Tables {
    fn default() -> Self {
        Self { dc: Default::default(), ac: Default::default(), placeholder: Huffman::empty() }
    }
}

/// Walks `bytes` (a JPEG, SOI first) up to its end-of-image marker.
pub(crate) fn check(bytes: &[u8]) -> Result<()> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(ScanError::Corrupt);
    }
    let (mut pos, mut frame, mut tables, mut restart) = (2usize, None::<Frame>, Tables::default(), 0usize);
    let (mut scans, mut visits_left) = (0usize, 0usize);
    loop {
        let (marker, after) = next_marker(bytes, pos)?;
        match marker {
            0xD9 => break,
            0xD8 => return Err(ScanError::Corrupt),
            0x01 | 0xD0..=0xD7 => {
                pos = after;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(after).ok_or(ScanError::Truncated)?,
            *bytes.get(after + 1).ok_or(ScanError::Truncated)?,
        ]));
        if len < 2 {
            return Err(ScanError::Corrupt);
        }
        let segment = bytes.get(after + 2..after + len).ok_or(ScanError::Truncated)?;
        let next = after + len;
        match marker {
            0xC0..=0xC2 if frame.is_some() => return Err(ScanError::Corrupt),
            0xC0..=0xC2 => {
                let parsed = parse_frame(segment, marker == 0xC2)?;
                let blocks: usize = parsed.components.iter().map(|c| c.blocks_w * c.blocks_h).sum();
                visits_left = blocks.saturating_mul(PASSES_PER_BLOCK).max(MIN_BLOCK_VISITS);
                frame = Some(parsed);
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDC | 0xDE => return Err(ScanError::Unsupported),
            0xC4 => parse_tables(segment, &mut tables)?,
            0xDD => restart = segment.get(..2).map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]]))),
            0xDA => {
                let frame = frame.as_mut().ok_or(ScanError::Corrupt)?;
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(ScanError::Corrupt);
                }
                pos = walk_scan(bytes, next, segment, frame, &tables, restart, &mut visits_left)?;
                continue;
            }
            _ => {}
        }
        pos = next;
    }
    let frame = frame.ok_or(ScanError::Corrupt)?;
    if frame.components.iter().any(|c| c.covered != u64::MAX) {
        return Err(ScanError::Truncated);
    }
    Ok(())
}

/// The marker at `pos` (after any fill bytes): its code and the index after it. Stray bytes before it are skipped,
/// as lenient decoders do.
fn next_marker(bytes: &[u8], mut pos: usize) -> Result<(u8, usize)> {
    loop {
        let (Some(&a), Some(&b)) = (bytes.get(pos), bytes.get(pos + 1)) else { return Err(ScanError::Truncated) };
        if a == 0xFF && b != 0xFF && b != 0 {
            return Ok((b, pos + 2));
        }
        pos += 1;
    }
}

fn parse_frame(segment: &[u8], progressive: bool) -> Result<Frame> {
    let byte = |i: usize| segment.get(i).copied().map(usize::from).ok_or(ScanError::Corrupt);
    let (height, width, count) = ((byte(1)? << 8) | byte(2)?, (byte(3)? << 8) | byte(4)?, byte(5)?);
    if height == 0 {
        return Err(ScanError::Unsupported); // the height would come in a DNL marker
    }
    if width == 0 || !(1..=4).contains(&count) {
        return Err(ScanError::Corrupt);
    }
    let mut components = Vec::with_capacity(count);
    for i in 0..count {
        let (id, sampling) = (byte(6 + 3 * i)?, byte(7 + 3 * i)?);
        let (h, v) = (sampling >> 4, sampling & 15);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(ScanError::Corrupt);
        }
        components.push(Component { id: id as u8, h, v, blocks_w: 0, blocks_h: 0, covered: 0, nonzero: Vec::new() });
    }
    let h_max = components.iter().map(|c| c.h).max().unwrap_or(1);
    let v_max = components.iter().map(|c| c.v).max().unwrap_or(1);
    for c in &mut components {
        c.blocks_w = (width * c.h).div_ceil(h_max).div_ceil(8);
        c.blocks_h = (height * c.v).div_ceil(v_max).div_ceil(8);
        if progressive {
            c.nonzero = vec![0; c.blocks_w * c.blocks_h];
        }
    }
    Ok(Frame { width, height, progressive, h_max, v_max, components })
}

fn parse_tables(mut segment: &[u8], tables: &mut Tables) -> Result<()> {
    while let Some((&class_id, rest)) = segment.split_first() {
        let counts = rest.get(..16).ok_or(ScanError::Corrupt)?;
        let total: usize = counts.iter().map(|&n| usize::from(n)).sum();
        let values = rest.get(16..16 + total).ok_or(ScanError::Corrupt)?;
        let table = Huffman::new(counts, values)?;
        let slot = match (class_id >> 4, usize::from(class_id & 15)) {
            (0, id @ 0..=3) => &mut tables.dc[id],
            (1, id @ 0..=3) => &mut tables.ac[id],
            _ => return Err(ScanError::Corrupt),
        };
        *slot = Some(table);
        segment = &rest[16 + total..];
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequential,
    DcFirst,
    DcRefine,
    AcFirst,
    AcRefine,
}

/// One scan (its header is `header`, its data starts at `start`); returns where the marker after it starts. The
/// scan's block visits are taken from `visits_left` before it is walked.
fn walk_scan(
    bytes: &[u8],
    start: usize,
    header: &[u8],
    frame: &mut Frame,
    tables: &Tables,
    restart: usize,
    visits_left: &mut usize,
) -> Result<usize> {
    let count = usize::from(*header.first().ok_or(ScanError::Corrupt)?);
    if !(1..=4).contains(&count) {
        return Err(ScanError::Corrupt);
    }
    let tail = header.get(1 + 2 * count..4 + 2 * count).ok_or(ScanError::Corrupt)?;
    let (ss, se, ah) = (u32::from(tail[0]), u32::from(tail[1]), tail[2] >> 4);
    let kind = match (frame.progressive, ss, ah) {
        (false, ..) => Kind::Sequential,
        (true, 0, 0) if se == 0 => Kind::DcFirst,
        (true, 0, _) if se == 0 => Kind::DcRefine,
        (true, 1..=63, 0) if se >= ss && se <= 63 && count == 1 => Kind::AcFirst,
        (true, 1..=63, _) if se >= ss && se <= 63 && count == 1 => Kind::AcRefine,
        _ => return Err(ScanError::Corrupt),
    };
    let covered = if kind == Kind::Sequential { u64::MAX } else { (u64::MAX >> (63 - se)) & (u64::MAX << ss) };
    // Per scan component: its index, its blocks per MCU, its tables (checked present where the kind needs them).
    let mut members = Vec::with_capacity(count);
    for i in 0..count {
        let (id, selectors) = (header[1 + 2 * i], header[2 + 2 * i]);
        let index = frame.components.iter().position(|c| c.id == id).ok_or(ScanError::Corrupt)?;
        let (dc, ac) = (select(&tables.dc, selectors >> 4), select(&tables.ac, selectors & 15));
        let needs_dc = matches!(kind, Kind::Sequential | Kind::DcFirst);
        let needs_ac = matches!(kind, Kind::Sequential | Kind::AcFirst | Kind::AcRefine);
        let (dc, ac) = match (dc, ac) {
            (Some(dc), Some(ac)) => (dc, ac),
            (Some(dc), None) if !needs_ac => (dc, dc),
            (None, Some(ac)) if !needs_dc => (ac, ac),
            (None, None) if !needs_dc && !needs_ac => (&tables.placeholder, &tables.placeholder),
            _ => return Err(ScanError::Corrupt),
        };
        let component = &mut frame.components[index];
        component.covered |= covered;
        let blocks = if count > 1 { component.h * component.v } else { 1 };
        members.push((index, blocks, dc, ac));
    }
    let mcus = if count == 1 {
        let c = &frame.components[members[0].0];
        c.blocks_w * c.blocks_h
    } else {
        frame.width.div_ceil(8 * frame.h_max) * frame.height.div_ceil(8 * frame.v_max)
    };
    let visits = mcus * members.iter().map(|m| m.1).sum::<usize>();
    *visits_left = visits_left.checked_sub(visits).ok_or(ScanError::Corrupt)?;
    let mut r = BitReader::new(bytes, start);
    let (index, _, _, ac) = members[0];
    let nonzero = &mut frame.components[index].nonzero;
    match kind {
        Kind::Sequential => each_mcu(&mut r, mcus, restart, |r, _, _| {
            for &(_, blocks, dc, ac) in &members {
                for _ in 0..blocks {
                    sequential_block(r, dc, ac)?;
                }
            }
            Ok(())
        })?,
        Kind::DcFirst => each_mcu(&mut r, mcus, restart, |r, _, _| {
            for &(_, blocks, dc, _) in &members {
                for _ in 0..blocks {
                    dc_first(r, dc)?;
                }
            }
            Ok(())
        })?,
        Kind::DcRefine => {
            let bits = members.iter().map(|m| m.1 as u32).sum();
            each_mcu(&mut r, mcus, restart, |r, _, _| r.skip(bits))?;
        }
        Kind::AcFirst => each_mcu(&mut r, mcus, restart, |r, mcu, eob_run| {
            let block = nonzero.get_mut(mcu).ok_or(ScanError::Corrupt)?;
            ac_first(r, ac, (ss, se), block, eob_run)
        })?,
        Kind::AcRefine => each_mcu(&mut r, mcus, restart, |r, mcu, eob_run| {
            let block = nonzero.get_mut(mcu).ok_or(ScanError::Corrupt)?;
            ac_refine(r, ac, (ss, se), block, eob_run)
        })?,
    }
    match r.skip_to_marker() {
        Some((_, after)) => Ok(after - 2),
        None => Err(ScanError::Truncated),
    }
}

/// Runs `f` on every MCU of a scan (with the MCU's index and the end-of-band run), expecting a restart marker
/// after every `restart` MCUs, where the end-of-band run starts again.
fn each_mcu<'a>(
    r: &mut BitReader<'a>,
    mcus: usize,
    restart: usize,
    mut f: impl FnMut(&mut BitReader<'a>, usize, &mut u32) -> Result<()>,
) -> Result<()> {
    let (mut eob_run, mut until_restart) = (0u32, restart);
    for mcu in 0..mcus {
        if restart > 0 {
            if until_restart == 0 {
                r.restart()?;
                eob_run = 0;
                until_restart = restart;
            }
            until_restart -= 1;
        }
        f(r, mcu, &mut eob_run)?;
    }
    Ok(())
}

fn select(set: &[Option<Huffman>; 4], id: u8) -> Option<&Huffman> {
    set.get(usize::from(id)).and_then(Option::as_ref)
}
