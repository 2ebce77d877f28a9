//! One block's share of each kind of scan: Huffman codes and extra bits consumed, coefficient values ignored
//! (JPEG Annex F and G; libjpeg's decode_mcu* without the arithmetic).

use super::bits::{BitReader, Huffman};
use super::{Result, ScanError};

#[inline]
pub(super) fn sequential_block(r: &mut BitReader<'_>, dc: &Huffman, ac: &Huffman) -> Result<()> {
    dc_first(r, dc)?;
    let mut k = 1;
    while k < 64 {
        let (rs, len) = ac.peek(r)?;
        let (run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
        r.skip(len + size)?; // the code and the coefficient's bits
        match (size, run) {
            (0, 15) => k += 16,
            (0, _) => break,
            _ => k += run + 1,
        }
    }
    Ok(())
}

#[inline]
pub(super) fn dc_first(r: &mut BitReader<'_>, dc: &Huffman) -> Result<()> {
    let (size, len) = dc.peek(r)?;
    if size > 16 {
        return Err(ScanError::Corrupt);
    }
    r.skip(len + u32::from(size))
}

pub(super) fn ac_first(
    r: &mut BitReader<'_>,
    ac: &Huffman,
    (ss, se): (u32, u32),
    nonzero: &mut u64,
    eob_run: &mut u32,
) -> Result<()> {
    if *eob_run > 0 {
        *eob_run -= 1;
        return Ok(());
    }
    let mut k = ss;
    while k <= se {
        let (rs, len) = ac.peek(r)?;
        let (run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
        if size != 0 {
            r.skip(len + size)?;
            k += run;
            if k <= 63 {
                *nonzero |= 1 << k;
            }
        } else if run == 15 {
            r.skip(len)?;
            k += 15;
        } else {
            r.skip(len)?;
            *eob_run = (1 << run) + r.value(run)? - 1;
            break;
        }
        k += 1;
    }
    Ok(())
}

/// Successive-approximation refinement (libjpeg's decode_mcu_AC_refine, without the values).
pub(super) fn ac_refine(
    r: &mut BitReader<'_>,
    ac: &Huffman,
    (ss, se): (u32, u32),
    nonzero: &mut u64,
    eob_run: &mut u32,
) -> Result<()> {
    let mut k = ss;
    if *eob_run == 0 {
        while k <= se {
            let rs = ac.decode(r)?;
            let (mut run, size) = (u32::from(rs >> 4), rs & 15);
            if size != 0 {
                r.skip(1)?; // the new coefficient's sign
            } else if run != 15 {
                *eob_run = (1 << run) + r.value(run)?;
                break;
            }
            while k <= se {
                if *nonzero & (1 << k) != 0 {
                    r.skip(1)?; // a correction bit
                } else if run == 0 {
                    break;
                } else {
                    run -= 1;
                }
                k += 1;
            }
            if size != 0 && k <= 63 {
                *nonzero |= 1 << k;
            }
            k += 1;
        }
    }
    if *eob_run > 0 {
        // A correction bit for each coefficient of the rest of the band already non-zero: one skip, not a loop,
        // so that a block inside an end-of-band run costs the same whatever the band's width.
        if k <= se {
            let rest = (u64::MAX >> (63 - se)) & (u64::MAX << k);
            r.skip((*nonzero & rest).count_ones())?;
        }
        *eob_run -= 1;
    }
    Ok(())
}
